"""Incident Management's own fields, in a 1:1 table beside the ticket core."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel
from itsm.tickets.choices import PAUSE_STATES


class Incident(TimeStampedModel):
    """An Incident (ITIL 4: an unplanned interruption to a service or reduction in its quality).

    Channel, impact, urgency, priority, service, configuration item and resolution live on the
    ticket; this row holds what only incidents have: the reason of the current pause and the
    major incident record. Children of a major incident are tickets whose ``parent`` is it.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="incident"
    )
    hold_reason = models.TextField(
        _("on-hold reason"),
        blank=True,
        help_text=_("Why the incident waits (Pending User, Waiting for Vendor, On Hold)."),
    )
    is_major = models.BooleanField(_("major incident"), default=False)
    is_major_candidate = models.BooleanField(_("proposed as major incident"), default=False)
    major_candidate_reason = models.TextField(_("why it may be major"), blank=True)
    major_flagged_at = models.DateTimeField(_("declared major"), null=True, blank=True)
    major_flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared major by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    major_incident_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("major incident manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_major_incidents",
    )

    class Meta:
        verbose_name = _("incident")
        indexes = [
            models.Index(
                fields=["major_flagged_at"],
                condition=models.Q(is_major=True),
                name="incident_major_idx",
            ),
            models.Index(
                fields=["ticket"],
                condition=models.Q(is_major_candidate=True),
                name="incident_candidate_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.ticket_id}"

    @property
    def current_hold_reason(self) -> str:
        """The reason while the incident waits in a side state; empty otherwise."""
        return self.hold_reason if self.ticket.state in PAUSE_STATES else ""
