"""`python -m bench`: load (or reuse) the data set, measure the baselines and the scenarios
against the production server, and write the results under bench/results/."""

from __future__ import annotations

import gc
import os
import shlex
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench import options as bench_options
from bench import snapshot
from bench.environment import (
    ensure_postgresql_database,
    remove_sqlite_files,
    server_environment,
    setup,
)
from bench.options import VAR_DIR, Options

TITLES = {
    "L1": "INSERT+COMMIT loop",
    "L2": "primary-key SELECT loop",
    "L3": "HTTP floor (liveness probe)",
    "S1": "create incident (API)",
    "S2": "agent queue (HTML)",
    "S3": "API ticket list",
    "S4": "full-text search",
    "S5": "ticket page, 50 journal entries",
    "S6": "reports",
    "S7": "SLA sweep",
    "S8": "mixed workload",
}


def quiet_client_logs() -> None:
    import logging

    for name in ("httpx", "httpcore", "aiohttp", "mail.log"):
        logging.getLogger(name).setLevel(logging.WARNING)


def say(message: str) -> None:
    print(message, flush=True)


def prepare_dataset(options: Options) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connections

    from bench import dataset

    meta = dataset.read_meta()
    if not options.regenerate and dataset.matches(meta, options.scale):
        return reuse_dataset(options, meta)
    why = "--regenerate" if options.regenerate else "none of this scale and version was there"
    say(f"Building a data set of {options.scale:,} tickets ({why}).")
    connections.close_all()
    snapshot.drop(options)
    if options.is_postgresql:
        ensure_postgresql_database(options, recreate=True)
    else:
        remove_sqlite_files(options.sqlite_path)
    call_command("migrate", verbosity=0, interactive=False)
    report = dataset.generate(options.scale, progress=say)
    dataset.read_meta()
    dataset.write_meta(
        {
            "scale": str(options.scale),
            "version": dataset.GENERATOR_VERSION,
            "tickets": str(report.tickets),
            "journal_entries": str(report.journal_entries),
            "sla_instances": str(report.sla_instances),
            "seconds": f"{report.seconds:.2f}",
            "per_second": f"{report.per_second:.0f}",
        }
    )
    say(
        f"Loaded {report.tickets:,} tickets and {report.journal_entries:,} journal entries in "
        f"{report.seconds:.1f} s ({report.per_second:,.0f} tickets/s)."
    )
    return {
        "tickets": report.tickets,
        "journal_entries": report.journal_entries,
        "sla_instances": report.sla_instances,
        "seconds": round(report.seconds, 2),
        "per_second": round(report.per_second),
        "reused": False,
        "restored": False,
    }


def reuse_dataset(options: Options, meta: dict[str, str]) -> dict[str, Any]:
    """The data set as it stood when it was built and caught up: its pristine copy is put back,
    so the writes of earlier runs (S1's incidents, S8's updates, S7's firings) are gone."""
    from django.db import connections

    data: dict[str, Any] = {
        "tickets": int(meta.get("tickets", 0)),
        "journal_entries": int(meta.get("journal_entries", 0)),
        "sla_instances": int(meta.get("sla_instances", 0)),
        "seconds": float(meta.get("seconds", 0)),
        "per_second": float(meta.get("per_second", 0)),
        "reused": True,
        "restored": False,
    }
    if not snapshot.exists(options):
        say(
            f"Data set of {options.scale:,} tickets found, without a pristine copy: reused as "
            "earlier runs left it; this run's starting state becomes the copy."
        )
        return data
    say(f"Data set of {options.scale:,} tickets found: restoring its pristine copy…")
    begun = time.perf_counter()
    connections.close_all()
    snapshot.restore(options)
    data["restored"] = True
    data["restore_seconds"] = round(time.perf_counter() - begun, 1)
    say(f"  restored in {data['restore_seconds']} s.")
    return data


def keep_pristine(options: Options, data: dict[str, Any]) -> None:
    """Keep the caught-up data set as its pristine copy, unless it was just restored from one."""
    from django.db import connections

    if data.get("restored"):
        return
    say("Keeping a pristine copy of the data set for later runs…")
    begun = time.perf_counter()
    connections.close_all()
    snapshot.save(options)
    data["snapshot_seconds"] = round(time.perf_counter() - begun, 1)
    say(f"  kept in {data['snapshot_seconds']} s.")


def catch_up_report_rollup(data: dict[str, Any]) -> None:
    """Bring the reporting rollup up to date before measuring, as an operator does after a bulk
    import: the loader bypasses the actions, so every ticket's facts are stale. Without this the
    server's worker (and the first report requests) rebuild them during the scenarios."""
    from django.utils import timezone

    from itsm.reporting.facts import refresh_report_facts

    say("Bringing the reporting rollup up to date…")
    begun = time.perf_counter()
    rebuilt = refresh_report_facts(now=timezone.now())
    seconds = time.perf_counter() - begun
    data["rollup_tickets"] = rebuilt
    data["rollup_seconds"] = round(seconds, 1)
    say(f"  {rebuilt:,} tickets' facts rebuilt in {seconds:.1f} s.")


CATCH_UP_TRICKLE = 50


def analyze_tables() -> None:
    """ANALYZE on PostgreSQL (this machine's server runs with autovacuum off)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def catch_up_worker(data: dict[str, Any]) -> None:
    """Run the worker's periodic jobs until none has anything left, as a worker started after a
    bulk import would: escalations due on the imported open tickets fire, the outbox drains.
    Otherwise the server's worker does this during the scenarios and every figure suffers."""
    from django.utils import timezone

    from itsm.cli.management.commands.worker import periodic_jobs

    say("Bringing the background worker's jobs up to date…")
    begun = time.perf_counter()
    done: dict[str, int] = {}
    for _ in range(100):  # passes; each job is bounded per pass
        this_pass = 0
        for job in periodic_jobs():
            count = job.run(now=timezone.now())
            if count:
                done[job.name] = done.get(job.name, 0) + count
                this_pass += count
        # A live desk never stands still (thresholds pass, their mail goes out): a pass with
        # only a trickle left means the backlog of the import is gone.
        if this_pass < CATCH_UP_TRICKLE:
            break
        analyze_tables()  # autovacuum's job: plans over the firings written so far stay right
    data["worker_catch_up_seconds"] = round(time.perf_counter() - begun, 1)
    data["worker_catch_up"] = done
    summary = ", ".join(f"{name} {count:,}" for name, count in done.items()) or "nothing due"
    say(f"  {summary} in {data['worker_catch_up_seconds']} s.")


def vacuum_analyze(options: Options, data: dict[str, Any]) -> None:
    """VACUUM (ANALYZE) on PostgreSQL before measuring, as autovacuum does in production: it marks
    pages all-visible so index-only scans skip the table, and refreshes the planner's figures.
    (This machine's server runs with autovacuum off, so nothing else would.)"""
    if not options.is_postgresql:
        return
    from django.db import connection

    say("VACUUM (ANALYZE)…")
    begun = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    data["vacuum_seconds"] = round(time.perf_counter() - begun, 1)
    say(f"  done in {data['vacuum_seconds']} s.")


def _not_available(reason: str) -> dict[str, Any]:
    return {"status": "not available", "reason": reason}


def run_baselines(options: Options, fx: Any, results: dict[str, Any]) -> None:
    from bench import baselines

    for name, kind in (("L1", "insert"), ("L2", "select")):
        if not options.wants(name):
            continue
        say(f"{name} {TITLES[name]} at concurrency {options.concurrency}…")
        figures = baselines.measure(
            options.database_url,
            kind,
            concurrency=options.concurrency,
            duration=options.duration,
            max_id=fx.max_ticket_id,
        )
        results[name] = {"status": "ok", "title": TITLES[name], **figures}
        say(f"  {figures['ops_per_s']:,} ops/s, p95 {figures['p95_ms']} ms")


def run_server_scenarios(options: Options, fx: Any, server: Any, results: dict[str, Any]) -> None:
    from bench import scenarios
    from bench.cpu import CpuMeter

    base_url = server.base_url
    database = options.database_name if options.is_postgresql else None
    meter = CpuMeter(server.process.pid, database)

    warm = 0.5 if options.smoke else 3.0
    read = options.read_concurrency
    plans: dict[str, Any] = {
        "L3": lambda: scenarios.l3(fx, options.concurrency),
        "S1": lambda: scenarios.s1(fx, options.concurrency),
        "S2": lambda: scenarios.s2(fx, read),
        "S3": lambda: scenarios.s3(fx, read),
        "S4": lambda: scenarios.s4(fx, read),
        "S5": lambda: scenarios.s5(fx, read),
        "S6": lambda: scenarios.s6(fx, 2, fx.manager),
    }
    for name, plan in plans.items():
        if not options.wants(name):
            continue
        say(f"{name} {TITLES[name]}…")
        try:
            users = plan()
        except scenarios.NotAvailable as why:
            results[name] = {"title": TITLES[name], **_not_available(str(why))}
            say(f"  not available: {why}")
            continue
        figures = scenarios.measure(base_url, users, options.duration, warm=warm, meter=meter)
        results[name] = {"status": "ok", "title": TITLES[name], **figures}
        say(
            f"  {figures['req_per_s']:,} req/s, p50 {figures['p50_ms']} ms, "
            f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, {figures['errors']} errors"
        )
        say_cpu(figures)
        if name == "S1":
            results[name]["outbox_drained_s"] = wait_for_outbox()
    if options.wants("S8"):
        say(
            f"S8 {TITLES['S8']}: {len(fx.agents)} agents, {options.arrivals_per_second}/s arrivals…"
        )
        users, arrivals = scenarios.s8(fx)
        figures = scenarios.measure(
            base_url,
            users,
            options.duration,
            warm=warm,
            arrivals=(arrivals, options.arrivals_per_second),
            meter=meter,
        )
        results["S8"] = {"status": "ok", "title": TITLES["S8"], **figures}
        for action, sub in figures.get("actions", {}).items():
            say(f"  {action:<16} p95 {sub['p95_ms']} ms ({sub['requests']} requests)")


def wait_for_outbox(timeout: float = 180.0) -> float | None:
    """After a write scenario, wait until the server's worker has sent every mail it queued, so
    the next scenario does not pay for this one's deliveries. Returns the seconds it took."""
    from itsm.notifications.choices import OutboxStatus
    from itsm.notifications.models import OutboxMessage

    begun = time.perf_counter()
    waiting = OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])
    while waiting.exists():
        if time.perf_counter() - begun > timeout:
            say(f"  the outbox still had mail after {timeout:.0f} s; going on")
            return None
        time.sleep(0.5)
    seconds = round(time.perf_counter() - begun, 1)
    say(f"  the worker delivered the scenario's mail {seconds} s after it ended")
    return seconds


def say_cpu(figures: dict[str, Any]) -> None:
    cpu = figures.get("cpu")
    if not cpu:
        return
    split = ", ".join(
        f"{group} {ms}" for group, ms in cpu["cpu_ms_per_request"].items() if ms is not None
    )
    say(
        f"  CPU ms per request: {split}; machine {cpu['machine_busy_pct']} % busy; "
        f"ceiling {cpu['ceiling_req_per_s']} req/s"
    )


def settle_writes(options: Options) -> None:
    """After the write scenarios, what a production server would have done by itself before the
    next sweep: autovacuum clears their dead rows and refreshes the statistics (this machine's
    server runs with autovacuum off), the checkpointer writes out their dirty pages. Otherwise the
    sweep is timed while those pages are flushed and through their dead index entries (measured
    here at 1M tickets: 1.95 s alone, 2.16–2.72 s right after S8)."""
    if not options.is_postgresql:
        return
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")


def run_sla_sweep(options: Options, results: dict[str, Any]) -> None:
    """After the server stopped, so the sweep has the machine to itself (as a worker would)."""
    from bench import scenarios

    if not options.wants("S7"):
        return
    crossing = 200 if options.smoke else 5000
    settle_writes(options)
    say(f"S7 {TITLES['S7']}: {crossing:,} instances crossing a threshold…")
    # The sweep runs here, in the harness's process, but belongs to the worker's, whose heap does
    # not hold the load scenarios' leftovers: frozen, they are not scanned by every garbage
    # collection the sweep's allocations set off.
    gc.collect()
    gc.freeze()
    try:
        figures = scenarios.s7(crossing)
    except scenarios.NotAvailable as why:
        results["S7"] = {"title": TITLES["S7"], **_not_available(str(why))}
        say(f"  not available: {why}")
        return
    finally:
        gc.unfreeze()
    results["S7"] = {"status": "ok", "title": TITLES["S7"], **figures}
    say(
        f"  {figures['open_instances']:,} open instances; first sweep {figures['first_sweep_s']} s "
        f"({figures['first_sweep_fired']:,} fired), second {figures['second_sweep_s']} s"
    )


def main(argv: list[str] | None = None) -> int:
    from bench.mailsink import MailSink

    options = bench_options.parse(argv)
    quiet_client_logs()
    # Every mail of the run (the worker catch-up here, the server's worker later) goes over SMTP
    # to this loopback sink, which only counts them.
    with MailSink() as sink:
        return run(options, argv, sink)


def run(options: Options, argv: list[str] | None, sink: Any) -> int:
    started = time.perf_counter()
    env = {**server_environment(options), "ITSM_EMAIL_URL": sink.url}
    say(f"Benchmark database: {options.database_url}")
    setup(options, env, recreate=False)

    from bench import dataset, fixtures, report
    from bench.server import Server

    data = prepare_dataset(options)
    catch_up_report_rollup(data)
    catch_up_worker(data)
    vacuum_analyze(options, data)
    keep_pristine(options, data)
    facts = report.machine_facts(report.database_version())
    fx = fixtures.prepare(options.agents, dataset.s5_numbers())
    results: dict[str, Any] = {}
    run_baselines(options, fx, results)
    server_wanted = any(options.wants(s) for s in ("L3", "S1", "S2", "S3", "S4", "S5", "S6", "S8"))
    if server_wanted:
        say(f"Starting itsm serve on 127.0.0.1:{options.port} with {options.workers} web workers…")
        log = VAR_DIR / "server.log"
        before = sink.received()
        with Server(env, options.port, options.workers, log) as server:
            run_server_scenarios(options, fx, server, results)
            memory = server.memory()
        after = sink.received()
        results["mail"] = {"status": "ok", **{k: after[k] - before[k] for k in after}}
        say(f"Mails received over SMTP by the sink: {results['mail']['messages']:,}")
        web = [m.peak_rss_mb for m in memory if m.role == "web worker"]
        results["memory"] = {
            "status": "ok",
            "processes": [vars(m) for m in memory],
            "web_worker_peak_mb": round(max(web), 1) if web else None,
        }
    run_sla_sweep(options, results)
    if results.get("S1", {}).get("status") == "ok" and results.get("L1", {}).get("status") == "ok":
        l1 = results["L1"]["ops_per_s"]
        results["S1/L1"] = {"ratio": round(results["S1"]["req_per_s"] / l1, 3) if l1 else None}
    outcome = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
        "scale": options.scale,
        "smoke": options.smoke,
        "duration_s": options.duration,
        "web_workers": options.workers,
        "machine": facts,
        "dataset": data,
        "results": results,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    outcome["budget"] = report.budget(results)
    json_path, md_path = report.write(outcome, options.results_dir)
    say(report.markdown(outcome))
    say(f"Results: {json_path} and {md_path} ({outcome['wall_seconds']} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
