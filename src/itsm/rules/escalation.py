"""Escalation: the worker sweeps open tickets against the escalation rules and fires each rule at
most once per ticket and level.

Kinds of escalation, all rows of one table (models.EscalationRule):
- functional: not acknowledged / not resolved within a business-time limit on the rule's calendar
  → reassign to the assignment group's escalation parent (tier 1 → tier 2);
- hierarchical: at each threshold notify the next manager up (the group's manager, then the
  escalation parent group's manager, ...);
- priority based: a P1 notifies the major incident (on-call) team at once;
- SLA warning and breach (the SLA engine's sweeper calls ``fire_escalation``).

"Once" is enforced by EscalationFiring's unique constraint: a batch of tickets is claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` and its firings inserted with ``ON CONFLICT DO NOTHING
RETURNING``, so only the worker whose rows went in applies the actions; several workers on
PostgreSQL may sweep at the same moment. A batch costs a fixed number of statements for what it
tells people (journal lines, version bumps, outbox rows); a reassignment or priority raise stays
a change of its own ticket, one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.core.stamps import stamp_scope
from itsm.notifications.actions import PeopleNotice, notify_people_in_bulk, notify_ticket_event
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
from itsm.tickets.events import field_changed_line, system_line, write_lines
from itsm.tickets.models import JournalEntry, Ticket
from itsm.tickets.people import attach_people

logger = logging.getLogger(__name__)

#: States in which nobody has acknowledged the ticket yet (no agent started work).
UNACKNOWLEDGED_STATES = (TicketState.NEW, TicketState.ASSIGNED)

#: Tickets read, and fired on, per transaction.
BATCH_SIZE = 200


def _candidates(
    rule: EscalationRule,
    level: int,
    minutes: int,
    now: datetime,
    after: tuple[datetime, int] | None = None,
) -> QuerySet[Ticket]:
    """The tickets this rule may fire on at this level, oldest first; ``after`` = the (opened_at,
    pk) of the last ticket of the previous page (keyset pages, so a pass always ends)."""
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
    if after is not None:
        at, pk = after
        tickets = tickets.filter(Q(opened_at__gt=at) | Q(opened_at=at, pk__gt=pk))
    return tickets.order_by("opened_at", "pk")


def _in_group_since(ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """When each ticket reached its current assignment group (acknowledgement is per group): the
    time of its latest group change, for the tickets that had one (the others: since opening)."""
    moved = (
        JournalEntry.objects.filter(ticket_id__any=list(ticket_ids), field="assignment_group")
        .values("ticket_id")
        .annotate(at=Max("created_at"))
        .values_list("ticket_id", "at")
    )
    return dict(moved)


def _reached(
    rule: EscalationRule, start: datetime, minutes: int, calendar: Calendar, now: datetime
) -> bool:
    if rule.trigger == EscalationTrigger.PRIORITY_AT_ONCE:
        return True
    return calendar.business_time_between(start, now) >= timedelta(minutes=minutes)


def sweep_escalations(*, now: datetime, limit: int | None = None) -> int:
    """Fire every due escalation once; return how many fired. Called by the worker loop.

    ``limit`` bounds the firings of this pass (the rest is fired by the next pass; the worker
    runs it again at once while a pass comes back full). Tickets are read in keyset pages of
    ``BATCH_SIZE``; each page's due tickets are fired as one batch (``_fire_batch``).
    """
    fired = 0
    rules = EscalationRule.objects.filter(is_active=True, trigger__in=SWEPT_TRIGGERS)
    for rule in rules.prefetch_related("groups").order_by("order", "id"):
        try:
            calendar = calendar_from_json(rule.calendar)
        except ValidationError as exc:
            logger.error("Escalation rule %r has an invalid calendar: %s", rule.name, exc)
            continue
        for level, minutes in enumerate(rule.levels, start=1):
            after: tuple[datetime, int] | None = None
            while limit is None or fired < limit:
                page = list(
                    _candidates(rule, level, minutes, now, after).values_list("pk", "opened_at")[
                        :BATCH_SIZE
                    ]
                )
                if not page:
                    break
                after = (page[-1][1], page[-1][0])
                due = _due(rule, page, minutes, calendar, now)
                if limit is not None:
                    due = due[: limit - fired]
                if due:
                    fired += _sweep_batch(rule, due, level=level, now=now)
                if len(page) < BATCH_SIZE:
                    break
    return fired


def _due(
    rule: EscalationRule,
    page: Sequence[tuple[int, datetime]],
    minutes: int,
    calendar: Calendar,
    now: datetime,
) -> list[int]:
    """The tickets of a page whose limit has passed in business time on the rule's calendar:
    counted from opening, or for "not acknowledged" from the arrival in the current group."""
    since = (
        _in_group_since([pk for pk, _ in page])
        if rule.trigger == EscalationTrigger.NOT_ACKNOWLEDGED_WITHIN
        else {}
    )
    return [
        pk
        for pk, opened_at in page
        if _reached(rule, since.get(pk) or opened_at, minutes, calendar, now)
    ]


def _sweep_batch(
    rule: EscalationRule, ticket_ids: Sequence[int], *, level: int, now: datetime
) -> int:
    """One transaction for a batch of due tickets; the ones another worker (or a person's change)
    holds are skipped and looked at again next pass. Should the batch fail, its tickets are
    retried one by one, so one bad ticket does not hold back the others. The batch sees one
    version of the reference data (one stamp query, not one per ticket)."""
    with transaction.atomic(), stamp_scope():
        # SKIP LOCKED: a ticket being changed right now is not waited for.
        locked = {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__any=list(ticket_ids))
            .order_by("pk")
        }
        attach_people(list(locked.values()))
        # Fired in the order of the sweep (oldest first), as an assignment strategy counts it.
        tickets = [locked[pk] for pk in ticket_ids if pk in locked and locked[pk].is_active]
        if not tickets:
            return 0
        try:
            with transaction.atomic():
                return len(_fire_batch(rule, tickets, level=level, now=now, why=""))
        except Exception:
            logger.exception(
                "Escalation %r failed on a batch; retrying its tickets one by one", rule.name
            )
        fired = 0
        for ticket in tickets:
            try:
                with transaction.atomic():
                    fired += len(_fire_batch(rule, [ticket], level=level, now=now, why=""))
            except Exception:
                logger.exception(
                    "Escalation %r failed on %s; it is retried next pass", rule.name, ticket.number
                )
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
            return bool(_fire_batch(rule, [locked], level=level, now=now, why=why))
    except IntegrityError:
        return False


def _fire_batch(
    rule: EscalationRule, tickets: Sequence[Ticket], *, level: int, now: datetime, why: str
) -> list[Ticket]:
    """Fire the rule at this level on these locked, open tickets, each unless it already fired
    there; return the tickets it fired on.

    The firings are claimed first, with one compare-and-set insert (``ON CONFLICT DO NOTHING
    RETURNING``): only the worker whose row went in applies the actions, so each (rule, ticket,
    level) fires once however many workers sweep. Then the actions (``_apply_actions``).
    """
    won = set(_claim_firings(rule, tickets, level=level, now=now))
    claimed = [ticket for ticket in tickets if ticket.pk in won]
    if not claimed:
        return []
    summaries = _apply_actions(rule, claimed, level=level, now=now, why=why)
    table = connection.ops.quote_name(EscalationFiring._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET summary = %s "  # noqa: S608 (only the table name is formatted)
            "WHERE rule_id = %s AND ticket_id = %s AND level = %s",
            [
                (" ".join(done), rule.pk, ticket.pk, level)
                for ticket, done in zip(claimed, summaries, strict=True)
            ],
        )
    return claimed


def _claim_firings(
    rule: EscalationRule, tickets: Sequence[Ticket], *, level: int, now: datetime
) -> list[int]:
    """Insert the firings not there yet, in one statement; return the tickets whose row this
    worker inserted (PostgreSQL, and SQLite ≥ 3.35). The unique constraint decides."""
    table = connection.ops.quote_name(EscalationFiring._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, '')"] * len(tickets))
    params: list[Any] = []
    fired_at = connection.ops.adapt_datetimefield_value(now)
    for ticket in tickets:
        params += [rule.pk, ticket.pk, level, fired_at]
    sql = (
        f"INSERT INTO {table} (rule_id, ticket_id, level, fired_at, summary) "  # noqa: S608
        f"VALUES {rows} ON CONFLICT (rule_id, ticket_id, level) DO NOTHING RETURNING ticket_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


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


def _raise_priority(
    ticket: Ticket, reason: str, now: datetime, lines: list[JournalEntry]
) -> str | None:
    """Raise the priority one step (saved at once) and append its journal line to ``lines``."""
    order = list(Priority.values)
    index = order.index(ticket.priority) if ticket.priority in order else len(order) - 1
    if index == 0:
        return None
    old, new = ticket.priority, order[index - 1]
    ticket.priority = new
    save_ticket(ticket, ["priority"])
    line = field_changed_line(ticket, "priority", old, new, actor=None, at=now, body=reason)
    line.data = {"escalation": True}
    lines.append(line)
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
    rule: EscalationRule, tickets: Sequence[Ticket], *, level: int, now: datetime, why: str
) -> list[list[str]]:
    """Apply the rule's actions at this level to each ticket; return what was done, per ticket.

    A reassignment or a priority raise changes its ticket, one ticket after the other, as before
    (an assignment strategy counts the tickets assigned before it). The rest is done for the
    batch at once: the people to tell are looked up once per group, the version bump is one
    update, the journal lines one insert, the outbox rows one insert.
    """
    reason = why or _trigger_text(rule, level)
    summaries: list[list[str]] = []
    changes: list[list[JournalEntry]] = []
    for ticket in tickets:
        done: list[str] = []
        lines: list[JournalEntry] = []
        if rule.reassign_to_parent:
            done.append(_reassign(ticket, rule, now))
        if rule.raise_priority:
            raised = _raise_priority(
                ticket, f"Escalation rule “{rule.name}”: {reason}.", now, lines
            )
            done.append(raised or "Priority already at the highest.")
        summaries.append(done)
        changes.append(lines)
    # Who is told depends on the group each ticket is in now, after a reassignment.
    managers: dict[int | None, User | None] = {}
    members: dict[int | None, list[User]] = {}
    team = _major_incident_team() if rule.notify_major_incident_team else []
    people_of: list[list[Any]] = []
    for ticket, done in zip(tickets, summaries, strict=True):
        people: list[Any] = []
        group = ticket.assignment_group
        if rule.notify_managers:
            if ticket.assignment_group_id not in managers:
                managers[ticket.assignment_group_id] = manager_at_level(group, level)
            manager = managers[ticket.assignment_group_id]
            if manager is not None:
                people.append(manager)
                done.append(f"Notified {manager} (level {level} manager).")
            else:
                done.append("No group manager to notify.")
        if rule.notify_major_incident_team:
            people += team
            done.append(f"Notified the major incident team ({len(team)} people).")
        if rule.notify_assignee:
            if ticket.assignee:
                people.append(ticket.assignee)
            elif group is not None:
                if group.pk not in members:
                    members[group.pk] = list(group.members.all())
                people += members[group.pk]
            done.append("Notified the assignee." if ticket.assignee else "Notified the group.")
        people_of.append(people)
    _save_versions(tickets)
    notes = [
        system_line(
            ticket,
            f"Escalation “{rule.name}” (level {level}): {reason}. " + " ".join(done),
            data={"escalation_rule": rule.pk, "level": level, "trigger": rule.trigger},
            at=now,
        )
        for ticket, done in zip(tickets, summaries, strict=True)
    ]
    # Each ticket's priority line before its escalation line: ids follow the list's order.
    write_lines(
        [line for lines, note in zip(changes, notes, strict=True) for line in [*lines, note]]
    )
    notify_people_in_bulk(
        (
            PeopleNotice(
                ticket=ticket,
                event=TicketEvent.ESCALATION,
                people=people,
                headline=f"{ticket.number} was escalated (“{rule.name}”, level {level}): {reason}.",
                details=" ".join(done),
                entry=note,
            )
            for ticket, people, done, note in zip(tickets, people_of, summaries, notes, strict=True)
            if people
        ),
        actor=None,
        now=now,
    )
    if rule.reassign_to_parent or rule.raise_priority:
        for ticket in tickets:
            recompute_ticket_slas(ticket, now=now)
    return summaries


def _save_versions(tickets: Sequence[Ticket]) -> None:
    """``save_ticket(ticket, [])`` for a batch: each ticket's version is bumped once per change
    (unless a reassignment or priority raise already did), and saved with ``updated_at``.

    One ``UPDATE … WHERE id = %s`` sent for all rows at once (``executemany``, one pipelined round
    trip on PostgreSQL), as the SLA sweeper stores its figures."""
    stamp = timezone.now()
    for ticket in tickets:
        if ticket.journal_version() != ticket.version:
            ticket.version += 1
            ticket.mark_version_bumped()
        ticket.updated_at = stamp
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET version = %s, updated_at = %s WHERE id = %s",  # noqa: S608
            [
                (ticket.version, connection.ops.adapt_datetimefield_value(stamp), ticket.pk)
                for ticket in tickets
            ],
        )
