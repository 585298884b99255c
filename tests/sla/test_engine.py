"""The pure SLA engine: calendars (business time, holidays, DST) and the clock (SLA.md).

Plain functions, no database. Every expected value is worked out by hand in the comments.
Office calendar unless said otherwise: Europe/Berlin, Mon-Fri 09:00-17:00 (CET = UTC+1 in March
before the 30th, CEST = UTC+2 after). 2025-03-03 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm.sla.engine import (
    WEEKDAYS,
    Calendar,
    ClockState,
    Created,
    Event,
    FirstResponse,
    Metric,
    NoBusinessTimeError,
    PriorityChanged,
    PriorityChangePolicy,
    ReopenPolicy,
    SlaDefinition,
    StateChanged,
    Window,
    evaluate,
    holiday_dates,
    parse_clock_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WORKDAYS = WEEKDAYS[:5]
TARGETS = {"P1": 240, "P2": 480, "P3": 960, "P4": 2400}


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def minutes(amount: float) -> timedelta:
    return timedelta(minutes=amount)


def office(holidays: tuple[date, ...] = ()) -> Calendar:
    return Calendar.from_weekly(
        "Europe/Berlin", {day: [("09:00", "17:00")] for day in WORKDAYS}, holidays
    )


def every_day(tz: str, start: str, end: str) -> Calendar:
    return Calendar.from_weekly(tz, {day: [(start, end)] for day in WEEKDAYS})


def resolution(**options: Any) -> SlaDefinition:
    return SlaDefinition(Metric.RESOLUTION, TARGETS, **options)


OFFICE = office()
RESOLUTION = resolution()


def created(at: datetime, priority: str = "P1", state: str = "New") -> Created:
    return Created(at, state, priority)


# --------------------------------------------------------------------------- calendars


def test_clock_times_parse_and_reject_malformed():
    assert parse_clock_time("00:00") == 0
    assert parse_clock_time("09:30") == 570
    assert parse_clock_time("24:00") == 1440
    for bad in ("24:01", "9:00", "25:00", "12:60", "noon", "12:00:00"):
        with pytest.raises(ValueError, match="malformed time"):
            parse_clock_time(bad)
    with pytest.raises(ValueError, match="ends before it starts"):
        Window.parse("17:00", "09:00")


def test_business_time_across_a_night():
    # Mon 16:00-17:00 and Tue 09:00-10:00.
    assert OFFICE.business_time_between(berlin(2025, 3, 3, 16), berlin(2025, 3, 4, 10)) == minutes(
        120
    )


def test_business_time_across_a_weekend():
    # Fri 15:00-17:00 and Mon 09:00-11:00; Saturday and Sunday are closed.
    start, end = berlin(2025, 3, 7, 15), berlin(2025, 3, 10, 11)
    assert OFFICE.business_seconds_between(start, end) == 4 * 3600
    assert OFFICE.business_seconds_between(end, start) == -4 * 3600
    assert list(OFFICE.business_intervals(start, end)) == [
        (utc(2025, 3, 7, 14), utc(2025, 3, 7, 16)),
        (utc(2025, 3, 10, 8), utc(2025, 3, 10, 10)),
    ]


def test_add_business_time_skips_the_weekend():
    # Fri 16:00 + 3 h: 1 h on Friday, 2 h on Monday -> Mon 11:00 CET = 10:00Z.
    assert OFFICE.add_business_time(berlin(2025, 3, 7, 16), minutes(180)) == utc(2025, 3, 10, 10)
    # Starting on Saturday counts from the next opening: Mon 09:00 + 1 h.
    assert OFFICE.add_business_time(berlin(2025, 3, 8, 12), 3600) == utc(2025, 3, 10, 9)


def test_add_business_time_used_up_at_closing_is_due_at_closing():
    # Mon 15:00 + 2 h ends exactly at 17:00: due at 17:00, not at Tuesday's 09:00.
    assert OFFICE.add_business_time(berlin(2025, 3, 3, 15), minutes(120)) == berlin(2025, 3, 3, 17)
    # Zero is "now", even outside business hours.
    assert OFFICE.add_business_time(berlin(2025, 3, 8, 12), 0) == berlin(2025, 3, 8, 12)


def test_custom_holidays_close_whole_days():
    christmas = office((date(2025, 12, 25), date(2025, 12, 26)))
    # Wed 24 Dec 16:00 + 2 h: 1 h Wednesday, Thu/Fri holidays, weekend, Mon 29 Dec 09:00-10:00.
    assert christmas.add_business_time(berlin(2025, 12, 24, 16), minutes(120)) == berlin(
        2025, 12, 29, 10
    )
    assert christmas.business_time_between(berlin(2025, 12, 25), berlin(2025, 12, 27)) == minutes(0)
    assert not christmas.is_business_time(berlin(2025, 12, 25, 10))
    assert christmas.is_business_time(berlin(2025, 12, 24, 10))


def test_country_holidays_from_the_holidays_package():
    german = holiday_dates("DE", None, [2025])
    # Good Friday and Easter Monday 2025, German Unity Day.
    assert {date(2025, 4, 18), date(2025, 4, 21), date(2025, 10, 3)} <= german
    assert date(2025, 1, 6) not in german  # Epiphany is only a holiday in some states
    assert date(2025, 1, 6) in holiday_dates("DE", "BY", [2025])
    easter = office(tuple(german))
    # Thu 17 Apr 16:00 CEST + 2 h: 1 h Thursday, Fri-Mon closed, Tue 22 Apr 09:00-10:00 CEST.
    assert easter.add_business_time(berlin(2025, 4, 17, 16), minutes(120)) == utc(2025, 4, 22, 8)


def test_unknown_country_is_a_value_error():
    with pytest.raises(ValueError, match="XX"):
        holiday_dates("XX", None, [2025])


def test_split_day_with_lunch_break():
    lunch = Calendar.from_weekly(
        "Europe/Berlin", {day: [("09:00", "12:00"), ("13:00", "17:00")] for day in WORKDAYS}
    )
    # 3 h + 4 h between 08:00 and 18:00.
    assert lunch.business_time_between(berlin(2025, 3, 3, 8), berlin(2025, 3, 3, 18)) == minutes(
        420
    )
    # Mon 11:00 + 2 h: 11:00-12:00, lunch, 13:00-14:00.
    assert lunch.add_business_time(berlin(2025, 3, 3, 11), minutes(120)) == berlin(2025, 3, 3, 14)
    # Used up exactly when lunch starts: due at 12:00, not 13:00.
    assert lunch.add_business_time(berlin(2025, 3, 3, 11), minutes(60)) == berlin(2025, 3, 3, 12)


def test_adjacent_and_overlapping_windows_count_once():
    adjacent = Calendar.from_weekly("UTC", {"mon": [("09:00", "12:00"), ("12:00", "17:00")]})
    overlapping = Calendar.from_weekly("UTC", {"mon": [("09:00", "13:00"), ("12:00", "17:00")]})
    day_start, day_end = utc(2025, 3, 3), utc(2025, 3, 4)
    for calendar in (adjacent, overlapping):
        assert calendar.business_time_between(day_start, day_end) == minutes(480)
        assert list(calendar.business_intervals(day_start, day_end)) == [
            (utc(2025, 3, 3, 9), utc(2025, 3, 3, 17))
        ]


def test_zero_length_window_is_closed_and_a_closed_calendar_cannot_be_due():
    closed = Calendar.from_weekly("UTC", {day: [("09:00", "09:00")] for day in WEEKDAYS})
    assert closed.business_time_between(utc(2025, 3, 3), utc(2025, 3, 10)) == minutes(0)
    with pytest.raises(NoBusinessTimeError):
        closed.add_business_time(utc(2025, 3, 3), 60)
    mondays_only = Calendar.from_weekly("UTC", {"mon": [("09:00", "17:00")]})
    # From Tuesday the next business hour is the following Monday 09:00-10:00.
    assert mondays_only.add_business_time(utc(2025, 3, 4), minutes(60)) == utc(2025, 3, 10, 10)


def test_24x7_target_of_24_hours_is_24_real_hours_across_dst():
    always = Calendar.always_open("Europe/Berlin")
    assert always.mode == "24x7"
    # Sat 29 Mar 12:00 CET (11:00Z) + 24 h = Sun 30 Mar 11:00Z, shown as 13:00 CEST.
    due = always.add_business_time(berlin(2025, 3, 29, 12), minutes(24 * 60))
    assert due == utc(2025, 3, 30, 11)
    assert always.to_local(due) == berlin(2025, 3, 30, 13)
    assert always.business_time_between(berlin(2025, 10, 25, 12), berlin(2025, 10, 26, 12)) == (
        minutes(25 * 60)  # the fall-back day has 25 real hours
    )


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        ("Europe/Berlin", date(2025, 3, 30), 5),  # 02:00-03:00 does not exist
        ("Europe/Berlin", date(2025, 10, 26), 7),  # 02:00-03:00 happens twice
        ("America/New_York", date(2025, 3, 9), 5),
        ("America/New_York", date(2025, 11, 2), 7),
        ("Europe/Berlin", date(2025, 3, 29), 6),  # an ordinary night
    ],
)
def test_midnight_to_six_window_on_dst_nights(tz, day, hours):
    nights = every_day(tz, "00:00", "06:00")
    zone = ZoneInfo(tz)
    noon_before = datetime(day.year, day.month, day.day, tzinfo=zone) - timedelta(hours=12)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
    assert nights.business_time_between(noon_before, noon) == timedelta(hours=hours)


def test_fall_back_night_is_one_interval_of_seven_hours():
    nights = every_day("Europe/Berlin", "00:00", "06:00")
    # 00:00 CEST = 22:00Z on the 25th; 06:00 CET = 05:00Z on the 26th.
    assert list(nights.business_intervals(berlin(2025, 10, 25, 12), berlin(2025, 10, 26, 12))) == [
        (utc(2025, 10, 25, 22), utc(2025, 10, 26, 5))
    ]
    # Adding 6 business hours from the opening ends at 04:00Z = 05:00 CET, not at 06:00.
    assert nights.add_business_time(utc(2025, 10, 25, 22), minutes(360)) == utc(2025, 10, 26, 4)


@pytest.mark.parametrize(
    ("tz", "start", "end", "day", "hours"),
    [
        # The window is exactly the skipped hour: never business time.
        ("Europe/Berlin", "02:00", "03:00", date(2025, 3, 30), 0),
        # The repeated hour counts twice: 00:00-01:00Z (CEST) and 01:00-02:00Z (CET).
        ("Europe/Berlin", "02:00", "03:00", date(2025, 10, 26), 2),
        ("America/New_York", "02:00", "03:00", date(2025, 3, 9), 0),
        ("America/New_York", "01:00", "02:00", date(2025, 11, 2), 2),
    ],
)
def test_window_inside_the_transition(tz, start, end, day, hours):
    calendar = every_day(tz, start, end)
    zone = ZoneInfo(tz)
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    assert calendar.business_time_between(midnight, midnight + timedelta(days=1)) == timedelta(
        hours=hours
    )


def test_office_hours_follow_the_local_clock_across_dst():
    # Fri 28 Mar 16:00 CET + 2 h: Fri 16:00-17:00 CET, then Mon 31 Mar 09:00-10:00 CEST.
    due = OFFICE.add_business_time(berlin(2025, 3, 28, 16), minutes(120))
    assert due == utc(2025, 3, 31, 8)
    assert due == berlin(2025, 3, 31, 10)
    new_york = Calendar.from_weekly(
        "America/New_York", {day: [("09:00", "17:00")] for day in WORKDAYS}
    )
    # Fri 31 Oct 16:00 EDT (20:00Z) + 2 h -> Mon 3 Nov 10:00 EST = 15:00Z.
    assert new_york.add_business_time(
        datetime(2025, 10, 31, 16, tzinfo=NEW_YORK), minutes(120)
    ) == utc(2025, 11, 3, 15)


def test_naive_datetimes_are_rejected():
    naive = datetime(2025, 3, 3, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        OFFICE.business_time_between(naive, berlin(2025, 3, 3, 10))


def test_unknown_zone_is_a_value_error():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        Calendar.always_open("Mars/Base")


def test_equal_calendars_are_equal_and_hash_alike():
    assert office() == office()
    assert hash(office()) == hash(office())
    assert office() != office((date(2025, 12, 25),))


# --------------------------------------------------------------------------- the clock


def test_business_hours_same_day_example():
    # Example BH-01: P1 (240 min) opened Mon 10:00, now 12:30 -> 150 elapsed, 90 remaining.
    result = evaluate(
        OFFICE, RESOLUTION, [created(berlin(2025, 3, 3, 10))], berlin(2025, 3, 3, 12, 30)
    )
    assert result.clock_state is ClockState.RUNNING
    assert result.priority == "P1"
    assert result.target_minutes == 240
    assert result.elapsed_business_minutes == 150
    assert result.remaining_business_minutes == 90
    assert result.elapsed_pct == 62.5
    assert result.due_at == utc(2025, 3, 3, 13)  # 14:00 CET
    assert not result.breached
    assert result.breached_at is None
    # 50 % = 120 min at 12:00 CET (already past), 75 % = 180 min at 13:00 CET.
    assert result.warnings == {50: utc(2025, 3, 3, 11), 75: utc(2025, 3, 3, 12)}


def test_pause_inside_working_hours_example():
    # Example PAU-01: P2 (480) 09:00-11:00 running, paused until 14:00, now 16:00 -> 240.
    events = [
        created(berlin(2025, 3, 3, 9), "P2"),
        StateChanged(berlin(2025, 3, 3, 11), "Pending User"),
        StateChanged(berlin(2025, 3, 3, 14), "In Progress"),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 16))
    assert result.elapsed == minutes(240)
    assert result.elapsed_pct == 50.0
    # 240 left: 16:00-17:00 Monday, 09:00-12:00 Tuesday.
    assert result.due_at == berlin(2025, 3, 4, 12)
    # 50 % reached right now (16:00 CET); 75 % = 360 min: 1 h today + 1 h Tuesday -> 10:00.
    assert result.warnings == {50: berlin(2025, 3, 3, 16), 75: berlin(2025, 3, 4, 10)}
    assert [(s.clock_state, s.business_seconds) for s in result.spans] == [
        (ClockState.RUNNING, 7200),
        (ClockState.PAUSED, 0),
        (ClockState.RUNNING, 7200),
    ]
    assert result.spans[1].state == "Pending User"
    assert result.spans[-1].end == berlin(2025, 3, 3, 16)


def test_pause_outside_working_hours_changes_nothing():
    # Mon 16:00-17:00 and Tue 09:00-10:00 count either way; the pause 17:30-08:30 is closed time.
    opened, now = berlin(2025, 3, 3, 16), berlin(2025, 3, 4, 10)
    paused = [
        created(opened, "P2"),
        StateChanged(berlin(2025, 3, 3, 17, 30), "On Hold"),
        StateChanged(berlin(2025, 3, 4, 8, 30), "In Progress"),
    ]
    with_pause = evaluate(OFFICE, RESOLUTION, paused, now)
    without = evaluate(OFFICE, RESOLUTION, [created(opened, "P2")], now)
    assert with_pause.elapsed == without.elapsed == minutes(120)
    assert with_pause.due_at == without.due_at == berlin(2025, 3, 4, 16)


def test_due_and_unreached_warnings_are_null_while_paused():
    # P1 opened 09:00, Pending User from 11:30 (150 min elapsed), now 12:00.
    events = [
        created(berlin(2025, 3, 3, 9)),
        StateChanged(berlin(2025, 3, 3, 11, 30), "Pending User"),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 12))
    assert result.clock_state is ClockState.PAUSED
    assert result.elapsed == minutes(150)
    assert result.due_at is None
    # 50 % (120 min) was reached at 11:00 and stays reported; 75 % (180) is not reached yet.
    assert result.warnings == {50: berlin(2025, 3, 3, 11), 75: None}
    assert result.next_threshold_at(berlin(2025, 3, 3, 12)) is None


def test_now_exactly_at_due_is_not_breached_a_moment_later_is():
    events = [created(berlin(2025, 3, 3, 9))]
    at_due = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 13))
    assert at_due.due_at == berlin(2025, 3, 3, 13)
    assert not at_due.breached
    assert at_due.remaining == timedelta(0)
    after = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 13) + timedelta(microseconds=1))
    assert after.breached
    assert after.breached_at == berlin(2025, 3, 3, 13)


def test_resolving_exactly_at_due_is_met():
    events = [created(berlin(2025, 3, 3, 9)), StateChanged(berlin(2025, 3, 3, 13), "Resolved")]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 16))
    assert result.clock_state is ClockState.STOPPED
    assert result.elapsed == minutes(240)
    assert result.elapsed_pct == 100.0
    assert not result.breached
    # Stopped: the due time in force just before the stop.
    assert result.due_at == berlin(2025, 3, 3, 13)


def test_resolving_a_minute_late_breaches_at_due():
    events = [created(berlin(2025, 3, 3, 9)), StateChanged(berlin(2025, 3, 3, 13, 1), "Resolved")]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 16))
    assert result.breached
    assert result.breached_at == berlin(2025, 3, 3, 13)
    assert result.elapsed == minutes(241)
    assert result.remaining == timedelta(0)


def test_resolving_early_reports_the_due_time_in_force_at_the_stop():
    # Resolved at 10:00 after 60 min; just before, the projection was 10:00 + 180 min = 13:00.
    events = [created(berlin(2025, 3, 3, 9)), StateChanged(berlin(2025, 3, 3, 10), "Resolved")]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 5, 16))
    assert result.due_at == berlin(2025, 3, 3, 13)
    assert result.warnings == {50: berlin(2025, 3, 3, 11), 75: berlin(2025, 3, 3, 12)}
    assert result.elapsed == minutes(60)
    assert result.next_threshold_at(berlin(2025, 3, 3, 10)) is None


def test_priority_upgrade_past_the_target_breaches_at_the_change():
    # P3 (960) opened 09:00; at 14:00 (300 min elapsed) it becomes P1 (240): breached at 14:00.
    events = [created(berlin(2025, 3, 3, 9), "P3"), PriorityChanged(berlin(2025, 3, 3, 14), "P1")]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 15))
    assert result.priority == "P1"
    assert result.target_minutes == 240
    assert result.breached_at == berlin(2025, 3, 3, 14)
    assert result.elapsed == minutes(360)
    assert result.remaining == timedelta(0)
    assert result.elapsed_pct == 150.0
    # Elapsed reached the new target (240 min) at 13:00, before the change.
    assert result.due_at == berlin(2025, 3, 3, 13)
    # Now equal to the change instant: b == end, not breached yet.
    at_change = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 14))
    assert not at_change.breached


def test_downgrade_after_a_breach_stays_breached():
    # P1 opened 09:00 breaches at 13:00; downgraded to P3 (960) at 14:00; now 15:00.
    events = [created(berlin(2025, 3, 3, 9)), PriorityChanged(berlin(2025, 3, 3, 14), "P3")]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 15))
    assert result.breached
    assert result.breached_at == berlin(2025, 3, 3, 13)
    assert result.elapsed == minutes(360)
    assert result.remaining == minutes(600)
    # 600 left: 15:00-17:00 Monday (120) + Tuesday 09:00-17:00 (480) -> due Tue 17:00.
    assert result.due_at == berlin(2025, 3, 4, 17)


def test_pause_and_resolve_never_clear_a_breach():
    events = [
        created(berlin(2025, 3, 3, 9)),
        StateChanged(berlin(2025, 3, 3, 14), "On Hold"),
        StateChanged(berlin(2025, 3, 3, 15), "Resolved"),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 4, 9))
    assert result.clock_state is ClockState.STOPPED
    assert result.breached_at == berlin(2025, 3, 3, 13)
    assert result.elapsed == minutes(300)


def test_reopen_resume_continues_the_same_clock():
    # 09:00-10:00 counts (60), resolved 10:00-14:00 does not, reopened 14:00, now 15:00 -> 120.
    events = [
        created(berlin(2025, 3, 3, 9)),
        StateChanged(berlin(2025, 3, 3, 10), "Resolved"),
        StateChanged(berlin(2025, 3, 3, 14), "In Progress"),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 15))
    assert result.clock_state is ClockState.RUNNING
    assert result.started_at == berlin(2025, 3, 3, 9)
    assert result.elapsed == minutes(120)
    assert result.due_at == berlin(2025, 3, 3, 17)  # 15:00 + 120 min
    assert result.previous_cycles == ()


def test_reopen_new_cycle_keeps_earlier_cycles():
    events = [
        created(berlin(2025, 3, 3, 9)),
        StateChanged(berlin(2025, 3, 3, 10), "Resolved"),
        StateChanged(berlin(2025, 3, 3, 14), "In Progress"),
    ]
    result = evaluate(
        OFFICE, resolution(reopen=ReopenPolicy.NEW_CYCLE), events, berlin(2025, 3, 3, 15)
    )
    # The fresh cycle started at 14:00: 60 min elapsed; 180 left = 15:00-17:00 + Tue 09:00-10:00.
    assert result.started_at == berlin(2025, 3, 3, 14)
    assert result.elapsed == minutes(60)
    assert result.due_at == berlin(2025, 3, 4, 10)
    (first,) = result.previous_cycles
    assert (first.started_at, first.ended_at, first.ended_by) == (
        berlin(2025, 3, 3, 9),
        berlin(2025, 3, 3, 14),
        "reopen",
    )
    assert first.clock_state is ClockState.STOPPED
    assert first.elapsed == minutes(60)
    assert not first.breached
    assert first.due_at == berlin(2025, 3, 3, 13)  # in force when resolved at 10:00


def test_priority_change_with_restart_starts_a_new_cycle():
    # P3 from 09:00 (120 min by 11:00), then P1 restarts at 11:00; now 12:00.
    events = [created(berlin(2025, 3, 3, 9), "P3"), PriorityChanged(berlin(2025, 3, 3, 11), "P1")]
    definition = resolution(priority_change=PriorityChangePolicy.RESTART)
    result = evaluate(OFFICE, definition, events, berlin(2025, 3, 3, 12))
    assert result.started_at == berlin(2025, 3, 3, 11)
    assert result.priority == "P1"
    assert result.elapsed == minutes(60)
    assert result.due_at == berlin(2025, 3, 3, 15)  # 12:00 + 180 min
    (first,) = result.previous_cycles
    assert first.ended_by == "priority_change"
    assert first.priority == "P3"
    assert first.elapsed == minutes(120)
    # Projected at the change: 840 left = 11:00-17:00 (360) + Tue 09:00-17:00 (480).
    assert first.due_at == berlin(2025, 3, 4, 17)
    # Retargeting (the default) keeps the 180 elapsed minutes instead.
    kept = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 12))
    assert kept.elapsed == minutes(180)
    assert kept.previous_cycles == ()


def test_response_sla_stops_at_first_response_and_ignores_pauses():
    response = SlaDefinition(Metric.RESPONSE, {"P2": 30})
    opened = berlin(2025, 3, 3, 9)
    answered = [
        created(opened, "P2"),
        StateChanged(berlin(2025, 3, 3, 9, 5), "Pending User"),
        FirstResponse(berlin(2025, 3, 3, 9, 20)),
    ]
    result = evaluate(OFFICE, response, answered, berlin(2025, 3, 3, 12))
    assert result.clock_state is ClockState.STOPPED
    assert result.elapsed == minutes(20)  # Pending User does not pause a response SLA
    assert not result.breached
    assert result.due_at == berlin(2025, 3, 3, 9, 30)
    # Unanswered: breached at 09:30 even though the ticket waits for the user.
    late = evaluate(OFFICE, response, answered[:2], berlin(2025, 3, 3, 9, 40))
    assert late.clock_state is ClockState.RUNNING
    assert late.breached_at == berlin(2025, 3, 3, 9, 30)
    # Resolved before any response also stops it.
    resolved = [created(opened, "P2"), StateChanged(berlin(2025, 3, 3, 9, 10), "Resolved")]
    assert evaluate(OFFICE, response, resolved, berlin(2025, 3, 3, 10)).elapsed == minutes(10)
    # A first response does not stop a resolution SLA.
    assert evaluate(OFFICE, RESOLUTION, answered, berlin(2025, 3, 3, 12)).clock_state is (
        ClockState.PAUSED
    )


def test_configurable_warning_thresholds_and_next_threshold():
    definition = resolution(warning_thresholds=(25, 90, 50))
    result = evaluate(
        OFFICE, definition, [created(berlin(2025, 3, 3, 9))], berlin(2025, 3, 3, 10, 30)
    )
    # 25 % = 60 min -> 10:00 (past), 50 % = 120 -> 11:00, 90 % = 216 -> 12:36; due 13:00.
    assert result.warnings == {
        25: berlin(2025, 3, 3, 10),
        50: berlin(2025, 3, 3, 11),
        90: berlin(2025, 3, 3, 12, 36),
    }
    assert result.thresholds() == {
        "warn_25": berlin(2025, 3, 3, 10),
        "warn_50": berlin(2025, 3, 3, 11),
        "warn_90": berlin(2025, 3, 3, 12, 36),
        "due": berlin(2025, 3, 3, 13),
    }
    assert result.next_threshold_at(berlin(2025, 3, 3, 10, 30)) == berlin(2025, 3, 3, 11)
    assert result.next_threshold_at(berlin(2025, 3, 3, 13)) is None


def test_same_instant_events_apply_in_order():
    # At 10:00 the ticket goes to Pending User and straight back: never paused.
    ten = berlin(2025, 3, 3, 10)
    events: list[Event] = [
        created(berlin(2025, 3, 3, 9)),
        StateChanged(ten, "Pending User"),
        StateChanged(ten, "In Progress"),
        PriorityChanged(ten, "P4"),
        PriorityChanged(ten, "P1"),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 11))
    assert result.clock_state is ClockState.RUNNING
    assert result.elapsed == minutes(120)
    assert result.priority == "P1"


def test_events_are_sorted_by_time_keeping_the_order_of_ties():
    ten = berlin(2025, 3, 3, 10)
    events: list[Event] = [
        StateChanged(ten, "In Progress"),
        StateChanged(ten, "Pending User"),
        PriorityChanged(ten, "P1"),
        PriorityChanged(ten, "P4"),
        created(berlin(2025, 3, 3, 9)),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 11))
    # Pending User and P4 are the last at 10:00: paused after 60 min, with P4's 2400 min target.
    assert result.clock_state is ClockState.PAUSED
    assert result.elapsed == minutes(60)
    assert result.priority == "P4"


def test_paused_then_stopped_has_no_due_time():
    events = [
        created(berlin(2025, 3, 3, 9)),
        StateChanged(berlin(2025, 3, 3, 10), "Pending User"),
        StateChanged(berlin(2025, 3, 3, 11), "Resolved"),
    ]
    result = evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 12))
    assert result.clock_state is ClockState.STOPPED
    assert result.elapsed == minutes(60)
    assert result.due_at is None  # the due time in force just before the stop (paused) was null


def test_fractional_minutes_are_kept_exactly():
    result = evaluate(
        OFFICE, RESOLUTION, [created(berlin(2025, 3, 3, 9))], berlin(2025, 3, 3, 9, 0, 30)
    )
    assert result.elapsed == timedelta(seconds=30)
    assert result.elapsed_business_minutes == 0.5


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], "no events"),
        ([StateChanged(berlin(2025, 3, 3, 9), "New")], "first event must be the created"),
        ([created(berlin(2025, 3, 3, 9)), created(berlin(2025, 3, 3, 10))], "only one created"),
        ([created(berlin(2025, 3, 3, 13))], "after now"),
        ([created(berlin(2025, 3, 3, 9), "P9")], "unknown priority 'P9'"),
        ([created(berlin(2025, 3, 3, 9)), PriorityChanged(berlin(2025, 3, 3, 9), "P0")], "'P0'"),
    ],
)
def test_inconsistent_journals_are_value_errors(events, message):
    with pytest.raises(ValueError, match=message):
        evaluate(OFFICE, RESOLUTION, events, berlin(2025, 3, 3, 12))


def test_definition_validation():
    with pytest.raises(ValueError, match="positive"):
        SlaDefinition(Metric.RESOLUTION, {"P1": 0})
    with pytest.raises(ValueError, match="between 0 and 100"):
        resolution(warning_thresholds=(100,))
    assert resolution().effective_pause_states == {"Pending User", "Waiting for Vendor", "On Hold"}
    assert SlaDefinition(Metric.RESPONSE, TARGETS).effective_pause_states == frozenset()
    # Strings and lists (as from a database row) are normalised; definitions are hashable.
    loose = SlaDefinition("response", TARGETS, stop_states=["Closed"], reopen="new_cycle")  # type: ignore[arg-type]
    assert loose.metric is Metric.RESPONSE
    assert loose.reopen is ReopenPolicy.NEW_CYCLE
    assert loose.stop_states == frozenset({"Closed"})
    assert hash(resolution()) == hash(resolution())


# --------------------------------------------------------------------------- properties

START = utc(2024, 1, 1)
CALENDARS = [
    OFFICE,
    Calendar.from_weekly(
        "America/New_York", {day: [("08:30", "12:00"), ("13:00", "18:15")] for day in WORKDAYS}
    ),
    every_day("Europe/Berlin", "00:00", "06:00"),
    every_day("America/New_York", "01:00", "02:30"),
    Calendar.always_open("Europe/Berlin"),
    office(tuple(holiday_dates("DE", None, [2024, 2025, 2026]))),
]
instants = st.integers(0, 3 * 365 * 24 * 3600).map(lambda s: START + timedelta(seconds=s))
amounts = st.integers(0, 10 * 24 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(CALENDARS)


@settings(deadline=None, max_examples=300)
@given(calendars, instants, amounts)
def test_add_business_time_inverts_business_time_between(calendar, start, amount):
    due = calendar.add_business_time(start, amount)
    assert due >= start
    assert calendar.business_time_between(start, due) == amount


@settings(deadline=None, max_examples=300)
@given(calendars, instants, st.integers(0, 20 * 24 * 3600))
def test_business_time_between_inverts_add_business_time(calendar, start, seconds):
    end = start + timedelta(seconds=seconds)
    spent = calendar.business_time_between(start, end)
    back = calendar.add_business_time(start, spent)
    # The earliest instant reaching the same amount: ``end`` itself, or the last closing before it.
    assert back <= end
    assert calendar.business_time_between(back, end) == timedelta(0)


@settings(deadline=None, max_examples=200)
@given(calendars, instants, st.integers(0, 10**6), st.integers(0, 10**6))
def test_business_time_is_additive(calendar, a, first, second):
    b = a + timedelta(seconds=first)
    c = b + timedelta(seconds=second)
    assert calendar.business_time_between(a, b) + calendar.business_time_between(b, c) == (
        calendar.business_time_between(a, c)
    )


_STATES = ["In Progress", "Pending User", "Resolved", "Assigned", "On Hold"]
journals = st.lists(
    st.tuples(
        st.integers(0, 5 * 24 * 60),
        st.one_of(
            st.sampled_from(_STATES).map(lambda s: ("state", s)),
            st.sampled_from(list(TARGETS)).map(lambda p: ("priority", p)),
        ),
    ),
    max_size=8,
)


@settings(deadline=None, max_examples=200)
@given(calendars, journals, st.integers(0, 3 * 24 * 60), st.sampled_from(list(ReopenPolicy)))
def test_elapsed_is_monotonic_and_breach_is_sticky(calendar, journal, extra, reopen):
    opened = utc(2025, 3, 3, 7, 30)
    events: list[Event] = [created(opened, "P2")]
    for offset, (kind, value) in journal:
        at = opened + timedelta(minutes=offset)
        events.append(StateChanged(at, value) if kind == "state" else PriorityChanged(at, value))
    last = max(event.at for event in events)
    definition = resolution(reopen=reopen)
    early = evaluate(calendar, definition, events, last)
    later = evaluate(calendar, definition, events, last + timedelta(minutes=extra))
    assert later.elapsed >= early.elapsed
    assert later.started_at == early.started_at
    if early.breached:
        assert later.breached_at == early.breached_at
    if later.breached_at is not None:
        assert later.breached_at < last + timedelta(minutes=extra)
    assert sum((s.business_time for s in later.spans), timedelta(0)) == later.elapsed
