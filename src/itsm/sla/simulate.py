"""The ``itsm sla simulate`` format: JSON cases in, the SLA engine's reported figures out.

Input is one case object or a list of them, each with ``calendar``, ``sla``, ``events`` and
``now`` (optionally ``id``, ``title`` and other descriptive keys, which are ignored). Bad input
raises ``SimulationInputError`` whose message starts with the offending field's path, e.g.
``cases[0].calendar.tz: unknown time zone 'Mars/Base'``. Pure: no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import ParamSpec, TypeVar

from itsm.sla.engine import (
    DEFAULT_STOP_STATES,
    DEFAULT_WARNING_THRESHOLDS,
    FIRST_RESPONSE,
    WEEKDAYS,
    Calendar,
    Created,
    Event,
    FirstResponse,
    Metric,
    NoBusinessTimeError,
    PriorityChanged,
    PriorityChangePolicy,
    ReopenPolicy,
    SlaDefinition,
    SlaResult,
    Span,
    StateChanged,
    Window,
    evaluate,
    holiday_dates,
    load_zone,
    parse_clock_time,
)

__all__ = [
    "SimulationCase",
    "SimulationInputError",
    "load_json",
    "parse_case",
    "render_result",
    "run_case",
    "simulate",
]

# Keys that only describe a config object; everything else unknown there is a likely typo.
_DESCRIPTIVE_KEYS = frozenset({"name", "title", "description", "comment"})
_CALENDAR_KEYS = _DESCRIPTIVE_KEYS | {"tz", "mode", "weekly", "holidays", "country_holidays"}
_SLA_KEYS = _DESCRIPTIVE_KEYS | {
    "metric",
    "targets_minutes",
    "pause_states",
    "stop_states",
    "stop_events",
    "policy",
    "warning_thresholds",
}
_POLICY_KEYS = frozenset({"priority_change", "reopen"})
_EVENT_TYPES = ("created", "state", "priority", "first_response")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MINUTE = timedelta(minutes=1)
# Country holidays are expanded for the years around the case, far enough ahead for due times.
_HOLIDAY_YEARS_BEFORE = 1
_HOLIDAY_YEARS_AFTER = 5

_P = ParamSpec("_P")
_R = TypeVar("_R")
_E = TypeVar("_E", bound=StrEnum)


class SimulationInputError(ValueError):
    """Bad simulator input; ``path`` names the offending field (``cases[2].events[0].at``)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class SimulationCase:
    """One parsed case; ``case_id`` is echoed in the output when ``has_id``."""

    calendar: Calendar
    definition: SlaDefinition
    events: tuple[Event, ...]
    now: datetime
    path: str = ""
    has_id: bool = False
    case_id: object = None


# --------------------------------------------------------------------------- entry points


def load_json(text: str) -> object:
    """Parsed JSON, or SimulationInputError pointing at the syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SimulationInputError(
            "input", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def simulate(data: object, *, explain: bool = False) -> object:
    """The output for parsed input ``data``: a list for a list of cases, an object for one.

    Every case is validated before any is evaluated, so an error never follows partial output.
    """
    if isinstance(data, list):
        cases = [parse_case(item, f"cases[{index}]") for index, item in enumerate(data)]
        return [run_case(case, explain=explain) for case in cases]
    if isinstance(data, dict):
        return run_case(parse_case(data, ""), explain=explain)
    raise SimulationInputError("input", "expected a JSON object or a list of objects")


def run_case(case: SimulationCase, *, explain: bool = False) -> dict[str, object]:
    """The case's figures (``id`` first when given); ``explain`` adds the ``spans`` timeline."""
    try:
        result = evaluate(case.calendar, case.definition, case.events, case.now)
    except NoBusinessTimeError as exc:
        raise SimulationInputError(_join(case.path, "calendar"), str(exc)) from None
    except ValueError as exc:
        raise SimulationInputError(case.path or "input", str(exc)) from None
    output: dict[str, object] = {"id": case.case_id} if case.has_id else {}
    output.update(render_result(result, case.calendar, explain=explain))
    return output


def render_result(
    result: SlaResult, calendar: Calendar, *, explain: bool = False
) -> dict[str, object]:
    """The reported figures as JSON-ready values; ``previous_cycles`` only when there are any."""
    output = _figures(result, calendar)
    if explain:
        output["spans"] = [_span(span) for span in result.spans]
    if result.previous_cycles:
        output["previous_cycles"] = [
            {
                "started_at": _utc(cycle.started_at),
                "ended_at": _utc(cycle.ended_at),
                "ended_by": cycle.ended_by,
                **render_result(cycle, calendar, explain=explain),
            }
            for cycle in result.previous_cycles
        ]
    return output


# --------------------------------------------------------------------------- rendering


def _figures(result: SlaResult, calendar: Calendar) -> dict[str, object]:
    figures: dict[str, object] = {
        "clock_state": str(result.clock_state),
        "priority": result.priority,
        "target_minutes": _minutes(result.target),
        "elapsed_business_minutes": _minutes(result.elapsed),
        "remaining_business_minutes": _minutes(result.remaining),
        "elapsed_pct": result.elapsed_pct,
        "due_at": _utc(result.due_at),
        "due_at_local": None
        if result.due_at is None
        else calendar.to_local(result.due_at).isoformat(),
        "breached": result.breached,
        "breached_at": _utc(result.breached_at),
    }
    for pct, at in result.warnings.items():
        figures[f"warn_{pct}_at"] = _utc(at)
    return figures


def _span(span: Span) -> dict[str, object]:
    return {
        "start": _utc(span.start),
        "end": _utc(span.end),
        "state": span.state,
        "clock_state": str(span.clock_state),
        "priority": span.priority,
        "business_minutes": _minutes(span.business_time),
    }


def _minutes(amount: timedelta) -> int | float:
    """Whole minutes as an int (150), others rounded to two decimals (12.5)."""
    if amount % _MINUTE == timedelta(0):
        return amount // _MINUTE
    return round(amount / _MINUTE, 2)


def _utc(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- parsing


def parse_case(data: object, path: str) -> SimulationCase:
    """One case object at ``path`` (``""`` for a lone object, else ``cases[i]``)."""
    case = _object(data, path)
    sla_path = _join(path, "sla")
    definition = _parse_sla(_required(case, "sla", path), sla_path)
    now = _instant(_required(case, "now", path), _join(path, "now"))
    events = _parse_events(_required(case, "events", path), _join(path, "events"), definition, now)
    years = range(
        min(event.at.year for event in events) - _HOLIDAY_YEARS_BEFORE,
        now.year + _HOLIDAY_YEARS_AFTER + 1,
    )
    calendar = _parse_calendar(_required(case, "calendar", path), _join(path, "calendar"), years)
    return SimulationCase(
        calendar=calendar,
        definition=definition,
        events=events,
        now=now,
        path=path,
        has_id="id" in case,
        case_id=case.get("id"),
    )


def _parse_calendar(data: object, path: str, years: range) -> Calendar:
    calendar = _object(data, path, allowed=_CALENDAR_KEYS)
    tz = _string(_required(calendar, "tz", path), _join(path, "tz"))
    _attempt(_join(path, "tz"), load_zone, tz)
    mode = calendar.get("mode", "weekly")
    if mode not in ("weekly", "24x7"):
        raise SimulationInputError(
            _join(path, "mode"), f"expected 'weekly' or '24x7', got {mode!r}"
        )
    if mode == "24x7":
        for key in ("weekly", "holidays", "country_holidays"):
            if key in calendar:
                raise SimulationInputError(_join(path, key), "not allowed with mode '24x7'")
        return Calendar.always_open(tz)
    weekly = _parse_weekly(_required(calendar, "weekly", path), _join(path, "weekly"))
    holidays = _parse_holidays(calendar.get("holidays", []), _join(path, "holidays"))
    countries = calendar.get("country_holidays", [])
    holidays |= _parse_country_holidays(countries, _join(path, "country_holidays"), years)
    return Calendar(tz, weekly, frozenset(holidays))


def _parse_weekly(data: object, path: str) -> tuple[tuple[Window, ...], ...]:
    weekly = _object(data, path, allowed=frozenset(WEEKDAYS))
    days: list[tuple[Window, ...]] = []
    for day in WEEKDAYS:
        day_path = _join(path, day)
        windows = []
        for index, pair in enumerate(_list(weekly.get(day, []), day_path)):
            window_path = f"{day_path}[{index}]"
            bounds = _list(pair, window_path)
            if len(bounds) != 2:
                raise SimulationInputError(window_path, 'expected ["HH:MM", "HH:MM"]')
            start = _string(bounds[0], f"{window_path}[0]")
            end = _string(bounds[1], f"{window_path}[1]")
            _attempt(f"{window_path}[0]", parse_clock_time, start)
            _attempt(f"{window_path}[1]", parse_clock_time, end)
            windows.append(_attempt(window_path, Window.parse, start, end))
        days.append(tuple(windows))
    return tuple(days)


def _parse_holidays(data: object, path: str) -> set[date]:
    dates: set[date] = set()
    for index, item in enumerate(_list(data, path)):
        item_path = f"{path}[{index}]"
        text = _string(item, item_path)
        if not _DATE.fullmatch(text):
            raise SimulationInputError(item_path, f"malformed date {text!r} (expected YYYY-MM-DD)")
        dates.add(_attempt(item_path, date.fromisoformat, text))
    return dates


def _parse_country_holidays(data: object, path: str, years: range) -> set[date]:
    """``[{"country": "DE", "subdiv": "BE"}, ...]`` expanded with the ``holidays`` package."""
    dates: set[date] = set()
    for index, item in enumerate(_list(data, path)):
        item_path = f"{path}[{index}]"
        entry = _object(item, item_path, allowed=frozenset({"country", "subdiv"}))
        country = _string(_required(entry, "country", item_path), _join(item_path, "country"))
        subdiv = entry.get("subdiv")
        if subdiv is not None:
            subdiv = _string(subdiv, _join(item_path, "subdiv"))
        dates |= _attempt(item_path, holiday_dates, country, subdiv, years)
    return dates


def _parse_sla(data: object, path: str) -> SlaDefinition:
    sla = _object(data, path, allowed=_SLA_KEYS)
    metric = _choice(_required(sla, "metric", path), _join(path, "metric"), Metric)
    targets = _parse_targets(
        _required(sla, "targets_minutes", path), _join(path, "targets_minutes")
    )
    policy = _object(sla.get("policy", {}), _join(path, "policy"), allowed=_POLICY_KEYS)
    pause_states = sla.get("pause_states")
    stop_events = _strings(sla.get("stop_events", []), _join(path, "stop_events"))
    for index, name in enumerate(stop_events):
        if name != FIRST_RESPONSE:
            raise SimulationInputError(
                f"{path}.stop_events[{index}]", f"unknown event {name!r} (known: {FIRST_RESPONSE})"
            )
    return SlaDefinition(
        metric=metric,
        targets_minutes=targets,
        pause_states=None
        if pause_states is None
        else frozenset(_strings(pause_states, _join(path, "pause_states"))),
        stop_states=frozenset(
            _strings(
                sla.get("stop_states", sorted(DEFAULT_STOP_STATES)), _join(path, "stop_states")
            )
        ),
        stop_events=frozenset(stop_events),
        priority_change=_choice(
            policy.get("priority_change", PriorityChangePolicy.RETARGET_KEEP_ELAPSED.value),
            f"{path}.policy.priority_change",
            PriorityChangePolicy,
        ),
        reopen=_choice(
            policy.get("reopen", ReopenPolicy.RESUME.value), f"{path}.policy.reopen", ReopenPolicy
        ),
        warning_thresholds=_parse_thresholds(
            sla.get("warning_thresholds", list(DEFAULT_WARNING_THRESHOLDS)),
            _join(path, "warning_thresholds"),
        ),
    )


def _parse_targets(data: object, path: str) -> dict[str, float]:
    targets: dict[str, float] = {}
    for priority, minutes in _object(data, path).items():
        if not isinstance(minutes, int | float) or isinstance(minutes, bool) or not minutes > 0:
            raise SimulationInputError(
                _join(path, priority), f"must be a positive number of minutes, got {minutes!r}"
            )
        targets[priority] = minutes
    if not targets:
        raise SimulationInputError(path, "needs at least one priority")
    return targets


def _parse_thresholds(data: object, path: str) -> tuple[int, ...]:
    thresholds: list[int] = []
    for index, item in enumerate(_list(data, path)):
        if not isinstance(item, int) or isinstance(item, bool) or not 0 < item < 100:
            raise SimulationInputError(
                f"{path}[{index}]", f"must be a whole percentage between 1 and 99, got {item!r}"
            )
        thresholds.append(item)
    return tuple(thresholds)


def _parse_events(
    data: object, path: str, definition: SlaDefinition, now: datetime
) -> tuple[Event, ...]:
    items = _list(data, path)
    if not items:
        raise SimulationInputError(path, "needs at least the created event")
    events = tuple(
        _parse_event(item, f"{path}[{index}]", definition) for index, item in enumerate(items)
    )
    created = [index for index, event in enumerate(events) if isinstance(event, Created)]
    if not created:
        raise SimulationInputError(path, "needs a created event")
    if len(created) > 1:
        raise SimulationInputError(
            f"{path}[{created[1]}].type", "only one created event is allowed"
        )
    start = events[created[0]].at
    for index, event in enumerate(events):
        if event.at < start:
            raise SimulationInputError(
                f"{path}[{index}].at", f"{event.at.isoformat()} is before the created event"
            )
        if event.at > now:
            raise SimulationInputError(
                f"{path}[{index}].at", f"{event.at.isoformat()} is after now ({now.isoformat()})"
            )
    return events


def _parse_event(data: object, path: str, definition: SlaDefinition) -> Event:
    event = _object(data, path)
    kind = _string(_required(event, "type", path), _join(path, "type"))
    at = _instant(_required(event, "at", path), _join(path, "at"))
    if kind == "created":
        state = _string(_required(event, "state", path), _join(path, "state"))
        return Created(at, state, _priority(event, "priority", path, definition))
    if kind == "state":
        return StateChanged(at, _string(_required(event, "to", path), _join(path, "to")))
    if kind == "priority":
        return PriorityChanged(at, _priority(event, "to", path, definition))
    if kind == "first_response":
        return FirstResponse(at)
    known = ", ".join(_EVENT_TYPES)
    raise SimulationInputError(_join(path, "type"), f"unknown event type {kind!r} (known: {known})")


def _priority(event: Mapping[str, object], key: str, path: str, definition: SlaDefinition) -> str:
    priority = _string(_required(event, key, path), _join(path, key))
    if priority not in definition.targets_minutes:
        known = ", ".join(definition.targets_minutes)
        raise SimulationInputError(
            _join(path, key), f"unknown priority {priority!r} (known: {known})"
        )
    return priority


# --------------------------------------------------------------------------- field helpers


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _attempt(path: str, parse: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """``parse(...)`` with its ValueError reported at ``path``."""
    try:
        return parse(*args, **kwargs)
    except ValueError as exc:
        raise SimulationInputError(path, str(exc)) from None


def _required(obj: Mapping[str, object], key: str, path: str) -> object:
    if key not in obj:
        raise SimulationInputError(_join(path, key), "is required")
    return obj[key]


def _object(data: object, path: str, *, allowed: frozenset[str] | None = None) -> dict[str, object]:
    if not isinstance(data, dict):
        raise SimulationInputError(path or "input", f"expected an object, got {_kind(data)}")
    if allowed is not None:
        for key in data:
            if key not in allowed:
                raise SimulationInputError(_join(path, key), "unknown field")
    return data


def _list(data: object, path: str) -> list[object]:
    if not isinstance(data, list):
        raise SimulationInputError(path, f"expected a list, got {_kind(data)}")
    return data


def _string(data: object, path: str) -> str:
    if not isinstance(data, str):
        raise SimulationInputError(path, f"expected a string, got {_kind(data)}")
    return data


def _strings(data: object, path: str) -> list[str]:
    return [_string(item, f"{path}[{index}]") for index, item in enumerate(_list(data, path))]


def _choice(data: object, path: str, choices: type[_E]) -> _E:
    text = _string(data, path)
    try:
        return choices(text)
    except ValueError:
        known = ", ".join(choice.value for choice in choices)
        raise SimulationInputError(path, f"unknown value {text!r} (known: {known})") from None


def _instant(data: object, path: str) -> datetime:
    text = _string(data, path)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise SimulationInputError(
            path, f"malformed time {text!r} (expected ISO 8601 like 2025-03-03T10:00:00+01:00)"
        ) from None
    if instant.tzinfo is None:
        raise SimulationInputError(path, f"time {text!r} needs a UTC offset (e.g. +01:00 or Z)")
    return instant


def _kind(data: object) -> str:
    if data is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(data), "a number"
    )
