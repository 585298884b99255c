"""Schemas of the API's answers and requests. Requests forbid unknown fields: a typo is a 422,
not a silently ignored change."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool


class RequestSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PersonOut(Schema):
    id: int
    full_name: str
    email: str


class GroupOut(Schema):
    id: int
    name: str


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
    assignment_group: GroupOut | None
    assignee: PersonOut | None
    channel: str
    opened_at: datetime
    updated_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str
    resolution_notes: str
    sla_due_at: datetime | None
    version: int = Field(description='Changes on every write; the ETag is W/"<version>".')


class TicketPage(Schema):
    items: list[TicketOut]
    next: str | None = Field(description="URL of the next page; null on the last page.")
    next_cursor: str | None


class TicketEditIn(RequestSchema):
    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=100_000)


class TransitionIn(RequestSchema):
    to: str = Field(
        max_length=50, description="Target state: slug (in_progress) or name (In Progress)."
    )
    reason: str = Field("", max_length=10_000)
    resolution_code: str = Field("", max_length=30)
    resolution_notes: str = Field("", max_length=100_000)


class TransitionOut(Schema):
    name: str
    to: str
    to_display: str
    requires: list[str]


class AssignmentIn(RequestSchema):
    group: int | str | None = Field(
        None, description="Assignment group id or name; null keeps the ticket's group."
    )
    assignee: int | str | None = Field(
        None, description="Agent id, email or 'me'; null leaves the ticket unassigned."
    )


class CommentIn(RequestSchema):
    body: str = Field(max_length=100_000)
    internal: StrictBool = Field(
        False, description="An internal work note (agents only); never shown to requesters."
    )


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    internal: bool
    uploaded_by: PersonOut | None
    created_at: datetime
    download_url: str


class AttachmentPage(Schema):
    items: list[AttachmentOut]
    next: str | None
    next_cursor: str | None


class JournalEntryOut(Schema):
    id: int
    type: str
    type_display: str
    actor: PersonOut | None
    created_at: datetime
    internal: bool
    field: str
    old_value: str
    new_value: str
    body: str
    version: int
    attachments: list[AttachmentOut]


class JournalPage(Schema):
    items: list[JournalEntryOut]
    next: str | None
    next_cursor: str | None


class WatcherIn(RequestSchema):
    user: int | str = Field(description="User id, email or 'me'.")


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    role_display: str
    is_agent: bool
    is_manager: bool
    is_admin: bool
    organization: str | None
    groups: list[GroupOut]
