"""The per-process caches of the category tree, its restrictions, the priority matrix and the
assignment rules: a change is seen at once by the next request, and by the request that made it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from itsm.accounts.models import Group, User
from itsm.rules.models import AssignmentRule
from itsm.taxonomy.models import Category, PriorityMatrixEntry, priority_for
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import user_can_see_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(token_for: Callable[[User], str]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        return Client(headers={"Authorization": f"Bearer {token_for(user)}"})

    return make


def _log(client: Client, **fields: Any) -> dict[str, Any]:
    payload = {"title": "VPN drops", "impact": "high", "urgency": "high", **fields}
    response = client.post(
        "/api/v1/incidents", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 201, response.content[:500]
    body: dict[str, Any] = response.json()
    return body


def test_a_changed_matrix_cell_gives_the_next_ticket_its_priority(api, agent):
    client = api(agent)
    assert _log(client)["priority"] == priority_for("high", "high") == "P1"

    cell = PriorityMatrixEntry.objects.get(impact="high", urgency="high")
    cell.priority = "P2"
    cell.save()

    assert _log(client)["priority"] == "P2"
    assert priority_for("high", "high") == "P2"


def test_a_renamed_or_moved_category_is_answered_with_its_new_path(api, agent):
    client = api(agent)
    hardware = Category.objects.create(name="Hardware")
    laptop = Category.objects.create(name="Laptop", parent=hardware)
    assert _log(client, category=laptop.pk)["category"] == "Hardware > Laptop"

    hardware.name = "Devices"
    hardware.save()
    assert _log(client, category=laptop.pk)["category"] == "Devices > Laptop"

    laptop.parent = None
    laptop.save()
    assert _log(client, category=laptop.pk)["category"] == "Laptop"


def test_a_new_restriction_hides_the_ticket_at_once(create_ticket, requester, agent, other_team):
    parent = Category.objects.create(name="HR")
    child = Category.objects.create(name="Payroll", parent=parent)
    ticket = create_ticket(requester=requester, category=child)
    assert user_can_see_ticket(agent, ticket)

    parent.restricted_to_groups.add(other_team)
    ticket = Ticket.objects.get(pk=ticket.pk)  # a fresh row, as the next request reads it
    assert not user_can_see_ticket(agent, ticket)

    agent.assignment_groups.add(other_team)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert user_can_see_ticket(agent, ticket)

    # Replacing the group keeps the number of rows: the content of the table is the stamp.
    parent.restricted_to_groups.set([Group.objects.create(name="Payroll team")])
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert not user_can_see_ticket(agent, ticket)


def test_a_new_assignment_rule_routes_the_next_ticket(api, agent, other_team, other_team_agent):
    client = api(agent)
    assert _log(client, title="Printer jams")["assignment_group"]["id"] != other_team.pk

    AssignmentRule.objects.create(name="Printers", keywords="printer", group=other_team)
    assert _log(client, title="Printer jams")["assignment_group"]["id"] == other_team.pk

    AssignmentRule.objects.filter(name="Printers").delete()
    assert _log(client, title="Printer jams")["assignment_group"]["id"] != other_team.pk


def test_a_request_reads_the_stamp_once(api, agent):
    client = api(agent)
    _log(client)  # the caches are filled
    with CaptureQueriesContext(connection) as queries:
        _log(client)
    stamps = [q for q in queries.captured_queries if "MAX(updated_at)" in q["sql"]]
    matrix = [
        q
        for q in queries.captured_queries
        if 'taxonomy_prioritymatrixentry"' in q["sql"]
        and "string_agg" not in q["sql"]
        and "group_concat" not in q["sql"]
    ]
    assert len(stamps) == 1
    assert matrix == []


def test_within_a_request_its_own_change_is_seen():
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # As Django's test client does: the request signals must not close the test's connection
    # (it is inside the test's transaction, which close_old_connections takes as unusable).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    request_started.send(sender=None)
    try:
        assert priority_for("low", "low") == "P5"
        cell = PriorityMatrixEntry.objects.get(impact="low", urgency="low")
        cell.priority = "P4"
        cell.save()
        assert priority_for("low", "low") == "P4"
    finally:
        request_finished.send(sender=None)
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _stamp_queries(captured: CaptureQueriesContext) -> int:
    return sum("MAX(updated_at)" in q["sql"] for q in captured.captured_queries)


def test_a_worker_batch_reads_the_stamp_once_and_still_sees_its_own_change():
    from itsm.core.stamps import stamp_scope
    from itsm.taxonomy.reference import category_tree

    category_tree()  # warm: the cache is built
    with CaptureQueriesContext(connection) as outside:
        category_tree()
        category_tree()
    assert _stamp_queries(outside) == 2  # outside requests and scopes: a stamp per lookup

    with CaptureQueriesContext(connection) as inside, stamp_scope():
        category_tree()
        category_tree()
        added = Category.objects.create(name="Peripherals")  # this batch's own change
        tree = category_tree()
        category_tree()
    assert _stamp_queries(inside) == 2  # once, and once more after the change
    assert tree.paths[added.pk] == "Peripherals"

    with CaptureQueriesContext(connection) as after:
        category_tree()
    assert _stamp_queries(after) == 1  # the scope is over: checked again
