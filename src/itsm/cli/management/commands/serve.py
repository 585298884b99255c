"""`itsm serve`: the production web server (gunicorn) and the background worker, together.

Ctrl-C (SIGINT) or SIGTERM stops both cleanly: each child gets SIGTERM and is waited for.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from itsm.cli.demo import DEMO_LOGINS


def default_web_workers() -> int:
    """2 × cores + 1, at most 12. Requests are CPU-bound and one process runs one at a time
    (its threads share the interpreter lock); a keep-alive connection stays with its process,
    so with only cores + 1 processes two busy clients often queue on one while a core idles."""
    return min(12, 2 * (os.cpu_count() or 1) + 1)


class Command(BaseCommand):
    help = "Serve the application with gunicorn and run the background worker beside it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=default_web_workers())
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        bind = f"{options['host']}:{options['port']}"
        web = subprocess.Popen(  # noqa: S603 (fixed argument list, no shell)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "itsm.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--worker-class",
                "gthread",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
            ]
        )
        children = [web]
        if not options["no_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "itsm", "worker"])  # noqa: S603
            )
        self._announce(bind)
        self._supervise(children)

    def _announce(self, bind: str) -> None:
        lines = [
            "",
            f"  Service Desk is running at http://{bind}/",
            f"  Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
            f"  Demo logins (password for all: {DEMO_LOGINS[0].password}):",
        ]
        lines += [f"    {login.role:<10} {login.email}" for login in DEMO_LOGINS]
        lines += ["  Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))

    def _supervise(self, children: list[subprocess.Popen[bytes]]) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped.")
        if not stopping:
            raise SystemExit(1)
