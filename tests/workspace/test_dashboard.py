"""The manager's dashboard counts: open backlog and open breached tickets, as the queues count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.incidents.actions import do_resolve_incident

pytestmark = pytest.mark.django_db


def counter(page: str, label: str) -> int:
    found = re.search(
        rf'<span class="counter-n">(\d+)</span> <span class="counter-label">{label}</span>', page
    )
    assert found, label
    return int(found.group(1))


def test_counters_and_oldest_open_tickets(create_ticket, requester, agent, manager, client):
    now = timezone.now()
    # P1 runs 24x7: 15 minutes to respond. Two late (breached), one fresh, one resolved.
    late = [
        create_ticket(
            requester=requester, impact="high", urgency="high", now=now - timedelta(hours=1)
        )
        for _ in range(2)
    ]
    fresh = create_ticket(
        requester=requester, impact="high", urgency="high", now=now - timedelta(minutes=1)
    )
    plain = create_ticket(requester=requester)
    done = create_ticket(requester=requester, now=now - timedelta(minutes=30))
    do_resolve_incident(
        done, resolution_code="workaround", resolution_notes="ok", actor=agent, now=now
    )

    client.force_login(manager)
    page = client.get("/dashboard/").content.decode()

    assert counter(page, "Open backlog") == 4
    assert counter(page, "SLA breached, still open") == 2
    assert all(t.number in page for t in late)
    oldest = page.split('id="oldest-title"')[1]
    listed = re.findall(r'<span class="num">([A-Z]+\d+)</span>', oldest)
    assert listed == [t.number for t in (*late, fresh, plain)]
