"""Assignment rules (filled in by the incident management work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsm.accounts.models import Group
from itsm.tickets.models import Ticket


@dataclass(frozen=True)
class Routing:
    group: Group | None
    assignee: Any
    rule_name: str


def route_new_ticket(ticket: Ticket) -> Routing:
    """The group (and optionally agent) a new ticket goes to: first matching rule, else the
    Service Desk fallback group."""
    return Routing(
        group=Group.objects.filter(is_service_desk=True).first(), assignee=None, rule_name=""
    )
