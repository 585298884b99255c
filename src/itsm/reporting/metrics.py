"""The metrics a service desk manager reviews, each a function of (visible tickets, filters).

Every metric starts from ``Ticket.objects.visible_to(user)`` narrowed by the filters, and reads
ticket columns (indexed) or the per-ticket facts rollup (facts.py), which carries copies of the
ticket columns reports filter and group by, so most metrics read it alone. docs/reports.md
defines each figure: what counts, on which clock, and over which instants of the range.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Trunc

from itsm.core.errors import InvalidInput
from itsm.sla.models import MetricChoice, SlaInstance
from itsm.taxonomy.choices import Priority
from itsm.taxonomy.models import Category
from itsm.tickets.choices import TicketState
from itsm.tickets.models import Ticket

from .filters import ReportFilters
from .models import TicketFact
from .results import Chart, Column, Report, cell
from .stats import PercentileCont, hours, mean, percentile, rate

BREACH_ROWS = 1000
TOP_ROWS = 10
AGE_BUCKETS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("<1 d", timedelta(0), timedelta(days=1)),
    ("1–3 d", timedelta(days=1), timedelta(days=3)),
    ("3–7 d", timedelta(days=3), timedelta(days=7)),
    ("7–30 d", timedelta(days=7), timedelta(days=30)),
    (">30 d", timedelta(days=30), None),
)
REASSIGNMENT_BUCKETS = ("0", "1", "2", "3", "4", "5+")


def count_rows(**extra: Any) -> Count:
    """How many rows (facts or tickets), counted on ``priority``: never null, and carried by
    every covering index of the rollup, so PostgreSQL counts with an index-only scan (the key
    ``ticket_id`` is in none of the range indexes; ``COUNT(ticket_id)`` visits the table)."""
    return Count("priority", **extra)


@dataclass
class Context:
    """What a metric computes from: the user's visible tickets under the filters."""

    user: Any
    filters: ReportFilters
    params: Mapping[str, str]
    now: datetime

    @property
    def tickets(self) -> QuerySet[Ticket]:
        return self.filters.apply(Ticket.objects.visible_to(self.user)).order_by()

    def in_range(self, field: str) -> QuerySet[Ticket]:
        f = self.filters
        return self.tickets.filter(**{f"{field}__gte": f.start, f"{field}__lt": f.end})

    @property
    def facts(self) -> QuerySet[TicketFact]:
        """The facts of the visible tickets under the filters (the facts carry the columns the
        filters name); ``TicketFact.objects.visible_to`` applies the visibility layer."""
        return self.filters.apply(TicketFact.objects.visible_to(self.user).order_by())

    @property
    def open_facts(self) -> QuerySet[TicketFact]:
        """The facts of the visible open tickets: a ticket leaves the backlog (``settled_at``
        set) only by a transition into Resolved, Closed or Cancelled, so the unsettled facts
        are the open tickets (read through ``fact_unsettled_cover_idx``)."""
        return self.facts.filter(settled_at__isnull=True)

    def facts_in_range(self, field: str) -> QuerySet[TicketFact]:
        f = self.filters
        return self.facts.filter(**{f"{field}__gte": f.start, f"{field}__lt": f.end})

    def choice(self, name: str, options: tuple[str, ...]) -> str:
        value = (self.params.get(name) or options[0]).strip()
        if value not in options:
            raise InvalidInput(
                name, f"{name!r} must be one of {', '.join(options)}, got {value!r}."
            )
        return value

    def local(self, instant: datetime | None) -> Any:
        return None if instant is None else cell(instant.astimezone(self.filters.tz))

    def report(self, name: str, title: str, description: str, **parts: Any) -> Report:
        return Report(
            name=name,
            title=title,
            description=description,
            filters=self.filters.describe(),
            **parts,
        )


def _priority_label(value: str) -> str:
    return (
        f"{value} {Priority(value).label.split(' - ')[-1]}" if value in Priority.values else value
    )


# --- volume ---------------------------------------------------------------------------------


def _period_starts(f: ReportFilters, interval: str) -> list[date]:
    if interval == "week":
        first = f.date_from - timedelta(days=f.date_from.weekday())
    elif interval == "month":
        first = f.date_from.replace(day=1)
    else:
        first = f.date_from
    starts, current = [], first
    while current <= f.date_to:
        starts.append(current)
        if interval == "day":
            current += timedelta(days=1)
        elif interval == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return starts


def volume(ctx: Context) -> Report:
    interval = ctx.choice("interval", ("day", "week", "month"))
    counts: dict[str, Counter[date]] = {}
    # Logged and resolved read the rollup's copies of the ticket columns (index-only through
    # its covering indexes); the facts do not copy closed_at, read from the tickets' index.
    for key, field, rows_in_range in (
        ("created", "opened_at", ctx.facts_in_range),
        ("resolved", "resolved_at", ctx.facts_in_range),
        ("closed", "closed_at", ctx.in_range),
    ):
        rows = (
            rows_in_range(field)
            .annotate(period=Trunc(field, interval, tzinfo=ctx.filters.tz))
            .values("period")
            .annotate(n=count_rows())
        )
        counts[key] = Counter({_local_date(row["period"], ctx.filters): row["n"] for row in rows})
    rows_out = [
        {
            "period": start.isoformat(),
            "created": counts["created"][start],
            "resolved": counts["resolved"][start],
            "closed": counts["closed"][start],
        }
        for start in _period_starts(ctx.filters, interval)
    ]
    return ctx.report(
        "volume",
        "Ticket volume",
        f"Tickets logged, resolved and closed per {interval} (local time of the report).",
        columns=[
            Column("period", interval.capitalize(), "date"),
            Column("created", "Created", "int"),
            Column("resolved", "Resolved", "int"),
            Column("closed", "Closed", "int"),
        ],
        rows=rows_out,
        summary=[
            ("Created", sum(counts["created"].values())),
            ("Resolved", sum(counts["resolved"].values())),
            ("Closed", sum(counts["closed"].values())),
        ],
        charts=[
            Chart("bar", f"Volume per {interval}", "period", ("created", "resolved", "closed"))
        ],
    )


def _local_date(value: Any, f: ReportFilters) -> date:
    if isinstance(value, datetime):
        return value.astimezone(f.tz).date() if value.tzinfo else value.date()
    return value


# --- backlog and ageing -----------------------------------------------------------------------


def backlog_instant(ctx: Context) -> datetime:
    """The end of the ``at`` day (default: the range's last day), never later than now."""
    raw = (ctx.params.get("at") or "").strip()
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput("at", f"'at' must be a date as YYYY-MM-DD, got {raw!r}.") from None
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ctx.filters.tz)
    else:
        end = ctx.filters.end
    return min(end, ctx.now)


def _bucket(age: timedelta) -> str:
    for label, low, high in AGE_BUCKETS:
        if age >= low and (high is None or age < high):
            return label
    return AGE_BUCKETS[0][0]


def _covered(gaps: Iterable[list[str]], at: datetime) -> bool:
    return any(datetime.fromisoformat(a) <= at < datetime.fromisoformat(b) for a, b in gaps)


def _backlog_counts(ctx: Context, at: datetime) -> dict[str, Counter[str]]:
    """Counts per age bucket and priority, in the database for tickets never reopened.

    The backlog at ``at`` is the tickets logged by then and not settled by then: those still
    unsettled (the open ones, an index-only scan of ``fact_unsettled_cover_idx``) and those
    settled after ``at`` (through ``fact_settled_idx``; none when ``at`` is now). Two disjoint
    sets read apart, since an OR of both would visit every row of the table."""
    buckets: dict[str, Counter[str]] = {label: Counter() for label, _, _ in AGE_BUCKETS}
    aggregates: dict[str, Any] = {}
    for index, (_label, low, high) in enumerate(AGE_BUCKETS):
        window = Q(opened_at__lte=at - low)
        if high is not None:
            window &= Q(opened_at__gt=at - high)
        for priority in Priority.values:
            aggregates[f"b{index}_{priority}"] = count_rows(filter=window & Q(priority=priority))
    for candidates in (
        ctx.open_facts.filter(opened_at__lte=at),
        ctx.facts.filter(opened_at__lte=at, settled_at__gt=at),
    ):
        totals = candidates.filter(reopen_count=0).aggregate(**aggregates)
        for index, (label, _, _) in enumerate(AGE_BUCKETS):
            for priority in Priority.values:
                buckets[label][priority] += totals[f"b{index}_{priority}"] or 0
        # The ids first (index-only), then the spans of those few rows: filtering on
        # reopen_count while reading backlog_gaps would visit every candidate's row.
        reopened = TicketFact.objects.filter(
            pk__in=candidates.filter(reopen_count__gt=0).values("pk")
        ).values_list("priority", "opened_at", "backlog_gaps")
        for priority, opened, gaps in reopened:
            if not _covered(gaps, at):
                buckets[_bucket(at - opened)][priority] += 1
    return buckets


def backlog(ctx: Context) -> Report:
    at = backlog_instant(ctx)
    buckets = _backlog_counts(ctx, at)
    rows = []
    for label, _, _ in AGE_BUCKETS:
        row: dict[str, Any] = {"age": label, "total": sum(buckets[label].values())}
        row.update({p: buckets[label][p] for p in Priority.values})
        rows.append(row)
    total = sum(int(r["total"]) for r in rows)
    return ctx.report(
        "backlog",
        "Backlog and ageing",
        "Tickets not Resolved, Closed or Cancelled at the instant shown, by age (wall clock since "
        "logged) and priority.",
        columns=[
            Column("age", "Age"),
            Column("total", "Backlog", "int"),
            *[Column(p, _priority_label(p), "int") for p in Priority.values],
        ],
        rows=rows,
        summary=[("Backlog at", ctx.local(at)), ("Backlog", total)],
        charts=[Chart("stacked", "Backlog by age and priority", "age", tuple(Priority.values))],
    )


# --- times to acknowledge and resolve ---------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    """How many values, their mean, median and 90th percentile (seconds)."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None


def percentiles_in_sql() -> bool:
    """PostgreSQL computes percentiles itself (``percentile_cont``, the same interpolation as
    ``stats.percentile``); on other databases the values travel to Python."""
    return connection.vendor == "postgresql"


def duration_stats(
    facts: QuerySet[TicketFact], fields: Iterable[str], *, in_sql: bool | None = None
) -> dict[str, dict[str, Durations]]:
    """Durations of each of ``fields`` (seconds, not null) per priority and for "All"."""
    fields = list(fields)
    if in_sql is None:
        in_sql = percentiles_in_sql()
    result: dict[str, dict[str, Durations]] = defaultdict(dict)
    if not in_sql:
        samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for priority, *values in facts.values_list("priority", *fields):
            for key in (priority, "All"):
                for name, value in zip(fields, values, strict=True):
                    if value is not None:
                        samples[key][name].append(value)
        for key, by_field in samples.items():
            for name, values in by_field.items():
                result[key][name] = Durations(
                    len(values), mean(values), percentile(values, 0.5), percentile(values, 0.9)
                )
        return result
    aggregates: dict[str, Any] = {}
    for name in fields:
        aggregates |= {
            f"{name}__count": Count(name),
            f"{name}__sum": Sum(name),
            f"{name}__median": PercentileCont(name, 0.5),
            f"{name}__p90": PercentileCont(name, 0.9),
        }
    rows = list(facts.values("priority").annotate(**aggregates).order_by())
    rows.append({"priority": "All", **facts.aggregate(**aggregates)})
    for row in rows:
        for name in fields:
            count = row[f"{name}__count"] or 0
            if count:
                result[row["priority"]][name] = Durations(
                    count,
                    row[f"{name}__sum"] / count,
                    row[f"{name}__median"],
                    row[f"{name}__p90"],
                )
    return result


def _time_rows(stats: Mapping[str, Durations], order: Iterable[str]) -> list[dict[str, Any]]:
    rows = []
    for key in order:
        figures = stats.get(key, Durations())
        rows.append(
            {
                "group": key,
                "count": figures.count,
                "mean": hours(figures.mean),
                "median": hours(figures.median),
                "p90": hours(figures.p90),
            }
        )
    return rows


def time_to_acknowledge(ctx: Context) -> Report:
    opened = ctx.facts_in_range("opened_at")
    unacknowledged = opened.filter(respond_seconds__isnull=True).count()
    stats = duration_stats(opened.filter(respond_seconds__isnull=False), ["respond_seconds"])
    rows = _time_rows(
        {key: by_field["respond_seconds"] for key, by_field in stats.items()},
        [*Priority.values, "All"],
    )
    for row in rows:
        row["group"] = _priority_label(str(row["group"]))
    return ctx.report(
        "time_to_acknowledge",
        "Mean time to acknowledge",
        "Wall-clock hours from logging to the first public agent response, for tickets logged "
        "in the range.",
        columns=[
            Column("group", "Priority"),
            Column("count", "Acknowledged", "int"),
            Column("mean", "Mean (h)", "hours"),
            Column("median", "Median (h)", "hours"),
            Column("p90", "90th percentile (h)", "hours"),
        ],
        rows=rows,
        summary=[
            ("Mean time to acknowledge (h)", rows[-1]["mean"]),
            ("Not yet acknowledged", unacknowledged),
        ],
        charts=[Chart("bar", "Hours to acknowledge", "group", ("mean", "median", "p90"))],
    )


def time_to_resolve(ctx: Context) -> Report:
    # Every fact with resolved_at has both durations (built from the same resolved_at).
    stats = duration_stats(
        ctx.facts_in_range("resolved_at"), ["resolve_seconds", "resolve_business_seconds"]
    )
    wall = {key: by_field["resolve_seconds"] for key, by_field in stats.items()}
    business = {key: by_field["resolve_business_seconds"] for key, by_field in stats.items()}
    order = [*Priority.values, "All"]
    rows = []
    for w, b in zip(_time_rows(wall, order), _time_rows(business, order), strict=True):
        rows.append(
            {
                "priority": _priority_label(str(w["group"])),
                "count": w["count"],
                "wall_mean": w["mean"],
                "wall_median": w["median"],
                "wall_p90": w["p90"],
                "business_mean": b["mean"],
                "business_median": b["median"],
                "business_p90": b["p90"],
            }
        )
    return ctx.report(
        "time_to_resolve",
        "Mean time to resolve",
        "Hours from logging to the (current) resolution of tickets resolved in the range, on the "
        "wall clock and in business time of the ticket's resolution SLA calendar.",
        columns=[
            Column("priority", "Priority"),
            Column("count", "Resolved", "int"),
            Column("wall_mean", "Mean (h)", "hours"),
            Column("wall_median", "Median (h)", "hours"),
            Column("wall_p90", "90th pct (h)", "hours"),
            Column("business_mean", "Mean business (h)", "hours"),
            Column("business_median", "Median business (h)", "hours"),
            Column("business_p90", "90th pct business (h)", "hours"),
        ],
        rows=rows,
        summary=[
            ("Mean time to resolve (h)", rows[-1]["wall_mean"]),
            ("Mean time to resolve, business (h)", rows[-1]["business_mean"]),
            ("Resolved", rows[-1]["count"]),
        ],
        charts=[
            Chart("bar", "Hours to resolve", "priority", ("wall_mean", "wall_median", "wall_p90")),
            Chart(
                "bar",
                "Business hours to resolve",
                "priority",
                ("business_mean", "business_median", "business_p90"),
            ),
        ],
    )


# --- SLA compliance and breaches --------------------------------------------------------------

_SLA_DIMENSIONS = {
    "priority": ("ticket__priority", "Priority"),
    "group": ("ticket__assignment_group__name", "Assignment group"),
    "service": ("ticket__service__name", "Service"),
}


def _sla_instances(ctx: Context) -> QuerySet[SlaInstance]:
    return SlaInstance.objects.filter(
        ticket__in=ctx.tickets.exclude(state=TicketState.CANCELLED).values("pk"),
        detached_at__isnull=True,
    ).order_by()


def sla_compliance(ctx: Context) -> Report:
    by = ctx.choice("by", tuple(_SLA_DIMENSIONS))
    field, label = _SLA_DIMENSIONS[by]
    f = ctx.filters
    instances = _sla_instances(ctx)
    breached_q = Q(breached_at__gte=f.start, breached_at__lt=f.end)
    met_q = Q(
        breached_at__isnull=True,
        clock_state="stopped",
        stopped_at__gte=f.start,
        stopped_at__lt=f.end,
    )
    counts = (
        instances.filter(breached_q | met_q)
        .values(field, "metric")
        .annotate(breached=Count("pk", filter=breached_q), met=Count("pk", filter=met_q))
    )
    table: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    for row in counts:
        key = row[field] or "—"
        entry = table.setdefault(key, {by: key})
        metric = row["metric"]
        entry[f"{metric}_met"] = entry.get(f"{metric}_met", 0) + row["met"]
        entry[f"{metric}_breached"] = entry.get(f"{metric}_breached", 0) + row["breached"]
        totals[f"{metric}_met"] += row["met"]
        totals[f"{metric}_breached"] += row["breached"]
    keys = sorted(table, key=lambda k: (k == "—", k))
    rows = [table[k] for k in keys]
    for row in [*rows]:
        for metric in MetricChoice.values:
            met, breached = row.get(f"{metric}_met", 0), row.get(f"{metric}_breached", 0)
            row[f"{metric}_met"], row[f"{metric}_breached"] = met, breached
            row[f"{metric}_pct"] = rate(met, met + breached)
        if by == "priority":
            row[by] = _priority_label(str(row[by]))
    columns = [Column(by, label)]
    for metric, name in (("response", "Response"), ("resolution", "Resolution")):
        columns += [
            Column(f"{metric}_met", f"{name} met", "int"),
            Column(f"{metric}_breached", f"{name} breached", "int"),
            Column(f"{metric}_pct", f"{name} compliance %", "percent"),
        ]
    summary: list[tuple[str, Any]] = []
    for metric, name in (("response", "Response"), ("resolution", "Resolution")):
        met, breached = totals[f"{metric}_met"], totals[f"{metric}_breached"]
        summary.append((f"{name} SLA compliance %", rate(met, met + breached)))
    return ctx.report(
        "sla_compliance",
        "SLA compliance",
        "Share of SLA targets met among those whose outcome became known in the range: a target "
        "counts when it breached (at the breach) or when its clock stopped in time.",
        columns=columns,
        rows=rows,
        summary=summary,
        charts=[
            Chart(
                "bar",
                f"SLA compliance % by {label.lower()}",
                by,
                ("response_pct", "resolution_pct"),
            )
        ],
    )


def breaches(ctx: Context) -> Report:
    f = ctx.filters
    instances = _sla_instances(ctx).filter(breached_at__gte=f.start, breached_at__lt=f.end)
    per_metric_label = {m: str(label).split(" (")[0] for m, label in MetricChoice.choices}
    state_label = {state: str(label) for state, label in TicketState.choices}
    per_metric = Counter(
        {
            per_metric_label.get(row["metric"], row["metric"]): row["n"]
            for row in instances.values("metric").annotate(n=Count("pk"))
        }
    )
    total = sum(per_metric.values())
    # Plain rows, not model instances: a thousand rows of four joined models cost more in
    # Python than the statement does in the database.
    listed = instances.order_by("breached_at", "id").values_list(
        "ticket__number",
        "ticket__title",
        "definition__name",
        "metric",
        "priority",
        "ticket__assignment_group__name",
        "due_at",
        "breached_at",
        "ticket__state",
    )[:BREACH_ROWS]
    rows = [
        {
            "number": number,
            "title": title,
            "sla": sla,
            "metric": per_metric_label.get(metric, metric),
            "priority": priority,
            "group": group or "—",
            "due_at": ctx.local(due_at),
            "breached_at": ctx.local(breached_at),
            "state": state_label.get(state, state),
        }
        for number, title, sla, metric, priority, group, due_at, breached_at, state in listed
    ]
    notes = (
        [f"Only the first {BREACH_ROWS} of {total} breaches are listed."]
        if total > BREACH_ROWS
        else []
    )
    return ctx.report(
        "breaches",
        "SLA breaches",
        "Every SLA target that breached in the range, oldest breach first.",
        columns=[
            Column("number", "Ticket"),
            Column("title", "Title"),
            Column("sla", "SLA"),
            Column("metric", "Metric"),
            Column("priority", "Priority"),
            Column("group", "Assignment group"),
            Column("due_at", "Due", "datetime"),
            Column("breached_at", "Breached", "datetime"),
            Column("state", "State"),
        ],
        rows=rows,
        summary=[("Breaches", total), *sorted(per_metric.items())],
        notes=notes,
    )


# --- first contact, reopen, reassignment ------------------------------------------------------


def _by_group_rates(facts: QuerySet[TicketFact], hit: Q) -> tuple[list[dict[str, Any]], int, int]:
    """Per assignment group (and for all): how many tickets, how many of them hit, the rate."""
    whole: Counter[str] = Counter()
    part: Counter[str] = Counter()
    counts = facts.values("assignment_group__name").annotate(
        whole=count_rows(), part=count_rows(filter=hit)
    )
    for row in counts:
        key = row["assignment_group__name"] or "—"
        whole[key] += row["whole"]
        part[key] += row["part"]
    rows = [
        {"group": key, "whole": whole[key], "part": part[key], "rate": rate(part[key], whole[key])}
        for key in sorted(whole, key=lambda k: (k == "—", k))
    ]
    total_whole, total_part = sum(whole.values()), sum(part.values())
    rows.append(
        {
            "group": "All",
            "whole": total_whole,
            "part": total_part,
            "rate": rate(total_part, total_whole),
        }
    )
    return rows, total_part, total_whole


def first_contact_resolution(ctx: Context) -> Report:
    rows, part, whole = _by_group_rates(
        ctx.facts_in_range("resolved_at"), Q(first_contact_resolution=True)
    )
    return ctx.report(
        "first_contact_resolution",
        "First contact resolution",
        "Tickets resolved in the range by the first group and agent that took them: never "
        "reassigned, never Pending User, never reopened.",
        columns=[
            Column("group", "Assignment group"),
            Column("whole", "Resolved", "int"),
            Column("part", "First contact", "int"),
            Column("rate", "Rate %", "percent"),
        ],
        rows=rows,
        summary=[("First contact resolution %", rate(part, whole)), ("Resolved", whole)],
        charts=[Chart("bar", "First contact resolution % by group", "group", ("rate",))],
    )


def reopen_rate(ctx: Context) -> Report:
    rows, part, whole = _by_group_rates(
        ctx.facts_in_range("first_resolved_at"), Q(reopen_count__gt=0)
    )
    return ctx.report(
        "reopen_rate",
        "Reopen rate",
        "Of the tickets first resolved in the range, the share reopened at least once (so far).",
        columns=[
            Column("group", "Assignment group"),
            Column("whole", "Resolved", "int"),
            Column("part", "Reopened", "int"),
            Column("rate", "Reopen rate %", "percent"),
        ],
        rows=rows,
        summary=[("Reopen rate %", rate(part, whole)), ("First resolved", whole)],
        charts=[Chart("bar", "Reopen rate % by group", "group", ("rate",))],
    )


def reassignments(ctx: Context) -> Report:
    per_count = (
        ctx.facts_in_range("resolved_at").values("reassignment_count").annotate(n=count_rows())
    )
    distribution: Counter[str] = Counter()
    resolved = reassigned = 0
    for row in per_count:
        count, n = row["reassignment_count"] or 0, row["n"]
        distribution[REASSIGNMENT_BUCKETS[min(count, len(REASSIGNMENT_BUCKETS) - 1)]] += n
        resolved += n
        reassigned += count * n
    rows = [
        {
            "reassignments": b,
            "tickets": distribution[b],
            "share": rate(distribution[b], resolved),
        }
        for b in REASSIGNMENT_BUCKETS
    ]
    return ctx.report(
        "reassignments",
        "Reassignments",
        "How often tickets resolved in the range changed hands (group or agent) before resolution.",
        columns=[
            Column("reassignments", "Reassignments"),
            Column("tickets", "Tickets", "int"),
            Column("share", "Share %", "percent"),
        ],
        rows=rows,
        summary=[
            ("Resolved", resolved),
            ("Mean reassignments", round(reassigned / resolved if resolved else 0.0, 2)),
        ],
        charts=[Chart("bar", "Reassignment count distribution", "reassignments", ("tickets",))],
    )


# --- top categories, services, configuration items ------------------------------------------

_TOP_DIMENSIONS = {
    "category": ("category_id", "Category"),
    "service": ("service__name", "Service"),
    "configuration_item": ("configuration_item__name", "Configuration item"),
}


def top(ctx: Context) -> Report:
    by = ctx.choice("by", tuple(_TOP_DIMENSIONS))
    field, label = _TOP_DIMENSIONS[by]
    # The rollup copies category and service (index-only through fact_opened_cover_idx); the
    # configuration item is read from the tickets.
    opened: QuerySet[Any] = (
        ctx.in_range("opened_at") if by == "configuration_item" else ctx.facts_in_range("opened_at")
    )
    total = opened.count()
    counts = list(
        opened.exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(n=count_rows())
        .order_by("-n", field)[:TOP_ROWS]
    )
    names: dict[Any, str] = {}
    if by == "category":
        ids = [row[field] for row in counts]
        names = {c.pk: c.path for c in Category.objects.filter(pk__in=ids).select_related("parent")}
    rows = [
        {
            "name": names.get(row[field], str(row[field])),
            "tickets": row["n"],
            "share": rate(row["n"], total),
        }
        for row in counts
    ]
    return ctx.report(
        "top",
        f"Top {label.lower()}s" if by != "category" else "Top categories",
        f"The {TOP_ROWS} {label.lower()}s with the most tickets logged in the range.",
        columns=[
            Column("name", label),
            Column("tickets", "Tickets", "int"),
            Column("share", "Share of all tickets %", "percent"),
        ],
        rows=rows,
        summary=[("Tickets logged", total)],
        charts=[Chart("bar", f"Tickets by {label.lower()}", "name", ("tickets",))],
    )


# --- workload and throughput ------------------------------------------------------------------

_WORKLOAD_DIMENSIONS = {
    "group": ("assignment_group__name", "Assignment group"),
    "agent": ("assignee__full_name", "Agent"),
}


def workload(ctx: Context) -> Report:
    by = ctx.choice("by", tuple(_WORKLOAD_DIMENSIONS))
    field, label = _WORKLOAD_DIMENSIONS[by]
    # All three parts read the rollup: the open tickets are its unsettled facts.
    open_now = dict(ctx.open_facts.values(field).annotate(n=count_rows()).values_list(field, "n"))
    assigned = dict(
        ctx.facts_in_range("opened_at")
        .values(field)
        .annotate(n=count_rows())
        .values_list(field, "n")
    )
    resolved = {
        row[field]: row
        for row in ctx.facts_in_range("resolved_at")
        .values(field)
        .annotate(n=count_rows(), avg=Avg("resolve_seconds"))
    }
    keys = sorted({*open_now, *assigned, *resolved}, key=lambda k: (k is None, k or ""))
    rows = [
        {
            "name": key or ("Unassigned" if by == "agent" else "No group"),
            "open_now": open_now.get(key, 0),
            "logged": assigned.get(key, 0),
            "resolved": resolved[key]["n"] if key in resolved else 0,
            "mean_resolve": hours(resolved[key]["avg"]) if key in resolved else None,
        }
        for key in keys
    ]
    return ctx.report(
        "workload",
        f"Workload and throughput by {label.lower()}",
        "Open tickets held now, tickets logged in the range now held, tickets resolved in the "
        "range (throughput) and their mean wall-clock time to resolve.",
        columns=[
            Column("name", label),
            Column("open_now", "Open now", "int"),
            Column("logged", "Logged in range", "int"),
            Column("resolved", "Resolved in range", "int"),
            Column("mean_resolve", "Mean time to resolve (h)", "hours"),
        ],
        rows=rows,
        summary=[
            ("Open now", sum(int(r["open_now"]) for r in rows)),
            ("Resolved in range", sum(int(r["resolved"]) for r in rows)),
        ],
        charts=[Chart("bar", f"Workload by {label.lower()}", "name", ("open_now", "resolved"))],
    )


# --- major incidents ------------------------------------------------------------------------


def major_incidents(ctx: Context) -> Report:
    f = ctx.filters
    majors = (
        ctx.tickets.filter(incident__is_major=True, opened_at__lt=f.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=f.start))
        .exclude(state=TicketState.CANCELLED)
        .select_related("incident", "service", "assignment_group")
        .annotate(children_count=Count("children", distinct=True))
        .order_by("opened_at", "pk")
    )
    rows = []
    durations = []
    for t in majors:
        end = t.resolved_at or ctx.now
        duration = (end - t.opened_at).total_seconds()
        if t.resolved_at is not None:
            durations.append(duration)
        rows.append(
            {
                "number": t.number,
                "title": t.title,
                "priority": t.priority,
                "service": str(t.service or "—"),
                "opened_at": ctx.local(t.opened_at),
                "declared_at": ctx.local(t.incident.major_flagged_at),
                "resolved_at": ctx.local(t.resolved_at),
                "duration": hours(duration),
                "children": t.children_count,
                "state": t.get_state_display(),
            }
        )
    return ctx.report(
        "major_incidents",
        "Major incidents",
        "Major incidents open at any time in the range; duration is wall-clock hours from logging "
        "to resolution (to now while open).",
        columns=[
            Column("number", "Incident"),
            Column("title", "Title"),
            Column("priority", "Priority"),
            Column("service", "Service"),
            Column("opened_at", "Logged", "datetime"),
            Column("declared_at", "Declared major", "datetime"),
            Column("resolved_at", "Resolved", "datetime"),
            Column("duration", "Duration (h)", "hours"),
            Column("children", "Linked incidents", "int"),
            Column("state", "State"),
        ],
        rows=rows,
        summary=[
            ("Major incidents", len(rows)),
            ("Mean duration of resolved (h)", hours(mean(durations))),
        ],
        charts=[Chart("bar", "Major incident duration (h)", "number", ("duration",))],
    )


MetricFunction = Callable[[Context], Report]
