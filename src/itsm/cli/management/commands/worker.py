"""`itsm worker`: the background worker.

One loop runs the periodic sweeps (outbox delivery, SLA thresholds, escalations, auto-close)
and the queued background tasks (django-tasks database backend). Any number of workers may run:
every sweep claims its rows with a compare-and-set update or ``SKIP LOCKED``, so two workers
never do the same thing twice.

Fairness: no job holds the loop for long. The sweeps that may face a backlog (escalations after
an import or an outage, auto-close) take a ``limit`` per pass; a pass that comes back full leaves
the job "behind", and it runs again on the next round at once instead of after its interval.
The outbox is drained after every other job that ran (one query when nothing is due), so mail
goes out while a long backlog is worked off.
"""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from itsm.api.idempotency import prune_idempotency_records
from itsm.incidents.actions import sweep_auto_close
from itsm.notifications.delivery import drain_outbox
from itsm.reporting.facts import refresh_report_facts
from itsm.reporting.schedule import send_due_reports
from itsm.rules.escalation import sweep_escalations
from itsm.sla.sweep import sweep_sla_thresholds
from itsm.tickets.actions import prune_orphaned_attachment_files

logger = logging.getLogger("itsm.worker")

#: Per pass, about two seconds of work each on the 100,000-ticket benchmark database.
ESCALATIONS_PER_PASS = 400
AUTO_CLOSES_PER_PASS = 100
OUTBOX = "outbox"


@dataclass
class PeriodicJob:
    name: str
    run: Callable[..., int]
    every_seconds: float
    #: Items per pass (``run(now=…, limit=…)``); None for jobs that bound themselves.
    limit: int | None = None
    last_run: float = field(default=0.0)
    #: The last pass did ``limit`` items: more may be waiting, so run again at once.
    behind: bool = field(default=False)

    def due(self, clock: float) -> bool:
        return self.behind or clock - self.last_run >= self.every_seconds


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(OUTBOX, drain_outbox, 2),
        PeriodicJob("sla", sweep_sla_thresholds, settings.ITSM_SLA_SWEEP_SECONDS),
        PeriodicJob("escalations", sweep_escalations, 30, limit=ESCALATIONS_PER_PASS),
        PeriodicJob("auto_close", sweep_auto_close, 300, limit=AUTO_CLOSES_PER_PASS),
        PeriodicJob("idempotency_keys", prune_idempotency_records, 3600),
        PeriodicJob("orphaned_files", prune_orphaned_attachment_files, 24 * 3600),
        PeriodicJob("report_facts", refresh_report_facts, 30),
        PeriodicJob("scheduled_reports", send_due_reports, 60),
    ]


def run_job(job: PeriodicJob, now: datetime) -> int:
    """Run one sweep; an error is logged and retried next time, never kills the worker."""
    try:
        done = job.run(now=now) if job.limit is None else job.run(now=now, limit=job.limit)
    except Exception:
        logger.exception("Periodic job %s failed", job.name)
        job.behind = False
        return 0
    job.behind = job.limit is not None and done >= job.limit
    return done


def run_round(jobs: list[PeriodicJob], clock: float, *, every_job: bool) -> None:
    """Run the jobs that are due (all of them with ``every_job``), the outbox drain after each.

    ``every_job`` (``--once``) repeats a bounded job until a pass leaves nothing behind, so one
    round does everything that is due, still draining the outbox between its passes.
    """
    outbox = next((job for job in jobs if job.name == OUTBOX), None)
    for job in jobs:
        if not (every_job or job.due(clock)):
            continue
        while True:
            _run_and_log(job, clock)
            if outbox is not None and job is not outbox:
                # Cheap when nothing is due; a long sweep never keeps mail waiting.
                _run_and_log(outbox, clock)
            if not (every_job and job.behind):
                break


def _run_and_log(job: PeriodicJob, clock: float) -> None:
    done = run_job(job, timezone.now())
    job.last_run = clock
    if done:
        logger.info("%s: %d done%s", job.name, done, " (more waiting)" if job.behind else "")


def run_queued_tasks(worker_id: str, limit: int) -> None:
    """Run up to ``limit`` ready background tasks (e.g. SLA recomputation after a calendar edit)."""
    if not str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db"):
        return
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=limit,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


class Command(BaseCommand):
    help = "Run the background worker: outbox delivery, SLA sweeps, escalations, auto-close, tasks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run every job (a bounded sweep until nothing is left) and exit.",
        )
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between checks.")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        worker_id = f"worker-{get_random_string(8)}"
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        logger.info("Worker %s started: %s", worker_id, ", ".join(j.name for j in jobs))
        while not stopping:
            # Drop a connection the database closed or that outlived CONN_MAX_AGE; never one
            # inside a transaction (a caller that runs the worker within its own, as tests do).
            if not connection.in_atomic_block:
                close_old_connections()
            run_round(jobs, time.monotonic(), every_job=options["once"])
            run_queued_tasks(worker_id, limit=20)
            if options["once"]:
                break
            if not any(job.behind for job in jobs):
                time.sleep(options["tick"])
        logger.info("Worker %s stopped.", worker_id)
