"""The agent's ticket page: header, fields edited in place, timeline, reply, transitions, links.

Every htmx POST answers with out-of-band swaps of the sections that changed; the section the
agent is typing in is left alone unless it was the one submitted. A stale version answers 409
with who changed what, and the agent's input is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.accounts.models import Group, User
from itsm.core.errors import ActionError, NotFound, StaleVersion
from itsm.incidents.actions import do_transition_incident
from itsm.sla.queries import Badge, ticket_sla_panel
from itsm.tickets.actions import (
    describe_changes_since,
    do_add_watcher,
    do_link_tickets,
    do_remove_watcher,
    do_set_parent_ticket,
)
from itsm.tickets.choices import LinkType, TicketState
from itsm.tickets.lifecycles import REASON, RESOLUTION, Transition
from itsm.tickets.models import Attachment, JournalEntry, Ticket, TicketLink, Watcher
from itsm.tickets.querysets import access_attachment, access_ticket_by_number, sees_internal
from itsm.tickets.transitions import allowed_transitions
from itsm.workflow.actions import (
    do_add_comment,
    do_assign_ticket,
    do_categorise_ticket,
    do_edit_ticket_details,
    do_set_impact_urgency,
)
from itsm.workspace.access import add_action_error, agent_required
from itsm.workspace.forms import DetailsForm, LinkForm, ReplyForm, TransitionForm, WatcherForm
from itsm.workspace.sla_explain import explain_html
from itsm.workspace.templatetags.itsm_ui import field_label, field_value
from itsm.workspace.views.common import current_user

SECTIONS = ("header", "details", "transitions", "timeline", "reply", "sidebar")


def _who_changed_what(request: HttpRequest, ticket: Ticket, fallback: str) -> str:
    """The journal lines written since the agent loaded the page (the ``seen`` entry id)."""
    seen = request.POST.get("seen", "")
    if not seen.isdigit():
        return fallback
    entries = list(
        JournalEntry.objects.for_ticket(ticket, current_user(request))
        .filter(pk__gt=int(seen))
        .select_related("actor")
        .order_by("pk")[:10]
    )
    if not entries:
        return fallback
    parts = []
    for entry in entries:
        who = str(entry.actor) if entry.actor else _("the system")
        when = timezone.localtime(entry.created_at).strftime("%H:%M")
        if entry.field:
            what = _("%(field)s: %(old)s → %(new)s") % {
                "field": field_label(entry.field),
                "old": field_value(entry.old_value, entry.field),
                "new": field_value(entry.new_value, entry.field),
            }
        else:
            what = str(entry.get_entry_type_display()).lower()
        parts.append(
            _("%(who)s at %(when)s changed %(what)s") % {"who": who, "when": when, "what": what}
        )
    return "; ".join(parts) + "."


def _ticket(request: HttpRequest, number: str) -> Ticket:
    try:
        return access_ticket_by_number(current_user(request), number)
    except NotFound:
        raise Http404 from None


def _transition_forms(
    ticket: Ticket, user: User, failed: TransitionForm | None
) -> list[dict[str, Any]]:
    """One entry per transition allowed now: its label, what it needs, and its form.

    An unbound form is made only if the section is drawn (a callable: templates call it), not
    when the drawn section comes from the cache.
    """
    choices = []
    for transition in allowed_transitions(ticket, user, timezone.now()):
        is_failed = failed is not None and failed.data.get("to_state") == transition.target
        choices.append(
            {
                "name": transition.name,
                "target": transition.target,
                "label": _transition_label(transition.name, transition.target),
                "needs_reason": REASON in transition.requires,
                "needs_resolution": RESOLUTION in transition.requires,
                "form": failed if is_failed else _unbound_transition_form(ticket, transition),
                "open": is_failed,
            }
        )
    return choices


def _unbound_transition_form(ticket: Ticket, transition: Transition) -> Callable[[], Any]:
    initial = {"version": ticket.version, "to_state": transition.target}
    return functools.cache(lambda: TransitionForm(initial=initial))


_TRANSITION_LABELS = {
    "assign": "Mark assigned",
    "start_work": "Start work",
    "ask_requester": "Ask the requester",
    "wait_for_vendor": "Wait for vendor",
    "put_on_hold": "Put on hold",
    "resolve": "Resolve",
    "cancel": "Cancel",
    "reopen": "Reopen",
    "close": "Close",
}


def _transition_label(name: str, target: str) -> str:
    label = _TRANSITION_LABELS.get(name)
    return _(label) if label else str(TicketState(target).label)


def _details_form(ticket: Ticket, data: Any = None) -> DetailsForm:
    initial = {
        "version": ticket.version,
        "title": ticket.title,
        "description": ticket.description,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "category": ticket.category_id,
        "service": ticket.service_id,
        "configuration_item": ticket.configuration_item_id,
        "assignment_group": ticket.assignment_group_id,
        "assignee": ticket.assignee_id,
    }
    return DetailsForm(data, initial=initial, kind=ticket.kind)


#: How long a drawn timeline is kept. The journal is append-only and the key changes with every
#: entry; this bounds only how long a renamed person keeps their old name in old entries.
TIMELINE_SECONDS = 3600


def timeline_html(ticket: Ticket, user: User, stamp: PageStamp) -> SafeString:
    """The ticket's journal entries as this user may read them, drawn once per journal state.

    The key holds what decides the output: the ticket, its journal's last entry, size and newest
    time (append-only: any new entry changes them), whether the viewer reads internal entries
    (the same test that filters them), and the language and time zone dates are printed in.
    """
    audience = "internal" if sees_internal(user) else "public"
    key = (
        f"workspace:timeline:{ticket.pk}:{ticket.created_at.timestamp()}:{stamp.journal}:"
        f"{audience}:{get_language()}:"
        f"{timezone.get_current_timezone_name()}"
    )
    html: str | None = cache.get(key)
    if html is None:
        entries = (
            JournalEntry.objects.for_ticket(ticket, user)
            .select_related("actor")
            .prefetch_related("attachments")
        )
        html = render_to_string(
            "workspace/partials/ticket_entries.html", {"entries": entries, "ticket": ticket}
        )
        cache.set(key, html, TIMELINE_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there


@dataclass(frozen=True)
class PageStamp:
    """What the ticket page learns in one statement before it reads any list.

    The journal's last entry, size and newest time (the timeline's cache key and the ``seen``
    mark); whether the ticket has any children, links, watchers or ticket-level attachments at
    all, so the page reads those lists only when there is something to show (visibility still
    filters what it reads); and whether the viewer belongs to the ticket's group.
    """

    last: int | None
    count: int
    #: The newest entry's time as text (a cache key part: no spaces).
    newest: str
    has_children: bool
    has_links: bool
    has_watchers: bool
    has_attachments: bool
    is_member: bool

    @property
    def journal(self) -> str:
        """Text that changes with every entry of the append-only journal (a cache key part)."""
        return f"{self.last}:{self.count}:{self.newest}"


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def page_stamp(ticket: Ticket, user: User) -> PageStamp:
    membership = Group.members.through
    # Table and column names come from the models; the values travel as parameters.
    sql = (
        "SELECT j.last_id, j.entries, j.newest,"  # noqa: S608
        f" EXISTS(SELECT 1 FROM {_table(Ticket)} WHERE parent_id = %s),"
        f" EXISTS(SELECT 1 FROM {_table(TicketLink)} WHERE source_id = %s OR target_id = %s),"
        f" EXISTS(SELECT 1 FROM {_table(Watcher)} WHERE ticket_id = %s),"
        f" EXISTS(SELECT 1 FROM {_table(Attachment)}"
        " WHERE ticket_id = %s AND journal_entry_id IS NULL),"
        f" EXISTS(SELECT 1 FROM {_table(membership)} WHERE user_id = %s AND group_id = %s)"
        " FROM (SELECT MAX(id) AS last_id, COUNT(*) AS entries, MAX(created_at) AS newest"
        f" FROM {_table(JournalEntry)} WHERE ticket_id = %s) j"
    )
    pk = ticket.pk
    params = [pk, pk, pk, pk, pk, user.pk, ticket.assignment_group_id, pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    last, count, newest, *flags = row
    # PostgreSQL answers a datetime, SQLite the stored text.
    newest_text = newest.isoformat() if isinstance(newest, datetime) else str(newest or "")
    return PageStamp(
        last, count or 0, newest_text.replace(" ", "T"), *(bool(flag) for flag in flags)
    )


def _person(user: User | None) -> tuple[str, str, str] | None:
    return (str(user), user.phone, user.email) if user is not None else None


def _header_key(ticket: Ticket, badges: list[Badge]) -> tuple[Any, ...]:
    """What ``ticket_header.html`` shows (no conflict): the badges' text changes with time."""
    return (
        ticket.number,
        ticket.title,
        ticket.kind,
        ticket.state,
        ticket.priority,
        ticket.channel,
        ticket.opened_at,
        str(timezone.get_current_timezone()),
        _person(ticket.requester),
        bool(ticket.requester and ticket.requester.is_vip),
        ticket.is_active,
        [(b.name, b.metric, b.level, b.text, b.due_at) for b in badges],
    )


def _details_key(ticket: Ticket, user: User, last_seen: int, is_member: bool) -> tuple[Any, ...]:
    """What ``ticket_details.html`` shows when not editing: every value it prints."""
    return (
        ticket.number,
        ticket.version,
        last_seen,
        ticket.is_active and ticket.assignee_id != user.pk and is_member,
        _person(ticket.requester),
        str(ticket.assignment_group or ""),
        str(ticket.assignee or ""),
        ticket.impact,
        ticket.urgency,
        ticket.priority,
        ticket.category.path if ticket.category else "",
        str(ticket.service or ""),
        str(ticket.configuration_item or ""),
        ticket.resolution_code,
        ticket.resolution_notes,
        ticket.description,
    )


def ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    details_form: DetailsForm | None = None,
    editing: bool = False,
    conflict: str = "",
    transition_form: TransitionForm | None = None,
    reply_form: ReplyForm | None = None,
    link_form: LinkForm | None = None,
    watcher_form: WatcherForm | None = None,
) -> dict[str, Any]:
    user = current_user(request)
    now = timezone.now()
    stamp = page_stamp(ticket, user)
    visible = Ticket.objects.visible_to(user)
    children = (
        list(visible.filter(parent=ticket).only("number", "title", "state", "priority"))
        if stamp.has_children
        else []
    )
    links: list[TicketLink] = []
    if stamp.has_links:
        # Links both ways in one query; the other end must be visible to the viewer.
        links = list(
            TicketLink.objects.filter(
                Q(source=ticket, target__in=visible.values("pk"))
                | Q(target=ticket, source__in=visible.values("pk"))
            )
            .select_related("source", "target")
            .order_by("pk")
        )
    links_out = [link for link in links if link.source_id == ticket.pk]
    links_in = [link for link in links if link.source_id != ticket.pk]
    watchers = list(ticket.watchers.select_related("user")) if stamp.has_watchers else []
    attachments = (
        list(Attachment.objects.for_ticket(ticket, user).filter(journal_entry__isnull=True))
        if stamp.has_attachments
        else []
    )
    parent = visible.filter(pk=ticket.parent_id).first() if ticket.parent_id else None
    is_watching = any(w.user_id == user.pk for w in watchers)
    transitions = _transition_forms(ticket, user, transition_form)
    badges, explanations = ticket_sla_panel(
        ticket, now=now, journal_state=f"{ticket.created_at.timestamp()}:{stamp.journal}"
    )
    return {
        "last_seen": stamp.last or 0,
        "ticket": ticket,
        "sla": badges,
        "slas": explanations,
        # A callable: drawn only with the whole page (``sla/partials/explain.html``'s markup).
        "sla_panel": lambda: explain_html(explanations),
        "now": now,
        # A callable: templates call it only when they draw the timeline.
        "timeline": lambda: timeline_html(ticket, user, stamp),
        "attachments": attachments,
        "transitions": transitions,
        # Drawn only while editing (the section shows the values otherwise).
        "details_form": details_form or (_details_form(ticket) if editing else None),
        "editing": editing or details_form is not None,
        "conflict": conflict,
        # Made only when their sections are drawn, not when the sections come from the cache.
        "reply_form": reply_form
        or SimpleLazyObject(lambda: ReplyForm(initial={"version": ticket.version})),
        "link_form": link_form or SimpleLazyObject(LinkForm),
        "watcher_form": watcher_form or SimpleLazyObject(WatcherForm),
        "children": children,
        # Read only when there is one, and only if the viewer may see it.
        "parent": parent,
        "links_out": links_out,
        "links_in": links_in,
        "watchers": watchers,
        "is_watching": is_watching,
        "is_member": stamp.is_member,
        # What each cached section shows (see itsm.workspace.fragments); None: drawn fresh.
        "section_keys": {
            "header": None if conflict else _header_key(ticket, badges),
            "details": None
            if editing or details_form is not None
            else _details_key(ticket, user, stamp.last or 0, stamp.is_member),
            "transitions": None
            if transition_form is not None
            else (
                ticket.number,
                ticket.version,
                ticket.state,
                stamp.last or 0,
                [
                    (t["name"], t["target"], t["label"], t["needs_reason"], t["needs_resolution"])
                    for t in transitions
                ],
            ),
            "reply": None if reply_form is not None else (ticket.number, ticket.version),
            "sidebar": None
            if link_form is not None or watcher_form is not None
            else (
                ticket.number,
                parent and (parent.number, parent.title),
                [(child.number, child.state) for child in children],
                [(link.link_type, link.target.number, link.target.title) for link in links_out],
                [(link.link_type, link.source.number) for link in links_in],
                [str(watcher.user) for watcher in watchers],
                is_watching,
                [(file.pk, file.filename, file.size) for file in attachments],
            ),
        },
    }


def render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    swap: tuple[str, ...] = SECTIONS,
    status: int = 200,
    **kwargs: Any,
) -> HttpResponse:
    """The full page, or for htmx the out-of-band sections named in ``swap``."""
    context = ticket_context(request, ticket, **kwargs)
    if request.htmx:  # type: ignore[attr-defined]
        context["swap"] = swap
        return render(request, "workspace/partials/ticket_oob.html", context, status=status)
    return render(request, "workspace/ticket.html", context, status=status)


def _after_write(request: HttpRequest, number: str, swap: tuple[str, ...]) -> HttpResponse:
    ticket = _ticket(request, number)
    if request.htmx:  # type: ignore[attr-defined]
        return render_ticket(request, ticket, swap=swap)
    return redirect("ticket", number=ticket.number)


@agent_required
def ticket_page(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    editing = request.GET.get("edit") == "1"
    if request.htmx and "section" in request.GET:  # type: ignore[attr-defined]
        return render_ticket(request, ticket, swap=("details",), editing=editing)
    return render_ticket(request, ticket, editing=editing)


def _apply_details(ticket: Ticket, data: dict[str, Any], user: User) -> None:
    """Call the action of each part that changed; the first one checks the agent's version."""
    # Only the first action checks the version: it locks the row until commit, so the later
    # ones cannot interleave with another writer.
    expected: int | None = data["version"]
    if data["title"] != ticket.title or data["description"] != ticket.description:
        ticket = do_edit_ticket_details(
            ticket,
            title=data["title"],
            description=data["description"],
            actor=user,
            expected_version=expected,
        )
        expected = None
    if data["impact"] != ticket.impact or data["urgency"] != ticket.urgency:
        ticket = do_set_impact_urgency(
            ticket,
            impact=data["impact"],
            urgency=data["urgency"],
            actor=user,
            expected_version=expected,
        )
        expected = None
    if (
        data["category"] != ticket.category
        or data["service"] != ticket.service
        or data["configuration_item"] != ticket.configuration_item
    ):
        ticket = do_categorise_ticket(
            ticket,
            category=data["category"],
            service=data["service"],
            configuration_item=data["configuration_item"],
            actor=user,
            expected_version=expected,
        )
        expected = None
    if data["assignment_group"] != ticket.assignment_group or data["assignee"] != ticket.assignee:
        ticket = do_assign_ticket(
            ticket,
            group=data["assignment_group"],
            assignee=data["assignee"],
            actor=user,
            expected_version=expected,
        )
        expected = None
    if expected is not None and expected != ticket.version:
        # Nothing differs from the stored ticket; still tell the agent someone else was first.
        raise StaleVersion(describe_changes_since(ticket, expected))


@agent_required
@require_POST
def edit_details(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(request, number)
    form = _details_form(ticket, request.POST)
    if not form.is_valid():
        return render_ticket(request, ticket, swap=("details",), status=422, details_form=form)
    try:
        with transaction.atomic():
            _apply_details(ticket, form.cleaned_data, user)
    except StaleVersion as error:
        fresh = _ticket(request, number)
        data = request.POST.copy()
        data["version"] = str(fresh.version)
        kept = _details_form(fresh, data)
        kept.is_valid()
        return render_ticket(
            request,
            fresh,
            swap=("header", "details", "timeline", "transitions"),
            status=409,
            details_form=kept,
            conflict=_who_changed_what(request, fresh, error.detail),
        )
    except ActionError as error:
        add_action_error(form, error)
        return render_ticket(
            request, ticket, swap=("details",), status=error.status, details_form=form
        )
    return _after_write(
        request, number, ("header", "details", "transitions", "timeline", "sidebar")
    )


@agent_required
@require_POST
def transition(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(request, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return render_ticket(
            request, ticket, swap=("transitions",), status=422, transition_form=form
        )
    data = form.cleaned_data
    try:
        do_transition_incident(
            ticket,
            data["to_state"],
            actor=user,
            reason=data["reason"],
            resolution_code=data["resolution_code"],
            resolution_notes=data["resolution_notes"],
            expected_version=data["version"],
        )
    except StaleVersion as error:
        fresh = _ticket(request, number)
        posted = request.POST.copy()
        posted["version"] = str(fresh.version)
        kept = TransitionForm(posted)
        kept.is_valid()
        return render_ticket(
            request,
            fresh,
            swap=("header", "transitions", "timeline"),
            status=409,
            transition_form=kept,
            conflict=_who_changed_what(request, fresh, error.detail),
        )
    except ActionError as error:
        add_action_error(form, error)
        return render_ticket(
            request, ticket, swap=("transitions",), status=error.status, transition_form=form
        )
    return _after_write(request, number, ("header", "details", "transitions", "timeline"))


@agent_required
@require_POST
def reply(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_ticket(request, ticket, swap=("reply",), status=422, reply_form=form)
    try:
        do_add_comment(
            ticket,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["visibility"] == "internal",
            actor=user,
            attachments=form.cleaned_data["attachments"],
        )
    except ActionError as error:
        add_action_error(form, error)
        return render_ticket(request, ticket, swap=("reply",), status=error.status, reply_form=form)
    return _after_write(request, number, ("header", "transitions", "timeline", "reply"))


@agent_required
@require_POST
def assign_to_me(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(request, number)
    try:
        do_assign_ticket(
            ticket,
            group=ticket.assignment_group,
            assignee=user,
            actor=user,
            expected_version=int(request.POST.get("version") or 0) or None,
        )
    except ActionError as error:
        if not request.htmx:  # type: ignore[attr-defined]
            messages.error(request, error.detail)
            return redirect("ticket", number=ticket.number)
        return render_ticket(
            request,
            _ticket(request, number),
            swap=("header", "details", "transitions", "timeline"),
            status=error.status,
            conflict=error.detail,
        )
    return _after_write(request, number, ("header", "details", "transitions", "timeline"))


@agent_required
@require_POST
def watch(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(request, number)
    form = WatcherForm(request.POST) if "email" in request.POST else None
    target = user
    if form is not None:
        if not form.is_valid():
            return render_ticket(request, ticket, swap=("sidebar",), status=422, watcher_form=form)
        found = User.objects.filter(
            email__iexact=form.cleaned_data["email"], is_active=True
        ).first()
        if found is None:
            form.add_error("email", _("No active person has this email address."))
            return render_ticket(request, ticket, swap=("sidebar",), status=422, watcher_form=form)
        target = found
    if request.POST.get("remove") == "1":
        do_remove_watcher(ticket, user=target, actor=user)
    else:
        do_add_watcher(ticket, user=target, actor=user)
    return _after_write(request, number, ("sidebar", "timeline"))


@agent_required
@require_POST
def link(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(request, number)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return render_ticket(request, ticket, swap=("sidebar",), status=422, link_form=form)
    try:
        other = access_ticket_by_number(user, form.cleaned_data["number"])
        if form.cleaned_data["link_type"] == "parent":
            do_set_parent_ticket(ticket, parent=other, actor=user)
        else:
            do_link_tickets(
                ticket, other, link_type=LinkType(form.cleaned_data["link_type"]), actor=user
            )
    except ActionError as error:
        form.add_error("number" if isinstance(error, NotFound) else None, error.detail)
        return render_ticket(
            request, ticket, swap=("sidebar",), status=error.status, link_form=form
        )
    return _after_write(request, number, ("sidebar", "timeline"))


@agent_required
def attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    try:
        found = access_attachment(current_user(request), number, attachment_id)
    except NotFound:
        raise Http404 from None
    return download(found)


def download(found: Attachment) -> FileResponse:
    """Always a download, never rendered inline: uploaded files are not trusted content."""
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type
    return response
