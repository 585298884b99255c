"""Notifications: a real SMTP server on loopback receives what each person may see; failed
deliveries retry with backoff, stay visible to administrators, and survive a killed worker."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from itsm.accounts.models import User
from itsm.incidents.actions import do_open_incident, do_transition_incident
from itsm.notifications.actions import do_retry_outbox_messages
from itsm.notifications.choices import OutboxStatus
from itsm.notifications.delivery import claim_due, deliver_pending, drain_outbox
from itsm.notifications.models import OutboxMessage
from itsm.tickets.actions import do_add_watcher
from itsm.workflow.actions import do_add_comment, do_assign_ticket

pytestmark = pytest.mark.django_db

WORK_NOTE = "Admin password of the VPN box is hunter2"


class Sink:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, user: User) -> list[email.message.EmailMessage]:
        return [message for rcpts, message in self.mails if user.email in rcpts]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Sink]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://desk.example.test"
    yield sink
    controller.stop()


def _body(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_assignee_requester_and_watchers_get_the_right_mails(
    smtp, requester, other_requester, agent, other_team_agent, service_desk
):
    service_desk.members.add(other_team_agent)
    ticket = do_open_incident(
        title="VPN drops", description="", requester=requester, actor=requester
    )
    do_assign_ticket(ticket, group=None, assignee=agent, actor=other_team_agent)
    do_add_watcher(ticket, user=other_requester, actor=requester)
    do_add_comment(ticket, body="We are on it", internal=False, actor=agent)
    do_add_comment(ticket, body=WORK_NOTE, internal=True, actor=other_team_agent)
    do_transition_incident(ticket, "pending_user", actor=agent, reason="Which client version?")
    do_transition_incident(
        ticket,
        "resolved",
        actor=agent,
        resolution_code="workaround",
        resolution_notes="Use TCP mode",
    )

    sent = deliver_pending(now=timezone.now())

    assert sent == OutboxMessage.objects.count() == len(smtp.mails)
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()
    to_agent = smtp.to(agent)
    assert any("has been assigned to you" in _body(m) for m in to_agent)
    assert any(WORK_NOTE in _body(m) for m in to_agent)
    for person in (requester, other_requester):
        bodies = [_body(m) for m in smtp.to(person)]
        assert any("We are on it" in body for body in bodies)
        assert any("Which client version?" in body for body in bodies)
        assert all(WORK_NOTE not in body for body in bodies)
        assert all("/tickets/" not in body.replace("/portal/tickets/", "") for body in bodies)
    resolved = next(m for m in smtp.to(requester) if "has been resolved" in _body(m))
    assert f"https://desk.example.test/portal/tickets/{ticket.number}/?action=confirm" in _body(
        resolved
    )
    assert "?action=reopen" in _body(resolved)
    for message in smtp.mails:
        rcpts_user = message[1]
        assert rcpts_user["Subject"] == f"[{ticket.number}] VPN drops"
        assert rcpts_user["References"] == f"<{ticket.number}@desk.example.test>"
        assert rcpts_user["In-Reply-To"] == f"<{ticket.number}@desk.example.test>"
        assert rcpts_user["Message-ID"].startswith(f"<{ticket.number}.")
    message_ids = [m["Message-ID"] for _, m in smtp.mails]
    assert len(set(message_ids)) == len(message_ids)
    # The work note's author is not told of it; the group heard of the new incident.
    assert all(WORK_NOTE not in _body(m) for m in smtp.to(other_team_agent))
    assert any("assigned to your group" in _body(m) for m in smtp.to(other_team_agent))


def test_nobody_is_told_of_their_own_change(smtp, requester, agent, service_desk):
    ticket = do_open_incident(title="Mouse", description="", requester=requester, actor=requester)
    do_add_comment(ticket, body="More details", internal=False, actor=requester)

    deliver_pending(now=timezone.now())

    assert smtp.to(requester) == []


def test_failed_deliveries_back_off_then_fail_visibly_and_admins_retry(
    settings, requester, agent, admin_user, service_desk
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    settings.ITSM_OUTBOX_MAX_ATTEMPTS = 3
    ticket = do_open_incident(title="Disk", description="", requester=requester, actor=agent)
    message = OutboxMessage.objects.get(ticket=ticket, recipient=requester)
    now = timezone.now()

    assert deliver_pending(now=now) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.next_attempt_at > now
    assert "Connection refused" in message.last_error or message.last_error
    first_wait = message.next_attempt_at - now
    assert deliver_pending(now=now) == 0  # not due yet
    message.refresh_from_db()
    assert message.attempts == 1

    deliver_pending(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.next_attempt_at - now > first_wait * 2
    deliver_pending(now=message.next_attempt_at)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)

    do_retry_outbox_messages(OutboxMessage.objects.filter(pk=message.pk), actor=admin_user)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)


def test_a_worker_killed_mid_delivery_loses_nothing(smtp, settings, requester, agent, service_desk):
    settings.ITSM_OUTBOX_LEASE_SECONDS = 300
    ticket = do_open_incident(title="Disk", description="", requester=requester, actor=agent)
    now = timezone.now()
    claimed = claim_due(now=now, limit=10)  # the worker dies right after claiming
    total = OutboxMessage.objects.filter(ticket=ticket).count()
    assert len(claimed) == total

    assert deliver_pending(now=now + timedelta(seconds=60)) == 0  # still leased
    assert deliver_pending(now=now + timedelta(seconds=301)) == total

    assert len(smtp.to(requester)) == 1
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()


def test_the_admin_lists_the_outbox_by_status_and_retries(
    client, admin_user, requester, agent, service_desk
):
    ticket = do_open_incident(title="Disk", description="", requester=requester, actor=agent)
    message = OutboxMessage.objects.get(ticket=ticket, recipient=requester)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, attempts=8)
    client.force_login(admin_user)

    listing = client.get("/admin/notifications/outboxmessage/?status__exact=failed")
    assert listing.status_code == 200
    assert message.subject in listing.content.decode()
    response = client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "retry", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING


def _delivery_queries(smtp: Sink, requester: User, incidents: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(incidents):
        ticket = do_open_incident(
            title=f"Printer {index}", description="", requester=requester, actor=requester
        )
        do_add_comment(ticket, body="Any news?", internal=False, actor=requester)
    with CaptureQueriesContext(connection) as queries:
        sent = deliver_pending(now=timezone.now())
    assert sent == OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() > 0
    return len(queries)


def test_a_batch_is_delivered_in_a_constant_number_of_queries(smtp, requester, agent, service_desk):
    service_desk.members.add(agent)
    few = _delivery_queries(smtp, requester, 1)
    OutboxMessage.objects.all().delete()
    many = _delivery_queries(smtp, requester, 6)
    assert many == few
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()


def test_draining_sends_every_due_message_batch_after_batch(smtp, requester, agent, service_desk):
    service_desk.members.add(agent)
    for index in range(3):
        do_open_incident(title=f"Scanner {index}", description="", requester=requester, actor=agent)
    due = OutboxMessage.objects.count()
    assert due > 2

    sent = drain_outbox(now=timezone.now(), batch=2)

    assert sent == due == len(smtp.mails)
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()
