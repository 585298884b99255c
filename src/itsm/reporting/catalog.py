"""The reports by name, their own parameters, and the one entry point every face calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from itsm.core.errors import NotFound, PermissionDenied

from . import metrics
from .facts import refresh_report_facts
from .filters import parse_filters, parse_zone
from .results import Report


@dataclass(frozen=True)
class Param:
    """A report's own parameter (besides the common filters): a choice or a date."""

    name: str
    label: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    summary: str
    compute: metrics.MetricFunction
    params: tuple[Param, ...] = ()


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            "volume",
            "Ticket volume",
            "Created, resolved and closed per day, week or month.",
            metrics.volume,
            (Param("interval", "Per", ("day", "week", "month")),),
        ),
        ReportSpec(
            "backlog",
            "Backlog and ageing",
            "Open tickets at a date, by age bucket and priority.",
            metrics.backlog,
            (Param("at", "Backlog at the end of"),),
        ),
        ReportSpec(
            "time_to_acknowledge",
            "Mean time to acknowledge",
            "Hours to the first public agent response.",
            metrics.time_to_acknowledge,
        ),
        ReportSpec(
            "time_to_resolve",
            "Mean time to resolve",
            "Mean, median and 90th percentile, wall clock and business time.",
            metrics.time_to_resolve,
        ),
        ReportSpec(
            "sla_compliance",
            "SLA compliance",
            "Response and resolution targets met, by priority, group or service.",
            metrics.sla_compliance,
            (Param("by", "By", ("priority", "group", "service")),),
        ),
        ReportSpec(
            "breaches", "SLA breaches", "Every target breached in the range.", metrics.breaches
        ),
        ReportSpec(
            "first_contact_resolution",
            "First contact resolution",
            "Resolved by the first assignee, never reassigned, pending or reopened.",
            metrics.first_contact_resolution,
        ),
        ReportSpec(
            "reopen_rate", "Reopen rate", "Resolved tickets that came back.", metrics.reopen_rate
        ),
        ReportSpec(
            "reassignments",
            "Reassignments",
            "Distribution of how often tickets changed hands.",
            metrics.reassignments,
        ),
        ReportSpec(
            "top",
            "Top categories, services and CIs",
            "Where the tickets come from.",
            metrics.top,
            (Param("by", "By", ("category", "service", "configuration_item")),),
        ),
        ReportSpec(
            "workload",
            "Workload and throughput",
            "Open, logged and resolved per agent or group.",
            metrics.workload,
            (Param("by", "By", ("group", "agent")),),
        ),
        ReportSpec(
            "major_incidents",
            "Major incidents",
            "Major incidents in the range and how long they lasted.",
            metrics.major_incidents,
        ),
    )
}


def may_see_reports(user: Any) -> bool:
    """Agents, managers and administrators; never requesters."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def report_spec(name: str) -> ReportSpec:
    spec = REPORTS.get(name)
    if spec is None:
        raise NotFound(f"No report {name!r}; reports are: {', '.join(REPORTS)}.")
    return spec


def run_report(
    name: str,
    user: Any,
    params: Mapping[str, Any],
    *,
    now: datetime | None = None,
    refresh: bool = True,
) -> Report:
    """The report ``name`` for what ``user`` may see, under the filters and parameters given.

    Raises PermissionDenied for requesters, NotFound for an unknown report and InvalidInput
    (naming the field) for a bad filter.
    """
    if not may_see_reports(user):
        raise PermissionDenied("Reports are for service desk staff.")
    spec = report_spec(name)
    now = now or timezone.now()
    filters = parse_filters(params, today=now.astimezone(_zone_for(params)).date())
    if refresh:
        # Catch up the rollup with tickets changed since the worker's last pass (usually none).
        refresh_report_facts(now=now, recent_only=True)
    text_params = {k: str(v) for k, v in params.items() if v is not None}
    return spec.compute(metrics.Context(user=user, filters=filters, params=text_params, now=now))


def _zone_for(params: Mapping[str, Any]) -> ZoneInfo:
    return parse_zone(str(params.get("tz") or settings.TIME_ZONE))
