"""The SLA sweeper fires each warning and breach once, with journal lines, outbox rows and
escalation rules with SLA triggers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from itsm.accounts.models import Group, User
from itsm.notifications.models import OutboxMessage
from itsm.rules.models import EscalationFiring, EscalationRule
from itsm.sla.models import SlaInstance
from itsm.sla.sweep import sweep_sla_thresholds
from itsm.tickets.choices import JournalType
from itsm.tickets.models import JournalEntry, Ticket
from tests.sla.conftest import at, attached

pytestmark = pytest.mark.django_db

CreateTicket = Callable[..., Ticket]


@pytest.fixture
def incident(
    create_ticket: CreateTicket, requester: User, agent: User, manager: User, monday: datetime
) -> Ticket:
    """A P3 incident in the Service Desk's queue (agent and manager are members)."""
    return create_ticket(requester=requester, now=monday)


def sla_lines(ticket: Ticket) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(ticket=ticket, entry_type=JournalType.SLA))


def outbox(ticket: Ticket, event: str) -> list[str]:
    rows = OutboxMessage.objects.filter(ticket=ticket, event=event).order_by("to_email")
    return [row.to_email for row in rows]


def test_each_threshold_fires_once_with_journal_and_outbox(incident: Ticket) -> None:
    assert sweep_sla_thresholds(now=at("2025-03-03 11:59")) == 0

    assert sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 1
    assert sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 0
    [warning] = sla_lines(incident)
    assert warning.is_internal
    assert warning.data["event"] == "sla_warning"
    assert warning.data["percent"] == 50
    assert warning.data["metric"] == "response"
    assert "reached 50 % of its 4h target (P3)" in warning.body
    assert outbox(incident, "sla_warning") == [
        "alice.agent@example.test",
        "maria.manager@example.test",
    ]

    assert sweep_sla_thresholds(now=at("2025-03-03 13:30")) == 1
    assert sla_lines(incident)[-1].data["percent"] == 75
    # Due exactly now is not a breach yet.
    assert sweep_sla_thresholds(now=at("2025-03-03 14:00")) == 0

    assert sweep_sla_thresholds(now=at("2025-03-03 14:01")) == 1
    assert sweep_sla_thresholds(now=at("2025-03-03 14:05")) == 0
    breach = sla_lines(incident)[-1]
    assert breach.data["event"] == "sla_breach"
    assert breach.data["reached_at"] == "2025-03-03T14:00:00+00:00"
    response = attached(incident, "response")
    assert response.breached_at == at("2025-03-03 14:00")
    assert response.breach_fired_at == at("2025-03-03 14:01")
    assert response.next_event_at is None
    # The resolution SLA's first warning (12 business hours) is next: Tuesday 14:00.
    assert attached(incident, "resolution").next_event_at == at("2025-03-04 14:00")
    assert len(outbox(incident, "sla_breach")) == 2
    assert not outbox(incident, "sla_warning").count("rita.requester@example.test")


def test_a_late_sweep_announces_only_the_breach(incident: Ticket) -> None:
    assert sweep_sla_thresholds(now=at("2025-03-03 15:00")) == 1
    [line] = sla_lines(incident)
    assert line.data["event"] == "sla_breach"
    response = attached(incident, "response")
    assert response.warn_fired_at == response.risk_fired_at == at("2025-03-03 15:00")


def test_stopped_clocks_fire_nothing(incident: Ticket, agent: User) -> None:
    from itsm.workflow.actions import do_add_comment

    do_add_comment(
        incident, body="Looking.", internal=False, actor=agent, now=at("2025-03-03 10:30")
    )
    assert sweep_sla_thresholds(now=at("2025-03-03 15:00")) == 0
    assert sla_lines(incident) == []


def test_limit_bounds_one_pass(
    create_ticket: CreateTicket, requester: User, monday: datetime
) -> None:
    for _ in range(3):
        create_ticket(requester=requester, now=monday)
    assert sweep_sla_thresholds(now=at("2025-03-03 12:00"), limit=2) == 2
    assert sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 1


def test_breach_escalation_reassigns_to_the_parent_and_raises_priority(
    incident: Ticket, service_desk: Group, other_team: Group
) -> None:
    service_desk.escalation_parent = other_team
    service_desk.save()
    rule = EscalationRule.objects.create(
        name="Response breach: tier 2 and raise",
        trigger="sla_breach",
        sla_metric="response",
        reassign_to_parent=True,
        raise_priority=True,
    )

    assert sweep_sla_thresholds(now=at("2025-03-03 14:01")) == 1

    incident.refresh_from_db()
    assert incident.assignment_group == other_team
    assert incident.priority == "P2"
    firing = EscalationFiring.objects.get(rule=rule, ticket=incident)
    assert "Reassigned from Service Desk to Network Team" in firing.summary
    # The raise recomputed the SLAs: the resolution target is now P2's 8 business hours.
    resolution = attached(incident, "resolution")
    assert (resolution.priority, resolution.due_at) == ("P2", at("2025-03-04 10:00"))
    # At P2, 4 business hours are already half the resolution target: that warning is due now.
    assert sweep_sla_thresholds(now=at("2025-03-03 14:30")) == 1
    last = sla_lines(incident)[-1].data
    assert (last["metric"], last["percent"], last["reached_at"]) == (
        "resolution",
        50,
        "2025-03-03T14:00:00+00:00",
    )
    assert EscalationFiring.objects.filter(rule=rule).count() == 1


def test_warning_escalation_at_75_percent_notifies_the_group_manager(
    incident: Ticket, manager: User
) -> None:
    EscalationRule.objects.create(
        name="75 % of response: tell the manager",
        trigger="sla_warning",
        sla_metric="response",
        sla_percent=75,
        notify_managers=True,
    )
    sweep_sla_thresholds(now=at("2025-03-03 12:00"))
    assert outbox(incident, "escalation") == []

    sweep_sla_thresholds(now=at("2025-03-03 13:00"))
    assert outbox(incident, "escalation") == ["maria.manager@example.test"]


def test_sweep_queries_do_not_grow_per_quiet_instance(
    create_ticket: CreateTicket,
    requester: User,
    monday: datetime,
    django_assert_max_num_queries: object,
) -> None:
    for _ in range(5):
        create_ticket(requester=requester, now=monday)
    # Nothing due: one indexed query answers.
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        assert sweep_sla_thresholds(now=at("2025-03-03 11:00")) == 0
    assert SlaInstance.objects.filter(next_event_at__lte=at("2025-03-03 11:00")).count() == 0


def test_a_batch_of_tickets_fires_each_threshold_once_with_each_tickets_people(
    create_ticket: CreateTicket,
    requester: User,
    agent: User,
    manager: User,
    other_team: Group,
    monday: datetime,
) -> None:
    from itsm.notifications.compose import compose
    from itsm.taxonomy.models import Category
    from itsm.workflow.actions import do_assign_ticket

    queued = create_ticket(requester=requester, now=monday)
    assigned = create_ticket(requester=requester, now=monday)
    do_assign_ticket(
        assigned, group=assigned.assignment_group, assignee=agent, actor=manager, now=monday
    )
    hr = Category.objects.create(name="HR case")
    hr.restricted_to_groups.add(other_team)
    payroll = Category.objects.create(name="Payroll", parent=hr)
    # In the Service Desk's queue, but none of its members may see an HR case.
    secret = create_ticket(requester=requester, category=payroll, now=monday)
    EscalationRule.objects.create(
        name="Response breach: tell the manager",
        trigger="sla_breach",
        sla_metric="response",
        notify_managers=True,
    )

    assert sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 3
    assert sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 0
    for ticket in (queued, assigned, secret):
        [line] = sla_lines(ticket)
        assert (line.data["event"], line.data["percent"]) == ("sla_warning", 50)
    assert outbox(queued, "sla_warning") == [agent.email, manager.email]
    assert outbox(assigned, "sla_warning") == [agent.email]
    assert outbox(secret, "sla_warning") == []

    # Each mail is the one ``compose`` writes for its recipient.
    [line] = sla_lines(queued)
    warnings = OutboxMessage.objects.filter(ticket=queued, event="sla_warning")
    for row in warnings.select_related("recipient"):
        mail = compose(
            queued,
            "sla_warning",
            row.recipient,
            actor=None,
            entry=line,
            headline=f"{queued.number}: {line.body}",
        )
        assert mail is not None
        assert (row.subject, row.body, row.headers) == (mail.subject, mail.body, mail.headers)
        assert row.journal_entry == line

    assert sweep_sla_thresholds(now=at("2025-03-03 14:01")) == 3
    assert sweep_sla_thresholds(now=at("2025-03-03 14:05")) == 0
    assert outbox(assigned, "sla_breach") == [agent.email, manager.email]
    assert outbox(secret, "sla_breach") == []
    assert EscalationFiring.objects.count() == 3
    assert outbox(queued, "escalation") == [manager.email]
    lines = JournalEntry.objects.filter(entry_type=JournalType.SLA)
    fired = [
        (e["instance"], e["event"], e["percent"]) for e in lines.values_list("data", flat=True)
    ]
    # Per ticket: the 50 % warning and the breach; the 75 % one, passed by then, is only marked.
    assert len(fired) == len(set(fired)) == 6
    assert SlaInstance.objects.filter(metric="response", risk_fired_at__isnull=True).count() == 0


def test_sweep_queries_do_not_grow_with_due_tickets(
    create_ticket: CreateTicket, requester: User, agent: User, manager: User, monday: datetime
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        create_ticket(requester=requester, now=monday)
    for _ in range(6):
        create_ticket(requester=requester, now=at("2025-03-03 10:30"))

    with CaptureQueriesContext(connection) as two:
        assert sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 2
    with CaptureQueriesContext(connection) as six:
        assert sweep_sla_thresholds(now=at("2025-03-03 12:30")) == 6
    assert len(six.captured_queries) == len(two.captured_queries)
    assert OutboxMessage.objects.filter(event="sla_warning").count() == 2 * 8


def test_compare_and_set_wins_only_empty_marks_of_the_current_cycle(incident: Ticket) -> None:
    from itsm.sla.sweep import Threshold, _compare_and_set

    instance = attached(incident, "response")
    earlier = at("2025-03-03 11:00")
    SlaInstance.objects.filter(pk=instance.pk).update(warn_fired_at=earlier)
    now = at("2025-03-03 14:30")
    passed = {
        instance.pk: [
            Threshold("warning", "warn_fired_at", 50, now),
            Threshold("warning", "risk_fired_at", 75, now),
            Threshold("breach", "breach_fired_at", None, now),
        ]
    }

    stale = SlaInstance(pk=instance.pk, cycle=instance.cycle + 1)  # a cycle that has ended
    assert _compare_and_set([stale], passed, now) == set()
    assert _compare_and_set([instance], passed, now) == {
        (instance.pk, "risk_fired_at"),
        (instance.pk, "breach_fired_at"),
    }
    assert _compare_and_set([instance], passed, now) == set()  # already set: nobody wins again
    stored = SlaInstance.objects.get(pk=instance.pk)
    assert (stored.warn_fired_at, stored.risk_fired_at, stored.breach_fired_at) == (
        earlier,
        now,
        now,
    )
