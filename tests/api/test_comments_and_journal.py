"""Comments, the journal and Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from itsm.api.idempotency import prune_idempotency_records
from itsm.api.models import IdempotencyRecord
from itsm.workflow.actions import do_add_comment
from tests.api.conftest import assert_problem


def test_comment_answers_201_with_the_entry_and_new_etag(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/comments",
        {"body": "Replaced the fuser unit.", "internal": False},
        content_type="application/json",
        headers={"If-Match": f'W/"{ticket.version}"'},
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["type"] == "comment"
    assert entry["body"] == "Replaced the fuser unit."
    assert entry["actor"]["email"] == agent.email
    ticket.refresh_from_db()
    assert response["ETag"] == f'W/"{ticket.version}"'
    assert ticket.first_responded_at is not None


def test_work_note_by_agent(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/comments",
        {"body": "Check the fuser.", "internal": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["type"] == "work_note"
    assert response.json()["internal"] is True


def test_journal_is_paginated_oldest_first_with_constant_queries(
    api_client: Any,
    agent: Any,
    requester: Any,
    create_ticket: Any,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = create_ticket(requester=requester)
    for i in range(12):
        do_add_comment(ticket, body=f"Update {i}", internal=i % 2 == 0, actor=agent)
    client = api_client(agent)
    url: str | None = f"/api/v1/tickets/{ticket.number}/journal?limit=5"
    client.get(url)  # the process's reference caches (category tree) are filled once
    bodies: list[str] = []
    while url:
        with django_assert_max_num_queries(6):
            response = client.get(url)
        page = response.json()
        bodies += [e["body"] for e in page["items"] if e["type"] in {"comment", "work_note"}]
        url = page["next"]
    assert bodies == [f"Update {i}" for i in range(12)]


def test_same_idempotency_key_replays_the_first_answer(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.number}/comments"
    headers = {"Idempotency-Key": "3f1c9a1e-retry"}
    first = client.post(url, {"body": "Once"}, content_type="application/json", headers=headers)
    again = client.post(url, {"body": "Once"}, content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert ticket.journal.filter(body="Once").count() == 1

    other = client.post(url, {"body": "Twice"}, content_type="application/json", headers=headers)
    assert "different request" in assert_problem(other, 422)["detail"]
    assert not ticket.journal.filter(body="Twice").exists()

    # Keys are per user: another user's request with the same key is its own.
    mine = api_client(requester).post(
        url, {"body": "Once"}, content_type="application/json", headers=headers
    )
    assert mine.status_code == 201
    assert ticket.journal.filter(body="Once").count() == 2


def test_failed_request_does_not_burn_the_key(
    api_client: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(requester)
    url = f"/api/v1/tickets/{ticket.number}/comments"
    headers = {"Idempotency-Key": "k-1"}
    refused = client.post(
        url, {"body": "x", "internal": True}, content_type="application/json", headers=headers
    )
    assert_problem(refused, 403)
    assert not IdempotencyRecord.objects.exists()
    ok = client.post(
        url, {"body": "x", "internal": True}, content_type="application/json", headers=headers
    )
    assert_problem(ok, 403)


def test_invalid_idempotency_key_is_400(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/comments",
        {"body": "x"},
        content_type="application/json",
        headers={"Idempotency-Key": "x" * 300},
    )
    assert_problem(response, 400)


def test_records_are_pruned_after_24_hours(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.number}/comments"
    client.post(
        url, {"body": "a"}, content_type="application/json", headers={"Idempotency-Key": "old"}
    )
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert prune_idempotency_records() == 1
    # After expiry the key is free again: the request runs anew.
    client.post(
        url, {"body": "a"}, content_type="application/json", headers={"Idempotency-Key": "old"}
    )
    assert ticket.journal.filter(body="a").count() == 2
