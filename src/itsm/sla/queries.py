"""Reads for the faces: SLA badges for queue rows and the explain timeline of one ticket.

Callers pass tickets they already fetched through the visibility layer; these functions only
read the SLA rows of those tickets (one query for any number of tickets).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from django.core.cache import cache
from django.utils import timezone

from itsm.core.stamps import StampedCache, stamp_table
from itsm.sla.engine import Calendar, SlaResult
from itsm.sla.live import Fact, evaluate_instance, load_facts
from itsm.sla.models import (
    BusinessCalendar,
    ClockStateChoice,
    MetricChoice,
    SlaDefinition,
    SlaInstance,
)
from itsm.sla.notices import format_duration
from itsm.tickets.choices import TicketState
from itsm.tickets.models import Ticket

OK = "ok"
WARN = "warn"
RISK = "risk"
BREACHED = "breached"
PAUSED = "paused"
MET = "met"


@dataclass(frozen=True)
class Badge:
    """One SLA of one ticket as a queue row shows it.

    ``level`` is the colour: ok (before the first warning), warn (past it), risk (past the
    second), breached; ``paused`` and ``met`` for clocks that do not run.
    """

    ticket_id: int
    name: str
    metric: str
    level: str
    text: str
    due_at: datetime | None
    breached_at: datetime | None
    clock_state: str

    @property
    def label(self) -> str:
        return "Response" if self.metric == MetricChoice.RESPONSE else "Resolution"

    @property
    def css_class(self) -> str:
        return f"sla-badge sla-badge--{self.level}"


class BadgeFigures(Protocol):
    """What a badge reads of an instance: an ``SlaInstance`` or a lean ``_Figures`` row."""

    @property
    def ticket_id(self) -> int: ...
    @property
    def definition(self) -> SlaDefinition: ...
    @property
    def metric(self) -> str: ...
    @property
    def clock_state(self) -> str: ...
    @property
    def target_minutes(self) -> float: ...
    @property
    def elapsed_seconds(self) -> float: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def warn_at(self) -> datetime | None: ...
    @property
    def risk_at(self) -> datetime | None: ...
    @property
    def breached_at(self) -> datetime | None: ...


@dataclass(slots=True)
class _Figures:
    ticket_id: int
    definition: SlaDefinition
    metric: str
    clock_state: str
    target_minutes: float
    elapsed_seconds: float
    due_at: datetime | None
    warn_at: datetime | None
    risk_at: datetime | None
    breached_at: datetime | None


def _remaining(instance: BadgeFigures, calendar: Calendar, now: datetime) -> timedelta:
    if instance.clock_state == ClockStateChoice.RUNNING and instance.due_at is not None:
        return calendar.business_time_between(now, instance.due_at)
    spent = timedelta(seconds=instance.elapsed_seconds)
    return max(timedelta(0), timedelta(minutes=instance.target_minutes) - spent)


#: The instance columns a badge reads, in the order of ``_Figures``.
BADGE_FIELDS = (
    "ticket_id",
    "definition_id",
    "metric",
    "clock_state",
    "target_minutes",
    "elapsed_seconds",
    "due_at",
    "warn_at",
    "risk_at",
    "breached_at",
)


def badge_for(instance: BadgeFigures, now: datetime) -> Badge:
    """The badge of one attached instance as of ``now`` (business time left on its calendar)."""
    breached_at = instance.breached_at
    if breached_at is None and instance.due_at is not None and instance.due_at < now:
        breached_at = instance.due_at if instance.clock_state == ClockStateChoice.RUNNING else None
    if instance.clock_state == ClockStateChoice.STOPPED:
        level, text = (BREACHED, "breached") if breached_at else (MET, "met")
    elif breached_at is not None and breached_at < now:
        level, text = BREACHED, f"breached {format_duration(now - breached_at)} ago"
    else:
        calendar = instance.definition.calendar.to_engine(year=now.year)
        left = format_duration(_remaining(instance, calendar, now), days=False)
        if instance.clock_state == ClockStateChoice.PAUSED:
            level, text = PAUSED, f"paused, {left} left"
        else:
            level = (
                RISK
                if instance.risk_at and instance.risk_at <= now
                else WARN
                if instance.warn_at and instance.warn_at <= now
                else OK
            )
            text = f"{left} left"
    return Badge(
        ticket_id=instance.ticket_id,
        name=instance.definition.name,
        metric=instance.metric,
        level=level,
        text=text,
        due_at=instance.due_at,
        breached_at=breached_at,
        clock_state=instance.clock_state,
    )


@dataclass(frozen=True)
class _Definitions:
    """Every SLA definition with its calendar, and which are OLAs (limited to groups)."""

    by_id: Mapping[int, SlaDefinition]
    ola_ids: frozenset[int]


def _read_definitions() -> _Definitions:
    definitions = SlaDefinition.objects.select_related("calendar").order_by()
    groups = SlaDefinition.assignment_groups.through.objects.values_list("sladefinition_id")
    return _Definitions(
        by_id=MappingProxyType({d.pk: d for d in definitions}),
        ola_ids=frozenset(pk for (pk,) in groups),
    )


# Read once per process and again when definitions, calendars or their groups change
# (``itsm.core.stamps``: one stamp query per request, shared with the other reference caches).
stamp_table(SlaDefinition)
stamp_table(BusinessCalendar)
stamp_table(SlaDefinition.assignment_groups.through, content=("sladefinition_id", "group_id"))
_DEFINITIONS = StampedCache(_read_definitions)


def _definitions(
    ids: Iterable[int], known: Mapping[int, SlaDefinition]
) -> dict[int, SlaDefinition]:
    """The definitions of these ids with their calendars (shared: read only)."""
    found = {pk: known[pk] for pk in ids if pk in known}
    missing = set(ids) - found.keys()
    if missing:  # created after this request read the stamp
        found.update(SlaDefinition.objects.select_related("calendar").in_bulk(missing))
    return found


def sla_badges_for(
    tickets: Iterable[Ticket | int], *, now: datetime | None = None
) -> dict[int, list[Badge]]:
    """Badges of the attached SLAs of many tickets, response first, in two queries."""
    now = now or timezone.now()
    ids = [t if isinstance(t, int) else t.pk for t in tickets]
    badges: dict[int, list[Badge]] = defaultdict(list)
    if not ids:
        return badges
    # Plain rows, not model instances: building a hundred models with a dozen timestamps each
    # was a good part of a queue page.
    rows = list(
        SlaInstance.objects.filter(ticket_id__any=ids, detached_at__isnull=True)
        .order_by("ticket_id", "-metric", "pk")
        .values_list(*BADGE_FIELDS)
    )
    # The few definitions once, not joined into every row: a page of 50 tickets has about 100
    # instances but two to four definitions, and decoding their JSON per row was most of the cost.
    definitions = _definitions({row[1] for row in rows}, _DEFINITIONS.get().by_id) if rows else {}
    for ticket_id, definition_id, *figures in rows:
        instance = _Figures(ticket_id, definitions[definition_id], *figures)
        badges[ticket_id].append(badge_for(instance, now))
    return badges


# --------------------------------------------------------------------------- explain


@dataclass(frozen=True)
class SpanView:
    start: datetime
    end: datetime
    state: str
    clock_state: str
    priority: str
    business_minutes: float


@dataclass(frozen=True)
class CycleView:
    started_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    result: SlaResult
    spans: list[SpanView]


@dataclass(frozen=True)
class Explanation:
    """Why an SLA of a ticket stands where it stands: figures, spans, earlier cycles."""

    instance: SlaInstance
    name: str
    metric: str
    is_ola: bool
    calendar: Calendar
    calendar_name: str
    result: SlaResult
    spans: list[SpanView]
    previous_cycles: list[CycleView]

    @property
    def applies(self) -> bool:
        return self.instance.detached_at is None

    @property
    def due_at_local(self) -> datetime | None:
        due = self.result.due_at
        return None if due is None else self.calendar.to_local(due)

    @property
    def warnings(self) -> list[tuple[int, datetime | None]]:
        return sorted(self.result.warnings.items())


def _state_label(slug: str) -> str:
    return str(TicketState(slug).label) if slug in TicketState.values else slug


def _spans(result: SlaResult) -> list[SpanView]:
    return [
        SpanView(
            start=span.start,
            end=span.end,
            state=_state_label(span.state),
            clock_state=str(span.clock_state),
            priority=span.priority,
            business_minutes=round(span.business_seconds / 60, 2),
        )
        for span in result.spans
    ]


def _ticket_instances(ticket: Ticket, *, internal: bool) -> list[SlaInstance]:
    instances = list(
        SlaInstance.objects.filter(ticket=ticket).order_by("detached_at", "-metric", "pk")
    )
    if not instances:
        return instances
    policy = _DEFINITIONS.get()
    definitions = _definitions({instance.definition_id for instance in instances}, policy.by_id)
    ola_ids = policy.ola_ids
    for instance in instances:
        instance.definition = definitions[instance.definition_id]
        instance.is_ola = instance.definition_id in ola_ids  # type: ignore[attr-defined]
    if not internal:
        instances = [
            instance
            for instance in instances
            if instance.metric == MetricChoice.RESOLUTION
            and instance.detached_at is None
            and not instance.is_ola  # type: ignore[attr-defined]
        ]
    return instances


#: How long a ticket's SLA facts are kept. The key changes with every journal entry; this only
#: bounds the memory of tickets nobody opens any more.
FACTS_SECONDS = 3600


def _ticket_facts(ticket: Ticket, journal_state: str | None) -> list[Fact]:
    """The ticket's SLA facts, kept per ``journal_state`` when the caller knows it.

    ``journal_state`` is text that changes with every entry of the ticket's journal (its last
    entry and size, say): the journal is append-only, so the facts under one state never change.
    """
    if journal_state is None:
        return load_facts([ticket.pk]).get(ticket.pk, [])
    key = f"sla:facts:{ticket.pk}:{journal_state}"
    found: list[Fact] | None = cache.get(key)
    if found is None:
        found = load_facts([ticket.pk]).get(ticket.pk, [])
        cache.set(key, found, FACTS_SECONDS)
    return found


def _explain(
    ticket: Ticket, rows: list[SlaInstance], now: datetime, journal_state: str | None = None
) -> list[Explanation]:
    facts = _ticket_facts(ticket, journal_state) if rows else []
    explained = []
    for instance in rows:
        try:
            result = evaluate_instance(instance, ticket, facts, now)
        except ValueError:
            continue
        calendar = instance.definition.calendar.to_engine(year=now.year)
        explained.append(
            Explanation(
                instance=instance,
                name=instance.definition.name,
                metric=instance.metric,
                is_ola=bool(getattr(instance, "is_ola", False)),
                calendar=calendar,
                calendar_name=instance.definition.calendar.name,
                result=result,
                spans=_spans(result),
                previous_cycles=[
                    CycleView(
                        started_at=cycle.started_at,
                        ended_at=cycle.ended_at,
                        ended_by=cycle.ended_by,
                        result=cycle,
                        spans=_spans(cycle),
                    )
                    for cycle in result.previous_cycles
                ],
            )
        )
    return explained


def explain_ticket_slas(
    ticket: Ticket, *, now: datetime | None = None, internal: bool = True
) -> list[Explanation]:
    """Every SLA of the ticket recomputed as of ``now`` with its timeline (two queries).

    ``internal=False`` (requesters) keeps only the customer resolution SLAs that apply: no OLAs,
    no response or detached ones.
    """
    now = now or timezone.now()
    return _explain(ticket, _ticket_instances(ticket, internal=internal), now)


def ticket_sla_panel(
    ticket: Ticket, *, now: datetime | None = None, journal_state: str | None = None
) -> tuple[list[Badge], list[Explanation]]:
    """For an agent's ticket page: the badges (as ``sla_badges_for`` gives them) and the
    explanations (as ``explain_ticket_slas`` gives them), from one read of the instances.

    With ``journal_state`` (see ``_ticket_facts``) the journal's SLA facts are read once per
    state of the journal, not on every page.
    """
    now = now or timezone.now()
    rows = _ticket_instances(ticket, internal=True)
    attached = sorted(
        (instance for instance in rows if instance.detached_at is None),
        key=lambda instance: instance.pk,
    )
    # Response first, then by pk: the order of sla_badges_for (a stable sort keeps pk order).
    attached.sort(key=lambda instance: instance.metric, reverse=True)
    badges = [badge_for(instance, now) for instance in attached]
    return badges, _explain(ticket, rows, now, journal_state)
