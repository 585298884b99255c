"""A partial covering index over the unsettled facts (the open tickets) in logging order: the
backlog, workload's open part and the dashboard read the open set from it alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_fact_covering_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticketfact",
            index=models.Index(
                condition=models.Q(("settled_at__isnull", True)),
                fields=["opened_at", "ticket"],
                include=(
                    "priority",
                    "kind",
                    "assignment_group",
                    "category",
                    "service",
                    "organization",
                    "assignee",
                    "reopen_count",
                ),
                name="fact_unsettled_cover_idx",
            ),
        ),
    ]
