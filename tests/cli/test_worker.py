"""The worker runs every periodic job; one pass delivers what actions put in the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from itsm.accounts.actions import do_create_user
from itsm.accounts.choices import Role
from itsm.cli.management.commands import worker
from itsm.incidents.actions import do_resolve_incident
from itsm.notifications.choices import OutboxStatus
from itsm.notifications.models import OutboxMessage
from itsm.rules.models import EscalationFiring, EscalationRule
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


def test_a_long_escalation_backlog_does_not_keep_the_outbox_waiting(
    create_ticket, requester, service_desk, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(worker, "ESCALATIONS_PER_PASS", 2)
    manager = do_create_user(email="mona@example.test", full_name="Mona Manager", role=Role.AGENT)
    service_desk.manager = manager
    service_desk.save()
    EscalationRule.objects.create(
        name="Not resolved in an hour",
        trigger="not_resolved_within",
        thresholds_minutes=[60],
        notify_managers=True,
    )
    hours_ago = timezone.now() - timedelta(hours=3)
    for _ in range(5):
        create_ticket(requester=requester, now=hours_ago)
    jobs = worker.periodic_jobs()
    escalations = next(job for job in jobs if job.name == "escalations")

    # One round: the sweep does its bounded pass, then the outbox goes out in the same round.
    worker.run_round(jobs, clock=1e9, every_job=False)

    assert EscalationFiring.objects.count() == 2
    assert escalations.behind
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    assert sum(message.to == [manager.email] for message in mail.outbox) == 2

    # --once does everything that is due, a bounded pass at a time.
    call_command("worker", "--once")
    assert EscalationFiring.objects.count() == 5
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    assert sum(message.to == [manager.email] for message in mail.outbox) == 5
