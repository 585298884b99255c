"""Display helpers shared by the workspace and portal templates (ITIL labels, badges, times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from itsm.taxonomy.choices import Priority
from itsm.tickets.choices import LinkType, ResolutionCode, TicketState
from itsm.workspace.fragments import render_section

register = template.Library()

_FIELD_LABELS = {
    "state": "State",
    "title": "Title",
    "description": "Description",
    "priority": "Priority",
    "impact": "Impact",
    "urgency": "Urgency",
    "category": "Category",
    "service": "Service",
    "configuration_item": "Configuration item",
    "assignment_group": "Assignment group",
    "assignee": "Assignee",
}


@register.filter
def state_label(value: str) -> str:
    return str(TicketState(value).label) if value in TicketState.values else value


@register.filter
def priority_label(value: str) -> str:
    return str(Priority(value).label) if value in Priority.values else value


@register.filter
def field_label(value: str) -> str:
    label = _FIELD_LABELS.get(value)
    return _(label) if label else value.replace("_", " ").capitalize()


@register.filter
def field_value(value: str, field: str) -> str:
    """A journal old/new value as a person reads it (state slugs become labels)."""
    if not value:
        return _("(empty)")
    if field == "state":
        return state_label(value)
    if field == "priority":
        return priority_label(value)
    return value


@register.filter
def link_label(value: str) -> str:
    return str(LinkType(value).label) if value in LinkType.values else value


@register.filter
def resolution_label(value: str) -> str:
    return str(ResolutionCode(value).label) if value in ResolutionCode.values else value


@register.filter
def due_in(value: datetime | None) -> str:
    """“in 3 hours” or “2 hours ago”, relative to now."""
    if value is None:
        return ""
    now = timezone.now()
    if value >= now:
        return _("in %(t)s") % {"t": timeuntil(value, now, depth=1)}
    return _("%(t)s ago") % {"t": timesince(value, now, depth=1)}


@register.filter
def filesize(value: int) -> str:
    size = float(value)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


@register.simple_tag(takes_context=True)
def querystring_with(context: Any, **changes: Any) -> str:
    """The current querystring with some parameters replaced (and the cursor dropped)."""
    params = context["request"].GET.copy()
    params.pop("after", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def cached_include(context: Any, template_name: str, key: tuple[Any, ...] | None) -> str:
    """``{% include %}`` of a section kept per ``key`` (see ``itsm.workspace.fragments``)."""
    return render_section(context, template_name, key)


@register.simple_tag(takes_context=True)
def workspace_part(context: Any, part: str) -> str:
    """The workspace layout's navigation or overlays, kept per what they show: the viewer's
    role (managers see the dashboard), the page's name (``aria-current``) and the language."""
    match = getattr(context.get("request"), "resolver_match", None)
    user = context.get("user")
    key = (
        bool(getattr(user, "is_manager", False)),
        getattr(match, "url_name", None),
        getattr(match, "app_name", None),
    )
    return render_section(context, f"workspace/partials/{part}.html", key)
