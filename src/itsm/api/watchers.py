"""Watchers: people who follow a ticket's public updates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from itsm.api.concurrency import expected_version
from itsm.api.lookups import find_user, ticket_for
from itsm.api.problems import problems
from itsm.api.responses import answer
from itsm.api.schemas import PersonOut, WatcherIn
from itsm.api.serializers import person_out
from itsm.core.errors import PermissionDenied
from itsm.tickets.actions import do_add_watcher, do_remove_watcher
from itsm.tickets.models import Ticket

router = Router()


def _watchers(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_for(request.user, number)
    people = [person_out(w.user) for w in ticket.watchers.select_related("user").order_by("id")]
    return answer([p for p in people if p is not None], version=ticket.version)


def _may_change_watcher(actor: Any, user: Any) -> None:
    if not actor.is_agent and actor.pk != user.pk:
        raise PermissionDenied("Requesters may only start or stop watching themselves.")


@router.get(
    "/{number}/watchers",
    response={200: list[PersonOut], **problems()},
    summary="List a ticket's watchers",
)
def list_watchers(request: HttpRequest, number: str) -> HttpResponse:
    return _watchers(request, number)


@router.post(
    "/{number}/watchers",
    response={200: list[PersonOut], **problems(403, 412)},
    summary="Add a watcher",
)
def add_watcher(request: HttpRequest, number: str, payload: WatcherIn) -> HttpResponse:
    """Start watching (`user: "me"`), or, for agents, add anyone. Honours `If-Match`."""
    version = expected_version(request)
    ticket = ticket_for(request.user, number)
    user = find_user("user", payload.user, me=request.user)
    _may_change_watcher(request.user, user)
    do_add_watcher(ticket, user=user, actor=request.user, expected_version=version)
    return _watchers(request, ticket.number)


@router.delete(
    "/{number}/watchers/{user}",
    response={200: list[PersonOut], **problems(403, 412)},
    summary="Remove a watcher",
)
def remove_watcher(request: HttpRequest, number: str, user: str) -> HttpResponse:
    """Stop watching (`me`), or, for agents, remove anyone (id or email). Honours `If-Match`."""
    version = expected_version(request)
    ticket = ticket_for(request.user, number)
    person = find_user("user", user, me=request.user)
    _may_change_watcher(request.user, person)
    do_remove_watcher(ticket, user=person, actor=request.user, expected_version=version)
    # A requester who stops watching may no longer see the ticket.
    if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
        return answer([], version=ticket.version + 1)
    return _watchers(request, ticket.number)
