"""Queue rows prepared for display in one pass: the template prints strings, it computes nothing.

A queue page shows 50 tickets; labels, links, dates and SLA badges computed per row through
template filters and includes were most of the page's cost. Here each value is computed once in
Python: labels from one lookup table, the link from one reversed URL, dates from one local time
per ticket, and the SLA badges drawn with the markup of ``sla/partials/badge.html``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Any, TypedDict

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from itsm.accounts.models import Group
from itsm.cmdb.models import Service
from itsm.core.stamps import rows_by_id
from itsm.sla.models import MetricChoice
from itsm.sla.queries import Badge
from itsm.taxonomy.choices import Priority
from itsm.taxonomy.models import Category
from itsm.tickets.choices import INACTIVE_STATES, TicketState

#: The ticket columns a row reads (and the sort columns the next-page cursor reads), for
#: ``values()``: plain rows, not six model instances per ticket. The names of the category,
#: service and group are added from the process's reference rows (``with_reference_names``).
ROW_FIELDS = (
    "id",
    "number",
    "title",
    "state",
    "priority",
    "opened_at",
    "updated_at",
    "sla_due_at",
    "category_id",
    "service_id",
    "assignment_group_id",
    "assignee__full_name",
    "assignee__email",
    "requester__full_name",
    "requester__email",
)

#: A row's reference columns: the id ``values()`` reads, the name the row shows, the table.
_REFERENCE_NAMES: tuple[tuple[str, str, type[Category | Service | Group]], ...] = (
    ("category_id", "category__name", Category),
    ("service_id", "service__name", Service),
    ("assignment_group_id", "assignment_group__name", Group),
)


def with_reference_names(tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each row read as ``values(*ROW_FIELDS)`` its category, service and group names.

    They come from the process's reference rows of the version this request reads
    (``itsm.core.stamps.rows_by_id``; the queue page reads that version for its option lists):
    joining the three tables in the queue's statement cost PostgreSQL more to plan (about
    1.5 ms) than to run. A row the version does not hold yet (created since) is read by id.
    """
    if not tickets:
        return tickets
    for id_field, name_field, model in _REFERENCE_NAMES:
        known = rows_by_id(model).get()
        missing = {t[id_field] for t in tickets if t[id_field] not in known} - {None}
        names: dict[int, str] = {}
        if missing:
            names = dict(model._default_manager.filter(pk__in=missing).values_list("pk", "name"))
        for ticket in tickets:
            pk = ticket[id_field]
            row = known.get(pk) if pk is not None else None
            ticket[name_field] = row.name if row is not None else names.get(pk)
    return tickets


class QueueRow(TypedDict):
    """One row's display strings. A dict: the template engine tries a key before an attribute,
    so a dict answers its 800 lookups a page without a failed try each."""

    number: str
    select_label: str
    url: str
    title: str
    category: str
    service: str
    state: str
    state_label: str
    priority: str
    priority_label: str
    sla: SafeString
    group: str
    assignee: str
    requester: str
    opened_iso: str
    opened_long: str
    opened_short: str
    html: SafeString


def row_html(row: QueueRow) -> str:
    """The row's ``<tr>``: 50 rows of 16 values each cost more through template nodes than
    the rest of the page's table."""
    e = {key: escape(str(value)) for key, value in row.items() if key not in {"sla", "html"}}
    if row["category"]:
        service = f" · {e['service']}" if row["service"] else ""
        sub = f'<span class="sub">{e["category"]}{service}</span>'
    elif row["service"]:
        sub = f'<span class="sub">{e["service"]}</span>'
    else:
        sub = ""
    return (
        "<tr data-row>\n"
        f'      <td><input type="checkbox" name="tickets" value="{e["number"]}" form="bulk-form"'
        f' aria-label="{e["select_label"]}"></td>\n'
        f'      <td class="num"><a class="ticket-link" href="{e["url"]}">{e["number"]}</a></td>\n'
        f'      <td class="title">{e["title"]}{sub}</td>\n'
        f'      <td><span class="badge state state-{e["state"]}">{e["state_label"]}</span></td>\n'
        f'      <td><span class="badge prio prio-{e["priority"]}" title="{e["priority_label"]}">'
        f"{e['priority']}</span></td>\n"
        f"      <td>{row['sla']}</td>\n"
        f'      <td>{e["group"]}<span class="sub">{e["assignee"]}</span></td>\n'
        f"      <td>{e['requester']}</td>\n"
        f'      <td><time datetime="{e["opened_iso"]}" title="{e["opened_long"]}">'
        f"{e['opened_short']}</time></td>\n"
        "    </tr>"
    )


#: Format characters finer than a minute; formats without them are remembered per minute.
_SUB_MINUTE = frozenset("sufvUcr")


@lru_cache(maxsize=8192)
def _format_minute(fmt: str, language: str, zone: str, local: datetime) -> str:
    return format_date(local, fmt)


class LocalDates:
    """Date formats resolved once for the active language and time zone.

    Formatting one date costs 20-35 µs and a page prints about 150; due and opening times repeat
    from page to page, so a formatted minute is remembered (per format, language and zone).
    """

    def __init__(self) -> None:
        self.long = get_format("DATETIME_FORMAT")
        self.zone = timezone.get_current_timezone()
        self.language = get_language() or ""

    def local(self, value: datetime) -> datetime:
        return timezone.localtime(value, self.zone)

    def format(self, local: datetime, fmt: str) -> str:
        if _SUB_MINUTE.intersection(fmt):
            return format_date(local, fmt)
        # The zone's key is part of the cache key: equal instants in two zones compare equal.
        minute = local.replace(second=0, microsecond=0)
        return _format_minute(fmt, self.language, str(local.tzinfo), minute)

    def long_format(self, value: datetime) -> str:
        return self.format(self.local(value), self.long)


class SlaBadgeMarkup:
    """Draws ``workspace/partials/sla_badges.html`` for many tickets, labels translated once."""

    def __init__(self, dates: LocalDates | None = None) -> None:
        self.dates = dates or LocalDates()
        self.none = f'<span class="badge sla sla-none">{escape(_("No running SLA"))}</span>'
        self.due = escape(_("due"))
        self.resolution = escape(_("Resolution"))
        self.metrics: dict[str, str] = {MetricChoice.RESPONSE: escape(_("Response"))}

    def html(self, badges: list[Badge], *, is_active: bool) -> str:
        if not badges:
            return self.none if is_active else ""
        parts = ['<span class="sla-badges">']
        for badge in badges:
            title = escape(badge.name)
            if badge.due_at:
                title += f" · {self.due} {escape(self.dates.long_format(badge.due_at))}"
            metric = self.metrics.get(badge.metric, self.resolution)
            parts.append(
                f'<span class="{escape(badge.css_class)}" title="{title}">'
                f'<span class="sla-badge__metric">{metric}</span> {escape(badge.text)}</span>'
            )
        parts.append("</span>")
        return "".join(parts)


#: Row columns the drawn row shows (``updated_at`` and ``sla_due_at`` only serve the cursor).
_DRAWN_FIELDS = (
    "number",
    "title",
    "state",
    "priority",
    "opened_at",
    "category__name",
    "service__name",
    "assignment_group__name",
    "assignee__full_name",
    "assignee__email",
    "requester__full_name",
    "requester__email",
)

#: Drawn rows by what they show; the same tickets come back page after page. Bounded (oldest
#: first out), per process: a row with a running clock changes key every minute anyway.
_ROW_CACHE: OrderedDict[tuple[Any, ...], QueueRow] = OrderedDict()
ROW_CACHE_SIZE = 4096


class _RowDrawer:
    """Labels, link and formats of one page's rows, made on the first row not in the cache."""

    def __init__(self) -> None:
        self.dates = LocalDates()
        self.states = {value: str(label) for value, label in TicketState.choices}
        self.priorities = {value: str(label) for value, label in Priority.choices}
        # One reverse() for every row: ticket numbers are letters and digits only.
        self.marker = "NUMBER"
        self.link = reverse("ticket", args=[self.marker])
        self.unassigned = _("Unassigned")
        self.select = _("Select %(number)s")
        self.markup = SlaBadgeMarkup(self.dates)

    def row(self, ticket: dict[str, Any], badges: list[Badge]) -> QueueRow:
        dates = self.dates
        number, state, priority = ticket["number"], ticket["state"], ticket["priority"]
        opened = dates.local(ticket["opened_at"])
        # A person's name is str(user): the full name, or the email without one.
        assignee = ticket["assignee__full_name"] or ticket["assignee__email"]
        row = QueueRow(
            number=number,
            select_label=self.select % {"number": number},
            url=self.link.replace(self.marker, number),
            title=ticket["title"],
            category=ticket["category__name"] or "",
            service=ticket["service__name"] or "",
            state=state,
            state_label=self.states.get(state, state),
            priority=priority,
            priority_label=self.priorities.get(priority, priority),
            sla=mark_safe(  # noqa: S308 - built from escaped parts
                self.markup.html(badges, is_active=state not in INACTIVE_STATES)
            ),
            group=ticket["assignment_group__name"] or "—",
            assignee=assignee or self.unassigned,
            requester=ticket["requester__full_name"] or ticket["requester__email"],
            opened_iso=opened.isoformat(),
            opened_long=dates.format(opened, dates.long),
            opened_short=dates.format(opened, "d M H:i"),
            html=mark_safe(""),
        )
        row["html"] = mark_safe(row_html(row))  # noqa: S308 - every value in it is escaped
        return row


def queue_rows(tickets: Iterable[dict[str, Any]], badges: dict[int, list[Badge]]) -> list[QueueRow]:
    """Display rows of tickets read as ``values(*ROW_FIELDS)``, with their reference names.

    A row is drawn once per what it shows (its columns, its badges, the language, time zone and
    script prefix) and then taken from a per-process cache.
    """
    page = (get_language(), str(timezone.get_current_timezone()), get_script_prefix())
    drawer: _RowDrawer | None = None
    rows = []
    for ticket in tickets:
        ticket_badges = badges.get(ticket["id"], [])
        key = (page, tuple([ticket[f] for f in _DRAWN_FIELDS]), tuple(ticket_badges))
        row = _ROW_CACHE.get(key)
        if row is None:
            drawer = drawer or _RowDrawer()
            row = drawer.row(ticket, ticket_badges)
            _ROW_CACHE[key] = row
            if len(_ROW_CACHE) > ROW_CACHE_SIZE:
                _ROW_CACHE.popitem(last=False)
        else:
            _ROW_CACHE.move_to_end(key)
        rows.append(QueueRow(**row))  # a copy: the cached row stays as drawn
    return rows
