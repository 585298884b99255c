"""Outbox writes. Actions call these inside their transaction; the worker delivers the rows later.

No mail is sent here (STYLE §2): a change that rolls back leaves no message behind, and a change
that commits always has its messages waiting in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from itsm.core.bulk import insert_objects, insert_values
from itsm.core.errors import PermissionDenied
from itsm.notifications.choices import OutboxStatus, TicketEvent
from itsm.notifications.compose import compose_many, recipients_for, unique_people
from itsm.notifications.models import OutboxAttachment, OutboxMessage
from itsm.tickets.choices import JournalType
from itsm.tickets.models import JournalEntry, Ticket


def _anchor_entry(ticket: Ticket, event: str) -> JournalEntry | None:
    """The journal line a notification reports when the caller did not name one."""
    entries = JournalEntry.objects.filter(ticket=ticket).order_by("-created_at", "-id")
    if event == TicketEvent.CREATED:
        return entries.order_by("created_at", "id").first()
    if event == TicketEvent.ASSIGNED:
        return entries.filter(field__in=["assignee", "assignment_group"]).first()
    if event == TicketEvent.STATE_CHANGED:
        return entries.filter(entry_type=JournalType.TRANSITION).first()
    return entries.first()


def _enqueue(
    ticket: Ticket,
    event: str,
    people: Iterable[Any],
    *,
    actor: Any,
    entry: JournalEntry | None,
    headline: str = "",
    details: str = "",
    now: datetime | None = None,
) -> list[OutboxMessage]:
    rows = _outbox_rows(
        ticket,
        event,
        people,
        actor=actor,
        entry=entry,
        headline=headline,
        details=details,
        now=now or timezone.now(),
    )
    insert_objects(rows)
    return rows


def _outbox_rows(
    ticket: Ticket,
    event: str,
    people: Iterable[Any],
    *,
    actor: Any,
    entry: JournalEntry | None,
    headline: str = "",
    details: str = "",
    now: datetime,
) -> list[OutboxMessage]:
    mails = compose_many(
        ticket,
        event,
        unique_people(people, actor=actor),
        actor=actor,
        entry=entry,
        headline=headline,
        details=details,
    )
    return [
        OutboxMessage(
            ticket=ticket,
            journal_entry=entry,
            event=event,
            recipient=mail.recipient,
            to_email=mail.recipient.email,
            subject=mail.subject,
            body=mail.body,
            headers=mail.headers,
            next_attempt_at=now,
            created_at=now,
        )
        for mail in mails
    ]


def notify_ticket_event(
    ticket: Ticket,
    event: str,
    *,
    actor: Any,
    entry: JournalEntry | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Write one outbox row per recipient of this ticket event, with only what each may see.

    Recipients by event: created → the requester (when someone else logged it); assigned → the
    assignee, or the group's members; comment → requester, watchers and the assignee (or group);
    work note → the assignee (or group) and agent watchers; state change → the requester and
    watchers for Pending User, Resolved, Closed and Cancelled, agent watchers always, and the
    assignee when the requester made the change. The actor never hears of their own change.
    """
    if entry is None:
        entry = _anchor_entry(ticket, event)
    people = recipients_for(ticket, event, actor=actor)
    return _enqueue(ticket, event, people, actor=actor, entry=entry, now=now)


def notify_new_ticket(
    ticket: Ticket,
    *,
    actor: Any,
    opened: JournalEntry,
    assigned: JournalEntry | None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """The outbox rows of a ticket just opened, in one insert: ``created`` anchored on the opening
    line, then ``assigned`` (by the routing, so no actor) anchored on the last assignment line when
    the ticket went to a group or agent. The same rows ``notify_ticket_event`` writes for the two
    events; a ticket being opened has no watchers yet, so none are looked up."""
    now = now or timezone.now()
    rows = _outbox_rows(
        ticket,
        TicketEvent.CREATED,
        recipients_for(ticket, TicketEvent.CREATED, actor=actor, watchers=[]),
        actor=actor,
        entry=opened,
        now=now,
    )
    if ticket.assignee_id or ticket.assignment_group_id:
        rows += _outbox_rows(
            ticket,
            TicketEvent.ASSIGNED,
            recipients_for(ticket, TicketEvent.ASSIGNED, actor=None, watchers=[]),
            actor=None,
            entry=assigned,
            now=now,
        )
    insert_objects(rows)
    return rows


def notify_people(
    ticket: Ticket,
    event: str,
    people: Iterable[Any],
    *,
    actor: Any,
    headline: str,
    details: str = "",
    entry: JournalEntry | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Write outbox rows for named people (escalations, major incident team), visibility applied."""
    return _enqueue(
        ticket,
        event,
        people,
        actor=actor,
        entry=entry,
        headline=headline,
        details=details,
        now=now,
    )


def enqueue_email(
    *,
    to_email: str,
    subject: str,
    body: str,
    event: str,
    recipient: Any = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    now: datetime | None = None,
) -> OutboxMessage:
    """Write one outbox row not tied to a ticket (a scheduled report), with attachments given
    as (file name, content type, bytes)."""
    now = now or timezone.now()
    message = OutboxMessage.objects.create(
        event=event,
        recipient=recipient,
        to_email=to_email,
        subject=subject,
        body=body,
        next_attempt_at=now,
        created_at=now,
    )
    OutboxAttachment.objects.bulk_create(
        OutboxAttachment(message=message, filename=name, content_type=kind, content=content)
        for name, kind, content in attachments
    )
    return message


@transaction.atomic(savepoint=False)
def do_retry_outbox_messages(
    messages: QuerySet[OutboxMessage], *, actor: Any, now: datetime | None = None
) -> int:
    """Put failed (or stuck) messages back in the queue for an immediate new series of attempts."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only administrators retry outgoing messages.")
    now = now or timezone.now()
    return messages.exclude(status=OutboxStatus.SENT).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        claim_token="",
    )


def max_attempts() -> int:
    return int(settings.ITSM_OUTBOX_MAX_ATTEMPTS)


@dataclass(frozen=True)
class PeopleNotice:
    """One ``notify_people`` call, for ``notify_people_in_bulk``."""

    ticket: Ticket
    event: str
    people: Sequence[Any]
    headline: str
    entry: JournalEntry | None = None
    details: str = ""


def notify_people_in_bulk(notices: Iterable[PeopleNotice], *, actor: Any, now: datetime) -> int:
    """``notify_people`` for many tickets at once (the SLA sweeper's and the escalations'
    batches): the same rows, visibility applied per person; return how many were written.

    The rows are written as values, a few hundred per ``INSERT … VALUES`` statement, without
    building a model per row: Django's ``bulk_create`` would quote every body and header into
    an array literal on PostgreSQL (``UNNEST``), which costs more CPU than composing the mails.
    """
    rows: list[list[Any]] = []
    for notice in notices:
        mails = compose_many(
            notice.ticket,
            notice.event,
            unique_people(notice.people, actor=actor),
            actor=actor,
            entry=notice.entry,
            headline=notice.headline,
            details=notice.details,
        )
        entry_id = notice.entry.pk if notice.entry is not None else None
        rows += (
            [
                notice.ticket.pk,
                entry_id,
                notice.event,
                mail.recipient.pk,
                mail.recipient.email,
                mail.subject,
                mail.body,
                mail.headers,
            ]
            for mail in mails
        )
    _insert_outbox_values(rows, now=now)
    return len(rows)


#: The columns ``_insert_outbox_values`` takes from each row, in order; the others get the
#: value a new ``OutboxMessage`` has.
_ROW_FIELDS = (
    "ticket",
    "journal_entry",
    "event",
    "recipient",
    "to_email",
    "subject",
    "body",
    "headers",
)


def _insert_outbox_values(rows: Sequence[Sequence[Any]], *, now: datetime) -> None:
    """Insert outbox rows given as the values of ``_ROW_FIELDS``, queued for delivery at ``now``,
    in one statement (``itsm.core.bulk``): no model per row, every other column the value a
    fresh row has (status pending, no attempt yet …)."""
    fresh = OutboxMessage(next_attempt_at=now, created_at=now)
    rest = {
        f.name: getattr(fresh, f.attname)
        for f in OutboxMessage._meta.concrete_fields
        if not f.primary_key and f.name not in _ROW_FIELDS
    }
    insert_values(OutboxMessage, _ROW_FIELDS, rows, fixed=rest)
