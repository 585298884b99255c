"""Assignment and escalation rules: configurable policy, kept in tables and edited by administrators."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel
from itsm.rules.calendars import calendar_from_json
from itsm.rules.choices import TIME_TRIGGERS, EscalationTrigger
from itsm.taxonomy.choices import Priority, TicketKind


def _check_priorities(values: object) -> None:
    if not isinstance(values, list) or any(v not in Priority.values for v in values):
        raise ValidationError(
            _("A list of priorities out of %(p)s."), params={"p": ", ".join(Priority.values)}
        )


class AssignmentRule(TimeStampedModel):
    """One row of the ordered routing table: the first active rule whose every condition holds
    assigns a new ticket to its group (and optionally an agent). Empty conditions match anything."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100, help_text=_("Lower runs first."))
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("ticket kind"), max_length=20, choices=TicketKind.choices, blank=True)
    category = models.ForeignKey(
        "taxonomy.Category",
        verbose_name=_("category (and its subcategories)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    service = models.ForeignKey(
        "cmdb.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        verbose_name=_("configuration item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    priorities = models.JSONField(
        _("priorities"),
        default=list,
        blank=True,
        validators=[_check_priorities],
        help_text=_('For example ["P1", "P2"]; empty matches every priority.'),
    )
    keywords = models.CharField(
        _("words"),
        max_length=500,
        blank=True,
        help_text=_(
            "Comma-separated words or phrases; any one in the title or description matches."
        ),
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=500,
        blank=True,
        help_text=_(
            "A regular expression searched in the title and description (case-insensitive)."
        ),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("requester organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    vip_only = models.BooleanField(_("VIP requesters only"), default=False)
    group = models.ForeignKey(
        "accounts.Group",
        verbose_name=_("assignment group"),
        on_delete=models.CASCADE,
        related_name="assignment_rules",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Optional: this agent, when available; otherwise the group's strategy picks."),
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assignment rule")
        indexes = [models.Index(fields=["is_active", "order"], name="assignment_rule_order_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValidationError(
                    {"pattern": f"Not a valid regular expression: {exc}"}
                ) from exc
        if (
            self.agent_id
            and self.group_id
            and not self.group.members.filter(pk=self.agent_id).exists()
        ):
            raise ValidationError({"agent": "The agent must be a member of the group."})


class EscalationRule(TimeStampedModel):
    """An escalation policy: when its trigger holds for a ticket it matches, it fires its actions
    once per level. Functional: reassign to the group's escalation parent; hierarchical: notify the
    group's manager (level 1), then the escalation parent's manager (level 2), ...; priority based:
    notify the major incident (on-call) team at once."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("trigger"), max_length=30, choices=EscalationTrigger.choices)
    thresholds_minutes = models.JSONField(
        _("thresholds (business minutes)"),
        default=list,
        blank=True,
        help_text=_("One per level, ascending, e.g. [60, 240]; time triggers need at least one."),
    )
    calendar = models.JSONField(
        _("business calendar"),
        default=dict,
        blank=True,
        help_text=_(
            'As the SLA simulator\'s: {"tz": ..., "weekly": {...}, "holidays": [...]} '
            'or {"tz": "UTC", "mode": "24x7"}; empty means 24x7.'
        ),
    )
    sla_metric = models.CharField(
        _("SLA metric"),
        max_length=20,
        blank=True,
        help_text=_("For SLA triggers: response or resolution."),
    )
    sla_percent = models.PositiveSmallIntegerField(
        _("SLA threshold (%)"),
        null=True,
        blank=True,
        help_text=_("For the SLA warning trigger, e.g. 75."),
    )
    kind = models.CharField(_("ticket kind"), max_length=20, choices=TicketKind.choices, blank=True)
    priorities = models.JSONField(
        _("priorities"),
        default=list,
        blank=True,
        validators=[_check_priorities],
        help_text=_('For example ["P1"]; empty matches every priority.'),
    )
    groups = models.ManyToManyField(
        "accounts.Group",
        verbose_name=_("assignment groups"),
        blank=True,
        related_name="+",
        help_text=_("Tickets of these groups; none selected means every group."),
    )
    reassign_to_parent = models.BooleanField(
        _("reassign to the escalation parent group"), default=False
    )
    notify_managers = models.BooleanField(
        _("notify the group manager (level 1), then the next manager up"), default=False
    )
    notify_major_incident_team = models.BooleanField(
        _("notify the major incident (on-call) team"), default=False
    )
    notify_assignee = models.BooleanField(_("notify the assignee or group"), default=False)
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("escalation rule")
        indexes = [models.Index(fields=["is_active", "trigger"], name="escalation_rule_trig_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> list[int]:
        """Threshold minutes per level (level 1 first); one level at 0 for at-once rules."""
        values = [int(v) for v in self.thresholds_minutes or []]
        return values or [0]

    def clean(self) -> None:
        thresholds = self.thresholds_minutes
        if not isinstance(thresholds, list) or any(
            not isinstance(v, int) or v < 0 for v in thresholds
        ):
            raise ValidationError(
                {"thresholds_minutes": "A list of whole minutes, e.g. [60, 240]."}
            )
        if thresholds != sorted(thresholds):
            raise ValidationError({"thresholds_minutes": "Thresholds must ascend, one per level."})
        if self.trigger in TIME_TRIGGERS and not thresholds:
            raise ValidationError({"thresholds_minutes": "Time triggers need a threshold."})
        try:
            calendar_from_json(self.calendar)
        except ValidationError as exc:
            raise ValidationError({"calendar": exc.messages}) from exc
        if not any(
            (
                self.reassign_to_parent,
                self.notify_managers,
                self.notify_major_incident_team,
                self.notify_assignee,
                self.raise_priority,
            )
        ):
            raise ValidationError("Choose at least one action.")


class EscalationFiring(models.Model):
    """A rule fired at one level for one ticket. The unique constraint makes "fires once" a fact
    of the database, however many workers sweep at the same time."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalation_firings"
    )
    level = models.PositiveSmallIntegerField(default=1)
    fired_at = models.DateTimeField()
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("escalation firing")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "level"], name="escalation_fires_once"
            )
        ]
        indexes = [models.Index(fields=["ticket", "fired_at"], name="escalation_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.rule} level {self.level} on {self.ticket_id}"
