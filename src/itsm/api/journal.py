"""A ticket's journal (its timeline) and comments. Work notes never reach requesters."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Query

from itsm.api.concurrency import expected_version
from itsm.api.idempotency import idempotent
from itsm.api.lookups import clean_text, ticket_for
from itsm.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Ordering, paginate
from itsm.api.problems import problems
from itsm.api.responses import answer
from itsm.api.schemas import CommentIn, JournalEntryOut, JournalPage
from itsm.api.serializers import journal_entry_out
from itsm.tickets.models import Attachment, JournalEntry
from itsm.workflow.actions import do_add_comment

router = Router()

CHRONOLOGICAL = Ordering("created_at", "created_at")


@router.get(
    "/{number}/journal",
    response={200: JournalPage, **problems()},
    summary="Read a ticket's journal",
)
def list_journal(
    request: HttpRequest,
    number: str,
    cursor: str | None = Query(None, max_length=500),  # noqa: B008
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> HttpResponse:
    """Comments, work notes (agents only), field and state changes, oldest first."""
    ticket = ticket_for(request.user, number)
    entries = JournalEntry.objects.for_ticket(ticket, request.user).select_related("actor")
    page = paginate(entries, CHRONOLOGICAL, cursor=cursor, limit=limit)
    attachments = Attachment.objects.for_ticket(ticket, request.user).filter(
        journal_entry__in=[entry.pk for entry in page.items]
    )
    by_entry: dict[int, list[Attachment]] = defaultdict(list)
    for attachment in attachments.select_related("uploaded_by"):
        by_entry[attachment.journal_entry_id].append(attachment)  # type: ignore[index]
    items = [journal_entry_out(e, ticket.number, by_entry[e.pk]) for e in page.items]
    return answer(
        JournalPage(items=items, next=page.next_url(request), next_cursor=page.next_cursor)
    )


@router.post(
    "/{number}/comments",
    response={201: JournalEntryOut, **problems(403, 409, 412)},
    summary="Add a comment or work note",
)
@idempotent
def add_comment(request: HttpRequest, number: str, payload: CommentIn) -> HttpResponse:
    """A public comment, or an internal work note (`internal: true`, agents only).

    Honours `If-Match` and `Idempotency-Key`."""
    version = expected_version(request)
    clean_text("body", payload.body)
    ticket = ticket_for(request.user, number)
    # A savepoint when called inside a transaction: a refused write leaves it usable.
    with transaction.atomic():
        entry = do_add_comment(
            ticket,
            body=payload.body,
            internal=payload.internal,
            actor=request.user,  # type: ignore[arg-type]
            expected_version=version,
        )
    entry = JournalEntry.objects.select_related("actor", "ticket").get(pk=entry.pk)
    return answer(
        journal_entry_out(entry, entry.ticket.number), status=201, version=entry.ticket.version
    )
