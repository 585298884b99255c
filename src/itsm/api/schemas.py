"""Schemas of the API's answers and requests."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class PersonOut(Schema):
    id: int
    full_name: str
    email: str


class TicketOut(Schema):
    number: str
    kind: str
    title: str
    description: str
    state: str
    state_display: str
    impact: str
    urgency: str
    priority: str
    category: str | None
    service: str | None
    configuration_item: str | None
    requester: PersonOut
    assignment_group: str | None
    assignee: PersonOut | None
    channel: str
    opened_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str
    resolution_notes: str
    sla_due_at: datetime | None
    version: int
