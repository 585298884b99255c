"""Changing a calendar or a definition recomputes the open tickets it touches (a background task,
run at once by the test settings' immediate backend); OLAs follow the assignment group."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from itsm.accounts.models import Group, User
from itsm.core.errors import InvalidInput, PermissionDenied
from itsm.sla.actions import do_save_business_calendar, do_save_sla_definition
from itsm.sla.models import BusinessCalendar, SlaDefinition, SlaInstance
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_assign_ticket
from tests.sla.conftest import at, attached

pytestmark = pytest.mark.django_db

OFFICE = "Business hours Mon–Fri 09:00–17:00"
TARGETS = {"P1": 60, "P2": 120, "P3": 240, "P4": 480, "P5": 960}


@pytest.fixture
def incident(create_ticket: Callable[..., Ticket], requester: User, monday: datetime) -> Ticket:
    return create_ticket(requester=requester, now=monday)


def test_calendar_edit_recomputes_open_tickets(incident: Ticket, admin_user: User) -> None:
    calendar = BusinessCalendar.objects.get(name=OFFICE)
    calendar.weekly = {
        day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    }
    do_save_business_calendar(calendar, actor=admin_user)

    # A lunch break: 4 business hours from Monday 10:00 end at 15:00.
    assert attached(incident, "response").due_at == at("2025-03-03 15:00")
    # 24 business hours of 7 a day: 6 + 7 + 7 + 4 -> Thursday 14:00.
    assert attached(incident, "resolution").due_at == at("2025-03-06 14:00")
    incident.refresh_from_db()
    assert incident.sla_due_at == at("2025-03-03 15:00")


def test_calendar_validation_names_the_field(admin_user: User, agent: User) -> None:
    calendar = BusinessCalendar.objects.get(name=OFFICE)
    calendar.tz = "Mars/Olympus"
    with pytest.raises(InvalidInput) as bad_zone:
        do_save_business_calendar(calendar, actor=admin_user)
    assert bad_zone.value.field == "tz"

    calendar.tz = "Europe/Berlin"
    calendar.weekly = {"mon": [["17:00", "09:00"]]}
    with pytest.raises(InvalidInput) as bad_window:
        do_save_business_calendar(calendar, actor=admin_user)
    assert bad_window.value.field == "weekly"
    assert "ends before it starts" in bad_window.value.detail

    with pytest.raises(PermissionDenied):
        do_save_business_calendar(calendar, actor=agent)


def test_calendar_with_country_holidays_closes_them(admin_user: User) -> None:
    calendar = BusinessCalendar(
        name="Berlin office", tz="Europe/Berlin", country="DE", subdivision="BE"
    )
    do_save_business_calendar(calendar, actor=admin_user)
    engine = calendar.to_engine(year=2025)
    # Good Friday (2025-04-18) is a public holiday in Germany; the Thursday before is not.
    assert not engine.is_business_time(datetime.fromisoformat("2025-04-18T10:00:00+02:00"))
    assert engine.is_business_time(datetime.fromisoformat("2025-04-17T10:00:00+02:00"))


def test_definition_targets_must_cover_every_priority(admin_user: User) -> None:
    definition = SlaDefinition(
        name="Broken",
        metric="resolution",
        calendar=BusinessCalendar.objects.get(name=OFFICE),
        targets_minutes={"P1": 60},
    )
    with pytest.raises(InvalidInput) as error:
        do_save_sla_definition(definition, actor=admin_user)
    assert error.value.field == "targets_minutes"
    assert "missing P2, P3, P4, P5" in error.value.detail


def _network_ola(admin_user: User, group: Group) -> SlaDefinition:
    return do_save_sla_definition(
        SlaDefinition(
            name="Network team OLA",
            metric="resolution",
            calendar=BusinessCalendar.objects.get(name=OFFICE),
            targets_minutes=TARGETS,
            pause_states=["pending_user"],
            start="matched",
        ),
        actor=admin_user,
        assignment_groups=[group],
    )


def test_ola_starts_when_the_group_gets_the_ticket_and_detaches_when_it_leaves(
    incident: Ticket, admin_user: User, agent: User, other_team: Group, service_desk: Group
) -> None:
    ola = _network_ola(admin_user, other_team)
    assert not SlaInstance.objects.filter(definition=ola).exists()

    do_assign_ticket(
        incident, group=other_team, assignee=None, actor=agent, now=at("2025-03-03 11:00")
    )
    instance = SlaInstance.objects.get(definition=ola)
    assert instance.started_at == at("2025-03-03 11:00")
    assert instance.due_at == at("2025-03-03 15:00")  # P3: 4 business hours from 11:00

    do_assign_ticket(
        incident, group=service_desk, assignee=None, actor=agent, now=at("2025-03-03 12:00")
    )
    instance.refresh_from_db()
    assert instance.detached_at == at("2025-03-03 12:00")
    assert instance.elapsed_seconds == 3600
    assert instance.next_event_at is None
    # The customer SLAs are untouched by the move.
    assert attached(incident, "resolution").due_at == at("2025-03-06 10:00")


def test_new_definition_attaches_to_matching_open_tickets(
    incident: Ticket, admin_user: User, agent: User, other_team: Group
) -> None:
    do_assign_ticket(
        incident, group=other_team, assignee=None, actor=agent, now=at("2025-03-03 11:00")
    )
    ola = _network_ola(admin_user, other_team)
    assert SlaInstance.objects.filter(definition=ola, ticket=incident, detached_at=None).exists()


def test_deactivating_a_definition_detaches_it_from_open_tickets(
    incident: Ticket, admin_user: User
) -> None:
    definition = SlaDefinition.objects.get(name="P2–P5 incident response (business hours)")
    definition.is_active = False
    do_save_sla_definition(definition, actor=admin_user)
    instance = SlaInstance.objects.get(ticket=incident, definition=definition)
    assert instance.detached_at is not None
    incident.refresh_from_db()
    assert incident.sla_due_at == at("2025-03-06 10:00")
