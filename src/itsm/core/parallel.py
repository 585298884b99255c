"""Running a sweep's batches on several database connections at once.

A batch spends about half its time waiting for PostgreSQL (statements, commit) and half in
Python. Run one after another, one core waits while the other works; run on two connections,
the database works on one batch while Python prepares the next. Batches must be safe to run
concurrently, as the sweeps' are by design (``SKIP LOCKED`` claims, compare-and-set marks): it is
what two worker processes would do, within one.

SQLite allows one writer at a time, so there the batches run one after another.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, connections

_DONE = None


def batch_connections() -> int:
    """How many connections a sweep's batches may use: ``ITSM_SWEEP_CONNECTIONS`` on
    PostgreSQL, one on SQLite."""
    if connection.vendor != "postgresql":
        return 1
    return max(1, int(settings.ITSM_SWEEP_CONNECTIONS))


def run_batches(batches: Iterable[Callable[[], int]], *, threads: int | None = None) -> int:
    """Run each batch (a callable returning a count) and return the sum of the counts.

    With more than one connection the batches run on that many threads, each with its own
    connection, closed when the sweep ends; called inside a transaction, on the caller's.
    ``batches`` is consumed as the threads take work, so a lazy iterable reads its next page only
    when a thread is free. The first error a batch raises is raised here once the other batches
    have finished.
    """
    threads = batch_connections() if threads is None else threads
    # Inside the caller's transaction the batches must see its rows, which no other connection
    # can before the commit: they run on the caller's connection.
    if threads <= 1 or connection.in_atomic_block:
        return sum(batch() for batch in batches)
    work: queue.Queue[Callable[[], int] | None] = queue.Queue(maxsize=threads)
    lock = threading.Lock()
    total = 0
    errors: list[BaseException] = []

    def serve() -> None:
        nonlocal total
        try:
            while (batch := work.get()) is not _DONE:
                try:
                    done = batch()
                except BaseException as error:  # re-raised by the caller's thread
                    errors.append(error)
                    continue
                with lock:
                    total += done
        finally:
            connections.close_all()  # this thread's connections

    workers = [threading.Thread(target=serve, name=f"sweep-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    try:
        for batch in batches:
            if errors:
                break
            work.put(batch)
    finally:
        for _ in workers:
            work.put(_DONE)
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    return total
