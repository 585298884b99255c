"""Admin permissions by role: users with the Administrator role manage configuration in the
Django admin without per-model permission rows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def _is_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and getattr(user, "is_admin", False))


class AdministratorRoleMixin:
    """ModelAdmin mixin: everything is allowed to the Administrator role (and superusers)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)
