"""The workspace shows each ticket's SLA standing from its SLA instances."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from itsm.tickets.models import Ticket
from itsm.workspace.sla_status import AT_RISK, BREACHED, NO_SLA, ON_TRACK, sla_status_q

pytestmark = pytest.mark.django_db


def _numbers(status: str, now: Any) -> set[str]:
    return set(Ticket.objects.filter(sla_status_q(status, now)).values_list("number", flat=True))


def test_standing_follows_the_starter_p1_targets(create_ticket, requester, agent, client):
    now = timezone.now()
    # P1 (high x high) runs 24x7: 15 minutes to respond, 4 hours to resolve.
    fresh = create_ticket(
        requester=requester, impact="high", urgency="high", now=now - timedelta(minutes=2)
    )
    # 10 of 15 response minutes used: past the 50 % warning, not breached.
    warned = create_ticket(
        requester=requester, impact="high", urgency="high", now=now - timedelta(minutes=10)
    )
    # 20 minutes without a response: the response SLA breached 5 minutes ago.
    late = create_ticket(
        requester=requester, impact="high", urgency="high", now=now - timedelta(minutes=20)
    )

    assert _numbers(BREACHED, now) == {late.number}
    assert _numbers(AT_RISK, now) == {warned.number}
    assert _numbers(ON_TRACK, now) == {fresh.number}
    assert _numbers(NO_SLA, now) == set()

    client.force_login(agent)
    page = client.get("/queues/?sla=breached").content.decode()
    assert late.number in page
    assert warned.number not in page
    assert "breached 5m ago" in page
    ticket_page = client.get(f"/tickets/{late.number}/").content.decode()
    assert "Service levels" in ticket_page


def test_dashboard_compliance_counts_resolution_slas_that_ended_this_week(
    create_ticket, requester, agent, manager, client
):
    from itsm.incidents.actions import do_resolve_incident

    now = timezone.now()
    monday = timezone.localtime(now) - timedelta(days=timezone.localtime(now).weekday())
    # Early on a Monday these instants lie ahead of the clock; the dashboard counts them alike.
    start = monday.replace(hour=0, minute=5, second=0, microsecond=0)
    # P1: 4 hours to resolve, around the clock.
    in_time = create_ticket(requester=requester, impact="high", urgency="high", now=start)
    late = create_ticket(requester=requester, impact="high", urgency="high", now=start)
    do_resolve_incident(
        in_time,
        resolution_code="workaround",
        resolution_notes="ok",
        actor=agent,
        now=start + timedelta(hours=1),
    )
    do_resolve_incident(
        late,
        resolution_code="workaround",
        resolution_notes="ok",
        actor=agent,
        now=start + timedelta(hours=5),
    )

    client.force_login(manager)
    page = client.get("/dashboard/").content.decode()

    assert "1 of 2 resolution SLAs that ended this week were met." in page
    assert "50.0 %" in page
