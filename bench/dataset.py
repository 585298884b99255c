"""The data set: N tickets over two years with a realistic mix, loaded straight into the tables.

This is test-data loading, not a business write path: rows go in with COPY on PostgreSQL and
executemany on SQLite, bypassing the actions (docs/performance.md says so). The reference data
(groups, agents, services, categories) comes from the demo builder, which does use the actions.
Rows are streamed in chunks, so memory stays flat at a million tickets.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction

GENERATOR_VERSION = "3"
#: As a worker that kept up leaves them: incidents resolved longer ago than this are closed.
AUTO_CLOSE_DAYS = 5
CHUNK = 20_000
OPEN_SHARE = 0.05
BREACHED_SHARE_OF_OPEN = 0.12
S5_TICKETS = 20
S5_ENTRIES = 50
TWO_YEARS = 730 * 86_400

KINDS = (("incident", 0.72), ("service_request", 0.22), ("problem", 0.04), ("change", 0.02))
PREFIX = {"incident": "INC", "service_request": "REQ", "problem": "PRB", "change": "CHG"}
# impact, urgency, weight -> priority through the default matrix
PRIORITY_MIX = (
    ("high", "high", 1, "P1"),
    ("high", "medium", 3, "P2"),
    ("medium", "high", 4, "P2"),
    ("medium", "medium", 30, "P3"),
    ("low", "high", 5, "P3"),
    ("high", "low", 2, "P3"),
    ("medium", "low", 20, "P4"),
    ("low", "medium", 25, "P4"),
    ("low", "low", 10, "P5"),
)
RESOLUTION_MINUTES = {"P1": 240, "P2": 480, "P3": 1440, "P4": 2400, "P5": 4800}
OPEN_STATES = (
    ("new", 15),
    ("assigned", 30),
    ("in_progress", 35),
    ("pending_user", 10),
    ("waiting_for_vendor", 5),
    ("on_hold", 5),
)
CHANNELS = (("portal", 45), ("email", 30), ("phone", 15), ("chat", 5), ("monitoring", 5))
RESOLUTION_CODES = (
    "solved_permanently",
    "workaround",
    "user_error",
    "not_reproducible",
    "resolved_by_caller",
)
SUBJECTS = (
    "VPN disconnects every few minutes",
    "Outlook asks for the password again and again",
    "Printer on the third floor jams",
    "CRM slow when opening customer accounts",
    "Laptop battery drains within an hour",
    "Wi-Fi drops in the meeting room",
    "Payroll export fails with a connection error",
    "Need access to the shared Finance folder",
    "Second monitor flickers",
    "Password expired, cannot log in",
    "New starter needs a laptop and an account",
    "Teams calls have no sound",
    "Cannot print PDF invoices",
    "Shared mailbox missing in Outlook",
    "Disk almost full on the file server",
    "Request a software licence for the design tool",
    "Phone handset shows no dial tone",
    "Badge does not open the server room",
    "Website returns error 502 for customers",
    "Backup job failed last night",
)
DETAILS = (
    "It started this morning after the update and affects the whole team.",
    "The error appears every time; restarting the computer did not help.",
    "This blocks the month-end close, please have a look soon.",
    "Happens on the office network and at home over the VPN as well.",
    "A colleague sees the same problem since yesterday afternoon.",
    "Screenshot of the message is in the first comment of this ticket.",
)
AGENT_REPLIES = (
    "Thanks for reporting this. Could you tell me the exact error message and when it started?",
    "I have reset the configuration on our side; please try again and let me know.",
    "We are aware of the issue and working with the vendor on a fix.",
    "Could you check whether it also happens on another device or network?",
)
REQUESTER_REPLIES = (
    "It started on Monday morning; the message says the connection timed out.",
    "Tried again after your change and it works now, thank you.",
    "Yes, it also happens on my phone hotspot.",
)
WORK_NOTES = (
    "Checked the logs: the gateway dropped the session after the idle timeout.",
    "Escalating to the vendor, case number in the attachment.",
    "Known issue after last night's patch; workaround applied.",
)
EXTRA_GROUPS = (
    "Applications Support",
    "Database Administration",
    "Security Operations",
    "Identity & Access",
    "Field Services",
    "Service Request Fulfilment",
    "Cloud Platform",
)


@dataclass
class Reference:
    """Ids of the reference rows the tickets point at."""

    groups: list[int]
    group_names: dict[int, str]
    agents_by_group: dict[int, list[int]]
    requesters: list[int]
    organisation_of: dict[int, int | None]
    categories: list[int]
    services: list[int]
    cis: list[int]
    service_of_ci: dict[int, int | None]
    service_desk_agent: int
    manager: int
    sla_definitions: dict[str, tuple[int, float]] = field(default_factory=dict)


@dataclass
class LoadReport:
    tickets: int = 0
    journal_entries: int = 0
    sla_instances: int = 0
    seconds: float = 0.0
    reused: bool = False
    per_second: float = 0.0
    s5_numbers: list[str] = field(default_factory=list)


def _weighted(pairs: Sequence[tuple[Any, int | float]]) -> tuple[list[Any], list[float]]:
    return [p[0] for p in pairs], [float(p[1]) for p in pairs]


def build_reference(scale: int, rng: random.Random) -> Reference:
    """Demo groups, people, services, CIs and categories, plus enough requesters and agents
    for the scale (one requester per 100 tickets, six agents per group)."""
    from django.contrib.auth.hashers import make_password

    from itsm.accounts.models import Group, Organization, User
    from itsm.cli.demo import build_reference_data
    from itsm.cmdb.models import ConfigurationItem, Service
    from itsm.taxonomy.models import Category

    build_reference_data()
    for name in EXTRA_GROUPS:
        Group.objects.get_or_create(name=name)
    groups = list(Group.objects.filter(is_major_incident_team=False).order_by("pk"))
    organisations = list(Organization.objects.values_list("pk", flat=True))
    unusable = make_password(None)
    agents: list[User] = []
    for group in groups:
        have = group.members.count()
        for i in range(have, 6):
            agents.append(
                User(
                    email=f"agent{i}.{group.pk}@bench.example",
                    full_name=f"Agent {i} of {group.name}",
                    role="agent",
                    password=unusable,
                )
            )
    User.objects.bulk_create(agents, batch_size=500)
    for group in groups:
        wanted = list(
            User.objects.filter(email__endswith=f".{group.pk}@bench.example").values_list(
                "pk", flat=True
            )
        )
        group.members.add(*wanted)
    want_requesters = max(200, scale // 100)
    have = User.objects.filter(email__endswith="@requesters.bench.example").count()
    User.objects.bulk_create(
        [
            User(
                email=f"requester{i}@requesters.bench.example",
                full_name=f"Requester {i}",
                role="requester",
                organization_id=rng.choice(organisations) if organisations else None,
                password=unusable,
            )
            for i in range(have, want_requesters)
        ],
        batch_size=2000,
    )
    services = list(Service.objects.values_list("pk", flat=True))
    have_cis = ConfigurationItem.objects.filter(name__startswith="bench-ci-").count()
    ConfigurationItem.objects.bulk_create(
        [
            ConfigurationItem(name=f"bench-ci-{i:05d}", service_id=rng.choice(services))
            for i in range(have_cis, 400)
        ],
        batch_size=500,
    )
    agents_by_group = {
        g.pk: list(g.members.filter(role__in=["agent", "manager"]).values_list("pk", flat=True))
        for g in groups
    }
    requester_rows = list(
        User.objects.filter(role="requester").values_list("pk", "organization_id")
    )
    cis = dict(ConfigurationItem.objects.values_list("pk", "service_id"))
    return Reference(
        groups=[g.pk for g in groups],
        group_names={g.pk: g.name for g in groups},
        agents_by_group=agents_by_group,
        requesters=[pk for pk, _ in requester_rows],
        organisation_of=dict(requester_rows),
        categories=list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True)),
        services=services,
        cis=list(cis),
        service_of_ci=cis,
        service_desk_agent=User.objects.get(email="agent@demo.example").pk,
        manager=User.objects.get(email="manager@demo.example").pk,
        sla_definitions=_resolution_definitions(),
    )


def _resolution_definitions() -> dict[str, tuple[int, float]]:
    """Priority -> (resolution SLA definition id, target minutes) of incidents."""
    from itsm.sla.models import SlaDefinition

    found: dict[str, tuple[int, float]] = {}
    for definition in SlaDefinition.objects.filter(metric="resolution", is_active=True):
        if definition.kinds and "incident" not in definition.kinds:
            continue
        for priority, minutes in (definition.targets_minutes or {}).items():
            if not definition.priorities or priority in definition.priorities:
                found.setdefault(priority, (definition.pk, float(minutes)))
    return found


class Table:
    """Writes rows of one model: the generator fills its own columns, every other column gets
    the field's default (so a column another engineer adds later does not break the loader)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.table = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        missing = [c for c in columns if c not in by_column]
        if missing:
            raise RuntimeError(f"{self.table}: no column {missing}")
        self.columns = list(columns)
        self.tail: tuple[Any, ...] = ()
        for column, fld in by_column.items():
            if column in self.columns:
                continue
            if not fld.null and not fld.has_default() and not fld.blank:
                raise RuntimeError(f"{self.table}.{column}: required column the generator lacks")
            self.columns.append(column)
            self.tail += (_plain(fld.get_default(), fld),)

    def write(self, rows: Iterator[tuple[Any, ...]]) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        return self._insert(rows)

    def _copy(self, rows: Iterator[tuple[Any, ...]]) -> int:
        tail = "".join("\t" + _pg_text(v) for v in self.tail)
        columns = ", ".join(f'"{c}"' for c in self.columns)
        count = 0
        buffer: list[str] = []
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    buffer.append("\t".join(map(_pg_text, row)) + tail + "\n")
                    count += 1
                    if len(buffer) >= 5000:
                        copy.write("".join(buffer))
                        buffer.clear()
                if buffer:
                    copy.write("".join(buffer))
        return count

    def _insert(self, rows: Iterator[tuple[Any, ...]]) -> int:
        marks = ", ".join("?" for _ in self.columns)
        columns = ", ".join(f'"{c}"' for c in self.columns)
        statement = f'INSERT INTO "{self.table}" ({columns}) VALUES ({marks})'  # noqa: S608 (model's own table)
        tail = tuple(_sqlite_value(v) for v in self.tail)
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(_sqlite_value(v) for v in row) + tail)
                if len(batch) >= 5000:
                    raw.executemany(statement, batch)
                    count += len(batch)
                    batch.clear()
            if batch:
                raw.executemany(statement, batch)
                count += len(batch)
        return count


def _plain(value: Any, fld: models.Field[Any, Any]) -> Any:
    if isinstance(fld, models.JSONField):
        return json.dumps(value)
    return value


def _pg_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


class Generator:
    """Streams ticket, incident and journal rows for one chunk of ticket ids."""

    def __init__(self, ref: Reference, scale: int, now: datetime, seed: int = 7) -> None:
        self.ref = ref
        self.scale = scale
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(seconds=TWO_YEARS)
        self.auto_closed = now - timedelta(days=AUTO_CLOSE_DAYS)
        self.kinds, self.kind_weights = _weighted(KINDS)
        self.mix = PRIORITY_MIX
        self.mix_weights = [float(m[2]) for m in PRIORITY_MIX]
        self.open_states, self.open_weights = _weighted(OPEN_STATES)
        self.channels, self.channel_weights = _weighted(CHANNELS)
        self.counters = dict.fromkeys(PREFIX.values(), 0)
        self.journal_id = 0
        self.sla_id = 0

    def ticket(
        self, pk: int
    ) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], bool, tuple[Any, ...] | None]:
        """One ticket row, its journal rows, whether it is an incident, and its SLA row."""
        rng = self.rng
        is_s5 = pk <= S5_TICKETS
        kind = "incident" if is_s5 else rng.choices(self.kinds, self.kind_weights)[0]
        impact, urgency, _, priority = rng.choices(self.mix, self.mix_weights)[0]
        prefix = PREFIX[kind]
        self.counters[prefix] += 1
        number = f"{prefix}{self.counters[prefix]:07d}"
        is_open = is_s5 or rng.random() < OPEN_SHARE
        if is_open:
            opened = self.now - timedelta(seconds=rng.uniform(600, 30 * 86_400))
        else:
            opened = self.start + timedelta(seconds=TWO_YEARS * (pk / (self.scale + 1)))
            opened = min(opened, self.now - timedelta(days=1))
        group = rng.choice(self.ref.groups)
        agents = self.ref.agents_by_group.get(group) or [self.ref.service_desk_agent]
        requester = rng.choice(self.ref.requesters)
        ci = rng.choice(self.ref.cis) if rng.random() < 0.6 else None
        service = self.ref.service_of_ci.get(ci) if ci else rng.choice(self.ref.services)
        category = rng.choice(self.ref.categories) if self.ref.categories else None
        subject = SUBJECTS[pk % len(SUBJECTS)]
        title = f"{subject} ({rng.randint(1, 999)})"
        description = DETAILS[pk % len(DETAILS)] + " " + DETAILS[(pk // 7) % len(DETAILS)]
        channel = rng.choices(self.channels, self.channel_weights)[0]
        target = timedelta(minutes=RESOLUTION_MINUTES[priority])
        assignee: int | None = rng.choice(agents)
        first_response: datetime | None = opened + timedelta(minutes=rng.uniform(5, 120))
        resolved_at = closed_at = None
        resolution_code = resolution_notes = ""
        sla_due: datetime | None
        if is_open:
            state = "in_progress" if is_s5 else rng.choices(self.open_states, self.open_weights)[0]
            if state == "new":
                assignee, first_response = None, None
            if rng.random() < BREACHED_SHARE_OF_OPEN:
                sla_due = self.now - timedelta(minutes=rng.uniform(1, 3000))
            else:
                sla_due = self.now + timedelta(minutes=rng.uniform(5, 4000))
            if state in {"pending_user", "waiting_for_vendor", "on_hold"}:
                sla_due = None
            updated = max(opened, (first_response or opened))
        else:
            roll = rng.random()
            state = "closed" if roll < 0.93 else ("resolved" if roll < 0.975 else "cancelled")
            sla_due = None
            worked = target * rng.uniform(0.1, 1.3)
            if state == "cancelled":
                assignee, first_response = None, None
                closed_at = opened + timedelta(hours=2)
                updated = closed_at
            else:
                resolved_at = opened + worked
                if state == "resolved" and kind == "incident" and resolved_at < self.auto_closed:
                    state = "closed"  # the worker closes incidents resolved this long ago
                resolution_code = RESOLUTION_CODES[pk % len(RESOLUTION_CODES)]
                resolution_notes = "Fixed the configuration and confirmed with the requester."
                closed_at = (
                    min(resolved_at + timedelta(days=AUTO_CLOSE_DAYS), self.now)
                    if state == "closed"
                    else None
                )
                updated = closed_at or resolved_at
        row = (
            pk,
            number,
            kind,
            title,
            description,
            state,
            impact,
            urgency,
            priority,
            category,
            service,
            ci,
            requester,
            self.ref.organisation_of.get(requester),
            requester,
            channel,
            group,
            assignee,
            opened,
            first_response,
            resolved_at,
            closed_at,
            resolution_code,
            resolution_notes,
            None,
            sla_due,
            1,
            opened,
            updated,
        )
        journal = self._journal(
            pk, state, opened, requester, assignee, group, first_response, resolved_at, closed_at
        )
        if is_s5:
            journal += self._conversation(
                pk, opened, requester, agents[0], S5_ENTRIES - len(journal)
            )
        sla = None
        if is_open and kind == "incident" and priority in self.ref.sla_definitions:
            sla = self._sla(pk, priority, state, opened, sla_due)
        return row, journal, kind == "incident", sla

    def _sla(
        self, pk: int, priority: str, state: str, opened: datetime, due: datetime | None
    ) -> tuple[Any, ...]:
        """An open resolution SLA instance whose thresholds already passed are marked fired,
        so the data set starts as a worker that kept up would leave it."""
        definition, minutes = self.ref.sla_definitions[priority]
        paused = due is None
        due = due or self.now + timedelta(minutes=minutes)
        span = timedelta(minutes=minutes)
        warn, risk = due - span * 0.5, due - span * 0.25
        now = self.now
        fired = [at if at <= now else None for at in (warn, risk, due)]
        pending = [at for at in (warn, risk, due) if at > now]
        return (
            self.sla_id_next(),
            pk,
            definition,
            "resolution",
            "paused" if paused else "running",
            priority,
            minutes,
            max(0.0, (now - opened).total_seconds()),
            opened,
            0,
            opened,
            due,
            warn,
            risk,
            due if due <= now else None,
            None,
            min(pending) if pending and not paused else None,
            *fired,
            None,
            now,
            1,
        )

    def sla_id_next(self) -> int:
        self.sla_id += 1
        return self.sla_id

    def _entry(
        self,
        ticket: int,
        kind: str,
        actor: int | None,
        at: datetime,
        *,
        internal: bool = False,
        field: str = "",
        old: str = "",
        new: str = "",
        body: str = "",
    ) -> tuple[Any, ...]:
        self.journal_id += 1
        return (self.journal_id, ticket, kind, actor, at, internal, field, old, new, body, "{}", 1)

    def _journal(
        self,
        pk: int,
        state: str,
        opened: datetime,
        requester: int,
        assignee: int | None,
        group: int,
        first_response: datetime | None,
        resolved_at: datetime | None,
        closed_at: datetime | None,
    ) -> list[tuple[Any, ...]]:
        entries = [self._entry(pk, "system", requester, opened, body="Ticket logged.")]
        at = opened + timedelta(minutes=2)
        entries.append(
            self._entry(
                pk,
                "field_change",
                None,
                at,
                internal=True,
                field="assignment_group",
                new=self.ref.group_names[group],
            )
        )
        if first_response is not None:
            entries.append(
                self._entry(pk, "comment", assignee, first_response, body=AGENT_REPLIES[pk % 4])
            )
        if state == "cancelled" and closed_at is not None:
            entries.append(
                self._entry(
                    pk, "transition", requester, closed_at, field="state", old="new", new=state
                )
            )
        if resolved_at is not None:
            entries.append(
                self._entry(
                    pk,
                    "transition",
                    assignee,
                    resolved_at,
                    field="state",
                    old="in_progress",
                    new="resolved",
                )
            )
        if state == "closed" and closed_at is not None:
            entries.append(
                self._entry(
                    pk, "transition", None, closed_at, field="state", old="resolved", new="closed"
                )
            )
        return entries

    def _conversation(
        self, pk: int, opened: datetime, requester: int, agent: int, count: int
    ) -> list[tuple[Any, ...]]:
        """A long back-and-forth for the ticket-page scenario (S5)."""
        rows = []
        for i in range(count):
            at = opened + timedelta(minutes=10 * (i + 1))
            if i % 3 == 0:
                rows.append(
                    self._entry(pk, "comment", requester, at, body=REQUESTER_REPLIES[i % 3])
                )
            elif i % 3 == 1:
                rows.append(self._entry(pk, "comment", agent, at, body=AGENT_REPLIES[i % 4]))
            else:
                rows.append(
                    self._entry(pk, "work_note", agent, at, internal=True, body=WORK_NOTES[i % 3])
                )
        return rows


TICKET_COLUMNS = (
    "id",
    "number",
    "kind",
    "title",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "category_id",
    "service_id",
    "configuration_item_id",
    "requester_id",
    "organization_id",
    "opened_by_id",
    "channel",
    "assignment_group_id",
    "assignee_id",
    "opened_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "resolution_code",
    "resolution_notes",
    "parent_id",
    "sla_due_at",
    "version",
    "created_at",
    "updated_at",
)
JOURNAL_COLUMNS = (
    "id",
    "ticket_id",
    "entry_type",
    "actor_id",
    "created_at",
    "is_internal",
    "field",
    "old_value",
    "new_value",
    "body",
    "data",
    "version",
)
INCIDENT_COLUMNS = ("ticket_id", "created_at", "updated_at")
SLA_COLUMNS = (
    "id",
    "ticket_id",
    "definition_id",
    "metric",
    "clock_state",
    "priority",
    "target_minutes",
    "elapsed_seconds",
    "started_at",
    "cycle",
    "cycle_started_at",
    "due_at",
    "warn_at",
    "risk_at",
    "breached_at",
    "stopped_at",
    "next_event_at",
    "warn_fired_at",
    "risk_fired_at",
    "breach_fired_at",
    "detached_at",
    "computed_at",
    "version",
)


def read_meta() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key VARCHAR(50) PRIMARY KEY, value TEXT)"
        )
        cursor.execute("SELECT key, value FROM bench_meta")
        return dict(cursor.fetchall())


def write_meta(values: dict[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_meta")
        for key, value in values.items():
            cursor.execute("INSERT INTO bench_meta (key, value) VALUES (%s, %s)", [key, value])


def matches(meta: dict[str, str], scale: int) -> bool:
    return meta.get("scale") == str(scale) and meta.get("version") == GENERATOR_VERSION


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """Plain (non-constraint) indexes of a PostgreSQL table: dropped during COPY, rebuilt after."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = %s AND i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [table],
        )
        return list(cursor.fetchall())


def generate(scale: int, *, progress: Callable[[str], None] = print, seed: int = 7) -> LoadReport:
    """Load ``scale`` tickets into an empty, migrated database; report tickets per second."""
    from itsm.incidents.models import Incident
    from itsm.sla.models import SlaInstance
    from itsm.tickets.models import JournalEntry, Ticket

    rng = random.Random(seed)
    ref = build_reference(scale, rng)
    now = datetime.now(UTC)
    gen = Generator(ref, scale, now, seed=seed)
    tickets = Table(Ticket, TICKET_COLUMNS)
    journal = Table(JournalEntry, JOURNAL_COLUMNS)
    incidents = Table(Incident, INCIDENT_COLUMNS)
    slas = Table(SlaInstance, SLA_COLUMNS)
    report = LoadReport()
    pg = connection.vendor == "postgresql"
    dropped: list[tuple[str, str]] = []
    started = time.perf_counter()
    with transaction.atomic():
        if pg:
            with connection.cursor() as cursor:
                # The generator keeps every reference valid; skipping per-row FK triggers and
                # building indexes once at the end is what makes COPY fast.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for table in (Ticket._meta.db_table, JournalEntry._meta.db_table):
                    for name, definition in _secondary_indexes(table):
                        dropped.append((name, definition))
                        cursor.execute(f'DROP INDEX "{name}"')
        for first in range(1, scale + 1, CHUNK):
            last = min(scale, first + CHUNK - 1)
            ticket_rows, journal_rows, incident_rows, sla_rows = [], [], [], []
            for pk in range(first, last + 1):
                row, entries, is_incident, sla = gen.ticket(pk)
                ticket_rows.append(row)
                journal_rows.extend(entries)
                if is_incident:
                    incident_rows.append((pk, row[27], row[28]))
                if sla is not None:
                    sla_rows.append(sla)
            report.tickets += tickets.write(iter(ticket_rows))
            report.journal_entries += journal.write(iter(journal_rows))
            incidents.write(iter(incident_rows))
            report.sla_instances += slas.write(iter(sla_rows))
            elapsed = time.perf_counter() - started
            progress(
                f"  loaded {report.tickets:>9,} tickets, {report.journal_entries:>10,} journal "
                f"entries ({report.tickets / elapsed:,.0f} tickets/s)"
            )
        if pg:
            with connection.cursor() as cursor:
                for _, definition in dropped:
                    cursor.execute(definition)
        _reset_sequences(gen.counters, scale, gen.journal_id, gen.sla_id)
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report.seconds = time.perf_counter() - started
    report.per_second = report.tickets / report.seconds if report.seconds else 0.0
    return report


def _reset_sequences(
    counters: dict[str, int], last_ticket: int, last_journal: int, last_sla: int
) -> None:
    """Ticket numbers and ids continue after the generated ones."""
    from itsm.sla.models import SlaInstance
    from itsm.tickets.models import JournalEntry, NumberSequence, Ticket
    from itsm.tickets.numbering import sequence_name

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for prefix, value in counters.items():
                if value:
                    cursor.execute("SELECT setval(%s, %s)", [sequence_name(prefix), value])
            for model, value in (
                (Ticket, last_ticket),
                (JournalEntry, last_journal),
                (SlaInstance, last_sla),
            ):
                if not value:
                    continue
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [model._meta.db_table, value],
                )
        for prefix, value in counters.items():
            NumberSequence.objects.update_or_create(prefix=prefix, defaults={"last_value": value})


def s5_numbers() -> list[str]:
    """The tickets with a 50-entry journal (ids 1..20)."""
    from itsm.tickets.models import Ticket

    return list(
        Ticket.objects.filter(pk__lte=S5_TICKETS, kind="incident").values_list("number", flat=True)
    )
