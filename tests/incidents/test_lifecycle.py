"""The incident lifecycle: every transition, the illegal ones, reopen, auto-close, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from itsm.core.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from itsm.incidents.actions import (
    do_confirm_resolution,
    do_open_incident,
    do_resolve_incident,
    do_transition_incident,
    hold_reason_of,
    sweep_auto_close,
)
from itsm.incidents.models import Incident
from itsm.notifications.models import OutboxMessage
from itsm.tickets.choices import JournalType, TicketState
from itsm.tickets.models import JournalEntry, Ticket, TicketLink
from itsm.workflow.actions import (
    do_add_comment,
    do_assign_ticket,
    do_override_priority,
    do_set_impact_urgency,
)

pytestmark = pytest.mark.django_db


def _transitions(ticket: Ticket) -> list[tuple[str, str, str]]:
    return list(
        JournalEntry.objects.filter(ticket=ticket, entry_type=JournalType.TRANSITION)
        .order_by("created_at", "id")
        .values_list("old_value", "new_value", "body")
    )


def test_logging_an_incident_computes_priority_and_routes_to_the_service_desk(
    open_incident, requester, agent, service_desk
):
    ticket = open_incident(
        requester=requester, actor=agent, impact="high", urgency="medium", channel="phone"
    )

    assert ticket.number.startswith("INC")
    assert ticket.state == TicketState.NEW
    assert ticket.priority == "P2"
    assert ticket.channel == "phone"
    assert ticket.assignment_group == service_desk
    assert Incident.objects.filter(ticket=ticket).exists()
    created = JournalEntry.objects.filter(ticket=ticket).first()
    assert created.body == "Incident opened via Phone."
    ack = OutboxMessage.objects.get(ticket=ticket, recipient=requester)
    assert ack.event == "created"
    assert f"[{ticket.number}]" in ack.subject


def test_the_whole_lifecycle_with_side_states_is_journaled(open_incident, requester, agent):
    ticket = open_incident(requester=requester)

    do_assign_ticket(ticket, group=None, assignee=agent, actor=agent)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ASSIGNED
    do_transition_incident(ticket, "in_progress", actor=agent)
    do_transition_incident(ticket, "Pending User", actor=agent, reason="Which client version?")
    ticket.refresh_from_db()
    assert hold_reason_of(ticket) == "Which client version?"
    do_transition_incident(ticket, "in_progress", actor=agent)
    do_transition_incident(ticket, "waiting_for_vendor", actor=agent, reason="Vendor case 42")
    do_transition_incident(ticket, "on_hold", actor=agent, reason="Change freeze")
    ticket.refresh_from_db()
    assert Incident.objects.get(ticket=ticket).hold_reason == "Change freeze"
    do_resolve_incident(
        ticket, resolution_code="solved_permanently", resolution_notes="New profile", actor=agent
    )
    do_confirm_resolution(ticket, actor=requester)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert hold_reason_of(ticket) == ""
    assert [(old, new) for old, new, _ in _transitions(ticket)] == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "pending_user"),
        ("pending_user", "in_progress"),
        ("in_progress", "waiting_for_vendor"),
        ("waiting_for_vendor", "on_hold"),
        ("on_hold", "resolved"),
        ("resolved", "closed"),
    ]
    bodies = [body for _, _, body in _transitions(ticket)]
    assert "Which client version?" in bodies
    assert "Solved (permanently): New profile" in bodies
    last = JournalEntry.objects.filter(ticket=ticket, entry_type=JournalType.TRANSITION).last()
    assert last.actor == requester


@pytest.mark.parametrize(
    ("setup", "target", "actor_name"),
    [
        ([], "closed", "agent"),
        ([], "on_hold", "agent"),
        (["in_progress"], "cancelled", "agent"),
        (["in_progress"], "in_progress", "agent"),
        (["in_progress"], "resolved", "requester"),
        (["cancel"], "in_progress", "agent"),
    ],
)
def test_illegal_transitions_are_refused_with_the_allowed_ones(
    open_incident, requester, agent, setup, target, actor_name
):
    ticket = open_incident(requester=requester)
    for step in setup:
        if step == "cancel":
            do_transition_incident(ticket, "cancelled", actor=agent, reason="Duplicate call")
        else:
            do_transition_incident(ticket, step, actor=agent)
    ticket.refresh_from_db()
    actor = {"agent": agent, "requester": requester}[actor_name]
    version = ticket.version

    with pytest.raises(TransitionNotAllowed) as caught, transaction.atomic():
        do_transition_incident(
            ticket,
            target,
            actor=actor,
            reason="x",
            resolution_code="workaround",
            resolution_notes="x",
        )

    assert "cannot move" in caught.value.detail
    assert "allowed_transitions" in caught.value.extra
    ticket.refresh_from_db()
    assert ticket.version == version


def test_side_states_need_a_reason_and_resolving_needs_code_and_notes(
    open_incident, requester, agent
):
    ticket = open_incident(requester=requester)
    do_transition_incident(ticket, "in_progress", actor=agent)

    for state in ("pending_user", "waiting_for_vendor", "on_hold"):
        with pytest.raises(InvalidInput) as caught, transaction.atomic():
            do_transition_incident(ticket, state, actor=agent, reason="  ")
        assert caught.value.field == "reason"
    with pytest.raises(InvalidInput) as caught, transaction.atomic():
        do_resolve_incident(ticket, resolution_code="", resolution_notes="Fixed", actor=agent)
    assert caught.value.field == "resolution_code"
    with pytest.raises(InvalidInput) as caught, transaction.atomic():
        do_resolve_incident(ticket, resolution_code="workaround", resolution_notes=" ", actor=agent)
    assert caught.value.field == "resolution_notes"


def test_a_requester_reply_moves_it_out_of_pending_user(open_incident, requester, agent):
    ticket = open_incident(requester=requester)
    do_assign_ticket(ticket, group=None, assignee=agent, actor=agent)
    do_transition_incident(ticket, "pending_user", actor=agent, reason="Screenshot please")

    do_add_comment(ticket, body="Here it is", internal=False, actor=requester)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS
    assert _transitions(ticket)[-1] == ("pending_user", "in_progress", "The requester replied.")
    assert OutboxMessage.objects.filter(ticket=ticket, recipient=agent, event="comment").exists()


def test_cancellation_from_new_or_assigned_needs_a_reason(open_incident, requester, agent):
    first = open_incident(requester=requester)
    second = open_incident(requester=requester)
    do_assign_ticket(second, group=None, assignee=agent, actor=agent)

    with pytest.raises(InvalidInput), transaction.atomic():
        do_transition_incident(first, "cancelled", actor=requester)
    do_transition_incident(first, "cancelled", actor=requester, reason="Works again")
    do_transition_incident(second, "cancelled", actor=agent, reason="Logged twice")

    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.state == TicketState.CANCELLED
    assert _transitions(first)[-1] == ("new", "cancelled", "Works again")


def _resolved(open_incident, requester, agent, at):
    ticket = open_incident(requester=requester, now=at)
    do_resolve_incident(
        ticket, resolution_code="workaround", resolution_notes="Restarted", actor=agent, now=at
    )
    ticket.refresh_from_db()
    return ticket


def test_reopen_inside_the_window_by_reply_or_agent(open_incident, requester, agent, settings):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    now = timezone.now()
    by_reply = _resolved(open_incident, requester, agent, now - timedelta(days=6))
    by_agent = _resolved(open_incident, requester, agent, now - timedelta(days=6))

    do_add_comment(by_reply, body="Still broken", internal=False, actor=requester, now=now)
    do_transition_incident(by_agent, "in_progress", actor=agent, now=now)

    for ticket in (by_reply, by_agent):
        ticket.refresh_from_db()
        assert ticket.state == TicketState.IN_PROGRESS
        assert ticket.resolved_at is None
        assert ticket.resolution_code == ""
    assert _transitions(by_reply)[-1][2] == "The requester replied: not fixed."


def test_after_the_window_a_reply_opens_a_linked_incident(
    open_incident, requester, agent, settings
):
    settings.ITSM_REOPEN_WINDOW_DAYS = 7
    now = timezone.now()
    old = _resolved(open_incident, requester, agent, now - timedelta(days=8))

    with pytest.raises(TransitionNotAllowed) as caught, transaction.atomic():
        do_transition_incident(old, "in_progress", actor=agent, now=now)
    assert "reopen window" in caught.value.detail
    do_add_comment(old, body="It is back", internal=False, actor=requester, now=now)

    old.refresh_from_db()
    assert old.state == TicketState.RESOLVED
    link = TicketLink.objects.get(target=old)
    follow_up = link.source
    assert follow_up.kind == "incident"
    assert follow_up.state == TicketState.NEW
    assert "It is back" in follow_up.description
    assert old.number in follow_up.description


def test_auto_close_after_n_days_and_requester_confirms_earlier(
    open_incident, requester, agent, settings
):
    settings.ITSM_AUTO_CLOSE_DAYS = 5
    now = timezone.now()
    due = _resolved(open_incident, requester, agent, now - timedelta(days=5, seconds=1))
    young = _resolved(open_incident, requester, agent, now - timedelta(days=4))
    confirmed = _resolved(open_incident, requester, agent, now - timedelta(days=1))
    do_confirm_resolution(confirmed, actor=requester, now=now)

    assert sweep_auto_close(now=now) == 1
    assert sweep_auto_close(now=now) == 0

    states = {t.pk: t.state for t in Ticket.objects.filter(pk__in=[due.pk, young.pk, confirmed.pk])}
    assert states == {due.pk: "closed", young.pk: "resolved", confirmed.pk: "closed"}
    entry = JournalEntry.objects.filter(ticket=due, entry_type=JournalType.TRANSITION).last()
    assert entry.actor is None
    assert entry.body == "Closed automatically 5 days after resolution."
    with pytest.raises(TransitionNotAllowed), transaction.atomic():
        do_transition_incident(due, "in_progress", actor=agent)


def test_priority_follows_the_matrix_and_a_manager_overrides_it_with_a_reason(
    open_incident, requester, agent, manager
):
    ticket = open_incident(requester=requester, impact="low", urgency="low")
    assert ticket.priority == "P5"
    do_set_impact_urgency(ticket, impact="high", urgency="high", actor=agent)
    ticket.refresh_from_db()
    assert ticket.priority == "P1"

    with pytest.raises(PermissionDenied), transaction.atomic():
        do_override_priority(ticket, priority="P3", reason="Not that bad", actor=agent)
    do_override_priority(ticket, priority="P3", reason="Only one user affected", actor=manager)

    ticket.refresh_from_db()
    assert ticket.priority == "P3"
    entry = JournalEntry.objects.filter(ticket=ticket, field="priority").last()
    assert (entry.old_value, entry.new_value, entry.body) == ("P1", "P3", "Only one user affected")
    assert entry.actor == manager


def test_requesters_log_incidents_only_for_themselves(requester, other_requester, service_desk):
    with pytest.raises(PermissionDenied), transaction.atomic():
        do_open_incident(title="x", description="", requester=other_requester, actor=requester)


def test_refused_incidents_leave_the_callers_transaction_usable(open_incident, requester):
    with transaction.atomic():
        for bad in ({"impact": "huge"}, {"title": "  "}, {"channel": "pigeon"}):
            with pytest.raises(InvalidInput):
                open_incident(requester=requester, **bad)
        ticket = open_incident(requester=requester)
        assert Ticket.objects.filter(pk=ticket.pk).exists()
        assert ticket.incident.ticket_id == ticket.pk


def test_auto_close_does_at_most_its_limit_per_pass_oldest_first(
    open_incident, requester, agent, settings
):
    settings.ITSM_AUTO_CLOSE_DAYS = 5
    now = timezone.now()
    older = _resolved(open_incident, requester, agent, now - timedelta(days=7))
    old = _resolved(open_incident, requester, agent, now - timedelta(days=6))

    assert sweep_auto_close(now=now, limit=1) == 1
    assert Ticket.objects.get(pk=older.pk).state == "closed"
    assert Ticket.objects.get(pk=old.pk).state == "resolved"
    assert sweep_auto_close(now=now, limit=1) == 1
    assert sweep_auto_close(now=now, limit=1) == 0
    closing = JournalEntry.objects.get(ticket=old, entry_type="transition", new_value="closed")
    assert closing.body == "Closed automatically 5 days after resolution."
