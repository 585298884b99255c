"""The per-ticket facts rollup: reopen and reassignment counts, first contact resolution, time to
respond and to resolve (wall clock and business time), and when the ticket left the backlog.

Rebuilt incrementally: a fact stores the ticket version it was computed from, and
``refresh_report_facts`` recomputes the facts of tickets changed since (the worker runs it every
30 seconds, and each report runs it before reading, so reports are never stale).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q

from itsm.sla.engine import Calendar
from itsm.sla.models import MetricChoice, SlaInstance
from itsm.tickets.choices import INACTIVE_STATES, JournalType, TicketState
from itsm.tickets.models import JournalEntry, Ticket

from .models import TicketFact

ASSIGNMENT_FIELDS = ("assignment_group", "assignee")
#: Tickets changed this long before the newest fact are looked at again (slow transactions).
SAFETY_MARGIN = timedelta(minutes=5)
BATCH = 2000
#: Ticket columns the facts copy, so reports filter and group the rollup without the tickets.
COPIED_COLUMNS = (
    "opened_at",
    "resolved_at",
    "kind",
    "priority",
    "assignment_group_id",
    "assignee_id",
    "category_id",
    "service_id",
    "organization_id",
)
_WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def default_business_calendar() -> Calendar:
    """Business time for tickets without a resolution SLA: the calendar named by
    ``ITSM_REPORT_CALENDAR``, else Monday to Friday 09:00-17:00 in ``TIME_ZONE``."""
    from itsm.sla.models import BusinessCalendar

    name = settings.ITSM_REPORT_CALENDAR
    if name:
        configured = BusinessCalendar.objects.filter(name=name).first()
        if configured is not None:
            return configured.to_engine()
    return Calendar.from_weekly(settings.TIME_ZONE, {d: [("09:00", "17:00")] for d in _WORKDAYS})


@dataclass
class JournalFacts:
    """The journal of one ticket, folded into the figures reports need."""

    first_resolved_at: datetime | None = None
    reopen_count: int = 0
    reassignment_count: int = 0
    was_pending_user: bool = False
    settled_at: datetime | None = None
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)


def fold_journal(entries: Sequence[JournalEntry]) -> JournalFacts:
    """Fold a ticket's transitions and assignment changes (in journal order) into facts.

    A reassignment is one action that moves the ticket away from a group or an agent that held it
    (the first assignment, and an agent taking an unassigned ticket, are not reassignments).
    """
    facts = JournalFacts()
    left_at: datetime | None = None
    reassigned_at: set[tuple[datetime, int]] = set()
    for entry in entries:
        if entry.entry_type == JournalType.FIELD_CHANGE:
            if entry.old_value and entry.old_value != entry.new_value:
                reassigned_at.add((entry.created_at, entry.version))
            continue
        old, new = entry.old_value, entry.new_value
        if new == TicketState.PENDING_USER:
            facts.was_pending_user = True
        if new == TicketState.RESOLVED and facts.first_resolved_at is None:
            facts.first_resolved_at = entry.created_at
        if old == TicketState.RESOLVED and new not in INACTIVE_STATES:
            facts.reopen_count += 1
        if old not in INACTIVE_STATES and new in INACTIVE_STATES:
            left_at = entry.created_at
        elif old in INACTIVE_STATES and new not in INACTIVE_STATES and left_at is not None:
            facts.gaps.append((left_at, entry.created_at))
            left_at = None
    facts.settled_at = left_at
    facts.reassignment_count = len(reassigned_at)
    return facts


def _load_journals(ticket_ids: Iterable[int]) -> dict[int, list[JournalEntry]]:
    journals: dict[int, list[JournalEntry]] = defaultdict(list)
    rows = (
        JournalEntry.objects.filter(ticket_id__in=list(ticket_ids))
        .filter(
            Q(entry_type=JournalType.TRANSITION)
            | Q(entry_type=JournalType.FIELD_CHANGE, field__in=ASSIGNMENT_FIELDS)
        )
        .only("ticket_id", "entry_type", "field", "old_value", "new_value", "created_at", "version")
        .order_by("ticket_id", "created_at", "id")
    )
    for entry in rows:
        journals[entry.ticket_id].append(entry)
    return journals


def _resolution_calendars(ticket_ids: Iterable[int]) -> dict[int, Calendar]:
    """The calendar of each ticket's (first attached) resolution SLA."""
    calendars: dict[int, Calendar] = {}
    instances = (
        SlaInstance.objects.filter(ticket_id__in=list(ticket_ids), metric=MetricChoice.RESOLUTION)
        .select_related("definition__calendar")
        .order_by("ticket_id", F("detached_at").asc(nulls_first=True), "id")
    )
    for instance in instances:
        if instance.ticket_id not in calendars:
            calendars[instance.ticket_id] = instance.definition.calendar.to_engine(
                year=instance.started_at.year
            )
    return calendars


def _settled_at(ticket: Ticket, folded: JournalFacts) -> datetime | None:
    """When the ticket left the backlog for good: None exactly while it is open (reports read
    the unsettled facts as the open tickets). A ticket that is not open but whose journal holds
    no transition out of the backlog (written outside the actions) left it when it was resolved
    or closed, as far as its columns say."""
    if ticket.state not in INACTIVE_STATES:
        return None
    return folded.settled_at or ticket.resolved_at or ticket.closed_at or ticket.updated_at


def build_fact(ticket: Ticket, entries: Sequence[JournalEntry], calendar: Calendar) -> TicketFact:
    folded = fold_journal(entries)
    resolved = ticket.resolved_at
    fact = TicketFact(
        ticket_id=ticket.pk,
        version=ticket.version,
        source_updated_at=ticket.updated_at,
        **{name: getattr(ticket, name) for name in COPIED_COLUMNS},
        first_resolved_at=folded.first_resolved_at,
        reopen_count=folded.reopen_count,
        reassignment_count=folded.reassignment_count,
        was_pending_user=folded.was_pending_user,
        settled_at=_settled_at(ticket, folded),
        backlog_gaps=[[a.isoformat(), b.isoformat()] for a, b in folded.gaps],
    )
    fact.first_contact_resolution = bool(
        resolved is not None
        and folded.reopen_count == 0
        and folded.reassignment_count == 0
        and not folded.was_pending_user
    )
    if ticket.first_responded_at is not None:
        fact.respond_seconds = (ticket.first_responded_at - ticket.opened_at).total_seconds()
    if resolved is not None:
        fact.resolve_seconds = (resolved - ticket.opened_at).total_seconds()
        fact.resolve_business_seconds = calendar.business_seconds_between(
            ticket.opened_at, resolved
        )
    return fact


def rebuild_facts(ticket_ids: Sequence[int]) -> int:
    """Recompute and store the facts of these tickets (an upsert: safe beside another worker)."""
    if not ticket_ids:
        return 0
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids).only(
            "pk",
            "version",
            "updated_at",
            "state",
            "first_responded_at",
            "closed_at",
            *COPIED_COLUMNS,
        )
    )
    journals = _load_journals(ticket_ids)
    calendars = _resolution_calendars(ticket_ids)
    fallback = default_business_calendar()
    facts = [build_fact(t, journals.get(t.pk, []), calendars.get(t.pk, fallback)) for t in tickets]
    update_fields = [f.name for f in TicketFact._meta.concrete_fields if not f.primary_key]
    with transaction.atomic():
        TicketFact.objects.bulk_create(
            facts, update_conflicts=True, unique_fields=["ticket"], update_fields=update_fields
        )
    return len(facts)


def stale_ticket_ids(limit: int, *, recent_only: bool = False) -> list[int]:
    """Tickets without facts, or whose facts describe an older version.

    ``recent_only`` looks only at tickets changed since the newest fact, through the index on
    ``updated_at``: every change made through the actions is found that way. Tickets that have
    no fact although they did not change lately exist only after a bulk import that bypassed the
    actions; finding them needs an anti-join over the whole table, which the worker's pass does
    and report requests skip (at a million tickets it costs half a second).
    """
    newest = TicketFact.objects.aggregate(newest=Max("source_updated_at"))["newest"]
    candidates = Ticket.objects.all()
    if newest is not None and recent_only:
        candidates = candidates.filter(updated_at__gte=newest - SAFETY_MARGIN)
    elif newest is not None:
        # Tickets without a fact at all are few once the backfill ran; tickets changed lately
        # are the rest. Both are found without reading the whole table.
        candidates = candidates.filter(
            Q(updated_at__gte=newest - SAFETY_MARGIN) | Q(report_fact__isnull=True)
        )
    stale = candidates.exclude(report_fact__version=F("version"))
    return list(stale.order_by("pk").values_list("pk", flat=True)[:limit])


def refresh_report_facts(
    *, now: datetime | None = None, limit: int = BATCH, recent_only: bool = False
) -> int:
    """Bring the facts of changed tickets up to date; returns how many were rebuilt."""
    total = 0
    while True:
        ids = stale_ticket_ids(limit, recent_only=recent_only)
        total += rebuild_facts(ids)
        if len(ids) < limit:
            return total
