"""Ticket endpoints shared by every kind: list, read, edit, move, assign."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Query

from itsm.api.concurrency import expected_version, not_modified, with_etag
from itsm.api.lookups import clean_text, find_group, find_user, ticket_for
from itsm.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Ordering, Page, paginate
from itsm.api.problems import problems
from itsm.api.responses import answer, answer_data
from itsm.api.schemas import (
    AssignmentIn,
    TicketEditIn,
    TicketOut,
    TicketPage,
    TransitionIn,
    TransitionOut,
)
from itsm.api.serializers import (
    TICKET_ROW_FIELDS,
    ticket_out,
    ticket_rows_out,
    transitions_out,
)
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


#: How long the newest-first plan of a search may run before the search reads its matches first.
SEARCH_PLAN_TIMEOUT_MS = 150
QUERY_CANCELED = "57014"


def _newest_matches(rows: QuerySet[Any, Any], *, cursor: str | None, limit: int) -> Page:
    """A page of a search, newest first.

    PostgreSQL walks the opened_at index from the newest ticket and checks each against the
    words, stopping after a page: a word in 5 % of a million tickets reads ~1,500 rows instead
    of 50,000. The walk is asked for whatever the planner expects. When there are few matches
    (``printer password``: each word is common, both together are not) it would cross the whole
    table, so it gets ``SEARCH_PLAN_TIMEOUT_MS``; past that, the page is made from the full-text
    index's matches, sorted (fast when matches are few).
    """
    ordering = ORDERINGS[TicketOrdering.OPENED_AT_DESC]
    if connection.vendor != "postgresql":
        return paginate(rows, ordering, cursor=cursor, limit=limit)
    try:
        # A savepoint inside a transaction: a cancelled statement leaves the transaction usable.
        with transaction.atomic(), connection.cursor() as db:
            # The walk, even where the planner would rather gather every match: it reckons
            # words independent, so for words that go together (``printer jams``) it expected
            # few matches and read 50,000 of them (1.2 s at a million tickets), or scanned the
            # whole table (130 ms at 100,000). One statement reads the settings (in a subquery,
            # so before they change) and sets them.
            db.execute(
                "SELECT s.timeout, s.bitmaps, s.scans, set_config('statement_timeout', %s, true), "
                "set_config('enable_bitmapscan', 'off', true), "
                "set_config('enable_seqscan', 'off', true) FROM (SELECT "
                "current_setting('statement_timeout') AS timeout, "
                "current_setting('enable_bitmapscan') AS bitmaps, "
                "current_setting('enable_seqscan') AS scans OFFSET 0) AS s",
                [str(SEARCH_PLAN_TIMEOUT_MS)],
            )
            previous, bitmaps, scans, *_ = db.fetchone()
            page = paginate(rows, ordering, cursor=cursor, limit=limit)
            db.execute(
                "SELECT set_config('statement_timeout', %s, true), "
                "set_config('enable_bitmapscan', %s, true), set_config('enable_seqscan', %s, true)",
                [previous, bitmaps, scans],
            )
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != QUERY_CANCELED:
            raise
        return paginate(rows, ordering, cursor=cursor, limit=limit, unindexed=True)
    return page


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
    ordering: TicketOrdering | None = Query(  # noqa: B008
        None,
        description="Default: `sla_due_at`; with `q`, `-opened_at` (newest matches first).",
    ),
    cursor: str | None = Query(None, max_length=500),  # noqa: B008
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> HttpResponse:
    """Tickets you may see, soonest SLA due first unless `ordering` says otherwise; a search
    (`q`) answers newest first unless `ordering` says otherwise."""
    text = clean_text("q", q) or ""
    if ordering is None:
        # A common word matches tens of thousands of tickets: newest first, PostgreSQL walks the
        # opened_at index and stops after a page; soonest-due first would read every match.
        ordering = TicketOrdering.OPENED_AT_DESC if text.strip() else TicketOrdering.SLA_DUE_AT
    query = _filtered(
        request,
        kind=kind,
        state=state,
        priority=priority,
        assignment_group=assignment_group,
        assignee=assignee,
        requester=requester,
    )
    rows = (
        Ticket.objects.visible_to(request.user)
        .filter(query)
        .search(text)
        .values(*TICKET_ROW_FIELDS)
    )
    if text.strip() and ordering == TicketOrdering.OPENED_AT_DESC:
        page = _newest_matches(rows, cursor=cursor, limit=limit)
    else:
        page = paginate(rows, ORDERINGS[ordering], cursor=cursor, limit=limit)
    next_url = page.next_url(request)
    # Plain dicts in the shape of TicketPage (the declared schema): no schema instance per row.
    response = answer_data(
        {
            "items": ticket_rows_out(list(page.items)),
            "next": next_url,
            "next_cursor": page.next_cursor,
        }
    )
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
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
