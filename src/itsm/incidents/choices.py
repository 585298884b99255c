"""Incident Management reuses the ticket core's choices; this module names them for its faces."""

from itsm.taxonomy.choices import Impact, Priority, Urgency
from itsm.tickets.choices import Channel, ResolutionCode, TicketState

__all__ = ["Channel", "Impact", "Priority", "ResolutionCode", "TicketState", "Urgency"]
