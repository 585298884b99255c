"""The visibility layer: the only way UI, API, search, exports and reports read tickets.

Rules (one place, STYLE §4):
- requesters see tickets they requested or watch, and every ticket of an organisation they manage;
- agents see every ticket except those in restricted categories (and their subcategories),
  which only members of the categories' groups see; administrators see everything;
- internal work notes and internal attachments never reach a requester.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from itsm.core.errors import NotFound
from itsm.core.stamps import rows_by_id, stamp_in_hand

if TYPE_CHECKING:
    from itsm.accounts.models import User
    from itsm.tickets.models import Attachment, JournalEntry, Ticket  # noqa: F401


def hidden_category_ids(user: User) -> frozenset[int]:
    """Categories whose tickets this agent may not see: restricted ones outside the agent's groups,
    with their subcategories.

    Remembered on the user object, which lives for one request (or one worker step): a request
    that reads tickets several times asks the database once.
    """
    cached: frozenset[int] | None = getattr(user, "_hidden_category_ids", None)
    if cached is None:
        cached = _compute_hidden_category_ids(user)
        user._hidden_category_ids = cached  # type: ignore[attr-defined]
    return cached


def _compute_hidden_category_ids(user: User) -> frozenset[int]:
    """Categories restricted to groups the user is not in, and every category below them, from
    the category tree the process keeps (``itsm.taxonomy.reference``)."""
    from itsm.taxonomy.reference import category_tree

    tree = category_tree()
    if not tree.restricted_to:
        return frozenset()
    member_of = set(user.assignment_groups.values_list("pk", flat=True))
    roots = {pk for pk, groups in tree.restricted_to.items() if not groups & member_of}
    if not roots:
        return frozenset()
    return frozenset(pk for pk in tree.parents if tree.path_ids(pk) & roots)


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

    def search(self, text: str) -> TicketQuerySet:
        """Tickets whose number is ``text``, or whose title and description hold every word of it.

        On PostgreSQL each word matches as a word prefix through the full-text index of migration
        ``tickets.0004`` (``printer jam`` finds "Printer jams"), fast on millions of rows; on
        SQLite each word matches as a substring.
        """
        text = text.strip()
        if not text:
            return self
        words = re.findall(r"\w+", text)[:10]
        # Numbers are stored upper-case: an exact match keeps the unique index usable
        # (UPPER(number) would force a scan of the whole table).
        by_number = Q(number=text.upper())
        if not words:
            return self.filter(by_number)
        if connection.vendor == "postgresql":
            prefixes = " & ".join(f"{word}:*" for word in words)
            # A word that matches as a word prefix is a substring of the lower-cased text: that
            # check costs a microsecond where building the row's tsvector costs twenty, so it
            # goes first and rows without the words skip the full-text test. (Only for plain
            # ASCII words, which the full-text parser keeps whole.) It matters when PostgreSQL
            # checks rows one by one, as in a newest-first search walking the opened_at index.
            plain = [word.lower() for word in words if word.isascii() and word.isalnum()]
            checks = [f"strpos(lower({SEARCH_TEXT}), %s) > 0" for _ in plain]
            checks.append(f"{SEARCH_DOCUMENT} @@ to_tsquery('simple', %s)")
            # The SQL is made of constants; the words travel as bound parameters.
            matches = RawSQL(  # noqa: S611
                "(" + " AND ".join(checks) + ")",
                [*plain, prefixes],
                output_field=BooleanField(),
            )
            return self.filter(by_number | Q(matches))
        every_word = Q()
        for word in words:
            every_word &= Q(title__icontains=word) | Q(description__icontains=word)
        return self.filter(by_number | every_word)


#: The text the full-text index covers; the query must repeat the index's expression exactly.
SEARCH_TEXT = (
    "COALESCE(\"tickets_ticket\".\"title\", '') || ' ' || "
    'COALESCE("tickets_ticket"."description", \'\')'
)
SEARCH_DOCUMENT = f"to_tsvector('simple'::regconfig, {SEARCH_TEXT})"


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


def user_can_see_ticket(user: Any, ticket: Ticket) -> bool:
    """Whether ``user`` may see this ticket: the same rules as ``visible_to``, answered from the
    row in hand where they allow it (notifications ask this once per recipient)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.is_agent:
        if ticket.category_id is None:
            return True
        restrictions = _restrictions_above(ticket)
        if not restrictions:
            return True
        member_of = set(user.assignment_groups.values_list("pk", flat=True))
        return all(groups & member_of for groups in restrictions)
    if ticket.requester_id == user.pk:
        return True
    from itsm.tickets.models import Ticket

    return Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()


def _restrictions_above(ticket: Ticket) -> list[set[int]] | list[frozenset[int]]:
    """The group sets of the restricted categories on the ticket's category path (remembered on
    the ticket: one look however many recipients a notification has), from the category tree
    the process keeps (``itsm.taxonomy.reference``)."""
    cached: tuple[int | None, list[set[int]]] | None = getattr(
        ticket, "_category_restrictions", None
    )
    if cached is not None and cached[0] == ticket.category_id:
        return cached[1]
    from itsm.taxonomy.reference import category_tree

    tree = category_tree()
    found: list[frozenset[int]] = []
    node: int | None = ticket.category_id if tree.restricted_to else None
    while node is not None:
        if node in tree.restricted_to:
            found.append(tree.restricted_to[node])
        node = tree.parents.get(node)
    ticket._category_restrictions = (ticket.category_id, found)  # type: ignore[attr-defined]
    return found


def access_ticket_by_number(user: Any, number: str, *, for_write: bool = False) -> Ticket:
    """The ticket with this number if the user may see it; NotFound otherwise.

    Unknown and invisible numbers answer the same, so numbers do not leak. ``for_write``
    locks the row until the end of the transaction (the caller must be inside one).
    """
    from itsm.tickets.models import Ticket

    qs = Ticket.objects.visible_to(user)
    # People and the configuration item come with the ticket. Its group, service and category
    # come from the process's reference rows when the request holds their version already (an
    # agent's visibility reads it), as Django spent more time building a seven-table join than
    # PostgreSQL spent running it; otherwise joined, with two levels of the category's parents.
    from_cache = stamp_in_hand()
    if from_cache:
        qs = qs.select_related("requester", "assignee", "configuration_item")
    else:
        qs = qs.select_related(
            "requester",
            "assignee",
            "assignment_group",
            "category__parent__parent",
            "service",
            "configuration_item",
        )
    if for_write:
        qs = qs.select_for_update(of=("self",))
    # Numbers are unique: no ordering (``first()`` ordered by the model's default, and Django
    # then compared each of the dozens of selected columns with it, half the statement's cost).
    found = list(qs.filter(number=number.strip().upper()).order_by()[:1])
    if not found:
        raise NotFound(f"No ticket {number!s} that you may see.")
    ticket = found[0]
    if from_cache:
        _attach_reference_rows(ticket)
    return ticket


def _attach_reference_rows(ticket: Ticket) -> None:
    """Give the ticket its assignment group, service and category (with every parent, so its
    path needs no query) as copies of the rows the process keeps for the request's version of
    the reference tables (``itsm.core.stamps.rows_by_id``): no query. A row missing there
    (created since the version was read) is left to Django, which reads it when it is used."""
    from itsm.accounts.models import Group
    from itsm.cmdb.models import Service
    from itsm.taxonomy.models import Category

    meta = type(ticket)._meta
    for field, model in (("assignment_group", Group), ("service", Service)):
        pk = getattr(ticket, f"{field}_id")
        row = rows_by_id(model).get().get(pk) if pk is not None else None
        if row is not None:
            # A copy: the cached row is shared by every thread of the process.
            meta.get_field(field).set_cached_value(ticket, copy.copy(row))  # type: ignore[union-attr]
    if ticket.category_id is None:
        return
    categories = rows_by_id(Category).get()
    parent_field = Category._meta.get_field("parent")
    holder: Any = ticket
    holder_field: Any = meta.get_field("category")
    node_id: int | None = ticket.category_id
    seen: set[int] = set()
    while node_id is not None and node_id not in seen:
        row = categories.get(node_id)
        if row is None:
            return
        seen.add(node_id)
        node = copy.copy(row)
        holder_field.set_cached_value(holder, node)
        holder, holder_field, node_id = node, parent_field, node.parent_id


def access_attachment(user: Any, number: str, attachment_id: int) -> Attachment:
    from itsm.tickets.models import Attachment

    ticket = access_ticket_by_number(user, number)
    attachment = Attachment.objects.for_ticket(ticket, user).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} on {ticket.number} that you may see.")
    return attachment
