"""itsm.core.parallel runs every batch once, sums their counts and reports a batch's error."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from itsm.core.parallel import run_batches


def _batches(ran: list[int], failing: int | None = None) -> list[Callable[[], int]]:
    lock = threading.Lock()

    def batch(n: int) -> Callable[[], int]:
        def run() -> int:
            with lock:
                ran.append(n)
            if n == failing:
                raise RuntimeError(f"batch {n} failed")
            return n

        return run

    return [batch(n) for n in range(1, 11)]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_every_batch_runs_once_and_the_counts_add_up(threads: int) -> None:
    ran: list[int] = []
    assert run_batches(_batches(ran), threads=threads) == 55
    assert sorted(ran) == list(range(1, 11))


def test_a_failing_batch_is_raised_after_the_others_ran() -> None:
    ran: list[int] = []
    with pytest.raises(RuntimeError, match="batch 1 failed"):
        run_batches(_batches(ran, failing=1), threads=2)
    # The batches already handed out finish; the error stops the rest from being taken.
    assert 1 in ran
    assert len(ran) == len(set(ran))


def test_batches_are_taken_lazily() -> None:
    taken: list[int] = []

    def lazy() -> object:
        for n in range(5):
            taken.append(n)
            yield lambda: 1

    assert run_batches(lazy(), threads=2) == 5  # type: ignore[arg-type]
    assert taken == list(range(5))


@pytest.mark.django_db
def test_inside_a_transaction_the_batches_run_on_the_callers_connection() -> None:
    from django.db import transaction

    names: list[str] = []

    def batch() -> int:
        names.append(threading.current_thread().name)
        return 1

    with transaction.atomic():  # the batches must see this transaction's rows
        assert run_batches([batch, batch, batch], threads=2) == 3
    assert names == [threading.current_thread().name] * 3
