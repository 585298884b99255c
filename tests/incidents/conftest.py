"""Builders for Incident Management tests."""

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
def open_incident(db: None, service_desk: Group) -> Callable[..., Ticket]:
    """Log an incident through the real action, with overridable fields."""

    def build(**overrides: Any) -> Ticket:
        values: dict[str, Any] = {
            "title": "VPN drops every 10 minutes",
            "description": "Since this morning.",
            "impact": "medium",
            "urgency": "medium",
        }
        values.update(overrides)
        values.setdefault("actor", values["requester"])
        return do_open_incident(**values)

    return build


@pytest.fixture
def major_team(db: None) -> Group:
    team = Group.objects.create(name="Major Incident Team", is_major_incident_team=True)
    member = do_create_user(
        email="mike.major@example.test", full_name="Mike Major", role=Role.AGENT
    )
    team.members.add(member)
    return team


@pytest.fixture
def major_member(major_team: Group) -> User:
    return major_team.members.get()
