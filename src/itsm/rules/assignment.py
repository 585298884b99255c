"""Putting a ticket in a group's hands, and the group strategies that pick the agent."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count

from itsm.accounts.choices import AssignmentStrategy
from itsm.accounts.models import AGENT_ROLES, Group, User
from itsm.core.errors import InvalidInput
from itsm.taxonomy.choices import TicketKind
from itsm.tickets.actions import save_ticket
from itsm.tickets.choices import INACTIVE_STATES, TicketState
from itsm.tickets.events import field_changed_line, journal_value, transition_line, write_lines
from itsm.tickets.models import JournalEntry, Ticket

#: How much an open incident of each priority weighs in an agent's load.
PRIORITY_WEIGHT = {"P1": 5, "P2": 4, "P3": 3, "P4": 2, "P5": 1}


def available_agents(group: Group, *, now: datetime) -> list[User]:
    """Active agents of the group who are not away, in a stable order."""
    members = group.members.filter(is_active=True, role__in=AGENT_ROLES).order_by("pk")
    return [member for member in members if not member.is_away(now)]


def _round_robin(group: Group, candidates: list[User]) -> User:
    # Lock the group row: two tickets routed at once must not both take the same turn.
    cursor = Group.objects.select_for_update().values_list("last_assigned_id", flat=True)
    last = cursor.get(pk=group.pk)
    chosen = next((c for c in candidates if last is not None and c.pk > last), candidates[0])
    Group.objects.filter(pk=group.pk).update(last_assigned=chosen)
    group.last_assigned = chosen
    return chosen


#: Every state but the inactive ones, spelled out so the (assignee, state, …) index serves it.
ACTIVE_STATES = [state for state in TicketState.values if state not in INACTIVE_STATES]


def agent_loads(agents: list[User]) -> dict[int, int]:
    """Open assigned incidents per agent, weighted by priority (a P1 weighs five P5s)."""
    rows = (
        Ticket.objects.filter(
            assignee__in=agents, kind=TicketKind.INCIDENT, state__in=ACTIVE_STATES
        )
        .order_by()
        .values_list("assignee_id", "priority")
        .annotate(count=Count("id"))
    )
    loads: dict[int, int] = defaultdict(int)
    for assignee_id, priority, count in rows:
        loads[assignee_id] += PRIORITY_WEIGHT.get(priority, 1) * count
    return loads


def pick_agent(group: Group, *, now: datetime) -> User | None:
    """The agent the group's strategy picks for a new ticket; None for manual groups or when
    everybody is away (the ticket then waits in the group's queue)."""
    if group.strategy == AssignmentStrategy.MANUAL:
        return None
    candidates = available_agents(group, now=now)
    if not candidates:
        return None
    if group.strategy == AssignmentStrategy.ROUND_ROBIN:
        return _round_robin(group, candidates)
    loads = agent_loads(candidates)
    return min(candidates, key=lambda agent: (loads.get(agent.pk, 0), agent.pk))


def apply_assignment(
    ticket: Ticket,
    group: Group | None,
    assignee: User | None,
    *,
    actor: User | None,
    now: datetime,
    why: str = "",
) -> list[str]:
    """Set group and assignee with their journal lines; New becomes Assigned when someone is named.

    ``why`` ("by rule “Network”", "by escalation rule “Tier 2”") is written on the journal line, so
    the journal says what assigned the ticket. Returns the changed fields (saved already).
    """
    if (
        assignee is not None
        and group is not None
        and not group.members.filter(pk=assignee.pk).exists()
    ):
        raise InvalidInput("assignee", f"{assignee} is not a member of {group}.")
    lines: list[JournalEntry] = []
    changed = assignment_lines(ticket, group, assignee, actor=actor, now=now, why=why, lines=lines)
    write_lines(lines)
    if changed:
        save_ticket(ticket, changed)
    return changed


def assignment_lines(
    ticket: Ticket,
    group: Group | None,
    assignee: User | None,
    *,
    actor: User | None,
    now: datetime,
    why: str,
    lines: list[JournalEntry],
) -> list[str]:
    """Set group and assignee on the ticket in memory and append their journal lines to ``lines``
    (not written, not saved). The caller has checked that the assignee is a member of the group:
    ``apply_assignment`` asks the database, a new ticket's routing picked the agent among them.
    Returns the changed fields."""
    if assignee is not None and not assignee.is_agent:
        raise InvalidInput("assignee", f"{assignee} is not an agent.")
    changed: list[str] = []
    if ticket.assignment_group_id != (group.pk if group else None):
        old = ticket.assignment_group
        ticket.assignment_group = group
        changed.append("assignment_group")
        lines.append(
            field_changed_line(
                ticket,
                "assignment_group",
                journal_value(old),
                journal_value(group),
                actor=actor,
                at=now,
                body=f"Assigned {why}." if why else "",
            )
        )
    if ticket.assignee_id != (assignee.pk if assignee else None):
        old_assignee = ticket.assignee
        ticket.assignee = assignee
        changed.append("assignee")
        lines.append(
            field_changed_line(
                ticket,
                "assignee",
                journal_value(old_assignee),
                journal_value(assignee),
                actor=actor,
                at=now,
                body=f"Assigned {why}." if why and "assignment_group" not in changed else "",
            )
        )
    if assignee is not None and ticket.state == TicketState.NEW:
        lines.append(
            transition_line(ticket, ticket.state, TicketState.ASSIGNED, actor=actor, at=now)
        )
        ticket.state = TicketState.ASSIGNED
        changed.append("state")
    return changed
