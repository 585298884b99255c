"""Instants as integer microseconds since the Unix epoch (UTC), the engine's internal time.

Integers keep equalities such as "resolved exactly at the due time" exact, never float-fuzzy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = EPOCH.date().toordinal()
ONE_US = timedelta(microseconds=1)
SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch; ValueError for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: SLA instants must be aware")
    return (instant - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    """The UTC datetime of ``us`` microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=us)


def amount_us(amount: timedelta | float) -> int:
    """A duration given as a timedelta or as seconds, in microseconds."""
    if isinstance(amount, timedelta):
        return amount // ONE_US
    return round(amount * SECOND_US)
