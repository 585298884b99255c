"""Service Level Management data: business calendars, SLA/OLA definitions, and the SLA instances
of live tickets (their stored timers, for indexing and sweeping).

Timers are a pure function of (calendar, definition, the ticket's journal): the instance columns
are a cache the actions and the sweeper keep current, never a source of truth.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel
from itsm.sla.engine import (
    WEEKDAYS,
    Calendar,
    Metric,
    PriorityChangePolicy,
    ReopenPolicy,
    Window,
    holiday_dates,
    load_zone,
    parse_clock_time,
)
from itsm.sla.engine import (
    SlaDefinition as EngineDefinition,
)
from itsm.taxonomy.choices import Priority, TicketKind
from itsm.tickets.choices import TicketState

#: Years of public holidays loaded around the current year (tickets older than that are rare).
HOLIDAY_YEARS_BEFORE = 3
HOLIDAY_YEARS_AFTER = 3
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarMode(models.TextChoices):
    WEEKLY = "weekly", _("Weekly working hours")
    ALWAYS = "24x7", _("24x7 (always open)")


class MetricChoice(models.TextChoices):
    RESPONSE = Metric.RESPONSE.value, _("Response (time to first response)")
    RESOLUTION = Metric.RESOLUTION.value, _("Resolution (time to resolve)")


class PriorityChangeChoice(models.TextChoices):
    RETARGET = (
        PriorityChangePolicy.RETARGET_KEEP_ELAPSED.value,
        _("Keep elapsed time, swap the target"),
    )
    RESTART = PriorityChangePolicy.RESTART.value, _("Restart the clock (new cycle)")


class ReopenChoice(models.TextChoices):
    RESUME = ReopenPolicy.RESUME.value, _("Resume the same clock")
    NEW_CYCLE = ReopenPolicy.NEW_CYCLE.value, _("Start a new cycle")


class StartChoice(models.TextChoices):
    OPENED = "opened", _("When the ticket was logged (retroactive)")
    MATCHED = "matched", _("When the ticket came to match (e.g. reached the group)")


class ClockStateChoice(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


def weekly_default() -> dict[str, list[list[str]]]:
    days = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
    return {**days, "sat": [], "sun": []}


def default_pause_states() -> list[str]:
    return [TicketState.PENDING_USER, TicketState.WAITING_FOR_VENDOR, TicketState.ON_HOLD]


def default_stop_states() -> list[str]:
    return [TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED]


def default_thresholds() -> list[int]:
    return [50, 75]


def parse_weekly(value: Any) -> dict[str, list[tuple[str, str]]]:
    """Weekly windows ``{"mon": [["09:00", "17:00"]], ...}``; ValidationError names the day."""
    if not isinstance(value, dict):
        raise ValidationError(_("Map weekdays (mon … sun) to lists of [start, end] times."))
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValidationError(f"Unknown weekday(s): {', '.join(unknown)}; use mon … sun.")
    parsed: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        spans = value.get(day, [])
        if not isinstance(spans, list):
            raise ValidationError(f"{day}: a list of [start, end] pairs.")
        parsed[day] = []
        for span in spans:
            if (
                not isinstance(span, list | tuple)
                or len(span) != 2
                or not all(isinstance(t, str) for t in span)
            ):
                raise ValidationError(f'{day}: each window is ["HH:MM", "HH:MM"], got {span!r}.')
            try:
                parse_clock_time(span[0])
                parse_clock_time(span[1])
                Window.parse(span[0], span[1])
            except ValueError as exc:
                raise ValidationError(f"{day}: {exc}.") from exc
            parsed[day].append((span[0], span[1]))
    if not any(
        parse_clock_time(a) < parse_clock_time(b) for spans in parsed.values() for a, b in spans
    ):
        raise ValidationError(_("A weekly calendar needs at least one non-empty window."))
    return parsed


def parse_holiday_list(value: Any) -> list[date]:
    if not isinstance(value, list):
        raise ValidationError(_('A list of dates, e.g. ["2025-12-24", "2025-12-31"].'))
    dates = []
    for item in value:
        if not isinstance(item, str) or not _DATE.fullmatch(item):
            raise ValidationError(f"Not a date (YYYY-MM-DD): {item!r}.")
        try:
            dates.append(date.fromisoformat(item))
        except ValueError as exc:
            raise ValidationError(f"Not a date: {item!r} ({exc}).") from exc
    return dates


# Engine calendars per (pk, updated_at, year): building one loads holidays, so it is cached.
_CALENDAR_CACHE: OrderedDict[tuple[int, datetime, int], Calendar] = OrderedDict()
_CALENDAR_CACHE_SIZE = 64


class BusinessCalendar(TimeStampedModel):
    """A business calendar (service hours): weekly working windows in local time of an IANA time
    zone, minus public holidays of a country (and subdivision) and custom closing days; or 24x7."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    tz = models.CharField(
        _("time zone"), max_length=64, default="UTC", help_text=_("IANA name, e.g. Europe/Berlin.")
    )
    mode = models.CharField(
        _("mode"), max_length=10, choices=CalendarMode.choices, default=CalendarMode.WEEKLY
    )
    weekly = models.JSONField(
        _("weekly working hours"),
        default=weekly_default,
        blank=True,
        help_text=_(
            'Local times per weekday, several windows allowed: {"mon": [["08:00", "12:00"], '
            '["13:00", "17:00"]], …, "sun": []}. "24:00" ends a day.'
        ),
    )
    country = models.CharField(
        _("public holidays of country"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 code (DE, US, GB …); empty for none."),
    )
    subdivision = models.CharField(
        _("subdivision"),
        max_length=10,
        blank=True,
        help_text=_("State or region code for regional holidays (BY, CA …)."),
    )
    custom_holidays = models.JSONField(
        _("custom closing days"),
        default=list,
        blank=True,
        help_text=_('Extra whole days closed, e.g. ["2025-12-24", "2025-12-31"].'),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            load_zone(self.tz)
        except ValueError:
            errors["tz"] = f"Unknown time zone {self.tz!r}; use an IANA name like Europe/Berlin."
        if self.mode == CalendarMode.WEEKLY:
            try:
                parse_weekly(self.weekly)
            except ValidationError as exc:
                errors["weekly"] = exc.messages
        try:
            parse_holiday_list(self.custom_holidays)
        except ValidationError as exc:
            errors["custom_holidays"] = exc.messages
        if self.subdivision and not self.country:
            errors["subdivision"] = "A subdivision needs a country."
        if self.country:
            self.country = self.country.upper()
            try:
                holiday_dates(self.country, self.subdivision or None, [timezone.now().year])
            except ValueError as exc:
                errors["country" if not self.subdivision else "subdivision"] = str(exc)
        if errors:
            raise ValidationError(errors)

    def to_engine(self, *, year: int | None = None) -> Calendar:
        """The engine calendar (holidays of the years around ``year``), cached per edit."""
        year = year or timezone.now().year
        key = (self.pk or 0, self.updated_at, year)
        cached = _CALENDAR_CACHE.get(key) if self.pk else None
        if cached is not None:
            _CALENDAR_CACHE.move_to_end(key)
            return cached
        calendar = self._build(year)
        if self.pk:
            _CALENDAR_CACHE[key] = calendar
            if len(_CALENDAR_CACHE) > _CALENDAR_CACHE_SIZE:
                _CALENDAR_CACHE.popitem(last=False)
        return calendar

    def _build(self, year: int) -> Calendar:
        if self.mode == CalendarMode.ALWAYS:
            return Calendar.always_open(self.tz)
        holidays = set(parse_holiday_list(self.custom_holidays))
        if self.country:
            years = range(year - HOLIDAY_YEARS_BEFORE, year + HOLIDAY_YEARS_AFTER + 1)
            holidays |= holiday_dates(self.country, self.subdivision or None, years)
        return Calendar.from_weekly(self.tz, parse_weekly(self.weekly), holidays)


def _check_states(value: Any) -> None:
    if not isinstance(value, list) or any(v not in TicketState.values for v in value):
        raise ValidationError(
            _("A list of states out of %(s)s."), params={"s": ", ".join(TicketState.values)}
        )


def _check_kinds(value: Any) -> None:
    if not isinstance(value, list) or any(v not in TicketKind.values for v in value):
        raise ValidationError(
            _("A list of ticket kinds out of %(k)s."), params={"k": ", ".join(TicketKind.values)}
        )


def _check_priorities(value: Any) -> None:
    if not isinstance(value, list) or any(v not in Priority.values for v in value):
        raise ValidationError(
            _("A list of priorities out of %(p)s."), params={"p": ", ".join(Priority.values)}
        )


def _check_targets(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValidationError(_('Minutes per priority, e.g. {"P1": 240, "P2": 480, …}.'))
    missing = [p for p in Priority.values if p not in value]
    unknown = sorted(set(value) - set(Priority.values))
    if missing or unknown:
        raise ValidationError(
            f"Give a target for each of {', '.join(Priority.values)}"
            + (f" (missing {', '.join(missing)})" if missing else "")
            + (f" (unknown {', '.join(unknown)})" if unknown else "")
            + "."
        )
    for priority, minutes in value.items():
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
            raise ValidationError(f"{priority}: a positive number of minutes, got {minutes!r}.")


def _check_thresholds(value: Any) -> None:
    if (
        not isinstance(value, list)
        or len(value) > 2
        or any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 100 for v in value)
        or value != sorted(set(value))
    ):
        raise ValidationError(
            _("Up to two ascending whole percentages between 1 and 99, e.g. [50, 75].")
        )


class SlaDefinition(TimeStampedModel):
    """A service level target (SLA with the customer, or OLA with an assignment group): what it
    measures, the targets per priority, its calendar, what pauses and stops the clock, and which
    tickets it applies to (every condition that is set must hold; empty ones match anything)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    metric = models.CharField(_("metric"), max_length=20, choices=MetricChoice.choices)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        related_name="definitions",
    )
    targets_minutes = models.JSONField(
        _("targets (business minutes per priority)"),
        validators=[_check_targets],
        help_text=_('Every priority: {"P1": 240, "P2": 480, "P3": 1440, "P4": 2400, "P5": 4800}.'),
    )
    pause_states = models.JSONField(
        _("pause states"),
        default=list,
        blank=True,
        validators=[_check_states],
        help_text=_(
            "States that pause the clock; resolution SLAs usually pause in pending_user, "
            "waiting_for_vendor and on_hold, response SLAs do not pause."
        ),
    )
    stop_states = models.JSONField(
        _("stop states"),
        default=default_stop_states,
        blank=True,
        validators=[_check_states],
        help_text=_("States that stop the clock (Cancelled always stops it)."),
    )
    stop_on_first_response = models.BooleanField(
        _("stop at the first public agent response"),
        default=False,
        help_text=_("Always on for response SLAs."),
    )
    priority_change = models.CharField(
        _("on priority change"),
        max_length=30,
        choices=PriorityChangeChoice.choices,
        default=PriorityChangeChoice.RETARGET,
    )
    reopen = models.CharField(
        _("on reopen"), max_length=20, choices=ReopenChoice.choices, default=ReopenChoice.RESUME
    )
    warning_thresholds = models.JSONField(
        _("warning thresholds (%)"),
        default=default_thresholds,
        blank=True,
        validators=[_check_thresholds],
        help_text=_("Up to two, e.g. [50, 75]: the first warns, the second marks 'at risk'."),
    )
    start = models.CharField(
        _("clock starts"),
        max_length=10,
        choices=StartChoice.choices,
        default=StartChoice.OPENED,
        help_text=_("OLAs usually start when the ticket reaches the group."),
    )
    kinds = models.JSONField(_("ticket kinds"), default=list, blank=True, validators=[_check_kinds])
    priorities = models.JSONField(
        _("priorities"), default=list, blank=True, validators=[_check_priorities]
    )
    services = models.ManyToManyField(
        "cmdb.Service", verbose_name=_("services"), blank=True, related_name="+"
    )
    categories = models.ManyToManyField(
        "taxonomy.Category",
        verbose_name=_("categories (and their subcategories)"),
        blank=True,
        related_name="+",
    )
    organizations = models.ManyToManyField(
        "accounts.Organization", verbose_name=_("organisations"), blank=True, related_name="+"
    )
    assignment_groups = models.ManyToManyField(
        "accounts.Group",
        verbose_name=_("assignment groups (OLA)"),
        blank=True,
        related_name="+",
        help_text=_("Set for an operational level agreement with these resolver groups."),
    )

    class Meta:
        ordering = ["metric", "name"]
        verbose_name = _("SLA definition")
        indexes = [models.Index(fields=["is_active", "metric"], name="sla_definition_active_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        overlap = set(self.pause_states or []) & set(self.stop_states or [])
        if overlap:
            raise ValidationError(
                {
                    "stop_states": f"A state cannot both pause and stop: {', '.join(sorted(overlap))}."
                }
            )

    def to_engine(self) -> EngineDefinition:
        """The engine's definition (state slugs as the engine's state names)."""
        stops = {*self.stop_states, TicketState.CANCELLED}
        return EngineDefinition(
            metric=Metric(self.metric),
            targets_minutes={str(p): float(m) for p, m in self.targets_minutes.items()},
            pause_states=frozenset(str(s) for s in self.pause_states),
            stop_states=frozenset(str(s) for s in stops),
            stop_events=frozenset({"first_response"} if self.stop_on_first_response else ()),
            priority_change=PriorityChangePolicy(self.priority_change),
            reopen=ReopenPolicy(self.reopen),
            warning_thresholds=tuple(int(p) for p in self.warning_thresholds),
        )


#: Instances a sweeper or a queue looks at: attached to their ticket and not stopped.
OPEN_INSTANCE_Q = Q(detached_at__isnull=True) & ~Q(clock_state=ClockStateChoice.STOPPED)


class SlaInstance(models.Model):
    """One SLA definition measured on one ticket: the stored figures of its current cycle.

    ``next_event_at`` is the earliest warning or breach instant not yet fired; the sweeper selects
    on it through a partial index. ``*_fired_at`` are compare-and-set marks: a threshold fires when
    an UPDATE … WHERE <mark> IS NULL changes one row, so it fires once however many workers run.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_instances"
    )
    definition = models.ForeignKey(
        SlaDefinition, on_delete=models.PROTECT, related_name="instances"
    )
    metric = models.CharField(_("metric"), max_length=20, choices=MetricChoice.choices)
    clock_state = models.CharField(
        _("clock"), max_length=10, choices=ClockStateChoice.choices, default="running"
    )
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    target_minutes = models.FloatField(_("target (business minutes)"))
    elapsed_seconds = models.FloatField(_("elapsed business seconds"), default=0)
    started_at = models.DateTimeField(_("started"))
    cycle = models.PositiveSmallIntegerField(
        _("cycle"), default=0, help_text=_("0 for the first; +1 per reopen or restart.")
    )
    cycle_started_at = models.DateTimeField(_("cycle started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("first warning"), null=True, blank=True)
    risk_at = models.DateTimeField(_("second warning (at risk)"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    next_event_at = models.DateTimeField(_("next threshold"), null=True, blank=True)
    warn_fired_at = models.DateTimeField(null=True, blank=True, editable=False)
    risk_fired_at = models.DateTimeField(null=True, blank=True, editable=False)
    breach_fired_at = models.DateTimeField(null=True, blank=True, editable=False)
    detached_at = models.DateTimeField(
        _("no longer applies since"),
        null=True,
        blank=True,
        help_text=_("The ticket stopped matching the definition; the figures are kept as of then."),
    )
    computed_at = models.DateTimeField(_("computed"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["ticket", "metric", "id"]
        verbose_name = _("SLA instance")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "definition"],
                condition=Q(detached_at__isnull=True),
                name="sla_instance_one_attached",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_event_at", "id"],
                condition=OPEN_INSTANCE_Q,
                name="sla_instance_due_idx",
            ),
            models.Index(
                fields=["definition"], condition=OPEN_INSTANCE_Q, name="sla_instance_open_def_idx"
            ),
            models.Index(fields=["breached_at"], name="sla_instance_breached_idx"),
            models.Index(fields=["stopped_at"], name="sla_instance_stopped_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} on {self.ticket_id}"

    @property
    def is_attached(self) -> bool:
        return self.detached_at is None
