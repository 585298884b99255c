"""``itsm report NAME --from --to [filters] --format table|csv|json|xlsx``: a report on the
command line, computed for a named user's visibility (an administrator's by default)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from itsm.accounts.models import User
from itsm.core.errors import ActionError
from itsm.reporting.catalog import REPORTS, run_report
from itsm.reporting.exports import to_csv, to_json, to_table, to_xlsx

FILTERS = (
    "tz",
    "kind",
    "group",
    "service",
    "category",
    "priority",
    "organization",
    "interval",
    "by",
    "at",
)


class Command(BaseCommand):
    help = "Print a report: " + ", ".join(REPORTS) + "."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", choices=list(REPORTS), help="the report")
        parser.add_argument("--from", dest="from", help="first local date, YYYY-MM-DD")
        parser.add_argument("--to", help="last local date (inclusive), YYYY-MM-DD")
        for name in FILTERS:
            parser.add_argument(f"--{name}", help=f"filter or parameter: {name} (id or name)")
        parser.add_argument(
            "--format", choices=["table", "csv", "json", "xlsx"], default="table", dest="fmt"
        )
        parser.add_argument(
            "--output", "-o", help="write to this file (needed for xlsx on a terminal)"
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            help="email of the user whose visibility applies (default: an administrator)",
        )

    def _user(self, email: str | None) -> User:
        if email:
            user = User.objects.filter(email__iexact=email.strip()).first()
            if user is None:
                raise CommandError(f"No user {email!r}.")
            return user
        admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
        admin = (
            admin or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        )
        if admin is None:
            raise CommandError("No administrator exists; name a user with --as.")
        return admin

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["as_user"])
        params = {k: options[k] for k in ("from", "to", *FILTERS) if options.get(k)}
        try:
            report = run_report(options["name"], user, params)
        except ActionError as error:
            field = getattr(error, "field", "")
            raise CommandError(f"{'--' + field + ': ' if field else ''}{error.detail}") from None
        fmt = options["fmt"]
        if fmt == "xlsx":
            data = to_xlsx(report)
            if options["output"]:
                with open(options["output"], "wb") as handle:
                    handle.write(data)
                return
            if sys.stdout.isatty():
                raise CommandError("XLSX is binary: give --output FILE or redirect the output.")
            sys.stdout.buffer.write(data)
            return
        text = {"table": to_table, "csv": to_csv, "json": to_json}[fmt](report)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
            return
        self.stdout.write(text, ending="")
