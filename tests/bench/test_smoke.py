"""The benchmark harness runs end to end on a tiny scale, so it never rots.

No timing is asserted: only that every scenario ran (or said why it could not), that the
requests succeeded, and that the JSON and Markdown results were written.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bench_database(tmp_path: Path) -> str:
    """SQLite in the SQLite pass; a database of its own on the PostgreSQL pass (COPY path)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        user = database.get("USER") or "postgres"
        return f"postgresql://{user}@{host}:{port}/itsm_bench_pytest"
    return f"sqlite:///{tmp_path / 'bench.sqlite3'}"


def _run_bench(database: str, results: Path, *extra: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "ITSM_TESTING"}
    completed = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--db",
            database,
            "--scale",
            "300",
            "--port",
            str(_free_port()),
            "--results",
            str(results),
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    [json_file] = results.glob("*.json")
    return dict(json.loads(json_file.read_text(encoding="utf-8")))


def _ticket_count(database: str) -> int:
    if database.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(database) as conn:
            row = conn.execute("SELECT COUNT(*) FROM tickets_ticket").fetchone()
    else:
        with closing(sqlite3.connect(database.removeprefix("sqlite:///"))) as conn:
            row = conn.execute("SELECT COUNT(*) FROM tickets_ticket").fetchone()
    assert row is not None
    return int(row[0])


def test_smoke_harness_runs_every_scenario(tmp_path: Path) -> None:
    database = _bench_database(tmp_path)
    results = tmp_path / "results"
    run = _run_bench(database, results, "--duration", "0.6", "--regenerate")
    [markdown_file] = results.glob("*.md")
    assert run["scale"] == 300
    assert run["dataset"]["tickets"] == 300
    assert run["dataset"]["journal_entries"] > 300
    assert run["machine"]["cores"] >= 1
    outcome = run["results"]
    for name in ("L1", "L2", "L3", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"):
        assert name in outcome, name
        if outcome[name].get("status") != "ok":
            assert outcome[name]["reason"], name
            continue
        assert outcome[name].get("errors", 0) == 0, (name, outcome[name].get("error_samples"))
    assert outcome["S1"]["requests"] > 0
    assert outcome["S1/L1"]["ratio"] is not None
    assert any(p["role"] == "web worker" for p in outcome["memory"]["processes"])
    # Every server scenario says where its CPU went; the web workers did the S1 work.
    cpu = outcome["S1"]["cpu"]
    assert cpu["cpu_seconds"]["web workers"] > 0
    assert cpu["server_cpu_ms_per_request"] > 0
    # The worker delivered the creations' mails over SMTP to the harness's sink.
    assert outcome["mail"]["messages"] > 0
    text = markdown_file.read_text(encoding="utf-8")
    assert "| budget | measured | met |" in text
    assert "| scenario | web workers | background worker | database |" in text
    # The built data set was kept as its pristine copy; S1 and S8 then logged incidents.
    assert run["dataset"]["snapshot_seconds"] >= 0
    assert _ticket_count(database) > 300

    # A second run reuses the set: it starts from the pristine copy, without the first run's
    # incidents, so two runs of one command measure the same data.
    again = _run_bench(database, tmp_path / "again", "--duration", "0.3", "--only", "L2")
    assert again["dataset"]["reused"] is True
    assert again["dataset"]["restored"] is True
    assert _ticket_count(database) == 300
