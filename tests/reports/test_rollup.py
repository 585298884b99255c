"""The facts rollup read alone: its copies of the ticket columns, the migration that fills them,
visibility, and percentiles computed by PostgreSQL against the Python definition."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from itsm.reporting.facts import COPIED_COLUMNS
from itsm.reporting.metrics import duration_stats
from itsm.reporting.models import TicketFact
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_assign_ticket
from tests.reports.conftest import Week, b
from tests.reports.test_metrics import rows_by, run, summary

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's"
)


def copied(fact: TicketFact) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in COPIED_COLUMNS}


def test_facts_copy_the_ticket_columns_and_follow_changes(week: Week) -> None:
    run("volume", week.manager)
    for ticket in Ticket.objects.all():
        fact = TicketFact.objects.get(ticket=ticket)
        assert copied(fact) == {name: getattr(ticket, name) for name in COPIED_COLUMNS}

    def acknowledged_by_service_desk() -> int:
        report = run("time_to_acknowledge", week.manager, group=week.sd.name)
        return int(rows_by(report, "group")["All"]["count"])

    # Given T6 (acknowledged) moves to the Service Desk, the next report counts it there.
    before = acknowledged_by_service_desk()
    t6 = Ticket.objects.get(pk=week.tickets["T6"].pk)
    do_assign_ticket(
        t6, group=week.sd, assignee=None, actor=week.manager, now=b("2025-03-31 11:00")
    )
    assert acknowledged_by_service_desk() == before + 1
    assert TicketFact.objects.get(ticket=t6).assignment_group_id == week.sd.pk


def test_the_upgrade_fills_the_copies_from_the_tickets(week: Week) -> None:
    """Migration reporting.0003 on facts built before the copies existed."""
    run("volume", week.manager)
    expected = {f.pk: copied(f) for f in TicketFact.objects.all()}
    TicketFact.objects.update(
        opened_at=b("2000-01-01 00:00"),
        resolved_at=None,
        kind="",
        priority="",
        assignment_group=None,
        assignee=None,
        category=None,
        service=None,
        organization=None,
    )
    fill = import_module("itsm.reporting.migrations.0003_fill_fact_ticket_columns").fill

    class Editor:
        """The part of a schema editor the data migration uses, on the test's connection."""

        def __init__(self) -> None:
            self.connection = connection
            self.quote_name = connection.ops.quote_name

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    fill(apps, Editor())
    assert {f.pk: copied(f) for f in TicketFact.objects.all()} == expected


def test_unrestricted_viewers_read_the_rollup_alone_and_see_everything(week: Week) -> None:
    # The administrator sees T9 (restricted category): one more ticket not yet acknowledged.
    manager = summary(run("time_to_acknowledge", week.manager))
    admin = summary(run("time_to_acknowledge", week.admin))
    assert admin["Not yet acknowledged"] == manager["Not yet acknowledged"] + 1
    assert admin["Mean time to acknowledge (h)"] == manager["Mean time to acknowledge (h)"]
    assert summary(run("backlog", week.manager))["Backlog"] == 2
    assert summary(run("backlog", week.admin))["Backlog"] == 3


@on_postgresql
def test_percentiles_in_postgresql_equal_the_python_definition(week: Week) -> None:
    run("volume", week.manager)
    # Awkward values: fractions, ties, a wide range, so interpolation and float rounding show.
    values = [1 / 3, 2 / 3, 7.0, 7.0, 1e6 + 0.1, 12345.678, 0.0, 86400.25, 3599.999]
    for fact, value in zip(TicketFact.objects.order_by("pk"), values, strict=False):
        TicketFact.objects.filter(pk=fact.pk).update(
            respond_seconds=value, resolve_seconds=value * 3, resolve_business_seconds=value / 7
        )
    fields = ["respond_seconds", "resolve_seconds", "resolve_business_seconds"]
    facts = TicketFact.objects.order_by()
    in_sql = duration_stats(facts, fields, in_sql=True)
    in_python = duration_stats(facts, fields, in_sql=False)
    assert set(in_sql) == set(in_python)
    for key, by_field in in_python.items():
        for name, figures in by_field.items():
            assert in_sql[key][name].count == figures.count
            assert in_sql[key][name].median == figures.median, (key, name)
            assert in_sql[key][name].p90 == figures.p90, (key, name)
            assert in_sql[key][name].mean == pytest.approx(figures.mean, rel=1e-12)
