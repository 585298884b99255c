from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketState(models.TextChoices):
    """Lifecycle states of every kind. Which ones a kind uses, and how it moves, is in lifecycles.py."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In Progress")
    PENDING_USER = "pending_user", _("Pending User")
    WAITING_FOR_VENDOR = "waiting_for_vendor", _("Waiting for Vendor")
    ON_HOLD = "on_hold", _("On Hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


#: States in which a ticket is no longer worked on (not in any backlog).
INACTIVE_STATES = frozenset({TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED})
#: States that pause resolution SLAs by default.
PAUSE_STATES = frozenset(
    {TicketState.PENDING_USER, TicketState.WAITING_FOR_VENDOR, TicketState.ON_HOLD}
)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    CHAT = "chat", _("Chat")
    MONITORING = "monitoring", _("Monitoring")
    API = "api", _("API")


class JournalType(models.TextChoices):
    COMMENT = "comment", _("Public comment")
    WORK_NOTE = "work_note", _("Work note")
    FIELD_CHANGE = "field_change", _("Field change")
    TRANSITION = "transition", _("State change")
    SYSTEM = "system", _("System event")
    SLA = "sla", _("SLA event")


class LinkType(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    CAUSED_BY = "caused_by", _("Caused by")
    RELATED = "related", _("Related to")


class ResolutionCode(models.TextChoices):
    SOLVED_PERMANENTLY = "solved_permanently", _("Solved (permanently)")
    WORKAROUND = "workaround", _("Workaround provided")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    DUPLICATE = "duplicate", _("Duplicate")
    USER_ERROR = "user_error", _("User error / training")
    RESOLVED_BY_CHANGE = "resolved_by_change", _("Resolved by change")
    RESOLVED_BY_CALLER = "resolved_by_caller", _("Resolved by caller")
    NO_FAULT_FOUND = "no_fault_found", _("No fault found")
