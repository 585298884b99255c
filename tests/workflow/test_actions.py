"""Generic ticket actions: each asserts the state change, the journal line and what follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.core.errors import InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed
from itsm.tickets.choices import JournalType, LinkType
from itsm.tickets.models import JournalEntry, Ticket, TicketLink
from itsm.workflow.actions import (
    do_add_comment,
    do_assign_ticket,
    do_override_priority,
    do_set_impact_urgency,
    do_transition_ticket,
)

pytestmark = pytest.mark.django_db


def _journal(ticket: Ticket, entry_type: str) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(ticket=ticket, entry_type=entry_type))


def test_create_numbers_prioritises_and_journals(create_ticket, requester):
    first = create_ticket(requester=requester, impact="high", urgency="high")
    second = create_ticket(requester=requester, impact="low", urgency="low")

    assert first.number.startswith("INC")
    assert len(first.number) == 10
    assert int(second.number[3:]) == int(first.number[3:]) + 1
    assert (first.priority, second.priority) == ("P1", "P5")
    created = _journal(first, JournalType.SYSTEM)[0]
    assert created.data == {"event": "created", "state": "new", "priority": "P1"}
    assert first.organization == requester.organization


def test_empty_title_is_refused_and_nothing_is_stored(create_ticket, requester):
    with pytest.raises(InvalidInput) as error:
        create_ticket(requester=requester, title="   ")
    assert error.value.field == "title"
    assert Ticket.objects.count() == 0


def test_assigning_an_agent_moves_new_to_assigned(create_ticket, requester, agent, service_desk):
    ticket = create_ticket(requester=requester)

    ticket = do_assign_ticket(ticket, group=service_desk, assignee=agent, actor=agent)

    assert ticket.state == "assigned"
    assert ticket.assignee == agent
    transitions = _journal(ticket, JournalType.TRANSITION)
    assert [(t.old_value, t.new_value) for t in transitions] == [("new", "assigned")]


def test_assignee_must_belong_to_the_group(
    create_ticket, requester, other_team_agent, service_desk
):
    ticket = create_ticket(requester=requester)
    with pytest.raises(InvalidInput, match="not a member"):
        do_assign_ticket(
            ticket, group=service_desk, assignee=other_team_agent, actor=other_team_agent
        )


def test_first_public_agent_comment_is_the_first_response(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    do_add_comment(ticket, body="internal thoughts", internal=True, actor=agent)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None

    entry = do_add_comment(ticket, body="We are on it.", internal=False, actor=agent)

    ticket.refresh_from_db()
    assert ticket.first_responded_at == entry.created_at
    assert entry.data == {"first_response": True}


def test_requester_cannot_write_work_notes(create_ticket, requester):
    ticket = create_ticket(requester=requester)
    with pytest.raises(PermissionDenied):
        do_add_comment(ticket, body="sneaky", internal=True, actor=requester)


def test_stranger_cannot_comment(create_ticket, requester, other_requester):
    ticket = create_ticket(requester=requester)
    with pytest.raises(PermissionDenied):
        do_add_comment(ticket, body="hello", internal=False, actor=other_requester)


def test_requester_reply_moves_pending_user_back_to_in_progress(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    do_transition_ticket(ticket, "in_progress", actor=agent)
    do_transition_ticket(ticket, "Pending User", actor=agent, reason="Which printer?")

    do_add_comment(ticket, body="The one by the kitchen.", internal=False, actor=requester)

    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    last = _journal(ticket, JournalType.TRANSITION)[-1]
    assert (last.old_value, last.new_value, last.actor) == (
        "pending_user",
        "in_progress",
        requester,
    )


def test_side_states_need_a_reason(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    with pytest.raises(InvalidInput) as error:
        do_transition_ticket(ticket, "pending_user", actor=agent)
    assert error.value.field == "reason"


def test_illegal_transition_lists_the_allowed_ones(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    with pytest.raises(TransitionNotAllowed) as error:
        do_transition_ticket(ticket, "closed", actor=agent)
    assert "closed" not in error.value.extra["allowed_transitions"]
    assert "in_progress" in error.value.extra["allowed_transitions"]


def _resolve(ticket, agent, now=None):
    return do_transition_ticket(
        ticket,
        "resolved",
        actor=agent,
        resolution_code="workaround",
        resolution_notes="Restarted the spooler.",
        now=now,
    )


def test_resolving_needs_code_and_notes(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    with pytest.raises(InvalidInput) as error:
        do_transition_ticket(ticket, "resolved", actor=agent, resolution_code="workaround")
    assert error.value.field == "resolution_notes"


def test_requester_reply_reopens_inside_the_window(create_ticket, requester, agent):
    ticket = _resolve(create_ticket(requester=requester), agent)

    do_add_comment(ticket, body="Still jams.", internal=False, actor=requester)

    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    assert ticket.resolved_at is None
    assert ticket.resolution_code == ""


def test_reply_after_the_window_opens_a_linked_follow_up(create_ticket, requester, agent, settings):
    past = timezone.now() - timedelta(days=settings.ITSM_REOPEN_WINDOW_DAYS + 1)
    ticket = _resolve(create_ticket(requester=requester, now=past), agent, now=past)

    entry = do_add_comment(ticket, body="It is broken again.", internal=False, actor=requester)

    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert entry.data == {"follow_up": follow_up.number}
    assert "It is broken again." in follow_up.description
    assert TicketLink.objects.filter(
        source=follow_up, target=ticket, link_type=LinkType.RELATED
    ).exists()


def test_stale_version_is_refused_with_who_changed_what(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    read_version = ticket.version
    do_transition_ticket(ticket, "in_progress", actor=agent, expected_version=read_version)

    with pytest.raises(StaleVersion) as error:
        do_transition_ticket(
            ticket, "on_hold", actor=agent, reason="parts", expected_version=read_version
        )

    assert "Alice Agent" in error.value.detail
    assert "New → In Progress" in error.value.detail
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"


def test_impact_urgency_recomputes_priority(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester, impact="low", urgency="low")

    ticket = do_set_impact_urgency(ticket, impact="high", urgency="medium", actor=agent)

    assert ticket.priority == "P2"
    changes = {
        e.field: (e.old_value, e.new_value) for e in _journal(ticket, JournalType.FIELD_CHANGE)
    }
    assert changes["priority"] == ("P5", "P2")


def test_only_managers_override_priority_and_need_a_reason(
    create_ticket, requester, agent, manager
):
    ticket = create_ticket(requester=requester)
    with pytest.raises(PermissionDenied):
        do_override_priority(ticket, priority="P1", reason="CEO", actor=agent)
    with pytest.raises(InvalidInput):
        do_override_priority(ticket, priority="P1", reason=" ", actor=manager)

    ticket = do_override_priority(
        ticket, priority="P1", reason="Board meeting in 1 h", actor=manager
    )

    assert ticket.priority == "P1"
    entry = _journal(ticket, JournalType.FIELD_CHANGE)[-1]
    assert (entry.field, entry.body, entry.data) == (
        "priority",
        "Board meeting in 1 h",
        {"override": True},
    )


def test_every_journal_line_of_one_change_carries_the_version_it_produced(
    create_ticket, requester, agent, service_desk
):
    ticket = create_ticket(requester=requester)
    assert ticket.version == 1
    assert set(JournalEntry.objects.filter(ticket=ticket).values_list("version", flat=True)) == {1}

    do_assign_ticket(ticket, group=service_desk, assignee=agent, actor=agent, expected_version=1)

    ticket.refresh_from_db()
    assert ticket.version == 2
    second = JournalEntry.objects.filter(ticket=ticket, version=2)
    assert {e.field for e in second} == {"assignee", "state"}


def test_stale_message_names_changes_written_before_the_save(
    create_ticket, requester, agent, service_desk
):
    ticket = create_ticket(requester=requester)
    do_assign_ticket(ticket, group=service_desk, assignee=agent, actor=agent, expected_version=1)

    with pytest.raises(StaleVersion) as error:
        do_set_impact_urgency(
            ticket, impact="high", urgency="high", actor=agent, expected_version=1
        )

    assert "assignee: (empty) → Alice Agent" in error.value.detail
