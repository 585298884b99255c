"""Every metric's value on the hand-worked week (conftest.py), as the manager sees it."""

from __future__ import annotations

from typing import Any

import pytest

from itsm.core.errors import InvalidInput, NotFound, PermissionDenied
from itsm.reporting.catalog import run_report
from itsm.reporting.models import TicketFact
from itsm.reporting.results import Report
from tests.reports.conftest import NOW, WEEK, Week

pytestmark = pytest.mark.django_db


def run(name: str, user: Any, **params: str) -> Report:
    return run_report(name, user, {**WEEK, **params}, now=NOW)


def rows_by(report: Report, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in report.rows}


def summary(report: Report) -> dict[str, Any]:
    return dict(report.summary)


def test_facts_fold_the_journal(week: Week) -> None:
    run("volume", week.manager)
    facts = {k: TicketFact.objects.get(ticket=t) for k, t in week.tickets.items()}
    assert facts["T2"].reopen_count == 1
    assert facts["T2"].first_resolved_at is not None
    assert len(facts["T2"].backlog_gaps) == 1
    assert facts["T3"].was_pending_user
    assert facts["T4"].reassignment_count == 1  # group and agent changed in one action
    assert facts["T6"].reassignment_count == 1
    assert facts["T1"].reassignment_count == 0  # the first agent taking it is no reassignment
    assert [k for k, f in facts.items() if f.first_contact_resolution] == ["T1", "T5"]
    assert facts["T5"].resolve_seconds == 5 * 3600  # across the DST change: 5 real hours
    assert facts["T5"].resolve_business_seconds == 0
    assert facts["T3"].resolve_business_seconds == 17.5 * 3600
    assert facts["T7"].settled_at is not None
    assert facts["T8"].settled_at is None


def test_volume_per_day_in_local_time(week: Week) -> None:
    report = run("volume", week.manager, interval="day")
    days = {r["period"]: (r["created"], r["resolved"], r["closed"]) for r in report.rows}
    assert days == {
        "2025-03-24": (4, 1, 0),
        "2025-03-25": (0, 1, 1),
        "2025-03-26": (1, 2, 0),  # T4 opened 00:30 Berlin counts on Wednesday
        "2025-03-27": (1, 0, 0),
        "2025-03-28": (0, 0, 0),
        "2025-03-29": (1, 0, 0),
        "2025-03-30": (0, 1, 0),  # T5 resolved 05:00 CEST after the switch
    }
    assert summary(report) == {"Created": 7, "Resolved": 5, "Closed": 1}


def test_volume_in_utc_puts_the_midnight_ticket_on_tuesday(week: Week) -> None:
    report = run("volume", week.manager, tz="UTC")
    days = {r["period"]: r["created"] for r in report.rows}
    assert days["2025-03-25"] == 1
    assert days["2025-03-26"] == 0


def test_volume_per_week_and_month(week: Week) -> None:
    assert run("volume", week.manager, interval="week").rows == [
        {"period": "2025-03-24", "created": 7, "resolved": 5, "closed": 1}
    ]
    monthly = run("volume", week.manager, interval="month", **{"from": "2025-02-01"})
    assert [(r["period"], r["created"]) for r in monthly.rows] == [
        ("2025-02-01", 1),
        ("2025-03-01", 7),
    ]


def test_backlog_and_ageing_at_the_end_of_the_week(week: Week) -> None:
    report = run("backlog", week.manager)
    ages = rows_by(report, "age")
    assert {k: v["total"] for k, v in ages.items()} == {
        "<1 d": 0,
        "1–3 d": 0,
        "3–7 d": 1,
        "7–30 d": 0,
        ">30 d": 1,
    }
    assert ages["3–7 d"]["P1"] == 1
    assert ages[">30 d"]["P3"] == 1
    assert summary(report)["Backlog"] == 2
    assert summary(report)["Backlog at"] == "2025-03-31T00:00:00+02:00"


def test_backlog_at_a_past_date_leaves_out_the_resolved_ticket_reopened_later(week: Week) -> None:
    monday = rows_by(run("backlog", week.manager, at="2025-03-24"), "age")
    # T3 (Pending User) and T8; T2 was Resolved that night, reopened on Tuesday.
    assert monday["<1 d"]["total"] == 1
    assert monday[">30 d"]["total"] == 1
    assert sum(r["total"] for r in monday.values()) == 2
    tuesday = rows_by(run("backlog", week.manager, at="2025-03-25"), "age")
    assert tuesday["1–3 d"]["total"] == 1
    assert tuesday[">30 d"]["total"] == 1


def test_mean_time_to_acknowledge(week: Week) -> None:
    report = run("time_to_acknowledge", week.manager)
    rows = rows_by(report, "group")
    assert rows["All"] == {"group": "All", "count": 5, "mean": 2.45, "median": 1.0, "p90": 5.85}
    assert rows["P3 Moderate"]["mean"] == 0.83
    assert rows["P2 High"]["mean"] == 8.75
    assert rows["P1 Critical"]["mean"] == 1.0
    assert summary(report)["Not yet acknowledged"] == 2


def test_mean_time_to_resolve_wall_and_business(week: Week) -> None:
    rows = rows_by(run("time_to_resolve", week.manager), "priority")
    assert rows["All"] == {
        "priority": "All",
        "count": 5,
        "wall_mean": 18.0,
        "wall_median": 9.5,
        "wall_p90": 39.3,
        "business_mean": 5.7,
        "business_median": 2.0,
        "business_p90": 13.7,
    }
    assert (rows["P2 High"]["wall_mean"], rows["P2 High"]["business_mean"]) == (9.5, 1.0)
    assert rows["P1 Critical"]["count"] == 0
    assert rows["P1 Critical"]["wall_mean"] is None


def test_sla_compliance_by_priority(week: Week) -> None:
    report = run("sla_compliance", week.manager, by="priority")
    rows = rows_by(report, "priority")
    assert rows["P3 Moderate"] == {
        "priority": "P3 Moderate",
        "response_met": 3,
        "response_breached": 1,
        "response_pct": 75.0,
        "resolution_met": 4,  # T3 met thanks to the pause
        "resolution_breached": 0,
        "resolution_pct": 100.0,
    }
    assert rows["P1 Critical"]["response_pct"] == 0.0
    assert rows["P1 Critical"]["resolution_breached"] == 1
    assert rows["P2 High"]["response_pct"] == 100.0
    assert summary(report) == {
        "Response SLA compliance %": 66.67,
        "Resolution SLA compliance %": 83.33,
    }


def test_sla_compliance_by_group_and_service(week: Week) -> None:
    groups = rows_by(run("sla_compliance", week.manager, by="group"), "group")
    assert groups["Network Team"]["response_met"] == 1  # T4
    assert groups["Network Team"]["response_breached"] == 1  # T6
    assert groups["Service Desk"]["resolution_pct"] == 100.0
    services = rows_by(run("sla_compliance", week.manager, by="service"), "service")
    assert services["VPN"]["resolution_met"] == 1
    assert services["VPN"]["resolution_breached"] == 1
    assert services["Email"]["response_met"] == 2


def test_breaches_list(week: Week) -> None:
    report = run("breaches", week.manager)
    t = week.tickets
    assert [(r["number"], r["metric"], r["breached_at"]) for r in report.rows] == [
        (t["T2"].number, "Response", "2025-03-24T11:00:00+01:00"),
        (t["T6"].number, "Response", "2025-03-27T09:15:00+01:00"),
        (t["T6"].number, "Resolution", "2025-03-27T13:00:00+01:00"),
    ]
    assert summary(report)["Breaches"] == 3


def test_first_contact_resolution(week: Week) -> None:
    report = run("first_contact_resolution", week.manager)
    rows = rows_by(report, "group")
    assert rows["Service Desk"] == {"group": "Service Desk", "whole": 4, "part": 2, "rate": 50.0}
    assert rows["Network Team"]["rate"] == 0.0
    assert summary(report)["First contact resolution %"] == 40.0


def test_reopen_rate(week: Week) -> None:
    report = run("reopen_rate", week.manager)
    assert summary(report) == {"Reopen rate %": 20.0, "First resolved": 5}


def test_reassignment_distribution(week: Week) -> None:
    report = run("reassignments", week.manager)
    assert [(r["reassignments"], r["tickets"], r["share"]) for r in report.rows] == [
        ("0", 4, 80.0),
        ("1", 1, 20.0),
        ("2", 0, 0.0),
        ("3", 0, 0.0),
        ("4", 0, 0.0),
        ("5+", 0, 0.0),
    ]
    assert summary(report)["Mean reassignments"] == 0.2


def test_top_categories_services_and_cis(week: Week) -> None:
    categories = {r["name"]: (r["tickets"], r["share"]) for r in run("top", week.manager).rows}
    assert categories == {
        "Hardware": (2, 28.57),
        "Hardware > Printer": (1, 14.29),
        "Network": (1, 14.29),
    }
    services = [(r["name"], r["tickets"]) for r in run("top", week.manager, by="service").rows]
    assert services == [("Email", 2), ("VPN", 2)]
    cis = run("top", week.manager, by="configuration_item").rows
    assert [(r["name"], r["tickets"]) for r in cis] == [("vpn-gw-01", 1)]


def test_workload_by_group_and_agent(week: Week) -> None:
    groups = rows_by(run("workload", week.manager), "name")
    assert groups["Service Desk"] == {
        "name": "Service Desk",
        "open_now": 1,
        "logged": 5,
        "resolved": 4,
        "mean_resolve": 20.13,
    }
    assert groups["Network Team"] == {
        "name": "Network Team",
        "open_now": 1,
        "logged": 2,
        "resolved": 1,
        "mean_resolve": 9.5,
    }
    agents = rows_by(run("workload", week.manager, by="agent"), "name")
    assert (agents["Alice Agent"]["resolved"], agents["Alice Agent"]["mean_resolve"]) == (3, 25.17)
    assert agents["Nick Network"]["open_now"] == 1
    assert agents["Unassigned"]["logged"] == 2


def test_major_incidents(week: Week) -> None:
    report = run("major_incidents", week.manager)
    assert len(report.rows) == 1
    row = report.rows[0]
    assert row["number"] == week.tickets["T6"].number
    assert row["declared_at"] == "2025-03-27T09:10:00+01:00"
    assert row["resolved_at"] is None
    assert row["duration"] == 98.0  # still open: Thu 09:00 CET to Mon 12:00 CEST
    assert summary(report)["Mean duration of resolved (h)"] is None


def test_filters_narrow_every_report(week: Week) -> None:
    assert summary(run("volume", week.manager, category="Hardware"))["Created"] == 3
    assert summary(run("volume", week.manager, priority="P1"))["Created"] == 1
    assert summary(run("volume", week.manager, group=str(week.network.pk)))["Created"] == 2
    assert summary(run("volume", week.manager, service="vpn"))["Created"] == 2
    assert summary(run("volume", week.manager, kind="service_request"))["Created"] == 0
    org = week.requester.organization
    assert org is not None
    assert summary(run("volume", week.manager, organization=org.name))["Created"] == 7
    assert summary(run("time_to_resolve", week.manager, group="Network Team"))["Resolved"] == 1


def test_visibility_restricted_category_and_requesters(week: Week) -> None:
    assert summary(run("volume", week.manager))["Created"] == 7
    assert summary(run("volume", week.admin))["Created"] == 8  # T9 in HR cases
    assert summary(run("backlog", week.admin))["Backlog"] == 3
    with pytest.raises(PermissionDenied):
        run("volume", week.requester)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-13-01"}, "from"),
        ({"from": "2025-04-01"}, "from"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"priority": "P9"}, "priority"),
        ({"group": "No such team"}, "group"),
        ({"interval": "hour"}, "interval"),
    ],
)
def test_bad_filters_name_the_field(week: Week, params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        run("volume", week.manager, **params)
    assert caught.value.field == field


def test_unknown_report(week: Week) -> None:
    with pytest.raises(NotFound):
        run("nonsense", week.manager)
