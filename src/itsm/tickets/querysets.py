"""The visibility layer: the only way UI, API, search, exports and reports read tickets.

Rules (one place, STYLE §4):
- requesters see tickets they requested or watch, and every ticket of an organisation they manage;
- agents see every ticket except those in restricted categories (and their subcategories),
  which only members of the categories' groups see; administrators see everything;
- internal work notes and internal attachments never reach a requester.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from itsm.core.errors import NotFound

if TYPE_CHECKING:
    from itsm.accounts.models import User
    from itsm.tickets.models import Attachment, JournalEntry, Ticket  # noqa: F401


def hidden_category_ids(user: User) -> set[int]:
    """Categories whose tickets this agent may not see: restricted ones outside the agent's groups."""
    from itsm.taxonomy.models import Category

    restricted = Category.objects.filter(restricted_to_groups__isnull=False).distinct()
    hidden: set[int] = set()
    member_of = set(user.assignment_groups.values_list("pk", flat=True))
    for category in restricted.prefetch_related("restricted_to_groups"):
        allowed = {group.pk for group in category.restricted_to_groups.all()}
        if not allowed & member_of:
            hidden |= category.descendant_ids()
    return hidden


def sees_internal(user: Any) -> bool:
    """Whether this user may read work notes and internal attachments."""
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, user: Any) -> TicketQuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_admin:
            return self
        if user.is_agent:
            hidden = hidden_category_ids(user)
            return self.exclude(category_id__in=hidden) if hidden else self
        return self.filter(requester_visibility_q(user))

    def open(self) -> TicketQuerySet:
        return self.exclude(state__in=["resolved", "closed", "cancelled"])


def requester_visibility_q(user: User) -> Q:
    from itsm.tickets.models import Watcher

    watching = Exists(Watcher.objects.filter(ticket=OuterRef("pk"), user=user))
    q = Q(requester=user) | Q(watching)
    managed = list(user.managed_organizations.values_list("pk", flat=True))
    if managed:
        q |= Q(organization_id__in=managed)
    return q


class JournalQuerySet(models.QuerySet["JournalEntry"]):
    def visible_to(self, user: Any) -> JournalQuerySet:
        """Entries of tickets the user sees; internal ones only for agents."""
        from itsm.tickets.models import Ticket

        qs = self.filter(ticket__in=Ticket.objects.visible_to(user).values("pk"))
        return qs if sees_internal(user) else qs.filter(is_internal=False)

    def for_ticket(self, ticket: Ticket, user: Any) -> JournalQuerySet:
        """A ticket's journal as this user may read it (the ticket was already access-checked)."""
        qs = self.filter(ticket=ticket)
        return qs if sees_internal(user) else qs.filter(is_internal=False)


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def for_ticket(self, ticket: Ticket, user: Any) -> AttachmentQuerySet:
        qs = self.filter(ticket=ticket)
        return qs if sees_internal(user) else qs.filter(is_internal=False)


def access_ticket_by_number(user: Any, number: str, *, for_write: bool = False) -> Ticket:
    """The ticket with this number if the user may see it; NotFound otherwise.

    Unknown and invisible numbers answer the same, so numbers do not leak. ``for_write``
    locks the row until the end of the transaction (the caller must be inside one).
    """
    from itsm.tickets.models import Ticket

    qs = Ticket.objects.visible_to(user).select_related(
        "requester", "assignee", "assignment_group", "category", "service", "configuration_item"
    )
    if for_write:
        qs = qs.select_for_update(of=("self",))
    ticket = qs.filter(number=number.strip().upper()).first()
    if ticket is None:
        raise NotFound(f"No ticket {number!s} that you may see.")
    return ticket


def access_attachment(user: Any, number: str, attachment_id: int) -> Attachment:
    from itsm.tickets.models import Attachment

    ticket = access_ticket_by_number(user, number)
    attachment = Attachment.objects.for_ticket(ticket, user).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} on {ticket.number} that you may see.")
    return attachment
