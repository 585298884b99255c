"""The manager's dashboard: backlog by group and priority, SLA compliance, breaches, oldest open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from itsm.reporting.catalog import run_report
from itsm.reporting.charts import chart_data, chart_policy
from itsm.sla.models import MetricChoice, SlaInstance
from itsm.taxonomy.choices import Priority
from itsm.tickets.choices import INACTIVE_STATES
from itsm.tickets.models import Ticket
from itsm.workspace.access import manager_required
from itsm.workspace.sla_status import BREACHED, sla_status_q
from itsm.workspace.views.common import current_user, open_tickets, queue_url

OLDEST_ROWS = 10


def _backlog(qs: Any, now: Any) -> tuple[list[dict[str, Any]], int]:
    """Rows per group (unassigned last) with a count per priority and a total, and how many of
    the tickets breached their SLA: one pass over the open tickets (conditional aggregation)."""
    counts = (
        qs.values("assignment_group_id", "assignment_group__name", "priority")
        .annotate(n=Count("pk"), breached=Count("pk", filter=sla_status_q(BREACHED, now)))
        .order_by("assignment_group__name", "priority")
    )
    rows: dict[Any, dict[str, Any]] = {}
    breached = 0
    for row in counts:
        breached += row["breached"]
        key = row["assignment_group_id"]
        entry = rows.setdefault(
            key,
            {
                "group_id": key,
                "name": row["assignment_group__name"],
                "cells": {p: 0 for p in Priority.values},
                "total": 0,
            },
        )
        entry["cells"][row["priority"]] = row["n"]
        entry["total"] += row["n"]
    result = sorted(rows.values(), key=lambda r: (r["name"] is None, r["name"] or ""))
    peak = max((r["total"] for r in result), default=0)
    for entry in result:
        entry["links"] = [
            (
                p,
                entry["cells"][p],
                queue_url(group=entry["group_id"] or "", priority=p, state="open"),
            )
            for p in Priority.values
        ]
        entry["bar"] = round(100 * entry["total"] / peak) if peak else 0
        entry["url"] = queue_url(group=entry["group_id"] or "", state="open")
    return result, breached


def _week_compliance(visible: Any, now: Any) -> dict[str, Any]:
    """Resolution SLAs whose clock stopped since Monday 00:00 (local): met when never breached.

    Reads the SLA instances themselves, as the SLA compliance report does, so the dashboard and
    the report agree; detached SLAs (no longer applying to their ticket) do not count.
    """
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    finished = SlaInstance.objects.filter(
        ticket__in=visible.values("pk"),
        metric=MetricChoice.RESOLUTION,
        detached_at__isnull=True,
        stopped_at__gte=monday,
    )
    figures = finished.aggregate(
        with_sla=Count("pk"), met=Count("pk", filter=Q(breached_at__isnull=True))
    )
    with_sla = figures["with_sla"] or 0
    figures["percent"] = round(100 * figures["met"] / with_sla, 1) if with_sla else None
    figures["since"] = monday
    figures["total"] = visible.filter(resolved_at__gte=monday).count()
    return figures


def _charts(user: Any, now: Any, since: Any) -> list[dict[str, Any]]:
    """The reporting engine's backlog and this week's SLA compliance, drawn like the reports."""
    today = timezone.localdate(now)
    backlog = run_report("backlog", user, {}, now=now)
    compliance = run_report(
        "sla_compliance",
        user,
        {"from": since.date().isoformat(), "to": today.isoformat(), "by": "priority"},
        now=now,
        refresh=False,
    )
    return chart_data(backlog) + chart_data(compliance)


def _oldest_open(user: Any) -> list[Ticket]:
    """The oldest open tickets. Ordered by an expression equal to ``opened_at`` on purpose: the
    index on ``opened_at`` would walk every closed ticket older than the open ones (911,000 rows
    at a million tickets); this way PostgreSQL reads the open tickets through their partial
    index and keeps the oldest (top-N sort), a cost that grows with the backlog only."""
    oldest = Coalesce("opened_at", "created_at")
    return list(open_tickets(user).order_by(oldest, "pk")[:OLDEST_ROWS])


@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    now = timezone.now()
    visible = Ticket.objects.visible_to(user)
    backlog, breached_count = _backlog(visible.exclude(state__in=INACTIVE_STATES), now)
    breached = open_tickets(user).filter(sla_status_q(BREACHED, now))
    compliance = _week_compliance(visible, now)
    charts = _charts(user, now, compliance["since"])
    context: dict[str, Any] = {
        "now": now,
        "priorities": Priority.choices,
        "backlog": backlog,
        "backlog_total": sum(row["total"] for row in backlog),
        "compliance": compliance,
        "charts": charts,
        "breached_count": breached_count,
        "breached": list(breached.order_by("sla_due_at")[:OLDEST_ROWS]),
        "breached_url": queue_url(sla=BREACHED),
        "oldest": _oldest_open(user),
        "oldest_url": queue_url(state="open", sort="oldest"),
    }
    response = render(request, "workspace/dashboard.html", context)
    if charts:
        response["Content-Security-Policy"] = chart_policy()
    return response
