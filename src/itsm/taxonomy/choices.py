from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    """The ITIL record types. Numbers carry the prefix: INC0001234, REQ…, PRB…, CHG…"""

    INCIDENT = "incident", _("Incident")
    SERVICE_REQUEST = "service_request", _("Service Request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")


KIND_PREFIX = {
    TicketKind.INCIDENT: "INC",
    TicketKind.SERVICE_REQUEST: "REQ",
    TicketKind.PROBLEM: "PRB",
    TicketKind.CHANGE: "CHG",
}


class Impact(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Urgency(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Priority(models.TextChoices):
    """Priority derived from impact x urgency (SLA.md default matrix)."""

    P1 = "P1", _("1 - Critical")
    P2 = "P2", _("2 - High")
    P3 = "P3", _("3 - Moderate")
    P4 = "P4", _("4 - Low")
    P5 = "P5", _("5 - Planning")


DEFAULT_MATRIX: dict[tuple[str, str], str] = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("medium", "high"): "P2",
    ("high", "low"): "P3",
    ("medium", "medium"): "P3",
    ("low", "high"): "P3",
    ("medium", "low"): "P4",
    ("low", "medium"): "P4",
    ("low", "low"): "P5",
}
