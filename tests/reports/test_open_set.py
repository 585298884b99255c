"""Reports reading the open tickets from the rollup: the unsettled facts are exactly the open
tickets, under the same visibility; the breaches summary counts every breach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, F

from itsm.reporting import metrics
from itsm.reporting.facts import refresh_report_facts
from itsm.reporting.models import TicketFact
from itsm.tickets.choices import INACTIVE_STATES, TicketState
from itsm.tickets.models import Ticket
from tests.reports.conftest import NOW, Week, b
from tests.reports.test_metrics import rows_by, run, summary

pytestmark = pytest.mark.django_db


def open_ids() -> set[int]:
    return set(Ticket.objects.exclude(state__in=INACTIVE_STATES).values_list("pk", flat=True))


def test_the_unsettled_facts_are_the_open_tickets(week: Week) -> None:
    run("volume", week.manager)
    unsettled = TicketFact.objects.filter(settled_at__isnull=True)
    assert set(unsettled.values_list("ticket_id", flat=True)) == open_ids()


def test_a_ticket_closed_without_a_transition_in_its_journal_is_settled(week: Week) -> None:
    """Written outside the actions (no journal row): the fact still leaves the open set."""
    t8 = week.tickets["T8"]
    closed = b("2025-03-28 10:00")
    Ticket.objects.filter(pk=t8.pk).update(
        state=TicketState.CLOSED, closed_at=closed, version=F("version") + 1, updated_at=NOW
    )
    refresh_report_facts(now=NOW)
    assert TicketFact.objects.get(ticket=t8).settled_at == closed
    assert t8.pk not in set(
        TicketFact.objects.filter(settled_at__isnull=True).values_list("ticket_id", flat=True)
    )


def test_workload_open_now_and_backlog_count_the_visible_open_tickets(week: Week) -> None:
    hidden = week.tickets["T9"]  # HR cases: the administrator sees it, the manager does not
    assert hidden.pk in open_ids()
    for user, expected in ((week.manager, len(open_ids()) - 1), (week.admin, len(open_ids()))):
        groups = run("workload", user)
        assert summary(groups)["Open now"] == expected
        agents = run("workload", user, by="agent")
        assert summary(agents)["Open now"] == expected
        assert summary(run("backlog", user, at="2025-03-31"))["Backlog"] == expected
    for user, tickets in (
        (week.admin, Ticket.objects.all()),
        (week.manager, Ticket.objects.exclude(pk=hidden.pk)),
    ):
        by_group = {
            name or "No group": n
            for name, n in tickets.exclude(state__in=INACTIVE_STATES)
            .values_list("assignment_group__name")
            .annotate(n=Count("pk"))
        }
        rows = rows_by(run("workload", user), "name")
        assert {k: r["open_now"] for k, r in rows.items() if r["open_now"]} == by_group


def test_top_by_category_and_service_follow_visibility(week: Week) -> None:
    manager = {r["name"] for r in run("top", week.manager).rows}
    admin = {r["name"] for r in run("top", week.admin).rows}
    assert admin - manager == {"HR cases"}
    assert summary(run("top", week.admin, by="service"))["Tickets logged"] == 8


def test_breaches_summary_counts_every_breach_not_only_the_listed(
    week: Week, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "BREACH_ROWS", 1)
    report = run("breaches", week.manager)
    assert len(report.rows) == 1
    assert summary(report) == {"Breaches": 3, "Resolution": 1, "Response": 2}
    assert report.notes == ["Only the first 1 of 3 breaches are listed."]


def test_volume_reads_created_and_resolved_from_the_rollup(week: Week) -> None:
    report = run("volume", week.admin)
    in_range = Ticket.objects.filter(opened_at__gte=b("2025-03-24 00:00"))
    in_range = in_range.filter(opened_at__lt=b("2025-03-24 00:00") + timedelta(days=7))
    assert summary(report)["Created"] == in_range.count()
