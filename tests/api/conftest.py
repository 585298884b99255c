"""Fixtures for API tests: clients that authenticate as a persona with a real API token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from itsm.accounts.models import User

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def api_client(token_for: Callable[[User], str]) -> Callable[[User], Client]:
    """A Django test client sending ``Authorization: Bearer <token>`` of the given user."""

    def make(user: User) -> Client:
        return Client(headers={"Authorization": f"Bearer {token_for(user)}"})

    return make


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(PROBLEM_JSON), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body
