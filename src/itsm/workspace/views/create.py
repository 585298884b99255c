"""Opening an incident for a caller on the phone or at the desk, and the pickers' searches."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from itsm.accounts.models import User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.errors import ActionError
from itsm.incidents.actions import do_open_incident
from itsm.taxonomy.choices import DEFAULT_MATRIX, TicketKind
from itsm.taxonomy.models import Category, PriorityMatrixEntry
from itsm.workspace.access import add_action_error, agent_required
from itsm.workspace.forms import CreateIncidentForm
from itsm.workspace.views.common import current_user

LOOKUP_LIMIT = 20


def priority_matrix() -> dict[str, str]:
    """impact:urgency -> priority, as the browser's priority preview needs it."""
    matrix = {f"{i}:{u}": p for (i, u), p in DEFAULT_MATRIX.items()}
    for entry in PriorityMatrixEntry.objects.all():
        matrix[f"{entry.impact}:{entry.urgency}"] = entry.priority
    return matrix


def _lookup(kind: str, text: str, extra: dict[str, str]) -> list[tuple[int, str]]:
    if kind == "requester":
        users = User.objects.filter(is_active=True)
        if text:
            users = users.filter(Q(full_name__icontains=text) | Q(email__icontains=text))
        return [(u.pk, f"{u.full_name} <{u.email}>") for u in users[:LOOKUP_LIMIT]]
    if kind == "category":
        categories = Category.objects.filter(kind=TicketKind.INCIDENT, is_active=True)
        if text:
            categories = categories.filter(name__icontains=text)
        categories = categories.select_related("parent__parent")
        return [(c.pk, c.path) for c in categories[:LOOKUP_LIMIT]]
    if kind == "service":
        services = Service.objects.filter(is_active=True)
        if text:
            services = services.filter(name__icontains=text)
        return [(s.pk, s.name) for s in services[:LOOKUP_LIMIT]]
    if kind == "configuration_item":
        items = ConfigurationItem.objects.all()
        if text:
            items = items.filter(name__icontains=text)
        if extra.get("service", "").isdigit():
            items = items.filter(service_id=int(extra["service"]))
        return [(ci.pk, ci.name) for ci in items[:LOOKUP_LIMIT]]
    raise Http404


@agent_required
def lookup(request: HttpRequest, kind: str) -> HttpResponse:
    """The <option>s of a picker matching what the agent typed."""
    text = request.GET.get(f"{kind}_search", request.GET.get("q", "")).strip()[:100]
    options = _lookup(kind, text, {"service": request.GET.get("service", "")})
    return render(
        request,
        "workspace/partials/picker_options.html",
        {"options": options, "optional": kind != "requester", "text": text},
    )


def _initial_options(form: CreateIncidentForm) -> dict[str, list[tuple[int, str]]]:
    """Options each picker starts with: the chosen value (if any) and the first matches."""
    chosen: dict[str, Any] = {}
    if form.is_bound:
        for name in ("requester", "category", "service", "configuration_item"):
            chosen[name] = form.data.get(name, "")
    options: dict[str, list[tuple[int, str]]] = {}
    for name in ("requester", "category", "service", "configuration_item"):
        found = _lookup(name, "", {})
        value = chosen.get(name, "")
        if value and str(value).isdigit() and int(value) not in {pk for pk, _ in found}:
            found = _selected(name, int(value)) + found
        options[name] = found
    return options


def _selected(name: str, pk: int) -> list[tuple[int, str]]:
    model: Any = {
        "requester": User,
        "category": Category,
        "service": Service,
        "configuration_item": ConfigurationItem,
    }[name]
    obj = model.objects.filter(pk=pk).first()
    return [(obj.pk, getattr(obj, "path", None) or str(obj))] if obj else []


@agent_required
def create_incident(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = CreateIncidentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = do_open_incident(
                    title=data["title"],
                    description=data["description"],
                    requester=data["requester"],
                    actor=user,
                    impact=data["impact"],
                    urgency=data["urgency"],
                    category=data["category"],
                    service=data["service"],
                    configuration_item=data["configuration_item"],
                    channel=data["channel"],
                    attachments=data["attachments"],
                )
            except ActionError as error:
                add_action_error(form, error)
                status = error.status
            else:
                return redirect("ticket", number=ticket.number)
        else:
            status = 422
    context = {
        "form": form,
        "options": _initial_options(form),
        "matrix": json.dumps(priority_matrix()),
        "initial_priority": priority_matrix().get(
            f"{form['impact'].value()}:{form['urgency'].value()}", ""
        ),
        "priority_labels": json.dumps(_priority_labels()),
    }
    return render(request, "workspace/create_incident.html", context, status=status)


def _priority_labels() -> dict[str, str]:
    from itsm.taxonomy.choices import Priority

    return {value: str(label) for value, label in Priority.choices}


__all__ = ["create_incident", "lookup", "_"]
