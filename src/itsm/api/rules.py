"""Assignment and escalation rules, readable by administrators (edited in the admin)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from itsm.api.problems import problems
from itsm.core.errors import PermissionDenied
from itsm.rules.models import AssignmentRule, EscalationRule

router = Router()


class AssignmentRuleOut(Schema):
    id: int
    order: int
    name: str
    is_active: bool
    kind: str = Field(description="Empty: any kind")
    category: str | None = Field(description="Matches this category and its subcategories")
    service: str | None
    configuration_item: str | None
    priorities: list[str]
    keywords: list[str]
    pattern: str
    organization: str | None
    vip_only: bool
    group: str
    agent: str | None


class EscalationRuleOut(Schema):
    id: int
    order: int
    name: str
    is_active: bool
    trigger: str
    thresholds_minutes: list[int] = Field(description="Business minutes, one per level")
    calendar: dict[str, Any]
    sla_metric: str
    sla_percent: int | None
    kind: str
    priorities: list[str]
    groups: list[str]
    reassign_to_parent: bool
    notify_managers: bool
    notify_major_incident_team: bool
    notify_assignee: bool
    raise_priority: bool


def _require_admin(request: HttpRequest) -> None:
    if not getattr(request.user, "is_admin", False):
        raise PermissionDenied("Only administrators read the rules.")


def _name(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get(
    "/assignment",
    response={200: list[AssignmentRuleOut], **problems(403)},
    summary="Assignment rules, in the order they are tried",
)
def list_assignment_rules(request: HttpRequest) -> list[AssignmentRuleOut]:
    _require_admin(request)
    rules = AssignmentRule.objects.select_related(
        "category", "service", "configuration_item", "organization", "group", "agent"
    ).order_by("order", "id")
    return [
        AssignmentRuleOut(
            id=rule.pk,
            order=rule.order,
            name=rule.name,
            is_active=rule.is_active,
            kind=rule.kind,
            category=_name(rule.category),
            service=_name(rule.service),
            configuration_item=_name(rule.configuration_item),
            priorities=list(rule.priorities or []),
            keywords=[w.strip() for w in rule.keywords.split(",") if w.strip()],
            pattern=rule.pattern,
            organization=_name(rule.organization),
            vip_only=rule.vip_only,
            group=str(rule.group),
            agent=_name(rule.agent),
        )
        for rule in rules
    ]


@router.get(
    "/escalation",
    response={200: list[EscalationRuleOut], **problems(403)},
    summary="Escalation rules",
)
def list_escalation_rules(request: HttpRequest) -> list[EscalationRuleOut]:
    _require_admin(request)
    rules = EscalationRule.objects.prefetch_related("groups").order_by("order", "id")
    return [
        EscalationRuleOut(
            id=rule.pk,
            order=rule.order,
            name=rule.name,
            is_active=rule.is_active,
            trigger=rule.trigger,
            thresholds_minutes=[int(v) for v in rule.thresholds_minutes or []],
            calendar=dict(rule.calendar or {}),
            sla_metric=rule.sla_metric,
            sla_percent=rule.sla_percent,
            kind=rule.kind,
            priorities=list(rule.priorities or []),
            groups=sorted(group.name for group in rule.groups.all()),
            reassign_to_parent=rule.reassign_to_parent,
            notify_managers=rule.notify_managers,
            notify_major_incident_team=rule.notify_major_incident_team,
            notify_assignee=rule.notify_assignee,
            raise_priority=rule.raise_priority,
        )
        for rule in rules
    ]
