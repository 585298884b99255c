"""Tickets of a kind whose practice has no lifecycle yet (service requests, problems, changes
brought in by an import) open, take comments and refuse state moves with a clear answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from itsm.taxonomy.choices import TicketKind
from itsm.tickets.choices import TicketState
from itsm.tickets.models import JournalEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [TicketKind.SERVICE_REQUEST, TicketKind.PROBLEM])
def test_agent_page_comment_and_refused_move(
    client: Any, agent: Any, requester: Any, create_ticket: Any, token_for: Any, kind: str
) -> None:
    ticket = create_ticket(requester=requester, kind=kind, title="New laptop for Sam")
    assert ticket.state == TicketState.NEW
    client.force_login(agent)

    page = client.get(f"/tickets/{ticket.number}/")

    assert page.status_code == 200
    assert "New laptop for Sam" in page.content.decode()
    reply = client.post(
        f"/tickets/{ticket.number}/reply/",
        {"version": ticket.version, "body": "Ordered it today.", "visibility": "public"},
    )
    assert reply.status_code in (200, 302)
    assert JournalEntry.objects.filter(ticket=ticket, body="Ordered it today.").exists()
    api = Client(headers={"Authorization": f"Bearer {token_for(agent)}"})
    moved = api.post(
        f"/api/v1/tickets/{ticket.number}/transitions",
        {"to": "in_progress"},
        content_type="application/json",
    )
    assert moved.status_code == 409
    assert moved["Content-Type"].startswith("application/problem+json")
    assert moved.json()["allowed_transitions"] == []
