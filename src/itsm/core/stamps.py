"""Per-process caches of small reference tables (categories, the priority matrix, SLA definitions,
assignment rules), checked against one stamp of those tables.

The stamp is one query over every registered table: the newest ``updated_at`` and the row count of
tables whose writes all go through ``save()`` (a save moves ``updated_at``, a deletion the count),
and the content itself of small tables without ``updated_at``. Every cache is keyed on the whole
stamp: a change of any reference table rebuilds them all, which is rare and cheap.

Within a request the stamp is read once (the request sees one version of the reference data); a
save, deletion or many-to-many change of a registered model in this process forgets it, so the
request that changes reference data sees its own change. Outside requests (the worker, the CLI)
every ``get()`` reads the stamp again, unless the caller opens a ``stamp_scope()`` (a worker's
batch): within it the stamp is read once, as in a request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from django.core.signals import request_finished, request_started
from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

#: table -> the SQL expressions that stamp it, in registration order.
_TABLES: dict[str, list[str]] = {}
_SENDERS: set[type[models.Model]] = set()
_local = threading.local()


def stamp_table(model: type[models.Model], *, content: Sequence[str] = ()) -> None:
    """Make ``model``'s table part of the stamp. ``content``: columns whose values are the
    stamp (small tables without ``updated_at``, such as a many-to-many table)."""
    table = model._meta.db_table
    if table in _TABLES:
        return
    # Table and column names come from the models, no outside input.
    quoted = connection.ops.quote_name(table)
    if content:
        columns = [connection.ops.quote_name(c) for c in content]
        row = " || ':' || ".join(f"CAST({c} AS TEXT)" for c in columns)
        ordered = f"SELECT {row} AS v FROM {quoted} ORDER BY {', '.join(columns)}"  # noqa: S608
        aggregate = "string_agg" if connection.vendor == "postgresql" else "group_concat"
        _TABLES[table] = [f"(SELECT {aggregate}(v, ',') FROM ({ordered}) AS s)"]  # noqa: S608
    else:
        _TABLES[table] = [
            f"(SELECT MAX(updated_at) FROM {quoted})",  # noqa: S608
            f"(SELECT COUNT(*) FROM {quoted})",  # noqa: S608
        ]
    _SENDERS.add(model)
    forget_stamp()


def reference_stamp() -> tuple[object, ...]:
    """The stamp of every registered table: one query, or none when this request read it."""
    stamp: tuple[object, ...] | None = getattr(_local, "stamp", None)
    if stamp is not None:
        return stamp
    sql = "SELECT " + ", ".join(e for expressions in _TABLES.values() for e in expressions)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        stamp = (tuple(_TABLES), *(cursor.fetchone() or ()))
    if getattr(_local, "in_request", False):
        _local.stamp = stamp
    return stamp


def stamp_in_hand() -> bool:
    """Whether this request (or scope) has read the stamp: its stamped caches cost no query."""
    return getattr(_local, "stamp", None) is not None


def forget_stamp() -> None:
    _local.stamp = None


@contextmanager
def stamp_scope() -> Iterator[None]:
    """Read the stamp at most once inside the block, as a request does: a worker's batch sees one
    version of the reference data instead of a stamp query per cache lookup. Nests."""
    outer = getattr(_local, "in_request", False)
    _local.in_request = True
    try:
        yield
    finally:
        _local.in_request = outer
        if not outer:
            _local.stamp = None


class StampedCache(Generic[T]):
    """A value built from reference tables, rebuilt when their stamp changes. The value is
    shared by every thread of the process: callers must not change it."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._entry: tuple[tuple[object, ...], T] | None = None

    def get(self) -> T:
        stamp = reference_stamp()
        entry = self._entry
        if entry is None or entry[0] != stamp:
            entry = (stamp, self._build())
            # One assignment: another thread reads the old entry or the new one, never a mix.
            self._entry = entry
        return entry[1]


_ROWS: dict[type[models.Model], StampedCache[Mapping[int, Any]]] = {}


def rows_by_id(model: type[M]) -> StampedCache[Mapping[int, M]]:
    """Every row of a small reference table by id, read again when the table changes (one cache
    per model for the process). The rows are shared by every thread: hand out copies."""
    cached = _ROWS.get(model)
    if cached is None:
        stamp_table(model)
        cached = StampedCache(
            lambda: MappingProxyType({row.pk: row for row in model._default_manager.all()})
        )
        _ROWS[model] = cached
    return cached


def _request_started(**kwargs: Any) -> None:
    _local.in_request = True
    _local.stamp = None


def _request_finished(**kwargs: Any) -> None:
    _local.in_request = False
    _local.stamp = None


def _changed(sender: Any, **kwargs: Any) -> None:
    # A many-to-many change of a registered model (its own table registered or not).
    instance = kwargs.get("instance")
    if sender in _SENDERS or type(instance) in _SENDERS or kwargs.get("model") in _SENDERS:
        forget_stamp()


request_started.connect(_request_started, dispatch_uid="itsm.core.stamps.started")
request_finished.connect(_request_finished, dispatch_uid="itsm.core.stamps.finished")
post_save.connect(_changed, dispatch_uid="itsm.core.stamps.saved")
post_delete.connect(_changed, dispatch_uid="itsm.core.stamps.deleted")
m2m_changed.connect(_changed, dispatch_uid="itsm.core.stamps.m2m")
