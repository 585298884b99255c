"""The ticket core: one table for every ITIL record, its journal, attachments, watchers, links."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel
from itsm.taxonomy.choices import Impact, Priority, TicketKind, Urgency
from itsm.tickets.choices import Channel, JournalType, LinkType, ResolutionCode, TicketState
from itsm.tickets.querysets import AttachmentQuerySet, JournalQuerySet, TicketQuerySet

OPEN_STATES_Q = ~Q(state__in=["resolved", "closed", "cancelled"])


class NumberSequence(models.Model):
    """Per-prefix counter for ticket numbers on databases without native sequences (SQLite)."""

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_value}"


class Ticket(TimeStampedModel):
    """Any ITIL record (Incident, Service Request, Problem, Change): the fields queues, SLAs,
    search and reports read. Kind-specific fields live in a 1:1 table of the practice's app."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=30, choices=TicketState.choices, default=TicketState.NEW
    )
    impact = models.CharField(
        _("impact"), max_length=10, choices=Impact.choices, default=Impact.MEDIUM
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.MEDIUM
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P3
    )
    category = models.ForeignKey(
        "taxonomy.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    service = models.ForeignKey(
        "cmdb.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        verbose_name=_("configuration item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,  # ticket_requester_idx leads with it
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        help_text=_("The requester's organisation when the ticket was opened."),
        db_index=False,  # ticket_org_state_idx leads with it
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL
    )
    assignment_group = models.ForeignKey(
        "accounts.Group",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # ticket_group_queue_idx leads with it
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,  # ticket_assignee_idx leads with it
    )
    opened_at = models.DateTimeField(_("opened"))
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution_code = models.CharField(
        _("resolution code"), max_length=30, choices=ResolutionCode.choices, blank=True
    )
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    sla_due_at = models.DateTimeField(
        _("SLA due"),
        null=True,
        blank=True,
        help_text=_("Earliest due time of the ticket's running SLAs, for sorting queues."),
    )
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[TicketQuerySet] = TicketQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("ticket")
        indexes = [
            models.Index(
                fields=["assignment_group", "state", "sla_due_at"], name="ticket_group_queue_idx"
            ),
            models.Index(fields=["assignee", "state", "sla_due_at"], name="ticket_assignee_idx"),
            models.Index(fields=["requester", "-opened_at"], name="ticket_requester_idx"),
            models.Index(fields=["kind", "state", "priority"], name="ticket_kind_state_idx"),
            # Reports read ranges of opened_at with these columns: on PostgreSQL an index-only
            # scan answers them without visiting the table (other databases ignore INCLUDE).
            models.Index(
                fields=["opened_at"],
                include=[
                    "id",
                    "priority",
                    "kind",
                    "state",
                    "assignment_group",
                    "assignee",
                    "category",
                    "service",
                    "configuration_item",
                    "organization",
                ],
                name="ticket_opened_cover_idx",
            ),
            models.Index(fields=["resolved_at"], name="ticket_resolved_idx"),
            models.Index(fields=["closed_at"], name="ticket_closed_idx"),
            models.Index(fields=["updated_at"], name="ticket_updated_idx"),
            # Open tickets oldest first (escalation sweeps, the dashboard's oldest open): a walk
            # of opened_at alone would step over every closed ticket to find the few open ones.
            models.Index(
                fields=["opened_at", "id"], condition=OPEN_STATES_Q, name="ticket_open_opened_idx"
            ),
            models.Index(
                fields=["sla_due_at"], condition=OPEN_STATES_Q, name="ticket_open_sla_due_idx"
            ),
            models.Index(fields=["organization", "state"], name="ticket_org_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_active(self) -> bool:
        """Still being worked on (not Resolved, Closed or Cancelled)."""
        return self.state not in {"resolved", "closed", "cancelled"}

    def journal_version(self) -> int:
        """The version the change in progress produces. Every journal line of one change carries
        it, whether written before or after the row is saved, so "what changed since version N"
        is exactly the lines with a higher version."""
        return self.version if getattr(self, "_version_bumped", False) else self.version + 1

    def mark_version_bumped(self) -> None:
        self._version_bumped = True


class JournalEntry(models.Model):
    """One line of a ticket's history: a field change, a public comment, an internal work note,
    a state change, a system or SLA event. Append-only."""

    # journal_ticket_time_idx leads with the ticket: no index of its own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="journal", db_index=False
    )
    entry_type = models.CharField(max_length=20, choices=JournalType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=False)
    is_internal = models.BooleanField(
        default=False, help_text=_("Never shown to requesters, in any page, answer or mail.")
    )
    field = models.CharField(max_length=50, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(
        default=0, help_text=_("The ticket version this entry produced.")
    )

    objects: ClassVar[JournalQuerySet] = JournalQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="journal_ticket_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.entry_type} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.created_at:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file attached to a ticket, optionally to one journal entry (the comment it came with)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    journal_entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    objects: ClassVar[AttachmentQuerySet] = AttachmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class Watcher(models.Model):
    """Someone who follows a ticket and receives its public updates."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watched"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="watcher_unique_per_ticket")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.ticket_id}"


class TicketLink(models.Model):
    """A typed link between two tickets (parent/child is Ticket.parent)."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "link_type"], name="ticket_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.link_type} {self.target_id}"
