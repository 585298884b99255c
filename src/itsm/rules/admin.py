"""Assignment and escalation rules in the admin: an ordered table administrators edit."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from itsm.rules.models import AssignmentRule, EscalationFiring, EscalationRule


class _AdministratorsOnly:
    """Administrators (role admin) manage rules whether or not they hold Django permissions."""

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


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(_AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["order", "name", "is_active", "kind", "category", "service", "group", "agent"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "kind", "group"]
    search_fields = ["name", "keywords", "pattern"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active"]}),
        (
            "Conditions (all that are set must hold)",
            {
                "fields": [
                    "kind",
                    "category",
                    "service",
                    "configuration_item",
                    "priorities",
                    "keywords",
                    "pattern",
                    "organization",
                    "vip_only",
                ]
            },
        ),
        ("Outcome", {"fields": ["group", "agent"]}),
    ]


@admin.register(EscalationRule)
class EscalationRuleAdmin(_AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["order", "name", "is_active", "trigger", "thresholds_minutes", "priorities"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["name"]
    filter_horizontal = ["groups"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active"]}),
        (
            "When",
            {"fields": ["trigger", "thresholds_minutes", "calendar", "sla_metric", "sla_percent"]},
        ),
        ("Which tickets", {"fields": ["kind", "priorities", "groups"]}),
        (
            "Then",
            {
                "fields": [
                    "reassign_to_parent",
                    "notify_managers",
                    "notify_major_incident_team",
                    "notify_assignee",
                    "raise_priority",
                ]
            },
        ),
    ]


@admin.register(EscalationFiring)
class EscalationFiringAdmin(_AdministratorsOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["fired_at", "rule", "ticket", "level", "summary"]
    list_filter = ["rule"]
    search_fields = ["ticket__number", "rule__name"]
    readonly_fields = ["rule", "ticket", "level", "fired_at", "summary"]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
