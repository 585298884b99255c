"""Copies of the ticket columns reports filter and group by, added nullable; the next migration
fills them from the tickets and the one after makes opened_at, kind and priority required."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copied(to):
    return models.ForeignKey(
        blank=True,
        db_constraint=False,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cmdb", "0001_initial"),
        ("taxonomy", "0002_seed_default_priority_matrix"),
        ("reporting", "0001_facts_and_schedules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketfact",
            name="opened_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="kind",
            field=models.CharField(default="", max_length=20),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="priority",
            field=models.CharField(default="", max_length=2),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="assignment_group",
            field=copied("accounts.group"),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="assignee",
            field=copied(settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="category",
            field=copied("taxonomy.category"),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="service",
            field=copied("cmdb.service"),
        ),
        migrations.AddField(
            model_name="ticketfact",
            name="organization",
            field=copied("accounts.organization"),
        ),
    ]
