"""Ticket endpoints shared by every kind: list, read, edit, move, assign."""

from __future__ import annotations

from enum import StrEnum

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Query

from itsm.api.concurrency import expected_version, not_modified, with_etag
from itsm.api.lookups import clean_text, find_group, find_user, ticket_for
from itsm.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Ordering, paginate
from itsm.api.problems import problems
from itsm.api.responses import answer
from itsm.api.schemas import (
    AssignmentIn,
    TicketEditIn,
    TicketOut,
    TicketPage,
    TransitionIn,
    TransitionOut,
)
from itsm.api.serializers import TICKET_RELATED, ticket_out, tickets_out, transitions_out
from itsm.core.errors import InvalidInput
from itsm.incidents.actions import do_transition_incident
from itsm.taxonomy.choices import Priority, TicketKind
from itsm.tickets.choices import TicketState
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_assign_ticket, do_edit_ticket_details, do_transition_ticket

__all__ = ["router", "ticket_out"]

router = Router()


class TicketOrdering(StrEnum):
    SLA_DUE_AT = "sla_due_at"
    OPENED_AT_DESC = "-opened_at"
    OPENED_AT = "opened_at"
    PRIORITY = "priority"
    UPDATED_AT_DESC = "-updated_at"


ORDERINGS = {
    TicketOrdering.SLA_DUE_AT: Ordering("sla_due_at", "sla_due_at", nullable=True),
    TicketOrdering.OPENED_AT_DESC: Ordering("-opened_at", "opened_at", descending=True),
    TicketOrdering.OPENED_AT: Ordering("opened_at", "opened_at"),
    TicketOrdering.PRIORITY: Ordering("priority", "priority", datetime_value=False),
    TicketOrdering.UPDATED_AT_DESC: Ordering("-updated_at", "updated_at", descending=True),
}


def _filtered(
    request: HttpRequest,
    *,
    kind: list[TicketKind] | None,
    state: list[TicketState] | None,
    priority: list[Priority] | None,
    assignment_group: str | None,
    assignee: str | None,
    requester: str | None,
) -> Q:
    query = Q()
    if kind:
        query &= Q(kind__in=kind)
    if state:
        query &= Q(state__in=state)
    if priority:
        query &= Q(priority__in=priority)
    if assignment_group is not None:
        query &= Q(assignment_group=find_group("assignment_group", assignment_group))
    if assignee is not None:
        if assignee.strip().lower() == "none":
            query &= Q(assignee__isnull=True)
        else:
            query &= Q(assignee=find_user("assignee", assignee, me=request.user))
    if requester is not None:
        query &= Q(requester=find_user("requester", requester, me=request.user))
    return query


@router.get("", response={200: TicketPage, **problems()}, summary="List tickets")
def list_tickets(
    request: HttpRequest,
    kind: list[TicketKind] | None = Query(None),  # noqa: B008
    state: list[TicketState] | None = Query(None),  # noqa: B008
    priority: list[Priority] | None = Query(None),  # noqa: B008
    assignment_group: str | None = Query(None, max_length=200, description="Id or name."),  # noqa: B008
    assignee: str | None = Query(None, max_length=254, description="Id, email, 'me' or 'none'."),  # noqa: B008
    requester: str | None = Query(None, max_length=254, description="Id, email or 'me'."),  # noqa: B008
    q: str | None = Query(
        None, max_length=200, description="Text in number, title or description."
    ),
    ordering: TicketOrdering = TicketOrdering.SLA_DUE_AT,
    cursor: str | None = Query(None, max_length=500),  # noqa: B008
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> HttpResponse:
    """Tickets you may see, soonest SLA due first unless `ordering` says otherwise."""
    query = _filtered(
        request,
        kind=kind,
        state=state,
        priority=priority,
        assignment_group=assignment_group,
        assignee=assignee,
        requester=requester,
    )
    tickets = (
        Ticket.objects.visible_to(request.user)
        .filter(query)
        .search(clean_text("q", q) or "")
        .select_related(*TICKET_RELATED)
    )
    page = paginate(tickets, ORDERINGS[ordering], cursor=cursor, limit=limit)
    response = answer(
        TicketPage(
            items=tickets_out(list(page.items)),
            next=page.next_url(request),
            next_cursor=page.next_cursor,
        )
    )
    if page.next_cursor:
        response["Link"] = f'<{page.next_url(request)}>; rel="next"'
    return response


@router.get(
    "/{number}",
    response={200: TicketOut, 304: None, **problems()},
    summary="Read a ticket",
)
def get_ticket(request: HttpRequest, number: str) -> HttpResponse:
    """The ticket with its ETag; `If-None-Match` with the current ETag answers 304."""
    ticket = ticket_for(request.user, number)
    if not_modified(request, ticket.version):
        return with_etag(HttpResponse(status=304), ticket.version)
    return answer(ticket_out(ticket), version=ticket.version)


@router.patch(
    "/{number}",
    response={200: TicketOut, **problems(403, 412)},
    summary="Edit title or description",
)
def edit_ticket(request: HttpRequest, number: str, payload: TicketEditIn) -> HttpResponse:
    """Correct the title or description (agents and the requester). Honours `If-Match`."""
    version = expected_version(request)
    for field in ("title", "description"):
        clean_text(field, getattr(payload, field))
    ticket = ticket_for(request.user, number)
    # A savepoint when called inside a transaction: a refused write leaves it usable.
    with transaction.atomic():
        ticket = do_edit_ticket_details(
            ticket,
            title=payload.title,
            description=payload.description,
            actor=request.user,  # type: ignore[arg-type]
            expected_version=version,
        )
    return _ticket_answer(request, ticket.number)


def _ticket_answer(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_for(request.user, number)
    return answer(ticket_out(ticket), version=ticket.version)


@router.get(
    "/{number}/transitions",
    response={200: list[TransitionOut], **problems()},
    summary="Transitions you may make now",
)
def list_transitions(request: HttpRequest, number: str) -> list[TransitionOut]:
    return transitions_out(ticket_for(request.user, number), request.user)


@router.post(
    "/{number}/transitions",
    response={200: TicketOut, **problems(403, 409, 412)},
    summary="Move a ticket to another state",
)
def transition_ticket(request: HttpRequest, number: str, payload: TransitionIn) -> HttpResponse:
    """Move along the ticket's lifecycle. An illegal move answers 409 with `allowed_transitions`."""
    version = expected_version(request)
    for field in ("to", "reason", "resolution_code", "resolution_notes"):
        clean_text(field, getattr(payload, field))
    ticket = ticket_for(request.user, number)
    # A savepoint when called inside a transaction: a refused write leaves it usable.
    with transaction.atomic():
        # Incidents keep their on-hold reason in their own table: their practice's action.
        move = (
            do_transition_incident if ticket.kind == TicketKind.INCIDENT else do_transition_ticket
        )
        move(
            ticket,
            payload.to,
            actor=request.user,  # type: ignore[arg-type]
            reason=payload.reason,
            resolution_code=payload.resolution_code,
            resolution_notes=payload.resolution_notes,
            expected_version=version,
        )
    return _ticket_answer(request, ticket.number)


@router.post(
    "/{number}/assignment",
    response={200: TicketOut, **problems(403, 412)},
    summary="Assign a ticket to a group and agent",
)
def assign_ticket(request: HttpRequest, number: str, payload: AssignmentIn) -> HttpResponse:
    """Route to an assignment group and optionally one of its agents (agents only)."""
    version = expected_version(request)
    ticket = ticket_for(request.user, number)
    group = (
        find_group("group", payload.group) if payload.group is not None else ticket.assignment_group
    )
    assignee = (
        find_user("assignee", payload.assignee, me=request.user)
        if payload.assignee is not None
        else None
    )
    if group is None and assignee is None:
        raise InvalidInput("group", "Name an assignment group or an assignee.")
    # A savepoint when called inside a transaction: a refused write leaves it usable.
    with transaction.atomic():
        do_assign_ticket(
            ticket,
            group=group,
            assignee=assignee,
            actor=request.user,  # type: ignore[arg-type]
            expected_version=version,
        )
    return _ticket_answer(request, ticket.number)
