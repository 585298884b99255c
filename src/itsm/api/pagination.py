"""Cursor (keyset) pagination: stable under inserts, constant cost at any depth.

A cursor is opaque to clients: base64url of the ordering it belongs to and the last row's
ordering value and id. The next page continues strictly after that row, so rows added or
changed between requests never make a page repeat or skip what was already read.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.http import HttpRequest

from itsm.core.errors import ActionError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

M = TypeVar("M", bound=models.Model)


class InvalidCursor(ActionError):
    status = 400
    title = "Invalid cursor"


@dataclass(frozen=True)
class Ordering:
    """One orderable column, tie-broken by id in the same direction. Nulls always sort last."""

    key: str
    field: str
    descending: bool = False
    nullable: bool = False
    datetime_value: bool = True

    def order_by(self, *, unindexed: bool = False) -> list[Any]:
        """``unindexed`` sorts by an expression no index delivers (datetime columns only), so
        PostgreSQL finds the rows first and sorts them, instead of walking an index in order
        and filtering: the right plan when few rows match however many the planner expects."""
        column: Any = F(self.field)
        if unindexed:
            column = ExpressionWrapper(column + Value(timedelta(0)), output_field=DateTimeField())
        identity = F("pk")
        # NULLS LAST is spelled out only for nullable columns: on a NOT NULL column it changes
        # nothing but stops PostgreSQL from reading a descending order off a plain index.
        nulls_last = True if self.nullable else None
        if self.descending:
            return [column.desc(nulls_last=nulls_last), identity.desc()]
        return [column.asc(nulls_last=nulls_last), identity.asc()]

    def after(self, value: Any, pk: int) -> Q:
        """Rows strictly after (value, pk) in this ordering."""
        later = "lt" if self.descending else "gt"
        if value is None:
            return Q(**{f"{self.field}__isnull": True, f"pk__{later}": pk})
        q = Q(**{f"{self.field}__{later}": value}) | Q(**{self.field: value, f"pk__{later}": pk})
        if self.nullable:
            q |= Q(**{f"{self.field}__isnull": True})
        return q


def encode_cursor(ordering: Ordering, value: Any, pk: int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    payload = json.dumps({"o": ordering.key, "v": raw, "i": pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(ordering: Ordering, cursor: str) -> tuple[Any, int]:
    """The (value, pk) a cursor points after; InvalidCursor for anything not made by us."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor("The cursor is not one this API returned.") from None
    if not isinstance(data, dict) or set(data) != {"o", "v", "i"}:
        raise InvalidCursor("The cursor is not one this API returned.")
    pk, raw = data["i"], data["v"]
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 0:
        raise InvalidCursor("The cursor is not one this API returned.")
    if data["o"] != ordering.key:
        raise InvalidCursor(
            f"The cursor belongs to ordering {data['o']!r}, not {ordering.key!r}; "
            "start again without a cursor."
        )
    if raw is None:
        if not ordering.nullable:
            raise InvalidCursor("The cursor is not one this API returned.")
        return None, pk
    if not isinstance(raw, str):
        raise InvalidCursor("The cursor is not one this API returned.")
    if not ordering.datetime_value:
        return raw, pk
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidCursor("The cursor is not one this API returned.") from None
    if value.tzinfo is None:
        raise InvalidCursor("The cursor is not one this API returned.")
    return value, pk


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_cursor: str | None

    def next_url(self, request: HttpRequest) -> str | None:
        if self.next_cursor is None:
            return None
        query = request.GET.copy()
        query["cursor"] = self.next_cursor
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(
    queryset: models.QuerySet[M, Any],
    ordering: Ordering,
    *,
    cursor: str | None,
    limit: int,
    unindexed: bool = False,
) -> Page:
    """One page of ``queryset`` in ``ordering``, after ``cursor`` when given.

    The rows are model instances, or dicts for a ``values()`` queryset (which must then hold
    ``id`` and the ordering's field). One query: a row more than the page tells whether there is
    a next page, so no count is ever made.
    """
    queryset = queryset.order_by(*ordering.order_by(unindexed=unindexed))
    if cursor:
        value, pk = decode_cursor(ordering, cursor)
        queryset = queryset.filter(ordering.after(value, pk))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    if isinstance(last, dict):
        return Page(rows, encode_cursor(ordering, last[ordering.field], last["id"]))
    return Page(rows, encode_cursor(ordering, getattr(last, ordering.field), last.pk))
