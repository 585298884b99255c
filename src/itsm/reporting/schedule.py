"""Scheduled reports: when each runs, which period it covers, and the worker's sweep that mails
the due ones (summary in the body, the XLSX attached) through the outbox.

Weekly reports run on Mondays at 07:00 and cover the previous Monday to Sunday; monthly reports
run on the 1st at 07:00 and cover the previous month (local time of the report's time zone).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from itsm.notifications.actions import enqueue_email
from itsm.notifications.choices import TicketEvent

from .catalog import REPORTS, may_see_reports, run_report
from .exports import XLSX_CONTENT_TYPE, summary_text, to_xlsx
from .filters import parse_zone
from .models import Frequency, ScheduledReport

logger = logging.getLogger(__name__)

RUN_AT = time(7, 0)


def schedule_zone(filters: dict[str, Any]) -> ZoneInfo:
    return parse_zone(str(filters.get("tz") or settings.TIME_ZONE))


def _run_day(frequency: str, after: date) -> date:
    """The first run day strictly after ``after``."""
    if frequency == Frequency.MONTHLY:
        return (after.replace(day=28) + timedelta(days=4)).replace(day=1)
    return after + timedelta(days=7 - after.weekday())


def next_run_after(frequency: str, instant: datetime, zone: ZoneInfo) -> datetime:
    """The next run time strictly after ``instant``."""
    local = instant.astimezone(zone)
    day = local.date()
    today_is_run_day = (frequency == Frequency.MONTHLY and day.day == 1) or (
        frequency == Frequency.WEEKLY and day.weekday() == 0
    )
    if today_is_run_day and local.time() < RUN_AT:
        return datetime.combine(day, RUN_AT, tzinfo=zone)
    return datetime.combine(_run_day(frequency, day), RUN_AT, tzinfo=zone)


def covered_period(frequency: str, run_at: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The whole week or month before the run day."""
    day = run_at.astimezone(zone).date()
    if frequency == Frequency.MONTHLY:
        last = day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    monday = day - timedelta(days=day.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def recipients(schedule: ScheduledReport) -> list[tuple[str, Any]]:
    """(address, user or None) of every recipient, each address once."""
    seen: set[str] = set()
    result: list[tuple[str, Any]] = []
    if schedule.group is not None:
        for member in schedule.group.members.filter(is_active=True).order_by("email"):
            if member.email and member.email.lower() not in seen:
                seen.add(member.email.lower())
                result.append((member.email, member))
    for address in schedule.addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append((address, None))
    return result


def _send(schedule: ScheduledReport, run_at: datetime, now: datetime) -> int:
    zone = schedule_zone(schedule.filters)
    date_from, date_to = covered_period(schedule.frequency, run_at, zone)
    params = {**schedule.filters, "from": date_from.isoformat(), "to": date_to.isoformat()}
    report = run_report(schedule.report, schedule.owner, params, now=now, refresh=False)
    workbook = to_xlsx(report)
    filename = f"{schedule.report}-{date_from.isoformat()}-{date_to.isoformat()}.xlsx"
    subject = f"[Report] {schedule.name}: {date_from.isoformat()} to {date_to.isoformat()}"
    body = summary_text(report)
    for address, user in recipients(schedule):
        enqueue_email(
            to_email=address,
            subject=subject,
            body=body,
            event=TicketEvent.SCHEDULED_REPORT,
            recipient=user,
            attachments=[(filename, XLSX_CONTENT_TYPE, workbook)],
            now=now,
        )
    return 1


def _claim_and_send(schedule_id: int, now: datetime) -> int:
    schedule = ScheduledReport.objects.select_related("owner", "group").get(pk=schedule_id)
    run_at = schedule.next_run_at
    following = next_run_after(
        schedule.frequency, max(run_at, now), schedule_zone(schedule.filters)
    )
    # Compare-and-set: only the worker whose update moves next_run_at on sends this run.
    claimed = ScheduledReport.objects.filter(
        pk=schedule.pk, next_run_at=run_at, is_active=True
    ).update(next_run_at=following, last_sent_at=now)
    if not claimed:
        return 0
    if not may_see_reports(schedule.owner) or schedule.report not in REPORTS:
        logger.warning(
            "Scheduled report %s skipped: its owner may no longer see reports", schedule.pk
        )
        return 0
    return _send(schedule, run_at, now)


def send_due_reports(*, now: datetime | None = None) -> int:
    """Mail every scheduled report that is due; returns how many were sent. Called by the worker."""
    now = now or timezone.now()
    from .facts import refresh_report_facts

    due = list(
        ScheduledReport.objects.filter(is_active=True, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", flat=True)[:50]
    )
    if not due:
        return 0
    refresh_report_facts(now=now)
    sent = 0
    for schedule_id in due:
        try:
            with transaction.atomic():
                sent += _claim_and_send(schedule_id, now)
        except Exception:  # one broken subscription must not stop the others
            logger.exception("Scheduled report %s failed; it is tried again next run", schedule_id)
    return sent
