"""Model → answer schema. Lists pass pre-fetched lookups so each page costs a constant number
of queries whatever its length."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from itsm.api.schemas import (
    AttachmentOut,
    GroupOut,
    JournalEntryOut,
    PersonOut,
    TicketOut,
    TransitionOut,
)
from itsm.taxonomy.models import Category
from itsm.tickets.choices import TicketState
from itsm.tickets.models import Attachment, JournalEntry, Ticket
from itsm.tickets.transitions import allowed_transitions

#: What a ticket answer reads besides the ticket row; lists select these in the same query.
TICKET_RELATED = (
    "requester",
    "assignee",
    "assignment_group",
    "service",
    "configuration_item",
)


def person_out(user: Any) -> PersonOut | None:
    if user is None:
        return None
    return PersonOut(id=user.pk, full_name=user.full_name, email=user.email)


def category_paths(tickets: Iterable[Ticket]) -> dict[int, str]:
    """Full paths (Hardware > Laptop) of the tickets' categories, from one query of the tree."""
    if not any(ticket.category_id for ticket in tickets):
        return {}
    nodes = {row["id"]: row for row in Category.objects.values("id", "name", "parent_id")}
    paths: dict[int, str] = {}
    for node_id in nodes:
        names: list[str] = []
        current: int | None = node_id
        while current is not None and current in nodes and len(names) < 50:
            names.append(nodes[current]["name"])
            current = nodes[current]["parent_id"]
        paths[node_id] = " > ".join(reversed(names))
    return paths


def ticket_out(ticket: Ticket, paths: dict[int, str] | None = None) -> TicketOut:
    if paths is None:
        paths = category_paths([ticket])
    group = ticket.assignment_group
    return TicketOut(
        number=ticket.number,
        kind=ticket.kind,
        title=ticket.title,
        description=ticket.description,
        state=ticket.state,
        state_display=ticket.get_state_display(),
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        category=paths.get(ticket.category_id) if ticket.category_id else None,
        service=str(ticket.service) if ticket.service_id else None,
        configuration_item=(
            str(ticket.configuration_item) if ticket.configuration_item_id else None
        ),
        requester=person_out(ticket.requester),  # type: ignore[arg-type]
        assignment_group=GroupOut(id=group.pk, name=group.name) if group else None,
        assignee=person_out(ticket.assignee),
        channel=ticket.channel,
        opened_at=ticket.opened_at,
        updated_at=ticket.updated_at,
        first_responded_at=ticket.first_responded_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        resolution_code=ticket.resolution_code,
        resolution_notes=ticket.resolution_notes,
        sla_due_at=ticket.sla_due_at,
        version=ticket.version,
    )


def tickets_out(tickets: list[Ticket]) -> list[TicketOut]:
    paths = category_paths(tickets)
    return [ticket_out(ticket, paths) for ticket in tickets]


def attachment_out(attachment: Attachment, number: str) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        internal=attachment.is_internal,
        uploaded_by=person_out(attachment.uploaded_by),
        created_at=attachment.created_at,
        download_url=reverse(
            "api:download_attachment", kwargs={"number": number, "attachment_id": attachment.pk}
        ),
    )


def journal_entry_out(
    entry: JournalEntry, number: str, attachments: Iterable[Attachment] = ()
) -> JournalEntryOut:
    return JournalEntryOut(
        id=entry.pk,
        type=entry.entry_type,
        type_display=entry.get_entry_type_display(),
        actor=person_out(entry.actor),
        created_at=entry.created_at,
        internal=entry.is_internal,
        field=entry.field,
        old_value=entry.old_value,
        new_value=entry.new_value,
        body=entry.body,
        version=entry.version,
        attachments=[attachment_out(a, number) for a in attachments],
    )


def transitions_out(ticket: Ticket, user: Any) -> list[TransitionOut]:
    """The transitions this user may make on this ticket now, as the API lists them."""
    return [
        TransitionOut(
            name=transition.name,
            to=transition.target,
            to_display=str(TicketState(transition.target).label),
            requires=sorted(transition.requires),
        )
        for transition in allowed_transitions(ticket, user, timezone.now())
    ]
