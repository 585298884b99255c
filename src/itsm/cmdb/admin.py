"""Admin for services and configuration items."""

from django.contrib import admin

from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.admin import AdministratorRoleMixin


@admin.register(Service)
class ServiceAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "owner_group", "is_active")
    list_filter = ("kind", "is_active", "owner_group")
    search_fields = ("name", "description")
    list_select_related = ("owner_group",)
    autocomplete_fields = ("owner_group",)


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "ci_class", "status", "service", "owner_group")
    list_filter = ("ci_class", "status", "service", "owner_group")
    search_fields = ("name", "service__name")
    list_select_related = ("service", "owner_group")
    autocomplete_fields = ("service", "owner_group")
