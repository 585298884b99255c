"""``notify_people_in_bulk`` writes its rows as values; they must be the rows ``notify_people``
writes through the model, column for column, quotes, newlines and JSON headers included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from itsm.accounts.models import User
from itsm.notifications.actions import PeopleNotice, notify_people, notify_people_in_bulk
from itsm.notifications.models import OutboxMessage
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_add_comment

pytestmark = pytest.mark.django_db

COLUMNS = [f.attname for f in OutboxMessage._meta.concrete_fields if not f.primary_key]


def _rows(ids: list[int]) -> list[dict[str, Any]]:
    return list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk").values(*COLUMNS))


def test_bulk_rows_are_the_rows_notify_people_writes(
    create_ticket: Callable[..., Ticket], requester: User, agent: User, manager: User
) -> None:
    ticket = create_ticket(requester=requester, title='Printer "B2" \\ jammed; it\'s 50 %')
    entry = do_add_comment(ticket, body='Line one\nLine "two"', internal=True, actor=agent)
    now = timezone.now() - timedelta(minutes=3)
    headline = f'{ticket.number}: SLA “P2” reached 75 % — "quoted" \\ text'
    people = [agent, manager, requester]

    expected = notify_people(
        ticket, "sla_warning", people, actor=None, headline=headline, entry=entry, now=now
    )
    before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    written = notify_people_in_bulk(
        [
            PeopleNotice(ticket, "sla_warning", people, headline, entry=entry),
            PeopleNotice(ticket, "sla_breach", [], headline),
            PeopleNotice(ticket, "sla_breach", [manager], headline, details="More."),
        ],
        actor=None,
        now=now,
    )
    ids = list(OutboxMessage.objects.filter(pk__gt=before).values_list("pk", flat=True))

    assert written == len(expected) + 1 == len(ids)
    got = _rows(ids)
    assert got[: len(expected)] == _rows([m.pk for m in expected])
    breach = got[-1]
    assert (breach["event"], breach["recipient_id"], breach["journal_entry_id"]) == (
        "sla_breach",
        manager.pk,
        None,
    )
    assert breach["status"] == "pending"
    assert breach["attempts"] == 0
    assert breach["next_attempt_at"] == breach["created_at"] == now
    assert "More." in breach["body"]


def test_bulk_with_nothing_to_send_writes_nothing(
    create_ticket: Callable[..., Ticket], requester: User
) -> None:
    ticket = create_ticket(requester=requester)
    count = OutboxMessage.objects.count()

    notice = PeopleNotice(ticket, "sla_breach", [], "nobody to tell")
    assert notify_people_in_bulk([notice], actor=None, now=timezone.now()) == 0
    assert OutboxMessage.objects.count() == count
