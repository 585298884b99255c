"""Schema operations shared by migrations.

``DropForeignKeyIndex``: a foreign key whose column already leads a composite index does not need
an index of its own, and every extra index costs each INSERT and UPDATE. Django's own
``AlterField(db_index=False)`` drops the index but also drops and re-adds the foreign key
constraint, which validates every row under an exclusive lock (minutes on a large journal).
This operation changes the model state the same way and, in the database, only drops the index
(found by introspection, so whatever it was named); reversing creates it again.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _single_column_indexes(
    schema_editor: BaseDatabaseSchemaEditor, table: str, column: str
) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info.get("index")
        and not info.get("unique")
        and not info.get("primary_key")
        and info.get("columns") == [column]
        and info.get("type") != "gin"
    ]


class DropForeignKeyIndex(migrations.operations.base.Operation):
    reversible = True

    def __init__(self, model_name: str, name: str, field: Any) -> None:
        self.model_name = model_name
        self.name = name
        self.field = field  # the field as it is after the operation (db_index=False)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "name": self.name, "field": self.field},
        )

    def state_forwards(self, app_label: str, state: Any) -> None:
        state.alter_field(app_label, self.model_name.lower(), self.name, self.field, True)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        for index in _single_column_indexes(schema_editor, model._meta.db_table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(index)}")

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        table = model._meta.db_table
        if not _single_column_indexes(schema_editor, table, field.column):
            name = f"{table}_{field.column}_idx"[-63:]
            schema_editor.execute(
                f"CREATE INDEX {schema_editor.quote_name(name)} ON "
                f"{schema_editor.quote_name(table)} ({schema_editor.quote_name(field.column)})"
            )

    def describe(self) -> str:
        return f"Drop the index of {self.model_name}.{self.name}, covered by a composite index"
