"""Who hears of a ticket event, and what each recipient's mail says.

Each mail is composed for one recipient with only what that recipient may see: a requester's mail
never carries a work note, an internal field or an agent link. Visibility is decided per person;
the text is written once per audience (``audience_of``) and shared by everyone in it. Threading: every mail of a ticket
refers to the stable thread id ``<INC0001234@host>`` so mail clients group them and replies can be
matched to the ticket.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import get_language

from itsm.notifications.choices import TicketEvent
from itsm.tickets.choices import JournalType, ResolutionCode, TicketState
from itsm.tickets.models import JournalEntry, Ticket, Watcher
from itsm.tickets.querysets import sees_internal, user_can_see_ticket

#: States whose arrival the requester (and public watchers) are told about.
REQUESTER_STATES = frozenset(
    {TicketState.PENDING_USER, TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED}
)


@dataclass(frozen=True)
class Mail:
    """One composed message for one recipient."""

    recipient: Any
    subject: str
    body: str
    headers: dict[str, str]


def mail_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def thread_id(ticket: Ticket) -> str:
    return f"<{ticket.number}@{mail_host()}>"


def message_id(ticket: Ticket, entry: JournalEntry | None, recipient: Any) -> str:
    anchor = entry.pk if entry is not None else "0"
    return f"<{ticket.number}.{anchor}.{recipient.pk}@{mail_host()}>"


def agent_link(ticket: Ticket) -> str:
    return f"{settings.SITE_URL}/tickets/{ticket.number}/"


def portal_link(ticket: Ticket) -> str:
    return f"{settings.SITE_URL}/portal/tickets/{ticket.number}/"


def subject_for(ticket: Ticket, prefix: str = "") -> str:
    return f"{prefix}[{ticket.number}] {ticket.title}"[:400]


def _agents_of_ticket(ticket: Ticket) -> list[Any]:
    """The assignee, or every active member of the assignment group when nobody is assigned."""
    if ticket.assignee is not None:
        return [ticket.assignee]
    if ticket.assignment_group is not None:
        return list(ticket.assignment_group.members.filter(is_active=True))
    return []


def _watchers(ticket: Ticket) -> list[Any]:
    return [w.user for w in Watcher.objects.filter(ticket=ticket).select_related("user")]


def recipients_for(
    ticket: Ticket, event: str, *, actor: Any, watchers: list[Any] | None = None
) -> list[Any]:
    """Everyone an event concerns, before visibility and the actor are taken out.

    ``watchers``: the ticket's watching users when the caller knows them (a ticket being opened
    has none yet); read from the database otherwise."""
    if watchers is None:
        watchers = _watchers(ticket)
    agent_watchers = [w for w in watchers if w.is_agent]
    if event == TicketEvent.CREATED:
        return [ticket.requester]
    if event == TicketEvent.ASSIGNED:
        return _agents_of_ticket(ticket)
    if event == TicketEvent.COMMENT:
        return [ticket.requester, *watchers, *_agents_of_ticket(ticket)]
    if event == TicketEvent.WORK_NOTE:
        return [*_agents_of_ticket(ticket), *agent_watchers]
    if event == TicketEvent.STATE_CHANGED:
        people: list[Any] = list(agent_watchers)
        if ticket.state in REQUESTER_STATES:
            people += [ticket.requester, *watchers]
        if actor is not None and not actor.is_agent:
            people += _agents_of_ticket(ticket)
        return people
    if event == TicketEvent.PRIORITY_CHANGED:
        return [*_agents_of_ticket(ticket), *agent_watchers]
    if event == TicketEvent.UPDATED:
        return agent_watchers
    return []


def unique_people(people: Iterable[Any], *, actor: Any) -> list[Any]:
    """Each active person with an address once, without the actor (nobody hears of their own change)."""
    seen: set[int] = set()
    result = []
    for person in people:
        if person is None or not person.is_active or not person.email or person.pk in seen:
            continue
        if actor is not None and person.pk == actor.pk:
            continue
        seen.add(person.pk)
        result.append(person)
    return result


def _actor_name(entry: JournalEntry | None, actor: Any) -> str:
    who = actor if actor is not None else (entry.actor if entry is not None else None)
    return str(who) if who is not None else "The service desk"


@functools.cache
def _labels(field: str, language: str | None) -> dict[str, str]:
    """The translated labels of a ticket field's choices in one language (they come from code:
    fixed for the life of the process)."""
    choices = cast("models.Field[Any, Any]", Ticket._meta.get_field(field)).flatchoices
    return {str(value): str(label) for value, label in choices}


def _display(ticket: Ticket, field: str, language: str | None) -> str:
    """``ticket.get_<field>_display()`` without rebuilding and translating every choice per call
    (a mail per audience per event asks it several times). ``language``: ``get_language()``,
    asked once per mail by the caller (each asking costs more than the lookup)."""
    value = getattr(ticket, field)
    return _labels(field, language).get(str(value), str(value))


def _summary(ticket: Ticket, recipient: Any, language: str | None) -> list[str]:
    lines = [
        f"Incident: {ticket.number}" if ticket.kind == "incident" else f"Ticket: {ticket.number}",
        f"Title: {ticket.title}",
        f"State: {_display(ticket, 'state', language)}",
        f"Priority: {_display(ticket, 'priority', language)}",
    ]
    if sees_internal(recipient):
        lines.append(f"Assignment group: {ticket.assignment_group or '(none)'}")
        lines.append(f"Assigned to: {ticket.assignee or '(nobody yet)'}")
        lines.append(f"Requester: {ticket.requester}")
    return lines


def _headline(ticket: Ticket, event: str, recipient: Any, who: str, language: str | None) -> str:
    if event == TicketEvent.CREATED:
        return (
            f"{who} logged {ticket.number} for you. We will keep you informed by email; "
            "reply to this message to add information."
        )
    if event == TicketEvent.ASSIGNED:
        if ticket.assignee_id == recipient.pk:
            return f"{ticket.number} has been assigned to you."
        return f"{ticket.number} has been assigned to your group {ticket.assignment_group}."
    if event == TicketEvent.COMMENT:
        return f"{who} added a comment to {ticket.number}:"
    if event == TicketEvent.WORK_NOTE:
        return f"{who} added a work note to {ticket.number} (internal, not sent to the requester):"
    if event == TicketEvent.PRIORITY_CHANGED:
        return f"The priority of {ticket.number} is now {_display(ticket, 'priority', language)}."
    return f"{ticket.number} was updated."


def _state_lines(
    ticket: Ticket, entry: JournalEntry | None, recipient: Any, who: str, language: str | None
) -> list[str]:
    reason = entry.body if entry is not None and entry.entry_type == JournalType.TRANSITION else ""
    state = ticket.state
    if state == TicketState.PENDING_USER:
        lines = [f"{who} needs information from you to continue with {ticket.number}:"]
        lines += ["", reason] if reason else []
        lines += ["", "Reply to this email or answer in the portal; work resumes on your answer."]
        return lines
    if state == TicketState.RESOLVED:
        code = (
            ResolutionCode(ticket.resolution_code).label
            if ticket.resolution_code in ResolutionCode.values
            else ticket.resolution_code
        )
        lines = [f"{ticket.number} has been resolved.", "", f"Resolution: {code}"]
        lines += ["", ticket.resolution_notes] if ticket.resolution_notes else []
        if recipient.pk == ticket.requester_id:
            days = settings.ITSM_REOPEN_WINDOW_DAYS
            lines += [
                "",
                f"Confirm the resolution: {portal_link(ticket)}?action=confirm",
                f"Not fixed? Reopen it within {days} days: {portal_link(ticket)}?action=reopen",
                "(or simply reply to this email to reopen it).",
            ]
        return lines
    if state == TicketState.CLOSED:
        return [f"{ticket.number} is now closed. Thank you."]
    if state == TicketState.CANCELLED:
        lines = [f"{ticket.number} was cancelled by {who}."]
        return lines + (["", f"Reason: {reason}"] if reason else [])
    lines = [f"{who} moved {ticket.number} to {_display(ticket, 'state', language)}."]
    return lines + (["", f"Reason: {reason}"] if reason else [])


def compose(
    ticket: Ticket,
    event: str,
    recipient: Any,
    *,
    actor: Any,
    entry: JournalEntry | None,
    headline: str = "",
    details: str = "",
) -> Mail | None:
    """The mail this recipient gets for this event, or None when they may not see it."""
    mails = compose_many(
        ticket, event, [recipient], actor=actor, entry=entry, headline=headline, details=details
    )
    return mails[0] if mails else None


def audience_of(ticket: Ticket, recipient: Any) -> tuple[bool, bool, bool]:
    """What a mail's text depends on besides the event: whether the recipient sees internal
    details, is the assignee (the headline says "assigned to you"), is the requester (a
    resolution mail carries the confirm and reopen links). People of one audience get the same text.
    """
    return (
        sees_internal(recipient),
        recipient.pk == ticket.assignee_id,
        recipient.pk == ticket.requester_id,
    )


def compose_many(
    ticket: Ticket,
    event: str,
    people: Iterable[Any],
    *,
    actor: Any,
    entry: JournalEntry | None,
    headline: str = "",
    details: str = "",
) -> list[Mail]:
    """``compose`` for each person, in order, leaving out those who may not see the event.

    Visibility is decided per person; the subject and text are written once per audience
    (``audience_of``) and shared, so a group of seven agents costs one text, not seven. Only the
    Message-ID is personal.
    """
    subject = _subject(ticket, event)
    thread = thread_id(ticket)
    bodies: dict[tuple[bool, bool, bool], str] = {}
    mails = []
    for recipient in people:
        if entry is not None and entry.is_internal and not sees_internal(recipient):
            continue
        if not user_can_see_ticket(recipient, ticket):
            continue
        audience = audience_of(ticket, recipient)
        body = bodies.get(audience)
        if body is None:
            body = bodies[audience] = _body(
                ticket,
                event,
                recipient,
                actor=actor,
                entry=entry,
                headline=headline,
                details=details,
            )
        headers = {
            "Message-ID": message_id(ticket, entry, recipient),
            "In-Reply-To": thread,
            "References": thread,
            "X-ITSM-Ticket": ticket.number,
            "Auto-Submitted": "auto-generated",
        }
        mails.append(Mail(recipient=recipient, subject=subject, body=body, headers=headers))
    return mails


def _subject(ticket: Ticket, event: str) -> str:
    prefix = "[ESCALATION] " if event == TicketEvent.ESCALATION else ""
    if event == TicketEvent.MAJOR_INCIDENT:
        prefix = "[MAJOR INCIDENT] "
    return subject_for(ticket, prefix)


def _body(
    ticket: Ticket,
    event: str,
    recipient: Any,
    *,
    actor: Any,
    entry: JournalEntry | None,
    headline: str,
    details: str,
) -> str:
    """The text of the mail; it reads of the recipient only what ``audience_of`` names."""
    who = _actor_name(entry, actor)
    language = get_language()
    if headline:
        lines = [headline]
    elif event == TicketEvent.STATE_CHANGED:
        lines = _state_lines(ticket, entry, recipient, who, language)
    else:
        lines = [_headline(ticket, event, recipient, who, language)]
    quoted = {TicketEvent.COMMENT, TicketEvent.WORK_NOTE, TicketEvent.UPDATED}
    if event in quoted and entry is not None and entry.body:
        lines += ["", entry.body]
    if details:
        lines += ["", details]
    link = agent_link(ticket) if sees_internal(recipient) else portal_link(ticket)
    lines += ["", *_summary(ticket, recipient, language), "", f"Open it: {link}"]
    return "\n".join(lines) + "\n"
