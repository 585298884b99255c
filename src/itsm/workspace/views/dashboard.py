"""The manager's dashboard: backlog by group and priority, SLA compliance, breaches, oldest open."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from itsm.reporting.catalog import run_report
from itsm.reporting.charts import chart_data, chart_policy
from itsm.reporting.facts import refresh_report_facts
from itsm.reporting.models import TicketFact
from itsm.sla.models import ClockStateChoice, MetricChoice, SlaInstance
from itsm.taxonomy.choices import Priority
from itsm.tickets.models import Ticket
from itsm.workspace.access import manager_required
from itsm.workspace.sla_status import BREACHED, sla_status_q
from itsm.workspace.views.common import current_user, open_tickets, queue_url

OLDEST_ROWS = 10


def _breached_ticket_ids(now: datetime) -> QuerySet[SlaInstance, Any]:
    """The tickets standing breached (``sla_status_q(BREACHED, now)``: an attached SLA that
    breached, or a running clock past its due time) as one set of ids, so a count over the open
    tickets checks them with one hashed lookup instead of a subquery per ticket."""
    return SlaInstance.objects.filter(
        Q(breached_at__lte=now) | Q(clock_state=ClockStateChoice.RUNNING, due_at__lt=now),
        detached_at__isnull=True,
    ).values("ticket_id")


def _backlog(open_facts: QuerySet[TicketFact], now: datetime) -> tuple[list[dict[str, Any]], int]:
    """Rows per group (unassigned last) with a count per priority and a total, and how many of
    the tickets breached their SLA: one pass over the open tickets (conditional aggregation),
    read from the rollup's unsettled facts (an index-only scan of ``fact_unsettled_cover_idx``)."""
    counts = (
        open_facts.values("assignment_group_id", "assignment_group__name", "priority")
        .annotate(
            n=Count("pk"), breached=Count("pk", filter=Q(ticket__in=_breached_ticket_ids(now)))
        )
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
    # The dashboard caught the rollup up itself, before its own counts.
    backlog = run_report("backlog", user, {}, now=now, refresh=False)
    compliance = run_report(
        "sla_compliance",
        user,
        {"from": since.date().isoformat(), "to": today.isoformat(), "by": "priority"},
        now=now,
        refresh=False,
    )
    return chart_data(backlog) + chart_data(compliance)


def _oldest_open(user: Any, open_facts: QuerySet[TicketFact]) -> list[Ticket]:
    """The oldest open tickets: the first ids of the unsettled facts in logging order (an
    index walk of ``fact_unsettled_cover_idx`` that stops after ten), then those tickets, read
    again as open and visible tickets."""
    ids = list(
        open_facts.order_by("opened_at", "ticket_id").values_list("ticket_id", flat=True)[
            :OLDEST_ROWS
        ]
    )
    tickets = {ticket.pk: ticket for ticket in open_tickets(user).filter(pk__in=ids)}
    return [tickets[pk] for pk in ids if pk in tickets]


@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    now = timezone.now()
    visible = Ticket.objects.visible_to(user)
    # The open counts, the oldest tickets and the backlog chart read the rollup: bring it up to
    # date first (tickets changed since its newest fact; usually none), so they are current.
    refresh_report_facts(now=now, recent_only=True)
    open_facts = TicketFact.objects.visible_to(user).order_by().filter(settled_at__isnull=True)
    backlog, breached_count = _backlog(open_facts, now)
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
        "oldest": _oldest_open(user, open_facts),
        "oldest_url": queue_url(state="open", sort="oldest"),
    }
    response = render(request, "workspace/dashboard.html", context)
    if charts:
        response["Content-Security-Policy"] = chart_policy()
    return response
