"""Pure SLA timer engine: business calendars, clock states, due, breach and warning instants.

Implements the normative SLA semantics (SLA.md). Live tickets (fed from their journal) and the
``itsm sla simulate`` command share this code path, so timers are a pure function of
(calendar, definition, events, now): recomputable at any time with the same answer.

Instants are aware datetimes at the edges and integer microseconds since the Unix epoch (UTC)
inside, so equalities such as "resolved exactly at the due time" are exact, never float-fuzzy.
No Django, no third-party imports at module level (``holiday_dates`` imports ``holidays`` lazily).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate, groupby
from operator import itemgetter
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_PAUSE_STATES",
    "DEFAULT_STOP_STATES",
    "DEFAULT_WARNING_THRESHOLDS",
    "FIRST_RESPONSE",
    "WEEKDAYS",
    "Calendar",
    "ClockState",
    "Created",
    "Event",
    "FirstResponse",
    "Metric",
    "NoBusinessTimeError",
    "PriorityChangePolicy",
    "PriorityChanged",
    "ReopenPolicy",
    "SlaDefinition",
    "SlaResult",
    "Span",
    "StateChanged",
    "Window",
    "evaluate",
    "holiday_dates",
    "load_zone",
    "parse_clock_time",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_PAUSE_STATES = frozenset({"Pending User", "Waiting for Vendor", "On Hold"})
DEFAULT_STOP_STATES = frozenset({"Resolved", "Closed"})
DEFAULT_WARNING_THRESHOLDS = (50, 75)
FIRST_RESPONSE = "first_response"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_ONE_US = timedelta(microseconds=1)
_SECOND_US = 1_000_000
_MINUTE_US = 60 * _SECOND_US
_HOUR_US = 60 * _MINUTE_US
_DAY_US = 24 * _HOUR_US
_MINUTES_PER_DAY = 24 * 60
# Any UTC offset in the tz database (LMT included) is well inside +-18 h.
_MAX_OFFSET_US = 18 * _HOUR_US
# Real zones never change offset twice within this step, so probing at it finds every transition.
_PROBE_STEP_US = 3 * _HOUR_US
# add_business_time gives up after about ten years instead of looping forever.
_MAX_SEARCH_DAYS = 3660


class NoBusinessTimeError(ValueError):
    """The calendar has no business time where some is needed (e.g. all windows empty)."""


# --------------------------------------------------------------------------- instants


def _to_us(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: SLA instants must be aware")
    return (instant - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _amount_us(amount: timedelta | float) -> int:
    if isinstance(amount, timedelta):
        return amount // _ONE_US
    return round(amount * _SECOND_US)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError (not a zoneinfo-specific error) when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


# --------------------------------------------------------------------------- calendars

_CLOCK_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


def parse_clock_time(text: str) -> int:
    """Minutes after local midnight of ``"HH:MM"`` (``"24:00"`` is the end of the day)."""
    if not _CLOCK_TIME.fullmatch(text):
        raise ValueError(f"malformed time {text!r} (expected HH:MM from 00:00 to 24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, order=True)
class Window:
    """A weekly opening ``[start, end)`` in minutes after local midnight; start == end is closed."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end <= _MINUTES_PER_DAY:
            raise ValueError(f"window {self.start}-{self.end}: need 0 <= start <= end <= 1440")

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        first, last = parse_clock_time(start), parse_clock_time(end)
        if first > last:
            raise ValueError(f"window {start}-{end} ends before it starts")
        return cls(first, last)


def _merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted, without zero-length windows, overlapping and adjacent ones joined (09-12 + 12-17)."""
    merged: list[Window] = []
    for window in sorted(w for w in windows if w.start < w.end):
        if merged and window.start <= merged[-1].end:
            last = merged.pop()
            window = Window(last.start, max(last.end, window.end))
        merged.append(window)
    return tuple(merged)


_FULL_DAY = (Window(0, _MINUTES_PER_DAY),)


@dataclass(frozen=True)
class Calendar:
    """Business hours: weekly local windows (Monday first) in an IANA zone, minus holidays.

    Frozen and hashable so per-day interval computations can be cached per (calendar, date).
    """

    tz: str
    weekly: tuple[tuple[Window, ...], ...]
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _always_open: bool = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise ValueError(f"weekly needs 7 entries (Monday first), got {len(self.weekly)}")
        weekly = tuple(_merge_windows(day) for day in self.weekly)
        holidays = frozenset(self.holidays)
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", load_zone(self.tz))
        always_open = not holidays and all(day == _FULL_DAY for day in weekly)
        object.__setattr__(self, "_always_open", always_open)
        object.__setattr__(self, "_hash", hash((self.tz, weekly, holidays)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def from_weekly(
        cls,
        tz: str,
        weekly: Mapping[str, Iterable[tuple[str, str]]],
        holidays: Iterable[date] = (),
    ) -> Calendar:
        """From ``{"mon": [("09:00", "17:00")], ...}``; a missing weekday is closed."""
        unknown = set(weekly) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday(s): {', '.join(sorted(unknown))}")
        days = tuple(
            tuple(Window.parse(start, end) for start, end in weekly.get(day, ()))
            for day in WEEKDAYS
        )
        return cls(tz, days, frozenset(holidays))

    @classmethod
    def always_open(cls, tz: str = "UTC") -> Calendar:
        """The ``24x7`` calendar: every instant is business time (24 h is 24 real hours)."""
        return cls(tz, (_FULL_DAY,) * len(WEEKDAYS))

    @property
    def mode(self) -> str:
        return "24x7" if self._always_open else "weekly"

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def to_local(self, instant: datetime) -> datetime:
        return instant.astimezone(self._zone)

    def is_business_time(self, instant: datetime) -> bool:
        us = _to_us(instant)
        return any(s <= us < e for s, e in _day_intervals(self, self._local_ordinal(us)))

    def business_intervals(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """The UTC intervals ``[a, b)`` of business time within ``[start, end)``, in order."""
        pending: tuple[int, int] | None = None
        for s, e in self._intervals_us(_to_us(start), _to_us(end)):
            if pending is not None and pending[1] == s:
                pending = (pending[0], e)
                continue
            if pending is not None:
                yield _from_us(pending[0]), _from_us(pending[1])
            pending = (s, e)
        if pending is not None:
            yield _from_us(pending[0]), _from_us(pending[1])

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; negative when ``end`` precedes ``start``."""
        a, b = _to_us(start), _to_us(end)
        if b < a:
            return -timedelta(microseconds=self._business_us(b, a))
        return timedelta(microseconds=self._business_us(a, b))

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        return self.business_time_between(start, end).total_seconds()

    def add_business_time(self, start: datetime, amount: timedelta | float) -> datetime:
        """The earliest instant at which business time elapsed since ``start`` reaches ``amount``
        (a timedelta, or seconds). Used up exactly at closing time -> closing time."""
        return _from_us(self._add_us(_to_us(start), _amount_us(amount)))

    # -- integer-microsecond core, shared with evaluate() -------------------------------

    def _local_ordinal(self, us: int) -> int:
        return _from_us(us).astimezone(self._zone).toordinal()

    def _intervals_us(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        if start >= end:
            return
        if self._always_open:
            yield start, end
            return
        # Local dates never run backwards in the tz database (no fall-back crosses midnight
        # backwards), so days in order give intervals in order.
        for ordinal in range(self._local_ordinal(start), self._local_ordinal(end) + 1):
            for s, e in _day_intervals(self, ordinal):
                if e <= start:
                    continue
                if s >= end:
                    return
                yield max(s, start), min(e, end)

    def _business_us(self, start: int, end: int) -> int:
        if start >= end:
            return 0
        if self._always_open:
            return end - start
        return sum(e - s for s, e in self._intervals_us(start, end))

    def _add_us(self, start: int, amount: int) -> int:
        if amount < 0:
            raise ValueError("cannot add a negative amount of business time")
        if amount == 0:
            return start
        if self._always_open:
            return start + amount
        if not any(self.weekly):
            raise NoBusinessTimeError("the calendar has no business hours on any weekday")
        remaining = amount
        first = self._local_ordinal(start)
        for ordinal in range(first, first + _MAX_SEARCH_DAYS):
            for s, e in _day_intervals(self, ordinal):
                if e <= start:
                    continue
                s = max(s, start)
                if remaining <= e - s:
                    return s + remaining
                remaining -= e - s
        raise NoBusinessTimeError(
            f"the calendar has too little business time within ten years after "
            f"{_from_us(start).isoformat()}"
        )


@lru_cache(maxsize=65_536)
def _day_intervals(calendar: Calendar, ordinal: int) -> tuple[tuple[int, int], ...]:
    """UTC intervals (microseconds) of business time whose local date is day ``ordinal``.

    The local day is split at the zone's offset transitions into constant-offset pieces and each
    window is mapped per piece: a skipped local time maps to nothing, a repeated one maps twice.
    """
    day = date.fromordinal(ordinal)
    windows = calendar.weekly[day.weekday()]
    if not windows or day in calendar.holidays:
        return ()
    # "Wall" microseconds: the local midnight read as if it were UTC.
    midnight = (ordinal - _EPOCH_ORDINAL) * _DAY_US
    pieces = _offset_pieces(
        calendar.zone, midnight - _MAX_OFFSET_US, midnight + _DAY_US + _MAX_OFFSET_US
    )
    found: list[tuple[int, int]] = []
    for window in windows:
        wall_start = midnight + window.start * _MINUTE_US
        wall_end = midnight + window.end * _MINUTE_US
        for utc_start, utc_end, offset in pieces:
            lo = max(wall_start, utc_start + offset)
            hi = min(wall_end, utc_end + offset)
            if lo < hi:
                found.append((lo - offset, hi - offset))
    return _merge_intervals(found)


def _merge_intervals(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


def _offset_us(zone: ZoneInfo, us: int) -> int:
    offset = _from_us(us).astimezone(zone).utcoffset()
    return 0 if offset is None else offset // _ONE_US


def _offset_pieces(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """``[start, end)`` (UTC microseconds) cut into ``(start, end, utc_offset)`` pieces."""
    pieces: list[tuple[int, int, int]] = []
    piece_start, offset = start, _offset_us(zone, start)
    probe = start
    while probe < end:
        nxt = min(probe + _PROBE_STEP_US, end)
        if _offset_us(zone, nxt) == offset:
            probe = nxt
            continue
        change = _find_transition(zone, probe, nxt, offset)
        pieces.append((piece_start, change, offset))
        piece_start, offset, probe = change, _offset_us(zone, change), change
    pieces.append((piece_start, end, offset))
    return pieces


def _find_transition(zone: ZoneInfo, lo: int, hi: int, offset: int) -> int:
    """First whole second in ``(lo, hi]`` whose offset differs from ``offset`` (binary search);
    tz database transitions fall on whole seconds."""
    lo_s, hi_s = lo // _SECOND_US, -(-hi // _SECOND_US)
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset_us(zone, mid * _SECOND_US) == offset:
            lo_s = mid
        else:
            hi_s = mid
    return hi_s * _SECOND_US


def holiday_dates(country: str, subdiv: str | None, years: Iterable[int]) -> frozenset[date]:
    """Public holidays of ``country`` (and ``subdiv``) in ``years`` from the ``holidays`` package.

    ValueError for an unknown country or subdivision.
    """
    import holidays  # third-party: imported here to keep the module's import path pure

    wanted = sorted(set(years))
    try:
        table = holidays.country_holidays(country, subdiv=subdiv, years=wanted)
    except NotImplementedError as exc:
        raise ValueError(str(exc)) from exc
    return frozenset(table.keys())


# --------------------------------------------------------------------------- definitions


class Metric(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class PriorityChangePolicy(StrEnum):
    RETARGET_KEEP_ELAPSED = "retarget_keep_elapsed"
    RESTART = "restart"


class ReopenPolicy(StrEnum):
    RESUME = "resume"
    NEW_CYCLE = "new_cycle"


@dataclass(frozen=True)
class SlaDefinition:
    """What one SLA measures: metric, per-priority targets, the states that pause or stop the
    clock, and the policies for priority changes and reopens.

    ``pause_states=None`` means the metric's default (the usual waiting states for resolution,
    none for response). A response SLA always stops at ``first_response``.
    """

    metric: Metric
    targets_minutes: Mapping[str, float]
    pause_states: frozenset[str] | None = None
    stop_states: frozenset[str] = DEFAULT_STOP_STATES
    stop_events: frozenset[str] = frozenset()
    priority_change: PriorityChangePolicy = PriorityChangePolicy.RETARGET_KEEP_ELAPSED
    reopen: ReopenPolicy = ReopenPolicy.RESUME
    warning_thresholds: tuple[int, ...] = DEFAULT_WARNING_THRESHOLDS

    def __post_init__(self) -> None:
        if not self.targets_minutes:
            raise ValueError("targets_minutes is empty")
        for priority, minutes in self.targets_minutes.items():
            if not minutes > 0:
                raise ValueError(f"target for {priority!r} must be positive, got {minutes!r}")
        for pct in self.warning_thresholds:
            if not 0 < pct < 100:
                raise ValueError(f"warning threshold {pct!r} must be between 0 and 100")
        object.__setattr__(self, "targets_minutes", MappingProxyType(dict(self.targets_minutes)))
        object.__setattr__(self, "warning_thresholds", tuple(sorted(set(self.warning_thresholds))))

    @property
    def effective_pause_states(self) -> frozenset[str]:
        if self.pause_states is not None:
            return self.pause_states
        return frozenset() if self.metric is Metric.RESPONSE else DEFAULT_PAUSE_STATES

    @property
    def effective_stop_events(self) -> frozenset[str]:
        if self.metric is Metric.RESPONSE:
            return self.stop_events | {FIRST_RESPONSE}
        return self.stop_events

    def target(self, priority: str) -> timedelta:
        return timedelta(microseconds=self._target_us(priority))

    def clock_state(self, state: str, *, responded: bool) -> ClockState:
        """The clock given the ticket ``state`` and whether a first response was given."""
        stopped_by_event = responded and FIRST_RESPONSE in self.effective_stop_events
        if state in self.stop_states or stopped_by_event:
            return ClockState.STOPPED
        if state in self.effective_pause_states:
            return ClockState.PAUSED
        return ClockState.RUNNING

    def _target_us(self, priority: str) -> int:
        try:
            minutes = self.targets_minutes[priority]
        except KeyError:
            raise ValueError(f"unknown priority {priority!r}") from None
        return round(minutes * _MINUTE_US)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Created:
    at: datetime
    state: str
    priority: str


@dataclass(frozen=True)
class StateChanged:
    at: datetime
    to: str


@dataclass(frozen=True)
class PriorityChanged:
    at: datetime
    to: str


@dataclass(frozen=True)
class FirstResponse:
    """The first public agent response (the stop event of response SLAs)."""

    at: datetime


Event = Created | StateChanged | PriorityChanged | FirstResponse


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Span:
    """One stretch of constant state for the explain timeline; ``business_seconds`` counted."""

    start: datetime
    end: datetime
    state: str
    clock_state: ClockState
    priority: str
    business_seconds: float


@dataclass(frozen=True)
class SlaResult:
    """Every reported figure of one cycle, as of ``now`` (or of the cycle's end).

    ``previous_cycles`` holds the cycles closed by a reopen (``new_cycle``) or a priority change
    (``restart``), oldest first; they have ``ended_at``/``ended_by`` set.
    """

    started_at: datetime
    clock_state: ClockState
    priority: str
    target: timedelta
    elapsed: timedelta
    due_at: datetime | None
    breached_at: datetime | None
    warnings: Mapping[int, datetime | None]
    spans: tuple[Span, ...]
    ended_at: datetime | None = None
    ended_by: str | None = None
    previous_cycles: tuple[SlaResult, ...] = ()

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    @property
    def remaining(self) -> timedelta:
        return max(timedelta(0), self.target - self.elapsed)

    @property
    def target_minutes(self) -> float:
        return self.target / timedelta(minutes=1)

    @property
    def elapsed_business_minutes(self) -> float:
        return self.elapsed / timedelta(minutes=1)

    @property
    def remaining_business_minutes(self) -> float:
        return self.remaining / timedelta(minutes=1)

    @property
    def elapsed_pct(self) -> float:
        return round(100 * (self.elapsed / self.target), 2)

    def thresholds(self) -> dict[str, datetime | None]:
        """The instants to store for indexing: ``warn_<pct>`` for each threshold, then ``due``."""
        named: dict[str, datetime | None] = {f"warn_{p}": at for p, at in self.warnings.items()}
        named["due"] = self.due_at
        return named

    def next_threshold_at(self, after: datetime) -> datetime | None:
        """The earliest warning or due instant strictly after ``after`` while the clock runs
        (when a sweeper should look again); None when paused or stopped. A breach becomes
        visible just after ``due_at``."""
        if self.clock_state is not ClockState.RUNNING:
            return None
        upcoming = [at for at in self.thresholds().values() if at is not None and at > after]
        return min(upcoming, default=None)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Segment:
    """The state from ``start`` until the next segment (or the end of the view)."""

    start: int
    state: str
    clock: ClockState
    priority: str


@dataclass
class _Cycle:
    segments: list[_Segment]
    end: int | None = None
    ended_by: str | None = None


def evaluate(
    calendar: Calendar, definition: SlaDefinition, events: Iterable[Event], now: datetime
) -> SlaResult:
    """The SLA figures of a ticket with ``events`` (its journal) as of ``now``.

    Events are applied in time order, same-instant ones in the given order, and the state at an
    instant is the one after all its events. ValueError for an empty or inconsistent journal
    (no leading ``Created``, events after ``now``, unknown priorities).
    """
    now_us = _to_us(now)
    cycles = _build_cycles(definition, events, now_us)
    results = [
        _evaluate_cycle(calendar, definition, cycle, now_us if cycle.end is None else cycle.end)
        for cycle in cycles
    ]
    return replace(results[-1], previous_cycles=tuple(results[:-1]))


def _ordered(events: Iterable[Event], now_us: int) -> tuple[Created, list[tuple[int, Event]]]:
    """The created event and all events in time order (a stable sort keeps same-instant order)."""
    timed = sorted(((_to_us(event.at), event) for event in events), key=itemgetter(0))
    if not timed:
        raise ValueError("no events: the journal must start with a created event")
    created = timed[0][1]
    if not isinstance(created, Created):
        raise ValueError("the first event must be the created event")
    if any(isinstance(event, Created) for _, event in timed[1:]):
        raise ValueError("only one created event is allowed")
    if timed[-1][0] > now_us:
        raise ValueError(f"event at {timed[-1][1].at.isoformat()} is after now")
    return created, timed


def _build_cycles(definition: SlaDefinition, events: Iterable[Event], now_us: int) -> list[_Cycle]:
    created, timed = _ordered(events, now_us)
    state, priority, responded = created.state, created.priority, False
    definition._target_us(priority)  # unknown priority -> ValueError
    cycles: list[_Cycle] = []
    for at, group in groupby(timed, key=itemgetter(0)):
        for _, event in group:
            state, priority, responded = _apply(definition, event, state, priority, responded)
        clock = definition.clock_state(state, responded=responded)
        segment = _Segment(at, state, clock, priority)
        if not cycles:
            cycles.append(_Cycle([segment]))
            continue
        current = cycles[-1]
        before = current.segments[-1]
        reason = _new_cycle_reason(definition, before, segment)
        if reason is not None:
            current.end, current.ended_by = at, reason
            cycles.append(_Cycle([segment]))
        elif (state, clock, priority) != (before.state, before.clock, before.priority):
            current.segments.append(segment)
    return cycles


def _apply(
    definition: SlaDefinition, event: Event, state: str, priority: str, responded: bool
) -> tuple[str, str, bool]:
    match event:
        case StateChanged(to=to):
            return to, priority, responded
        case PriorityChanged(to=to):
            definition._target_us(to)  # unknown priority -> ValueError
            return state, to, responded
        case FirstResponse():
            return state, priority, True
    return state, priority, responded


def _new_cycle_reason(definition: SlaDefinition, before: _Segment, after: _Segment) -> str | None:
    """Why a new cycle starts between two consecutive instants, if one does.

    Only a clock that runs or pauses afterwards gets a cycle: a reopen that stays stopped (a
    response SLA already answered) or a priority change on a stopped clock starts nothing.
    """
    if after.clock is ClockState.STOPPED:
        return None
    if definition.reopen is ReopenPolicy.NEW_CYCLE and before.clock is ClockState.STOPPED:
        return "reopen"
    if (
        definition.priority_change is PriorityChangePolicy.RESTART
        and before.priority != after.priority
        and before.clock is not ClockState.STOPPED
    ):
        return "priority_change"
    return None


@dataclass(frozen=True)
class _Elapsed:
    """Per-segment business time counted, and the elapsed total at each segment's start."""

    ends: list[int]
    counted: list[int]
    before: list[int]

    @property
    def total(self) -> int:
        return self.before[-1]


def _elapsed(calendar: Calendar, segments: Sequence[_Segment], view_end: int) -> _Elapsed:
    ends = [segment.start for segment in segments[1:]] + [view_end]
    counted = [
        calendar._business_us(segment.start, end) if segment.clock is ClockState.RUNNING else 0
        for segment, end in zip(segments, ends, strict=True)
    ]
    return _Elapsed(ends, counted, list(accumulate(counted, initial=0)))


def _evaluate_cycle(
    calendar: Calendar, definition: SlaDefinition, cycle: _Cycle, view_end: int
) -> SlaResult:
    segments = cycle.segments
    elapsed = _elapsed(calendar, segments, view_end)
    last = segments[-1]
    stop_index = _stop_index(segments)
    # Breach is searched in [cycle start, end], end = now or the stop instant.
    end = view_end if stop_index is None else segments[stop_index].start
    breached_at = _first_breach(calendar, definition, segments, elapsed, end)

    # Due and warning instants project from now, or from the stop with the state in force
    # just before it ("the due time in force just before the stop").
    running = last.clock is ClockState.RUNNING
    target = definition._target_us(last.priority)
    if stop_index is not None:
        pre = segments[stop_index - 1] if stop_index > 0 else None
        running = pre is not None and pre.clock is ClockState.RUNNING
        target = target if pre is None else definition._target_us(pre.priority)

    def reach(amount: int) -> datetime | None:
        at = _reach(calendar, segments, elapsed, amount, anchor=end, running=running)
        return None if at is None else _from_us(at)

    return SlaResult(
        started_at=_from_us(segments[0].start),
        clock_state=last.clock,
        priority=last.priority,
        target=definition.target(last.priority),
        elapsed=timedelta(microseconds=elapsed.total),
        due_at=reach(target),
        breached_at=None if breached_at is None else _from_us(breached_at),
        warnings={pct: reach(target * pct // 100) for pct in definition.warning_thresholds},
        spans=_spans(segments, elapsed),
        ended_at=None if cycle.end is None else _from_us(cycle.end),
        ended_by=cycle.ended_by,
    )


def _stop_index(segments: Sequence[_Segment]) -> int | None:
    """Index of the segment where the final stopped run began; None if the clock is not stopped."""
    if segments[-1].clock is not ClockState.STOPPED:
        return None
    index = len(segments) - 1
    while index > 0 and segments[index - 1].clock is ClockState.STOPPED:
        index -= 1
    return index


def _first_breach(
    calendar: Calendar,
    definition: SlaDefinition,
    segments: Sequence[_Segment],
    elapsed: _Elapsed,
    end: int,
) -> int | None:
    """The first instant b < end with E(b) >= T(b), T being the target of b's priority."""
    for segment, seg_end, counted, before in zip(
        segments, elapsed.ends, elapsed.counted, elapsed.before, strict=False
    ):
        if segment.start >= end:
            break
        limit = definition._target_us(segment.priority)
        if before >= limit:
            return segment.start
        if counted and before + counted >= limit:
            hit = calendar._add_us(segment.start, limit - before)
            if hit < min(seg_end, end):
                return hit
    return None


def _reach(
    calendar: Calendar,
    segments: Sequence[_Segment],
    elapsed: _Elapsed,
    amount: int,
    *,
    anchor: int,
    running: bool,
) -> int | None:
    """The earliest instant at which elapsed time reaches ``amount``: from the history when
    already reached, else projected forward from ``anchor`` if the clock runs, else None."""
    if amount <= 0:
        return segments[0].start
    if amount <= elapsed.total:
        for segment, counted, before in zip(
            segments, elapsed.counted, elapsed.before, strict=False
        ):
            if counted and before + counted >= amount:
                return calendar._add_us(segment.start, amount - before)
    if running:
        return calendar._add_us(anchor, amount - elapsed.total)
    return None


def _spans(segments: Sequence[_Segment], elapsed: _Elapsed) -> tuple[Span, ...]:
    return tuple(
        Span(
            start=_from_us(segment.start),
            end=_from_us(end),
            state=segment.state,
            clock_state=segment.clock,
            priority=segment.priority,
            business_seconds=counted / _SECOND_US,
        )
        for segment, end, counted in zip(segments, elapsed.ends, elapsed.counted, strict=True)
    )
