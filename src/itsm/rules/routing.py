"""Assignment rules: which group (and agent) a new ticket goes to."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.core.stamps import StampedCache, stamp_table
from itsm.rules.assignment import pick_agent
from itsm.rules.models import AssignmentRule
from itsm.taxonomy.reference import category_tree
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


def category_path_ids(category_id: int) -> set[int]:
    """The category and every category above it: a rule on category C holds for the tickets
    whose category has C on this path."""
    return category_tree().path_ids(category_id)


def rule_matches(
    rule: AssignmentRule, ticket: Ticket, *, category_path: Callable[[], set[int]] | None = None
) -> bool:
    """Whether every condition the rule sets holds for the ticket (unset conditions hold).

    ``category_path``: the ticket's category with its ancestors, when the caller asks many rules
    (read once, on the first rule with a category condition)."""
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
    if rule.category_id is not None:
        if ticket.category_id is None:
            return False
        path = category_path() if category_path else category_path_ids(ticket.category_id)
        if rule.category_id not in path:
            return False
    return _text_matches(rule, f"{ticket.title}\n{ticket.description}")


def _read_rules() -> tuple[AssignmentRule, ...]:
    return tuple(AssignmentRule.objects.filter(is_active=True).order_by("order", "id"))


stamp_table(AssignmentRule)
#: The active rules in order, without their group and agent (read fresh for the matching rule:
#: a group's strategy and an agent's availability change without the rules changing).
_RULES = StampedCache(_read_rules)


@dataclass(frozen=True)
class _Groups:
    by_id: Mapping[int, Group]
    service_desk_id: int | None


def _read_groups() -> _Groups:
    groups = {group.pk: group for group in Group.objects.order_by("pk")}
    desk = next((pk for pk, group in groups.items() if group.is_service_desk), None)
    return _Groups(by_id=MappingProxyType(groups), service_desk_id=desk)


stamp_table(Group)
#: The groups a new ticket may go to, with the Service Desk fallback. Their round-robin turn
#: (``last_assigned``) is read under lock when it is used, never from here.
_GROUPS = StampedCache(_read_groups)


def _group(groups: _Groups, pk: int | None) -> Group | None:
    """A copy of the cached group: callers may change it (the round-robin turn)."""
    group = groups.by_id.get(pk) if pk is not None else None
    return copy.copy(group) if group is not None else None


def matching_rule(ticket: Ticket) -> AssignmentRule | None:
    """The first active rule that holds for the ticket. The rule is shared by the process: read
    its group and agent through their ids, never through ``rule.group``."""
    path: set[int] | None = None

    def category_path() -> set[int]:
        nonlocal path
        if path is None:
            path = category_path_ids(ticket.category_id) if ticket.category_id else set()
        return path

    return next(
        (rule for rule in _RULES.get() if rule_matches(rule, ticket, category_path=category_path)),
        None,
    )


def route_new_ticket(ticket: Ticket, *, now: datetime | None = None) -> Routing:
    """The group (and optionally agent) a new ticket goes to: the first matching rule, else the
    Service Desk fallback group. The group's strategy picks the agent unless the rule names one
    who is available."""
    now = now or timezone.now()
    rule = matching_rule(ticket)
    if rule is None:
        groups = _GROUPS.get()
        fallback = _group(groups, groups.service_desk_id)
        agent = pick_agent(fallback, now=now) if fallback is not None else None
        return Routing(group=fallback, assignee=agent, rule_name="")
    group = _group(_GROUPS.get(), rule.group_id) or Group.objects.get(pk=rule.group_id)
    agent = User.objects.filter(pk=rule.agent_id).first() if rule.agent_id else None
    if agent is not None and (
        not agent.is_active or agent.is_away(now) or not group.members.filter(pk=agent.pk).exists()
    ):
        agent = None
    if agent is None:
        agent = pick_agent(group, now=now)
    return Routing(group=group, assignee=agent, rule_name=rule.name)
