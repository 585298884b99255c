"""Foreign keys led by a composite index carry no index of their own; their constraints stay."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from itsm.notifications.models import OutboxMessage
from itsm.tickets.models import JournalEntry, Ticket

pytestmark = pytest.mark.django_db

COVERED = [
    (Ticket, "requester_id", "ticket_requester_idx"),
    (Ticket, "organization_id", "ticket_org_state_idx"),
    (Ticket, "assignment_group_id", "ticket_group_queue_idx"),
    (Ticket, "assignee_id", "ticket_assignee_idx"),
    (JournalEntry, "ticket_id", "journal_ticket_time_idx"),
    (OutboxMessage, "ticket_id", "outbox_ticket_idx"),
]


def _constraints(table: str) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


@pytest.mark.parametrize(("model", "column", "composite"), COVERED)
def test_covered_foreign_key_has_only_the_composite_index(model, column, composite):
    constraints = _constraints(model._meta.db_table)

    single = [
        name
        for name, info in constraints.items()
        if info["index"] and info["columns"] == [column] and not info["primary_key"]
    ]
    assert single == []
    assert constraints[composite]["columns"][0] == column
    if connection.vendor == "postgresql":  # SQLite reports foreign keys without names
        assert any(
            info["foreign_key"] and info["columns"] == [column] for info in constraints.values()
        )


def _check_foreign_keys_now() -> None:
    """Check the deferred foreign keys at once; IntegrityError when one is broken."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            return
        cursor.execute("PRAGMA foreign_key_check")
        if cursor.fetchall():
            raise IntegrityError("a foreign key is broken")


def _point_at_a_missing_requester(ticket: Ticket) -> None:
    with transaction.atomic():  # rolled back by the error: the ticket stays as it was
        Ticket.objects.filter(pk=ticket.pk).update(requester_id=10**9)
        _check_foreign_keys_now()


def test_the_foreign_keys_still_hold(requester, create_ticket):
    ticket = create_ticket(requester=requester)

    with pytest.raises(IntegrityError):
        _point_at_a_missing_requester(ticket)

    ticket.refresh_from_db()
    assert ticket.requester_id == requester.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planning aids")
def test_queue_pages_have_their_partial_indexes() -> None:
    """The queue's open tickets of a group and kind, and its unassigned ones, in page order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", ["tickets_ticket"]
        )
        found = dict(cursor.fetchall())
    for name in ("ticket_open_group_kind_due_idx", "ticket_open_unassigned_due_idx"):
        assert "(assignment_group_id, kind, sla_due_at, id)" in found[name]
    assert "assignee_id IS NULL" in found["ticket_open_unassigned_due_idx"]
