"""``field__any=[…]``: membership in a list sent as one array parameter on PostgreSQL.

``field__in=[…]`` writes a placeholder per value. A batch of 200 keys then makes a statement
text of its own length every time: psycopg parses each new text in Python to find its
placeholders (its cache is keyed on the text) and PostgreSQL plans it afresh. ``field = ANY(%s)``
with the list as one array is the same statement whatever the number of keys, parsed once and
prepared once. SQLite has no arrays: there it is ``IN`` as before.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

from itsm.core.bulk import column_type


class AnyOf(models.Lookup[Any]):
    lookup_name = "any"
    prepare_rhs = False

    def _values(self, connection: BaseDatabaseWrapper) -> list[Any]:
        field = self.lhs.output_field
        return [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self._values(connection)
        if not values:
            return "1 = 0", []  # nothing matches an empty list
        if connection.vendor == "postgresql":
            cast = column_type(self.lhs.output_field)
            # Only the column's type is formatted in; the values are one bound array.
            return f"{lhs} = ANY(%s::{cast}[])", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def register() -> None:
    """Make ``__any`` a lookup of every field, foreign keys included (they keep lookups of their
    own), called once when the core app is ready."""
    models.Field.register_lookup(AnyOf)
    models.ForeignObject.register_lookup(AnyOf)
