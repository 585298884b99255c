"""The ticket list and search as a client reads them: the rows' shape, search order, page
boundaries and visibility."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from itsm.api.pagination import paginate
from itsm.api.tickets import ORDERINGS, TicketOrdering
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.taxonomy.models import Category
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_assign_ticket


def _body(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:300]
    body: dict[str, Any] = response.json()
    return body


def _numbers(response: Any) -> list[str]:
    return [item["number"] for item in _body(response)["items"]]


def _pages(client: Any, url: str) -> list[list[str]]:
    pages: list[list[str]] = []
    next_url: str | None = url
    while next_url:
        body = _body(client.get(next_url))
        pages.append([item["number"] for item in body["items"]])
        next_url = body["next"]
        assert (next_url is None) == (body["next_cursor"] is None)
    return pages


def test_a_list_row_is_the_ticket_answer(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any, service_desk: Any
) -> None:
    parent = Category.objects.create(name="Hardware")
    laptop = Category.objects.create(name="Laptop", parent=parent)
    service = Service.objects.create(name="Printing")
    item = ConfigurationItem.objects.create(name="PRN-0042", service=service)
    full = create_ticket(
        requester=requester, category=laptop, service=service, configuration_item=item
    )
    do_assign_ticket(full, group=service_desk, assignee=agent, actor=agent)
    create_ticket(requester=requester, title="Bare ticket")
    client = api_client(agent)

    items = _body(client.get("/api/v1/tickets?limit=10"))["items"]

    assert len(items) == 2
    for row in items:
        assert row == _body(client.get(f"/api/v1/tickets/{row['number']}"))
    row = next(r for r in items if r["number"] == full.number)
    assert row["category"] == "Hardware > Laptop"
    assert row["service"] == "Printing"
    assert row["configuration_item"] == "PRN-0042"
    assert row["assignee"]["email"] == agent.email
    assert row["assignment_group"] == {"id": service_desk.pk, "name": service_desk.name}


@pytest.mark.parametrize("rows", [2, 25])
def test_list_and_search_cost_the_same_queries_whatever_the_rows(
    rows: int,
    api_client: Any,
    agent: Any,
    requester: Any,
    create_ticket: Any,
    django_assert_max_num_queries: Any,
) -> None:
    service = Service.objects.create(name="Printing")
    for i in range(rows):
        create_ticket(requester=requester, title=f"Printer {i}", service=service)
    client = api_client(agent)
    # Warm: the token's last_used_at is written once, the process's category tree read once.
    client.get("/api/v1/tickets?limit=200")
    # Token, reference stamp, tickets, related names (one statement).
    with django_assert_max_num_queries(4):
        assert len(_numbers(client.get("/api/v1/tickets?limit=200"))) == rows
    # PostgreSQL adds the search's savepoint (two statements) and its plan settings: statement
    # timeout and the index walk, set in one statement and restored in another.
    with django_assert_max_num_queries(8 if connection.vendor == "postgresql" else 4):
        assert len(_numbers(client.get("/api/v1/tickets?q=printer&limit=200"))) == rows


def test_search_answers_newest_first_unless_asked_otherwise(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    start = timezone.now() - timedelta(days=10)
    tickets = [
        create_ticket(requester=requester, title=f"Printer {i}", now=start + timedelta(days=i))
        for i in range(4)
    ]
    create_ticket(requester=requester, title="VPN drops", now=start + timedelta(days=5))
    # Soonest due is the oldest ticket but one: SLA order differs from opened order.
    Ticket.objects.filter(pk=tickets[1].pk).update(sla_due_at=start)
    client = api_client(agent)
    newest_first = [t.number for t in reversed(tickets)]

    assert _numbers(client.get("/api/v1/tickets?q=printer")) == newest_first
    by_due = _numbers(client.get("/api/v1/tickets?q=printer&ordering=sla_due_at"))
    assert by_due[0] == tickets[1].number
    assert sorted(by_due) == sorted(newest_first)
    assert _numbers(client.get("/api/v1/tickets?q=printer&ordering=opened_at")) == [
        t.number for t in tickets
    ]
    # Without q the default stays soonest SLA due first.
    assert _numbers(client.get("/api/v1/tickets"))[0] == tickets[1].number


@pytest.mark.parametrize(("limit", "sizes"), [(3, [3, 3, 1]), (6, [6, 1]), (7, [7]), (8, [7])])
def test_search_pages_end_exactly_at_the_last_match(
    limit: int, sizes: list[int], api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    start = timezone.now() - timedelta(days=3)
    for i in range(7):
        # Pairs share opened_at: the id breaks the tie across page boundaries.
        create_ticket(
            requester=requester, title=f"Printer {i}", now=start + timedelta(hours=i // 2)
        )
    create_ticket(requester=requester, title="VPN drops")
    client = api_client(agent)

    pages = _pages(client, f"/api/v1/tickets?q=printer&limit={limit}")

    assert [len(page) for page in pages] == sizes
    seen = [number for page in pages for number in page]
    assert len(set(seen)) == 7
    expected = Ticket.objects.filter(title__startswith="Printer").order_by("-opened_at", "-pk")
    assert seen == [t.number for t in expected]


def test_a_requesters_search_never_returns_other_peoples_tickets(
    api_client: Any, requester: Any, other_requester: Any, create_ticket: Any
) -> None:
    own = create_ticket(requester=requester, title="Printer jams")
    others = [create_ticket(requester=other_requester, title=f"Printer {i}") for i in range(5)]
    client = api_client(requester)

    assert _numbers(client.get("/api/v1/tickets?q=printer")) == [own.number]
    assert _numbers(client.get(f"/api/v1/tickets?q={others[0].number}")) == []
    assert [n for page in _pages(client, "/api/v1/tickets?q=printer&limit=1") for n in page] == [
        own.number
    ]


def test_the_unindexed_sort_gives_the_same_pages(requester: Any, create_ticket: Any) -> None:
    """The plan a search falls back to orders exactly as the index walk does."""
    start = timezone.now() - timedelta(days=3)
    for i in range(5):
        create_ticket(
            requester=requester, title=f"Printer {i}", now=start + timedelta(hours=i // 2)
        )
    ordering = ORDERINGS[TicketOrdering.OPENED_AT_DESC]
    rows = Ticket.objects.search("printer").values("id", "number", "opened_at")

    def numbers(unindexed: bool) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            page = paginate(rows, ordering, cursor=cursor, limit=2, unindexed=unindexed)
            seen += [row["number"] for row in page.items]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    assert numbers(unindexed=True) == numbers(unindexed=False)
    assert len(numbers(unindexed=True)) == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statement timeout")
def test_search_leaves_the_statement_timeout_as_it_found_it(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    create_ticket(requester=requester, title="Printer jams")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()
    assert _numbers(api_client(agent).get("/api/v1/tickets?q=printer"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == before
