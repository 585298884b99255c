"""GET /api/v1/tickets/{number}/slas: the explain timeline, through the visibility layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from itsm.accounts.models import User
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_add_comment, do_override_priority, do_transition_ticket
from tests.api.conftest import assert_problem
from tests.sla.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client(token_for: Callable[[User], str]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        return Client(headers={"Authorization": f"Bearer {token_for(user)}"})

    return make


@pytest.fixture
def resolved(
    create_ticket: Callable[..., Ticket], requester: User, agent: User, monday: datetime
) -> Ticket:
    """Logged Monday 10:00, answered 10:30, Pending User from 11:00 to Tuesday 11:00,
    resolved Wednesday 12:00: every figure is final."""
    ticket = create_ticket(requester=requester, now=monday)
    do_add_comment(ticket, body="Looking.", internal=False, actor=agent, now=at("2025-03-03 10:30"))
    do_transition_ticket(
        ticket, "pending_user", actor=agent, reason="Model?", now=at("2025-03-03 11:00")
    )
    do_transition_ticket(ticket, "in_progress", actor=agent, now=at("2025-03-04 11:00"))
    do_transition_ticket(
        ticket,
        "resolved",
        actor=agent,
        resolution_code="solved_permanently",
        resolution_notes="New roller.",
        now=at("2025-03-05 12:00"),
    )
    return ticket


def _by_metric(body: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {sla["metric"]: sla for sla in body}


def test_agent_sees_every_sla_with_its_timeline(
    api_client: Callable[[User], Client], agent: User, resolved: Ticket
) -> None:
    response = api_client(agent).get(f"/api/v1/tickets/{resolved.number}/slas")
    assert response.status_code == 200
    slas = _by_metric(response.json())

    resolution = slas["resolution"]
    assert resolution["definition"] == "P2–P5 incident resolution (business hours)"
    assert resolution["clock_state"] == "stopped"
    assert resolution["elapsed_business_minutes"] == 600  # 60 + 0 paused + 540
    assert resolution["remaining_business_minutes"] == 840
    assert resolution["due_at"] == "2025-03-07T10:00:00Z"
    assert resolution["breached"] is False
    assert resolution["warn_50_at"] == "2025-03-05T14:00:00Z"  # 1 + 6 + 5 hours
    assert [w["percent"] for w in resolution["warnings"]] == [50, 75]
    spans = [(s["state"], s["clock_state"], s["business_minutes"]) for s in resolution["spans"]]
    assert spans == [
        ("New", "running", 60),
        ("Pending User", "paused", 0),
        ("In Progress", "running", 540),
        ("Resolved", "stopped", 0),
    ]
    assert resolution["spans"][1]["start"] == "2025-03-03T11:00:00Z"
    assert resolution["spans"][1]["end"] == "2025-03-04T11:00:00Z"

    answer = slas["response"]
    assert (answer["clock_state"], answer["elapsed_business_minutes"]) == ("stopped", 30)
    clocks = [s["clock_state"] for s in answer["spans"]]
    assert clocks[:2] == ["running", "stopped"]
    assert set(clocks[1:]) == {"stopped"}
    assert answer["spans"][1]["start"] == "2025-03-03T10:30:00Z"


def test_breach_is_explained_by_its_spans(
    api_client: Callable[[User], Client],
    agent: User,
    manager: User,
    create_ticket: Callable[..., Ticket],
    requester: User,
    monday: datetime,
) -> None:
    ticket = create_ticket(requester=requester, now=monday)
    do_override_priority(
        ticket, priority="P1", reason="Floor down", actor=manager, now=at("2025-03-03 11:00")
    )
    do_add_comment(ticket, body="On it.", internal=False, actor=agent, now=at("2025-03-03 11:05"))
    body = api_client(agent).get(f"/api/v1/tickets/{ticket.number}/slas").json()

    applying = [s for s in body if s["applies"]]
    response = _by_metric(applying)["response"]
    assert response["definition"] == "P1 incident response (24x7)"
    assert response["breached"] is True
    assert response["breached_at"] == "2025-03-03T11:00:00Z"
    assert [(s["priority"], s["business_minutes"]) for s in response["spans"]] == [
        ("P3", 60),
        ("P1", 5),
        ("P1", 0),
    ]
    detached = [s for s in body if not s["applies"]]
    assert {s["detached_at"] for s in detached} == {"2025-03-03T11:00:00Z"}


def test_requester_sees_only_the_resolution_target(
    api_client: Callable[[User], Client], requester: User, resolved: Ticket
) -> None:
    body = api_client(requester).get(f"/api/v1/tickets/{resolved.number}/slas").json()
    assert [s["metric"] for s in body] == ["resolution"]
    assert body[0]["due_at"] == "2025-03-07T10:00:00Z"
    assert body[0]["spans"] == []
    assert body[0]["warnings"] == []


def test_others_tickets_answer_404(
    api_client: Callable[[User], Client], other_requester: User, resolved: Ticket
) -> None:
    assert_problem(api_client(other_requester).get(f"/api/v1/tickets/{resolved.number}/slas"), 404)
    assert_problem(api_client(other_requester).get("/api/v1/tickets/INC9999999/slas"), 404)
    assert_problem(api_client(other_requester).get("/api/v1/tickets/not-a-number/slas"), 404)


def test_unauthenticated_is_401(resolved: Ticket) -> None:
    assert_problem(Client().get(f"/api/v1/tickets/{resolved.number}/slas"), 401)


def test_query_count_does_not_grow_with_slas(
    api_client: Callable[[User], Client],
    agent: User,
    manager: User,
    resolved: Ticket,
    django_assert_num_queries: Any,
) -> None:
    client = api_client(agent)
    client.get(f"/api/v1/tickets/{resolved.number}/slas")  # warm caches
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/tickets/{resolved.number}/slas")
    baseline = len(few)

    do_transition_ticket(resolved, "in_progress", actor=agent, now=at("2025-03-05 13:00"))
    do_override_priority(
        resolved, priority="P1", reason="Worse", actor=manager, now=at("2025-03-05 14:00")
    )
    with django_assert_num_queries(baseline):
        body = client.get(f"/api/v1/tickets/{resolved.number}/slas").json()
    assert len(body) == 4  # two detached, two P1
