"""Admin for people, organisations, assignment groups and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from itsm.accounts.actions import do_revoke_api_token
from itsm.accounts.models import ApiToken, Group, Organization, User
from itsm.core.admin import AdministratorRoleMixin


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role")


class UserEditForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"


class GroupMembershipInline(AdministratorRoleMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Group.members.through
    extra = 0
    verbose_name = _("assignment group")
    verbose_name_plural = _("assignment groups")
    autocomplete_fields = ("group",)


@admin.register(User)
class UserAdmin(AdministratorRoleMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("full_name",)
    list_display = (
        "full_name",
        "email",
        "role",
        "organization",
        "is_vip",
        "availability",
        "is_active",
    )
    list_filter = ("role", "is_active", "is_vip", "availability", "organization")
    search_fields = ("full_name", "email", "phone")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    inlines = (GroupMembershipInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "organization", "is_vip", "time_zone")}),
        (
            _("Role and availability"),
            {"fields": ("role", "availability", "away_until", "is_active", "is_superuser")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()


@admin.register(Organization)
class OrganizationAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "email_domain", "manager", "member_count")
    search_fields = ("name", "email_domain")
    autocomplete_fields = ("manager",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).select_related("manager").annotate(n=Count("members"))

    @admin.display(description=_("members"), ordering="n")
    def member_count(self, obj: Any) -> int:
        return int(obj.n)


@admin.register(Group)
class GroupAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "manager",
        "strategy",
        "escalation_parent",
        "is_service_desk",
        "is_major_incident_team",
        "member_count",
    )
    list_filter = ("strategy", "is_service_desk", "is_major_incident_team")
    search_fields = ("name", "email", "description")
    autocomplete_fields = ("manager", "escalation_parent", "members")
    fieldsets = (
        (None, {"fields": ("name", "email", "description", "manager")}),
        (
            _("Routing"),
            {
                "fields": (
                    "strategy",
                    "escalation_parent",
                    "is_service_desk",
                    "is_major_incident_team",
                )
            },
        ),
        (_("Members"), {"fields": ("members",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        qs = super().get_queryset(request)
        return qs.select_related("manager", "escalation_parent").annotate(n=Count("members"))

    @admin.display(description=_("members"), ordering="n")
    def member_count(self, obj: Any) -> int:
        return int(obj.n)


@admin.register(ApiToken)
class ApiTokenAdmin(AdministratorRoleMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Tokens are created by their owner (the secret is shown once); admins review and revoke."""

    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "key_prefix", "user__email", "user__full_name")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "key_prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            do_revoke_api_token(token, actor=actor)
            count += 1
        messages.success(request, _("%(n)d tokens revoked.") % {"n": count})
