"""`itsm worker`: the background worker.

One loop runs the periodic sweeps (outbox delivery, SLA thresholds, escalations, auto-close)
and the queued background tasks (django-tasks database backend). Any number of workers may run:
every sweep claims its rows with a compare-and-set update or ``SKIP LOCKED``, so two workers
never do the same thing twice.
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


@dataclass
class PeriodicJob:
    name: str
    run: Callable[..., int]
    every_seconds: float
    last_run: float = field(default=0.0)

    def due(self, clock: float) -> bool:
        return clock - self.last_run >= self.every_seconds


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("outbox", drain_outbox, 2),
        PeriodicJob("sla", sweep_sla_thresholds, settings.ITSM_SLA_SWEEP_SECONDS),
        PeriodicJob("escalations", sweep_escalations, 30),
        PeriodicJob("auto_close", sweep_auto_close, 300),
        PeriodicJob("idempotency_keys", prune_idempotency_records, 3600),
        PeriodicJob("orphaned_files", prune_orphaned_attachment_files, 24 * 3600),
        PeriodicJob("report_facts", refresh_report_facts, 30),
        PeriodicJob("scheduled_reports", send_due_reports, 60),
    ]


def run_job(job: PeriodicJob, now: datetime) -> int:
    """Run one sweep; an error is logged and retried next time, never kills the worker."""
    try:
        return job.run(now=now)
    except Exception:
        logger.exception("Periodic job %s failed", job.name)
        return 0


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
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
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
            clock = time.monotonic()
            for job in jobs:
                if options["once"] or job.due(clock):
                    done = run_job(job, timezone.now())
                    job.last_run = clock
                    if done:
                        logger.info("%s: %d done", job.name, done)
            run_queued_tasks(worker_id, limit=20)
            if options["once"]:
                break
            time.sleep(options["tick"])
        logger.info("Worker %s stopped.", worker_id)
