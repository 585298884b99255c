"""`itsm demo [--tickets N] [--if-empty]`: load the demo service desk (idempotent)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from itsm.cli.demo import DEMO_LOGINS, build_reference_data, build_tickets, demo_ticket_count
from itsm.tickets.models import Ticket


class Command(BaseCommand):
    help = "Load a believable demo service desk. Running it again adds nothing twice."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tickets", type=int, default=60, help="Demo incidents to have.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds tickets (first run only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Ticket.objects.exists():
            self.stdout.write("Demo data: the database already has tickets; nothing loaded.")
            return
        build_reference_data()
        wanted = max(0, options["tickets"])
        missing = max(0, wanted - demo_ticket_count())
        with tqdm(total=missing, desc="Demo incidents", unit="ticket", disable=missing == 0) as bar:
            created = build_tickets(wanted, progress=bar.update)
        self.stdout.write(
            f"Demo data ready: {created} incidents created, {demo_ticket_count()} in total."
        )
        self.stdout.write(
            "Logins: "
            + ", ".join(f"{login.role} {login.email}" for login in DEMO_LOGINS)
            + f" (password {DEMO_LOGINS[0].password})"
        )
