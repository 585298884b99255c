"""The outbox in the admin: administrators see every message, why it failed, and retry it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from itsm.notifications.actions import do_retry_outbox_messages
from itsm.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "to_email", "subject", "event", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    search_fields = ["to_email", "subject", "ticket__number"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [
        "ticket",
        "journal_entry",
        "event",
        "recipient",
        "to_email",
        "subject",
        "body",
        "headers",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_admin", False))

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(getattr(request.user, "is_admin", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Retry delivery of the selected messages")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = do_retry_outbox_messages(queryset, actor=request.user)
        self.message_user(request, f"{count} message(s) queued for delivery.", messages.SUCCESS)
