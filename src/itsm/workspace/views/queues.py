"""Queues: filtered, sorted, keyset-paginated lists; saved views; bulk actions; CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.core.errors import ActionError
from itsm.incidents.actions import do_attach_to_major_incident, do_transition_incident
from itsm.sla.queries import sla_badges_for
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import access_ticket_by_number
from itsm.workflow.actions import do_assign_ticket
from itsm.workspace.access import add_action_error, agent_required
from itsm.workspace.actions import do_delete_view, do_save_view
from itsm.workspace.forms import BULK_ASSIGN, BULK_MAJOR, BULK_STATE, BulkForm, SaveViewForm
from itsm.workspace.models import SavedView
from itsm.workspace.options import ReferenceOptions
from itsm.workspace.queue_filters import (
    QueueFilterForm,
    filter_tickets,
    page_of,
    sorted_tickets,
)
from itsm.workspace.rows import ROW_FIELDS, queue_rows, with_reference_names
from itsm.workspace.views.common import LIST_RELATED, current_user

CSV_COLUMNS = (
    "number",
    "title",
    "kind",
    "state",
    "priority",
    "assignment_group",
    "assignee",
    "requester",
    "category",
    "service",
    "opened_at",
    "sla_due_at",
)


def _filter_querystring(params: QueryDict) -> str:
    """The querystring of the filters alone (no cursor), for saved views and export links."""
    kept = params.copy()
    for key in ("after", "partial"):
        kept.pop(key, None)
    return kept.urlencode()


#: What the views card shows of a saved view (``queue.html``).
SAVED_VIEW_FIELDS = (
    "name",
    "querystring",
    "owner_id",
    "shared_with_id",
    "owner__full_name",
    "owner__email",
    "shared_with__name",
)


def _saved_views(user: Any, group_ids: list[int]) -> tuple[list[SavedView], list[SavedView]]:
    # Only the columns the list shows: with every column of the view, its owner and group,
    # ordering by name made Django compare each of the thirty selected columns with it.
    views = list(
        SavedView.objects.filter(Q(owner=user) | Q(shared_with__in=group_ids))
        .select_related("owner", "shared_with")
        .only(*SAVED_VIEW_FIELDS)
    )
    mine = [v for v in views if v.owner_id == user.pk]
    shared = [v for v in views if v.owner_id != user.pk]
    return mine, shared


def _filter_fields_key(
    form: QueueFilterForm, params: QueryDict, options: ReferenceOptions
) -> tuple[Any, ...] | None:
    """What the filter form's fields show: each field's submitted values and the option lists.
    ``None`` (drawn fresh) when the form reports errors."""
    if form.errors:
        return None
    values = tuple((name, tuple(params.getlist(name))) for name in form.fields if name != "after")
    return (options.drawn_version, values)


@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    params = request.GET.copy()
    if not params:
        params["state"] = "open"
    options = ReferenceOptions()
    form = QueueFilterForm(params, options=options)
    now = timezone.now()
    tickets: list[dict[str, Any]] = []
    next_cursor = ""
    if form.is_valid():
        qs = filter_tickets(Ticket.objects.visible_to(user), form.cleaned_data, user, now)
        tickets, next_cursor = page_of(
            qs.values(*ROW_FIELDS), form.sort_key, form.cleaned_data["after"]
        )
    filters = _filter_querystring(params)
    next_params = params.copy()
    next_params["after"] = next_cursor
    badges = sla_badges_for([ticket["id"] for ticket in tickets], now=now)
    rows = queue_rows(with_reference_names(tickets), badges)
    context: dict[str, Any] = {
        "form": form,
        "rows": rows,
        # The <tbody> lines as the template's loop drew them, joined once.
        "rows_html": mark_safe("".join(f"{row['html']}\n    " for row in rows)),  # noqa: S308
        "now": now,
        "filters": filters,
        "next_url": f"?{next_params.urlencode()}" if next_cursor else "",
        "is_first_page": not params.get("after"),
    }
    status = 200 if form.is_valid() else 400
    if request.htmx:  # type: ignore[attr-defined]
        # More rows: the saved views and the forms around the table are not drawn.
        return render(request, "workspace/partials/queue_rows.html", context, status=status)
    # The user's groups, read once: saved views shared with them, and the "share with" choices.
    groups = [(str(pk), name) for pk, name in user.assignment_groups.values_list("pk", "name")]
    mine, shared = _saved_views(user, [int(pk) for pk, _name in groups])
    context.update(
        my_views=mine,
        shared_views=shared,
        save_form=SimpleLazyObject(
            lambda: SaveViewForm(user=user, groups=groups, initial={"querystring": filters})
        ),
        # Made only when its fields are drawn, not when they come from the cache.
        bulk_form=SimpleLazyObject(
            lambda: BulkForm(initial={"next": request.get_full_path()}, options=options)
        ),
        section_keys={
            "filters": _filter_fields_key(form, params, options),
            "bulk": (options.drawn_version,),
            "save": tuple(groups),
        },
    )
    return render(request, "workspace/queue.html", context, status=status)


def _csv_safe(value: Any) -> str:
    """Cells starting with a formula character are prefixed so spreadsheets do not run them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@agent_required
def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = current_user(request)
    form = QueueFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("The filters are not valid: %(errors)s") % {"errors": form.errors.as_text()},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    qs = Ticket.objects.visible_to(user).select_related(*LIST_RELATED)
    qs = sorted_tickets(filter_tickets(qs, form.cleaned_data, user, timezone.now()), form.sort_key)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for ticket in qs.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    _csv_safe(v)
                    for v in (
                        ticket.number,
                        ticket.title,
                        ticket.get_kind_display(),
                        ticket.get_state_display(),
                        ticket.priority,
                        ticket.assignment_group,
                        ticket.assignee,
                        ticket.requester,
                        ticket.category.name if ticket.category else "",
                        ticket.service,
                        ticket.opened_at.isoformat(),
                        ticket.sla_due_at.isoformat() if ticket.sla_due_at else "",
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.csv"'
    return response


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return "/queues/"


def _bulk_one(form: BulkForm, ticket: Ticket, user: Any, major: Ticket | None) -> None:
    data = form.cleaned_data
    operation = data["operation"]
    if operation == BULK_ASSIGN:
        do_assign_ticket(
            ticket,
            group=data["group"] or ticket.assignment_group,
            assignee=data["assignee"],
            actor=user,
        )
    elif operation == BULK_STATE:
        do_transition_incident(
            ticket,
            data["to_state"],
            actor=user,
            reason=data["reason"],
            resolution_code=data["resolution_code"],
            resolution_notes=data["resolution_notes"],
        )
    elif operation == BULK_MAJOR and major is not None:
        do_attach_to_major_incident(ticket, major=major, actor=user)


@agent_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to each selected ticket; each is its own transaction, failures are listed."""
    user = current_user(request)
    form = BulkForm(request.POST)
    back = _safe_next(request, request.POST.get("next", ""))
    if not form.is_valid():
        messages.error(request, _("The bulk action is not valid: %s") % form.errors.as_text())
        return redirect(back)
    numbers = form.numbers(request.POST.getlist("tickets"))
    if not numbers:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    major = None
    if form.cleaned_data["operation"] == BULK_MAJOR:
        try:
            major = access_ticket_by_number(user, form.cleaned_data["major_incident"] or "-")
        except ActionError as error:
            messages.error(request, error.detail)
            return redirect(back)
    if form.cleaned_data["operation"] == BULK_STATE and not form.cleaned_data["to_state"]:
        messages.error(request, _("Choose the new state."))
        return redirect(back)
    done: list[str] = []
    for number in numbers:
        try:
            ticket = access_ticket_by_number(user, number)
            _bulk_one(form, ticket, user, major)
            done.append(ticket.number)
        except ActionError as error:
            messages.error(request, f"{number}: {error.detail}")
    if done:
        messages.success(request, _("Updated %(list)s.") % {"list": ", ".join(done)})
    return redirect(back)


@agent_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = SaveViewForm(request.POST, user=user)
    querystring = request.POST.get("querystring", "")
    if form.is_valid():
        try:
            do_save_view(
                name=form.cleaned_data["name"],
                querystring=form.cleaned_data["querystring"],
                shared_with=form.cleaned_data["shared_with"],
                actor=user,
            )
            messages.success(request, _("View “%s” saved.") % form.cleaned_data["name"])
        except ActionError as error:
            add_action_error(form, error)
    if form.errors:
        messages.error(request, form.errors.as_text())
    return redirect(f"/queues/?{querystring}" if querystring else "/queues/")


@agent_required
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        do_delete_view(view_id, actor=current_user(request))
        messages.success(request, _("View deleted."))
    except ActionError as error:
        messages.error(request, error.detail)
    return redirect("queue")
