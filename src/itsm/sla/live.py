"""SLA instances of live tickets (filled in by the SLA engine work)."""

from __future__ import annotations

from datetime import datetime

from itsm.tickets.models import Ticket


def recompute_ticket_slas(ticket: Ticket, *, now: datetime) -> None:
    """Attach matching SLA definitions and recompute every SLA instance of ``ticket`` from its
    journal, storing due/warn/breach instants and ``ticket.sla_due_at``. Runs inside the caller's
    transaction."""
    return
