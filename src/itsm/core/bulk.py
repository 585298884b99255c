"""Writing many rows in one statement, for the batches of the worker and the sweeps.

Django's ``bulk_create`` and ``bulk_update`` send PostgreSQL each column as an array literal
(``UNNEST``) or a ``CASE`` per field and row; psycopg quotes every value in Python to build them,
which costs more CPU than the rows' own work. Here, on PostgreSQL, the rows travel as one JSON
document (serialised by the json module in C) that the statement unpacks with
``jsonb_array_elements``: one parameter, whatever the number of rows. Elsewhere (SQLite) the same
writes use plain ``INSERT … VALUES`` chunks, ``bulk_create`` and ``executemany``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, models

#: Types JSON carries as they are.
_PLAIN = frozenset({str, int, float, bool})

#: Rows per ``INSERT … VALUES`` statement where the JSON path is not available.
ROWS_PER_STATEMENT = 500


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def column_type(field: models.Field[Any, Any]) -> str:
    """The column's type without its modifiers (``varchar(200)`` → ``varchar``), for casts."""
    return _column_type(field, connection.vendor)


@functools.cache
def _column_type(field: models.Field[Any, Any], vendor: str) -> str:
    # Asking Django costs more than a small insert's statement: once per field and database.
    return (field.db_type(connection) or "text").split("(")[0]


def _is_json(field: models.Field[Any, Any]) -> bool:
    return column_type(field) in ("json", "jsonb")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot travel in a JSON row")


def _json_rows(fields: Sequence[models.Field[Any, Any]], rows: Sequence[Sequence[Any]]) -> str:
    """The rows as one JSON document: JSON fields' values as themselves, the others' as their
    database value (``get_db_prep_save``), as text where JSON has no type for it."""
    prepared = [None if _is_json(f) else f.get_db_prep_save for f in fields]
    return json.dumps(
        [
            [
                value if prep is None or _travels_as_is(value) else prep(value, connection)
                for prep, value in zip(prepared, row, strict=True)
            ]
            for row in rows
        ],
        default=_json_default,
    )


def _travels_as_is(value: Any) -> bool:
    """Values the JSON document carries without the field's conversion: JSON's own types, and
    aware date-times and the like, which ``_json_default`` writes in ISO form. (Running every
    value through ``get_db_prep_save`` cost more than the statement.)"""
    if value is None or type(value) in _PLAIN:
        return True
    if isinstance(value, datetime):
        return value.tzinfo is not None
    return isinstance(value, str | int | float | date | Decimal | UUID)


def _unpacked(fields: Sequence[models.Field[Any, Any]]) -> list[str]:
    """``(r ->> 0)::bigint``, ``(r -> 1)::jsonb``, …: the columns of a row ``r`` of the JSON
    document, cast to their types."""
    return [
        f"(r -> {n})::{column_type(f)}" if _is_json(f) else f"(r ->> {n})::{column_type(f)}"
        for n, f in enumerate(fields)
    ]


@functools.cache
def _json_insert(
    model: type[models.Model], names: tuple[str, ...], fixed: tuple[str, ...], returning: bool
) -> str:
    """The PostgreSQL statement of ``insert_values``, made once per model and columns."""
    given = [_concrete(model, name) for name in names]
    constant = [_concrete(model, name) for name in fixed]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*given, *constant])
    selected = ", ".join([*_unpacked(given), *(f"%s::{column_type(f)}" for f in constant)])
    pk = quote(model._meta.pk.column) if model._meta.pk else "id"
    # Only quoted names and column types are formatted in; every value is bound. The ordinality
    # keeps the rows (and so RETURNING) in the order given.
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {selected} FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(r, n) "
        f"ORDER BY n" + (f" RETURNING {pk}" if returning else "")
    )


def insert_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    fixed: Mapping[str, Any] | None = None,
    returning: bool = False,
) -> list[int]:
    """Insert ``rows``, each the Python values of the fields ``names`` in order; the fields in
    ``fixed`` get the same value in every row. Returns the new primary keys in row order when
    ``returning`` (PostgreSQL only; use ``insert_objects`` elsewhere)."""
    if not rows:
        return []
    given = [_concrete(model, name) for name in names]
    constant = [(_concrete(model, name), value) for name, value in (fixed or {}).items()]
    constants = [f.get_db_prep_save(value, connection) for f, value in constant]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _json_insert(model, tuple(names), tuple(fixed or ()), returning)
            cursor.execute(sql, [*constants, _json_rows(given, rows)])
            return [row[0] for row in cursor.fetchall()] if returning else []
        if returning:
            raise ValueError("insert_values returns keys on PostgreSQL only: use insert_objects")
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in [*given, *(f for f, _ in constant)])
        width = len(given) + len(constant)
        placeholders = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            params: list[Any] = []
            for row in chunk:
                params += [
                    f.get_db_prep_save(v, connection) for f, v in zip(given, row, strict=True)
                ]
                params += constants
            sql = (
                f"INSERT INTO {table} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([placeholders] * len(chunk))}"
            )
            cursor.execute(sql, params)
    return []


def insert_objects(objects: Sequence[models.Model]) -> None:
    """``bulk_create`` for unsaved objects of one model, setting their primary keys, as one
    JSON-fed statement on PostgreSQL. Fields with a database default must be set on the objects
    (as ``bulk_create`` also sends every field's Python value)."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    for obj in objects:
        # A related object saved after it was assigned: its new key, as bulk_create takes it.
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # type: ignore[attr-defined]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        # auto_now(_add), files and the like, as Model.save() and bulk_create() fill them in;
        # the base pre_save only reads the value.
        if type(field).pre_save is not models.Field.pre_save:
            for obj in objects:
                field.pre_save(obj, add=True)
    keys = insert_values(
        model,
        [f.name for f in fields],
        [[getattr(obj, f.attname) for f in fields] for obj in objects],
        returning=True,
    )
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias


def update_objects(objects: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write the fields ``names`` of saved objects of one model, each row by its primary key, in
    one statement on PostgreSQL (``UPDATE … FROM`` the JSON rows) and one ``executemany``
    elsewhere. No signals, no ``auto_now``: the caller sets every value it means to write."""
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    pk_field = meta.pk
    if pk_field is None:
        raise TypeError(f"{model.__name__} has no primary key")
    fields = [_concrete(model, name) for name in names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(pk_field.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            key_and_fields = [pk_field, *fields]
            document = _json_rows(
                key_and_fields,
                [[getattr(obj, f.attname) for f in key_and_fields] for obj in objects],
            )
            assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
            aliases = ", ".join(
                f"{expression} AS {quote(f.column)}"
                for expression, f in zip(_unpacked(key_and_fields), key_and_fields, strict=True)
            )
            sql = (
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608
                f"FROM (SELECT {aliases} FROM jsonb_array_elements(%s::jsonb) AS r) AS v "
                f"WHERE t.{pk} = v.{pk}"
            )
            cursor.execute(sql, [document])
            return
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
        cursor.executemany(
            sql,
            [
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
                for obj in objects
            ],
        )
