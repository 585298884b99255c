"""Assignment rules: every condition, first match wins, fallback, and the group strategies."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.accounts.choices import AssignmentStrategy, Availability
from itsm.accounts.models import Group
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.rules.models import AssignmentRule
from itsm.taxonomy.models import Category
from itsm.tickets.models import JournalEntry
from itsm.workflow.actions import do_assign_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(db):
    return Group.objects.create(name="Network")


def _rule(group, **conditions):
    return AssignmentRule.objects.create(
        name=f"Rule {AssignmentRule.objects.count()}", group=group, **conditions
    )


def test_no_rule_matching_routes_to_the_service_desk(open_incident, service_desk, network):
    _rule(network, keywords="router")

    ticket = open_incident(title="Printer jams")

    assert ticket.assignment_group == service_desk
    entry = JournalEntry.objects.get(ticket=ticket, field="assignment_group")
    assert entry.body == "Assigned to the fallback group: no assignment rule matched."


@pytest.mark.parametrize(
    "condition",
    [
        "kind",
        "category",
        "subcategory",
        "service",
        "configuration_item",
        "priority",
        "keywords",
        "pattern",
        "organization",
        "vip",
    ],
)
def test_each_condition_matches_and_mismatches(
    open_incident, requester, other_requester, organization, network, service_desk, condition
):
    hardware = Category.objects.create(name="Network")
    wifi = Category.objects.create(name="Wi-Fi", parent=hardware)
    other_category = Category.objects.create(name="Printing")
    vpn = Service.objects.create(name="VPN")
    mail = Service.objects.create(name="Mail")
    router = ConfigurationItem.objects.create(name="rtr-01")
    switch = ConfigurationItem.objects.create(name="sw-01")
    vip = other_requester
    vip.is_vip = True
    vip.save()
    cases = {
        "kind": ({"kind": "incident"}, {}, None),
        "category": ({"category": hardware}, {"category": hardware}, {"category": other_category}),
        "subcategory": ({"category": hardware}, {"category": wifi}, {"category": other_category}),
        "service": ({"service": vpn}, {"service": vpn}, {"service": mail}),
        "configuration_item": (
            {"configuration_item": router},
            {"configuration_item": router},
            {"configuration_item": switch},
        ),
        "priority": (
            {"priorities": ["P1", "P2"]},
            {"impact": "high", "urgency": "medium"},
            {"impact": "low", "urgency": "low"},
        ),
        "keywords": (
            {"keywords": "vpn, wi-fi"},
            {"title": "The Wi-Fi is gone"},
            {"title": "The wifiless printer"},
        ),
        "pattern": (
            {"pattern": r"rtr-\d+"},
            {"description": "rtr-07 reboots"},
            {"description": "router reboots"},
        ),
        "organization": (
            {"organization": organization},
            {"requester": requester},
            {"requester": other_requester, "actor": other_requester},
        ),
        "vip": ({"vip_only": True}, {"requester": vip, "actor": vip}, {"requester": requester}),
    }
    rule_fields, matching, other = cases[condition]
    rule = _rule(network, **rule_fields)

    matched = open_incident(**matching)

    assert matched.assignment_group == network
    entry = JournalEntry.objects.get(ticket=matched, field="assignment_group")
    assert entry.body == f"Assigned by assignment rule “{rule.name}”."
    if other is not None:
        assert open_incident(**other).assignment_group == service_desk


def test_the_first_matching_rule_in_order_wins(open_incident, network):
    tier2 = Group.objects.create(name="Tier 2")
    AssignmentRule.objects.create(name="Later", order=20, keywords="vpn", group=tier2)
    AssignmentRule.objects.create(name="Earlier", order=10, keywords="vpn", group=network)
    AssignmentRule.objects.create(
        name="Inactive", order=1, keywords="vpn", group=tier2, is_active=False
    )

    assert open_incident(title="VPN down").assignment_group == network


def test_a_rule_can_name_the_agent(open_incident, network, make_agent):
    make_agent(network)
    nick = make_agent(network, "Nick")
    _rule(network, keywords="vpn", agent=nick)

    ticket = open_incident(title="VPN down")

    assert ticket.assignee == nick
    assert ticket.state == "assigned"


def test_round_robin_is_fair_over_30_incidents(open_incident, network, make_agent):
    network.strategy = AssignmentStrategy.ROUND_ROBIN
    network.save()
    agents = [make_agent(network) for _ in range(3)]
    _rule(network, kind="incident")

    assignees = [open_incident().assignee for _ in range(30)]

    assert Counter(a.pk for a in assignees) == {agent.pk: 10 for agent in agents}
    assert assignees[:3] == agents
    assert all(t is not None for t in assignees)


def test_least_loaded_picks_the_agent_with_the_lightest_weighted_load(
    open_incident, network, make_agent, service_desk, agent
):
    network.strategy = AssignmentStrategy.LEAST_LOADED
    network.save()
    busy, light, idle_but_p1 = (make_agent(network, n) for n in ("Busy", "Light", "OneP1"))
    for owner, impact, count in ((busy, "medium", 3), (light, "low", 2), (idle_but_p1, "high", 1)):
        for _ in range(count):
            ticket = open_incident(impact=impact, urgency=impact)
            do_assign_ticket(ticket, group=network, assignee=owner, actor=agent)
    # busy: 3 x P3 = 9, light: 2 x P5 = 2, idle_but_p1: 1 x P1 = 5
    _rule(network, keywords="vpn")

    assert open_incident(title="vpn").assignee == light


def test_away_agents_are_skipped(open_incident, network, make_agent):
    network.strategy = AssignmentStrategy.ROUND_ROBIN
    network.save()
    away = make_agent(
        network,
        "Away",
        availability=Availability.AWAY,
        away_until=timezone.now() + timedelta(days=2),
    )
    back = make_agent(
        network,
        "Back",
        availability=Availability.AWAY,
        away_until=timezone.now() - timedelta(hours=1),
    )
    present = make_agent(network, "Present")
    _rule(network, kind="incident", agent=away)

    assignees = {open_incident().assignee for _ in range(4)}

    assert assignees == {back, present}


def test_manual_groups_leave_the_incident_in_the_queue(open_incident, network, make_agent):
    make_agent(network)
    _rule(network, kind="incident")

    ticket = open_incident()

    assert ticket.assignee is None
    assert ticket.state == "new"


def test_a_change_of_groups_is_seen_by_the_next_routing(open_incident, service_desk, network):
    # Given incidents routed from the cached groups
    open_incident()
    _rule(network, keywords="router")
    open_incident(title="Router down")

    # When the desk hands the fallback role to another group and the rule's group changes strategy
    service_desk.is_service_desk = False
    service_desk.save()
    night_desk = Group.objects.create(name="Night desk", is_service_desk=True)
    network.strategy = AssignmentStrategy.MANUAL
    network.save()

    # Then the next incidents go to the groups as they are now
    assert open_incident(title="Printer jams").assignment_group == night_desk
    routed = open_incident(title="Router down")
    assert routed.assignment_group == network
    assert routed.assignment_group.strategy == AssignmentStrategy.MANUAL


def test_round_robin_turns_do_not_leak_into_the_cached_group(open_incident, network, make_agent):
    first, second = make_agent(network), make_agent(network)
    network.strategy = AssignmentStrategy.ROUND_ROBIN
    network.save()
    _rule(network, kind="incident")

    assignees = [open_incident().assignee for _ in range(3)]

    # The turn is read from the row under lock each time, not from a copy kept by the process.
    assert assignees == [first, second, first]
