"""opened_at, kind and priority required now that every fact has them; covering indexes for
the ranges reports read (opened, resolved, first resolved)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_fill_fact_ticket_columns"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticketfact",
            name="opened_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="ticketfact",
            name="kind",
            field=models.CharField(max_length=20),
        ),
        migrations.AlterField(
            model_name="ticketfact",
            name="priority",
            field=models.CharField(max_length=2),
        ),
        migrations.RemoveIndex(
            model_name="ticketfact",
            name="fact_first_resolved_idx",
        ),
        migrations.AddIndex(
            model_name="ticketfact",
            index=models.Index(
                fields=["first_resolved_at"],
                include=(
                    "priority",
                    "kind",
                    "assignment_group",
                    "category",
                    "service",
                    "organization",
                    "reopen_count",
                ),
                name="fact_first_resolved_cover_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticketfact",
            index=models.Index(
                fields=["opened_at"],
                include=(
                    "priority",
                    "kind",
                    "assignment_group",
                    "category",
                    "service",
                    "organization",
                    "respond_seconds",
                ),
                name="fact_opened_cover_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticketfact",
            index=models.Index(
                fields=["resolved_at"],
                include=(
                    "priority",
                    "kind",
                    "assignment_group",
                    "category",
                    "service",
                    "organization",
                    "assignee",
                    "resolve_seconds",
                    "resolve_business_seconds",
                    "first_contact_resolution",
                    "reassignment_count",
                ),
                name="fact_resolved_cover_idx",
            ),
        ),
    ]
