"""Command-line options of the harness, and where its database and files live."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
VAR_DIR = BENCH_DIR / "var"
RESULTS_DIR = BENCH_DIR / "results"
MAX_SCALE = 1_000_000
PG_BENCH_DATABASE = "itsm_bench"
SCENARIOS = ("L1", "L2", "L3", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8")


@dataclass
class Options:
    database_url: str
    scale: int
    duration: float
    only: list[str]
    smoke: bool
    concurrency: int = 16
    read_concurrency: int = 4
    agents: int = 20
    arrivals_per_second: float = 5.0
    port: int = 8765
    workers: int = 0
    results_dir: Path = field(default=RESULTS_DIR)
    regenerate: bool = False

    @property
    def is_postgresql(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def database_name(self) -> str:
        """The PostgreSQL database's name."""
        return urlsplit(self.database_url).path.lstrip("/")

    @property
    def admin_url(self) -> str:
        """The same PostgreSQL server's ``postgres`` database, to create and drop others from."""
        parts = urlsplit(self.database_url)
        return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))

    @property
    def sqlite_path(self) -> str:
        return self.database_url.removeprefix("sqlite:///")

    def wants(self, scenario: str) -> bool:
        return not self.only or scenario in self.only


def default_postgresql_url() -> str:
    """The server of ITSM_DATABASE_URL (or 127.0.0.1:5432) with the bench's own database name,
    so a benchmark never writes into the database the application itself uses."""
    configured = os.environ.get("ITSM_BENCH_DATABASE_URL")
    if configured:
        return configured
    base = os.environ.get("ITSM_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgresql://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{PG_BENCH_DATABASE}", parts.query, ""))


def _database_url(value: str | None, smoke: bool) -> str:
    if value in (None, "") and smoke:
        value = "sqlite"
    if value in (None, "", "postgresql", "pg"):
        return default_postgresql_url()
    if value == "sqlite":
        return f"sqlite:///{VAR_DIR / 'bench.sqlite3'}"
    assert value is not None
    if not value.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SystemExit(f"--db {value!r}: use 'postgresql', 'sqlite' or a database URL")
    if value.startswith("sqlite:///") and Path(value.removeprefix("sqlite:///")).name == (
        "itsm.sqlite3"
    ):
        raise SystemExit("--db: refusing to benchmark the development database itsm.sqlite3")
    return value


def _scenario_list(value: str | None) -> list[str]:
    if not value:
        return []
    names = [name.strip().upper() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"--only: unknown scenario {', '.join(unknown)}; know {SCENARIOS}")
    return names


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load a realistic data set and measure the production server against it.",
    )
    parser.add_argument(
        "--db",
        help="'postgresql' (default: ITSM_DATABASE_URL's server, database itsm_bench), "
        "'sqlite' or a database URL",
    )
    parser.add_argument("--scale", type=int, help="Tickets in the data set (default 100,000)")
    parser.add_argument("--only", help="Comma-separated scenarios, e.g. S1,L1")
    parser.add_argument("--duration", type=float, help="Seconds per load scenario (default 30)")
    parser.add_argument("--smoke", action="store_true", help="SQLite, 10,000 tickets, short runs")
    parser.add_argument("--port", type=int, default=8765, help="Loopback port of the server")
    parser.add_argument(
        "--workers", type=int, default=0, help="Web workers (default: 2 × cores + 1, as itsm serve)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="Output directory")
    parser.add_argument("--regenerate", action="store_true", help="Rebuild the data set")
    args = parser.parse_args(argv)
    smoke = bool(args.smoke)
    scale = args.scale if args.scale is not None else (10_000 if smoke else 100_000)
    if not 100 <= scale <= MAX_SCALE:
        raise SystemExit(f"--scale must be between 100 and {MAX_SCALE:,}")
    duration = args.duration if args.duration is not None else (4.0 if smoke else 30.0)
    if duration <= 0:
        raise SystemExit("--duration must be positive")
    return Options(
        database_url=_database_url(args.db, smoke),
        scale=scale,
        duration=duration,
        only=_scenario_list(args.only),
        smoke=smoke,
        port=args.port,
        workers=args.workers or min(12, 2 * (os.cpu_count() or 1) + 1),  # as `itsm serve`
        results_dir=args.results,
        regenerate=bool(args.regenerate),
    )
