"""The manager's dashboard counts: open backlog and open breached tickets, as the queues count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.accounts.models import Group
from itsm.incidents.actions import do_resolve_incident
from itsm.sla.models import ClockStateChoice, SlaInstance
from itsm.taxonomy.models import Category
from itsm.tickets.models import Ticket
from itsm.workspace.sla_status import BREACHED, sla_status_q
from itsm.workspace.views.dashboard import _breached_ticket_ids

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


def test_breached_count_is_the_queues_breached_standing(create_ticket, requester, manager, client):
    """The dashboard counts breached open tickets from one set of SLA instances; it must agree
    with the queue's ``sla_status_q(BREACHED)`` whatever state the instances are in."""
    now = timezone.now()

    def p1(age: timedelta):
        return create_ticket(requester=requester, impact="high", urgency="high", now=now - age)

    overdue, paused, detached, stopped, fresh = (
        p1(timedelta(hours=2)),
        p1(timedelta(hours=2)),
        p1(timedelta(hours=2)),
        p1(timedelta(hours=2)),
        p1(timedelta(minutes=1)),
    )
    # overdue: running past its due time, not yet swept (no breached_at): breached.
    SlaInstance.objects.filter(ticket=paused).update(clock_state=ClockStateChoice.PAUSED)
    SlaInstance.objects.filter(ticket=detached).update(
        detached_at=now, breached_at=now - timedelta(hours=1)
    )
    SlaInstance.objects.filter(ticket=stopped).update(
        clock_state=ClockStateChoice.STOPPED, breached_at=now - timedelta(hours=1)
    )

    queue = set(Ticket.objects.filter(sla_status_q(BREACHED, now)).values_list("pk", flat=True))
    assert queue == {overdue.pk, stopped.pk}
    assert set(Ticket.objects.filter(pk__in=_breached_ticket_ids(now))) == {overdue, stopped}
    assert fresh.pk not in queue

    client.force_login(manager)
    page = client.get("/dashboard/").content.decode()
    assert counter(page, "Open backlog") == 5
    assert counter(page, "SLA breached, still open") == 2


def test_counts_and_oldest_follow_visibility(create_ticket, requester, manager, client):
    """A restricted category the manager is not in: its ticket is in no count and no list."""
    hr_team = Group.objects.create(name="HR")
    hr = Category.objects.create(name="HR cases")
    hr.restricted_to_groups.add(hr_team)
    now = timezone.now()
    secret = create_ticket(requester=requester, category=hr, now=now - timedelta(days=3))
    seen = create_ticket(requester=requester, now=now - timedelta(days=1))

    client.force_login(manager)
    page = client.get("/dashboard/").content.decode()
    assert counter(page, "Open backlog") == 1
    oldest = page.split('id="oldest-title"')[1]
    assert re.findall(r'<span class="num">([A-Z]+\d+)</span>', oldest) == [seen.number]
    assert secret.number not in page
