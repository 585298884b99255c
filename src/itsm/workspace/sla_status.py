"""How the workspace reads a ticket's SLA standing for badges, filters and the home page.

The standing comes from the ticket's attached SLA instances (Service Level Management):
- breached: an SLA breached, or a running clock whose due time has passed (not yet swept);
- at risk: past the first warning threshold of an SLA whose clock still runs or is paused;
- on track: running SLAs, none past a warning;
- none: no SLA clock runs.
Badges themselves are drawn by ``sla/partials/badges.html`` from ``sla_badges_for``.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from itsm.sla.models import ClockStateChoice, SlaInstance

BREACHED = "breached"
AT_RISK = "at_risk"
ON_TRACK = "on_track"
NO_SLA = "none"


def _attached_open() -> QuerySet[SlaInstance]:
    return SlaInstance.objects.filter(ticket=OuterRef("pk"), detached_at__isnull=True).exclude(
        clock_state=ClockStateChoice.STOPPED
    )


def _breached(now: datetime) -> Q:
    attached = SlaInstance.objects.filter(ticket=OuterRef("pk"), detached_at__isnull=True)
    return Q(
        Exists(
            attached.filter(
                Q(breached_at__lte=now) | Q(clock_state=ClockStateChoice.RUNNING, due_at__lt=now)
            )
        )
    )


def _at_risk(now: datetime) -> Q:
    return Q(Exists(_attached_open().filter(warn_at__lte=now))) & ~_breached(now)


def sla_status_q(status: str, now: datetime) -> Q:
    """The queryset condition for one SLA standing (combine with open tickets)."""
    if status == BREACHED:
        return _breached(now)
    if status == AT_RISK:
        return _at_risk(now)
    running = Q(Exists(_attached_open()))
    if status == ON_TRACK:
        return running & ~_breached(now) & ~_at_risk(now)
    return ~running
