"""Fixtures for the live SLA tests: instants on a known week and readers of stored instances."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from itsm.sla.models import SlaInstance
from itsm.tickets.models import Ticket


def at(text: str) -> datetime:
    """An instant in UTC from ``"2025-03-03 10:00"`` (a Monday; the starter office calendar
    runs 09:00-17:00 Monday to Friday in the test deployment's zone, UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def attached(ticket: Ticket, metric: str) -> SlaInstance:
    """The one attached instance of ``metric`` on the ticket, freshly read."""
    return SlaInstance.objects.select_related("definition").get(
        ticket=ticket, metric=metric, detached_at__isnull=True
    )


@pytest.fixture
def monday() -> datetime:
    return at("2025-03-03 10:00")
