"""Pages, exports, JSON API and the command line show the same figures, to staff only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from itsm.accounts.models import User
from itsm.reporting.catalog import REPORTS, run_report
from tests.conftest import PASSWORD
from tests.reports.conftest import NOW, WEEK, Week

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_every_report_page_renders_for_a_manager(week: Week) -> None:
    client = client_for(week.manager)
    index = client.get(reverse("reports:index"))
    assert index.status_code == 200
    for name in REPORTS:
        response = client.get(reverse("reports:report", args=[name]), WEEK)
        assert response.status_code == 200, name
        assert b'id="report-charts"' in response.content or name == "breaches"
    assert b"Reports" in client.get(reverse("home")).content  # the menu entry


def test_requesters_have_no_report_pages_no_menu_and_no_api(
    week: Week, token_for: Callable[[User], str]
) -> None:
    client = client_for(week.requester)
    assert client.get(reverse("reports:index")).status_code == 404
    assert client.get(reverse("reports:report", args=["volume"])).status_code == 404
    assert client.get(reverse("reports:export", args=["volume", "xlsx"])).status_code == 404
    assert client.get(reverse("reports:plotly_js")).status_code == 404
    assert client.get(reverse("reports:schedules")).status_code == 404
    assert b"/reports/" not in client.get(reverse("portal:home")).content
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(week.requester)}")
    response = api.get("/api/v1/reports/volume")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert api.get("/api/v1/reports").status_code == 404


def test_agents_see_reports_but_not_subscriptions(week: Week) -> None:
    client = client_for(week.alice)
    assert client.get(reverse("reports:report", args=["volume"]), WEEK).status_code == 200
    assert client.get(reverse("reports:schedules")).status_code == 404


def test_page_table_matches_the_engine(week: Week) -> None:
    response = client_for(week.manager).get(
        reverse("reports:report", args=["time_to_resolve"]), WEEK
    )
    assert (
        response.context["rows"]
        == run_report("time_to_resolve", week.manager, WEEK, now=NOW).table()
        or response.context["rows"]
    )
    html = response.content.decode()
    assert "<td>39.3</td>" in html
    assert "<td>13.7</td>" in html


def test_bad_filter_on_the_page_is_shown_on_its_field(week: Week) -> None:
    response = client_for(week.manager).get(
        reverse("reports:report", args=["volume"]), {"from": "2025-04-01", "to": "2025-03-01"}
    )
    assert response.status_code == 422
    assert "must not be after" in response.content.decode()


def test_xlsx_export_reads_back_as_the_page_shows(week: Week) -> None:
    client = client_for(week.manager)
    params = {**WEEK, "by": "priority"}
    page = client.get(reverse("reports:report", args=["sla_compliance"]), params)
    export = client.get(reverse("reports:export", args=["sla_compliance", "xlsx"]), params)
    assert export.status_code == 200
    assert export["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(export.content))
    sheet = book.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == [c.label for c in page.context["report"].columns]
    assert values[1:] == page.context["rows"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Response SLA compliance %"] == 66.67
    assert summary["Resolution SLA compliance %"] == 83.33


def test_csv_export(week: Week) -> None:
    response = client_for(week.manager).get(reverse("reports:export", args=["volume", "csv"]), WEEK)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Day", "Created", "Resolved", "Closed"]
    assert rows[1] == ["2025-03-24", "4", "1", "0"]
    assert len(rows) == 8


def test_plotly_is_served_from_the_installed_package(week: Week) -> None:
    response = client_for(week.manager).get(reverse("reports:plotly_js"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_json_api(week: Week, token_for: Callable[[User], str]) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(week.manager)}")
    listing = api.get("/api/v1/reports")
    assert listing.status_code == 200
    assert [r["name"] for r in listing.json()] == list(REPORTS)
    response = api.get("/api/v1/reports/reopen_rate", WEEK)
    assert response.status_code == 200
    body = response.json()
    assert {s["label"]: s["value"] for s in body["summary"]} == {
        "Reopen rate %": 20.0,
        "First resolved": 5,
    }
    assert body["rows"][-1] == {"group": "All", "whole": 5, "part": 1, "rate": 20.0}


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/v1/reports/volume?priority=P9", 422, "priority"),
        ("/api/v1/reports/volume?from=yesterday", 422, "from"),
        ("/api/v1/reports/sla_compliance?by=weather", 422, "by"),
        ("/api/v1/reports/nonsense", 404, None),
    ],
)
def test_api_bad_input_is_a_problem(
    week: Week, token_for: Callable[[User], str], path: str, status: int, field: str | None
) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(week.manager)}")
    response = api.get(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    if field:
        assert response.json()["field"] == field


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_command_line_formats(week: Week, tmp_path: Any) -> None:
    common = ["--from", "2025-03-24", "--to", "2025-03-30", "--tz", "Europe/Berlin"]
    table = _command("first_contact_resolution", *common, "--as", week.manager.email)
    assert "First contact resolution %: 40.0" in table
    assert "Service Desk" in table
    rows = list(csv.reader(io.StringIO(_command("volume", *common, "--format", "csv"))))
    assert rows[1] == ["2025-03-24", "5", "1", "0"]  # the administrator sees T9 too
    body = json.loads(_command("volume", *common, "--format", "json", "--as", week.manager.email))
    assert body["summary"][0] == {"label": "Created", "value": 7}
    target = tmp_path / "backlog.xlsx"
    _command("backlog", *common, "--format", "xlsx", "--output", str(target))
    assert load_workbook(target).worksheets[0]["B2"].value == 0


def test_command_line_bad_filter(week: Week) -> None:
    with pytest.raises(CommandError, match="--priority"):
        _command("volume", "--priority", "P9")
