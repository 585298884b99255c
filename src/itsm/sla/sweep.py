"""The SLA sweeper: fires warning and breach thresholds once, however many workers run.

Each pass reads due instances through the partial index on ``next_event_at`` (keyset pages, so
a pass always ends), claims their tickets with ``SELECT … FOR UPDATE SKIP LOCKED`` (the same lock
order as actions: ticket first, then its instances, so sweeps and actions never deadlock),
recomputes the instances from the journal, and fires each passed threshold with a compare-and-set
``UPDATE … WHERE <mark> IS NULL``: only the worker whose update changed the row writes the journal
line, the notifications and the escalations.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from itsm.sla.escalation_triggers import SlaEscalations
from itsm.sla.live import Fact, load_facts, next_threshold, refresh_instance
from itsm.sla.models import OPEN_INSTANCE_Q, SlaInstance
from itsm.sla.notices import announce_threshold
from itsm.tickets.models import Ticket

logger = logging.getLogger(__name__)

BATCH_SIZE = 200

WARNING = "warning"
BREACH = "breach"


@dataclass(frozen=True)
class Threshold:
    """One threshold of one instance that has passed: which mark guards it, and its instant."""

    kind: str  # WARNING or BREACH
    mark: str  # the *_fired_at column
    percent: int | None
    at: datetime


def sweep_sla_thresholds(*, now: datetime, limit: int | None = None) -> int:
    """Fire every passed warning and breach threshold not fired yet; return how many fired.

    ``limit`` bounds the due instances looked at in this pass (the worker calls it unbounded).
    """
    fired = 0
    looked_at = 0
    cursor: tuple[datetime, int] | None = None
    while limit is None or looked_at < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - looked_at)
        rows = _due_rows(now, cursor, size)
        if not rows:
            break
        cursor = (rows[-1][1], rows[-1][0])
        looked_at += len(rows)
        fired += _sweep_tickets(sorted({ticket_id for _, _, ticket_id in rows}), now)
        if len(rows) < size:
            break
    return fired


def _due_rows(
    now: datetime, cursor: tuple[datetime, int] | None, size: int
) -> list[tuple[int, datetime, int]]:
    due = SlaInstance.objects.filter(OPEN_INSTANCE_Q, next_event_at__lte=now)
    if cursor is not None:
        at, pk = cursor
        due = due.filter(next_event_at__gte=at).exclude(next_event_at=at, pk__lte=pk)
    rows = due.order_by("next_event_at", "id").values_list("id", "next_event_at", "ticket_id")
    # next_event_at is never null here: the filter above compares it.
    return [(pk, at, ticket_id) for pk, at, ticket_id in rows[:size] if at is not None]


def _sweep_tickets(ticket_ids: Sequence[int], now: datetime) -> int:
    """One transaction for a batch of tickets; the ones another worker holds are skipped."""
    fired = 0
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee", "assignment_group__manager", "requester")
            .filter(pk__in=ticket_ids)
            .order_by("pk")
        )
        if not tickets:
            return 0
        ids = [t.pk for t in tickets]
        instances: dict[int, list[SlaInstance]] = defaultdict(list)
        due = (
            SlaInstance.objects.filter(OPEN_INSTANCE_Q, ticket_id__in=ids, next_event_at__lte=now)
            .select_related("definition__calendar")
            .order_by("pk")
        )
        for instance in due:
            instances[instance.ticket_id].append(instance)
        facts = load_facts(ids)
        escalations = SlaEscalations.load()
        for ticket in tickets:
            try:
                # A savepoint per ticket: one ticket's failure does not undo the batch.
                with transaction.atomic():
                    fired += _sweep_ticket(
                        ticket, instances[ticket.pk], facts.get(ticket.pk, []), escalations, now
                    )
            except Exception:
                logger.exception("SLA sweep failed on %s; it is retried next pass", ticket.number)
    return fired


def _sweep_ticket(
    ticket: Ticket,
    instances: list[SlaInstance],
    facts: list[Fact],
    escalations: SlaEscalations,
    now: datetime,
) -> int:
    fired: list[tuple[SlaInstance, Threshold]] = []
    for instance in instances:
        if refresh_instance(instance, ticket, facts, now) is None:
            continue
        fired += [(instance, t) for t in _claim_passed(instance, now)]
    entries = [
        announce_threshold(ticket, instance, t.kind, t.percent, reached_at=t.at, now=now)
        for instance, t in fired
    ]
    # Escalations last: a reassignment or priority raise recomputes the instances again.
    for (instance, t), entry in zip(fired, entries, strict=True):
        escalations.run(ticket, instance, t.kind, t.percent, entry=entry, now=now)
    return len(fired)


def _passed(instance: SlaInstance, now: datetime) -> list[Threshold]:
    percents = list(instance.definition.warning_thresholds)
    candidates = [
        Threshold(WARNING, "warn_fired_at", percents[0] if percents else None, instance.warn_at)
        if instance.warn_at and instance.warn_fired_at is None
        else None,
        Threshold(WARNING, "risk_fired_at", percents[-1] if percents else None, instance.risk_at)
        if instance.risk_at and instance.risk_fired_at is None
        else None,
        Threshold(BREACH, "breach_fired_at", None, instance.breached_at)
        if instance.breached_at and instance.breach_fired_at is None
        else None,
    ]
    return [t for t in candidates if t is not None and t.at <= now]


def _claim_passed(instance: SlaInstance, now: datetime) -> list[Threshold]:
    """Compare-and-set each passed threshold; return the ones this worker fired.

    When the breach is among them, passed warnings are marked without being announced: one
    breach message says it all.
    """
    claimed: list[Threshold] = []
    passed = _passed(instance, now)
    breaching = any(t.kind == BREACH for t in passed)
    for threshold in passed:
        won = SlaInstance.objects.filter(
            pk=instance.pk, cycle=instance.cycle, **{f"{threshold.mark}__isnull": True}
        ).update(**{threshold.mark: now})
        if not won:
            continue
        setattr(instance, threshold.mark, now)
        if threshold.kind == BREACH or not breaching:
            claimed.append(threshold)
    next_at = next_threshold(instance)
    if next_at != instance.next_event_at:
        instance.next_event_at = next_at
        SlaInstance.objects.filter(pk=instance.pk).update(next_event_at=next_at)
    return claimed
