"""Escalation rules: functional, hierarchical and priority based, each firing exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from itsm.accounts.choices import AssignmentStrategy
from itsm.accounts.models import Group
from itsm.notifications.models import OutboxMessage
from itsm.rules import escalation
from itsm.rules.escalation import fire_escalation, sweep_escalations
from itsm.rules.models import AssignmentRule, EscalationFiring, EscalationRule
from itsm.tickets.models import JournalEntry, Ticket
from itsm.workflow.actions import do_assign_ticket, do_transition_ticket

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
    open_incident, tiers, make_agent, kind, monkeypatch
):
    monkeypatch.setattr(escalation, "BATCH_SIZE", 3)  # several batches, interleaved
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
    tickets = [open_incident(impact="high", urgency="high", now=MONDAY_9) for _ in range(12)]
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


def _notify_rule(thresholds=(60, 120)):
    return EscalationRule.objects.create(
        name="Not resolved: tell the manager and the people on it",
        trigger="not_resolved_within",
        thresholds_minutes=list(thresholds),
        notify_managers=True,
        notify_assignee=True,
    )


@pytest.mark.parametrize("batch_size", [1, 200])
def test_a_batch_fires_each_level_once_with_the_same_lines_and_mails_as_one_by_one(
    open_incident, tiers, make_agent, monkeypatch, batch_size
):
    # Batches of one are the one-by-one firing; both must leave exactly the same trail.
    monkeypatch.setattr(escalation, "BATCH_SIZE", batch_size)
    tier1, tier2 = tiers
    member = make_agent(tier1, "Mia Member")
    rule = _notify_rule()
    tickets = [open_incident(now=MONDAY_9 + timedelta(minutes=i)) for i in range(4)]
    for ticket in tickets[:2]:
        do_assign_ticket(ticket, group=tier1, assignee=member, actor=None, now=MONDAY_9)
    versions = {t.pk: Ticket.objects.get(pk=t.pk).version for t in tickets}

    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=70)) == 4
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=130)) == 4
    assert sweep_escalations(now=MONDAY_9 + timedelta(minutes=500)) == 0

    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.version == versions[ticket.pk] + 2  # one change per firing
        lines = JournalEntry.objects.filter(ticket=ticket, data__escalation_rule=rule.pk)
        assert [(line.data["level"], line.version) for line in lines.order_by("id")] == [
            (1, versions[ticket.pk] + 1),
            (2, versions[ticket.pk] + 2),
        ]
        side = "Notified the assignee." if ticket.assignee else "Notified the group."
        level_1, level_2 = lines.order_by("id")
        assert level_1.body == (
            f"Escalation “{rule.name}” (level 1): Not resolved within 1 hour of business time. "
            f"Notified {tier1.manager} (level 1 manager). {side}"
        )
        assert level_2.body.startswith(f"Escalation “{rule.name}” (level 2): ")
        assert f"Notified {tier2.manager} (level 2 manager). {side}" in level_2.body
        firings = EscalationFiring.objects.filter(rule=rule, ticket=ticket).order_by("level")
        assert [f.summary for f in firings] == [
            f"Notified {tier1.manager} (level 1 manager). {side}",
            f"Notified {tier2.manager} (level 2 manager). {side}",
        ]
        for line, manager in ((level_1, tier1.manager), (level_2, tier2.manager)):
            mails = OutboxMessage.objects.filter(journal_entry=line, event="escalation")
            on_it = {member} if ticket.assignee else set(tier1.members.all())
            assert {m.recipient for m in mails} == {manager} | on_it
            assert mails.count() == len({manager} | on_it)
            assert all(m.subject.startswith(f"[ESCALATION] [{ticket.number}]") for m in mails)


def test_an_escalation_batch_costs_the_same_queries_however_many_tickets(
    open_incident, tiers, make_agent
):
    tier1, _ = tiers
    make_agent(tier1)
    rule = _notify_rule(thresholds=[60])

    def sweep_queries(count: int, at: datetime) -> int:
        for _ in range(count):
            open_incident(now=at)
        with CaptureQueriesContext(connection) as queries:
            assert sweep_escalations(now=at + timedelta(minutes=61)) == count
        return len(queries)

    few = sweep_queries(2, MONDAY_9)
    many = sweep_queries(12, MONDAY_9 + timedelta(days=1))
    assert many == few
    assert EscalationFiring.objects.filter(rule=rule).count() == 14


def test_firing_decides_on_the_locked_row_and_fires_once(open_incident, tiers):
    rule = _notify_rule()
    ticket = open_incident(now=MONDAY_9)
    ticket.state = "resolved"  # a stale copy: the row read under the lock is what counts
    assert fire_escalation(rule, ticket, level=1, now=MONDAY_9 + timedelta(hours=2))
    assert not fire_escalation(rule, ticket, level=1, now=MONDAY_9 + timedelta(hours=3))
    assert EscalationFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
