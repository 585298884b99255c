"""Small statistics helpers with the definitions docs/reports.md states."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Aggregate, FloatField


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile with linear interpolation between closest ranks (PostgreSQL's
    ``percentile_cont``): the median of 1, 2, 3, 10 is 2.5, its 90th percentile 7.9."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``: the same
    interpolation as ``percentile`` (PostgreSQL only)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        # A number we write, never user input: it goes into the SQL as a float literal.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def round2(value: float) -> float:
    """Rounded to 2 places, halves away from zero (20.125 -> 20.13), as people round."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round2(seconds / 3600)


def rate(part: int, whole: int) -> float | None:
    """A percentage rounded to 2 places; None when there is nothing to measure."""
    return None if whole == 0 else round2(100 * part / whole)
