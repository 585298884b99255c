"""Model → answer schema. Lists pass pre-fetched lookups so each page costs a constant number
of queries whatever its length."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.api.schemas import (
    AttachmentOut,
    GroupOut,
    JournalEntryOut,
    PersonOut,
    TicketOut,
    TransitionOut,
)
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.taxonomy.reference import category_tree
from itsm.tickets.choices import TicketState
from itsm.tickets.models import Attachment, JournalEntry, Ticket
from itsm.tickets.transitions import allowed_transitions


def person_out(user: Any) -> PersonOut | None:
    if user is None:
        return None
    return PersonOut(id=user.pk, full_name=user.full_name, email=user.email)


def category_paths(tickets: Iterable[Ticket]) -> dict[int, str]:
    """Full paths (Hardware > Laptop) of the tickets' categories, from one query of the tree."""
    if not any(ticket.category_id for ticket in tickets):
        return {}
    return category_paths_all()


def category_paths_all() -> dict[int, str]:
    """Full path of every category (the process keeps the tree: ``itsm.taxonomy.reference``)."""
    return dict(category_tree().paths)


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


#: The ticket's own columns a list row is made of. Names of people, groups, services and
#: configuration items come from one small query per table for the whole page: joining five
#: tables made PostgreSQL spend more time planning the page's statement than running it.
TICKET_ROW_FIELDS = (
    "id",
    "number",
    "kind",
    "title",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "category_id",
    "service_id",
    "configuration_item_id",
    "requester_id",
    "assignment_group_id",
    "assignee_id",
    "channel",
    "opened_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "resolution_code",
    "resolution_notes",
    "sla_due_at",
    "version",
)


def _related_names(
    rows: list[dict[str, Any]],
) -> tuple[dict[int, dict[str, Any]], dict[int, str], dict[int, str], dict[int, str]]:
    """People, group, service and configuration item names of a page of rows, in one statement
    (a UNION of primary-key lookups): a query each cost more to compile than to run."""
    wanted: list[tuple[str, type[models.Model], set[int], str, str]] = [
        (
            "p",
            User,
            {r["requester_id"] for r in rows} | {r["assignee_id"] for r in rows},
            "full_name",
            "email",
        ),
        ("g", Group, {r["assignment_group_id"] for r in rows}, "name", ""),
        ("s", Service, {r["service_id"] for r in rows}, "name", ""),
        ("c", ConfigurationItem, {r["configuration_item_id"] for r in rows}, "name", ""),
    ]
    qn = connection.ops.quote_name
    parts: list[str] = []
    params: list[int] = []
    for tag, model, ids, name, second in wanted:
        ids.discard(None)  # type: ignore[arg-type]
        if not ids:
            continue
        second_column = qn(second) if second else "''"
        placeholders = ", ".join(["%s"] * len(ids))
        # Tags, tables and columns are our own constants; the ids travel as parameters.
        parts.append(
            f"SELECT '{tag}', {qn('id')}, {qn(name)}, {second_column} "  # noqa: S608
            f"FROM {qn(model._meta.db_table)} WHERE {qn('id')} IN ({placeholders})"
        )
        params += sorted(ids)
    found: dict[str, dict[int, Any]] = {"p": {}, "g": {}, "s": {}, "c": {}}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for tag, pk, name, second in cursor.fetchall():
                found[tag][pk] = (
                    {"id": pk, "full_name": name, "email": second} if tag == "p" else name
                )
    return found["p"], found["g"], found["s"], found["c"]


def ticket_rows_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """List rows (``values(*TICKET_ROW_FIELDS)``) as ``TicketOut`` dicts, keys in the schema's
    order, built without a model or schema instance per row: a page costs the tickets' query,
    one for the names of related records and one for the category tree, whatever its length.
    ``answer_data`` writes them exactly as ``answer(ticket_out(...))`` writes a ticket."""
    people, groups, services, items = _related_names(rows)
    paths = category_paths_all() if any(row["category_id"] for row in rows) else {}
    states = {value: str(label) for value, label in TicketState.choices}
    return [
        {
            "number": row["number"],
            "kind": row["kind"],
            "title": row["title"],
            "description": row["description"],
            "state": row["state"],
            "state_display": states.get(row["state"], row["state"]),
            "impact": row["impact"],
            "urgency": row["urgency"],
            "priority": row["priority"],
            "category": paths.get(row["category_id"]) if row["category_id"] else None,
            "service": services.get(row["service_id"]),
            "configuration_item": items.get(row["configuration_item_id"]),
            "requester": people[row["requester_id"]],
            "assignment_group": (
                {"id": row["assignment_group_id"], "name": groups[row["assignment_group_id"]]}
                if row["assignment_group_id"] is not None
                else None
            ),
            "assignee": people[row["assignee_id"]] if row["assignee_id"] is not None else None,
            "channel": row["channel"],
            "opened_at": row["opened_at"],
            "updated_at": row["updated_at"],
            "first_responded_at": row["first_responded_at"],
            "resolved_at": row["resolved_at"],
            "closed_at": row["closed_at"],
            "resolution_code": row["resolution_code"],
            "resolution_notes": row["resolution_notes"],
            "sla_due_at": row["sla_due_at"],
            "version": row["version"],
        }
        for row in rows
    ]


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
