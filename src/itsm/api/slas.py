"""A ticket's SLAs explained: GET /api/v1/tickets/{number}/slas.

Agents get every SLA and OLA with the full timeline (the answer to "why did this breach?");
requesters get only the customer resolution SLAs that apply, without the timeline.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from itsm.api.lookups import ticket_for
from itsm.api.problems import problems
from itsm.api.responses import answer
from itsm.sla.engine import SlaResult
from itsm.sla.queries import Explanation, SpanView, explain_ticket_slas
from itsm.tickets.querysets import sees_internal

router = Router()


class SlaSpanOut(Schema):
    start: datetime
    end: datetime
    state: str
    clock_state: str = Field(description="running, paused or stopped")
    priority: str
    business_minutes: float = Field(description="Business time counted in this span.")


class SlaWarningOut(Schema):
    percent: int
    at: datetime | None


class SlaFiguresOut(Schema):
    """The reported figures of SLA.md for one cycle."""

    clock_state: str
    priority: str
    target_minutes: float
    elapsed_business_minutes: float
    remaining_business_minutes: float
    elapsed_pct: float
    due_at: datetime | None
    due_at_local: str | None = Field(description="Due time in the calendar's zone, with offset.")
    breached: bool
    breached_at: datetime | None
    warn_50_at: datetime | None
    warn_75_at: datetime | None
    warnings: list[SlaWarningOut]


class SlaCycleOut(SlaFiguresOut):
    started_at: datetime
    ended_at: datetime | None
    ended_by: str | None = Field(description="reopen or priority_change")
    spans: list[SlaSpanOut]


class SlaOut(SlaFiguresOut):
    definition: str
    metric: str = Field(description="response or resolution")
    is_ola: bool = Field(description="An operational level agreement with a resolver group.")
    calendar: str
    applies: bool = Field(description="False once the ticket stopped matching the definition.")
    detached_at: datetime | None
    started_at: datetime
    cycle: int
    spans: list[SlaSpanOut]
    previous_cycles: list[SlaCycleOut]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _figures(result: SlaResult, explanation: Explanation) -> dict[str, object]:
    warnings = sorted(result.warnings.items())
    due_local = (
        None if result.due_at is None else explanation.calendar.to_local(result.due_at).isoformat()
    )
    return {
        "clock_state": str(result.clock_state),
        "priority": result.priority,
        "target_minutes": round(result.target_minutes, 2),
        "elapsed_business_minutes": round(result.elapsed_business_minutes, 2),
        "remaining_business_minutes": round(result.remaining_business_minutes, 2),
        "elapsed_pct": result.elapsed_pct,
        "due_at": _utc(result.due_at),
        "due_at_local": due_local,
        "breached": result.breached,
        "breached_at": _utc(result.breached_at),
        "warn_50_at": _utc(result.warnings.get(50)),
        "warn_75_at": _utc(result.warnings.get(75)),
        "warnings": [SlaWarningOut(percent=p, at=_utc(at)) for p, at in warnings],
    }


def _spans(spans: list[SpanView]) -> list[SlaSpanOut]:
    return [
        SlaSpanOut(
            start=_utc(s.start),  # type: ignore[arg-type]
            end=_utc(s.end),  # type: ignore[arg-type]
            state=s.state,
            clock_state=s.clock_state,
            priority=s.priority,
            business_minutes=s.business_minutes,
        )
        for s in spans
    ]


def sla_out(explanation: Explanation, *, full: bool) -> SlaOut:
    result = explanation.result
    instance = explanation.instance
    figures = _figures(result, explanation)
    if not full:
        figures.update(warn_50_at=None, warn_75_at=None, warnings=[])
    return SlaOut(
        definition=explanation.name,
        metric=explanation.metric,
        is_ola=explanation.is_ola,
        calendar=explanation.calendar_name,
        applies=explanation.applies,
        detached_at=_utc(instance.detached_at),
        started_at=_utc(result.started_at),  # type: ignore[arg-type]
        cycle=len(result.previous_cycles),
        spans=_spans(explanation.spans) if full else [],
        previous_cycles=[
            SlaCycleOut(
                started_at=_utc(cycle.started_at),  # type: ignore[arg-type]
                ended_at=_utc(cycle.ended_at),
                ended_by=cycle.ended_by,
                spans=_spans(cycle.spans),
                **_figures(cycle.result, explanation),  # type: ignore[arg-type]
            )
            for cycle in explanation.previous_cycles
        ]
        if full
        else [],
        **figures,  # type: ignore[arg-type]
    )


@router.get(
    "/{number}/slas",
    response={200: list[SlaOut], **problems()},
    summary="Explain a ticket's SLAs",
)
def list_slas(request: HttpRequest, number: str) -> HttpResponse:
    """Per SLA: the figures as of now, the timeline of running/paused/stopped spans with the
    business time counted in each, warnings, breach and earlier cycles. Requesters see only
    the resolution SLAs that apply to their ticket, without the timeline."""
    ticket = ticket_for(request.user, number)
    full = sees_internal(request.user)
    explained = explain_ticket_slas(ticket, now=timezone.now(), internal=full)
    return answer([sla_out(e, full=full) for e in explained])
