"""The SLA clock: definitions, journal events, and the reported figures as of an instant.

The clock is ``running``, ``paused`` or ``stopped`` as decided by the ticket state after every
event at or before an instant. Elapsed time E(t) is business time while running; the due time is
the instant E reaches the target of the priority now in effect; a breach is the first instant b
with E(b) >= T(b) before the end (now, or the stop).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from itertools import accumulate
from operator import itemgetter
from types import MappingProxyType
from typing import NamedTuple

from itsm.sla.engine.calendars import Calendar
from itsm.sla.engine.instants import MINUTE_US, from_us, to_us

DEFAULT_PAUSE_STATES = frozenset({"Pending User", "Waiting for Vendor", "On Hold"})
DEFAULT_STOP_STATES = frozenset({"Resolved", "Closed"})
DEFAULT_WARNING_THRESHOLDS = (50, 75)
FIRST_RESPONSE = "first_response"


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
    _pauses: frozenset[str] = field(init=False, repr=False, compare=False)
    _stops_at_response: bool = field(init=False, repr=False, compare=False)
    _targets_us: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.targets_minutes:
            raise ValueError("targets_minutes is empty")
        for priority, minutes in self.targets_minutes.items():
            if not minutes > 0:
                raise ValueError(f"target for {priority!r} must be positive, got {minutes!r}")
        for pct in self.warning_thresholds:
            if not 0 < pct < 100:
                raise ValueError(f"warning threshold {pct!r} must be between 0 and 100")
        targets = {priority: round(m * MINUTE_US) for priority, m in self.targets_minutes.items()}
        _set = object.__setattr__  # frozen dataclass: normalise once at construction
        # Plain strings and other iterables are accepted and normalised.
        _set(self, "metric", Metric(self.metric))
        _set(self, "priority_change", PriorityChangePolicy(self.priority_change))
        _set(self, "reopen", ReopenPolicy(self.reopen))
        _set(self, "stop_states", frozenset(self.stop_states))
        _set(self, "stop_events", frozenset(self.stop_events))
        pauses = self.pause_states
        if pauses is None:
            pauses = frozenset() if self.metric is Metric.RESPONSE else DEFAULT_PAUSE_STATES
        else:
            _set(self, "pause_states", frozenset(pauses))
        _set(self, "targets_minutes", MappingProxyType(dict(self.targets_minutes)))
        _set(self, "warning_thresholds", tuple(sorted(set(self.warning_thresholds))))
        _set(self, "_pauses", frozenset(pauses))
        _set(self, "_stops_at_response", FIRST_RESPONSE in self.effective_stop_events)
        _set(self, "_targets_us", MappingProxyType(targets))

    def __hash__(self) -> int:
        return hash(
            (
                self.metric,
                frozenset(self.targets_minutes.items()),
                self.pause_states,
                self.stop_states,
                self.stop_events,
                self.priority_change,
                self.reopen,
                self.warning_thresholds,
            )
        )

    @property
    def effective_pause_states(self) -> frozenset[str]:
        return self._pauses

    @property
    def effective_stop_events(self) -> frozenset[str]:
        if self.metric is Metric.RESPONSE:
            return self.stop_events | {FIRST_RESPONSE}
        return self.stop_events

    def target(self, priority: str) -> timedelta:
        return timedelta(microseconds=self.target_us(priority))

    def clock_state(self, state: str, *, responded: bool) -> ClockState:
        """The clock given the ticket ``state`` and whether a first response was given."""
        if state in self.stop_states or (responded and self._stops_at_response):
            return ClockState.STOPPED
        if state in self._pauses:
            return ClockState.PAUSED
        return ClockState.RUNNING

    def target_us(self, priority: str) -> int:
        """The target of ``priority`` in microseconds; ValueError for an unknown priority."""
        try:
            return self._targets_us[priority]
        except KeyError:
            raise ValueError(f"unknown priority {priority!r}") from None


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
    """One stretch of constant state for the explain timeline, with the business time counted."""

    start: datetime
    end: datetime
    state: str
    clock_state: ClockState
    priority: str
    business_time: timedelta

    @property
    def business_seconds(self) -> float:
        return self.business_time.total_seconds()


class _Segment(NamedTuple):
    """The state from ``start`` until the next segment (or the end of the view)."""

    start: int
    state: str
    clock: ClockState
    priority: str


@dataclass(frozen=True)
class _Elapsed:
    """Per segment: where it ends, the business time it counted, and E at its start."""

    ends: list[int]
    counted: list[int]
    before: list[int]

    @property
    def total(self) -> int:
        return self.before[-1]


@dataclass(frozen=True)
class SlaResult:
    """Every reported figure of one cycle, as of ``now`` (or of the cycle's end).

    ``previous_cycles`` holds the cycles closed by a reopen (``new_cycle``) or a priority change
    (``restart``), oldest first; they have ``ended_at``/``ended_by`` set. ``spans`` (the explain
    timeline) is built on first access, so bulk recomputation does not pay for it.
    """

    started_at: datetime
    clock_state: ClockState
    priority: str
    target: timedelta
    elapsed: timedelta
    due_at: datetime | None
    breached_at: datetime | None
    warnings: Mapping[int, datetime | None]
    ended_at: datetime | None = None
    ended_by: str | None = None
    previous_cycles: tuple[SlaResult, ...] = ()
    _trace: tuple[Sequence[_Segment], _Elapsed] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def spans(self) -> tuple[Span, ...]:
        if self._trace is None:
            return ()
        segments, elapsed = self._trace
        return tuple(
            Span(
                start=from_us(segment.start),
                end=from_us(end),
                state=segment.state,
                clock_state=segment.clock,
                priority=segment.priority,
                business_time=timedelta(microseconds=counted),
            )
            for segment, end, counted in zip(segments, elapsed.ends, elapsed.counted, strict=True)
        )

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
    now_us = to_us(now)
    *closed, current = _build_cycles(definition, events, now_us)
    previous = tuple(
        _evaluate_cycle(
            calendar, definition, cycle, view_end=now_us if cycle.end is None else cycle.end
        )
        for cycle in closed
    )
    return _evaluate_cycle(calendar, definition, current, view_end=now_us, previous=previous)


def _ordered(events: Iterable[Event], now_us: int) -> tuple[Created, list[tuple[int, Event]]]:
    """The created event and all events in time order (a stable sort keeps same-instant order)."""
    timed = sorted([(to_us(event.at), event) for event in events], key=itemgetter(0))
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
    definition.target_us(priority)  # unknown priority -> ValueError
    cycles: list[_Cycle] = []
    last_index = len(timed) - 1
    for index, (at, event) in enumerate(timed):
        state, priority, responded = _apply(definition, event, state, priority, responded)
        if index < last_index and timed[index + 1][0] == at:
            continue  # the state at an instant is the one after all of its events
        segment = _Segment(at, state, definition.clock_state(state, responded=responded), priority)
        if not cycles:
            cycles.append(_Cycle([segment]))
            continue
        current = cycles[-1]
        before = current.segments[-1]
        reason = _new_cycle_reason(definition, before, segment)
        if reason is not None:
            current.end, current.ended_by = at, reason
            cycles.append(_Cycle([segment]))
        elif segment[1:] != before[1:]:
            current.segments.append(segment)
    return cycles


def _apply(
    definition: SlaDefinition, event: Event, state: str, priority: str, responded: bool
) -> tuple[str, str, bool]:
    if isinstance(event, StateChanged):
        return event.to, priority, responded
    if isinstance(event, PriorityChanged):
        definition.target_us(event.to)  # unknown priority -> ValueError
        return state, event.to, responded
    if isinstance(event, FirstResponse):
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


def _elapsed(calendar: Calendar, segments: Sequence[_Segment], view_end: int) -> _Elapsed:
    ends = [segment.start for segment in segments[1:]]
    ends.append(view_end)
    counted = [
        calendar.business_us(segment.start, end) if segment.clock is ClockState.RUNNING else 0
        for segment, end in zip(segments, ends, strict=True)
    ]
    return _Elapsed(ends, counted, list(accumulate(counted, initial=0)))


def _evaluate_cycle(
    calendar: Calendar,
    definition: SlaDefinition,
    cycle: _Cycle,
    *,
    view_end: int,
    previous: tuple[SlaResult, ...] = (),
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
    target = definition.target_us(last.priority)
    if stop_index is not None:
        pre = segments[stop_index - 1] if stop_index > 0 else None
        running = pre is not None and pre.clock is ClockState.RUNNING
        target = target if pre is None else definition.target_us(pre.priority)
    thresholds = definition.warning_thresholds
    amounts = [target * pct // 100 for pct in thresholds]
    amounts.append(target)
    *warnings, due_at = _reach(calendar, segments, elapsed, amounts, anchor=end, running=running)

    return SlaResult(
        started_at=from_us(segments[0].start),
        clock_state=last.clock,
        priority=last.priority,
        target=definition.target(last.priority),
        elapsed=timedelta(microseconds=elapsed.total),
        due_at=due_at,
        breached_at=None if breached_at is None else from_us(breached_at),
        warnings=dict(zip(thresholds, warnings, strict=True)),
        ended_at=None if cycle.end is None else from_us(cycle.end),
        ended_by=cycle.ended_by,
        previous_cycles=previous,
        _trace=(segments, elapsed),
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
        limit = definition.target_us(segment.priority)
        if before >= limit:
            return segment.start
        if counted and before + counted >= limit:
            hit = calendar.add_us(segment.start, limit - before)
            if hit < min(seg_end, end):
                return hit
    return None


def _reach(
    calendar: Calendar,
    segments: Sequence[_Segment],
    elapsed: _Elapsed,
    amounts: Sequence[int],
    *,
    anchor: int,
    running: bool,
) -> list[datetime | None]:
    """For each of the ascending ``amounts``, the earliest instant at which elapsed time reaches
    it: from the history when already reached, else projected forward from ``anchor`` if the
    clock runs, else None."""
    total = elapsed.total
    reached: list[datetime | None] = []
    for amount in amounts:
        if amount > total:
            break
        reached.append(from_us(_reached_at(calendar, segments, elapsed, amount)))
    ahead = amounts[len(reached) :]
    if not running:
        return reached + [None] * len(ahead)
    projected = calendar.add_many_us(anchor, [amount - total for amount in ahead])
    return reached + [from_us(at) for at in projected]


def _reached_at(
    calendar: Calendar, segments: Sequence[_Segment], elapsed: _Elapsed, amount: int
) -> int:
    """When the history's elapsed time first reached ``amount`` (at most the total)."""
    if amount <= 0:
        return segments[0].start
    for segment, counted, before in zip(segments, elapsed.counted, elapsed.before, strict=False):
        if counted and before + counted >= amount:
            return calendar.add_us(segment.start, amount - before)
    raise ValueError(f"elapsed time never reached {amount} us")  # callers pass amount <= total
