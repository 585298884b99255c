"""Service Level Management in the admin: calendars (with a 14-day preview of working time),
SLA definitions, and the SLA instances of tickets (read-only).

Saves go through the actions in ``itsm.sla.actions``, which also enqueue the background
recomputation of the open tickets the change touches.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from itsm.sla.actions import do_save_business_calendar, do_save_sla_definition
from itsm.sla.models import BusinessCalendar, SlaDefinition, SlaInstance
from itsm.taxonomy.choices import Priority, TicketKind
from itsm.tickets.choices import TicketState

PREVIEW_DAYS = 14


class _AdministratorsOnly:
    """Administrators (role admin) manage service levels."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_admin", False))

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(getattr(request.user, "is_admin", False))

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return bool(getattr(request.user, "is_admin", False))

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(getattr(request.user, "is_admin", False))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(getattr(request.user, "is_admin", False))


def working_days(calendar: BusinessCalendar, start: date, days: int) -> list[dict[str, Any]]:
    """Per local day from ``start``: its working intervals (local times) and total hours."""
    engine = calendar.to_engine(year=start.year)
    zone = engine.zone
    rows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        begin = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        intervals = list(engine.business_intervals(begin, end))
        total = sum(((b - a) for a, b in intervals), timedelta(0))
        rows.append(
            {
                "date": day,
                "intervals": [
                    (a.astimezone(zone).strftime("%H:%M"), _end_label(b, zone, day))
                    for a, b in intervals
                ],
                "hours": round(total / timedelta(hours=1), 2),
            }
        )
    return rows


def _end_label(instant: datetime, zone: Any, day: date) -> str:
    local = instant.astimezone(zone)
    return "24:00" if local.date() > day else local.strftime("%H:%M")


class BusinessCalendarForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BusinessCalendar
        fields = ["name", "tz", "mode", "weekly", "country", "subdivision", "custom_holidays"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(_AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    form = BusinessCalendarForm

    class Media:
        css = {"all": ["itsm/sla.css"]}

    list_display = ["name", "tz", "mode", "country", "subdivision", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["name", "tz", "mode"]}),
        ("Working hours", {"fields": ["weekly"]}),
        ("Holidays", {"fields": ["country", "subdivision", "custom_holidays"]}),
        ("Next 14 days", {"fields": ["preview"]}),
    ]

    @admin.display(description="working time")
    def preview(self, obj: BusinessCalendar) -> SafeString | str:
        if obj.pk is None:
            return "Save the calendar to see its next 14 days of working time."
        today = timezone.now().astimezone(obj.to_engine().zone).date()
        rows = working_days(obj, today, PREVIEW_DAYS)
        body = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td><td class='sla-num'>{}</td></tr>",
            (
                (
                    row["date"].strftime("%a %Y-%m-%d"),
                    ", ".join(f"{a}–{b}" for a, b in row["intervals"]) or "closed",
                    f"{row['hours']:g} h",
                )
                for row in rows
            ),
        )
        return format_html(
            "<table class='sla-preview'><caption>Local time, {}</caption><thead><tr>"
            "<th scope='col'>Day</th><th scope='col'>Working time</th>"
            "<th scope='col'>Hours</th></tr></thead><tbody>{}</tbody></table>",
            obj.tz,
            body,
        )

    def save_model(
        self, request: HttpRequest, obj: BusinessCalendar, form: Any, change: bool
    ) -> None:
        do_save_business_calendar(obj, actor=request.user)


class SlaDefinitionForm(forms.ModelForm):  # type: ignore[type-arg]
    """Checkboxes for the state, kind and priority lists the model keeps as JSON."""

    pause_states = forms.MultipleChoiceField(
        choices=TicketState.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    stop_states = forms.MultipleChoiceField(
        choices=TicketState.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    kinds = forms.MultipleChoiceField(
        choices=TicketKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    priorities = forms.MultipleChoiceField(
        choices=Priority.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = SlaDefinition
        fields = [
            "name",
            "is_active",
            "metric",
            "calendar",
            "targets_minutes",
            "start",
            "pause_states",
            "stop_states",
            "stop_on_first_response",
            "priority_change",
            "reopen",
            "warning_thresholds",
            "kinds",
            "priorities",
            "services",
            "categories",
            "organizations",
            "assignment_groups",
        ]


@admin.register(SlaDefinition)
class SlaDefinitionAdmin(_AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    form = SlaDefinitionForm
    list_display = ["name", "metric", "is_active", "calendar", "start", "updated_at"]
    list_filter = ["is_active", "metric", "calendar"]
    search_fields = ["name"]
    filter_horizontal = ["services", "categories", "organizations", "assignment_groups"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "metric", "calendar", "targets_minutes"]}),
        (
            "Clock",
            {
                "fields": [
                    "start",
                    "pause_states",
                    "stop_states",
                    "stop_on_first_response",
                    "priority_change",
                    "reopen",
                    "warning_thresholds",
                ]
            },
        ),
        (
            "Applies to tickets (every condition set must hold)",
            {
                "fields": [
                    "kinds",
                    "priorities",
                    "services",
                    "categories",
                    "organizations",
                    "assignment_groups",
                ]
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: SlaDefinition, form: Any, change: bool) -> None:
        # The row first (the many-to-many conditions need its key); the action runs in
        # save_related, once the conditions are known.
        obj.save()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        conditions = {
            field: form.cleaned_data.get(field, [])
            for field in ("services", "categories", "organizations", "assignment_groups")
        }
        do_save_sla_definition(form.instance, actor=request.user, **conditions)


class BreachedFilter(admin.SimpleListFilter):
    title = "breached"
    parameter_name = "breached"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Breached"), ("no", "Not breached")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(breached_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(breached_at__isnull=True)
        return queryset


@admin.register(SlaInstance)
class SlaInstanceAdmin(_AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "ticket",
        "definition",
        "metric",
        "clock_state",
        "priority",
        "due_at",
        "breached_at",
        "detached_at",
    ]
    list_filter = ["clock_state", BreachedFilter, "metric", "definition"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "definition"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
