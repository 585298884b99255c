"""What the virtual users need from the data set: tokens, sessions, groups and ticket numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings


@dataclass
class Actor:
    email: str
    user_id: int
    api_headers: dict[str, str]
    html_headers: dict[str, str]
    groups: list[int] = field(default_factory=list)


@dataclass
class Fixtures:
    desk: Actor
    agents: list[Actor]
    groups: list[int]
    requesters: list[int]
    services: list[int]
    categories: list[int]
    open_numbers_by_group: dict[int, list[str]]
    s5_numbers: list[str]
    max_ticket_id: int
    manager: Actor


def _session_cookie(user: Any) -> str:
    """A logged-in session made the way Django's login() makes it (no password needed)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def actor(user: Any) -> Actor:
    from itsm.accounts.actions import do_create_api_token

    _, secret = do_create_api_token(user, name="bench")
    return Actor(
        email=user.email,
        user_id=user.pk,
        api_headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
        html_headers={"Cookie": _session_cookie(user)},
        groups=list(user.assignment_groups.values_list("pk", flat=True)),
    )


def prepare(agent_count: int, s5_numbers: list[str]) -> Fixtures:
    from django.db.models import Max

    from itsm.accounts.models import Group, User
    from itsm.cmdb.models import Service
    from itsm.taxonomy.models import Category
    from itsm.tickets.choices import INACTIVE_STATES
    from itsm.tickets.models import Ticket

    desk = actor(User.objects.get(email="agent@demo.example"))
    groups = list(
        Group.objects.filter(is_major_incident_team=False, members__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    agent_users = list(
        User.objects.filter(role="agent", assignment_groups__isnull=False).distinct().order_by("pk")
    )
    # Spread the virtual agents over the groups.
    agent_users.sort(key=lambda u: (u.pk % 7, u.pk))
    agents = [actor(user) for user in agent_users[:agent_count]]
    open_numbers: dict[int, list[str]] = {}
    for group in groups:
        open_numbers[group] = list(
            Ticket.objects.filter(assignment_group_id=group, kind="incident")
            .exclude(state__in=INACTIVE_STATES)
            .order_by("sla_due_at")
            .values_list("number", flat=True)[:200]
        )
    return Fixtures(
        desk=desk,
        agents=agents,
        groups=groups,
        requesters=list(
            User.objects.filter(role="requester").order_by("pk").values_list("pk", flat=True)[:500]
        ),
        services=list(Service.objects.values_list("pk", flat=True)),
        categories=list(
            Category.objects.filter(kind="incident", parent__isnull=False).values_list(
                "pk", flat=True
            )
        ),
        open_numbers_by_group=open_numbers,
        s5_numbers=s5_numbers,
        max_ticket_id=Ticket.objects.aggregate(m=Max("pk"))["m"] or 1,
        manager=actor(User.objects.get(email="manager@demo.example")),
    )
