"""How the workspace reads a ticket's SLA standing for badges, filters and the home page.

It reads ``Ticket.sla_due_at`` (the earliest due time of the running SLAs). ``AT_RISK_WINDOW``
stands in for "past the first warning" until the SLA instances expose their warning instants to
the faces; the template ``workspace/partials/sla_badges.html`` is the one place that draws them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from itsm.tickets.choices import INACTIVE_STATES
from itsm.tickets.models import Ticket

AT_RISK_WINDOW = timedelta(hours=4)

BREACHED = "breached"
AT_RISK = "at_risk"
ON_TRACK = "on_track"
NO_SLA = "none"


def sla_status(ticket: Ticket, now: datetime) -> str:
    if ticket.state in INACTIVE_STATES or ticket.sla_due_at is None:
        return NO_SLA
    if ticket.sla_due_at < now:
        return BREACHED
    if ticket.sla_due_at < now + AT_RISK_WINDOW:
        return AT_RISK
    return ON_TRACK


def sla_status_q(status: str, now: datetime) -> Q:
    """The queryset condition for one SLA status (open tickets only)."""
    if status == BREACHED:
        return Q(sla_due_at__lt=now)
    if status == AT_RISK:
        return Q(sla_due_at__gte=now, sla_due_at__lt=now + AT_RISK_WINDOW)
    if status == ON_TRACK:
        return Q(sla_due_at__gte=now + AT_RISK_WINDOW)
    return Q(sla_due_at__isnull=True)
