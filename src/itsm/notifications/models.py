"""The outbox: every outgoing message is a row written in the transaction of the change it reports.

The worker (``delivery.deliver_pending``) claims due rows, sends them and records the outcome, so a
rolled-back change sends nothing and a worker killed mid-delivery loses nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.notifications.choices import OutboxStatus, TicketEvent

#: Rows a worker may have to look at: waiting, or claimed by a worker that may have died.
DELIVERABLE_Q = Q(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])


class OutboxMessage(models.Model):
    """One email to one recipient about one ticket event, composed for what that recipient may see."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_messages",
        db_index=False,  # outbox_ticket_idx leads with it
    )
    journal_entry = models.ForeignKey(
        "tickets.JournalEntry",
        verbose_name=_("journal entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.CharField(_("event"), max_length=30, choices=TicketEvent.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=400)
    body = models.TextField(_("body"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(
        _("claimed until"),
        null=True,
        blank=True,
        help_text=_("A worker claimed the row until then; after it, another worker may retry."),
    )
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=DELIVERABLE_Q, name="outbox_due_idx"
            ),
            models.Index(fields=["status", "-created_at"], name="outbox_status_idx"),
            models.Index(fields=["ticket", "created_at"], name="outbox_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"


class OutboxAttachment(models.Model):
    """A file sent with an outgoing message (a scheduled report's spreadsheet)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("outgoing attachment")

    def __str__(self) -> str:
        return self.filename
