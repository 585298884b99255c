"""The SLA sweep's batches run side by side on two connections (PostgreSQL) and still fire
each threshold once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

import pytest
from django.db import connection

from itsm.accounts.models import User
from itsm.core.parallel import batch_connections
from itsm.notifications.models import OutboxMessage
from itsm.sla import sweep
from itsm.tickets.choices import JournalType
from itsm.tickets.models import JournalEntry, Ticket
from tests.sla.conftest import at

# Committed data: the sweep's other connection must see the tickets.
pytestmark = pytest.mark.django_db(transaction=True)


def test_batches_on_two_connections_fire_each_threshold_once(
    create_ticket: Callable[..., Ticket],
    requester: User,
    agent: User,
    manager: User,
    monday: datetime,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.ITSM_SWEEP_CONNECTIONS = 2  # type: ignore[attr-defined]
    tickets = [create_ticket(requester=requester, now=monday) for _ in range(6)]
    monkeypatch.setattr(sweep, "BATCH_SIZE", 1)  # a batch per due instance
    threads: set[str] = set()
    real = sweep._sweep_tickets

    def counted(ticket_ids: Sequence[int], now: datetime) -> int:
        threads.add(threading.current_thread().name)
        return real(ticket_ids, now)

    monkeypatch.setattr(sweep, "_sweep_tickets", counted)

    assert sweep.sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 6
    assert sweep.sweep_sla_thresholds(now=at("2025-03-03 12:00")) == 0

    if connection.vendor == "postgresql":
        assert batch_connections() == 2
        assert threads == {"sweep-0", "sweep-1"}
    else:  # one writer at a time: the batches run in the caller's thread
        assert batch_connections() == 1
        assert threads == {threading.current_thread().name}
    for ticket in tickets:
        [line] = JournalEntry.objects.filter(ticket=ticket, entry_type=JournalType.SLA)
        assert (line.data["event"], line.data["percent"]) == ("sla_warning", 50)
        mails = OutboxMessage.objects.filter(ticket=ticket, event="sla_warning")
        assert sorted(mails.values_list("to_email", flat=True)) == [agent.email, manager.email]
