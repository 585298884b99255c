"""Opening a ticket writes each row once: routed and measured in memory, then inserted.

These pin that the result is what routing and recomputing after the insert stored before:
the journal lines, the SLA figures, the outbox rows, and the number of statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.accounts.choices import AssignmentStrategy
from itsm.accounts.models import Group, User
from itsm.notifications.compose import compose
from itsm.notifications.models import OutboxMessage
from itsm.sla.live import recompute_ticket_slas
from itsm.sla.models import SlaInstance
from itsm.tickets.models import JournalEntry, Ticket
from tests.sla.conftest import at

pytestmark = pytest.mark.django_db

CreateTicket = Callable[..., Ticket]

FIGURES = (
    "definition_id",
    "metric",
    "clock_state",
    "priority",
    "target_minutes",
    "elapsed_seconds",
    "started_at",
    "cycle",
    "cycle_started_at",
    "due_at",
    "warn_at",
    "risk_at",
    "breached_at",
    "stopped_at",
    "next_event_at",
    "detached_at",
    "computed_at",
    "version",
)


def _figures(ticket: Ticket) -> list[tuple[Any, ...]]:
    rows = SlaInstance.objects.filter(ticket=ticket).order_by("definition_id")
    return list(rows.values_list(*FIGURES))


@pytest.fixture
def round_robin_desk(service_desk: Group, agent: User) -> Group:
    service_desk.strategy = AssignmentStrategy.ROUND_ROBIN
    service_desk.save()
    return service_desk


@pytest.mark.parametrize(("impact", "urgency"), [("medium", "medium"), ("high", "high")])
@pytest.mark.parametrize("routed_to_agent", [False, True])
def test_new_ticket_slas_are_what_recomputing_from_its_journal_stores(
    create_ticket: CreateTicket,
    requester: User,
    service_desk: Group,
    agent: User,
    impact: str,
    urgency: str,
    routed_to_agent: bool,
) -> None:
    if routed_to_agent:
        service_desk.strategy = AssignmentStrategy.ROUND_ROBIN
        service_desk.save()
    now = at("2025-03-03 10:00")
    ticket = create_ticket(requester=requester, impact=impact, urgency=urgency, now=now)
    planned, planned_due = _figures(ticket), ticket.sla_due_at
    assert planned
    assert (ticket.state == "assigned") is routed_to_agent

    # Recomputing changes nothing...
    recompute_ticket_slas(ticket, now=now)
    assert _figures(ticket) == planned
    # ...and attaching afresh from the journal as written gives the same figures.
    SlaInstance.objects.filter(ticket=ticket).delete()
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=None)
    ticket.refresh_from_db()
    recompute_ticket_slas(ticket, now=now)
    ticket.refresh_from_db()
    assert _figures(ticket) == planned
    assert ticket.sla_due_at == planned_due is not None


def test_a_routed_ticket_is_inserted_whole_with_its_journal_in_order(
    create_ticket: CreateTicket, requester: User, agent: User, round_robin_desk: Group
) -> None:
    now = at("2025-03-03 10:00")
    ticket = create_ticket(requester=requester, actor=agent, channel="phone", now=now)

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.assignment_group, stored.assignee) == (
        "assigned",
        round_robin_desk,
        agent,
    )
    assert (stored.version, stored.organization_id) == (1, requester.organization_id)
    assert stored.sla_due_at == ticket.sla_due_at == at("2025-03-03 14:00")
    lines = list(
        JournalEntry.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("entry_type", "field", "old_value", "new_value", "body", "version")
    )
    assert lines == [
        ("system", "", "", "", "Incident opened via Phone.", 1),
        (
            "field_change",
            "assignment_group",
            "",
            "Service Desk",
            "Assigned to the fallback group: no assignment rule matched.",
            1,
        ),
        ("field_change", "assignee", "", "Alice Agent", "", 1),
        ("transition", "state", "new", "assigned", "", 1),
    ]
    assert set(JournalEntry.objects.filter(ticket=ticket).values_list("created_at", flat=True)) == {
        now
    }


def test_new_ticket_mails_anchor_on_their_lines_and_match_compose(
    create_ticket: CreateTicket,
    requester: User,
    agent: User,
    manager: User,
    service_desk: Group,
) -> None:
    ticket = create_ticket(requester=requester, actor=manager)

    rows = list(OutboxMessage.objects.filter(ticket=ticket).order_by("id"))
    opened = JournalEntry.objects.get(ticket=ticket, entry_type="system")
    to_group = JournalEntry.objects.get(ticket=ticket, field="assignment_group")
    # The manager logged it: the requester hears of it; the routing (no actor) tells the desk.
    assert [(r.event, r.recipient, r.journal_entry) for r in rows] == [
        ("created", requester, opened),
        ("assigned", agent, to_group),
        ("assigned", manager, to_group),
    ]
    for row in rows:
        actor = manager if row.event == "created" else None
        mail = compose(ticket, row.event, row.recipient, actor=actor, entry=row.journal_entry)
        assert mail is not None
        assert (row.subject, row.body, row.headers) == (mail.subject, mail.body, mail.headers)


def _opening_statements(create: Callable[[], Ticket]) -> int:
    with CaptureQueriesContext(connection) as queries:
        create()
    return len(queries.captured_queries)


def test_opening_a_routed_ticket_costs_a_constant_number_of_statements(
    create_ticket: CreateTicket,
    requester: User,
    agent: User,
    round_robin_desk: Group,
    make_group_members: Callable[[Group, int], None],
) -> None:
    create_ticket(requester=requester)  # warms the per-process policy cache
    few = _opening_statements(lambda: create_ticket(requester=requester))
    make_group_members(round_robin_desk, 6)
    round_robin_desk.strategy = AssignmentStrategy.MANUAL
    round_robin_desk.save()
    create_ticket(requester=requester)
    many = _opening_statements(lambda: create_ticket(requester=requester))

    # Number (two statements on SQLite), matrix, rules, fallback group, its agents, round robin
    # (2), SLA policy stamp, then one insert each: ticket, journal, SLA instances, outbox. Seven
    # members told of the routing cost one read of the group (instead of the agents and turn).
    assert few <= 13
    assert many <= 13


@pytest.fixture
def make_group_members(db: None) -> Callable[[Group, int], None]:
    from itsm.accounts.actions import do_create_user
    from itsm.accounts.choices import Role

    def add(group: Group, count: int) -> None:
        for n in range(count):
            user = do_create_user(
                email=f"member{n}@example.test", full_name=f"Member {n}", role=Role.AGENT
            )
            group.members.add(user)

    return add


def test_a_refused_ticket_leaves_the_callers_transaction_usable(
    create_ticket: CreateTicket, requester: User
) -> None:
    from itsm.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        create_ticket(requester=requester, impact="huge")
    with pytest.raises(InvalidInput):
        create_ticket(requester=requester, title=" ")

    assert Ticket.objects.count() == 0
    assert create_ticket(requester=requester).version == 1
