"""The scenarios S1..S8: what each virtual user asks, and the figures kept of each run."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bench import load
from bench.cpu import CpuMeter
from bench.fixtures import Actor, Fixtures
from bench.load import Call, User

OPEN_STATES = ("new", "assigned", "in_progress", "pending_user", "waiting_for_vendor", "on_hold")
#: Two common words of the data set, and both in one query (words that go together in titles).
SEARCH_WORDS = ("printer", "password", "printer jams")
IMPACTS = ("high", "medium", "low")
URGENCIES = ("high", "medium", "low")


class NotAvailable(Exception):
    """The scenario's endpoint or engine does not exist in this build."""


def _user(actor: Actor, next_call: Callable[[int], Call]) -> User:
    return User(next_call, dict(actor.api_headers), dict(actor.html_headers))


def incident_payload(fx: Fixtures, rng: random.Random, i: int) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": f"Benchmark incident {i}: VPN drops every few minutes",
        "description": "Logged by the benchmark harness through the API.",
        "impact": rng.choice(IMPACTS),
        "urgency": rng.choice(URGENCIES),
    }
    if fx.requesters:
        payload["requester"] = rng.choice(fx.requesters)
    if fx.services and rng.random() < 0.7:
        payload["service"] = rng.choice(fx.services)
    if fx.categories and rng.random() < 0.7:
        payload["category"] = rng.choice(fx.categories)
    return payload


def create_incident_call(fx: Fixtures, seed: int) -> Callable[[int], Call]:
    rng = random.Random(seed)
    return lambda i: Call(
        "create incident",
        "POST",
        "/api/v1/incidents",
        incident_payload(fx, rng, i),
        frozenset({201}),
    )


def queue_path(group: int, variant: int) -> str:
    params: list[tuple[str, Any]] = [
        ("group", group),
        ("kind", "incident"),
        ("state", "open"),
        ("sort", "sla"),
    ]
    if variant % 3 == 1:
        params.append(("priority", "P3"))
    elif variant % 3 == 2:
        params.append(("assignee", "none"))
    return "/queues/?" + urlencode(params)


def api_list_path(group: int, variant: int) -> str:
    params: list[tuple[str, Any]] = [
        ("assignment_group", group),
        ("kind", "incident"),
        *(("state", s) for s in OPEN_STATES),
        ("ordering", "sla_due_at"),
        ("limit", 50),
    ]
    if variant % 2 == 1:
        params.append(("priority", "P3"))
    return "/api/v1/tickets?" + urlencode(params)


def l3(fx: Fixtures, concurrency: int) -> list[User]:
    """The HTTP floor: the liveness probe through the same server, middleware and client, with
    no database work. Its rate bounds what any endpoint can reach on this machine."""
    return [
        _user(fx.desk, lambda i: Call("liveness probe", "GET", "/healthz"))
        for _ in range(concurrency)
    ]


def s1(fx: Fixtures, concurrency: int) -> list[User]:
    return [_user(fx.desk, create_incident_call(fx, seed)) for seed in range(concurrency)]


def s2(fx: Fixtures, concurrency: int) -> list[User]:
    def make(seed: int) -> Callable[[int], Call]:
        return lambda i: Call(
            "agent queue", "GET", queue_path(fx.groups[(seed + i) % len(fx.groups)], i), html=True
        )

    return [_user(fx.desk, make(seed)) for seed in range(concurrency)]


def s3(fx: Fixtures, concurrency: int) -> list[User]:
    def make(seed: int) -> Callable[[int], Call]:
        return lambda i: Call(
            "API ticket list", "GET", api_list_path(fx.groups[(seed + i) % len(fx.groups)], i)
        )

    return [_user(fx.desk, make(seed)) for seed in range(concurrency)]


def s4(fx: Fixtures, concurrency: int) -> list[User]:
    def make(seed: int) -> Callable[[int], Call]:
        return lambda i: Call(
            "full-text search",
            "GET",
            "/api/v1/tickets?"
            + urlencode({"q": SEARCH_WORDS[(seed + i) % len(SEARCH_WORDS)], "limit": 50}),
        )

    return [_user(fx.desk, make(seed)) for seed in range(concurrency)]


def s5(fx: Fixtures, concurrency: int) -> list[User]:
    if not fx.s5_numbers:
        raise NotAvailable("the data set has no ticket with a 50-entry journal")

    def make(seed: int) -> Callable[[int], Call]:
        numbers = fx.s5_numbers
        return lambda i: Call(
            "ticket page", "GET", f"/tickets/{numbers[(seed + i) % len(numbers)]}/", html=True
        )

    return [_user(fx.desk, make(seed)) for seed in range(concurrency)]


def report_calls() -> list[tuple[str, str, bool]]:
    """Every report of the reporting engine over the last 30 days (JSON through the API, the
    same computation as the pages and exports), and the manager dashboard page."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    try:
        from itsm.reporting.catalog import REPORTS
    except ImportError as error:
        raise NotAvailable(f"no reporting engine in this build ({error})") from error
    today = timezone.localdate()
    since = today - timedelta(days=30)
    calls = [
        (f"report {name}", f"/api/v1/reports/{name}?from={since}&to={today}", False)
        for name in sorted(REPORTS)
    ]
    calls.append(("dashboard", reverse("dashboard"), True))
    return calls


def s6(fx: Fixtures, concurrency: int, manager: Actor) -> list[User]:
    calls = report_calls()

    def make(seed: int) -> Callable[[int], Call]:
        def call(i: int) -> Call:
            action, path, html = calls[(seed + i) % len(calls)]
            return Call(action, "GET", path, html=html)

        return call

    return [_user(manager, make(seed)) for seed in range(concurrency)]


def s8(fx: Fixtures) -> tuple[list[User], User]:
    """20 agents browse their queues and tickets, comment and take tickets; 5 incidents/s arrive."""
    users = []
    for index, agent in enumerate(fx.agents):
        rng = random.Random(1000 + index)
        groups = [g for g in agent.groups if fx.open_numbers_by_group.get(g)] or fx.groups

        def next_call(i: int, rng: random.Random = rng, groups: list[int] = groups) -> Call:
            group = rng.choice(groups)
            numbers = fx.open_numbers_by_group.get(group) or fx.s5_numbers
            number = rng.choice(numbers)
            roll = rng.random()
            if roll < 0.35:
                return Call("queue", "GET", queue_path(group, i), html=True)
            if roll < 0.65:
                return Call("ticket page", "GET", f"/tickets/{number}/", html=True)
            if roll < 0.75:
                return Call("API list", "GET", api_list_path(group, i))
            if roll < 0.95:
                body = {
                    "body": f"Update {i}: checked the logs, waiting for the next test.",
                    "internal": bool(i % 2),
                }
                return Call("comment", "POST", f"/api/v1/tickets/{number}/comments", body)
            return Call(
                "take ticket",
                "POST",
                f"/api/v1/tickets/{number}/assignment",
                {"group": group, "assignee": "me"},
                frozenset({200}),
            )

        users.append(_user(agent, next_call))
    arrivals = _user(fx.desk, create_incident_call(fx, 99))
    return users, arrivals


def warm_up(base_url: str, users: list[User], seconds: float) -> None:
    """Let every web worker import and connect before the clock starts."""
    if seconds > 0:
        load.run(base_url, users[: max(2, len(users) // 2)], seconds)


def measure(
    base_url: str,
    users: list[User],
    duration: float,
    *,
    warm: float,
    arrivals: tuple[User, float] | None = None,
    meter: CpuMeter | None = None,
) -> dict[str, Any]:
    warm_up(base_url, users, warm)
    before = meter.snapshot() if meter else None
    recorder = load.run(base_url, users, duration, arrivals=arrivals)
    figures = recorder.summary()
    if meter is not None and before is not None:
        figures["cpu"] = meter.spent(before, meter.snapshot(), figures["requests"])
    figures["concurrency"] = len(users)
    actions = sorted(recorder.latencies)
    if len(actions) > 1:
        figures["actions"] = {action: recorder.summary(action) for action in actions}
    return figures


def s7(crossing: int) -> dict[str, Any]:
    """The SLA sweep, timed in-process: ``crossing`` running instances are made due now (their
    marks cleared), then one sweep processes them and a second finds nothing due."""
    try:
        from itsm.sla.models import OPEN_INSTANCE_Q, SlaInstance
        from itsm.sla.sweep import sweep_sla_thresholds
    except ImportError as error:
        raise NotAvailable(f"no SLA sweep in this build ({error})") from None
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    open_instances = SlaInstance.objects.filter(OPEN_INSTANCE_Q).count()
    ids = list(
        SlaInstance.objects.filter(OPEN_INSTANCE_Q, clock_state="running")
        .order_by("id")
        .values_list("id", flat=True)[:crossing]
    )
    if not ids:
        raise NotAvailable("the data set has no running SLA instance")
    SlaInstance.objects.filter(pk__in=ids).update(
        next_event_at=now - timedelta(minutes=1),
        warn_fired_at=None,
        risk_fired_at=None,
        breach_fired_at=None,
    )
    started = time.perf_counter()
    first = sweep_sla_thresholds(now=now)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = sweep_sla_thresholds(now=now)
    second_seconds = time.perf_counter() - started
    return {
        "open_instances": open_instances,
        "crossing": len(ids),
        "first_sweep_fired": first,
        "first_sweep_s": round(first_seconds, 3),
        "second_sweep_fired": second,
        "second_sweep_s": round(second_seconds, 3),
    }
