"""The one transition mechanism: decides whether a move declared in lifecycles.py is legal now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from itsm.core.errors import InvalidInput, TransitionNotAllowed
from itsm.tickets.choices import TicketState
from itsm.tickets.lifecycles import (
    AGENT,
    REASON,
    REQUESTER,
    RESOLUTION,
    SYSTEM,
    WITHIN_REOPEN_WINDOW,
    Transition,
    lifecycle_for,
)
from itsm.tickets.models import Ticket


def _within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    if ticket.resolved_at is None:
        return True
    return now - ticket.resolved_at <= timedelta(days=settings.ITSM_REOPEN_WINDOW_DAYS)


GUARDS: dict[str, Callable[[Ticket, datetime], bool]] = {
    WITHIN_REOPEN_WINDOW: _within_reopen_window,
}


def actor_role(ticket: Ticket, actor: Any) -> str | None:
    """How the actor stands to this ticket: system (None), agent, requester or nobody."""
    if actor is None:
        return SYSTEM
    if actor.is_agent:
        return AGENT
    if actor.pk == ticket.requester_id:
        return REQUESTER
    managed = actor.managed_organizations.filter(pk=ticket.organization_id).exists()
    return REQUESTER if managed else None


def allowed_transitions(ticket: Ticket, actor: Any, now: datetime) -> list[Transition]:
    """The transitions this actor may make on this ticket right now (drives the UI's buttons)."""
    role = actor_role(ticket, actor)
    if role is None:
        return []
    return [
        transition
        for transition in lifecycle_for(ticket.kind).transitions
        if ticket.state in transition.sources
        and role in transition.actors
        and all(GUARDS[name](ticket, now) for name in transition.guards)
    ]


def find_transition(
    ticket: Ticket,
    to_state: str,
    actor: Any,
    now: datetime,
    *,
    reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
) -> Transition:
    """The legal transition to ``to_state`` with what it requires supplied, or a clear error."""
    allowed = allowed_transitions(ticket, actor, now)
    match = next((t for t in allowed if t.target == to_state), None)
    if match is None:
        names = [TicketState(t.target).label for t in allowed]
        current = TicketState(ticket.state).label
        target = TicketState(to_state).label if to_state in TicketState.values else to_state
        detail = f"{ticket.number} cannot move from {current} to {target}."
        if to_state == TicketState.IN_PROGRESS and ticket.state == TicketState.RESOLVED:
            detail += (
                f" The reopen window of {settings.ITSM_REOPEN_WINDOW_DAYS} days has passed."
                if actor_role(ticket, actor) is not None
                else ""
            )
        raise TransitionNotAllowed(
            detail,
            current_state=ticket.state,
            allowed_transitions=[t.target for t in allowed],
            allowed_transition_names=[str(n) for n in names],
        )
    if REASON in match.requires and not reason.strip():
        raise InvalidInput("reason", f"Moving to {TicketState(to_state).label} needs a reason.")
    if RESOLUTION in match.requires:
        if not resolution_code:
            raise InvalidInput("resolution_code", "Resolving needs a resolution code.")
        if not resolution_notes.strip():
            raise InvalidInput("resolution_notes", "Resolving needs resolution notes.")
    return match
