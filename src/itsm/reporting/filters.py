"""The filters every report takes: a date range (local dates of a time zone) and the ticket
dimensions kind, assignment group, service, category (with subcategories), priority, organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from itsm.accounts.models import Group, Organization
from itsm.cmdb.models import Service
from itsm.core.errors import InvalidInput
from itsm.taxonomy.choices import Priority, TicketKind
from itsm.taxonomy.models import Category

#: The longest range a report takes (about ten years of days).
MAX_RANGE_DAYS = 3700
DEFAULT_RANGE_DAYS = 30
#: Tickets, or the facts rollup: both carry the columns the filters name.
Rows = TypeVar("Rows", bound=QuerySet[Any])
FILTER_KEYS = (
    "from",
    "to",
    "tz",
    "kind",
    "group",
    "service",
    "category",
    "priority",
    "organization",
)


@dataclass(frozen=True)
class ReportFilters:
    """A parsed, validated filter set. ``start``/``end`` are the UTC instants of the range
    ``[from 00:00, to + 1 day 00:00)`` in local time of ``tz``."""

    date_from: date
    date_to: date
    tz: ZoneInfo
    kind: str = ""
    group: Group | None = None
    service: Service | None = None
    category: Category | None = None
    priority: str = ""
    organization: Organization | None = None
    category_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self.tz)

    def apply(self, tickets: Rows) -> Rows:
        """Narrow tickets (or their facts) by every dimension set (the date range is each
        metric's own)."""
        if self.kind:
            tickets = tickets.filter(kind=self.kind)
        if self.group is not None:
            tickets = tickets.filter(assignment_group=self.group)
        if self.service is not None:
            tickets = tickets.filter(service=self.service)
        if self.category is not None:
            tickets = tickets.filter(category_id__in=self.category_ids)
        if self.priority:
            tickets = tickets.filter(priority=self.priority)
        if self.organization is not None:
            tickets = tickets.filter(organization=self.organization)
        return tickets

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (round-trips through ``parse_filters``)."""
        params = {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "tz": self.tz.key,
        }
        for key, value in (
            ("kind", self.kind),
            ("priority", self.priority),
            ("group", self.group),
            ("service", self.service),
            ("category", self.category),
            ("organization", self.organization),
        ):
            if isinstance(value, Model):
                params[key] = str(value.pk)
            elif value:
                params[key] = str(value)
        return params

    def describe(self) -> list[tuple[str, str]]:
        """The filters a person reads above a report or in a mail."""
        lines = [
            (
                "Period",
                f"{self.date_from.isoformat()} to {self.date_to.isoformat()} ({self.tz.key})",
            )
        ]
        if self.kind:
            lines.append(("Kind", str(TicketKind(self.kind).label)))
        for label, value in (
            ("Assignment group", self.group),
            ("Service", self.service),
            ("Category", self.category),
            ("Organisation", self.organization),
        ):
            if value is not None:
                lines.append((label, str(value)))
        if self.priority:
            lines.append(("Priority", str(Priority(self.priority).label)))
        return lines


def _date(name: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(name, f"{name!r} must be a date as YYYY-MM-DD, got {raw!r}.") from None


def parse_zone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "tz", f"Unknown time zone {raw!r}; use an IANA name like Europe/Berlin."
        ) from None


def _lookup(name: str, model: type[Model], raw: str, label_field: str) -> Any:
    """A row by id, or by its exact (case-insensitive) name."""
    raw = raw.strip()
    query: dict[str, Any] = {"pk": int(raw)} if raw.isdigit() else {f"{label_field}__iexact": raw}
    found = model._default_manager.filter(**query).first()
    if found is None:
        raise InvalidInput(name, f"No {name} {raw!r}.")
    return found


def _choice(name: str, raw: str, values: list[str]) -> str:
    cleaned = raw.strip()
    if cleaned not in values:
        raise InvalidInput(name, f"{name!r} must be one of {', '.join(values)}, got {raw!r}.")
    return cleaned


def parse_filters(params: Mapping[str, Any], *, today: date | None = None) -> ReportFilters:
    """Filters from query parameters or command-line options; InvalidInput names a bad field."""

    def get(key: str) -> str:
        value = params.get(key)
        return "" if value is None else str(value).strip()

    tz = parse_zone(get("tz") or settings.TIME_ZONE)
    today = today or timezone.now().astimezone(tz).date()
    date_to = _date("to", get("to")) if get("to") else today
    date_from = (
        _date("from", get("from"))
        if get("from")
        else date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    )
    if date_from > date_to:
        raise InvalidInput("from", "'from' must not be after 'to'.")
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise InvalidInput("from", f"A report covers at most {MAX_RANGE_DAYS} days.")
    category = _lookup("category", Category, get("category"), "name") if get("category") else None
    return ReportFilters(
        date_from=date_from,
        date_to=date_to,
        tz=tz,
        kind=_choice("kind", get("kind"), TicketKind.values) if get("kind") else "",
        group=_lookup("group", Group, get("group"), "name") if get("group") else None,
        service=_lookup("service", Service, get("service"), "name") if get("service") else None,
        category=category,
        category_ids=frozenset(category.descendant_ids()) if category else frozenset(),
        priority=_choice("priority", get("priority"), Priority.values) if get("priority") else "",
        organization=(
            _lookup("organization", Organization, get("organization"), "name")
            if get("organization")
            else None
        ),
    )


__all__ = ["FILTER_KEYS", "ReportFilters", "parse_filters"]
