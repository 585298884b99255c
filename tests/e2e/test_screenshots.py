"""Screenshots of the main pages for docs/screenshots/, on the demo data.

Runs only with ITSM_SCREENSHOTS=1 (it writes into the repository):
ITSM_SCREENSHOTS=1 .venv/bin/pytest -q tests/e2e/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from itsm.accounts.models import User
from itsm.cli.demo import DEMO_LOGINS, build_reference_data, build_tickets
from itsm.tickets.models import Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("ITSM_SCREENSHOTS"), reason="ITSM_SCREENSHOTS=1 writes docs"
    ),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _login(browser: Any, url: str, email: str, password: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def test_screenshots(live_server: Any, browser: Any) -> None:
    build_reference_data()
    build_tickets(60)
    logins = {login.role: login for login in DEMO_LOGINS}
    OUT.mkdir(parents=True, exist_ok=True)
    agent = User.objects.get(email=logins["agent"].email)
    ticket = (
        Ticket.objects.filter(assignee=agent, state="in_progress").order_by("-opened_at").first()
        or Ticket.objects.order_by("-opened_at").first()
    )
    assert ticket is not None
    for width, suffix in ((1440, ""), (390, "-mobile")):
        page = _login(
            browser, live_server.url, logins["agent"].email, logins["agent"].password, width
        )
        page.screenshot(path=OUT / f"agent-home{suffix}.png", full_page=True)
        page.goto(f"{live_server.url}/queues/?state=open")
        page.screenshot(path=OUT / f"queue{suffix}.png", full_page=width < 1000)
        page.goto(f"{live_server.url}/tickets/{ticket.number}/")
        page.screenshot(path=OUT / f"ticket{suffix}.png", full_page=True)
        page.goto(f"{live_server.url}/incidents/new/")
        page.screenshot(path=OUT / f"new-incident{suffix}.png", full_page=True)
        manager = _login(
            browser, live_server.url, logins["manager"].email, logins["manager"].password, width
        )
        manager.goto(f"{live_server.url}/dashboard/")
        manager.screenshot(path=OUT / f"dashboard{suffix}.png", full_page=True)
        portal = _login(
            browser, live_server.url, logins["requester"].email, logins["requester"].password, width
        )
        portal.screenshot(path=OUT / f"portal-home{suffix}.png", full_page=True)
        mine = Ticket.objects.filter(requester__email=logins["requester"].email).first()
        if mine is not None:
            portal.goto(f"{live_server.url}/portal/tickets/{mine.number}/")
            portal.screenshot(path=OUT / f"portal-ticket{suffix}.png", full_page=True)
