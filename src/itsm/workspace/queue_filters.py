"""Queue filters, sort orders and keyset pagination, parsed from the querystring by a Django form."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import F, Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import User
from itsm.cmdb.models import Service
from itsm.taxonomy.choices import Priority, TicketKind
from itsm.taxonomy.models import Category
from itsm.tickets.choices import INACTIVE_STATES, TicketState
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import TicketQuerySet
from itsm.workspace.options import LazyOptions, ReferenceOptions
from itsm.workspace.sla_status import AT_RISK, BREACHED, NO_SLA, ON_TRACK, sla_status_q
from itsm.workspace.widgets import OptionsSelect

PAGE_SIZE = 50

OPEN = "open"
STATE_CHOICES = [(OPEN, _("Open (not resolved)")), *TicketState.choices]
SLA_CHOICES = [
    (BREACHED, _("Breached")),
    (AT_RISK, _("At risk")),
    (ON_TRACK, _("On track")),
    (NO_SLA, _("No running SLA")),
]
ME = "me"
NOBODY = "none"


@dataclass(frozen=True)
class SortOrder:
    label: Any
    field: str
    descending: bool
    nullable: bool


SORTS: dict[str, SortOrder] = {
    "sla": SortOrder(_("SLA due (soonest first)"), "sla_due_at", False, True),
    "priority": SortOrder(_("Priority"), "priority", False, False),
    "newest": SortOrder(_("Newest first"), "opened_at", True, False),
    "oldest": SortOrder(_("Oldest first"), "opened_at", False, False),
    "updated": SortOrder(_("Recently updated"), "updated_at", True, False),
}
DEFAULT_SORT = "sla"


class QueueFilterForm(forms.Form):
    """Every filter of a queue. Unknown or invalid values are reported, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Any kind")), *TicketKind.choices],
        widget=OptionsSelect,
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *STATE_CHOICES],
        widget=OptionsSelect,
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("Any priority")), *Priority.choices],
        widget=OptionsSelect,
    )
    # Checked against the cached list of groups (no query for the chosen one): gives its id.
    group = forms.TypedChoiceField(
        label=_("Assignment group"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={
            "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]
        },
    )
    assignee = forms.CharField(
        label=_("Assignee"), required=False, max_length=20, widget=forms.Select
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        # Labels are category paths: fetch three levels of parents with the options.
        queryset=Category.objects.filter(is_active=True).select_related("parent__parent__parent"),
        empty_label=_("Any category"),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        required=False,
        queryset=Service.objects.filter(is_active=True),
        empty_label=_("Any service"),
    )
    sla = forms.ChoiceField(
        label=_("SLA status"),
        required=False,
        choices=[("", _("Any SLA status")), *SLA_CHOICES],
        widget=OptionsSelect,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(key, order.label) for key, order in SORTS.items()],
        widget=OptionsSelect,
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args: Any, options: ReferenceOptions | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Drawn from cached pairs: the model fields above still validate the chosen value.
        options = options or ReferenceOptions()
        groups = LazyOptions(_("Any group"), lambda: options.groups)
        self.fields["group"].choices = groups  # type: ignore[attr-defined]
        for name, empty, pairs in (
            ("category", _("Any category"), lambda: options.categories),
            ("service", _("Any service"), lambda: options.services),
        ):
            self._draw_from(name, LazyOptions(empty, pairs))
        self._draw_from("group", groups)
        self._draw_from(
            "assignee", LazyOptions(None, lambda: options.agents, head=_assignee_head())
        )

    def _draw_from(self, name: str, choices: LazyOptions) -> None:
        field = self.fields[name]
        field.widget = OptionsSelect(attrs=field.widget.attrs, choices=choices)

    def clean_assignee(self) -> str:
        value: str = self.cleaned_data["assignee"].strip()
        if value and value not in {ME, NOBODY} and not value.isdigit():
            raise forms.ValidationError(_("Choose an agent, “me” or “none”."))
        return value

    def clean_after(self) -> tuple[Any, int] | None:
        raw: str = self.cleaned_data["after"]
        if not raw:
            return None
        try:
            value, pk = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
            return value, int(pk)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("This page link is no longer valid.")) from None

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_bound else None) or DEFAULT_SORT


def _assignee_head() -> list[tuple[str, str]]:
    return [("", str(_("Anyone"))), (ME, str(_("Me"))), (NOBODY, str(_("Unassigned")))]


def filter_tickets(qs: TicketQuerySet, data: dict[str, Any], user: User, now: datetime) -> Any:
    """Apply the cleaned filters (except pagination) to an already visibility-checked queryset."""
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    state = data.get("state")
    if state == OPEN:
        qs = qs.exclude(state__in=INACTIVE_STATES)
    elif state:
        qs = qs.filter(state=state)
    if data.get("priority"):
        qs = qs.filter(priority=data["priority"])
    if data.get("group"):
        qs = qs.filter(assignment_group=data["group"])
    assignee = data.get("assignee")
    if assignee == ME:
        qs = qs.filter(assignee=user)
    elif assignee == NOBODY:
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if data.get("category"):
        qs = qs.filter(category_id__in=data["category"].descendant_ids())
    if data.get("service"):
        qs = qs.filter(service=data["service"])
    if data.get("sla"):
        qs = qs.exclude(state__in=INACTIVE_STATES).filter(sla_status_q(data["sla"], now))
    return qs.search(data.get("q") or "")


def _ordering(sort: SortOrder) -> list[Any]:
    column = F(sort.field)
    first = column.desc(nulls_last=True) if sort.descending else column.asc(nulls_last=True)
    return [first, F("pk").desc() if sort.descending else F("pk").asc()]


def _after_q(sort: SortOrder, value: Any, pk: int) -> Q:
    """Rows strictly after (value, pk) in the sort order; NULL values sort last."""
    cmp = "lt" if sort.descending else "gt"
    if value is None:
        return Q(**{f"{sort.field}__isnull": True, f"pk__{cmp}": pk})
    if sort.field.endswith("_at"):
        parsed = parse_datetime(str(value))
        if parsed is None:
            return Q(pk__in=[])
        value = parsed
    after = Q(**{f"{sort.field}__{cmp}": value}) | Q(**{sort.field: value, f"pk__{cmp}": pk})
    if sort.nullable:
        after |= Q(**{f"{sort.field}__isnull": True})
    return after


def encode_cursor(ticket: Ticket | dict[str, Any], sort_key: str) -> str:
    """The cursor after ``ticket``: a model instance or a ``values()`` row with its ``id``."""
    field = SORTS[sort_key].field
    if isinstance(ticket, dict):
        value, pk = ticket[field], ticket["id"]
    else:
        value, pk = getattr(ticket, field), ticket.pk
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def page_of(qs: Any, sort_key: str, after: tuple[Any, int] | None) -> tuple[list[Any], str]:
    """One page in sort order and the cursor of the next page ('' on the last one)."""
    sort = SORTS[sort_key]
    qs = qs.order_by(*_ordering(sort))
    if after is not None:
        qs = qs.filter(_after_q(sort, *after))
    rows = list(qs[: PAGE_SIZE + 1])
    if len(rows) > PAGE_SIZE:
        return rows[:PAGE_SIZE], encode_cursor(rows[PAGE_SIZE - 1], sort_key)
    return rows, ""


def sorted_tickets(qs: Any, sort_key: str) -> Any:
    return qs.order_by(*_ordering(SORTS[sort_key]))
