"""``itsm sla simulate FILE``: SLA figures for JSON cases, from the same engine as live tickets."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand

from itsm.sla.simulate import SimulationInputError, load_json, simulate

# Status for bad input, as argparse uses for bad arguments.
EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "SLA tools. `sla simulate FILE` prints the SLA figures of the JSON cases in FILE."
    # Lets tests hand call_command() a stream to read for FILE "-".
    stealth_options = ("stdin",)
    # Pure computation: no models, URLs or database, so no system checks to wait for or trip on.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        simulate_parser = subcommands.add_parser(
            "simulate",
            help="Evaluate SLA cases (a JSON object or list, see SLA.md) and print the figures.",
        )
        simulate_parser.add_argument("file", help="JSON file with the cases, or - for stdin")
        simulate_parser.add_argument(
            "--explain",
            action="store_true",
            help="also print each case's timeline of clock spans",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "simulate":
            self._simulate(options["file"], options.get("stdin"), explain=options["explain"])

    def _simulate(self, file: str, stdin: TextIO | None, *, explain: bool) -> None:
        try:
            text = self._read(file, stdin)
            output = simulate(load_json(text), explain=explain)
        except SimulationInputError as exc:
            self.stderr.write(f"error: {exc}", style_func=str)
            raise SystemExit(EXIT_BAD_INPUT) from None
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _read(self, file: str, stdin: TextIO | None) -> str:
        if file == "-":
            return (stdin or sys.stdin).read()
        try:
            return Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SimulationInputError(file, f"cannot read: {exc}") from None
