from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    """Where an outgoing message stands. ``failed`` is final until an administrator retries it."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class TicketEvent(models.TextChoices):
    """The ticket events that can notify someone (the ``event`` of ``notify_ticket_event``)."""

    CREATED = "created", _("Logged")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Public comment")
    WORK_NOTE = "work_note", _("Work note")
    STATE_CHANGED = "state_changed", _("State change")
    PRIORITY_CHANGED = "priority_changed", _("Priority change")
    UPDATED = "updated", _("Details changed")
    ESCALATION = "escalation", _("Escalation")
    MAJOR_INCIDENT = "major_incident", _("Major incident")
    SCHEDULED_REPORT = "scheduled_report", _("Scheduled report")
