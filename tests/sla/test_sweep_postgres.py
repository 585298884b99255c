"""Two SLA sweepers at once on PostgreSQL: every threshold fires exactly once.

Runs only on PostgreSQL (``ITSM_DATABASE_URL=postgresql://…``): SQLite has one writer at a time,
so there is no concurrency to prove there.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from itsm.accounts.models import User
from itsm.notifications.models import OutboxMessage
from itsm.sla.sweep import sweep_sla_thresholds
from itsm.tickets.choices import JournalType
from itsm.tickets.models import JournalEntry, Ticket
from tests.sla.conftest import at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (row locks with SKIP LOCKED); SQLite serialises writers",
    ),
]

TICKETS = 40


def _sweep_in_thread(now_text: str, start: threading.Barrier, results: list[int]) -> None:
    from django.db import connection as thread_connection

    try:
        start.wait(timeout=30)
        results.append(sweep_sla_thresholds(now=at(now_text)))
    finally:
        thread_connection.close()


def _race(now_text: str) -> list[int]:
    start = threading.Barrier(2)
    results: list[int] = []
    workers = [
        threading.Thread(target=_sweep_in_thread, args=(now_text, start, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert len(results) == 2, "a sweeper failed"
    return results


def test_two_workers_fire_each_threshold_once(
    create_ticket: Callable[..., Ticket], requester: User, agent: User
) -> None:
    for _ in range(TICKETS):
        create_ticket(requester=requester, now=at("2025-03-03 10:00"))

    # 12:00: the response SLAs' 50 % warnings; 13:00: 75 %; 14:01: breaches.
    for now_text in ("2025-03-03 12:00", "2025-03-03 13:00", "2025-03-03 14:01"):
        assert sum(_race(now_text)) == TICKETS

    lines = JournalEntry.objects.filter(entry_type=JournalType.SLA)
    fired = Counter(
        (entry["instance"], entry["event"], entry["percent"])
        for entry in lines.values_list("data", flat=True)
    )
    assert len(fired) == 3 * TICKETS
    assert set(fired.values()) == {1}
    # One message to the agent (the queue's only member) per threshold, none twice.
    messages = OutboxMessage.objects.filter(event__in=["sla_warning", "sla_breach"])
    assert messages.count() == 3 * TICKETS
    assert messages.values("journal_entry").distinct().count() == 3 * TICKETS
    assert sum(_race("2025-03-03 14:30")) == 0
