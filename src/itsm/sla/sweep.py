"""The SLA sweeper: fires warning and breach thresholds once, however many workers run.

Each pass reads due instances through the partial index on ``next_event_at`` (keyset pages, so
a pass always ends), claims their tickets with ``SELECT … FOR UPDATE SKIP LOCKED`` (the same lock
order as actions: ticket first, then its instances, so sweeps and actions never deadlock),
recomputes the instances from the journal, and fires each passed threshold with a compare-and-set
``UPDATE … WHERE <mark> IS NULL``: only the worker whose update changed the row writes the journal
line, the notifications and the escalations.

A batch of tickets is one transaction and a fixed number of statements, however many of its
tickets are due: one read each for the instances and the journal facts, one write for the
figures, one compare-and-set per mark column (``RETURNING`` tells which rows this worker won),
one insert each for the journal lines and the outbox rows. Escalation rules, rare and each a
change of its own ticket, run last, ticket by ticket. Should the batch fail, its tickets are
retried one by one, so one bad ticket does not hold back the others.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Field

from itsm.core.bulk import update_objects
from itsm.core.parallel import run_batches
from itsm.core.stamps import stamp_scope
from itsm.sla.escalation_triggers import SlaEscalations
from itsm.sla.live import (
    Fact,
    attach_definitions,
    evaluate_instance,
    load_facts,
    next_threshold,
    store_result,
)
from itsm.sla.models import OPEN_INSTANCE_Q, SlaInstance
from itsm.sla.notices import Announcement, announce_thresholds
from itsm.tickets.models import Ticket
from itsm.tickets.people import attach_people

logger = logging.getLogger(__name__)

#: Due instances per batch (one transaction). A batch of 500 holds its tickets' locks for about
#: 0.2 s; 200 cost 10 % more per firing in statements and their compilation.
BATCH_SIZE = 500

WARNING = "warning"
BREACH = "breach"
#: The mark columns, in the order they are set.
MARKS = ("warn_fired_at", "risk_fired_at", "breach_fired_at")


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
    The batches run on the connections ``itsm.core.parallel`` allows (two on PostgreSQL): they
    are safe side by side, as two workers' are.
    """
    return run_batches(_due_batches(now, limit))


def _due_batches(now: datetime, limit: int | None) -> Iterator[Callable[[], int]]:
    """The batches of a pass, a page of due instances each, read as the batches are taken."""
    looked_at = 0
    cursor: tuple[datetime, int] | None = None
    while limit is None or looked_at < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - looked_at)
        rows = _due_rows(now, cursor, size)
        if not rows:
            return
        cursor = (rows[-1][1], rows[-1][0])
        looked_at += len(rows)
        yield functools.partial(_sweep_tickets, sorted({t for _, _, t in rows}), now)
        if len(rows) < size:
            return


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
    """One transaction for a batch of tickets; the ones another worker holds are skipped. The
    batch sees one version of the reference data (one stamp query, not one per firing)."""
    with transaction.atomic(), stamp_scope():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__any=ticket_ids)
            .order_by("pk")
        )
        attach_people(tickets)
        if not tickets:
            return 0
        escalations = SlaEscalations.load()
        try:
            with transaction.atomic():
                return _fire_batch(tickets, escalations, now)
        except Exception:
            logger.exception("SLA sweep failed on a batch; retrying its tickets one by one")
        fired = 0
        for ticket in tickets:
            try:
                # A savepoint per ticket: one ticket's failure does not hold back the others.
                with transaction.atomic():
                    fired += _fire_batch([ticket], escalations, now)
            except Exception:
                logger.exception("SLA sweep failed on %s; it is retried next pass", ticket.number)
        return fired


def _fire_batch(tickets: Sequence[Ticket], escalations: SlaEscalations, now: datetime) -> int:
    """Recompute the due instances of these locked tickets and fire their passed thresholds.

    The work is done for the whole batch at once (a fixed number of queries however many
    tickets): read the instances and the journal facts, store the figures, compare-and-set each
    mark column in one statement, insert the journal lines and the outbox rows; escalation rules
    run last, per ticket, as a reassignment or a priority raise recomputes that ticket's SLAs.
    """
    by_pk = {ticket.pk: ticket for ticket in tickets}
    # The open instances of these tickets (through the ticket index), the due ones kept here:
    # asked for in SQL, "due" led PostgreSQL to walk every due instance of the pass per batch.
    instances = [
        instance
        for instance in SlaInstance.objects.filter(
            OPEN_INSTANCE_Q, ticket_id__any=list(by_pk)
        ).order_by("ticket_id", "pk")
        if instance.next_event_at is not None and instance.next_event_at <= now
    ]
    attach_definitions(instances)
    facts = load_facts(by_pk)
    refreshed: list[SlaInstance] = []
    passed: dict[int, list[Threshold]] = {}
    changed: dict[int, list[str]] = {}
    for instance in instances:
        ticket = by_pk[instance.ticket_id]
        fields = _refresh(instance, ticket, facts.get(ticket.pk, []), now)
        if fields is None:
            continue
        refreshed.append(instance)
        passed[instance.pk] = _passed(instance, now)
        if fields:
            instance.version += 1
            instance.computed_at = now
        next_at = _next_event_once_marked(instance, passed[instance.pk], now)
        if next_at != instance.next_event_at:
            instance.next_event_at = next_at
            fields = [*fields, "next_event_at"] if "next_event_at" not in fields else fields
        if fields:
            changed[instance.pk] = fields
    _store_figures([i for i in refreshed if i.pk in changed], changed)
    won = _compare_and_set(refreshed, passed, now)
    announced: list[Announcement] = []
    for instance in refreshed:
        breaching = any(t.kind == BREACH for t in passed[instance.pk])
        for threshold in passed[instance.pk]:
            if (instance.pk, threshold.mark) not in won:
                continue
            setattr(instance, threshold.mark, now)
            # With the breach among them, passed warnings are marked without being announced:
            # one breach message says it all.
            if threshold.kind == BREACH or not breaching:
                announced.append(
                    Announcement(
                        by_pk[instance.ticket_id],
                        instance,
                        threshold.kind,
                        threshold.percent,
                        reached_at=threshold.at,
                    )
                )
    entries = announce_thresholds(announced, now=now)
    # Escalations last: a reassignment or priority raise recomputes the instances again.
    escalations.run_many(
        [
            (a.ticket, a.instance, a.kind, a.percent, entry)
            for a, entry in zip(announced, entries, strict=True)
        ],
        now=now,
    )
    return len(announced)


def _refresh(
    instance: SlaInstance, ticket: Ticket, facts: list[Fact], now: datetime
) -> list[str] | None:
    """Re-evaluate one instance in memory; return its changed fields (stored with the batch),
    or None when it cannot be evaluated (logged; it stays due and is retried next pass)."""
    try:
        result = evaluate_instance(instance, ticket, facts, now)
    except ValueError:
        logger.exception(
            "SLA %r on %s cannot be evaluated", instance.definition.name, ticket.number
        )
        return None
    return store_result(instance, result, now)


def _store_figures(instances: Sequence[SlaInstance], changed: dict[int, list[str]]) -> None:
    """``save_instance`` for a batch: the changed fields, the version and the computation time
    of every instance whose figures changed."""
    # The union of the changed fields: a field one instance did not change is written with the
    # value read in this transaction, under the ticket locks, so it stays what it was.
    fields = sorted({name for i in instances for name in changed[i.pk]})
    update_objects(instances, [*fields, "version", "computed_at"])


def _compare_and_set(
    instances: Sequence[SlaInstance], passed: dict[int, list[Threshold]], now: datetime
) -> set[tuple[int, str]]:
    """Set each passed mark that is still empty; return the (instance, mark) pairs this worker
    set. The cycle is part of the condition: a mark of an earlier cycle does not count. One
    statement for every mark on PostgreSQL, one per mark column elsewhere."""
    if connection.vendor == "postgresql":
        every_mark = [
            (i.pk, i.cycle, [any(t.mark == mark for t in passed[i.pk]) for mark in MARKS])
            for i in instances
            if passed[i.pk]
        ]
        return _set_marks_where_null(every_mark, now) if every_mark else set()
    won: set[tuple[int, str]] = set()
    for mark in MARKS:
        claims = [(i.pk, i.cycle) for i in instances if any(t.mark == mark for t in passed[i.pk])]
        if claims:
            won.update((pk, mark) for pk in _set_mark_where_null(mark, claims, now))
    return won


def _set_mark_where_null(mark: str, claims: Sequence[tuple[int, int]], now: datetime) -> list[int]:
    """``UPDATE … SET <mark> = now WHERE <mark> IS NULL AND (id, cycle) IN (…) RETURNING id``:
    the rows whose update this worker made (PostgreSQL, and SQLite ≥ 3.35)."""
    column, pk, cycle = _column(mark), _column("id"), _column("cycle")
    table = connection.ops.quote_name(SlaInstance._meta.db_table)
    pairs = ", ".join(["(%s, %s)"] * len(claims))
    # Only quoted column names are formatted in; every value is a bound parameter.
    sql = (
        f"UPDATE {table} SET {column} = %s "  # noqa: S608
        f"WHERE {column} IS NULL AND ({pk}, {cycle}) IN (VALUES {pairs}) RETURNING {pk}"
    )
    params: list[Any] = [connection.ops.adapt_datetimefield_value(now)]
    for claim in claims:
        params += claim
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _set_marks_where_null(
    claims: Sequence[tuple[int, int, list[bool]]], now: datetime
) -> set[tuple[int, str]]:
    """``_set_mark_where_null`` for every mark column in one PostgreSQL statement. The claims
    (instance, cycle, which marks) travel as one JSON parameter; the rows are locked and their
    empty marks read first, so ``RETURNING`` tells which marks this worker's update set."""
    table = connection.ops.quote_name(SlaInstance._meta.db_table)
    pk, cycle = _column("id"), _column("cycle")
    columns = [_column(mark) for mark in MARKS]
    wanted = ", ".join(f"(r ->> {n + 2})::boolean AS m{n}" for n in range(len(MARKS)))
    empty = ", ".join(f"c.m{n} AND t.{col} IS NULL AS m{n}" for n, col in enumerate(columns))
    sets = ", ".join(
        f"{col} = CASE WHEN w.m{n} THEN %s ELSE t.{col} END" for n, col in enumerate(columns)
    )
    flags = " OR ".join(f"w.m{n}" for n in range(len(MARKS)))
    # Only quoted column names are formatted in; every value is a bound parameter.
    sql = (
        f"WITH c AS (SELECT (r ->> 0)::bigint AS id, (r ->> 1)::integer AS cycle, {wanted} "  # noqa: S608
        f"FROM jsonb_array_elements(%s::jsonb) AS r), "
        f"w AS (SELECT t.{pk} AS id, {empty} FROM {table} AS t "
        f"JOIN c ON t.{pk} = c.id AND t.{cycle} = c.cycle FOR UPDATE OF t) "
        f"UPDATE {table} AS t SET {sets} FROM w WHERE t.{pk} = w.id AND ({flags}) "
        f"RETURNING t.{pk}, {', '.join(f'w.m{n}' for n in range(len(MARKS)))}"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    document = json.dumps([[pk_, cycle_, *marks] for pk_, cycle_, marks in claims])
    with connection.cursor() as cursor:
        cursor.execute(sql, [document, *([at] * len(MARKS))])
        rows = cursor.fetchall()
    return {
        (row[0], mark) for row in rows for mark, set_ in zip(MARKS, row[1:], strict=True) if set_
    }


def _field(name: str) -> Field[Any, Any]:
    field = SlaInstance._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"SlaInstance.{name} is not a column")
    return field


def _column(name: str) -> str:
    """The quoted column of an SlaInstance field, for the statements written by hand here."""
    return connection.ops.quote_name(_field(name).get_attname_column()[1])


def _next_event_once_marked(
    instance: SlaInstance, passed: Sequence[Threshold], now: datetime
) -> datetime | None:
    """``next_threshold`` as it will be once the passed marks are set: by this worker's
    compare-and-set, or by the worker that won it. Stored with the figures, so the marks'
    statements write nothing else."""
    if not passed:
        return next_threshold(instance)
    # The marks set for the question and put back (copying the model cost more than the rest).
    kept = [(t.mark, getattr(instance, t.mark)) for t in passed]
    for threshold in passed:
        setattr(instance, threshold.mark, now)
    try:
        return next_threshold(instance)
    finally:
        for mark, value in kept:
            setattr(instance, mark, value)


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
