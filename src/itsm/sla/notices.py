"""What an SLA threshold leaves behind: a journal line and messages to the people working on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from itsm.accounts.models import User
from itsm.core.bulk import insert_objects
from itsm.notifications.actions import PeopleNotice, notify_people_in_bulk
from itsm.sla.models import MetricChoice, SlaInstance
from itsm.tickets.events import sla_line
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


@dataclass(frozen=True)
class Announcement:
    """One threshold to announce: the instance it passed on, which, and when it was reached."""

    ticket: Ticket
    instance: SlaInstance
    kind: str  # "warning" or "breach"
    percent: int | None
    reached_at: datetime


def _people(ticket: Ticket, kind: str, members: Mapping[int, list[Any]] | None = None) -> list[Any]:
    """The assignee (or the group's active members); for a breach also the group's manager.

    ``members`` (group id → active members) spares a query per ticket in a batch.
    """
    people: list[Any] = []
    group = ticket.assignment_group
    if ticket.assignee is not None:
        people.append(ticket.assignee)
    elif group is not None:
        people += (
            members.get(group.pk, [])
            if members is not None
            else list(group.members.filter(is_active=True))
        )
    if kind == "breach" and group and group.manager:
        people.append(group.manager)
    return people


def _active_members(tickets: Iterable[Ticket]) -> dict[int, list[Any]]:
    """The active members of the unassigned tickets' groups, in one query."""
    group_ids = {t.assignment_group_id for t in tickets if t.assignee_id is None}
    group_ids.discard(None)
    members: dict[int, list[Any]] = {group_id: [] for group_id in group_ids if group_id}
    if members:
        found = User.objects.filter(is_active=True, assignment_groups__in=members).annotate(
            member_of=F("assignment_groups")
        )
        for user in found:
            members[user.member_of].append(user)
    return members


def _sla_entry(announcement: Announcement, text: str, *, now: datetime) -> JournalEntry:
    """The internal SLA line (unsaved: the batch is inserted at once)."""
    instance = announcement.instance
    return sla_line(
        announcement.ticket,
        text,
        at=now,
        data={
            "event": f"sla_{announcement.kind}",
            "instance": instance.pk,
            "definition": instance.definition_id,
            "sla": instance.definition.name,
            "metric": instance.metric,
            "percent": announcement.percent,
            "cycle": instance.cycle,
            "reached_at": announcement.reached_at.isoformat(),
            "due_at": instance.due_at.isoformat() if instance.due_at else None,
        },
    )


def announce_thresholds(
    announcements: Sequence[Announcement], *, now: datetime
) -> list[JournalEntry]:
    """Journal each threshold (internal) and queue messages: warnings to the assignee (or the
    group), a breach also to the group's manager. Requesters are never told.

    A batch of tickets costs a handful of queries: the journal lines and the outbox rows are
    each inserted at once. Returns the journal lines, in the order of ``announcements``.
    """
    if not announcements:
        return []
    texts = [threshold_text(a.instance, a.kind, a.percent) for a in announcements]
    entries = [_sla_entry(a, text, now=now) for a, text in zip(announcements, texts, strict=True)]
    insert_objects(entries)
    tickets = list({a.ticket.pk: a.ticket for a in announcements}.values())
    members = _active_members(tickets)
    notify_people_in_bulk(
        (
            PeopleNotice(
                ticket=a.ticket,
                event=SLA_BREACH_EVENT if a.kind == "breach" else SLA_WARNING_EVENT,
                people=_people(a.ticket, a.kind, members),
                headline=f"{a.ticket.number}: {text}",
                entry=entry,
            )
            for a, text, entry in zip(announcements, texts, entries, strict=True)
        ),
        actor=None,
        now=now,
    )
    return entries


def announce_threshold(
    ticket: Ticket,
    instance: SlaInstance,
    kind: str,
    percent: int | None,
    *,
    reached_at: datetime,
    now: datetime,
) -> JournalEntry:
    """``announce_thresholds`` for one threshold."""
    [entry] = announce_thresholds(
        [Announcement(ticket, instance, kind, percent, reached_at)], now=now
    )
    return entry
