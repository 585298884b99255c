"""SLA instances of live tickets: which definitions apply, and their figures from the journal.

Every action that changes state, priority, assignment, categorisation or the first response calls
``recompute_ticket_slas`` in its transaction, with the ticket row already locked. The figures come
from the pure engine fed with the ticket's journal, so recomputing is always safe.

Attachment rules (documented in docs/itil.md):
- while a ticket is active, every active definition whose conditions hold is attached; a
  definition that stops holding (priority or group changed, definition deactivated) is detached:
  its instance keeps its figures as of that instant and no longer counts;
- a definition starting ``opened`` measures from when the ticket was logged (retroactive, so a
  P3 raised to P1 is measured on the P1 definition from the start); one starting ``matched``
  (OLAs) measures from when the ticket came to match, e.g. reached the group;
- Resolved, Closed and Cancelled tickets keep their instances as they are (outcomes are final),
  until a reopen makes the ticket active again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from itsm.core.bulk import insert_objects
from itsm.core.stamps import StampedCache, stamp_table
from itsm.sla.engine import (
    ClockState,
    Created,
    Event,
    FirstResponse,
    PriorityChanged,
    SlaResult,
    StateChanged,
    evaluate,
)
from itsm.sla.engine import (
    SlaDefinition as EngineDefinition,
)
from itsm.sla.models import (
    BusinessCalendar,
    ClockStateChoice,
    SlaDefinition,
    SlaInstance,
    StartChoice,
)
from itsm.taxonomy.models import Category
from itsm.tickets.choices import INACTIVE_STATES, JournalType, TicketState
from itsm.tickets.models import JournalEntry, Ticket

logger = logging.getLogger(__name__)

STATE = "state"
PRIORITY = "priority"
RESPONSE = "first_response"
CREATED = "created"


@dataclass(frozen=True)
class Fact:
    """One SLA-relevant line of a journal: what happened, when, and the new value."""

    at: datetime
    kind: str
    value: str = ""
    priority: str = ""


# --------------------------------------------------------------------------- the journal

_RELEVANT = (
    Q(entry_type=JournalType.TRANSITION)
    | Q(entry_type=JournalType.FIELD_CHANGE, field="priority")
    | Q(entry_type=JournalType.COMMENT, data__first_response=True)
    | Q(entry_type=JournalType.SYSTEM, data__event="created")
)


def load_facts(ticket_ids: Iterable[int]) -> dict[int, list[Fact]]:
    """The SLA facts of many tickets in one query, in journal order."""
    rows = (
        JournalEntry.objects.filter(ticket_id__any=list(ticket_ids))
        .filter(_RELEVANT)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "entry_type", "created_at", "new_value", "data")
    )
    facts: dict[int, list[Fact]] = defaultdict(list)
    for ticket_id, entry_type, at, new_value, data in rows:
        fact = _fact(entry_type, at, new_value, data)
        if fact is not None:
            facts[ticket_id].append(fact)
    return facts


def _fact(entry_type: str, at: datetime, new_value: str, data: object) -> Fact | None:
    """The fact of one journal line that ``_RELEVANT`` selected."""
    if entry_type == JournalType.TRANSITION:
        return Fact(at, STATE, new_value)
    if entry_type == JournalType.FIELD_CHANGE:
        return Fact(at, PRIORITY, new_value)
    if entry_type == JournalType.COMMENT:
        return Fact(at, RESPONSE)
    if isinstance(data, dict):
        return Fact(at, CREATED, str(data.get("state", "")), str(data.get("priority", "")))
    return None


def _is_relevant(entry: JournalEntry) -> bool:
    """``_RELEVANT`` asked of a line in memory."""
    data = entry.data if isinstance(entry.data, dict) else {}
    if entry.entry_type == JournalType.TRANSITION:
        return True
    if entry.entry_type == JournalType.FIELD_CHANGE:
        return entry.field == "priority"
    if entry.entry_type == JournalType.COMMENT:
        return data.get("first_response") is True
    if entry.entry_type == JournalType.SYSTEM:
        return data.get("event") == "created"
    return False


def facts_of(lines: Iterable[JournalEntry]) -> list[Fact]:
    """The SLA facts of journal lines in hand (in journal order), as ``load_facts`` reads them
    once written: an action that has just built a ticket's whole journal need not read it back."""
    facts = []
    for line in lines:
        if _is_relevant(line):
            fact = _fact(line.entry_type, line.created_at, line.new_value, line.data)
            if fact is not None:
                facts.append(fact)
    return facts


def engine_events(ticket: Ticket, facts: Sequence[Fact], start: datetime | None) -> list[Event]:
    """The engine's events from ``start`` (None: from the ticket's creation) on.

    A later start opens with the state, priority and response status in force at that instant.
    """
    created = next((f for f in facts if f.kind == CREATED), None)
    state = created.value if created and created.value else TicketState.NEW
    # Without a creation line (imported tickets) the current priority is the best guess.
    priority = created.priority if created and created.priority else ticket.priority
    origin = created.at if created else ticket.opened_at
    begin = origin if start is None or start < origin else start
    responded = False
    events: list[Event] = []
    for fact in facts:
        if fact.kind == CREATED:
            continue
        if fact.at <= begin:
            if fact.kind == STATE:
                state = fact.value
            elif fact.kind == PRIORITY:
                priority = fact.value
            else:
                responded = True
            continue
        events.append(_event(fact))
    opening: list[Event] = [Created(at=begin, state=state, priority=priority)]
    if responded:
        opening.append(FirstResponse(at=begin))
    return opening + events


def _event(fact: Fact) -> Event:
    if fact.kind == STATE:
        return StateChanged(at=fact.at, to=fact.value)
    if fact.kind == PRIORITY:
        return PriorityChanged(at=fact.at, to=fact.value)
    return FirstResponse(at=fact.at)


# --------------------------------------------------------------------------- evaluation


def evaluate_instance(
    instance: SlaInstance, ticket: Ticket, facts: Sequence[Fact], now: datetime
) -> SlaResult:
    """The engine's figures for one instance as of ``now`` (or as of its detachment)."""
    definition = instance.definition
    start = instance.started_at if definition.start == StartChoice.MATCHED else None
    until = instance.detached_at or now
    events = engine_events(ticket, [f for f in facts if f.at <= until], start)
    until = max([until, *(e.at for e in events)])
    calendar = definition.calendar.to_engine(year=until.year)
    return evaluate(calendar, _engine_definition(definition), events, until)


#: The engine's form of each saved definition, per edit (``updated_at`` moves with every save).
_ENGINE_DEFINITIONS: dict[tuple[int, datetime], EngineDefinition] = {}
_ENGINE_DEFINITIONS_SIZE = 256


def _engine_definition(definition: SlaDefinition) -> EngineDefinition:
    """``definition.to_engine()``, built once per saved version of the definition: a sweep
    evaluates thousands of instances of a handful of definitions."""
    if definition.pk is None:
        return definition.to_engine()
    key = (definition.pk, definition.updated_at)
    found = _ENGINE_DEFINITIONS.get(key)
    if found is None:
        if len(_ENGINE_DEFINITIONS) >= _ENGINE_DEFINITIONS_SIZE:
            _ENGINE_DEFINITIONS.clear()
        found = _ENGINE_DEFINITIONS[key] = definition.to_engine()
    return found


def _stop_instant(result: SlaResult) -> datetime | None:
    if result.clock_state is not ClockState.STOPPED:
        return None
    stopped_at = None
    for span in reversed(result.spans):
        if span.clock_state is not ClockState.STOPPED:
            break
        stopped_at = span.start
    return stopped_at


def store_result(instance: SlaInstance, result: SlaResult, now: datetime) -> list[str]:
    """Copy the figures onto the instance; return the changed fields (not saved)."""
    thresholds = list(instance.definition.warning_thresholds)
    warnings = [result.warnings.get(int(p)) for p in thresholds]
    values: dict[str, object] = {
        "clock_state": str(result.clock_state),
        "priority": result.priority,
        "target_minutes": result.target_minutes,
        "elapsed_seconds": result.elapsed.total_seconds(),
        "cycle": len(result.previous_cycles),
        "cycle_started_at": result.started_at,
        "due_at": result.due_at,
        "warn_at": warnings[0] if warnings else None,
        "risk_at": warnings[1] if len(warnings) > 1 else None,
        "breached_at": result.breached_at,
    }
    if result.clock_state is ClockState.STOPPED:
        if instance.clock_state != ClockStateChoice.STOPPED or instance.stopped_at is None:
            values["stopped_at"] = _stop_instant(result)
    else:
        values["stopped_at"] = None
    if values["cycle"] != instance.cycle:
        # A reopen (new_cycle) or a restart: the new cycle's thresholds fire afresh.
        values.update(warn_fired_at=None, risk_fired_at=None, breach_fired_at=None)
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    next_at = next_threshold(instance)
    if next_at != instance.next_event_at:
        instance.next_event_at = next_at
        changed.append("next_event_at")
    return changed


def next_threshold(instance: SlaInstance) -> datetime | None:
    """The earliest warning or breach instant not fired yet (past ones too: the sweeper is late
    or a priority raise moved them back); None when stopped or detached."""
    if instance.detached_at is not None or instance.clock_state == ClockStateChoice.STOPPED:
        return None
    pending = [
        instance.warn_at if instance.warn_fired_at is None else None,
        instance.risk_at if instance.risk_fired_at is None else None,
        (instance.breached_at or instance.due_at) if instance.breach_fired_at is None else None,
    ]
    return min((at for at in pending if at is not None), default=None)


def save_instance(instance: SlaInstance, changed: list[str], now: datetime) -> None:
    if not changed:
        return
    instance.version += 1
    instance.computed_at = now
    instance.save(update_fields=[*changed, "version", "computed_at"])


def refresh_instance(
    instance: SlaInstance, ticket: Ticket, facts: Sequence[Fact], now: datetime
) -> SlaResult | None:
    """Re-evaluate and store one instance; None (logged) when its data cannot be evaluated."""
    try:
        result = evaluate_instance(instance, ticket, facts, now)
    except ValueError:
        logger.exception(
            "SLA %r on %s cannot be evaluated", instance.definition.name, ticket.number
        )
        return None
    save_instance(instance, store_result(instance, result, now), now)
    return result


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Selector:
    """A definition's conditions, with category subtrees expanded; empty sets match anything."""

    definition_id: int
    kinds: frozenset[str]
    priorities: frozenset[str]
    service_ids: frozenset[int]
    category_ids: frozenset[int]
    organization_ids: frozenset[int]
    group_ids: frozenset[int]

    def matches(self, ticket: Ticket) -> bool:
        checks = (
            (self.kinds, ticket.kind),
            (self.priorities, ticket.priority),
            (self.service_ids, ticket.service_id),
            (self.category_ids, ticket.category_id),
            (self.organization_ids, ticket.organization_id),
            (self.group_ids, ticket.assignment_group_id),
        )
        return all(not allowed or value in allowed for allowed, value in checks)


@dataclass(frozen=True)
class _Policy:
    """The active definitions as matching needs them, remembered per process until a
    definition, category or calendar changes."""

    selectors: list[Selector]
    #: The active definitions with their calendars (read only: shared by every request).
    definitions: dict[int, SlaDefinition]


def _read_policy() -> _Policy:
    definitions = SlaDefinition.objects.select_related("calendar").filter(is_active=True)
    return _Policy(selectors=_build_selectors(), definitions={d.pk: d for d in definitions})


# Rebuilt when a definition, category or calendar changes: a save moves ``updated_at``
# (do_save_sla_definition touches it for condition changes too), a deletion the count.
stamp_table(SlaDefinition)
stamp_table(Category)
stamp_table(BusinessCalendar)
_POLICY = StampedCache(_read_policy)


def _active_policy() -> _Policy:
    return _POLICY.get()


def attach_definitions(instances: Iterable[SlaInstance]) -> None:
    """Give each instance its definition (with its calendar) from the process's cache of active
    definitions, instead of a join that builds both per row; definitions no longer active are
    read, once each. The definitions are shared: callers must not change them."""
    instances = list(instances)
    known = dict(_active_policy().definitions)
    missing = {i.definition_id for i in instances} - known.keys()
    if missing:
        known.update(
            (d.pk, d)
            for d in SlaDefinition.objects.select_related("calendar").filter(pk__in=missing)
        )
    for instance in instances:
        instance.definition = known[instance.definition_id]


def active_selectors() -> list[Selector]:
    """The active definitions' selectors, rebuilt when a definition or category changes."""
    return _active_policy().selectors


def _build_selectors() -> list[Selector]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)

    def subtree(root: int) -> set[int]:
        found, frontier = {root}, [root]
        while frontier:
            frontier = [c for node in frontier for c in children[node] if c not in found]
            found.update(frontier)
        return found

    definitions = SlaDefinition.objects.filter(is_active=True).prefetch_related(
        "services", "categories", "organizations", "assignment_groups"
    )
    return [
        Selector(
            definition_id=d.pk,
            kinds=frozenset(d.kinds),
            priorities=frozenset(d.priorities),
            service_ids=frozenset(s.pk for s in d.services.all()),
            category_ids=frozenset(pk for c in d.categories.all() for pk in subtree(c.pk)),
            organization_ids=frozenset(o.pk for o in d.organizations.all()),
            group_ids=frozenset(g.pk for g in d.assignment_groups.all()),
        )
        for d in definitions.order_by("pk")
    ]


def _attach(ticket: Ticket, definition_ids: Sequence[int], now: datetime) -> list[SlaInstance]:
    instances = _new_instances(ticket, definition_ids, now)
    insert_objects(instances)
    return instances


def _new_instances(
    ticket: Ticket,
    definition_ids: Sequence[int],
    now: datetime,
    known: dict[int, SlaDefinition] | None = None,
) -> list[SlaInstance]:
    if not definition_ids:
        return []
    if known is not None:
        definitions = [known[pk] for pk in sorted(definition_ids)]
    else:
        definitions = list(
            SlaDefinition.objects.select_related("calendar")
            .filter(pk__in=definition_ids)
            .order_by("pk")
        )
    created = []
    for definition in definitions:
        started = ticket.opened_at if definition.start == StartChoice.OPENED else now
        created.append(
            SlaInstance(
                ticket=ticket,
                definition=definition,
                metric=definition.metric,
                priority=ticket.priority,
                target_minutes=float(definition.targets_minutes.get(ticket.priority, 0)),
                started_at=started,
                cycle_started_at=started,
                computed_at=now,
            )
        )
    return created


# --------------------------------------------------------------------------- entry point


def recompute_ticket_slas(ticket: Ticket, *, now: datetime) -> None:
    """Attach matching SLA definitions and recompute every SLA instance of ``ticket`` from its
    journal, storing due/warn/breach instants and ``ticket.sla_due_at``. Runs inside the caller's
    transaction, with the ticket row locked by the caller."""
    instances = list(
        SlaInstance.objects.filter(ticket=ticket)
        .select_related("definition__calendar")
        .order_by("pk")
    )
    if ticket.state not in INACTIVE_STATES:
        instances += _reconcile(ticket, instances, now)
    facts = load_facts([ticket.pk]).get(ticket.pk, [])
    for instance in instances:
        if instance.detached_at is None or instance.computed_at < instance.detached_at:
            refresh_instance(instance, ticket, facts, now)
    update_ticket_due(ticket, instances)


def plan_new_ticket_slas(
    ticket: Ticket, lines: Sequence[JournalEntry], *, now: datetime
) -> list[SlaInstance]:
    """The SLA instances of a ticket being opened, with their figures, before anything is written.

    ``lines`` is the new ticket's whole journal, in order. The instances and ``ticket.sla_due_at``
    come out exactly as ``recompute_ticket_slas`` would store them after reading that journal back
    (attach the matching definitions, evaluate, store), without the reads and the UPDATEs: the
    caller inserts the ticket with its due time, then ``save_new_ticket_slas``.
    """
    policy = _active_policy()
    matching = sorted({s.definition_id for s in policy.selectors if s.matches(ticket)})
    instances = _new_instances(ticket, matching, now, known=policy.definitions)
    facts = facts_of(lines)
    for instance in instances:
        try:
            result = evaluate_instance(instance, ticket, facts, now)
        except ValueError:
            logger.exception(
                "SLA %r on %s cannot be evaluated", instance.definition.name, ticket.number
            )
            continue
        if store_result(instance, result, now):
            # What save_instance does to a stored instance whose figures changed.
            instance.version += 1
            instance.computed_at = now
    ticket.sla_due_at = earliest_due(instances)
    return instances


def save_new_ticket_slas(instances: Sequence[SlaInstance]) -> None:
    """Insert the instances ``plan_new_ticket_slas`` made, once their ticket has its row."""
    insert_objects(instances)


def _reconcile(ticket: Ticket, instances: list[SlaInstance], now: datetime) -> list[SlaInstance]:
    """Detach instances whose definition no longer holds; attach the newly matching ones."""
    matching = {s.definition_id for s in active_selectors() if s.matches(ticket)}
    attached = set()
    for instance in instances:
        if instance.detached_at is not None:
            continue
        if instance.definition_id in matching:
            attached.add(instance.definition_id)
            continue
        instance.detached_at = now
        instance.next_event_at = None
        instance.save(update_fields=["detached_at", "next_event_at"])
    return _attach(ticket, sorted(matching - attached), now)


def update_ticket_due(ticket: Ticket, instances: Iterable[SlaInstance]) -> None:
    """``Ticket.sla_due_at`` = the earliest due time of its running, attached instances."""
    due = earliest_due(instances)
    if due != ticket.sla_due_at:
        # A queryset update: the caller's other in-memory fields are left alone.
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)
        ticket.sla_due_at = due


def earliest_due(instances: Iterable[SlaInstance]) -> datetime | None:
    """The earliest due time of the running, attached instances (``Ticket.sla_due_at``)."""
    return min(
        (
            i.due_at
            for i in instances
            if i.detached_at is None and i.clock_state == ClockStateChoice.RUNNING and i.due_at
        ),
        default=None,
    )
