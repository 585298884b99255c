"""Escalation: the worker sweeps open tickets against the escalation rules and fires each rule at
most once per ticket and level.

Kinds of escalation, all rows of one table (models.EscalationRule):
- functional: not acknowledged / not resolved within a business-time limit on the rule's calendar
  → reassign to the assignment group's escalation parent (tier 1 → tier 2);
- hierarchical: at each threshold notify the next manager up (the group's manager, then the
  escalation parent group's manager, ...);
- priority based: a P1 notifies the major incident (on-call) team at once;
- SLA warning and breach (the SLA engine's sweeper calls ``fire_escalation``).

"Once" is enforced by EscalationFiring's unique constraint, under a row lock on the ticket, so
several workers on PostgreSQL may sweep at the same moment.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet

from itsm.accounts.models import Group, User
from itsm.notifications.actions import notify_people, notify_ticket_event
from itsm.notifications.choices import TicketEvent
from itsm.rules.assignment import apply_assignment, pick_agent
from itsm.rules.calendars import calendar_from_json
from itsm.rules.choices import SWEPT_TRIGGERS, EscalationTrigger
from itsm.rules.models import EscalationFiring, EscalationRule
from itsm.sla.engine import Calendar
from itsm.sla.live import recompute_ticket_slas
from itsm.taxonomy.choices import Priority
from itsm.tickets.actions import lock_ticket, save_ticket
from itsm.tickets.choices import INACTIVE_STATES, PAUSE_STATES, TicketState
from itsm.tickets.events import field_changed_event, system_event
from itsm.tickets.models import JournalEntry, Ticket

logger = logging.getLogger(__name__)

#: States in which nobody has acknowledged the ticket yet (no agent started work).
UNACKNOWLEDGED_STATES = (TicketState.NEW, TicketState.ASSIGNED)


def _candidates(rule: EscalationRule, level: int, minutes: int, now: datetime) -> QuerySet[Ticket]:
    fired = EscalationFiring.objects.filter(rule=rule, ticket=OuterRef("pk"), level=level)
    tickets = Ticket.objects.exclude(state__in=INACTIVE_STATES).exclude(Exists(fired))
    if rule.kind:
        tickets = tickets.filter(kind=rule.kind)
    if rule.priorities:
        tickets = tickets.filter(priority__in=rule.priorities)
    group_ids = [group.pk for group in rule.groups.all()]
    if group_ids:
        tickets = tickets.filter(assignment_group_id__in=group_ids)
    if rule.trigger == EscalationTrigger.NOT_ACKNOWLEDGED_WITHIN:
        tickets = tickets.filter(state__in=UNACKNOWLEDGED_STATES, first_responded_at__isnull=True)
    elif rule.trigger == EscalationTrigger.NOT_RESOLVED_WITHIN:
        tickets = tickets.exclude(state__in=PAUSE_STATES)
    if rule.trigger != EscalationTrigger.PRIORITY_AT_ONCE:
        # Business time never exceeds wall-clock time: a cheap filter before the exact check.
        tickets = tickets.filter(opened_at__lte=now - timedelta(minutes=minutes))
    return tickets.order_by("opened_at", "pk")


def _in_group_since(ticket: Ticket) -> datetime:
    """When the ticket reached its current assignment group (acknowledgement is per group)."""
    moved = (
        JournalEntry.objects.filter(ticket=ticket, field="assignment_group")
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    return moved or ticket.opened_at


def _reached(
    rule: EscalationRule, ticket: Ticket, minutes: int, calendar: Calendar, now: datetime
) -> bool:
    if rule.trigger == EscalationTrigger.PRIORITY_AT_ONCE:
        return True
    start = (
        _in_group_since(ticket)
        if rule.trigger == EscalationTrigger.NOT_ACKNOWLEDGED_WITHIN
        else ticket.opened_at
    )
    return calendar.business_time_between(start, now) >= timedelta(minutes=minutes)


def sweep_escalations(*, now: datetime) -> int:
    """Fire every due escalation once; return how many fired. Called by the worker loop."""
    fired = 0
    rules = EscalationRule.objects.filter(is_active=True, trigger__in=SWEPT_TRIGGERS)
    for rule in rules.prefetch_related("groups").order_by("order", "id"):
        try:
            calendar = calendar_from_json(rule.calendar)
        except ValidationError as exc:
            logger.error("Escalation rule %r has an invalid calendar: %s", rule.name, exc)
            continue
        for level, minutes in enumerate(rule.levels, start=1):
            for ticket in _candidates(rule, level, minutes, now):
                if _reached(rule, ticket, minutes, calendar, now) and fire_escalation(
                    rule, ticket, level=level, now=now
                ):
                    fired += 1
    return fired


def fire_escalation(
    rule: EscalationRule, ticket: Ticket, *, level: int = 1, now: datetime, why: str = ""
) -> bool:
    """Apply the rule's actions to the ticket at this level unless that already happened.

    Returns whether it fired. Runs in its own savepoint, so callers inside a transaction (the SLA
    sweeper) keep their work when the rule had already fired.
    """
    try:
        with transaction.atomic():
            # The row lock serialises workers on this ticket; the constraint is the backstop.
            locked = lock_ticket(ticket, expected_version=None)
            if not locked.is_active:
                return False
            if EscalationFiring.objects.filter(rule=rule, ticket=locked, level=level).exists():
                return False
            firing = EscalationFiring.objects.create(
                rule=rule, ticket=locked, level=level, fired_at=now
            )
            done = _apply_actions(rule, locked, level=level, now=now, why=why)
            firing.summary = " ".join(done)
            firing.save(update_fields=["summary"])
    except IntegrityError:
        return False
    return True


def _trigger_text(rule: EscalationRule, level: int) -> str:
    minutes = rule.levels[level - 1]
    trigger = EscalationTrigger(rule.trigger)
    if trigger in {
        EscalationTrigger.NOT_ACKNOWLEDGED_WITHIN,
        EscalationTrigger.NOT_RESOLVED_WITHIN,
    }:
        return f"{trigger.label} {_duration(minutes)} of business time"
    return str(trigger.label)


def _duration(minutes: int) -> str:
    if minutes % 60 == 0 and minutes:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def manager_at_level(group: Group | None, level: int) -> User | None:
    """Level 1: the group's manager; level 2: the escalation parent group's manager; and so on,
    stopping at the top of the chain."""
    manager = None
    node = group
    for _ in range(level):
        if node is None:
            break
        manager = node.manager or manager
        node = node.escalation_parent
    return manager


def _major_incident_team() -> list[User]:
    return list(
        User.objects.filter(
            assignment_groups__is_major_incident_team=True, is_active=True
        ).distinct()
    )


def _raise_priority(ticket: Ticket, reason: str, now: datetime) -> str | None:
    order = list(Priority.values)
    index = order.index(ticket.priority) if ticket.priority in order else len(order) - 1
    if index == 0:
        return None
    old, new = ticket.priority, order[index - 1]
    ticket.priority = new
    save_ticket(ticket, ["priority"])
    entry = field_changed_event(ticket, "priority", old, new, actor=None, at=now)
    entry.body = reason
    entry.data = {"escalation": True}
    entry.save(update_fields=["body", "data"])
    return f"Priority raised from {old} to {new}."


def _reassign(ticket: Ticket, rule: EscalationRule, now: datetime) -> str:
    current = ticket.assignment_group
    parent = current.escalation_parent if current is not None else None
    if parent is None:
        return f"No escalation parent for {current or 'an unassigned ticket'}: not reassigned."
    agent = pick_agent(parent, now=now)
    apply_assignment(
        ticket, parent, agent, actor=None, now=now, why=f"by escalation rule “{rule.name}”"
    )
    notify_ticket_event(ticket, TicketEvent.ASSIGNED, actor=None, now=now)
    return f"Reassigned from {current} to {parent}" + (f" ({agent})." if agent else ".")


def _apply_actions(
    rule: EscalationRule, ticket: Ticket, *, level: int, now: datetime, why: str
) -> list[str]:
    reason = why or _trigger_text(rule, level)
    done: list[str] = []
    people: list[Any] = []
    if rule.reassign_to_parent:
        done.append(_reassign(ticket, rule, now))
    if rule.raise_priority:
        raised = _raise_priority(ticket, f"Escalation rule “{rule.name}”: {reason}.", now)
        done.append(raised or "Priority already at the highest.")
    if rule.notify_managers:
        manager = manager_at_level(ticket.assignment_group, level)
        if manager is not None:
            people.append(manager)
            done.append(f"Notified {manager} (level {level} manager).")
        else:
            done.append("No group manager to notify.")
    if rule.notify_major_incident_team:
        team = _major_incident_team()
        people += team
        done.append(f"Notified the major incident team ({len(team)} people).")
    if rule.notify_assignee:
        assignee_side = (
            [ticket.assignee]
            if ticket.assignee
            else list(ticket.assignment_group.members.all() if ticket.assignment_group else [])
        )
        people += assignee_side
        done.append("Notified the assignee." if ticket.assignee else "Notified the group.")
    save_ticket(ticket, [])
    entry = system_event(
        ticket,
        f"Escalation “{rule.name}” (level {level}): {reason}. " + " ".join(done),
        data={"escalation_rule": rule.pk, "level": level, "trigger": rule.trigger},
        at=now,
    )
    if people:
        notify_people(
            ticket,
            TicketEvent.ESCALATION,
            people,
            actor=None,
            headline=f"{ticket.number} was escalated (“{rule.name}”, level {level}): {reason}.",
            details=" ".join(done),
            entry=entry,
            now=now,
        )
    if rule.reassign_to_parent or rule.raise_priority:
        recompute_ticket_slas(ticket, now=now)
    return done
