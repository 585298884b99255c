"""The worker's side of the outbox: claim due messages, send them, record the outcome.

Claiming is a compare-and-set (rows stay claimable only while pending, or while ``sending`` with an
expired lease), and on PostgreSQL the candidate rows are read with ``FOR UPDATE SKIP LOCKED``, so any
number of workers can run without sending a message twice in normal operation. A worker killed
between claiming and recording leaves rows in ``sending``; once their lease expires another worker
claims them again, so nothing is lost (delivery is at least once).
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from itsm.notifications.actions import max_attempts
from itsm.notifications.choices import OutboxStatus
from itsm.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return int(settings.ITSM_OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, 8 … minutes, at most 6 hours."""
    base = int(settings.ITSM_OUTBOX_RETRY_BASE_SECONDS)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _due(now: datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_until__lte=now
    )


def claim_due(*, now: datetime, limit: int) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages for this worker (committed before anything is sent)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        # The due condition again: the update only takes rows nobody claimed meanwhile.
        OutboxMessage.objects.filter(_due(now), pk__in=ids).update(
            status=OutboxStatus.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds()),
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    return list(
        OutboxMessage.objects.filter(claim_token=token, status=OutboxStatus.SENDING)
        .prefetch_related("attachments")
        .order_by("id")
    )


def _is_permanent(exc: Exception) -> bool:
    """An answer that retrying cannot change (unknown mailbox, rejected message)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _record_failure(message: OutboxMessage, exc: Exception, *, now: datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    final = _is_permanent(exc) or message.attempts >= max_attempts()
    logger.warning("Delivery of outbox message %s failed: %s", message.pk, error)
    OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
        status=OutboxStatus.FAILED if final else OutboxStatus.PENDING,
        next_attempt_at=now if final else now + backoff(message.attempts),
        lease_until=None,
        last_error=error,
    )


def _mark_sent(messages: list[OutboxMessage]) -> None:
    """One update for the batch: a worker killed before it leaves the rows ``sending``, and they
    are sent again once their lease expires (delivery is at least once)."""
    if messages:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=OutboxStatus.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
        )


def _email(message: OutboxMessage, mail_connection: object) -> EmailMessage:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers=dict(message.headers),
        connection=mail_connection,
    )
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    return email


def deliver_pending(*, now: datetime, limit: int = 100) -> int:
    """Send one batch of due outbox messages; return how many were sent."""
    return _deliver_batch(now=now, limit=limit)[1]


def drain_outbox(*, now: datetime, batch: int = 100, max_seconds: float = 10.0) -> int:
    """Send due messages batch after batch until none is left or ``max_seconds`` have passed,
    so a burst of tickets does not wait for one batch per worker tick. Called by the worker."""
    deadline = time.monotonic() + max_seconds
    sent = 0
    while True:
        claimed, delivered = _deliver_batch(now=now, limit=batch)
        sent += delivered
        if claimed < batch or time.monotonic() >= deadline:
            return sent


def _deliver_batch(*, now: datetime, limit: int) -> tuple[int, int]:
    """Claim up to ``limit`` due messages and send them: (claimed, sent)."""
    claimed = claim_due(now=now, limit=limit)
    if not claimed:
        return 0, 0
    mail_connection = get_connection(fail_silently=False)
    try:
        mail_connection.open()
    except Exception as exc:  # the server is down: every claimed message waits for its retry
        for message in claimed:
            _record_failure(message, exc, now=now)
        return len(claimed), 0
    sent: list[OutboxMessage] = []
    try:
        for message in claimed:
            try:
                _email(message, mail_connection).send()
            except Exception as exc:  # one bad message must not stop the batch
                _record_failure(message, exc, now=now)
                continue
            sent.append(message)
    finally:
        mail_connection.close()
        _mark_sent(sent)
    return len(claimed), len(sent)
