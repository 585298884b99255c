"""Fill the facts' copies of the ticket columns from the tickets, in one statement (a join on
PostgreSQL, a correlated row subquery elsewhere): an upgrade keeps its rollup instead of
rebuilding a million facts from the journal."""

from django.db import migrations

COLUMNS = (
    "opened_at",
    "resolved_at",
    "kind",
    "priority",
    "assignment_group_id",
    "assignee_id",
    "category_id",
    "service_id",
    "organization_id",
)


def fill(apps, schema_editor):
    quote = schema_editor.quote_name
    facts = quote(apps.get_model("reporting", "TicketFact")._meta.db_table)
    tickets = quote(apps.get_model("tickets", "Ticket")._meta.db_table)
    columns = ", ".join(quote(c) for c in COLUMNS)
    if schema_editor.connection.vendor == "postgresql":
        assignments = ", ".join(f"{quote(c)} = t.{quote(c)}" for c in COLUMNS)
        sql = f"UPDATE {facts} SET {assignments} FROM {tickets} t WHERE t.id = {facts}.ticket_id"
    else:
        sql = (
            f"UPDATE {facts} SET ({columns}) = "
            f"(SELECT {columns} FROM {tickets} t WHERE t.id = {facts}.ticket_id)"
        )
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_fact_ticket_columns"),
    ]

    # Going back drops the columns (the previous migration's reverse): nothing to undo here.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
