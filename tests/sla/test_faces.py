"""What people see of SLAs: badges for queue rows, the explain panel, the admin pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.template.loader import render_to_string
from django.test import Client

from itsm.accounts.models import User
from itsm.sla.admin import working_days
from itsm.sla.models import BusinessCalendar, SlaDefinition
from itsm.sla.queries import explain_ticket_slas, sla_badges_for
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_transition_ticket
from tests.conftest import PASSWORD
from tests.sla.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(create_ticket: Callable[..., Ticket], requester: User, monday: datetime) -> Ticket:
    return create_ticket(requester=requester, now=monday)


def _levels(ticket: Ticket, now: datetime) -> dict[str, tuple[str, str]]:
    return {b.metric: (b.level, b.text) for b in sla_badges_for([ticket], now=now)[ticket.pk]}


def test_badges_colour_by_threshold_in_business_time(incident: Ticket) -> None:
    assert _levels(incident, at("2025-03-03 10:40")) == {
        "response": ("ok", "3h 20m left"),
        # Business hours, never "days": 6h20m + 8h + 8h + 1h to Thursday 10:00.
        "resolution": ("ok", "23h 20m left"),
    }
    assert _levels(incident, at("2025-03-03 12:30"))["response"] == ("warn", "1h 30m left")
    assert _levels(incident, at("2025-03-03 13:15"))["response"] == ("risk", "45m left")
    assert _levels(incident, at("2025-03-03 16:00"))["response"] == ("breached", "breached 2h ago")
    # Overnight, only business time is left: Monday 16:59 -> one minute to 17:00 and the
    # resolution due Thursday 10:00.
    assert _levels(incident, at("2025-03-03 16:59"))["resolution"][1] == "17h 1m left"


def test_paused_badge_says_paused(incident: Ticket, agent: User) -> None:
    do_transition_ticket(
        incident, "pending_user", actor=agent, reason="Which floor?", now=at("2025-03-03 11:00")
    )
    level, text = _levels(incident, at("2025-03-05 11:00"))["resolution"]
    assert (level, text) == ("paused", "paused, 23h left")


def test_badges_for_many_tickets_take_two_queries(
    create_ticket: Callable[..., Ticket],
    requester: User,
    monday: datetime,
    django_assert_num_queries: Callable[..., object],
) -> None:
    few = [create_ticket(requester=requester, now=monday) for _ in range(2)]
    many = few + [create_ticket(requester=requester, now=monday) for _ in range(6)]
    sla_badges_for(many, now=at("2025-03-03 11:00"))  # warm the calendar cache
    # The instances, then their few definitions: the same two queries for 2 or 8 tickets.
    with django_assert_num_queries(2):  # type: ignore[operator]
        sla_badges_for(few, now=at("2025-03-03 11:00"))
    with django_assert_num_queries(2):  # type: ignore[operator]
        badges = sla_badges_for(many, now=at("2025-03-03 11:00"))
    assert all(len(badges[t.pk]) == 2 for t in many)


def test_badge_partial_renders_classes_and_text(incident: Ticket) -> None:
    [response, resolution] = sla_badges_for([incident], now=at("2025-03-03 13:15"))[incident.pk]
    html = render_to_string("sla/partials/badge.html", {"badge": response})
    assert 'class="sla-badge sla-badge--risk"' in html
    assert "45m left" in html
    assert "style=" not in html
    many = render_to_string("sla/partials/badges.html", {"badges": [response, resolution]})
    assert many.count("sla-badge--") == 2


def test_explain_partial_shows_spans_and_breach(incident: Ticket, agent: User) -> None:
    do_transition_ticket(
        incident, "pending_user", actor=agent, reason="Which floor?", now=at("2025-03-03 11:00")
    )
    do_transition_ticket(incident, "in_progress", actor=agent, now=at("2025-03-03 15:00"))
    slas = explain_ticket_slas(incident, now=at("2025-03-03 16:00"))
    html = render_to_string("sla/partials/explain.html", {"slas": slas})
    assert "Pending User" in html
    assert "sla-span--paused" in html
    assert "Breached at" in html  # the response SLA ran out at 14:00
    assert "style=" not in html


def test_working_days_preview_splits_at_dst() -> None:
    always = BusinessCalendar(name="x", tz="Europe/Berlin", mode="24x7")
    [spring] = working_days(always, date(2025, 3, 30), 1)
    assert spring["hours"] == 23
    office = BusinessCalendar(name="y", tz="UTC", custom_holidays=["2025-03-04"])
    rows = working_days(office, date(2025, 3, 3), 7)
    assert [r["hours"] for r in rows] == [8, 0, 8, 8, 8, 0, 0]
    assert rows[0]["intervals"] == [("09:00", "17:00")]


@pytest.fixture
def admin_client_for(admin_user: User) -> Client:
    client = Client()
    assert client.login(email=admin_user.email, password=PASSWORD)
    return client


def test_admin_calendar_page_previews_14_days(admin_client_for: Client) -> None:
    calendar = BusinessCalendar.objects.get(name="Business hours Mon–Fri 09:00–17:00")
    page = admin_client_for.get(f"/admin/sla/businesscalendar/{calendar.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("<td>09:00–17:00</td>") == 10  # ten weekdays in any 14 days
    assert text.count("<td>closed</td>") == 4
    assert "itsm/sla.css" in text


def test_admin_saves_a_definition_through_the_action(admin_client_for: Client) -> None:
    calendar = BusinessCalendar.objects.get(name="Standard 24x7")
    page = admin_client_for.post(
        "/admin/sla/sladefinition/add/",
        {
            "name": "VIP resolution",
            "is_active": "on",
            "metric": "resolution",
            "calendar": calendar.pk,
            "targets_minutes": '{"P1": 60, "P2": 120, "P3": 240, "P4": 480, "P5": 960}',
            "start": "opened",
            "pause_states": ["pending_user"],
            "stop_states": ["resolved", "closed"],
            "priority_change": "retarget_keep_elapsed",
            "reopen": "resume",
            "warning_thresholds": "[50, 75]",
            "kinds": ["incident"],
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    saved = SlaDefinition.objects.get(name="VIP resolution")
    assert saved.pause_states == ["pending_user"]
    assert saved.kinds == ["incident"]


def test_admin_refuses_a_bad_calendar_with_a_form_error(admin_client_for: Client) -> None:
    page = admin_client_for.post(
        "/admin/sla/businesscalendar/add/",
        {
            "name": "Broken",
            "tz": "Nowhere/City",
            "mode": "weekly",
            "weekly": '{"mon": [["09:00", "17:00"]]}',
            "custom_holidays": "[]",
        },
    )
    assert page.status_code == 200
    assert "Unknown time zone" in page.content.decode()
    assert not BusinessCalendar.objects.filter(name="Broken").exists()
