"""Scheduled reports: managers subscribe, the worker's sweep mails each due report once (summary
in the body, the XLSX attached) through the outbox, and the real SMTP delivery carries it."""

from __future__ import annotations

import email
import email.policy
import io
import socket
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from itsm.core.errors import InvalidInput, PermissionDenied
from itsm.notifications.delivery import deliver_pending
from itsm.notifications.models import OutboxMessage
from itsm.reporting.actions import do_save_scheduled_report
from itsm.reporting.models import ScheduledReport
from itsm.reporting.schedule import covered_period, next_run_after, send_due_reports
from tests.conftest import PASSWORD
from tests.reports.conftest import BERLIN, Week

pytestmark = pytest.mark.django_db

SUBSCRIBED = datetime(2025, 3, 26, 15, 0, tzinfo=BERLIN)
MONDAY_RUN = datetime(2025, 3, 31, 7, 0, tzinfo=BERLIN)


class Sink:
    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Sink]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


def test_run_times_and_periods() -> None:
    assert next_run_after("weekly", SUBSCRIBED, BERLIN) == MONDAY_RUN
    assert next_run_after("weekly", MONDAY_RUN, BERLIN) == datetime(2025, 4, 7, 7, 0, tzinfo=BERLIN)
    assert next_run_after("monthly", SUBSCRIBED, BERLIN) == datetime(
        2025, 4, 1, 7, 0, tzinfo=BERLIN
    )
    assert covered_period("weekly", MONDAY_RUN, BERLIN) == (
        date(2025, 3, 24),
        date(2025, 3, 30),
    )
    assert covered_period("monthly", datetime(2025, 4, 1, 7, 0, tzinfo=BERLIN), BERLIN) == (
        date(2025, 3, 1),
        date(2025, 3, 31),
    )


def test_due_report_is_mailed_once_with_the_xlsx(week: Week, smtp: Sink) -> None:
    schedule = do_save_scheduled_report(
        None,
        actor=week.manager,
        name="Weekly SLA review",
        report="sla_compliance",
        filters={"tz": "Europe/Berlin", "by": "priority"},
        frequency="weekly",
        group=week.sd,
        addresses=["cio@example.test", "CIO@example.test", " "],
        now=SUBSCRIBED,
    )
    assert schedule.next_run_at == MONDAY_RUN
    assert schedule.addresses == ["cio@example.test"]
    assert send_due_reports(now=datetime(2025, 3, 31, 6, 59, tzinfo=BERLIN)) == 0
    assert send_due_reports(now=MONDAY_RUN) == 1
    assert send_due_reports(now=MONDAY_RUN) == 0  # claimed: a second worker sends nothing
    messages = OutboxMessage.objects.filter(event="scheduled_report").order_by("to_email")
    # Service Desk members (Alice, Maria) and the address, each once.
    assert sorted(m.to_email for m in messages) == sorted(
        ["alice.agent@example.test", "maria.manager@example.test", "cio@example.test"]
    )
    schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2025, 4, 7, 7, 0, tzinfo=BERLIN)
    assert schedule.last_sent_at == MONDAY_RUN

    assert deliver_pending(now=MONDAY_RUN) == 3
    mail = smtp.mails[0]
    assert mail["Subject"] == "[Report] Weekly SLA review: 2025-03-24 to 2025-03-30"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Response SLA compliance %: 66.67" in body
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "sla_compliance-2025-03-24-2025-03-30.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[:4] == ["Priority", "Response met", "Response breached", "Response compliance %"]


def test_subscriptions_are_for_managers_with_recipients(week: Week) -> None:
    with pytest.raises(PermissionDenied):
        do_save_scheduled_report(
            None,
            actor=week.alice,
            name="x",
            report="volume",
            filters={},
            frequency="weekly",
            group=week.sd,
            addresses=[],
        )
    with pytest.raises(InvalidInput) as caught:
        do_save_scheduled_report(
            None,
            actor=week.manager,
            name="x",
            report="volume",
            filters={},
            frequency="weekly",
            group=None,
            addresses=["not an address"],
        )
    assert caught.value.field == "addresses"
    with pytest.raises(InvalidInput) as caught:
        do_save_scheduled_report(
            None,
            actor=week.manager,
            name="x",
            report="volume",
            filters={"priority": "P9"},
            frequency="weekly",
            group=week.sd,
            addresses=[],
        )
    assert caught.value.field == "priority"


def test_manager_subscribes_on_the_page(week: Week) -> None:
    client = Client()
    assert client.login(email=week.manager.email, password=PASSWORD)
    response = client.post(
        reverse("reports:schedule_new"),
        {
            "name": "Monthly volume",
            "report": "volume",
            "frequency": "monthly",
            "group": str(week.network.pk),
            "addresses": "boss@example.test\n",
            "priority_filter": "P1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    schedule = ScheduledReport.objects.get(name="Monthly volume")
    assert schedule.filters == {"priority": "P1"}
    assert schedule.owner == week.manager
    listing = client.get(reverse("reports:schedules"))
    assert "Monthly volume" in listing.content.decode()
    bad = client.post(
        reverse("reports:schedule_new"),
        {"name": "Nobody", "report": "volume", "frequency": "weekly", "addresses": ""},
    )
    assert bad.status_code == 422
    assert "Choose a group" in bad.content.decode()
