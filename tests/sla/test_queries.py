"""The SLA reads of the agent's ticket page: badges and explanations from one read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from itsm.accounts.models import Group, User
from itsm.sla.actions import do_save_sla_definition
from itsm.sla.models import BusinessCalendar, SlaDefinition
from itsm.sla.queries import explain_ticket_slas, sla_badges_for, ticket_sla_panel
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_assign_ticket, do_transition_ticket
from tests.sla.conftest import at

pytestmark = pytest.mark.django_db


def test_panel_gives_the_badges_and_explanations_of_the_two_reads(
    create_ticket: Callable[..., Ticket],
    requester: User,
    agent: User,
    monday: datetime,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = create_ticket(requester=requester, now=monday)
    do_transition_ticket(
        ticket, "pending_user", actor=agent, reason="Asked", now=at("2025-03-03 10:30")
    )
    now = at("2025-03-03 13:15")
    explain_ticket_slas(ticket, now=now)  # warm the calendar cache

    # The instances, the reference stamp (read once per request: here, outside one, each time)
    # and the journal's facts.
    with django_assert_max_num_queries(3):
        badges, explanations = ticket_sla_panel(ticket, now=now)

    assert badges == sla_badges_for([ticket], now=now)[ticket.pk]
    assert [b.metric for b in badges] == ["response", "resolution"]
    expected = explain_ticket_slas(ticket, now=now, internal=True)
    assert [(e.instance.pk, e.result) for e in explanations] == [
        (e.instance.pk, e.result) for e in expected
    ]


def test_panel_reads_the_journal_once_per_journal_state(
    create_ticket: Callable[..., Ticket],
    requester: User,
    agent: User,
    monday: datetime,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = create_ticket(requester=requester, now=monday)
    now = at("2025-03-03 13:15")
    ticket_sla_panel(ticket, now=now, journal_state="one")

    # Given the facts of journal state "one" are kept, the next page reads only the instances
    # (and the reference stamp, outside a request)
    with django_assert_max_num_queries(2):
        _, kept = ticket_sla_panel(ticket, now=now, journal_state="one")
    assert [e.result for e in kept] == [e.result for e in explain_ticket_slas(ticket, now=now)]

    # and a new entry (a new state) is read at once: the clock stands still from 10:30.
    do_transition_ticket(
        ticket, "pending_user", actor=agent, reason="Asked", now=at("2025-03-03 10:30")
    )
    _, fresh = ticket_sla_panel(ticket, now=now, journal_state="two")
    assert [e.result for e in fresh] == [e.result for e in explain_ticket_slas(ticket, now=now)]
    assert [e.result for e in fresh] != [e.result for e in kept]


def test_panel_names_olas_and_follows_definition_edits(
    create_ticket: Callable[..., Ticket],
    requester: User,
    agent: User,
    admin_user: User,
    other_team: Group,
    monday: datetime,
) -> None:
    ticket = create_ticket(requester=requester, now=monday)
    ola = do_save_sla_definition(
        SlaDefinition(
            name="Network team OLA",
            metric="resolution",
            calendar=BusinessCalendar.objects.get(name="Business hours Mon–Fri 09:00–17:00"),
            targets_minutes={"P1": 60, "P2": 120, "P3": 240, "P4": 480, "P5": 960},
            pause_states=["pending_user"],
            start="matched",
        ),
        actor=admin_user,
        assignment_groups=[other_team],
    )
    do_assign_ticket(
        ticket, group=other_team, assignee=None, actor=agent, now=at("2025-03-03 11:00")
    )
    now = at("2025-03-03 13:15")
    _, explanations = ticket_sla_panel(ticket, now=now)
    assert {(e.name, e.is_ola) for e in explanations} >= {("Network team OLA", True)}
    assert sum(e.is_ola for e in explanations) == 1
    # Requesters get the customer resolution SLA only: no OLA, no response SLA.
    public = explain_ticket_slas(ticket, now=now, internal=False)
    assert [(e.metric, e.is_ola) for e in public] == [("resolution", False)]

    # A renamed definition shows under its new name at once.
    ola.name = "Network OLA (renamed)"
    do_save_sla_definition(ola, actor=admin_user, assignment_groups=[other_team])
    _, explanations = ticket_sla_panel(ticket, now=now)
    assert "Network OLA (renamed)" in {e.name for e in explanations}
    badges = sla_badges_for([ticket], now=now)[ticket.pk]
    assert "Network OLA (renamed)" in {b.name for b in badges}
