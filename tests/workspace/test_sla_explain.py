"""The SLA panel drawn in Python is the markup ``sla/partials/explain.html`` draws."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from itsm.accounts.models import User
from itsm.incidents.actions import do_override_priority
from itsm.sla.queries import CycleView, Explanation, explain_ticket_slas
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_add_comment, do_transition_ticket
from itsm.workspace.sla_explain import explain_html

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _same_as_template(ticket: Ticket, now: datetime) -> list[Explanation]:
    slas = explain_ticket_slas(ticket, now=now)
    # Names and other text from the database are escaped as the template escapes them; earlier
    # cycles (a reopen with a new cycle, a restart on a priority change) are listed.
    cycles = [
        CycleView(
            started_at=sla.result.started_at,
            ended_at=now,
            ended_by="reopen <new cycle>",
            result=sla.result,
            spans=[],
        )
        for sla in slas
    ]
    variants = [
        [dataclasses.replace(sla, previous_cycles=cycles[:n]) for n, sla in enumerate(slas)],
        slas,
        [dataclasses.replace(sla, name="<b>Gold & co</b>", is_ola=True) for sla in slas],
    ]
    for zone in ("UTC", "Europe/Berlin"):
        with timezone.override(zone):
            for shown in variants:
                expected = render_to_string("sla/partials/explain.html", {"slas": shown})
                assert explain_html(shown) == expected
    return slas


def test_no_sla() -> None:
    assert explain_html([]) == render_to_string("sla/partials/explain.html", {"slas": []})


def test_running_paused_breached_restarted_and_detached_slas(
    create_ticket: Callable[..., Ticket], requester: User, agent: User, manager: User
) -> None:
    ticket = create_ticket(requester=requester, now=at("2025-03-03 10:00"))
    # Running, nothing breached yet.
    _same_as_template(ticket, at("2025-03-03 10:40"))
    # Paused now: no due time.
    do_transition_ticket(
        ticket, "pending_user", actor=agent, reason="Model?", now=at("2025-03-03 11:00")
    )
    _same_as_template(ticket, at("2025-03-03 15:00"))
    # Running again after the pause, the response breached.
    do_transition_ticket(ticket, "in_progress", actor=agent, now=at("2025-03-04 11:00"))
    slas = _same_as_template(ticket, at("2025-03-04 16:00"))
    assert any(sla.result.breached_at for sla in slas)
    # Resolved, reopened (an earlier cycle), then a priority change (detached SLAs).
    do_transition_ticket(
        ticket,
        "resolved",
        actor=agent,
        resolution_code="solved_permanently",
        resolution_notes="Replaced the toner.",
        now=at("2025-03-05 12:00"),
    )
    do_transition_ticket(ticket, "in_progress", actor=requester, now=at("2025-03-05 13:00"))
    do_override_priority(
        ticket, priority="P1", reason="Worse", actor=manager, now=at("2025-03-05 14:00")
    )
    do_add_comment(ticket, body="On it.", internal=False, actor=agent, now=at("2025-03-05 14:05"))
    slas = _same_as_template(ticket, at("2025-03-05 16:00"))
    assert any(not sla.applies for sla in slas)
