"""What an SLA threshold leaves behind: a journal line and messages to the people working on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from itsm.notifications.actions import notify_people
from itsm.sla.models import MetricChoice, SlaInstance
from itsm.tickets.events import sla_event
from itsm.tickets.models import JournalEntry, Ticket

#: The ``event`` of the outbox rows SLA thresholds write.
SLA_WARNING_EVENT = "sla_warning"
SLA_BREACH_EVENT = "sla_breach"


def format_duration(amount: timedelta, *, days: bool = True) -> str:
    """``2d 3h``, ``3h 20m``, ``45m``, ``< 1m``: short durations for badges and messages.

    ``days=False`` for business time, where a "day" of 24 hours would mislead: ``51h 20m``.
    """
    minutes = int(abs(amount).total_seconds() // 60)
    whole_days, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    hours, mins = divmod(rest, 60)
    if whole_days:
        return f"{whole_days}d {hours}h" if hours else f"{whole_days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m" if mins else "< 1m"


def _metric_label(instance: SlaInstance) -> str:
    return "Response" if instance.metric == MetricChoice.RESPONSE else "Resolution"


def threshold_text(instance: SlaInstance, kind: str, percent: int | None) -> str:
    """``Resolution SLA “P2–P5 resolution” reached 75 % of its 8h target (due …)``."""
    name = f"{_metric_label(instance)} SLA “{instance.definition.name}”"
    target = format_duration(timedelta(minutes=instance.target_minutes), days=False)
    if kind == "breach":
        when = instance.breached_at.isoformat() if instance.breached_at else "now"
        return f"{name} breached: its {target} target ({instance.priority}) ran out at {when}."
    due = f" Due {instance.due_at.isoformat()}." if instance.due_at else ""
    return f"{name} reached {percent} % of its {target} target ({instance.priority}).{due}"


def _people(ticket: Ticket, kind: str) -> list[Any]:
    people: list[Any] = []
    if ticket.assignee is not None:
        people.append(ticket.assignee)
    elif ticket.assignment_group is not None:
        people += list(ticket.assignment_group.members.filter(is_active=True))
    if kind == "breach" and ticket.assignment_group and ticket.assignment_group.manager:
        people.append(ticket.assignment_group.manager)
    return people


def announce_threshold(
    ticket: Ticket,
    instance: SlaInstance,
    kind: str,
    percent: int | None,
    *,
    reached_at: datetime,
    now: datetime,
) -> JournalEntry:
    """Journal the threshold (internal) and queue messages: warnings to the assignee (or the
    group), a breach also to the group's manager. Requesters are never told."""
    text = threshold_text(instance, kind, percent)
    entry = sla_event(
        ticket,
        text,
        data={
            "event": f"sla_{kind}",
            "instance": instance.pk,
            "definition": instance.definition_id,
            "sla": instance.definition.name,
            "metric": instance.metric,
            "percent": percent,
            "cycle": instance.cycle,
            "reached_at": reached_at.isoformat(),
            "due_at": instance.due_at.isoformat() if instance.due_at else None,
        },
        at=now,
    )
    notify_people(
        ticket,
        SLA_BREACH_EVENT if kind == "breach" else SLA_WARNING_EVENT,
        _people(ticket, kind),
        actor=None,
        headline=f"{ticket.number}: {text}",
        entry=entry,
        now=now,
    )
    return entry
