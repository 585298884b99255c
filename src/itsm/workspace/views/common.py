"""Helpers shared by the workspace views."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from itsm.accounts.models import User
from itsm.taxonomy.choices import TicketKind
from itsm.tickets.choices import INACTIVE_STATES
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import TicketQuerySet

#: Columns every list shows; select_related keeps a page at a constant number of queries.
LIST_RELATED = ("requester", "assignee", "assignment_group", "category", "service")


def current_user(request: HttpRequest) -> User:
    """The signed-in user (the views' decorators have checked it)."""
    return cast(User, request.user)


def open_tickets(user: User) -> TicketQuerySet:
    return (
        Ticket.objects.visible_to(user)
        .exclude(state__in=INACTIVE_STATES)
        .select_related(*LIST_RELATED)
    )


def major_incidents_q() -> Q:
    """Major incidents: incidents a manager flagged as major (Incident Management)."""
    return Q(kind=TicketKind.INCIDENT, incident__is_major=True)


def queue_url(**filters: Any) -> str:
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    return reverse("queue") + (f"?{query}" if query else "")
