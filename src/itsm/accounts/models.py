"""People and teams: users, organisations, assignment groups, API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.accounts.choices import AssignmentStrategy, Availability, Role
from itsm.core.models import TimeStampedModel

AGENT_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN})


class Organization(TimeStampedModel):
    """A customer organisation (department, company) that requesters belong to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email_domain = models.CharField(_("email domain"), max_length=200, blank=True)
    manager = models.ForeignKey(
        "accounts.User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_organizations",
        help_text=_("Sees every ticket of the organisation in the portal."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: requester of services, and for agents a member of assignment groups."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REQUESTER)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    is_vip = models.BooleanField(_("VIP"), default=False)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    availability = models.CharField(
        _("availability"),
        max_length=20,
        choices=Availability.choices,
        default=Availability.AVAILABLE,
    )
    away_until = models.DateTimeField(_("away until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("user")
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        """Administrators reach the Django admin; nobody else does."""
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_agent(self) -> bool:
        return self.role in AGENT_ROLES or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role in {Role.MANAGER, Role.ADMIN} or self.is_superuser

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    def is_away(self, at: datetime | None = None) -> bool:
        """Away agents are skipped by automatic assignment."""
        if self.availability != Availability.AWAY:
            return False
        return self.away_until is None or self.away_until > (at or timezone.now())

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Group(TimeStampedModel):
    """An assignment group (resolver team): Service Desk, Network, tier 2, ..."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("email"), blank=True)
    description = models.TextField(_("description"), blank=True)
    manager = models.ForeignKey(
        User,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_groups",
    )
    escalation_parent = models.ForeignKey(
        "self",
        verbose_name=_("escalation parent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalation_children",
        help_text=_("Functional escalation moves tickets here (e.g. tier 1 to tier 2)."),
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), blank=True, related_name="assignment_groups"
    )
    strategy = models.CharField(
        _("assignment strategy"),
        max_length=20,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.MANUAL,
    )
    is_service_desk = models.BooleanField(
        _("service desk (fallback)"),
        default=False,
        help_text=_("Receives every ticket no assignment rule routes elsewhere."),
    )
    is_major_incident_team = models.BooleanField(
        _("major incident team"),
        default=False,
        help_text=_("Notified at once of every P1 and every major incident."),
    )
    last_assigned = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text=_("Round robin cursor."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("assignment group")

    def __str__(self) -> str:
        return self.name


class ApiToken(TimeStampedModel):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "itsm_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=16, help_text=_("First characters, to recognise it."))
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
