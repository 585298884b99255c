"""Builders for rule tests: agents in groups, incidents opened through the real action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from itsm.accounts.actions import do_create_user
from itsm.accounts.choices import Role
from itsm.accounts.models import Group, User
from itsm.incidents.actions import do_open_incident
from itsm.tickets.models import Ticket


@pytest.fixture
def make_agent(db: None) -> Callable[..., User]:
    counter = iter(range(1000))

    def build(group: Group, name: str = "", **extra: Any) -> User:
        n = next(counter)
        user = do_create_user(
            email=f"agent{n}@example.test", full_name=name or f"Agent {n}", role=Role.AGENT
        )
        for field, value in extra.items():
            setattr(user, field, value)
        user.save()
        group.members.add(user)
        return user

    return build


@pytest.fixture
def open_incident(db: None, service_desk: Group, requester: User) -> Callable[..., Ticket]:
    def build(**overrides: Any) -> Ticket:
        values: dict[str, Any] = {
            "title": "Something is broken",
            "description": "Details follow.",
            "requester": requester,
            "impact": "medium",
            "urgency": "medium",
        }
        values.update(overrides)
        values.setdefault("actor", values["requester"])
        return do_open_incident(**values)

    return build
