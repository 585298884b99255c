"""Portal pages: report, follow, answer, confirm or reopen; never someone else's ticket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_transition_ticket

pytestmark = pytest.mark.django_db


def test_report_shows_number_and_next_steps(client: Any, requester: Any, service_desk: Any) -> None:
    client.force_login(requester)
    response = client.post(
        "/portal/report/",
        {"title": "Wi-Fi is down", "description": "", "urgency": "high", "impact": "medium"},
        follow=True,
    )
    ticket = Ticket.objects.get(title="Wi-Fi is down")
    html = response.content.decode()
    assert ticket.number in html
    assert "What happens next" in html
    assert (ticket.priority, ticket.assignment_group) == ("P2", service_desk)


def test_report_without_title_is_a_form_error(client: Any, requester: Any) -> None:
    client.force_login(requester)
    response = client.post("/portal/report/", {"urgency": "high", "impact": "low"})
    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_other_requesters_ticket_is_404(
    client: Any, requester: Any, other_requester: Any, create_ticket: Callable[..., Ticket]
) -> None:
    theirs = create_ticket(requester=other_requester)
    client.force_login(requester)
    assert client.get(f"/portal/tickets/{theirs.number}/").status_code == 404
    assert client.get("/portal/tickets/INC9999999/").status_code == 404
    assert client.post(f"/portal/tickets/{theirs.number}/reply/", {"body": "x"}).status_code == 404
    assert theirs.number not in client.get("/portal/tickets/?show=all").content.decode()


def test_close_and_reopen_resolved(
    client: Any, agent: Any, requester: Any, create_ticket: Callable[..., Ticket]
) -> None:
    first, second = create_ticket(requester=requester), create_ticket(requester=requester)
    for ticket in (first, second):
        do_transition_ticket(
            ticket,
            "resolved",
            actor=agent,
            resolution_code="workaround",
            resolution_notes="Restarted the spooler.",
        )
    client.force_login(requester)
    page = client.get(f"/portal/tickets/{first.number}/").content.decode()
    assert "fixed, close it" in page
    client.post(f"/portal/tickets/{first.number}/close/")
    client.post(f"/portal/tickets/{second.number}/reopen/", {"body": "Still jams."})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("closed", "in_progress")
    assert second.journal.filter(body="Still jams.", is_internal=False).exists()


@pytest.mark.parametrize("path", ["/portal/", "/portal/tickets/?show=all", "DETAIL"])
def test_portal_query_count_is_constant(
    client: Any, requester: Any, create_ticket: Callable[..., Ticket], path: str
) -> None:
    first = create_ticket(requester=requester)
    url = f"/portal/tickets/{first.number}/" if path == "DETAIL" else path
    client.force_login(requester)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(12):
        create_ticket(requester=requester, title=f"Another {n}")
        client.post(f"/portal/tickets/{first.number}/reply/", {"body": f"More info {n}"})
    assert count() == small
