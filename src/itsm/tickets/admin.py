"""Admin view of tickets: read-only. Tickets change only through actions (journal, SLA, outbox),
so the admin offers search and inspection, never edits."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from itsm.core.admin import AdministratorRoleMixin
from itsm.tickets.models import JournalEntry, Ticket


class _ReadOnly(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JournalInline(AdministratorRoleMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = JournalEntry
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "entry_type",
        "actor",
        "is_internal",
        "field",
        "old_value",
        "new_value",
        "body",
    )
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(_ReadOnly):
    list_display = (
        "number",
        "title",
        "kind",
        "state",
        "priority",
        "assignment_group",
        "assignee",
        "opened_at",
    )
    list_filter = ("kind", "state", "priority", "channel", "assignment_group")
    search_fields = ("number", "title", "requester__email", "requester__full_name")
    list_select_related = ("assignment_group", "assignee")
    date_hierarchy = "opened_at"
    inlines = (JournalInline,)
    show_full_result_count = False
