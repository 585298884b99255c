"""Admin for the category trees and the impact x urgency priority matrix."""

from django.contrib import admin

from itsm.core.admin import AdministratorRoleMixin
from itsm.taxonomy.models import Category, PriorityMatrixEntry


@admin.register(Category)
class CategoryAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("path", "kind", "is_active")
    list_filter = ("kind", "is_active", "restricted_to_groups")
    search_fields = ("name", "parent__name")
    list_select_related = ("parent__parent",)
    autocomplete_fields = ("parent", "restricted_to_groups")
    ordering = ("kind", "parent__name", "name")


@admin.register(PriorityMatrixEntry)
class PriorityMatrixEntryAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_filter = ("impact", "urgency", "priority")
    ordering = ("impact", "urgency")
