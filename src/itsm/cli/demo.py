"""A believable demo service desk: organisations, groups, people, services, CIs, categories and
incidents in every state with their journals. Idempotent: natural keys, and tickets are only
topped up to the requested number."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from itsm.accounts.choices import AssignmentStrategy, Role
from itsm.accounts.models import Group, Organization, User
from itsm.cmdb.choices import CiClass, ServiceKind
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.incidents.actions import do_open_incident, do_transition_incident
from itsm.rules.defaults import ensure_default_rules
from itsm.rules.models import AssignmentRule
from itsm.taxonomy.choices import TicketKind
from itsm.taxonomy.models import Category
from itsm.tickets.choices import Channel, ResolutionCode, TicketState
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_add_comment, do_assign_ticket

DEMO_DOMAIN = "demo.example"
DEMO_PASSWORD = "demo-desk-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    full_name: str
    password: str = DEMO_PASSWORD


DEMO_LOGINS = (
    DemoLogin("requester", f"requester@{DEMO_DOMAIN}", "Rosa Requester"),
    DemoLogin("agent", f"agent@{DEMO_DOMAIN}", "Arjun Agent"),
    DemoLogin("manager", f"manager@{DEMO_DOMAIN}", "Mei Manager"),
    DemoLogin("admin", f"admin@{DEMO_DOMAIN}", "Ada Admin"),
)

ORGANISATIONS = ("Finance", "Sales", "Engineering", "People & Culture")
GROUPS = (
    # name, strategy, service desk, major incident team, escalation parent
    ("Service Desk", AssignmentStrategy.MANUAL, True, False, "Tier 2 Support"),
    ("Tier 2 Support", AssignmentStrategy.LEAST_LOADED, False, False, None),
    ("Network Operations", AssignmentStrategy.LEAST_LOADED, False, False, None),
    ("Workplace & Devices", AssignmentStrategy.ROUND_ROBIN, False, False, None),
    ("Major Incident Team", AssignmentStrategy.MANUAL, False, True, None),
)
AGENTS = (
    ("Arjun Agent", "agent", "Service Desk"),
    ("Sofia Lindqvist", "sofia.lindqvist", "Service Desk"),
    ("Kwame Mensah", "kwame.mensah", "Service Desk"),
    ("Lena Fischer", "lena.fischer", "Tier 2 Support"),
    ("Tomás Ortega", "tomas.ortega", "Tier 2 Support"),
    ("Priya Nair", "priya.nair", "Network Operations"),
    ("Jonas Berg", "jonas.berg", "Network Operations"),
    ("Hana Sato", "hana.sato", "Workplace & Devices"),
)
REQUESTERS = (
    ("Rosa Requester", "requester"),
    ("Daniel Okafor", "daniel.okafor"),
    ("Emma Dubois", "emma.dubois"),
    ("Lukas Novak", "lukas.novak"),
    ("Aisha Rahman", "aisha.rahman"),
    ("Marco Rossi", "marco.rossi"),
    ("Ingrid Holm", "ingrid.holm"),
    ("Chen Wei", "chen.wei"),
)
SERVICES = (
    ("Email and Calendar", ServiceKind.BUSINESS, "Workplace & Devices"),
    ("VPN and Remote Access", ServiceKind.BUSINESS, "Network Operations"),
    ("Payroll", ServiceKind.BUSINESS, "Tier 2 Support"),
    ("CRM", ServiceKind.BUSINESS, "Tier 2 Support"),
    ("Printing", ServiceKind.BUSINESS, "Workplace & Devices"),
    ("Corporate Network", ServiceKind.TECHNICAL, "Network Operations"),
)
CIS = (
    ("mail-exch-01", CiClass.SERVER, "Email and Calendar"),
    ("vpn-gw-01", CiClass.NETWORK, "VPN and Remote Access"),
    ("vpn-gw-02", CiClass.NETWORK, "VPN and Remote Access"),
    ("payroll-db", CiClass.DATABASE, "Payroll"),
    ("crm-app", CiClass.APPLICATION, "CRM"),
    ("prn-3rd-floor", CiClass.PRINTER, "Printing"),
    ("core-sw-01", CiClass.NETWORK, "Corporate Network"),
)
CATEGORIES = {
    "Hardware": ("Laptop", "Monitor", "Printer"),
    "Software": ("Email", "CRM", "Office suite"),
    "Network": ("VPN", "Wi-Fi", "LAN"),
    "Access": ("Password reset", "Permissions"),
}
STORIES = (
    (
        "Cannot connect to VPN from home",
        "VPN",
        "VPN and Remote Access",
        "vpn-gw-01",
        "high",
        "medium",
        "Since this morning the VPN client says 'authentication timed out'. I need access for the month-end close.",
    ),
    (
        "Outlook keeps asking for my password",
        "Email",
        "Email and Calendar",
        "mail-exch-01",
        "low",
        "medium",
        "Every few minutes Outlook pops up a password prompt, even after I type it correctly.",
    ),
    (
        "Printer on 3rd floor jams every second page",
        "Printer",
        "Printing",
        "prn-3rd-floor",
        "low",
        "low",
        "The big printer near the kitchen jams constantly. Tray 2 seems to be the problem.",
    ),
    (
        "CRM is very slow when opening accounts",
        "CRM",
        "CRM",
        "crm-app",
        "medium",
        "high",
        "Opening any account takes over 30 seconds. The whole sales team is affected.",
    ),
    (
        "Laptop battery drains in an hour",
        "Laptop",
        None,
        None,
        "low",
        "medium",
        "My laptop battery went from full to empty in about an hour with only a browser open.",
    ),
    (
        "Wi-Fi drops in meeting room Fjord",
        "Wi-Fi",
        "Corporate Network",
        "core-sw-01",
        "medium",
        "medium",
        "Video calls in the Fjord meeting room drop every 10 minutes.",
    ),
    (
        "Payroll export fails with an error",
        None,
        "Payroll",
        "payroll-db",
        "high",
        "high",
        "The monthly payroll export stops with 'connection reset'. Salaries are due on Friday.",
    ),
    (
        "Need access to the shared Finance folder",
        "Permissions",
        None,
        None,
        "low",
        "low",
        "I joined the Finance team and need read access to the shared reports folder.",
    ),
    (
        "Second monitor flickers",
        "Monitor",
        None,
        None,
        "low",
        "low",
        "My second screen flickers when I move windows onto it.",
    ),
    (
        "Password expired and cannot log in",
        "Password reset",
        None,
        None,
        "medium",
        "high",
        "My password expired over the weekend and now I cannot log in at all.",
    ),
)
QUESTIONS = (
    "Could you tell me the exact error message and when it started?",
    "Does this also happen on another device or network?",
    "Can you send a screenshot of what you see?",
)
ANSWERS = (
    "It started on Monday morning; the message is attached in my first note.",
    "Yes, it also happens on my phone hotspot.",
    "Screenshot attached — thanks for looking into it.",
)
WORK_NOTES = (
    "Checked the logs: several timeouts around 08:00. Looks like the same pattern as last week.",
    "Vendor ticket opened; waiting for their answer.",
    "Reproduced on a test account. Escalating to tier 2 if the restart doesn't help.",
)


def _user(name: str, local: str, role: Role, organization: Organization | None) -> User:
    email = f"{local}@{DEMO_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=name, role=role, organization=organization
        )
    return user


@dataclass
class DemoData:
    agents: list[User]
    requesters: list[User]
    services: dict[str, Service]
    cis: dict[str, ConfigurationItem]
    categories: dict[str, Category]


def build_reference_data() -> DemoData:
    """People, teams, services, CIs and categories (created once, found afterwards)."""
    organisations = [Organization.objects.get_or_create(name=name)[0] for name in ORGANISATIONS]
    groups: dict[str, Group] = {}
    for name, strategy, is_sd, is_mit, _ in GROUPS:
        groups[name] = Group.objects.get_or_create(
            name=name,
            defaults={
                "strategy": strategy,
                "is_service_desk": is_sd,
                "is_major_incident_team": is_mit,
                "email": f"{name.lower().replace(' & ', '-').replace(' ', '-')}@{DEMO_DOMAIN}",
            },
        )[0]
    for name, _, _, _, parent in GROUPS:
        if parent and groups[name].escalation_parent_id is None:
            groups[name].escalation_parent = groups[parent]
            groups[name].save(update_fields=["escalation_parent"])
    agents = []
    for name, local, group_name in AGENTS:
        agent = _user(name, local, Role.AGENT, None)
        groups[group_name].members.add(agent)
        agents.append(agent)
    manager = _user("Mei Manager", "manager", Role.MANAGER, None)
    groups["Major Incident Team"].members.add(manager)
    for group in groups.values():
        if group.manager_id is None:
            group.manager = manager
            group.save(update_fields=["manager"])
    groups["Service Desk"].members.add(manager)
    _user("Ada Admin", "admin", Role.ADMIN, None)
    requesters = [
        _user(name, local, Role.REQUESTER, organisations[i % len(organisations)])
        for i, (name, local) in enumerate(REQUESTERS)
    ]
    if organisations[0].manager_id is None:
        organisations[0].manager = requesters[1]
        organisations[0].save(update_fields=["manager"])
    services: dict[str, Service] = {}
    for name, kind, owner in SERVICES:
        services[name] = Service.objects.get_or_create(
            name=name, defaults={"kind": kind, "owner_group": groups[owner]}
        )[0]
    cis: dict[str, ConfigurationItem] = {}
    for name, ci_class, service in CIS:
        cis[name] = ConfigurationItem.objects.get_or_create(
            name=name,
            defaults={
                "ci_class": ci_class,
                "service": services[service],
                "owner_group": services[service].owner_group,
            },
        )[0]
    categories: dict[str, Category] = {}
    for parent_name, children in CATEGORIES.items():
        root = Category.objects.get_or_create(
            name=parent_name, kind=TicketKind.INCIDENT, parent=None
        )[0]
        categories[parent_name] = root
        for child in children:
            categories[child] = Category.objects.get_or_create(
                name=child, kind=TicketKind.INCIDENT, parent=root
            )[0]
    _ensure_assignment_rules(groups, services, categories)
    ensure_default_rules()
    return DemoData(agents, requesters, services, cis, categories)


def _ensure_assignment_rules(
    groups: dict[str, Group], services: dict[str, Service], categories: dict[str, Category]
) -> None:
    """Route network and device incidents to their teams; everything else stays with the desk."""
    rules = (
        (
            "Network incidents to Network Operations",
            10,
            {"category": categories["Network"]},
            "Network Operations",
        ),
        (
            "Corporate network service to Network Operations",
            20,
            {"service": services["Corporate Network"]},
            "Network Operations",
        ),
        (
            "Hardware to Workplace & Devices",
            30,
            {"category": categories["Hardware"]},
            "Workplace & Devices",
        ),
        ("Payroll and CRM to Tier 2", 40, {"keywords": "payroll, crm"}, "Tier 2 Support"),
    )
    for name, order, conditions, group in rules:
        AssignmentRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "kind": TicketKind.INCIDENT,
                "group": groups[group],
                **conditions,
            },
        )


# The share of demo tickets ending in each state.
STATE_MIX = (
    (TicketState.NEW, 2),
    (TicketState.ASSIGNED, 3),
    (TicketState.IN_PROGRESS, 4),
    (TicketState.PENDING_USER, 2),
    (TicketState.WAITING_FOR_VENDOR, 1),
    (TicketState.ON_HOLD, 1),
    (TicketState.RESOLVED, 3),
    (TicketState.CLOSED, 6),
    (TicketState.CANCELLED, 1),
)


def demo_ticket_count() -> int:
    return Ticket.objects.filter(requester__email__endswith=f"@{DEMO_DOMAIN}").count()


def build_tickets(
    count: int, *, progress: Callable[[int], None] | None = None, seed: int = 7
) -> int:
    """Top the demo tickets up to ``count``; returns how many were created."""
    missing = count - demo_ticket_count()
    if missing <= 0:
        return 0
    data = build_reference_data()
    start = demo_ticket_count()
    rng = random.Random(seed + start)
    states = [state for state, weight in STATE_MIX for _ in range(weight)]
    now = timezone.now()
    for i in range(missing):
        state = states[(start + i) % len(states)]
        _build_one(rng, data, state, now)
        if progress:
            progress(1)
    return missing


def _build_one(rng: random.Random, data: DemoData, state: str, now: datetime) -> None:
    requesters, agents = data.requesters, data.agents
    services, cis, categories = data.services, data.cis, data.categories
    title, category, service, ci, impact, urgency, description = rng.choice(STORIES)
    requester = rng.choice(requesters)
    active = state not in {TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED}
    # Open work is recent; finished work spreads over the last two months.
    age = timedelta(hours=rng.uniform(1, 70)) if active else timedelta(days=rng.uniform(3, 60))
    at = now - age
    channel = rng.choice([Channel.PORTAL, Channel.PORTAL, Channel.EMAIL, Channel.PHONE])
    ticket = do_open_incident(
        title=title,
        description=description,
        requester=requester,
        actor=requester if channel != Channel.PHONE else agents[0],
        impact=impact,
        urgency=urgency,
        category=categories.get(category) if category else None,
        service=services.get(service) if service else None,
        configuration_item=cis.get(ci) if ci else None,
        channel=channel,
        now=at,
    )
    if state == TicketState.NEW:
        return
    step = age / 6
    group = ticket.assignment_group
    members = list(group.members.filter(role=Role.AGENT)) if group else []
    agent = ticket.assignee or (rng.choice(members) if members else rng.choice(agents))
    at += step
    if state == TicketState.CANCELLED:
        do_transition_incident(
            ticket,
            "cancelled",
            actor=agent,
            reason="Duplicate of a ticket the requester opened by phone.",
            now=at,
        )
        return
    if ticket.assignee_id is None:
        do_assign_ticket(ticket, group=None, assignee=agent, actor=agent, now=at)
    if state == TicketState.ASSIGNED:
        return
    at += step
    do_add_comment(ticket, body=rng.choice(QUESTIONS), internal=False, actor=agent, now=at)
    do_transition_incident(ticket, "in_progress", actor=agent, now=at)
    at += step
    do_add_comment(ticket, body=rng.choice(WORK_NOTES), internal=True, actor=agent, now=at)
    if state == TicketState.IN_PROGRESS:
        return
    if state in {TicketState.PENDING_USER, TicketState.WAITING_FOR_VENDOR, TicketState.ON_HOLD}:
        reason = {
            TicketState.PENDING_USER: "Waiting for the requester's screenshot.",
            TicketState.WAITING_FOR_VENDOR: "Vendor case 48213 opened.",
            TicketState.ON_HOLD: "Replacement part ordered; delivery next week.",
        }[TicketState(state)]
        do_transition_incident(ticket, state, actor=agent, reason=reason, now=at)
        return
    at += step
    code = rng.choice(
        [ResolutionCode.SOLVED_PERMANENTLY, ResolutionCode.WORKAROUND, ResolutionCode.USER_ERROR]
    )
    do_transition_incident(
        ticket,
        "resolved",
        actor=agent,
        resolution_code=code,
        resolution_notes="Restarted the affected service and confirmed with the requester that it works.",
        now=at,
    )
    if state == TicketState.CLOSED:
        at += step
        # Half the requesters confirm; the worker's auto-close closes the rest.
        closer = requester if rng.random() < 0.5 else None
        do_transition_incident(ticket, "closed", actor=closer, now=at)
