"""Live SLA instances, driven through the real workflow actions with ``now=``.

Hand-worked values on the starter data: a Medium/Medium incident is P3 (response 4 business hours,
resolution 24 business hours on Mon-Fri 09:00-17:00 UTC); P1 runs 24x7 (15 min / 4 h).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from itsm.accounts.models import User
from itsm.sla.models import SlaInstance
from itsm.tickets.models import Ticket
from itsm.workflow.actions import (
    do_add_comment,
    do_override_priority,
    do_set_impact_urgency,
    do_transition_ticket,
)
from tests.sla.conftest import at, attached

pytestmark = pytest.mark.django_db

CreateTicket = Callable[..., Ticket]


@pytest.fixture
def incident(create_ticket: CreateTicket, requester: User, monday: datetime) -> Ticket:
    return create_ticket(requester=requester, now=monday)


def test_logging_an_incident_attaches_response_and_resolution_slas(incident: Ticket) -> None:
    response = attached(incident, "response")
    resolution = attached(incident, "resolution")

    assert response.definition.name == "P2–P5 incident response (business hours)"
    assert (response.priority, response.target_minutes) == ("P3", 240)
    assert response.due_at == at("2025-03-03 14:00")
    assert response.warn_at == at("2025-03-03 12:00")
    assert response.risk_at == at("2025-03-03 13:00")
    assert response.next_event_at == at("2025-03-03 12:00")
    assert response.clock_state == "running"
    # 24 business hours from Monday 10:00: 7 + 8 + 8 + 1 -> Thursday 10:00.
    assert resolution.due_at == at("2025-03-06 10:00")
    incident.refresh_from_db()
    assert incident.sla_due_at == at("2025-03-03 14:00")


def test_pending_user_pauses_resolution_only_for_the_business_time_inside(
    incident: Ticket, agent: User
) -> None:
    do_transition_ticket(
        incident, "pending_user", actor=agent, reason="Which printer?", now=at("2025-03-03 11:00")
    )
    paused = attached(incident, "resolution")
    assert paused.clock_state == "paused"
    assert paused.due_at is None
    assert paused.next_event_at is None
    # Response SLAs do not pause.
    assert attached(incident, "response").clock_state == "running"

    do_transition_ticket(incident, "in_progress", actor=agent, now=at("2025-03-04 11:00"))
    resumed = attached(incident, "resolution")
    # Paused 24 real hours of which 8 were business hours (Mon 11-17, Tue 9-11).
    assert resumed.clock_state == "running"
    assert resumed.elapsed_seconds == 3600
    assert resumed.due_at == at("2025-03-07 10:00")


def test_first_public_agent_comment_stops_response(incident: Ticket, agent: User) -> None:
    do_add_comment(
        incident, body="Internal look", internal=True, actor=agent, now=at("2025-03-03 10:10")
    )
    assert attached(incident, "response").clock_state == "running"

    do_add_comment(
        incident, body="On my way.", internal=False, actor=agent, now=at("2025-03-03 10:30")
    )
    response = attached(incident, "response")
    assert response.clock_state == "stopped"
    assert response.stopped_at == at("2025-03-03 10:30")
    assert response.elapsed_seconds == 30 * 60
    assert response.breached_at is None
    assert response.next_event_at is None
    incident.refresh_from_db()
    assert incident.sla_due_at == at("2025-03-06 10:00")  # the resolution's


def test_priority_change_within_a_definition_retargets_keeping_elapsed(
    incident: Ticket, agent: User
) -> None:
    do_set_impact_urgency(
        incident, impact="high", urgency="medium", actor=agent, now=at("2025-03-03 10:10")
    )
    response = attached(incident, "response")
    assert (response.priority, response.target_minutes) == ("P2", 30)
    assert response.started_at == at("2025-03-03 10:00")
    assert response.due_at == at("2025-03-03 10:30")
    # 8 business hours from Monday 10:00.
    assert attached(incident, "resolution").due_at == at("2025-03-04 10:00")


def test_raising_to_p1_moves_to_the_24x7_definitions_retroactively(
    incident: Ticket, manager: User
) -> None:
    do_override_priority(
        incident,
        priority="P1",
        reason="Whole floor down",
        actor=manager,
        now=at("2025-03-03 10:05"),
    )
    resolution = attached(incident, "resolution")
    assert resolution.definition.name == "P1 incident resolution (24x7)"
    assert resolution.started_at == at("2025-03-03 10:00")
    assert resolution.due_at == at("2025-03-03 14:00")
    assert attached(incident, "response").due_at == at("2025-03-03 10:15")
    detached = SlaInstance.objects.filter(ticket=incident, detached_at=at("2025-03-03 10:05"))
    assert sorted(detached.values_list("definition__name", flat=True)) == [
        "P2–P5 incident resolution (business hours)",
        "P2–P5 incident response (business hours)",
    ]
    assert all(i.next_event_at is None for i in detached)


def test_raising_to_p1_late_breaches_at_the_change(incident: Ticket, manager: User) -> None:
    do_override_priority(
        incident, priority="P1", reason="Escalated", actor=manager, now=at("2025-03-03 11:00")
    )
    response = attached(incident, "response")
    # P3's 4 h until 11:00, then P1's 15 minutes with 60 already elapsed: due in the past, and
    # the breach is the change instant, visible once time has moved past it.
    assert response.due_at == at("2025-03-03 10:15")
    assert response.breached_at is None
    assert response.next_event_at == datetime.fromisoformat("2025-03-03T10:07:30+00:00")

    from itsm.sla.live import recompute_ticket_slas

    recompute_ticket_slas(incident, now=at("2025-03-03 11:01"))
    assert attached(incident, "response").breached_at == at("2025-03-03 11:00")


def test_resolve_stops_and_reopen_resumes(incident: Ticket, agent: User) -> None:
    do_transition_ticket(
        incident,
        "resolved",
        actor=agent,
        resolution_code="solved_permanently",
        resolution_notes="Replaced the roller.",
        now=at("2025-03-03 12:00"),
    )
    stopped = attached(incident, "resolution")
    assert stopped.clock_state == "stopped"
    assert stopped.stopped_at == at("2025-03-03 12:00")
    assert stopped.due_at == at("2025-03-06 10:00")  # the due time in force before the stop
    assert stopped.breached_at is None
    incident.refresh_from_db()
    assert incident.sla_due_at is None

    do_transition_ticket(incident, "in_progress", actor=agent, now=at("2025-03-04 12:00"))
    resumed = attached(incident, "resolution")
    assert resumed.clock_state == "running"
    assert resumed.cycle == 0
    assert resumed.stopped_at is None
    # Resolved for 8 business hours (Mon 12-17, Tue 9-12): due moves by as much.
    assert resumed.due_at == at("2025-03-07 10:00")


def test_cancelled_ticket_stops_every_clock(incident: Ticket, agent: User) -> None:
    do_transition_ticket(
        incident, "cancelled", actor=agent, reason="Logged twice", now=at("2025-03-03 10:20")
    )
    states = set(SlaInstance.objects.filter(ticket=incident).values_list("clock_state", flat=True))
    assert states == {"stopped"}


def test_recompute_reads_instances_and_journal_once(
    incident: Ticket, agent: User, django_assert_max_num_queries: Any
) -> None:
    from itsm.sla.live import recompute_ticket_slas

    recompute_ticket_slas(incident, now=at("2025-03-03 10:40"))  # warm the selector cache
    # Two for the definitions' change stamp, one for the instances, one for the journal, and
    # one write per instance whose figures moved (both: elapsed time grew).
    with django_assert_max_num_queries(6):
        recompute_ticket_slas(incident, now=at("2025-03-03 10:45"))
