"""Incident Management's writes: open, move along the lifecycle, resolve, major incidents, auto-close.

The lifecycle itself is data (tickets/lifecycles.py) applied by the generic workflow actions; these
add what only incidents have (the 1:1 Incident row, the on-hold reason, major incidents).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.errors import ActionError, InvalidInput, PermissionDenied
from itsm.incidents.models import Incident
from itsm.notifications.actions import notify_people, notify_ticket_event
from itsm.notifications.choices import TicketEvent
from itsm.taxonomy.choices import Impact, TicketKind, Urgency
from itsm.taxonomy.models import Category
from itsm.tickets.actions import lock_ticket, save_ticket
from itsm.tickets.choices import PAUSE_STATES, Channel, JournalType, TicketState
from itsm.tickets.events import system_event
from itsm.tickets.models import JournalEntry, Ticket, Watcher
from itsm.workflow.actions import (
    UploadedFile,
    check_new_ticket,
    do_assign_ticket,
    do_categorise_ticket,
    do_create_ticket,
    do_edit_ticket_details,
    do_override_priority,
    do_set_impact_urgency,
    do_transition_ticket,
    parse_state,
)

logger = logging.getLogger(__name__)


def incident_of(ticket: Ticket) -> Incident:
    """The ticket's Incident row, created on first use for incidents opened by generic paths
    (follow-ups, intake written against the ticket core)."""
    if ticket.kind != TicketKind.INCIDENT:
        raise InvalidInput("number", f"{ticket.number} is not an incident.")
    incident, _ = Incident.objects.get_or_create(ticket=ticket)
    return incident


def hold_reason_of(ticket: Ticket) -> str:
    """Why the incident waits, while it is in a side state: the stored reason, else the journal's."""
    if ticket.state not in PAUSE_STATES:
        return ""
    incident = Incident.objects.filter(ticket=ticket).first()
    if incident is not None and incident.hold_reason:
        return incident.hold_reason
    entry = (
        JournalEntry.objects.filter(
            ticket=ticket, entry_type=JournalType.TRANSITION, new_value=ticket.state
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return entry.body if entry is not None else ""


def do_open_incident(
    *,
    title: str,
    description: str,
    requester: User,
    actor: User | None,
    impact: str = Impact.MEDIUM,
    urgency: str = Urgency.MEDIUM,
    category: Category | None = None,
    service: Service | None = None,
    configuration_item: ConfigurationItem | None = None,
    channel: str = Channel.PORTAL,
    attachments: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Ticket:
    """Log an incident: the ticket (number, matrix priority, routing, SLAs, journal, notifications)
    and its Incident row. Agents may log one for another requester; requesters only for themselves."""
    if actor is not None and not actor.is_agent and actor.pk != requester.pk:
        raise PermissionDenied("Only agents log incidents for someone else.")
    if not requester.is_active:
        raise InvalidInput("requester", f"{requester} is not an active account.")
    check_new_ticket(
        TicketKind.INCIDENT,
        title=title,
        description=description,
        impact=impact,
        urgency=urgency,
        channel=channel,
        category=category,
    )
    # Input is checked: within a caller's transaction (the API's) the writes need no savepoint
    # of their own, unless an attachment may still be refused (its type is read from its bytes).
    with transaction.atomic(savepoint=bool(attachments)):
        ticket = do_create_ticket(
            kind=TicketKind.INCIDENT,
            title=title,
            description=description,
            requester=requester,
            actor=actor,
            impact=impact,
            urgency=urgency,
            category=category,
            service=service,
            configuration_item=configuration_item,
            channel=channel,
            attachments=attachments,
            now=now,
        )
        Incident.objects.create(ticket=ticket)
    return ticket


@transaction.atomic
def do_transition_incident(
    ticket: Ticket,
    to_state: str,
    *,
    actor: User | None,
    reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Move an incident along its lifecycle, keeping the on-hold reason of the side states.

    Resolving a major incident resolves its open children (see workflow.do_transition_ticket).
    """
    incident_of(ticket)
    ticket = do_transition_ticket(
        ticket,
        to_state,
        actor=actor,
        reason=reason,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
        expected_version=expected_version,
        now=now,
    )
    incident = Incident.objects.select_for_update().get(ticket=ticket)
    hold_reason = reason.strip() if ticket.state in PAUSE_STATES else ""
    if incident.hold_reason != hold_reason:
        incident.hold_reason = hold_reason
        incident.save(update_fields=["hold_reason", "updated_at"])
    return ticket


def do_resolve_incident(
    ticket: Ticket,
    *,
    resolution_code: str,
    resolution_notes: str,
    actor: User | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Resolve with a resolution code and notes (a major incident's open children follow)."""
    return do_transition_incident(
        ticket,
        TicketState.RESOLVED,
        actor=actor,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
        expected_version=expected_version,
        now=now,
    )


def do_confirm_resolution(ticket: Ticket, *, actor: User, now: datetime | None = None) -> Ticket:
    """The requester confirms the resolution: Resolved → Closed before the automatic closure."""
    return do_transition_incident(
        ticket,
        TicketState.CLOSED,
        actor=actor,
        reason="The requester confirmed the resolution.",
        now=now,
    )


def _lock_incident(ticket: Ticket) -> tuple[Ticket, Incident]:
    locked = lock_ticket(ticket, expected_version=None)
    incident_of(locked)
    return locked, Incident.objects.select_for_update().get(ticket=locked)


def _major_team() -> list[User]:
    return list(
        User.objects.filter(assignment_groups__is_major_incident_team=True, is_active=True)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def do_propose_major_incident(
    ticket: Ticket, *, reason: str, actor: User, now: datetime | None = None
) -> Incident:
    """An agent proposes the incident as a major incident candidate; a manager accepts or not."""
    now = now or timezone.now()
    if not actor.is_agent:
        raise PermissionDenied("Only agents propose major incidents.")
    if not reason.strip():
        raise InvalidInput("reason", "Say why this may be a major incident.")
    locked, incident = _lock_incident(ticket)
    if incident.is_major:
        raise ActionError(f"{locked.number} already is a major incident.")
    if not locked.is_active:
        raise InvalidInput("state", f"{locked.number} is {locked.get_state_display()}.")
    incident.is_major_candidate = True
    incident.major_candidate_reason = reason.strip()
    incident.save(update_fields=["is_major_candidate", "major_candidate_reason", "updated_at"])
    save_ticket(locked, [])
    entry = system_event(
        locked,
        f"Proposed as a major incident: {reason.strip()}",
        actor=actor,
        data={"event": "major_incident_proposed"},
        at=now,
    )
    group = locked.assignment_group
    managers = [group.manager] if group is not None and group.manager is not None else []
    notify_people(
        locked,
        TicketEvent.MAJOR_INCIDENT,
        [*managers, *_major_team()],
        actor=actor,
        headline=f"{actor} proposes {locked.number} as a major incident: {reason.strip()}",
        details="A manager declares it a major incident, or leaves it as it is.",
        entry=entry,
        now=now,
    )
    return incident


@transaction.atomic
def do_flag_major_incident(
    ticket: Ticket,
    *,
    manager: User,
    reason: str,
    actor: User,
    now: datetime | None = None,
) -> Incident:
    """A manager declares a major incident and names its major incident manager. The major incident
    team and the manager become watchers, so they hear of every update, and are notified now."""
    now = now or timezone.now()
    if not actor.is_manager:
        raise PermissionDenied("Only managers declare major incidents.")
    if not manager.is_agent or not manager.is_active:
        raise InvalidInput("manager", f"{manager} cannot manage a major incident (not an agent).")
    if not reason.strip():
        raise InvalidInput("reason", "Declaring a major incident needs a reason.")
    locked, incident = _lock_incident(ticket)
    if not locked.is_active:
        raise InvalidInput("state", f"{locked.number} is {locked.get_state_display()}.")
    if locked.parent_id is not None:
        raise InvalidInput("number", f"{locked.number} is attached to another major incident.")
    was_major = incident.is_major
    incident.is_major = True
    incident.is_major_candidate = False
    incident.major_incident_manager = manager
    if not was_major:
        incident.major_flagged_at = now
        incident.major_flagged_by = actor
    incident.save()
    save_ticket(locked, [])
    what = "Major incident manager changed" if was_major else "Declared a major incident"
    entry = system_event(
        locked,
        f"{what}: {reason.strip()} Major incident manager: {manager}.",
        actor=actor,
        data={"event": "major_incident", "manager": manager.pk},
        at=now,
    )
    team = _major_team()
    for person in [manager, *team]:
        Watcher.objects.get_or_create(ticket=locked, user=person)
    notify_people(
        locked,
        TicketEvent.MAJOR_INCIDENT,
        [manager, *team],
        actor=actor,
        headline=f"{locked.number} is a major incident ({actor}): {reason.strip()}",
        details=f"Major incident manager: {manager}.",
        entry=entry,
        now=now,
    )
    return incident


@transaction.atomic
def do_attach_to_major_incident(
    child: Ticket, *, major: Ticket, actor: User, now: datetime | None = None
) -> Ticket:
    """Attach an incident as a child of a major incident: it is resolved when the major one is."""
    now = now or timezone.now()
    if not actor.is_agent:
        raise PermissionDenied("Only agents attach incidents to a major incident.")
    if child.pk == major.pk:
        raise InvalidInput("child", "An incident cannot be attached to itself.")
    major_locked, major_incident = _lock_incident(major)
    if not major_incident.is_major:
        raise InvalidInput("number", f"{major_locked.number} is not a major incident.")
    if not major_locked.is_active:
        raise InvalidInput(
            "number", f"{major_locked.number} is {major_locked.get_state_display()}."
        )
    locked, child_incident = _lock_incident(child)
    if child_incident.is_major:
        raise InvalidInput("child", f"{locked.number} is a major incident itself.")
    if not locked.is_active:
        raise InvalidInput("child", f"{locked.number} is {locked.get_state_display()}.")
    if locked.parent_id == major_locked.pk:
        return locked
    if locked.parent_id is not None:
        raise InvalidInput("child", f"{locked.number} is attached to another major incident.")
    locked.parent = major_locked
    save_ticket(locked, ["parent"])
    system_event(
        locked,
        f"Attached to major incident {major_locked.number}; it is resolved when that one is.",
        actor=actor,
        internal=False,
        data={"event": "attached", "major": major_locked.number},
        at=now,
    )
    save_ticket(major_locked, [])
    entry = system_event(
        major_locked,
        f"{locked.number} ({locked.title}) attached as a child incident.",
        actor=actor,
        data={"event": "child_attached", "child": locked.number},
        at=now,
    )
    notify_ticket_event(major_locked, TicketEvent.UPDATED, actor=actor, entry=entry, now=now)
    return locked


@transaction.atomic
def do_update_incident(
    ticket: Ticket,
    *,
    actor: User,
    expected_version: int | None,
    title: str | None = None,
    description: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
    category: Category | None | object = ...,
    service: Service | None | object = ...,
    configuration_item: ConfigurationItem | None | object = ...,
    priority: str | None = None,
    priority_reason: str = "",
    assignment_group: Group | None | object = ...,
    assignee: User | None | object = ...,
    now: datetime | None = None,
) -> Ticket:
    """Apply a set of edits at once (the API's PATCH): all or nothing, one version check.

    ``...`` means "leave as it is" for fields where None means "clear". Each edit goes through its
    own intent-named action, which journals it.
    """
    now = now or timezone.now()
    incident_of(ticket)
    ticket = lock_ticket(ticket, expected_version=expected_version)
    if title is not None or description is not None:
        ticket = do_edit_ticket_details(
            ticket, title=title, description=description, actor=actor, now=now
        )
    if impact is not None or urgency is not None:
        ticket = do_set_impact_urgency(
            ticket,
            impact=impact or ticket.impact,
            urgency=urgency or ticket.urgency,
            actor=actor,
            now=now,
        )
    if any(value is not ... for value in (category, service, configuration_item)):
        ticket = do_categorise_ticket(
            ticket,
            category=ticket.category if category is ... else category,  # type: ignore[arg-type]
            service=ticket.service if service is ... else service,  # type: ignore[arg-type]
            configuration_item=(
                ticket.configuration_item if configuration_item is ... else configuration_item  # type: ignore[arg-type]
            ),
            actor=actor,
            now=now,
        )
    if priority is not None:
        ticket = do_override_priority(
            ticket, priority=priority, reason=priority_reason, actor=actor, now=now
        )
    if assignment_group is not ... or assignee is not ...:
        ticket = do_assign_ticket(
            ticket,
            group=ticket.assignment_group if assignment_group is ... else assignment_group,  # type: ignore[arg-type]
            assignee=None if assignee is ... else assignee,  # type: ignore[arg-type]
            actor=actor,
            now=now,
        )
    return ticket


def sweep_auto_close(*, now: datetime, limit: int = 1000) -> int:
    """Close incidents Resolved for ITSM_AUTO_CLOSE_DAYS or longer; return how many were closed.

    Looks at the ``limit`` longest-resolved ones (the worker runs it again while a pass comes
    back full). Each closure is its own transaction through the lifecycle, so an incident reopened
    meanwhile (another worker, a requester's reply) is simply skipped.
    """
    days = settings.ITSM_AUTO_CLOSE_DAYS
    due = Ticket.objects.filter(
        kind=TicketKind.INCIDENT,
        state=TicketState.RESOLVED,
        resolved_at__lte=now - timedelta(days=days),
    ).order_by("resolved_at", "pk")
    closed = 0
    # The tickets are read in one query; each is read again under its row lock when closed.
    for ticket in list(due[:limit]):
        try:
            with transaction.atomic():
                do_transition_incident(
                    ticket,
                    TicketState.CLOSED,
                    actor=None,
                    reason=f"Closed automatically {days} days after resolution.",
                    now=now,
                )
        except ActionError as exc:
            logger.info("Auto-close skipped ticket %s: %s", ticket.pk, exc.detail)
            continue
        closed += 1
    return closed


__all__ = [
    "do_attach_to_major_incident",
    "do_confirm_resolution",
    "do_flag_major_incident",
    "do_open_incident",
    "do_propose_major_incident",
    "do_resolve_incident",
    "do_transition_incident",
    "do_update_incident",
    "hold_reason_of",
    "incident_of",
    "parse_state",
    "sweep_auto_close",
]
