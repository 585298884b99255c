"""Escalation rules: functional, hierarchical and priority based, each firing exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from itsm.accounts.choices import AssignmentStrategy
from itsm.accounts.models import Group
from itsm.notifications.models import OutboxMessage
from itsm.rules.escalation import sweep_escalations
from itsm.rules.models import AssignmentRule, EscalationFiring, EscalationRule
from itsm.tickets.models import JournalEntry
from itsm.workflow.actions import do_transition_ticket

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
OFFICE_HOURS = {
    "tz": "UTC",
    "weekly": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}


@pytest.fixture
def tiers(db, make_agent):
    tier2 = Group.objects.create(name="Tier 2", strategy=AssignmentStrategy.ROUND_ROBIN)
    tier1 = Group.objects.create(name="Tier 1", escalation_parent=tier2)
    AssignmentRule.objects.create(name="Everything to tier 1", group=tier1)
    tier1.manager = make_agent(tier1, "Tom Tier-One Manager")
    tier1.save()
    tier2.manager = make_agent(tier2, "Tina Tier-Two Manager")
    tier2.save()
    return tier1, tier2


def _functional(tier1, **extra):
    rule = EscalationRule.objects.create(
        name="Not acknowledged in 30 minutes",
        trigger="not_acknowledged_within",
        thresholds_minutes=[30],
        reassign_to_parent=True,
        **extra,
    )
    rule.groups.add(tier1)
    return rule


def test_functional_escalation_reassigns_to_the_escalation_parent_once(open_incident, tiers):
    tier1, tier2 = tiers
    rule = _functional(tier1)
    ticket = open_incident(now=MONDAY_9)

    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=29)) == 0
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=31)) == 1
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=90)) == 0

    ticket.refresh_from_db()
    assert ticket.assignment_group == tier2
    assert ticket.assignee == tier2.manager  # the round robin's only member
    moved = JournalEntry.objects.filter(ticket=ticket, field="assignment_group").last()
    assert moved.body == f"Assigned by escalation rule “{rule.name}”."
    assert EscalationFiring.objects.get(rule=rule, ticket=ticket).level == 1
    note = JournalEntry.objects.get(ticket=ticket, data__escalation_rule=rule.pk)
    assert "Reassigned from Tier 1 to Tier 2" in note.body
    assert OutboxMessage.objects.filter(
        ticket=ticket, recipient=tier2.manager, event="assigned"
    ).exists()


def test_acknowledged_incidents_are_not_escalated(open_incident, tiers, agent):
    tier1, _ = tiers
    _functional(tier1)
    ticket = open_incident(now=MONDAY_9)
    do_transition_ticket(ticket, "in_progress", actor=agent, now=MONDAY_9 + timedelta(minutes=5))

    assert sweep_escalations(now=MONDAY_9 + timedelta(hours=3)) == 0


def test_the_limit_counts_business_time_on_the_rules_calendar(open_incident, tiers):
    tier1, tier2 = tiers
    _functional(tier1, calendar=OFFICE_HOURS)
    friday_late = datetime(2025, 3, 7, 16, 50, tzinfo=UTC)
    ticket = open_incident(now=friday_late)

    assert sweep_escalations(now=datetime(2025, 3, 8, 12, 0, tzinfo=UTC)) == 0
    assert sweep_escalations(now=datetime(2025, 3, 10, 9, 15, tzinfo=UTC)) == 0
    assert sweep_escalations(now=datetime(2025, 3, 10, 9, 21, tzinfo=UTC)) == 1

    ticket.refresh_from_db()
    assert ticket.assignment_group == tier2


def test_hierarchical_escalation_notifies_the_manager_then_the_managers_manager(
    open_incident, tiers
):
    tier1, tier2 = tiers
    rule = EscalationRule.objects.create(
        name="Not resolved",
        trigger="not_resolved_within",
        thresholds_minutes=[60, 120],
        notify_managers=True,
    )
    ticket = open_incident(now=MONDAY_9)

    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=61)) == 1
    first = set(
        OutboxMessage.objects.filter(event="escalation").values_list("recipient", flat=True)
    )
    assert first == {tier1.manager.pk}
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=121)) == 1
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=500)) == 0

    mails = OutboxMessage.objects.filter(event="escalation").order_by("id")
    assert [m.recipient for m in mails] == [tier1.manager, tier2.manager]
    assert mails[0].subject.startswith(f"[ESCALATION] [{ticket.number}]")
    assert sorted(EscalationFiring.objects.filter(rule=rule).values_list("level", flat=True)) == [
        1,
        2,
    ]


def test_a_p1_alerts_the_major_incident_team_at_once(open_incident, tiers, make_agent):
    team = Group.objects.create(name="On call", is_major_incident_team=True)
    on_call = make_agent(team, "Olga On-Call")
    EscalationRule.objects.create(
        name="P1 at once",
        trigger="priority_at_once",
        priorities=["P1"],
        notify_major_incident_team=True,
    )
    p1 = open_incident(impact="high", urgency="high", now=MONDAY_9)
    open_incident(now=MONDAY_9)

    assert sweep_escalations(now=MONDAY_9) == 1
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=1)) == 0

    mail = OutboxMessage.objects.get(event="escalation")
    assert (mail.ticket, mail.recipient) == (p1, on_call)
    assert "P1 at once" in mail.body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["functional", "hierarchical", "priority"])
def test_two_workers_sweeping_at_once_fire_each_escalation_once(
    open_incident, tiers, make_agent, kind
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL's row locks")
    tier1, _ = tiers
    team = Group.objects.create(name="On call", is_major_incident_team=True)
    make_agent(team)
    if kind == "functional":
        rule = _functional(tier1)
    elif kind == "hierarchical":
        rule = EscalationRule.objects.create(
            name="Not resolved",
            trigger="not_resolved_within",
            thresholds_minutes=[60],
            notify_managers=True,
        )
    else:
        rule = EscalationRule.objects.create(
            name="P1",
            trigger="priority_at_once",
            priorities=["P1"],
            notify_major_incident_team=True,
        )
    tickets = [open_incident(impact="high", urgency="high", now=MONDAY_9) for _ in range(5)]
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(sweep_escalations(now=MONDAY_9 + timedelta(hours=2)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(results) == len(tickets)
    assert EscalationFiring.objects.filter(rule=rule).count() == len(tickets)
    for ticket in tickets:
        assert (
            JournalEntry.objects.filter(ticket=ticket, data__escalation_rule=rule.pk).count() == 1
        )
