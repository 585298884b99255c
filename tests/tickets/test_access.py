"""Reading one ticket: what comes with it, and that the reference rows follow changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.accounts.models import Group
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.stamps import stamp_scope
from itsm.taxonomy.models import Category
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import access_ticket_by_number

pytestmark = pytest.mark.django_db


def _deep_category() -> Category:
    node = None
    for name in ("Hardware", "Laptops", "Docking", "Power"):
        node = Category.objects.create(name=name, parent=node)
    assert node is not None
    return node


def test_a_ticket_comes_with_everything_its_page_prints(
    create_ticket: Callable[..., Ticket], requester: Any, agent: Any, service_desk: Group
) -> None:
    service = Service.objects.create(name="Email")
    item = ConfigurationItem.objects.create(name="MAIL-01")
    ticket = create_ticket(
        requester=requester,
        category=_deep_category(),
        service=service,
        configuration_item=item,
    )
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)

    # As in a request: an agent's visibility reads the reference tables' version, and the
    # ticket's group, service and category come from the process's rows of that version.
    with stamp_scope(), CaptureQueriesContext(connection) as ctx:
        found = access_ticket_by_number(agent, ticket.number)
        read = ctx.captured_queries[:]
        shown = (
            str(found.requester),
            str(found.assignee),
            str(found.assignment_group),
            str(found.service),
            str(found.configuration_item),
            found.category.path if found.category else "",
        )

    assert shown == (
        "Rita Requester",
        "Alice Agent",
        "Service Desk",
        "Email",
        "MAIL-01",
        "Hardware > Laptops > Docking > Power",
    )
    # The path of a four-level category too: nothing is read after the ticket.
    assert len(ctx.captured_queries) == len(read)


def test_a_requesters_ticket_is_read_without_the_reference_version(
    create_ticket: Callable[..., Ticket], requester: Any
) -> None:
    ticket = create_ticket(requester=requester, category=_deep_category())

    with stamp_scope(), CaptureQueriesContext(connection) as ctx:
        found = access_ticket_by_number(requester, ticket.number)
        assert str(found.assignment_group) == "Service Desk"

    # The group comes joined with the ticket: the version of the reference tables (which a
    # requester's visibility does not need) is not read for it.
    assert not any("MAX(updated_at)" in query["sql"] for query in ctx.captured_queries)


def test_reference_rows_follow_a_rename_and_are_the_tickets_own(
    create_ticket: Callable[..., Ticket], requester: Any, agent: Any, service_desk: Group
) -> None:
    category = _deep_category()
    ticket = create_ticket(requester=requester, category=category)
    with stamp_scope():
        first = access_ticket_by_number(agent, ticket.number)
    assert first.assignment_group is not None
    first.assignment_group.name = "Changed in memory only"

    service_desk.name = "First Line"
    service_desk.save()
    parent = category.parent
    assert parent is not None
    parent.name = "Docks"
    parent.save()
    with stamp_scope():
        again = access_ticket_by_number(agent, ticket.number)

    assert str(again.assignment_group) == "First Line"
    assert again.category is not None
    assert again.category.path == "Hardware > Laptops > Docks > Power"
    assert again.assignment_group is not first.assignment_group
