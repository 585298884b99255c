"""Machine facts, the budget of the issue, and the JSON + Markdown files under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

# (scenario, figure, limit, "min" or "max", label)
BUDGET = (
    ("S1", "req_per_s", 400, "min", "S1 create incident ≥ 400 req/s"),
    ("S1", "p95_ms", 60, "max", "S1 p95 ≤ 60 ms"),
    ("S1/L1", "ratio", 0.1, "min", "S1/L1 ≥ 0.1"),
    ("S2", "p95_ms", 50, "max", "S2 agent queue p95 ≤ 50 ms"),
    ("S3", "p95_ms", 50, "max", "S3 API list p95 ≤ 50 ms"),
    ("S4", "p95_ms", 100, "max", "S4 search p95 ≤ 100 ms"),
    ("S5", "p95_ms", 40, "max", "S5 ticket page p95 ≤ 40 ms"),
    ("S6", "p95_ms", 1000, "max", "S6 every report ≤ 1 s"),
    ("S7", "first_sweep_s", 2, "max", "S7 SLA sweep ≤ 2 s"),
    ("memory", "web_worker_peak_mb", 150, "max", "each web worker ≤ 150 MB RSS"),
)


def machine_facts(database: str) -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import django

    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": _git_commit(),
    }


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def budget(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for scenario, figure, limit, sense, label in BUDGET:
        if scenario == "S6":
            reports = results.get("S6", {}).get("actions") or (
                {"all": results["S6"]} if results.get("S6", {}).get("status") == "ok" else {}
            )
            values = [a.get("p95_ms") for a in reports.values() if a.get("p95_ms") is not None]
            value = max(values) if values else None
        else:
            value = results.get(scenario, {}).get(figure)
        met = None if value is None else (value >= limit if sense == "min" else value <= limit)
        rows.append({"budget": label, "measured": value, "met": met})
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _dataset_origin(data: dict[str, Any]) -> str:
    if data.get("restored"):
        return (
            "reused, restored from its pristine copy in "
            f"{data.get('restore_seconds', 0):.1f} s (the state it was built and caught up to)."
        )
    if data["reused"]:
        return "reused as earlier runs left it (no pristine copy yet)."
    return f"loaded in {data['seconds']:.1f} s ({data['per_second']:,.0f} tickets/s)."


def markdown(run: dict[str, Any]) -> str:
    facts = run["machine"]
    lines = [
        f"# Benchmark {run['started_at']} — {run['scale']:,} tickets on {facts['database']}",
        "",
        f"Command: `{run['command']}`",
        "",
        f"Machine: {facts['cpu_model']}, {facts['cores']} cores, {facts['memory_gb']} GB; "
        f"Python {facts['python']}, Django {facts['django']}; commit {facts['git_commit']}; "
        f"load average {facts['load_average_at_start']} at start, "
        f"{run.get('load_average_at_end')} at end. Web workers: {run['web_workers']}.",
        "",
    ]
    data = run["dataset"]
    lines += [
        f"Data set: {data['tickets']:,} tickets, {data['journal_entries']:,} journal entries, "
        f"{data.get('sla_instances', 0):,} open SLA instances; "
        + _dataset_origin(data)
        + (
            f" Reporting rollup brought up to date before measuring: "
            f"{data['rollup_tickets']:,} tickets in {data['rollup_seconds']:.1f} s."
            if data.get("rollup_tickets")
            else ""
        )
        + (
            " Background worker's jobs caught up before measuring: "
            + (", ".join(f"{k} {v:,}" for k, v in data["worker_catch_up"].items()) or "nothing due")
            + f" in {data['worker_catch_up_seconds']:.1f} s."
            if data.get("worker_catch_up_seconds") is not None
            else ""
        )
        + (
            f" VACUUM (ANALYZE) before measuring: {data['vacuum_seconds']:.1f} s."
            if data.get("vacuum_seconds") is not None
            else ""
        ),
        "",
        "| scenario | conc. | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figures in run["results"].items():
        if name in {"S1/L1", "memory", "mail"}:
            continue
        if figures.get("status") != "ok":
            lines.append(
                f"| {name} {figures.get('title', '')} | {figures.get('status')}: "
                f"{figures.get('reason', '')} ||||||| "
            )
            continue
        if name == "S7":
            lines.append(
                f"| S7 SLA sweep ({_cell(figures.get('crossing'))} of "
                f"{_cell(figures.get('open_instances'))} open instances due) | – | "
                f"{_cell(figures.get('first_sweep_fired'))} fired | – | – | "
                f"first sweep {_cell(figures.get('first_sweep_s'))} s | second sweep "
                f"{_cell(figures.get('second_sweep_s'))} s | – |"
            )
            continue
        rate = figures.get("req_per_s", figures.get("ops_per_s"))
        count = figures.get("requests", figures.get("operations"))
        lines.append(
            f"| {name} {figures.get('title', '')} | {_cell(figures.get('concurrency'))} | "
            f"{_cell(count)} | {_cell(figures.get('errors'))} | {_cell(rate)} | "
            f"{_cell(figures.get('p50_ms'))} | {_cell(figures.get('p95_ms'))} | "
            f"{_cell(figures.get('p99_ms'))} |"
        )
        for action, sub in (figures.get("actions") or {}).items():
            lines.append(
                f"| &nbsp;&nbsp;↳ {action} | | {_cell(sub['requests'])} | {_cell(sub['errors'])} "
                f"| {_cell(sub['req_per_s'])} | {_cell(sub['p50_ms'])} | {_cell(sub['p95_ms'])} "
                f"| {_cell(sub['p99_ms'])} |"
            )
    lines += _cpu_table(run["results"])
    mail = run["results"].get("mail")
    if mail:
        lines += [
            "",
            f"Mails delivered by the worker over SMTP to the loopback sink during the run: "
            f"{mail['messages']:,} ({mail['bytes'] / 1e6:,.1f} MB).",
        ]
    ratio = run["results"].get("S1/L1", {}).get("ratio")
    lines += ["", f"S1/L1 (API incident creations per storage commit): {_cell(ratio)}", ""]
    memory = run["results"].get("memory", {})
    if memory.get("processes"):
        lines += ["| process | pid | peak RSS MB |", "|---|---:|---:|"]
        lines += [
            f"| {p['role']} | {p['pid']} | {p['peak_rss_mb']:.0f} |" for p in memory["processes"]
        ]
        lines.append("")
    lines += ["| budget | measured | met |", "|---|---:|---|"]
    for row in run["budget"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[row["met"]]
        lines.append(f"| {row['budget']} | {_cell(row['measured'])} | {met} |")
    lines.append("")
    return "\n".join(lines)


def _cpu_table(results: dict[str, Any]) -> list[str]:
    """CPU milliseconds per request by process group, and the rate the desk's share allows."""
    rows = [
        (name, figures["cpu"])
        for name, figures in results.items()
        if isinstance(figures, dict) and figures.get("cpu")
    ]
    if not rows:
        return []
    lines = [
        "",
        "CPU per request (ms of CPU time, all cores; the ceiling is cores × 1000 / the desk's "
        "share: web, worker and database, without the harness's own load generator and SMTP sink):",
        "",
        "| scenario | web workers | background worker | database | load generator and mail sink "
        "| other "
        "| desk total | machine busy % | ceiling req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, cpu in rows:
        per = cpu["cpu_ms_per_request"]
        lines.append(
            f"| {name} | {_cell(per['web workers'])} | {_cell(per['background worker'])} "
            f"| {_cell(per['database'])} | {_cell(per['load generator'])} | {_cell(per['other'])} "
            f"| {_cell(cpu['server_cpu_ms_per_request'])} | {_cell(cpu['machine_busy_pct'])} "
            f"| {_cell(cpu['ceiling_req_per_s'])} |"
        )
    return lines


def write(run: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    engine = "pg" if run["machine"]["database"].startswith("PostgreSQL") else "sqlite"
    base = directory / f"{stamp}-{engine}-{run['scale']}"
    json_path = base.with_suffix(".json")
    md_path = base.with_suffix(".md")
    json_path.write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown(run), encoding="utf-8")
    return json_path, md_path
