"""``field__any`` finds what ``field__in`` finds, with one array parameter on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from itsm.accounts.models import User
from itsm.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_any_matches_what_in_matches(create_ticket: Callable[..., Ticket], requester: User) -> None:
    tickets = [create_ticket(requester=requester) for _ in range(4)]
    wanted = [tickets[0].pk, tickets[2].pk, 10**9]

    assert sorted(Ticket.objects.filter(pk__any=wanted).values_list("pk", flat=True)) == sorted(
        Ticket.objects.filter(pk__in=wanted).values_list("pk", flat=True)
    )
    assert set(Ticket.objects.filter(number__any=[tickets[1].number, "NOPE"])) == {tickets[1]}
    assert not Ticket.objects.filter(pk__any=[]).exists()
    # A foreign key's column, as the sweeps ask it.
    assert Ticket.objects.filter(requester_id__any=[requester.pk]).count() == 4
    assert Ticket.objects.exclude(pk__any=wanted).count() == 2


def test_the_statement_is_the_same_whatever_the_number_of_keys(
    create_ticket: Callable[..., Ticket], requester: User
) -> None:
    ticket = create_ticket(requester=requester)
    sent: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert len(Ticket.objects.filter(pk__any=[ticket.pk])) == 1
        assert len(Ticket.objects.filter(pk__any=[ticket.pk, *range(10**8, 10**8 + 200)])) == 1
    few, many = sent
    if connection.vendor == "postgresql":
        assert "= ANY(" in many
        assert few == many  # one text: parsed once by the driver, prepared once by the server
    else:
        assert many.count("%s") == few.count("%s") + 200
