"""Shared fixtures: the named personas of STYLE.md §9 and builders for tickets."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("ITSM_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from itsm.accounts.actions import do_create_api_token, do_create_user
from itsm.accounts.choices import Role
from itsm.accounts.models import Group, Organization, User
from itsm.taxonomy.choices import TicketKind
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_create_ticket

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> None:
    """Each test starts with an empty cache, as a freshly started process does: drawn sections
    of an earlier test's (rolled back) tickets must not answer for this test's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def organization(db: None) -> Organization:
    return Organization.objects.create(name="Acme Finance")


@pytest.fixture
def service_desk(db: None) -> Group:
    return Group.objects.create(name="Service Desk", is_service_desk=True, email="sd@example.test")


@pytest.fixture
def other_team(db: None) -> Group:
    return Group.objects.create(name="Network Team")


def _user(email: str, name: str, role: Role, **extra: Any) -> User:
    return do_create_user(email=email, full_name=name, password=PASSWORD, role=role, **extra)


@pytest.fixture
def requester(db: None, organization: Organization) -> User:
    return _user(
        "rita.requester@example.test", "Rita Requester", Role.REQUESTER, organization=organization
    )


@pytest.fixture
def other_requester(db: None) -> User:
    return _user("oscar.other@example.test", "Oscar Other", Role.REQUESTER)


@pytest.fixture
def agent(db: None, service_desk: Group) -> User:
    user = _user("alice.agent@example.test", "Alice Agent", Role.AGENT)
    service_desk.members.add(user)
    return user


@pytest.fixture
def other_team_agent(db: None, other_team: Group) -> User:
    user = _user("nick.network@example.test", "Nick Network", Role.AGENT)
    other_team.members.add(user)
    return user


@pytest.fixture
def manager(db: None, service_desk: Group) -> User:
    user = _user("maria.manager@example.test", "Maria Manager", Role.MANAGER)
    service_desk.members.add(user)
    service_desk.manager = user
    service_desk.save()
    return user


@pytest.fixture
def admin_user(db: None) -> User:
    return _user("adam.admin@example.test", "Adam Admin", Role.ADMIN)


@pytest.fixture
def create_ticket(db: None, service_desk: Group) -> Callable[..., Ticket]:
    """Open an incident through the real action, with overridable fields."""

    def build(**overrides: Any) -> Ticket:
        requester = overrides.pop("requester")
        values: dict[str, Any] = {
            "kind": TicketKind.INCIDENT,
            "title": "Printer on 3rd floor jams",
            "description": "Every second page jams.",
            "actor": requester,
            "impact": "medium",
            "urgency": "medium",
        }
        values.update(overrides)
        return do_create_ticket(requester=requester, **values)

    return build


@pytest.fixture
def token_for() -> Callable[[User], str]:
    def make(user: User) -> str:
        _, secret = do_create_api_token(user, name="tests")
        return secret

    return make


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests (threads, live servers) empty every table when they end, starter
    data of the migrations included (the priority matrix, starter SLAs). Serialized rollback
    reloads that data before each of them, so none depends on the order tests run in."""
    for item in items:
        if not _is_transactional(item):
            continue
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            # pytest-django reads serialized_rollback from the marker when there is one.
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
        elif "django_db_serialized_rollback" not in item.fixturenames:  # type: ignore[attr-defined]
            item.fixturenames.append("django_db_serialized_rollback")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> None:
    """Keep the starter data that serialized rollback restores reachable from every context.

    Django keeps it on the main thread's connection object, but connections are per context:
    after Playwright's sync API has run, the test sees a fresh connection object without it,
    and the next transactional test would start with empty tables. The class attribute serves
    every connection object of the test database alike.
    """
    from django.db import connections

    connection = connections["default"]
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents is not None:
        type(connection)._test_serialized_contents = contents
