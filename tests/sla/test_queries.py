"""The SLA reads of the agent's ticket page: badges and explanations from one read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from itsm.accounts.models import User
from itsm.sla.queries import explain_ticket_slas, sla_badges_for, ticket_sla_panel
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_transition_ticket
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

    with django_assert_max_num_queries(2):
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
    with django_assert_max_num_queries(1):
        _, kept = ticket_sla_panel(ticket, now=now, journal_state="one")
    assert [e.result for e in kept] == [e.result for e in explain_ticket_slas(ticket, now=now)]

    # and a new entry (a new state) is read at once: the clock stands still from 10:30.
    do_transition_ticket(
        ticket, "pending_user", actor=agent, reason="Asked", now=at("2025-03-03 10:30")
    )
    _, fresh = ticket_sla_panel(ticket, now=now, journal_state="two")
    assert [e.result for e in fresh] == [e.result for e in explain_ticket_slas(ticket, now=now)]
    assert [e.result for e in fresh] != [e.result for e in kept]
