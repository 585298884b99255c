"""Outbox writes (filled in by the incident management work)."""

from __future__ import annotations

from typing import Any

from itsm.tickets.models import JournalEntry, Ticket


def notify_ticket_event(
    ticket: Ticket, event: str, *, actor: Any, entry: JournalEntry | None = None
) -> None:
    """Write one outbox row per recipient for this ticket event, with only what each may see."""
    return
