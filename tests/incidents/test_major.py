"""Major incidents: declaring, the major incident team, children, the resolution cascade."""

from __future__ import annotations

import pytest
from django.db import transaction

from itsm.core.errors import InvalidInput, PermissionDenied
from itsm.incidents.actions import (
    do_attach_to_major_incident,
    do_flag_major_incident,
    do_propose_major_incident,
    do_resolve_incident,
    do_transition_incident,
)
from itsm.incidents.models import Incident
from itsm.notifications.models import OutboxMessage
from itsm.tickets.choices import JournalType, TicketState
from itsm.tickets.models import JournalEntry, Watcher
from itsm.workflow.actions import do_add_comment

pytestmark = pytest.mark.django_db


def test_a_manager_accepts_a_candidate_and_the_team_is_notified(
    open_incident, requester, agent, manager, major_member
):
    ticket = open_incident(requester=requester)
    do_propose_major_incident(ticket, reason="40 calls in 10 minutes", actor=agent)
    assert Incident.objects.get(ticket=ticket).is_major_candidate

    with pytest.raises(PermissionDenied), transaction.atomic():
        do_flag_major_incident(ticket, manager=agent, reason="Payroll down", actor=agent)
    do_flag_major_incident(ticket, manager=agent, reason="Payroll down", actor=manager)

    incident = Incident.objects.get(ticket=ticket)
    assert incident.is_major
    assert not incident.is_major_candidate
    assert incident.major_incident_manager == agent
    assert incident.major_flagged_by == manager
    entry = JournalEntry.objects.filter(ticket=ticket, data__event="major_incident").get()
    assert "Payroll down" in entry.body
    notified = set(
        OutboxMessage.objects.filter(
            ticket=ticket, event="major_incident", journal_entry=entry
        ).values_list("recipient__email", flat=True)
    )
    assert notified == {agent.email, major_member.email}
    assert set(Watcher.objects.filter(ticket=ticket).values_list("user", flat=True)) == {
        agent.pk,
        major_member.pk,
    }


def test_the_team_hears_of_each_update(open_incident, requester, agent, manager, major_member):
    ticket = open_incident(requester=requester)
    do_flag_major_incident(ticket, manager=manager, reason="Mail down", actor=manager)

    do_add_comment(ticket, body="Cause found: full disk", internal=True, actor=agent)
    do_transition_incident(ticket, "in_progress", actor=agent)

    events = set(
        OutboxMessage.objects.filter(ticket=ticket, recipient=major_member).values_list(
            "event", flat=True
        )
    )
    assert {"major_incident", "work_note", "state_changed"} <= events


def test_resolving_the_major_incident_resolves_its_open_children(
    open_incident, requester, other_requester, agent, manager
):
    major = open_incident(requester=requester, title="Mail is down")
    open_child = open_incident(requester=other_requester, title="Cannot send mail")
    pending_child = open_incident(requester=other_requester, title="Outlook offline")
    closed_child = open_incident(requester=requester, title="Mail slow")
    do_flag_major_incident(major, manager=manager, reason="Everyone affected", actor=manager)
    for child in (open_child, pending_child, closed_child):
        do_attach_to_major_incident(child, major=major, actor=agent)
    do_transition_incident(pending_child, "pending_user", actor=agent, reason="Which client?")
    do_transition_incident(closed_child, "cancelled", actor=agent, reason="Duplicate")

    do_resolve_incident(
        major, resolution_code="solved_permanently", resolution_notes="Disk replaced", actor=agent
    )

    for child in (open_child, pending_child):
        child.refresh_from_db()
        assert child.state == TicketState.RESOLVED
        assert child.resolution_code == "solved_permanently"
        assert child.resolution_notes == f"Resolved with {major.number}: Disk replaced"
        entry = JournalEntry.objects.filter(ticket=child, entry_type=JournalType.TRANSITION).last()
        assert entry.new_value == "resolved"
        assert entry.actor == agent
        assert OutboxMessage.objects.filter(
            ticket=child, recipient=other_requester, event="state_changed"
        ).exists()
    closed_child.refresh_from_db()
    assert closed_child.state == TicketState.CANCELLED


def test_only_open_incidents_attach_to_a_declared_major_incident(
    open_incident, requester, agent, manager
):
    major = open_incident(requester=requester)
    child = open_incident(requester=requester)

    with pytest.raises(InvalidInput), transaction.atomic():
        do_attach_to_major_incident(child, major=major, actor=agent)
    do_flag_major_incident(major, manager=manager, reason="Outage", actor=manager)
    with pytest.raises(InvalidInput), transaction.atomic():
        do_attach_to_major_incident(major, major=major, actor=agent)
    with pytest.raises(PermissionDenied), transaction.atomic():
        do_attach_to_major_incident(child, major=major, actor=requester)
    do_attach_to_major_incident(child, major=major, actor=agent)

    child.refresh_from_db()
    assert child.parent == major
