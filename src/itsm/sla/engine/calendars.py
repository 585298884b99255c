"""Business calendars: weekly local windows in an IANA zone, holidays, or 24x7.

An instant is business time when its local date is no holiday and its local time lies in a window
of its local weekday. Each local day is split at the zone's offset transitions into
constant-offset pieces, so across DST a skipped local time never counts and a repeated one counts
twice (a 00:00-06:00 window is 5 real hours on the spring-forward night, 7 on the fall-back one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from itsm.sla.engine.instants import (
    DAY_US,
    EPOCH_ORDINAL,
    HOUR_US,
    MINUTE_US,
    ONE_US,
    SECOND_US,
    amount_us,
    from_us,
    to_us,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
# Any UTC offset in the tz database (LMT included) is well inside +-18 h.
_MAX_OFFSET_US = 18 * HOUR_US
# Real zones never change offset twice within this step, so probing at it finds every transition.
_PROBE_STEP_US = 3 * HOUR_US
# add_business_time gives up after about ten years instead of looping forever.
_MAX_SEARCH_DAYS = 3660


class NoBusinessTimeError(ValueError):
    """The calendar has no business time where some is needed (e.g. all windows empty)."""


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError (not a zoneinfo-specific error) when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


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
    _has_windows: bool = field(init=False, repr=False, compare=False)
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
        object.__setattr__(self, "_has_windows", any(weekly))
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
        us = to_us(instant)
        return any(s <= us < e for s, e in _day_intervals(self, self._local_ordinal(us)))

    def business_intervals(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """The UTC intervals ``[a, b)`` of business time within ``[start, end)``, in order."""
        pending: tuple[int, int] | None = None
        for s, e in self.intervals_us(to_us(start), to_us(end)):
            if pending is not None and pending[1] == s:
                pending = (pending[0], e)
                continue
            if pending is not None:
                yield from_us(pending[0]), from_us(pending[1])
            pending = (s, e)
        if pending is not None:
            yield from_us(pending[0]), from_us(pending[1])

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; negative when ``end`` precedes ``start``."""
        a, b = to_us(start), to_us(end)
        if b < a:
            return -timedelta(microseconds=self.business_us(b, a))
        return timedelta(microseconds=self.business_us(a, b))

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        return self.business_time_between(start, end).total_seconds()

    def add_business_time(self, start: datetime, amount: timedelta | float) -> datetime:
        """The earliest instant at which business time elapsed since ``start`` reaches ``amount``
        (a timedelta, or seconds). Used up exactly at closing time -> closing time."""
        return from_us(self.add_us(to_us(start), amount_us(amount)))

    # -- the same in integer microseconds since the epoch, for the clock code -----------

    def _local_ordinal(self, us: int) -> int:
        # Whole seconds suffice: local midnights fall on whole seconds in every zone.
        return datetime.fromtimestamp(us // SECOND_US, self._zone).toordinal()

    def intervals_us(self, start: int, end: int) -> Iterator[tuple[int, int]]:
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

    def business_us(self, start: int, end: int) -> int:
        if start >= end:
            return 0
        if self._always_open:
            return end - start
        total = 0
        for ordinal in range(self._local_ordinal(start), self._local_ordinal(end) + 1):
            for s, e in _day_intervals(self, ordinal):
                if e > start and s < end:
                    total += min(e, end) - max(s, start)
        return total

    def add_us(self, start: int, amount: int) -> int:
        return self.add_many_us(start, (amount,))[0]

    def add_many_us(self, start: int, amounts: Sequence[int]) -> list[int]:
        """``add_us`` for several non-decreasing amounts in one walk over the days."""
        if amounts and amounts[0] < 0:
            raise ValueError("cannot add a negative amount of business time")
        if self._always_open:
            return [start + amount for amount in amounts]
        found = [start for amount in amounts if amount == 0]
        count, wanted = len(found), len(amounts)
        if count == wanted:
            return found
        if not self._has_windows:
            raise NoBusinessTimeError("the calendar has no business hours on any weekday")
        need, used = amounts[count], 0
        first = self._local_ordinal(start)
        for ordinal in range(first, first + _MAX_SEARCH_DAYS):
            for s, e in _day_intervals(self, ordinal):
                if e <= start:
                    continue
                s = max(s, start)
                # Used up exactly at closing time -> closing time, not the next opening.
                while need - used <= e - s:
                    found.append(s + need - used)
                    count += 1
                    if count == wanted:
                        return found
                    need = amounts[count]
                used += e - s
        raise NoBusinessTimeError(
            f"the calendar has too little business time within ten years after "
            f"{from_us(start).isoformat()}"
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
    midnight = (ordinal - EPOCH_ORDINAL) * DAY_US
    pieces = _offset_pieces(
        calendar.zone, midnight - _MAX_OFFSET_US, midnight + DAY_US + _MAX_OFFSET_US
    )
    found: list[tuple[int, int]] = []
    for window in windows:
        wall_start = midnight + window.start * MINUTE_US
        wall_end = midnight + window.end * MINUTE_US
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
    offset = from_us(us).astimezone(zone).utcoffset()
    return 0 if offset is None else offset // ONE_US


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
    lo_s, hi_s = lo // SECOND_US, -(-hi // SECOND_US)
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset_us(zone, mid * SECOND_US) == offset:
            lo_s = mid
        else:
            hi_s = mid
    return hi_s * SECOND_US


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
