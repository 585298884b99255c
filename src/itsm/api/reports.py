"""Reports as JSON: ``GET /api/v1/reports`` lists them, ``GET /api/v1/reports/{name}`` computes one
for what the caller may see. Requesters get 404, as on the report pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from itsm.api.problems import problems
from itsm.core.errors import NotFound
from itsm.reporting.catalog import REPORTS, may_see_reports, run_report

router = Router()


class ReportParamOut(Schema):
    name: str
    label: str
    options: list[str]


class ReportInfoOut(Schema):
    name: str
    title: str
    summary: str
    params: list[ReportParamOut] = Field(description="The report's own parameters")


class LabelValue(Schema):
    label: str
    value: Any


class ColumnOut(Schema):
    key: str
    label: str
    type: str


class ChartOut(Schema):
    kind: str
    title: str
    x: str
    series: list[str]


class ReportOut(Schema):
    name: str
    title: str
    description: str
    filters: list[LabelValue]
    summary: list[LabelValue]
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="One object per table row, keyed by column key")
    charts: list[ChartOut]
    notes: list[str]


class ReportQuery(Schema):
    model_config = ConfigDict(populate_by_name=True)

    date_from: str | None = Field(None, alias="from", description="First local date, YYYY-MM-DD")
    to: str | None = Field(None, description="Last local date (inclusive), YYYY-MM-DD")
    tz: str | None = Field(None, description="IANA time zone of the dates and buckets")
    kind: str | None = None
    group: str | None = Field(None, description="Assignment group id or name")
    service: str | None = Field(None, description="Service id or name")
    category: str | None = Field(None, description="Category id or name (with subcategories)")
    priority: str | None = None
    organization: str | None = Field(None, description="Organisation id or name")
    interval: str | None = Field(None, description="volume: day, week or month")
    by: str | None = Field(None, description="sla_compliance, top, workload: the dimension")
    at: str | None = Field(None, description="backlog: the local date whose end it is taken at")


def _require_staff(request: HttpRequest) -> None:
    if not may_see_reports(request.user):
        raise NotFound("No reports here.")


@router.get("", response={200: list[ReportInfoOut], **problems()}, summary="The reports")
def list_reports(request: HttpRequest) -> list[ReportInfoOut]:
    _require_staff(request)
    return [
        ReportInfoOut(
            name=spec.name,
            title=spec.title,
            summary=spec.summary,
            params=[
                ReportParamOut(name=p.name, label=p.label, options=list(p.options))
                for p in spec.params
            ],
        )
        for spec in REPORTS.values()
    ]


@router.get(
    "/{name}",
    response={200: ReportOut, **problems()},
    summary="One report, for the tickets the caller may see",
    url_name="report",
)
def get_report(request: HttpRequest, name: str, filters: Query[ReportQuery]) -> dict[str, Any]:
    _require_staff(request)
    params = filters.model_dump(by_alias=True, exclude_none=True)
    return run_report(name, request.user, params).as_dict()
