"""Ticket endpoints shared by every kind."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from itsm.api.schemas import PersonOut, TicketOut
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import access_ticket_by_number

router = Router()


def _person(user: Any) -> PersonOut | None:
    if user is None:
        return None
    return PersonOut(id=user.pk, full_name=user.full_name, email=user.email)


def ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut(
        number=ticket.number,
        kind=ticket.kind,
        title=ticket.title,
        description=ticket.description,
        state=ticket.state,
        state_display=ticket.get_state_display(),
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        category=str(ticket.category) if ticket.category else None,
        service=str(ticket.service) if ticket.service else None,
        configuration_item=str(ticket.configuration_item) if ticket.configuration_item else None,
        requester=_person(ticket.requester),  # type: ignore[arg-type]
        assignment_group=str(ticket.assignment_group) if ticket.assignment_group else None,
        assignee=_person(ticket.assignee),
        channel=ticket.channel,
        opened_at=ticket.opened_at,
        first_responded_at=ticket.first_responded_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        resolution_code=ticket.resolution_code,
        resolution_notes=ticket.resolution_notes,
        sla_due_at=ticket.sla_due_at,
        version=ticket.version,
    )


@router.get("/{number}", response=TicketOut)
def get_ticket(request: HttpRequest, number: str) -> TicketOut:
    return ticket_out(access_ticket_by_number(request.user, number))
