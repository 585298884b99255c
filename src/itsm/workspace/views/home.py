"""The agent's home: my work, my groups' unassigned incidents, SLA risk, major incidents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.sla.queries import sla_badges_for
from itsm.workspace.access import agent_required
from itsm.workspace.sla_status import AT_RISK, BREACHED, sla_status_q
from itsm.workspace.views.common import current_user, major_incidents_q, open_tickets, queue_url

PANEL_ROWS = 8


@dataclass
class Panel:
    key: str
    title: Any
    empty: Any
    count: int
    rows: list[Any]
    url: str


def _panel(key: str, title: Any, empty: Any, qs: Any, url: str) -> Panel:
    tickets = list(qs.order_by(F("sla_due_at").asc(nulls_last=True), "opened_at")[:PANEL_ROWS])
    count = qs.count()
    now = timezone.now()
    badges = sla_badges_for(tickets, now=now)
    return Panel(key, title, empty, count, [(t, badges.get(t.pk, [])) for t in tickets], url)


def home_panels(request: HttpRequest) -> list[Panel]:
    user = current_user(request)
    now = timezone.now()
    group_ids = list(user.assignment_groups.values_list("pk", flat=True))
    base = open_tickets(user)
    mine_or_groups = base.filter(assignee=user) | base.filter(assignment_group_id__in=group_ids)
    return [
        _panel(
            "mine",
            _("My open work"),
            _("Nothing assigned to you. Take one from your groups' queue."),
            base.filter(assignee=user),
            queue_url(assignee="me", state="open"),
        ),
        _panel(
            "unassigned",
            _("Unassigned in my groups"),
            _("Every incident of your groups has an owner."),
            base.filter(assignment_group_id__in=group_ids, assignee__isnull=True),
            queue_url(
                assignee="none", state="open", group=group_ids[0] if len(group_ids) == 1 else ""
            ),
        ),
        _panel(
            "at_risk",
            _("SLA at risk"),
            _("No SLA close to its due time."),
            mine_or_groups.filter(sla_status_q(AT_RISK, now)),
            queue_url(sla=AT_RISK),
        ),
        _panel(
            "breached",
            _("SLA breached"),
            _("No breached SLA. Well done."),
            mine_or_groups.filter(sla_status_q(BREACHED, now)),
            queue_url(sla=BREACHED),
        ),
        _panel(
            "major",
            _("Major incidents in progress"),
            _("No major incident in progress."),
            base.filter(major_incidents_q()),
            queue_url(kind="incident", priority="P1", state="open"),
        ),
    ]


def home(request: HttpRequest) -> HttpResponseBase:
    """Requesters land in the portal; agents get their workspace home."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.is_agent:
        return redirect("portal:home")
    return _agent_home(request)


@agent_required
def _agent_home(request: HttpRequest) -> HttpResponse:
    context = {"panels": home_panels(request), "now": timezone.now()}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "workspace/partials/home_panels.html", context)
    return render(request, "workspace/home.html", context)
