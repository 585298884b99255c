"""Storage baselines measured in the same run on the same database, to turn times into ratios.

L1: a single-row INSERT + COMMIT loop at the concurrency of S1: the most write transactions the
storage can commit. L2: a primary-key SELECT loop on the ticket table. Both run on asyncio:
psycopg's async connections on PostgreSQL; on SQLite each connection works in a thread of its own.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.load import Recorder

L1_TABLE = "bench_l1"


def _summary(recorder: Recorder, key: str) -> dict[str, Any]:
    figures = recorder.summary(key)
    figures["ops_per_s"] = figures.pop("req_per_s")
    figures["operations"] = figures.pop("requests")
    return figures


class _Op:
    def __init__(self, action: str) -> None:
        self.action = action
        self.method = "SQL"
        self.path = action


def measure(
    database_url: str, kind: str, *, concurrency: int, duration: float, max_id: int
) -> dict[str, Any]:
    """Run L1 ('insert') or L2 ('select') for ``duration`` seconds at ``concurrency``."""
    if database_url.startswith("sqlite:///"):
        coro = _sqlite(database_url.removeprefix("sqlite:///"), kind, concurrency, duration, max_id)
    else:
        coro = _postgresql(database_url, kind, concurrency, duration, max_id)
    recorder = asyncio.run(coro)
    figures = _summary(recorder, kind)
    figures["concurrency"] = concurrency
    return figures


async def _postgresql(
    url: str, kind: str, concurrency: int, duration: float, max_id: int
) -> Recorder:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as setup:
        await setup.execute(
            f"CREATE TABLE IF NOT EXISTS {L1_TABLE} "
            "(id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)"
        )
    recorder = Recorder()
    deadline = time.perf_counter() + duration
    op = _Op(kind)

    async def loop(seed: int) -> None:
        rng = random.Random(seed)
        async with await psycopg.AsyncConnection.connect(url) as conn:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if kind == "insert":
                    await conn.execute(
                        f"INSERT INTO {L1_TABLE} (payload, created_at) VALUES (%s, now())",  # noqa: S608 (constant table)
                        ["baseline row"],
                    )
                else:
                    cursor = await conn.execute(
                        "SELECT id, number, title, state FROM tickets_ticket WHERE id = %s",
                        [rng.randint(1, max_id)],
                    )
                    await cursor.fetchone()
                await conn.commit()
                recorder.record(op, time.perf_counter() - started, None)  # type: ignore[arg-type]

    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    recorder.finished = time.perf_counter()
    return recorder


async def _sqlite(path: str, kind: str, concurrency: int, duration: float, max_id: int) -> Recorder:
    setup = sqlite3.connect(path, timeout=20)
    setup.execute(
        f"CREATE TABLE IF NOT EXISTS {L1_TABLE} "
        "(id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, created_at TEXT NOT NULL)"
    )
    setup.commit()
    setup.close()
    recorder = Recorder()
    deadline = time.perf_counter() + duration
    op = _Op(kind)

    def loop(seed: int) -> None:
        rng = random.Random(seed)
        # The application's own settings: WAL, synchronous=NORMAL, write lock taken at BEGIN.
        conn = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if kind == "insert":
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(
                        f"INSERT INTO {L1_TABLE} (payload, created_at) "  # noqa: S608 (constant table)
                        "VALUES ('baseline row', datetime('now'))"
                    )
                    conn.execute("COMMIT")
                else:
                    conn.execute(
                        "SELECT id, number, title, state FROM tickets_ticket WHERE id = ?",
                        [rng.randint(1, max_id)],
                    ).fetchone()
                recorder.record(op, time.perf_counter() - started, None)  # type: ignore[arg-type]
        finally:
            conn.close()

    # One thread per connection (the default executor has fewer threads than connections).
    with ThreadPoolExecutor(max_workers=concurrency) as threads:
        running = asyncio.get_running_loop()
        await asyncio.gather(
            *(running.run_in_executor(threads, loop, i) for i in range(concurrency))
        )
    recorder.finished = time.perf_counter()
    return recorder
