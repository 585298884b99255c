"""itsm.core.bulk writes the same rows as Django's own bulk_create and save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from itsm.accounts.models import User
from itsm.core.bulk import insert_objects, insert_values, update_objects
from itsm.tickets.choices import JournalType
from itsm.tickets.models import JournalEntry, Ticket

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _entry(ticket: Ticket, actor: User | None, n: int) -> JournalEntry:
    return JournalEntry(
        ticket=ticket,
        entry_type=JournalType.SYSTEM,
        actor=actor,
        created_at=AT + timedelta(minutes=n),
        is_internal=n % 2 == 0,
        body=f"line {n} with “quotes”, 'apostrophes', \\ and %s",
        data={"event": "sla_warning", "n": n, "nested": {"list": [1, None, "x"]}},
    )


def _stored(entry: JournalEntry) -> dict[str, Any]:
    row = model_to_dict(JournalEntry.objects.get(pk=entry.pk))
    row.pop("id")
    return row


def test_insert_objects_writes_what_bulk_create_writes(
    create_ticket: Callable[..., Ticket], requester: User, agent: User
) -> None:
    ticket = create_ticket(requester=requester)
    ours = [_entry(ticket, agent, n) for n in range(3)] + [_entry(ticket, None, 3)]
    theirs = [_entry(ticket, agent, n) for n in range(3)] + [_entry(ticket, None, 3)]

    insert_objects(ours)
    JournalEntry.objects.bulk_create(theirs)

    assert all(e.pk is not None and not e._state.adding for e in ours)
    assert len({e.pk for e in ours}) == 4
    # Keys come back in the order the objects were given.
    assert [JournalEntry.objects.get(pk=e.pk).created_at for e in ours] == [
        e.created_at for e in ours
    ]
    assert [_stored(e) for e in ours] == [_stored(e) for e in theirs]


def _fresh_values(*given: str, **values: Any) -> dict[str, Any]:
    """Every column ``given`` does not name: the value a new entry has, or ``values``'."""
    fresh = JournalEntry(**values)
    return {
        f.name: getattr(fresh, f.attname)
        for f in JournalEntry._meta.concrete_fields
        if not f.primary_key and f.name not in given
    }


def test_insert_values_fills_fixed_columns(
    create_ticket: Callable[..., Ticket], requester: User
) -> None:
    ticket = create_ticket(requester=requester)
    before = set(JournalEntry.objects.values_list("pk", flat=True))

    insert_values(
        JournalEntry,
        ["ticket", "body", "data", "created_at"],
        [[ticket.pk, "first", {"a": 1}, AT], [ticket.pk, "second", {}, AT]],
        fixed=_fresh_values(
            "ticket", "body", "data", "created_at", entry_type=JournalType.COMMENT, is_internal=True
        ),
    )

    rows = JournalEntry.objects.exclude(pk__in=before).order_by("pk")
    assert [(r.body, r.data, r.entry_type, r.is_internal, r.created_at) for r in rows] == [
        ("first", {"a": 1}, JournalType.COMMENT, True, AT),
        ("second", {}, JournalType.COMMENT, True, AT),
    ]


def test_insert_values_returns_keys_only_on_postgresql(
    create_ticket: Callable[..., Ticket], requester: User
) -> None:
    ticket = create_ticket(requester=requester)
    row = [[ticket.pk, "x", {}, AT]]
    names = ["ticket", "body", "data", "created_at"]
    fixed = _fresh_values(*names, entry_type=JournalType.COMMENT)
    if connection.vendor == "postgresql":
        [key] = insert_values(JournalEntry, names, row, fixed=fixed, returning=True)
        assert JournalEntry.objects.get(pk=key).body == "x"
    else:
        with pytest.raises(ValueError, match="insert_objects"):
            insert_values(JournalEntry, names, row, fixed=fixed, returning=True)


def test_update_objects_writes_the_named_fields_only(
    create_ticket: Callable[..., Ticket], requester: User
) -> None:
    ticket = create_ticket(requester=requester)
    entries = [_entry(ticket, None, n) for n in range(3)]
    insert_objects(entries)
    for n, entry in enumerate(entries):
        entry.body = f"changed {n}"
        entry.data = {"changed": n}
        entry.created_at = AT + timedelta(days=n)
        entry.is_internal = True  # not among the names: stays as stored

    update_objects(entries, ["body", "data", "created_at"])

    stored = {e.pk: e for e in JournalEntry.objects.filter(pk__in=[e.pk for e in entries])}
    for n, entry in enumerate(entries):
        row = stored[entry.pk]
        assert (row.body, row.data, row.created_at) == (
            f"changed {n}",
            {"changed": n},
            AT + timedelta(days=n),
        )
        assert row.is_internal == (n % 2 == 0)


def test_empty_batches_write_nothing() -> None:
    insert_objects([])
    update_objects([], ["body"])
    assert insert_values(JournalEntry, ["body"], []) == []


def test_insert_objects_takes_the_key_of_a_related_object_saved_after_assignment(
    create_ticket: Callable[..., Ticket], requester: User
) -> None:
    template = create_ticket(requester=requester)
    ticket = Ticket.objects.get(pk=template.pk)
    ticket.pk = None  # a new ticket, saved only after its journal line names it
    ticket.number = "INC-TEST-LATE"
    ticket._state.adding = True
    entry = _entry(ticket, None, 0)
    ticket.save()

    insert_objects([entry])

    assert JournalEntry.objects.get(pk=entry.pk).ticket_id == ticket.pk
