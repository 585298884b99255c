"""Journal helpers. Only actions call these: every change leaves its line in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from itsm.core.bulk import insert_objects
from itsm.tickets.choices import JournalType
from itsm.tickets.models import JournalEntry, Ticket

#: Fields whose changes requesters may read in their timeline.
PUBLIC_FIELDS = frozenset({"state", "title", "description", "priority", "service"})


def _line(
    ticket: Ticket,
    entry_type: str,
    *,
    actor: Any,
    at: datetime | None = None,
    is_internal: bool = False,
    **values: Any,
) -> JournalEntry:
    return JournalEntry(
        ticket=ticket,
        entry_type=entry_type,
        actor=actor,
        created_at=at or timezone.now(),
        is_internal=is_internal,
        version=ticket.journal_version(),
        **values,
    )


def _entry(
    ticket: Ticket,
    entry_type: str,
    *,
    actor: Any,
    at: datetime | None = None,
    is_internal: bool = False,
    **values: Any,
) -> JournalEntry:
    return _saved(_line(ticket, entry_type, actor=actor, at=at, is_internal=is_internal, **values))


def _saved(entry: JournalEntry) -> JournalEntry:
    entry.save(force_insert=True)
    return entry


def write_lines(lines: Sequence[JournalEntry]) -> list[JournalEntry]:
    """Write the journal lines of one change (built by the ``*_line`` helpers) in one statement.

    They get their ids in list order, so the journal's (created_at, id) order is the list's.
    """
    lines = list(lines)
    insert_objects(lines)
    return lines


def journal_value(value: Any) -> str:
    """A field's value as a journal line records it: its text, or empty for none."""
    return "" if value is None else str(value)


def field_changed_line(
    ticket: Ticket,
    field: str,
    old: str,
    new: str,
    *,
    actor: Any,
    at: datetime | None = None,
    body: str = "",
) -> JournalEntry:
    """The line ``field_changed_event`` writes, not saved yet (see ``write_lines``)."""
    return _line(
        ticket,
        JournalType.FIELD_CHANGE,
        actor=actor,
        at=at,
        is_internal=field not in PUBLIC_FIELDS,
        field=field,
        old_value=old,
        new_value=new,
        body=body,
    )


def transition_line(
    ticket: Ticket,
    old_state: str,
    new_state: str,
    *,
    actor: Any,
    reason: str = "",
    at: datetime | None = None,
) -> JournalEntry:
    """The line ``transition_event`` writes, not saved yet (see ``write_lines``)."""
    return _line(
        ticket,
        JournalType.TRANSITION,
        actor=actor,
        at=at,
        field="state",
        old_value=old_state,
        new_value=new_state,
        body=reason,
    )


def system_line(
    ticket: Ticket,
    body: str,
    *,
    actor: Any = None,
    internal: bool = True,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> JournalEntry:
    """The line ``system_event`` writes, not saved yet (see ``write_lines``)."""
    return _line(
        ticket,
        JournalType.SYSTEM,
        actor=actor,
        at=at,
        is_internal=internal,
        body=body,
        data=data or {},
    )


def field_changed_event(
    ticket: Ticket, field: str, old: str, new: str, *, actor: Any, at: datetime | None = None
) -> JournalEntry:
    return _saved(field_changed_line(ticket, field, old, new, actor=actor, at=at))


def transition_event(
    ticket: Ticket,
    old_state: str,
    new_state: str,
    *,
    actor: Any,
    reason: str = "",
    at: datetime | None = None,
) -> JournalEntry:
    return _saved(transition_line(ticket, old_state, new_state, actor=actor, reason=reason, at=at))


def comment_event(
    ticket: Ticket, body: str, *, actor: Any, internal: bool, at: datetime | None = None
) -> JournalEntry:
    return _entry(
        ticket,
        JournalType.WORK_NOTE if internal else JournalType.COMMENT,
        actor=actor,
        at=at,
        is_internal=internal,
        body=body,
    )


def system_event(
    ticket: Ticket,
    body: str,
    *,
    actor: Any = None,
    internal: bool = True,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> JournalEntry:
    return _saved(system_line(ticket, body, actor=actor, internal=internal, data=data, at=at))


def sla_line(
    ticket: Ticket, body: str, *, data: dict[str, Any], at: datetime | None = None
) -> JournalEntry:
    """An internal SLA line (threshold warnings and breaches), not saved yet (see ``write_lines``)."""
    return _line(ticket, JournalType.SLA, actor=None, at=at, is_internal=True, body=body, data=data)
