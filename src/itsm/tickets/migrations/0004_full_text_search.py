"""Full-text search on PostgreSQL: a GIN index over title and description.

SQLite has no such index; there ``TicketQuerySet.search`` matches substrings instead.
"""

from django.db import migrations

INDEX = "ticket_search_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON tickets_ticket USING GIN ("
            "to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || "
            "COALESCE(description, '')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_report_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
