"""Entry points for changing any ticket: create, assign, comment, transition, edit, prioritise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.errors import InvalidInput, PermissionDenied
from itsm.notifications.actions import notify_new_ticket, notify_ticket_event
from itsm.rules.assignment import apply_assignment as _apply_assignment
from itsm.rules.assignment import assignment_lines
from itsm.rules.routing import route_new_ticket
from itsm.sla.live import plan_new_ticket_slas, recompute_ticket_slas, save_new_ticket_slas
from itsm.taxonomy.choices import Impact, Priority, TicketKind, Urgency
from itsm.taxonomy.models import Category, priority_for
from itsm.tickets.actions import lock_ticket, save_ticket, store_attachment
from itsm.tickets.choices import Channel, LinkType, ResolutionCode, TicketState
from itsm.tickets.events import (
    comment_event,
    field_changed_event,
    journal_value,
    system_event,
    system_line,
    transition_event,
    write_lines,
)
from itsm.tickets.lifecycles import SYSTEM, lifecycle_for
from itsm.tickets.models import Attachment, JournalEntry, Ticket, TicketLink
from itsm.tickets.numbering import allocate_number
from itsm.tickets.transitions import GUARDS, actor_role, find_transition


@dataclass(frozen=True)
class UploadedFile:
    """A file as the faces hand it to actions: a name and its bytes."""

    name: str
    content: bytes


def parse_state(value: str) -> str:
    """A state from its slug (``in_progress``) or display name (``In Progress``)."""
    cleaned = value.strip()
    if cleaned in TicketState.values:
        return cleaned
    by_label = {str(label).lower(): slug for slug, label in TicketState.choices}
    slug = by_label.get(cleaned.lower()) or cleaned.lower().replace(" ", "_")
    if slug not in TicketState.values:
        raise InvalidInput("to", f"Unknown state {value!r}.")
    return slug


def _check_category(category: Category | None, kind: str) -> None:
    if category is not None and category.kind != kind:
        raise InvalidInput(
            "category", f"Category {category} is for {category.get_kind_display()} records."
        )


def _validate_text(field: str, value: str, *, required: bool, max_length: int) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput(field, f"{field.replace('_', ' ').capitalize()} is required.")
    if len(cleaned) > max_length:
        raise InvalidInput(field, f"At most {max_length} characters.")
    return cleaned


def do_create_ticket(
    *,
    kind: TicketKind | str,
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
    """Open a ticket: number, priority from the matrix, routing, SLAs, journal, notifications."""
    kind = TicketKind(kind)
    # Refused input is refused before the transaction starts, so a caller's own transaction
    # is left usable (the writes below run without a savepoint of their own).
    title, description = check_new_ticket(
        kind,
        title=title,
        description=description,
        impact=impact,
        urgency=urgency,
        channel=channel,
        category=category,
    )
    return _create_ticket(
        kind=kind,
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
        now=now or timezone.now(),
    )


def check_new_ticket(
    kind: TicketKind | str,
    *,
    title: str,
    description: str,
    impact: str,
    urgency: str,
    channel: str,
    category: Category | None,
) -> tuple[str, str]:
    """Refuse what ``do_create_ticket`` would refuse, without touching the database; the cleaned
    title and description. Callers that open a ticket inside their own transaction check first,
    so refused input leaves that transaction usable."""
    if impact not in Impact.values:
        raise InvalidInput("impact", f"Impact must be one of {', '.join(Impact.values)}.")
    if urgency not in Urgency.values:
        raise InvalidInput("urgency", f"Urgency must be one of {', '.join(Urgency.values)}.")
    if channel not in Channel.values:
        raise InvalidInput("channel", f"Channel must be one of {', '.join(Channel.values)}.")
    _check_category(category, kind)
    return (
        _validate_text("title", title, required=True, max_length=300),
        _validate_text("description", description, required=False, max_length=100_000),
    )


@transaction.atomic(savepoint=False)
def _create_ticket(
    *,
    kind: TicketKind,
    title: str,
    description: str,
    requester: User,
    actor: User | None,
    impact: str,
    urgency: str,
    category: Category | None,
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    channel: str,
    attachments: Sequence[UploadedFile],
    now: datetime,
) -> Ticket:
    """The writes of ``do_create_ticket``, ordered so that each row is written once.

    Routing and the SLA figures depend only on the ticket's fields and journal, which are all in
    hand before anything is written: the ticket is routed and measured in memory, then inserted
    with its group, assignee, state and due time; its journal lines, SLA instances and outbox rows
    follow with one insert each. The result is what routing and recomputing after the insert
    stored before (tests/workflow/test_create_ticket.py compares the two).
    """
    if configuration_item is not None and service is None:
        service = configuration_item.service
    ticket = Ticket(
        number=allocate_number(kind),
        kind=kind,
        title=title,
        description=description,
        state=lifecycle_for(kind).initial,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        category=category,
        service=service,
        configuration_item=configuration_item,
        requester=requester,
        organization_id=requester.organization_id,
        opened_by=actor,
        channel=channel,
        opened_at=now,
    )
    # Creating is the change that produces version 1: routing and journal lines belong to it.
    ticket.mark_version_bumped()
    opened = system_line(
        ticket,
        f"{kind.label} opened via {Channel(channel).label}.",
        actor=actor,
        internal=False,
        data={"event": "created", "state": ticket.state, "priority": ticket.priority},
        at=now,
    )
    lines = [opened]
    routing = route_new_ticket(ticket, now=now)
    if routing.group is not None or routing.assignee is not None:
        why = (
            f"by assignment rule “{routing.rule_name}”"
            if routing.rule_name
            else "to the fallback group: no assignment rule matched"
        )
        # The routing picked the agent among the group's active members.
        assignment_lines(
            ticket, routing.group, routing.assignee, actor=None, now=now, why=why, lines=lines
        )
    slas = plan_new_ticket_slas(ticket, lines, now=now)
    ticket.save(force_insert=True)
    if attachments:
        # Attachment lines come between the opening line and the routing's, as they always did.
        write_lines(lines[:1])
        for upload in attachments:
            store_attachment(
                ticket,
                name=upload.name,
                content=upload.content,
                actor=actor,
                internal=False,
                at=now,
            )
        write_lines(lines[1:])
    else:
        write_lines(lines)
    save_new_ticket_slas(slas)
    assigned = next(
        (line for line in reversed(lines) if line.field in ("assignee", "assignment_group")), None
    )
    notify_new_ticket(ticket, actor=actor, opened=opened, assigned=assigned)
    return ticket


@transaction.atomic
def do_assign_ticket(
    ticket: Ticket,
    *,
    group: Group | None,
    assignee: User | None,
    actor: User | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Route a ticket to a group and optionally an agent of it."""
    now = now or timezone.now()
    if actor is not None and not actor.is_agent:
        raise PermissionDenied("Only agents assign tickets.")
    ticket = lock_ticket(ticket, expected_version=expected_version)
    if not ticket.is_active:
        raise InvalidInput("state", f"{ticket.number} is {ticket.get_state_display()}.")
    if group is None and assignee is not None:
        group = ticket.assignment_group
    changed = _apply_assignment(ticket, group, assignee, actor=actor, now=now)
    if changed:
        recompute_ticket_slas(ticket, now=now)
        notify_ticket_event(ticket, "assigned", actor=actor)
    return ticket


@transaction.atomic
def do_transition_ticket(
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
    """Move a ticket along its lifecycle (declared in tickets/lifecycles.py)."""
    now = now or timezone.now()
    ticket = lock_ticket(ticket, expected_version=expected_version)
    to_state = parse_state(to_state)
    if resolution_code and resolution_code not in ResolutionCode.values:
        raise InvalidInput(
            "resolution_code", f"Resolution code must be one of {', '.join(ResolutionCode.values)}."
        )
    find_transition(
        ticket,
        to_state,
        actor,
        now,
        reason=reason,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
    )
    _apply_transition(
        ticket,
        to_state,
        actor=actor,
        reason=reason.strip(),
        resolution_code=resolution_code,
        resolution_notes=resolution_notes.strip(),
        now=now,
    )
    recompute_ticket_slas(ticket, now=now)
    notify_ticket_event(ticket, "state_changed", actor=actor)
    if ticket.state == TicketState.RESOLVED:
        _resolve_children(ticket, actor=actor, now=now)
    return ticket


def _resolve_children(parent: Ticket, *, actor: User | None, now: datetime) -> None:
    """Resolving a parent (a major incident) resolves its open children with its resolution,
    journaled on each child, and tells each child's requester."""
    children = (
        Ticket.objects.filter(parent=parent, kind=parent.kind)
        .exclude(state__in=[TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED])
        .order_by("pk")
    )
    for child in children:
        locked = lock_ticket(child, expected_version=None)
        if TicketState.RESOLVED not in {
            t.target for t in lifecycle_for(locked.kind).transitions if locked.state in t.sources
        }:
            continue
        _apply_transition(
            locked,
            TicketState.RESOLVED,
            actor=actor,
            reason="",
            resolution_code=parent.resolution_code,
            resolution_notes=f"Resolved with {parent.number}: {parent.resolution_notes}",
            now=now,
        )
        recompute_ticket_slas(locked, now=now)
        notify_ticket_event(locked, "state_changed", actor=actor)


def _apply_transition(
    ticket: Ticket,
    to_state: str,
    *,
    actor: User | None,
    reason: str,
    resolution_code: str = "",
    resolution_notes: str = "",
    now: datetime,
) -> None:
    old_state = ticket.state
    fields = ["state"]
    ticket.state = to_state
    if to_state == TicketState.RESOLVED:
        ticket.resolved_at = now
        ticket.resolution_code = resolution_code
        ticket.resolution_notes = resolution_notes
        fields += ["resolved_at", "resolution_code", "resolution_notes"]
    elif to_state == TicketState.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif old_state == TicketState.RESOLVED:
        # Reopened: the earlier resolution no longer holds.
        ticket.resolved_at = None
        ticket.resolution_code = ""
        ticket.resolution_notes = ""
        fields += ["resolved_at", "resolution_code", "resolution_notes"]
    save_ticket(ticket, fields)
    body = reason
    if to_state == TicketState.RESOLVED:
        body = f"{ResolutionCode(resolution_code).label}: {resolution_notes}"
    entry = transition_event(ticket, old_state, to_state, actor=actor, reason=body, at=now)
    if to_state == TicketState.RESOLVED:
        entry.data = {"resolution_code": resolution_code}
        entry.save(update_fields=["data"])


@transaction.atomic
def do_add_comment(
    ticket: Ticket,
    *,
    body: str,
    internal: bool,
    actor: User,
    attachments: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
    now: datetime | None = None,
) -> JournalEntry:
    """Add a public comment or an internal work note, with its attachments.

    The first public agent comment is the first response (it stops response SLAs). A requester's
    reply moves the ticket as its lifecycle declares (Pending User → In Progress) and reopens a
    Resolved ticket inside the reopen window; outside it, or on a Closed ticket, the reply opens a
    follow-up ticket linked to this one.
    """
    now = now or timezone.now()
    role = actor_role(ticket, actor)
    if role is None:
        raise PermissionDenied("You may not comment on this ticket.")
    if internal and not actor.is_agent:
        raise PermissionDenied("Only agents write work notes.")
    text = _validate_text("body", body, required=not attachments, max_length=100_000)
    ticket = lock_ticket(ticket, expected_version=expected_version)
    if not actor.is_agent and _reply_opens_follow_up(ticket, now):
        return _open_follow_up(ticket, text, actor=actor, attachments=attachments, now=now)
    fields: list[str] = []
    first_response = (
        actor.is_agent
        and not internal
        and ticket.first_responded_at is None
        and actor.pk != ticket.requester_id
    )
    if first_response:
        ticket.first_responded_at = now
        fields.append("first_responded_at")
    save_ticket(ticket, fields)
    entry = comment_event(ticket, text, actor=actor, internal=internal, at=now)
    if first_response:
        entry.data = {"first_response": True}
        entry.save(update_fields=["data"])
    for upload in attachments:
        store_attachment(
            ticket,
            name=upload.name,
            content=upload.content,
            actor=actor,
            internal=internal,
            journal_entry=entry,
            at=now,
        )
    if not actor.is_agent:
        _move_on_requester_reply(ticket, actor=actor, now=now)
    recompute_ticket_slas(ticket, now=now)
    notify_ticket_event(ticket, "work_note" if internal else "comment", actor=actor, entry=entry)
    return entry


def _reply_opens_follow_up(ticket: Ticket, now: datetime) -> bool:
    """A requester's reply to a final ticket, or to a Resolved one whose reopen window has passed,
    opens a new ticket linked to it instead of reviving it."""
    if ticket.state in lifecycle_for(ticket.kind).final:
        return True
    if ticket.state != TicketState.RESOLVED:
        return False
    reopen = next((t for t in lifecycle_for(ticket.kind).transitions if t.name == "reopen"), None)
    return reopen is None or not all(GUARDS[name](ticket, now) for name in reopen.guards)


def _move_on_requester_reply(ticket: Ticket, *, actor: User, now: datetime) -> None:
    lifecycle = lifecycle_for(ticket.kind)
    target = lifecycle.requester_reply_moves.get(ticket.state)
    if target is not None:
        _apply_transition(ticket, target, actor=actor, reason="The requester replied.", now=now)
        return
    if ticket.state == TicketState.RESOLVED:
        reopen = next(
            (t for t in lifecycle.transitions if t.name == "reopen" and ticket.state in t.sources),
            None,
        )
        if reopen is not None and all(GUARDS[name](ticket, now) for name in reopen.guards):
            _apply_transition(
                ticket,
                reopen.target,
                actor=actor,
                reason="The requester replied: not fixed.",
                now=now,
            )


def _open_follow_up(
    ticket: Ticket,
    text: str,
    *,
    actor: User,
    attachments: Sequence[UploadedFile],
    now: datetime,
) -> JournalEntry:
    follow_up = do_create_ticket(
        kind=ticket.kind,
        title=ticket.title,
        description=f"Follow-up of {ticket.number}:\n\n{text}",
        requester=ticket.requester,
        actor=actor,
        impact=ticket.impact,
        urgency=ticket.urgency,
        category=ticket.category,
        service=ticket.service,
        configuration_item=ticket.configuration_item,
        channel=ticket.channel,
        attachments=attachments,
        now=now,
    )
    TicketLink.objects.create(
        source=follow_up, target=ticket, link_type=LinkType.RELATED, created_by=actor
    )
    save_ticket(ticket, [])
    return system_event(
        ticket,
        f"The requester wrote after this ticket was {ticket.get_state_display()}; "
        f"the reply opened {follow_up.number}.",
        actor=actor,
        internal=False,
        data={"follow_up": follow_up.number},
        at=now,
    )


def _journal_field(
    ticket: Ticket, field: str, old: Any, new: Any, *, actor: Any, now: datetime
) -> bool:
    if old == new:
        return False
    field_changed_event(ticket, field, journal_value(old), journal_value(new), actor=actor, at=now)
    return True


@transaction.atomic
def do_edit_ticket_details(
    ticket: Ticket,
    *,
    title: str | None = None,
    description: str | None = None,
    actor: User,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Correct a ticket's title or description."""
    now = now or timezone.now()
    if not actor.is_agent and actor.pk != ticket.requester_id:
        raise PermissionDenied("Only agents and the requester edit the description.")
    ticket = lock_ticket(ticket, expected_version=expected_version)
    changed: list[str] = []
    if title is not None:
        new_title = _validate_text("title", title, required=True, max_length=300)
        if _journal_field(ticket, "title", ticket.title, new_title, actor=actor, now=now):
            ticket.title = new_title
            changed.append("title")
    if description is not None:
        new_description = _validate_text(
            "description", description, required=False, max_length=100_000
        )
        if _journal_field(
            ticket, "description", ticket.description, new_description, actor=actor, now=now
        ):
            ticket.description = new_description
            changed.append("description")
    if changed:
        save_ticket(ticket, changed)
        notify_ticket_event(ticket, "updated", actor=actor)
    return ticket


@transaction.atomic
def do_categorise_ticket(
    ticket: Ticket,
    *,
    category: Category | None,
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    actor: User,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Set category, affected service and configuration item (SLAs may select on them)."""
    now = now or timezone.now()
    if not actor.is_agent:
        raise PermissionDenied("Only agents categorise tickets.")
    ticket = lock_ticket(ticket, expected_version=expected_version)
    _check_category(category, ticket.kind)
    changed: list[str] = []
    for field, new in (
        ("category", category),
        ("service", service),
        ("configuration_item", configuration_item),
    ):
        old = getattr(ticket, field)
        if _journal_field(ticket, field, old, new, actor=actor, now=now):
            setattr(ticket, field, new)
            changed.append(field)
    if changed:
        save_ticket(ticket, changed)
        recompute_ticket_slas(ticket, now=now)
    return ticket


@transaction.atomic
def do_set_impact_urgency(
    ticket: Ticket,
    *,
    impact: str,
    urgency: str,
    actor: User,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Change impact and urgency; the priority follows the matrix (SLA targets follow the priority)."""
    now = now or timezone.now()
    if not actor.is_agent:
        raise PermissionDenied("Only agents change impact and urgency.")
    if impact not in Impact.values:
        raise InvalidInput("impact", f"Impact must be one of {', '.join(Impact.values)}.")
    if urgency not in Urgency.values:
        raise InvalidInput("urgency", f"Urgency must be one of {', '.join(Urgency.values)}.")
    ticket = lock_ticket(ticket, expected_version=expected_version)
    changed: list[str] = []
    for field, new in (("impact", impact), ("urgency", urgency)):
        if _journal_field(ticket, field, getattr(ticket, field), new, actor=actor, now=now):
            setattr(ticket, field, new)
            changed.append(field)
    priority = priority_for(ticket.impact, ticket.urgency)
    if _journal_field(ticket, "priority", ticket.priority, priority, actor=actor, now=now):
        ticket.priority = priority
        changed.append("priority")
    if changed:
        save_ticket(ticket, changed)
        recompute_ticket_slas(ticket, now=now)
        if "priority" in changed:
            notify_ticket_event(ticket, "priority_changed", actor=actor)
    return ticket


@transaction.atomic
def do_override_priority(
    ticket: Ticket,
    *,
    priority: str,
    reason: str,
    actor: User | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A manager (or an escalation rule, actor None) sets the priority outside the matrix, with a reason."""
    now = now or timezone.now()
    if actor is not None and not actor.is_manager:
        raise PermissionDenied("Only managers override the priority.")
    if priority not in Priority.values:
        raise InvalidInput("priority", f"Priority must be one of {', '.join(Priority.values)}.")
    if not reason.strip():
        raise InvalidInput("reason", "Overriding the priority needs a reason.")
    ticket = lock_ticket(ticket, expected_version=expected_version)
    if ticket.priority != priority:
        old = ticket.priority
        ticket.priority = priority
        save_ticket(ticket, ["priority"])
        entry = field_changed_event(ticket, "priority", old, priority, actor=actor, at=now)
        entry.body = reason.strip()
        entry.data = {"override": True}
        entry.save(update_fields=["body", "data"])
        recompute_ticket_slas(ticket, now=now)
        notify_ticket_event(ticket, "priority_changed", actor=actor)
    return ticket


@transaction.atomic
def do_add_attachments(
    ticket: Ticket,
    *,
    files: Sequence[UploadedFile],
    internal: bool,
    actor: User,
    now: datetime | None = None,
) -> list[Attachment]:
    """Attach files without a comment (the API's upload endpoint)."""
    now = now or timezone.now()
    if actor_role(ticket, actor) in {None, SYSTEM}:
        raise PermissionDenied("You may not attach files to this ticket.")
    if internal and not actor.is_agent:
        raise PermissionDenied("Only agents add internal attachments.")
    ticket = lock_ticket(ticket, expected_version=None)
    stored = [
        store_attachment(
            ticket, name=f.name, content=f.content, actor=actor, internal=internal, at=now
        )
        for f in files
    ]
    save_ticket(ticket, [])
    system_event(
        ticket,
        "Attached " + ", ".join(a.filename for a in stored) + ".",
        actor=actor,
        internal=internal,
        data={"attachments": [a.pk for a in stored]},
        at=now,
    )
    return stored
