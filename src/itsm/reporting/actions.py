"""Writes of the reporting engine: managers subscribe groups and addresses to reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.core.errors import InvalidInput, PermissionDenied

from .catalog import REPORTS, report_spec
from .filters import FILTER_KEYS, parse_filters
from .models import Frequency, ScheduledReport
from .schedule import next_run_after, schedule_zone

MAX_ADDRESSES = 50


def _clean_addresses(addresses: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in addresses:
        address = raw.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput("addresses", f"Not an email address: {address!r}.") from None
        if address.lower() not in {a.lower() for a in cleaned}:
            cleaned.append(address)
    if len(cleaned) > MAX_ADDRESSES:
        raise InvalidInput("addresses", f"At most {MAX_ADDRESSES} addresses.")
    return cleaned


def _clean_filters(report: str, filters: Mapping[str, Any]) -> dict[str, str]:
    """Keep the common filters (without the date range, which the schedule sets) and the
    report's own parameters; validate them by parsing."""
    spec = report_spec(report)
    allowed = (set(FILTER_KEYS) - {"from", "to"}) | {p.name for p in spec.params if p.options}
    cleaned = {
        k: str(v).strip() for k, v in filters.items() if k in allowed and str(v or "").strip()
    }
    parse_filters(cleaned)
    for param in spec.params:
        if param.name in cleaned and param.options and cleaned[param.name] not in param.options:
            raise InvalidInput(
                param.name, f"{param.label} must be one of {', '.join(param.options)}."
            )
    return cleaned


@transaction.atomic
def do_save_scheduled_report(
    schedule: ScheduledReport | None,
    *,
    actor: User,
    name: str,
    report: str,
    filters: Mapping[str, Any],
    frequency: str,
    group: Group | None,
    addresses: Iterable[str],
    is_active: bool = True,
    now: datetime | None = None,
) -> ScheduledReport:
    """Create or change a subscription; the next run is computed from now."""
    now = now or timezone.now()
    if not actor.is_manager:
        raise PermissionDenied("Only managers schedule reports.")
    if schedule is not None and schedule.owner_id != actor.pk and not actor.is_admin:
        raise PermissionDenied("Only its owner (or an administrator) changes this subscription.")
    if report not in REPORTS:
        raise InvalidInput("report", f"No report {report!r}.")
    if frequency not in Frequency.values:
        raise InvalidInput("frequency", f"Frequency must be one of {', '.join(Frequency.values)}.")
    title = name.strip()
    if not title:
        raise InvalidInput("name", "Give the subscription a title.")
    cleaned_filters = _clean_filters(report, filters)
    cleaned_addresses = _clean_addresses(addresses)
    if group is None and not cleaned_addresses:
        raise InvalidInput("addresses", "Choose a group or give at least one address.")
    schedule = schedule or ScheduledReport(owner=actor)
    schedule.name = title[:200]
    schedule.report = report
    schedule.filters = cleaned_filters
    schedule.frequency = frequency
    schedule.group = group
    schedule.addresses = cleaned_addresses
    schedule.is_active = is_active
    schedule.next_run_at = next_run_after(frequency, now, schedule_zone(cleaned_filters))
    schedule.save()
    return schedule


@transaction.atomic
def do_delete_scheduled_report(schedule: ScheduledReport, *, actor: User) -> None:
    if not actor.is_manager or (schedule.owner_id != actor.pk and not actor.is_admin):
        raise PermissionDenied("Only its owner (or an administrator) deletes this subscription.")
    schedule.delete()
