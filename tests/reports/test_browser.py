"""Report pages in Debian's Chromium: the packaged plotly draws every chart under the strict
Content-Security-Policy, with no console error. With ITSM_SCREENSHOTS=1 the pages are also
written to docs/screenshots/reports-*.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401 (the launch fixture)
from tests.reports.conftest import Week

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WEEK_QUERY = "from=2025-03-24&to=2025-03-30&tz=Europe/Berlin"
PAGES = [
    ("volume", "volume", ""),
    ("backlog", "backlog", ""),
    ("time-to-resolve", "time_to_resolve", ""),
    ("sla-compliance", "sla_compliance", "&by=priority"),
    ("workload", "workload", "&by=agent"),
    ("breaches", "breaches", ""),
]


def _sign_in(
    browser: Any, live_server: Any, email: str, width: int = 1366
) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page, problems


def test_report_pages_draw_their_charts(week: Week, live_server: Any, browser: Any) -> None:
    page, problems = _sign_in(browser, live_server, week.manager.email)
    shoot = bool(os.environ.get("ITSM_SCREENSHOTS"))
    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.wait_for_load_state()
    if shoot:
        page.screenshot(path=str(OUT / "reports-index.png"), full_page=True)
    for slug, name, extra in PAGES:
        page.goto(f"{live_server.url}/reports/{name}/?{WEEK_QUERY}{extra}")
        charts = page.locator(".chart")
        if name != "breaches":
            charts.first.locator(".main-svg").first.wait_for()
            assert charts.count() >= 1
        assert page.locator("table.report-table tbody tr").count() >= 1
        if shoot:
            page.screenshot(path=str(OUT / f"reports-{slug}.png"), full_page=True)
    assert problems == []


def test_requester_gets_no_reports(week: Week, live_server: Any, browser: Any) -> None:
    page, _ = _sign_in(browser, live_server, week.requester.email)
    response = page.goto(f"{live_server.url}/reports/")
    assert response is not None
    assert response.status == 404
