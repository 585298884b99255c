"""The simulator's JSON format (SLA.md) and the ``itsm sla simulate FILE`` command.

The two example cases must come out exactly as their ``expected`` answers. Our copy of them lives
in ``fixtures/`` so the tests also run on a clone without the shared folder beside the repo.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from itsm.sla.simulate import SimulationInputError, load_json, simulate

REPO = Path(__file__).resolve().parents[2]
SHARED_EXAMPLES = REPO.parent / "shared" / "sla-simulate-examples.json"
FIXTURE_EXAMPLES = Path(__file__).parent / "fixtures" / "sla-simulate-examples.json"
EXAMPLE_SOURCES = [
    pytest.param(FIXTURE_EXAMPLES, id="fixture-copy"),
    pytest.param(
        SHARED_EXAMPLES,
        id="shared",
        marks=pytest.mark.skipif(not SHARED_EXAMPLES.exists(), reason="no ../shared here"),
    ),
]


def examples() -> list[dict[str, Any]]:
    return json.loads(FIXTURE_EXAMPLES.read_text(encoding="utf-8"))


def expected_output(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": case["id"], **case["expected"]} for case in cases]


def base_case() -> dict[str, Any]:
    """BH-01 without its answer: P1 opened Mon 10:00 CET, now 12:30 CET."""
    case = examples()[0]
    del case["expected"]
    return case


def office_case(events: list[dict[str, Any]], now: str, **sla: Any) -> dict[str, Any]:
    case = base_case()
    case.update(id="T", events=events, now=now)
    case["sla"].update(sla)
    return case


# --------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("source", EXAMPLE_SOURCES)
def test_examples_are_reproduced_exactly(source):
    cases = json.loads(source.read_text(encoding="utf-8"))

    output = simulate(cases)

    assert output == expected_output(cases)
    # Same keys in the same order: id, then the reported figures as SLA.md lists them.
    assert [list(case) for case in output] == [list(case) for case in expected_output(cases)]
    assert json.loads(json.dumps(output)) == output


@pytest.mark.skipif(not SHARED_EXAMPLES.exists(), reason="no ../shared here")
def test_fixture_copy_matches_the_shared_examples():
    assert json.loads(FIXTURE_EXAMPLES.read_text(encoding="utf-8")) == json.loads(
        SHARED_EXAMPLES.read_text(encoding="utf-8")
    )


def test_a_single_object_gives_a_single_object_without_id_when_none_was_given():
    case = base_case()
    del case["id"]

    output = simulate(case)

    assert output == examples()[0]["expected"]


# --------------------------------------------------------------------------- features


def test_country_holidays_close_good_friday_and_easter_monday():
    case = office_case(
        [{"at": "2025-04-17T16:00:00+02:00", "type": "created", "state": "New", "priority": "P1"}],
        "2025-04-22T10:00:00+02:00",
    )
    case["calendar"]["holidays"] = []
    case["calendar"]["country_holidays"] = [{"country": "DE"}]

    output = simulate(case)

    # Thu 16:00-17:00 and Tue 09:00-10:00 count (120); Fri and Mon are holidays.
    assert output["elapsed_business_minutes"] == 120
    # 120 left from Tue 10:00 CEST -> 12:00 CEST = 10:00Z.
    assert output["due_at"] == "2025-04-22T10:00:00Z"
    assert output["due_at_local"] == "2025-04-22T12:00:00+02:00"


def test_24x7_calendar():
    case = office_case(
        [{"at": "2025-03-29T12:00:00+01:00", "type": "created", "state": "New", "priority": "P1"}],
        "2025-03-29T14:00:00+01:00",
    )
    case["calendar"] = {"tz": "UTC", "mode": "24x7"}

    output = simulate(case)

    # 12:00-14:00 CET = 11:00-13:00Z; 120 left -> 15:00Z.
    assert output["elapsed_business_minutes"] == 120
    assert output["due_at"] == "2025-03-29T15:00:00Z"
    assert output["due_at_local"] == "2025-03-29T15:00:00+00:00"


def test_fractional_minutes_are_rounded_to_two_decimals():
    case = office_case(
        [{"at": "2025-03-03T09:00:00+01:00", "type": "created", "state": "New", "priority": "P1"}],
        "2025-03-03T09:00:30+01:00",
    )

    output = simulate(case)

    # 30 s of 240 min: 0.5 elapsed, 239.5 left, 0.5 / 240 = 0.208 % -> 0.21.
    assert output["elapsed_business_minutes"] == 0.5
    assert output["remaining_business_minutes"] == 239.5
    assert output["elapsed_pct"] == 0.21


def test_response_metric_with_first_response():
    case = office_case(
        [
            {
                "at": "2025-03-03T09:00:00+01:00",
                "type": "created",
                "state": "New",
                "priority": "P2",
            },
            {"at": "2025-03-03T09:20:00+01:00", "type": "first_response"},
        ],
        "2025-03-03T12:00:00+01:00",
        metric="response",
        targets_minutes={"P1": 15, "P2": 30},
        pause_states=[],
        stop_events=["first_response"],
    )

    output = simulate(case)

    assert output["clock_state"] == "stopped"
    assert output["elapsed_business_minutes"] == 20
    assert output["remaining_business_minutes"] == 10
    assert output["breached"] is False
    assert output["due_at"] == "2025-03-03T08:30:00Z"  # in force when answered at 09:20 CET


def test_explain_adds_the_span_timeline():
    output = simulate(examples()[1], explain=True)

    assert output["spans"] == [
        {
            "start": "2025-03-03T08:00:00Z",
            "end": "2025-03-03T10:00:00Z",
            "state": "New",
            "clock_state": "running",
            "priority": "P2",
            "business_minutes": 120,
        },
        {
            "start": "2025-03-03T10:00:00Z",
            "end": "2025-03-03T13:00:00Z",
            "state": "Pending User",
            "clock_state": "paused",
            "priority": "P2",
            "business_minutes": 0,
        },
        {
            "start": "2025-03-03T13:00:00Z",
            "end": "2025-03-03T15:00:00Z",
            "state": "In Progress",
            "clock_state": "running",
            "priority": "P2",
            "business_minutes": 120,
        },
    ]


def test_reopen_new_cycle_reports_previous_cycles():
    case = office_case(
        [
            {
                "at": "2025-03-03T09:00:00+01:00",
                "type": "created",
                "state": "New",
                "priority": "P1",
            },
            {"at": "2025-03-03T10:00:00+01:00", "type": "state", "to": "Resolved"},
            {"at": "2025-03-03T14:00:00+01:00", "type": "state", "to": "In Progress"},
        ],
        "2025-03-03T15:00:00+01:00",
        policy={"priority_change": "retarget_keep_elapsed", "reopen": "new_cycle"},
    )

    output = simulate(case)

    # The fresh cycle from 14:00: 60 elapsed, 180 left -> 17:00 Mon + 1 h Tue = 10:00 CET.
    assert output["elapsed_business_minutes"] == 60
    assert output["due_at"] == "2025-03-04T09:00:00Z"
    (previous,) = output["previous_cycles"]
    assert previous["started_at"] == "2025-03-03T08:00:00Z"
    assert previous["ended_at"] == "2025-03-03T13:00:00Z"
    assert previous["ended_by"] == "reopen"
    assert previous["clock_state"] == "stopped"
    assert previous["elapsed_business_minutes"] == 60
    assert previous["breached"] is False


def test_priority_upgrade_past_target_breaches_at_the_change():
    case = office_case(
        [
            {
                "at": "2025-03-03T09:00:00+01:00",
                "type": "created",
                "state": "New",
                "priority": "P3",
            },
            {"at": "2025-03-03T14:00:00+01:00", "type": "priority", "to": "P1"},
        ],
        "2025-03-03T15:00:00+01:00",
    )

    output = simulate(case)

    assert output["breached"] is True
    assert output["breached_at"] == "2025-03-03T13:00:00Z"  # 14:00 CET
    assert output["elapsed_pct"] == 150.0
    assert output["remaining_business_minutes"] == 0


# --------------------------------------------------------------------------- bad input


def _set(path: list[Any], value: Any) -> Any:
    def mutate(case: dict[str, Any]) -> None:
        target = case
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()
_AT_13 = {"at": "2025-03-03T13:00:00+01:00", "type": "state", "to": "In Progress"}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            _set(["calendar", "tz"], "Mars/Base"),
            "cases[0].calendar.tz: unknown time zone 'Mars/Base'",
        ),
        (
            _set(["calendar", "weekly", "tue", 0], ["09:00", "25:00"]),
            "cases[0].calendar.weekly.tue[0][1]: malformed time '25:00'"
            " (expected HH:MM from 00:00 to 24:00)",
        ),
        (
            _set(["calendar", "weekly", "mon", 0], ["17:00", "09:00"]),
            "cases[0].calendar.weekly.mon[0]: window 17:00-09:00 ends before it starts",
        ),
        (
            _set(["calendar", "weekly", "monday"], []),
            "cases[0].calendar.weekly.monday: unknown field",
        ),
        (
            _set(["calendar", "holidays", 2], "21.04.2025"),
            "cases[0].calendar.holidays[2]: malformed date '21.04.2025' (expected YYYY-MM-DD)",
        ),
        (
            _set(["calendar", "mode"], "always"),
            "cases[0].calendar.mode: expected 'weekly' or '24x7', got 'always'",
        ),
        (
            _set(["events", 0, "at"], "2025-03-03 10h"),
            "cases[0].events[0].at: malformed time '2025-03-03 10h'"
            " (expected ISO 8601 like 2025-03-03T10:00:00+01:00)",
        ),
        (
            _set(["events", 0, "at"], "2025-03-03T10:00:00"),
            "cases[0].events[0].at: time '2025-03-03T10:00:00' needs a UTC offset"
            " (e.g. +01:00 or Z)",
        ),
        (
            _set(["now"], "yesterday"),
            "cases[0].now: malformed time 'yesterday'"
            " (expected ISO 8601 like 2025-03-03T10:00:00+01:00)",
        ),
        (
            _set(["events", 1], _AT_13),
            "cases[0].events[1].at: 2025-03-03T13:00:00+01:00 is after now"
            " (2025-03-03T12:30:00+01:00)",
        ),
        (
            _set(["events", 0, "priority"], "P9"),
            "cases[0].events[0].priority: unknown priority 'P9' (known: P1, P2, P3, P4)",
        ),
        (
            _set(["events", 1], {"at": "2025-03-03T11:00:00+01:00", "type": "priority", "to": "1"}),
            "cases[0].events[1].to: unknown priority '1' (known: P1, P2, P3, P4)",
        ),
        (
            _set(["events", 1], {"at": "2025-03-03T11:00:00+01:00", "type": "escalated"}),
            "cases[0].events[1].type: unknown event type 'escalated'"
            " (known: created, state, priority, first_response)",
        ),
        (
            _set(["events", 1], {"at": "2025-03-03T11:00:00+01:00", "type": "state"}),
            "cases[0].events[1].to: is required",
        ),
        (
            _set(["events", 0], {"at": "2025-03-03T10:00:00+01:00", "type": "first_response"}),
            "cases[0].events: needs a created event",
        ),
        (
            _set(["events", 1], {"at": "2025-03-03T09:00:00+01:00", "type": "first_response"}),
            "cases[0].events[1].at: 2025-03-03T09:00:00+01:00 is before the created event",
        ),
        (_set(["now"], _DELETE), "cases[0].now: is required"),
        (
            _set(["sla", "metric"], "speed"),
            "cases[0].sla.metric: unknown value 'speed' (known: response, resolution)",
        ),
        (
            _set(["sla", "targets_minutes", "P1"], -5),
            "cases[0].sla.targets_minutes.P1: must be a positive number of minutes, got -5",
        ),
        (
            _set(["sla", "policy", "reopen"], "sometimes"),
            "cases[0].sla.policy.reopen: unknown value 'sometimes' (known: resume, new_cycle)",
        ),
        (_set(["sla", "pause_state"], []), "cases[0].sla.pause_state: unknown field"),
        (
            _set(["sla", "warning_thresholds"], [50, 120]),
            "cases[0].sla.warning_thresholds[1]: must be a whole percentage between 1 and 99,"
            " got 120",
        ),
        (_set(["calendar"], "office"), "cases[0].calendar: expected an object, got a string"),
    ],
)
def test_bad_input_names_the_field(mutate, message):
    case = base_case()
    case["events"].append({"at": "2025-03-03T11:00:00+01:00", "type": "state", "to": "In Progress"})
    mutate(case)

    with pytest.raises(SimulationInputError) as caught:
        simulate([case])

    assert str(caught.value) == message


def test_bad_country_names_the_field():
    case = base_case()
    case["calendar"]["country_holidays"] = [{"country": "DE"}, {"country": "XX"}]

    with pytest.raises(
        SimulationInputError, match=r"^cases\[0\]\.calendar\.country_holidays\[1\]: "
    ):
        simulate([case])


def test_24x7_takes_no_weekly_windows():
    case = base_case()
    case["calendar"]["mode"] = "24x7"

    with pytest.raises(SimulationInputError) as caught:
        simulate(case)

    assert str(caught.value) == "calendar.weekly: not allowed with mode '24x7'"


def test_errors_in_later_cases_and_lone_objects_name_their_case():
    broken = base_case()
    broken["calendar"]["tz"] = "Mars/Base"

    with pytest.raises(SimulationInputError, match=r"^cases\[1\]\.calendar\.tz: unknown"):
        simulate([base_case(), broken])
    with pytest.raises(SimulationInputError, match=r"^calendar\.tz: unknown time zone"):
        simulate(broken)


def test_input_that_is_not_cases():
    with pytest.raises(SimulationInputError, match="^input: expected a JSON object or a list"):
        simulate("cases")
    with pytest.raises(SimulationInputError, match="^input: invalid JSON: .* line 1 column"):
        load_json("[{")


def test_a_calendar_without_business_hours_is_reported_not_looped_on():
    case = base_case()
    case["calendar"]["weekly"] = {}

    with pytest.raises(SimulationInputError, match=r"^cases\[0\]\.calendar: .*no business hours"):
        simulate([case])


# --------------------------------------------------------------------------- the command


def test_command_prints_the_examples():
    out = StringIO()

    call_command("sla", "simulate", str(FIXTURE_EXAMPLES), stdout=out)

    assert json.loads(out.getvalue()) == expected_output(examples())
    assert out.getvalue().startswith('[\n  {\n    "id": "BH-01",')


def test_command_reads_stdin_for_dash():
    out = StringIO()
    case = base_case()

    call_command("sla", "simulate", "-", stdin=StringIO(json.dumps(case)), stdout=out)

    assert json.loads(out.getvalue()) == {"id": "BH-01", **examples()[0]["expected"]}


def test_command_rejects_bad_input_with_status_2(tmp_path):
    bad = base_case()
    bad["calendar"]["tz"] = "Mars/Base"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([bad]), encoding="utf-8")
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as caught:
        call_command("sla", "simulate", str(path), stdout=out, stderr=err)

    assert caught.value.code == 2
    assert err.getvalue() == "error: cases[0].calendar.tz: unknown time zone 'Mars/Base'\n"
    assert out.getvalue() == ""


def test_cli_exit_status_and_stderr(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"calendar": {"tz": "UTC", "mode": "24x7"}}', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}

    completed = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "itsm", "sla", "simulate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )

    assert completed.returncode == 2
    assert completed.stderr == "error: sla: is required\n"
    assert completed.stdout == ""


def test_cli_prints_the_examples(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}

    completed = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "itsm", "sla", "simulate", str(FIXTURE_EXAMPLES)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )

    assert json.loads(completed.stdout) == expected_output(examples())


def test_example_inputs_are_not_modified_by_a_run():
    cases = examples()
    before = copy.deepcopy(cases)

    simulate(cases, explain=True)

    assert cases == before
