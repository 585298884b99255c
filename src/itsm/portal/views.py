"""The self-service portal: report an issue, follow my tickets, answer, confirm or reopen.

Every read goes through the visibility layer, so a ticket the requester may not see answers 404
whether it exists or not. Internal work notes never reach these pages.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.accounts.models import User
from itsm.core.errors import ActionError, InvalidInput, NotFound
from itsm.incidents.actions import do_confirm_resolution, do_open_incident, do_transition_incident
from itsm.portal.forms import PortalReplyForm, ReopenForm, ReportIssueForm
from itsm.tickets.choices import INACTIVE_STATES, JournalType, TicketState
from itsm.tickets.models import Attachment, JournalEntry, Ticket
from itsm.tickets.querysets import access_attachment, access_ticket_by_number
from itsm.tickets.transitions import allowed_transitions
from itsm.workflow.actions import do_add_comment

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _ticket(request: HttpRequest, number: str) -> Ticket:
    try:
        return access_ticket_by_number(_user(request), number)
    except NotFound:
        raise Http404 from None


def _my_tickets(user: User) -> Any:
    """What the portal lists: tickets the requester raised or watches, or of an organisation they
    manage (the visibility layer decides), never every ticket an agent could see."""
    qs = Ticket.objects.visible_to(user)
    if user.is_agent:
        qs = qs.filter(Q(requester=user) | Q(watchers__user=user)).distinct()
    return qs.select_related("assignment_group")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    recent = list(_my_tickets(user).exclude(state__in=INACTIVE_STATES).order_by("-opened_at")[:5])
    waiting = [t for t in recent if t.state == TicketState.PENDING_USER]
    return render(request, "portal/home.html", {"recent": recent, "waiting": waiting})


@login_required
def report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ReportIssueForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = do_open_incident(
                    title=data["title"],
                    description=data["description"],
                    requester=user,
                    actor=user,
                    impact=data["impact"],
                    urgency=data["urgency"],
                    service=data["service"],
                    attachments=data["attachments"],
                )
            except ActionError as error:
                _form_error(form, error)
                status = error.status
            else:
                return redirect("portal:reported", number=ticket.number)
        else:
            status = 422
    return render(request, "portal/report.html", {"form": form}, status=status)


def _form_error(form: Any, error: ActionError) -> None:
    field = error.field if isinstance(error, InvalidInput) else None
    form.add_error(field if field in form.fields else None, error.detail)


@login_required
def reported(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    return render(request, "portal/reported.html", {"ticket": ticket})


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    show = request.GET.get("show", "open")
    text = request.GET.get("q", "").strip()[:200]
    qs = _my_tickets(user)
    if show == "open":
        qs = qs.exclude(state__in=INACTIVE_STATES)
    elif show == "closed":
        qs = qs.filter(state__in=INACTIVE_STATES)
    qs = qs.search(text)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows = list(qs.order_by("-opened_at", "-pk")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    context = {
        "tickets": rows[:PAGE_SIZE],
        "show": show,
        "q": text,
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
    }
    return render(request, "portal/tickets.html", context)


def _detail_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    user = _user(request)
    entries = [
        entry
        for entry in JournalEntry.objects.for_ticket(ticket, user)
        .filter(is_internal=False)
        .select_related("actor")
        .prefetch_related("attachments")
        if entry.entry_type != JournalType.FIELD_CHANGE
        or entry.field in {"state", "priority", "service", "title"}
    ]
    allowed = {t.name for t in allowed_transitions(ticket, user, _now())}
    question = None
    if ticket.state == TicketState.PENDING_USER:
        question = next(
            (
                e
                for e in reversed(entries)
                if e.entry_type == JournalType.TRANSITION
                and e.new_value == TicketState.PENDING_USER
            ),
            None,
        )
    return {
        "ticket": ticket,
        "entries": entries,
        "files": Attachment.objects.for_ticket(ticket, user).filter(
            is_internal=False, journal_entry__isnull=True
        ),
        "can_close": "close" in allowed,
        "can_reopen": "reopen" in allowed,
        "can_cancel": "cancel" in allowed,
        "question": question,
        "reply_form": forms.get("reply_form") or PortalReplyForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
    }


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    return render(request, "portal/ticket.html", _detail_context(request, ticket))


@login_required
@require_POST
def reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    form = PortalReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            do_add_comment(
                ticket,
                body=form.cleaned_data["body"],
                internal=False,
                actor=_user(request),
                attachments=form.cleaned_data["attachments"],
            )
        except ActionError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Thank you, your reply was sent."))
            return redirect("portal:ticket", number=ticket.number)
    context = _detail_context(request, ticket, reply_form=form)
    return render(request, "portal/ticket.html", context, status=422)


@login_required
@require_POST
def close(request: HttpRequest, number: str) -> HttpResponse:
    """“It's fixed, close it”: the requester confirms the resolution."""
    ticket = _ticket(request, number)
    try:
        do_confirm_resolution(ticket, actor=_user(request))
    except ActionError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request, _("Thank you for confirming. %(n)s is closed.") % {"n": ticket.number}
        )
    return redirect("portal:ticket", number=ticket.number)


@login_required
@require_POST
def reopen(request: HttpRequest, number: str) -> HttpResponse:
    """“Still broken, reopen”: back to the team with what is still wrong."""
    user = _user(request)
    ticket = _ticket(request, number)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                ticket = do_transition_incident(
                    ticket,
                    TicketState.IN_PROGRESS,
                    actor=user,
                    reason=_("The requester reopened it."),
                )
                do_add_comment(ticket, body=form.cleaned_data["body"], internal=False, actor=user)
        except ActionError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("%(n)s is open again; the team will look at it.") % {"n": ticket.number}
            )
            return redirect("portal:ticket", number=ticket.number)
    context = _detail_context(request, ticket, reopen_form=form)
    return render(request, "portal/ticket.html", context, status=422)


@login_required
def attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    try:
        found = access_attachment(_user(request), number, attachment_id)
    except NotFound:
        raise Http404 from None
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type
    return response
