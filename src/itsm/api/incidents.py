"""Incident Management endpoints: log, read, edit, move along the lifecycle, major incidents."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from itsm.api.concurrency import expected_version, not_modified, with_etag
from itsm.api.idempotency import idempotent
from itsm.api.lookups import _as_id, clean_text, find_group, find_user, ticket_for
from itsm.api.problems import problems
from itsm.api.responses import answer
from itsm.api.schemas import PersonOut, TicketOut, TransitionIn, TransitionOut
from itsm.api.serializers import person_out, ticket_out, transitions_out
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.errors import ActionError, InvalidInput, NotFound, PermissionDenied
from itsm.core.stamps import StampedCache, rows_by_id
from itsm.incidents.actions import (
    do_attach_to_major_incident,
    do_flag_major_incident,
    do_open_incident,
    do_propose_major_incident,
    do_transition_incident,
    do_update_incident,
    hold_reason_of,
)
from itsm.incidents.models import Incident
from itsm.taxonomy.choices import Impact, Priority, TicketKind, Urgency
from itsm.taxonomy.models import Category
from itsm.tickets.choices import Channel
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import user_can_see_ticket

router = Router()


class PreconditionRequired(ActionError):
    status = 428
    title = "Precondition required"


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class IncidentIn(_In):
    """What logging an incident takes. Impact and urgency give the priority through the matrix."""

    title: str = Field(min_length=1, max_length=300, examples=["VPN drops every 10 minutes"])
    description: str = Field("", max_length=100_000, examples=["Since this morning, on Wi-Fi."])
    impact: Impact = Field(Impact.MEDIUM, description="high, medium or low")
    urgency: Urgency = Field(Urgency.MEDIUM, description="high, medium or low")
    category: int | str | None = Field(None, description="Category id or name", examples=[3])
    service: int | str | None = Field(None, description="Service id or name", examples=["VPN"])
    configuration_item: int | str | None = Field(
        None, description="Configuration item id or name; sets the service when none is given"
    )
    requester: int | str | None = Field(
        None, description="Requester id or email (agents only; default: you)"
    )
    channel: Channel = Field(Channel.API, description="How the incident reached the desk")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "title": "VPN drops every 10 minutes",
                "description": "Since this morning, on Wi-Fi and cable.",
                "impact": "medium",
                "urgency": "high",
                "service": "VPN",
                "channel": "phone",
                "requester": "rita.requester@example.test",
            }
        },
    )


class IncidentPatchIn(_In):
    """Fields to change; omitted fields stay, ``null`` clears where that is allowed.
    Changing the priority outside the matrix needs a manager and a ``priority_reason``."""

    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=100_000)
    impact: Impact | None = None
    urgency: Urgency | None = None
    category: int | str | None = None
    service: int | str | None = None
    configuration_item: int | str | None = None
    priority: Priority | None = None
    priority_reason: str = Field("", max_length=10_000)
    assignment_group: int | str | None = None
    assignee: int | str | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"priority": "P1", "priority_reason": "Payroll run due at noon"}
        },
    )


class IncidentOut(TicketOut):
    hold_reason: str = Field(description="Why it waits, while Pending User/Vendor or On Hold")
    is_major: bool
    is_major_candidate: bool
    major_incident_manager: PersonOut | None
    major_incident: str | None = Field(description="The major incident this one is attached to")
    child_incidents: list[str] = Field(description="Incidents attached to this major incident")


class MajorIncidentIn(_In):
    manager: int | str = Field(description="The major incident manager: id, email or 'me'")
    reason: str = Field(min_length=1, max_length=10_000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"manager": "me", "reason": "Payroll down for all staff"}},
    )


class MajorCandidateIn(_In):
    reason: str = Field(min_length=1, max_length=10_000, examples=["40 calls in 10 minutes"])


class ChildIn(_In):
    child: str = Field(max_length=20, description="Number of the incident to attach")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"child": "INC0000042"}}
    )


def _incident_ticket(user: Any, number: str) -> Ticket:
    ticket = ticket_for(user, number)
    if ticket.kind != TicketKind.INCIDENT:
        raise InvalidInput("number", f"{ticket.number} is not an incident.")
    return ticket


def incident_out(ticket: Ticket, *, opened: Incident | None = None) -> IncidentOut:
    """The answer for an incident; ``opened``: its Incident row when it was just logged (nothing
    to read back: no major incident manager, no children yet)."""
    if opened is not None:
        incident: Incident | None = opened
        children: list[str] = []
    else:
        incident = (
            Incident.objects.select_related("major_incident_manager").filter(ticket=ticket).first()
        )
        children = list(
            Ticket.objects.filter(parent=ticket, kind=TicketKind.INCIDENT)
            .order_by("pk")
            .values_list("number", flat=True)
        )
    return IncidentOut(
        **ticket_out(ticket).model_dump(),
        hold_reason=hold_reason_of(ticket),
        is_major=bool(incident and incident.is_major),
        is_major_candidate=bool(incident and incident.is_major_candidate),
        major_incident_manager=person_out(incident.major_incident_manager) if incident else None,
        major_incident=ticket.parent.number if ticket.parent_id and ticket.parent else None,
        child_incidents=children,
    )


def _answer(request: HttpRequest, number: str, *, status: int = 200) -> HttpResponse:
    ticket = _incident_ticket(request.user, number)
    return answer(incident_out(ticket), status=status, version=ticket.version)


#: Categories and services by id, read again when their tables change (``itsm.core.stamps``):
#: logging an incident names them by id and they change a few times a year.
_CACHED: dict[type[models.Model], StampedCache[Mapping[int, Any]]] = {
    Category: rows_by_id(Category),
    Service: rows_by_id(Service),
}


def _by_id_or_name(model: Any, field: str, value: int | str | None, **extra: Any) -> Any:
    if value is None:
        return None
    clean_text(field, str(value))
    pk = _as_id(value)
    cached = _CACHED.get(model)
    if cached is not None and pk is not None:
        row = cached.get().get(pk)
        # A copy: the cached row is shared by every thread of the process.
        found = copy.copy(row) if row is not None and _has(row, extra) else None
    else:
        query = Q(pk=pk) if pk is not None else Q(name__iexact=str(value).strip())
        found = model.objects.filter(query, **extra).first()
    if found is None:
        raise InvalidInput(field, f"No {model._meta.verbose_name} {value!s}.")
    return found


def _has(row: models.Model, values: dict[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in values.items())


def _category(value: int | str | None) -> Category | None:
    return _by_id_or_name(Category, "category", value, kind=TicketKind.INCIDENT)


@router.post(
    "",
    response={201: IncidentOut, **problems(403, 409, 422)},
    summary="Log an incident",
)
@idempotent
def open_incident(request: HttpRequest, payload: IncidentIn) -> HttpResponse:
    """Log an incident. The answer carries its number, state and the priority the matrix gives
    impact and urgency; the assignment rules route it. `requester` is for agents only.

    Honours `Idempotency-Key`: a retried request gets the first answer, not a second incident."""
    user: Any = request.user
    for field in ("title", "description"):
        clean_text(field, getattr(payload, field))
    requester = user
    if payload.requester is not None:
        if not user.is_agent:
            raise PermissionDenied("Only agents log incidents for someone else.")
        requester = find_user("requester", payload.requester, me=user)
    # Its own transaction: a refused action rolls back without breaking an outer one.
    with transaction.atomic():
        ticket = do_open_incident(
            title=payload.title,
            description=payload.description,
            requester=requester,
            actor=user,
            impact=payload.impact,
            urgency=payload.urgency,
            category=_category(payload.category),
            service=_by_id_or_name(Service, "service", payload.service),
            configuration_item=_by_id_or_name(
                ConfigurationItem, "configuration_item", payload.configuration_item
            ),
            channel=payload.channel,
        )
    # The ticket in hand is the row just written, with the related rows the answer reads; only
    # whether the caller may see it is asked, as reading it back through visibility did.
    if not user_can_see_ticket(user, ticket):
        raise NotFound(f"No ticket {ticket.number} that you may see.")
    response = answer(
        incident_out(ticket, opened=ticket.incident), status=201, version=ticket.version
    )
    response["Location"] = f"{request.path.rstrip('/')}/{ticket.number}"
    return response


@router.get(
    "/{number}",
    response={200: IncidentOut, 304: None, **problems()},
    summary="Read an incident",
)
def get_incident(request: HttpRequest, number: str) -> HttpResponse:
    """The incident with its ETag; `If-None-Match` with the current ETag answers 304."""
    ticket = _incident_ticket(request.user, number)
    if not_modified(request, ticket.version):
        return with_etag(HttpResponse(status=304), ticket.version)
    return answer(incident_out(ticket), version=ticket.version)


@router.patch(
    "/{number}",
    response={200: IncidentOut, **problems(403, 412, 428)},
    summary="Edit an incident",
)
def edit_incident(request: HttpRequest, number: str, payload: IncidentPatchIn) -> HttpResponse:
    """Change details, impact/urgency (the priority follows the matrix), category, service,
    configuration item, assignment, or override the priority (managers, with a reason).
    Requires `If-Match` with the ETag you read: a stale write answers 412 and changes nothing."""
    version = expected_version(request)
    if version is None:
        raise _precondition_required()
    user: Any = request.user
    ticket = _incident_ticket(user, number)
    sent = payload.model_fields_set
    for field in ("title", "description", "priority_reason"):
        clean_text(field, getattr(payload, field))
    if "priority" in sent and payload.priority is None:
        raise InvalidInput("priority", "The priority cannot be cleared.")
    kwargs: dict[str, Any] = {
        "title": payload.title,
        "description": payload.description,
        "impact": payload.impact,
        "urgency": payload.urgency,
        "priority": payload.priority,
        "priority_reason": payload.priority_reason,
    }
    if "category" in sent:
        kwargs["category"] = _category(payload.category)
    if "service" in sent:
        kwargs["service"] = _by_id_or_name(Service, "service", payload.service)
    if "configuration_item" in sent:
        kwargs["configuration_item"] = _by_id_or_name(
            ConfigurationItem, "configuration_item", payload.configuration_item
        )
    if "assignment_group" in sent:
        group = payload.assignment_group
        kwargs["assignment_group"] = find_group("assignment_group", group) if group else None
    if "assignee" in sent:
        assignee = payload.assignee
        kwargs["assignee"] = find_user("assignee", assignee, me=user) if assignee else None
    # Its own transaction: a refused action rolls back without breaking an outer one.
    with transaction.atomic():
        do_update_incident(ticket, actor=user, expected_version=version, **kwargs)
    return _answer(request, ticket.number)


def _precondition_required() -> ActionError:
    return PreconditionRequired(
        'Send If-Match with the ETag you read (W/"<version>"), so a change made meanwhile by '
        "someone else is not overwritten."
    )


@router.get(
    "/{number}/transitions",
    response={200: list[TransitionOut], **problems()},
    summary="Transitions you may make now",
)
def list_incident_transitions(request: HttpRequest, number: str) -> list[TransitionOut]:
    return transitions_out(_incident_ticket(request.user, number), request.user)


@router.post(
    "/{number}/transitions",
    response={200: IncidentOut, **problems(403, 409, 412)},
    summary="Move an incident to another state",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "start": {"value": {"to": "in_progress"}},
                        "ask": {"value": {"to": "Pending User", "reason": "Which VPN client?"}},
                        "resolve": {
                            "value": {
                                "to": "resolved",
                                "resolution_code": "workaround",
                                "resolution_notes": "Switched the client to TCP.",
                            }
                        },
                        "cancel": {"value": {"to": "cancelled", "reason": "Logged twice"}},
                    }
                }
            }
        }
    },
)
def transition_incident(request: HttpRequest, number: str, payload: TransitionIn) -> HttpResponse:
    """`to` is the state's slug (`in_progress`) or name (`In Progress`). Pending User, Waiting for
    Vendor, On Hold and Cancelled need a `reason`; Resolved needs `resolution_code` and
    `resolution_notes`. An illegal move answers 409 listing `allowed_transitions`."""
    version = expected_version(request)
    for field in ("to", "reason", "resolution_code", "resolution_notes"):
        clean_text(field, getattr(payload, field))
    ticket = _incident_ticket(request.user, number)
    # Its own transaction: a refused action rolls back without breaking an outer one.
    with transaction.atomic():
        do_transition_incident(
            ticket,
            payload.to,
            actor=request.user,  # type: ignore[arg-type]
            reason=payload.reason,
            resolution_code=payload.resolution_code,
            resolution_notes=payload.resolution_notes,
            expected_version=version,
        )
    return _answer(request, ticket.number)


@router.post(
    "/{number}/major",
    response={200: IncidentOut, **problems(403)},
    summary="Declare a major incident",
)
def flag_major(request: HttpRequest, number: str, payload: MajorIncidentIn) -> HttpResponse:
    """Managers declare a major incident (or accept a candidate) and name its major incident
    manager; the major incident team is notified and follows every update."""
    user: Any = request.user
    clean_text("reason", payload.reason)
    ticket = _incident_ticket(user, number)
    manager = find_user("manager", payload.manager, me=user)
    # Its own transaction: a refused action rolls back without breaking an outer one.
    with transaction.atomic():
        do_flag_major_incident(ticket, manager=manager, reason=payload.reason, actor=user)
    return _answer(request, ticket.number)


@router.post(
    "/{number}/major-candidate",
    response={200: IncidentOut, **problems(403)},
    summary="Propose as a major incident",
)
def propose_major(request: HttpRequest, number: str, payload: MajorCandidateIn) -> HttpResponse:
    """An agent proposes the incident as a major incident; managers are told and decide."""
    clean_text("reason", payload.reason)
    ticket = _incident_ticket(request.user, number)
    # Its own transaction: a refused action rolls back without breaking an outer one.
    with transaction.atomic():
        do_propose_major_incident(ticket, reason=payload.reason, actor=request.user)  # type: ignore[arg-type]
    return _answer(request, ticket.number)


@router.post(
    "/{number}/children",
    response={200: IncidentOut, **problems(403)},
    summary="Attach an incident to a major incident",
)
def attach_child(request: HttpRequest, number: str, payload: ChildIn) -> HttpResponse:
    """Attach `child` to this major incident: resolving the major incident resolves it too."""
    major = _incident_ticket(request.user, number)
    child = _incident_ticket(request.user, payload.child)
    # Its own transaction: a refused action rolls back without breaking an outer one.
    with transaction.atomic():
        do_attach_to_major_incident(child, major=major, actor=request.user)  # type: ignore[arg-type]
    return _answer(request, major.number)
