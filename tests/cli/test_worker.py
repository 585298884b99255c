"""The worker runs every periodic job; one pass delivers what actions put in the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from itsm.incidents.actions import do_resolve_incident
from itsm.notifications.choices import OutboxStatus
from itsm.notifications.models import OutboxMessage
from itsm.workflow.actions import do_assign_ticket

pytestmark = pytest.mark.django_db


def test_one_pass_delivers_the_outbox_and_closes_old_resolved_incidents(
    create_ticket, requester, agent, service_desk, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    long_ago = timezone.now() - timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS + 2)
    ticket = create_ticket(requester=requester, now=long_ago)
    do_assign_ticket(ticket, group=service_desk, assignee=agent, actor=None, now=long_ago)
    do_resolve_incident(
        ticket,
        resolution_code="workaround",
        resolution_notes="Cleared the print queue.",
        actor=agent,
        now=long_ago,
    )
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()

    call_command("worker", "--once")
    call_command("worker", "--once")  # the closure notice written by the first pass goes out

    ticket.refresh_from_db()
    assert ticket.state == "closed"
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    recipients = {address for message in mail.outbox for address in message.to}
    assert {agent.email, requester.email} <= recipients
