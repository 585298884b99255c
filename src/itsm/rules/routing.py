"""Assignment rules: which group (and agent) a new ticket goes to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.rules.assignment import pick_agent
from itsm.rules.models import AssignmentRule
from itsm.tickets.models import Ticket


@dataclass(frozen=True)
class Routing:
    group: Group | None
    assignee: User | None
    rule_name: str


def _words(keywords: str) -> list[str]:
    return [word.strip() for word in keywords.split(",") if word.strip()]


def _text_matches(rule: AssignmentRule, text: str) -> bool:
    words = _words(rule.keywords)
    if words and not any(
        re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) for word in words
    ):
        return False
    if rule.pattern:
        try:
            return re.search(rule.pattern, text, re.IGNORECASE) is not None
        except re.error:
            return False  # a broken pattern matches nothing rather than breaking intake
    return True


def rule_matches(rule: AssignmentRule, ticket: Ticket) -> bool:
    """Whether every condition the rule sets holds for the ticket (unset conditions hold)."""
    checks = (
        not rule.kind or rule.kind == ticket.kind,
        rule.service_id is None or rule.service_id == ticket.service_id,
        rule.configuration_item_id is None
        or rule.configuration_item_id == ticket.configuration_item_id,
        not rule.priorities or ticket.priority in rule.priorities,
        rule.organization_id is None or rule.organization_id == ticket.organization_id,
        not rule.vip_only or ticket.requester.is_vip,
    )
    if not all(checks):
        return False
    if rule.category is not None and (
        ticket.category_id is None or ticket.category_id not in rule.category.descendant_ids()
    ):
        return False
    return _text_matches(rule, f"{ticket.title}\n{ticket.description}")


def matching_rule(ticket: Ticket) -> AssignmentRule | None:
    rules = AssignmentRule.objects.filter(is_active=True).select_related(
        "group", "agent", "category"
    )
    return next(
        (rule for rule in rules.order_by("order", "id") if rule_matches(rule, ticket)), None
    )


def route_new_ticket(ticket: Ticket, *, now: datetime | None = None) -> Routing:
    """The group (and optionally agent) a new ticket goes to: the first matching rule, else the
    Service Desk fallback group. The group's strategy picks the agent unless the rule names one
    who is available."""
    now = now or timezone.now()
    rule = matching_rule(ticket)
    if rule is None:
        fallback = Group.objects.filter(is_service_desk=True).order_by("pk").first()
        agent = pick_agent(fallback, now=now) if fallback is not None else None
        return Routing(group=fallback, assignee=agent, rule_name="")
    agent = rule.agent
    if agent is not None and (
        not agent.is_active
        or agent.is_away(now)
        or not rule.group.members.filter(pk=agent.pk).exists()
    ):
        agent = None
    if agent is None:
        agent = pick_agent(rule.group, now=now)
    return Routing(group=rule.group, assignee=agent, rule_name=rule.name)
