"""A small service desk week worked out by hand (docs/reports.md has the same figures).

Local time Europe/Berlin; the week is Monday 2025-03-24 to Sunday 2025-03-30, whose Sunday night
switches to summer time (02:00 CET -> 03:00 CEST). Business hours Mon-Fri 09:00-17:00.

    T1  P3 Mon 09:00 assigned Alice 09:10, answered 09:30, resolved 11:00, closed Tue 10:00
    T2  P3 Mon 10:00 answered 11:30 (response breached 11:00), resolved 12:00, reopened by the
        requester Tue 09:00, resolved again Tue 10:00
    T3  P3 Mon 14:00 answered 14:30, Pending User 15:00 to Wed 09:00 (the paused SLA), resolved
        Wed 15:30 (7.5 business hours of resolution clock: met only thanks to the pause)
    T4  P2 Wed 00:30 (Tue 23:30 UTC: crosses midnight), Alice 00:40, reassigned to the Network
        Team (Nick) Wed 08:00, answered 09:15, resolved 10:00
    T5  P3 Sat 23:00, resolved Sun 05:00 across the DST change (5 real hours, 0 business hours)
    T6  P1 Thu 09:00, Network Team (Nick) 09:05, declared major 09:10, answered 10:00 (response
        breached 09:15), work note Fri 09:00 (resolution breached Thu 13:00), still open
    T7  P3 Mon 12:00, cancelled by the requester 12:30
    T8  P3 2025-02-20 10:00, never touched (the >30 d backlog)
    T9  P3 Mon 09:30 in the restricted category "HR cases" (Network Team only): the manager,
        a Service Desk member, does not see it; the administrator does
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.incidents.actions import (
    do_confirm_resolution,
    do_flag_major_incident,
    do_open_incident,
    do_transition_incident,
)
from itsm.sla.models import BusinessCalendar, SlaDefinition
from itsm.taxonomy.models import Category
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_add_comment, do_assign_ticket

BERLIN = ZoneInfo("Europe/Berlin")
#: When the tests read the reports: Monday after the week, 12:00 Berlin.
NOW = datetime(2025, 3, 31, 12, 0, tzinfo=BERLIN)
WEEK = {"from": "2025-03-24", "to": "2025-03-30", "tz": "Europe/Berlin"}


def b(text: str) -> datetime:
    """An instant from local Berlin time, ``"2025-03-24 09:00"``."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@dataclass
class Week:
    tickets: dict[str, Ticket]
    sd: Group
    network: Group
    alice: User
    nick: User
    manager: User
    admin: User
    requester: User


def _slas() -> None:
    SlaDefinition.objects.update(is_active=False, updated_at=timezone.now())
    office = BusinessCalendar.objects.create(
        name="Berlin office",
        tz="Europe/Berlin",
        weekly={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    SlaDefinition.objects.create(
        name="Response",
        metric="response",
        calendar=office,
        targets_minutes={"P1": 15, "P2": 60, "P3": 60, "P4": 480, "P5": 960},
        pause_states=[],
        stop_on_first_response=True,
    )
    SlaDefinition.objects.create(
        name="Resolution",
        metric="resolution",
        calendar=office,
        targets_minutes={"P1": 240, "P2": 240, "P3": 480, "P4": 2400, "P5": 4800},
        pause_states=["pending_user", "waiting_for_vendor", "on_hold"],
    )


def _resolve(ticket: Ticket, actor: User, when: str) -> Ticket:
    return do_transition_incident(
        ticket,
        "resolved",
        actor=actor,
        resolution_code="solved_permanently",
        resolution_notes="Fixed.",
        now=b(when),
    )


def _answer(ticket: Ticket, actor: User, when: str, *, internal: bool = False) -> None:
    do_add_comment(ticket, body="Looking into it.", internal=internal, actor=actor, now=b(when))


@pytest.fixture
def week(
    db: None,
    requester: User,
    agent: User,
    other_team_agent: User,
    manager: User,
    admin_user: User,
    service_desk: Group,
    other_team: Group,
) -> Week:
    _slas()
    hardware = Category.objects.create(name="Hardware")
    network_cat = Category.objects.create(name="Network")
    printer = Category.objects.create(name="Printer", parent=hardware)
    hr = Category.objects.create(name="HR cases")
    hr.restricted_to_groups.add(other_team)
    email = Service.objects.create(name="Email")
    vpn = Service.objects.create(name="VPN")
    gateway = ConfigurationItem.objects.create(name="vpn-gw-01", service=vpn)
    alice, nick = agent, other_team_agent

    def incident(title: str, when: str, **extra: Any) -> Ticket:
        return do_open_incident(
            title=title, description="", requester=requester, actor=requester, now=b(when), **extra
        )

    t1 = incident("Outlook crashes", "2025-03-24 09:00", category=hardware, service=email)
    do_assign_ticket(t1, group=service_desk, assignee=alice, actor=alice, now=b("2025-03-24 09:10"))
    _answer(t1, alice, "2025-03-24 09:30")
    t1 = _resolve(t1, alice, "2025-03-24 11:00")
    do_confirm_resolution(t1, actor=requester, now=b("2025-03-25 10:00"))

    t2 = incident("Laptop battery", "2025-03-24 10:00", category=hardware)
    do_assign_ticket(t2, group=service_desk, assignee=alice, actor=alice, now=b("2025-03-24 10:05"))
    _answer(t2, alice, "2025-03-24 11:30")
    t2 = _resolve(t2, alice, "2025-03-24 12:00")
    do_add_comment(
        t2, body="Still broken.", internal=False, actor=requester, now=b("2025-03-25 09:00")
    )
    t2 = _resolve(Ticket.objects.get(pk=t2.pk), alice, "2025-03-25 10:00")

    t3 = incident("Printer offline", "2025-03-24 14:00", category=printer, service=email)
    do_assign_ticket(t3, group=service_desk, assignee=alice, actor=alice, now=b("2025-03-24 14:00"))
    _answer(t3, alice, "2025-03-24 14:30")
    do_transition_incident(
        t3, "pending_user", actor=alice, reason="Which printer?", now=b("2025-03-24 15:00")
    )
    do_add_comment(
        t3, body="The one on floor 3.", internal=False, actor=requester, now=b("2025-03-26 09:00")
    )
    _resolve(Ticket.objects.get(pk=t3.pk), alice, "2025-03-26 15:30")

    t4 = incident("VPN slow", "2025-03-26 00:30", category=network_cat, service=vpn, impact="high")
    do_assign_ticket(t4, group=service_desk, assignee=alice, actor=alice, now=b("2025-03-26 00:40"))
    do_assign_ticket(t4, group=other_team, assignee=nick, actor=alice, now=b("2025-03-26 08:00"))
    _answer(t4, nick, "2025-03-26 09:15")
    _resolve(t4, nick, "2025-03-26 10:00")

    t5 = incident("Web shop down at night", "2025-03-29 23:00")
    _resolve(t5, alice, "2025-03-30 05:00")

    t6 = incident(
        "VPN down for everyone",
        "2025-03-27 09:00",
        service=vpn,
        configuration_item=gateway,
        impact="high",
        urgency="high",
    )
    do_assign_ticket(t6, group=other_team, assignee=nick, actor=nick, now=b("2025-03-27 09:05"))
    do_flag_major_incident(
        t6,
        manager=manager,
        reason="Nobody can work remotely.",
        actor=manager,
        now=b("2025-03-27 09:10"),
    )
    _answer(t6, nick, "2025-03-27 10:00")
    _answer(t6, nick, "2025-03-28 09:00", internal=True)

    t7 = incident("Wrong ticket", "2025-03-24 12:00")
    do_transition_incident(
        t7, "cancelled", actor=requester, reason="Opened by mistake.", now=b("2025-03-24 12:30")
    )

    t8 = incident("Old request for a monitor arm", "2025-02-20 10:00")
    t9 = incident("Confidential HR matter", "2025-03-24 09:30", category=hr)
    tickets = {
        "T1": t1,
        "T2": t2,
        "T3": t3,
        "T4": t4,
        "T5": t5,
        "T6": t6,
        "T7": t7,
        "T8": t8,
        "T9": t9,
    }
    return Week(
        tickets={k: Ticket.objects.get(pk=v.pk) for k, v in tickets.items()},
        sd=service_desk,
        network=other_team,
        alice=alice,
        nick=nick,
        manager=manager,
        admin=admin_user,
        requester=requester,
    )
