"""Concurrent ticket creation on PostgreSQL: sixteen at once get sixteen distinct numbers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from itsm.taxonomy.choices import TicketKind
from itsm.workflow.actions import do_create_ticket

THREADS = 16


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_creations_get_distinct_numbers(
    requester: Any, service_desk: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; concurrent creation is a PostgreSQL concern")
    barrier = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            ticket = do_create_ticket(
                kind=TicketKind.INCIDENT,
                title=f"Outage report {i}",
                description="",
                requester=requester,
                actor=requester,
            )
            with lock:
                numbers.append(ticket.number)
        except BaseException as exc:  # surfaced by the assertion below
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == THREADS
