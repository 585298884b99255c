"""Where the CPU goes during a scenario: web workers, background worker, PostgreSQL, and the
load generator itself, in CPU milliseconds per request.

The machine has few cores and runs everything at once, so a request's latency says little about
its cost. CPU time per request does: ``cores × 1000 / total CPU ms per request`` is the rate the
machine could reach at full load, and the split shows which process to make cheaper.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

import psutil

GROUPS = ("web workers", "background worker", "database", "load generator", "other")


def _cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _database_role(proc: psutil.Process, database: str | None) -> str:
    """PostgreSQL's own processes and the backends of the bench database count as the database;
    backends of other databases on the same server are someone else's work."""
    try:
        title = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    # Backends are titled "postgres: <cluster>: <user> <database> <client> <state>".
    is_backend = "(" in title or "[local]" in title
    if database is None or not is_backend or f" {database} " in f"{title} ":
        return "database"
    return "other"


def _group(
    proc: psutil.Process, server_pids: set[int], worker_pids: set[int], database: str | None
) -> str:
    if proc.pid == os.getpid():
        return "load generator"
    if proc.pid in worker_pids:
        return "background worker"
    if proc.pid in server_pids:
        return "web workers"
    try:
        name = proc.name()
    except psutil.Error:
        return "other"
    if name.startswith(("postgres", "postmaster")):
        return _database_role(proc, database)
    return "other"


@dataclass
class CpuSnapshot:
    wall: float
    by_pid: dict[int, tuple[str, float]] = field(default_factory=dict)


@dataclass
class CpuMeter:
    """Snapshots of every process's CPU time; the difference of two is one scenario's cost.

    ``server_root`` is the pid of `itsm serve` (its descendants are the web and worker
    processes), or None for an in-process measurement; ``database`` the bench database's name
    (PostgreSQL backends of other databases then count as "other").
    """

    server_root: int | None = None
    database: str | None = None

    def _server_pids(self) -> tuple[set[int], set[int]]:
        if self.server_root is None:
            return set(), set()
        try:
            children = psutil.Process(self.server_root).children(recursive=True)
        except psutil.Error:
            return set(), set()
        workers: set[int] = set()
        web: set[int] = set()
        for child in children:
            try:
                command = child.cmdline()
            except psutil.Error:
                continue
            (workers if "worker" in command else web).add(child.pid)
        return web, workers

    def snapshot(self) -> CpuSnapshot:
        web, workers = self._server_pids()
        snap = CpuSnapshot(wall=time.perf_counter())
        for proc in psutil.process_iter():
            try:
                group = _group(proc, web, workers, self.database)
                snap.by_pid[proc.pid] = (group, _cpu_seconds(proc))
            except psutil.Error:
                continue
        return snap

    @staticmethod
    def spent(before: CpuSnapshot, after: CpuSnapshot, requests: int) -> dict[str, object]:
        """CPU seconds per group between two snapshots, and milliseconds per request."""
        seconds: dict[str, float] = defaultdict(float)
        for pid, (group, used) in after.by_pid.items():
            earlier = before.by_pid.get(pid)
            seconds[group] += used - (earlier[1] if earlier else 0.0)
        wall = after.wall - before.wall
        cores = os.cpu_count() or 1
        total = sum(seconds.values())
        per_request = {
            group: round(seconds[group] * 1000 / requests, 2) if requests else None
            for group in GROUPS
        }
        served = total - seconds["load generator"] - seconds["other"]
        return {
            "cpu_seconds": {group: round(seconds[group], 2) for group in GROUPS},
            "cpu_ms_per_request": per_request,
            "server_cpu_ms_per_request": round(served * 1000 / requests, 2) if requests else None,
            "machine_busy_pct": round(100 * total / (wall * cores), 1) if wall else None,
            # What the desk (web, worker, database) could serve if it had every core to itself.
            "ceiling_req_per_s": round(cores * requests / served, 1) if served > 0 else None,
        }
