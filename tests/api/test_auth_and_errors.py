"""Authentication and the error format: every failure is a 4xx problem+json, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import assert_problem
from tests.conftest import PASSWORD


def test_no_credentials_get_401_problem(db: None) -> None:
    response = Client().get("/api/v1/tickets")
    body = assert_problem(response, 401)
    assert "Bearer" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_or_revoked_token_gets_401(agent: Any, token_for: Any) -> None:
    assert_problem(Client(headers={"Authorization": "Bearer itsm_nope"}).get("/api/v1/me"), 401)
    from itsm.accounts.actions import do_revoke_api_token
    from itsm.accounts.models import ApiToken

    secret = token_for(agent)
    do_revoke_api_token(ApiToken.objects.get(user=agent), actor=agent)
    assert_problem(Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me"), 401)


def test_me_tells_who_role_and_groups(api_client: Any, agent: Any) -> None:
    body = api_client(agent).get("/api/v1/me").json()
    assert body["email"] == agent.email
    assert body["role"] == "agent"
    assert body["is_agent"] is True
    assert [g["name"] for g in body["groups"]] == ["Service Desk"]


def test_session_reads_work_and_writes_need_the_csrf_token(
    requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = Client(enforce_csrf_checks=True)
    client.login(email=requester.email, password=PASSWORD)
    assert client.get(f"/api/v1/tickets/{ticket.number}").status_code == 200

    url = f"/api/v1/tickets/{ticket.number}/comments"
    refused = client.post(url, {"body": "Still jamming"}, content_type="application/json")
    assert "CSRF" in assert_problem(refused, 403)["detail"]
    assert not ticket.journal.filter(entry_type="comment").exists()

    client.get("/api/v1/docs")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        url,
        {"body": "Still jamming"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.content


def test_bearer_writes_need_no_csrf_token(
    requester: Any, create_ticket: Any, token_for: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = Client(
        enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token_for(requester)}"}
    )
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/comments",
        {"body": "From a script"},
        content_type="application/json",
    )
    assert response.status_code == 201


@pytest.fixture
def ticket_url(requester: Any, create_ticket: Any) -> str:
    return f"/api/v1/tickets/{create_ticket(requester=requester).number}"


def test_malformed_json_is_a_400_problem(api_client: Any, agent: Any, ticket_url: str) -> None:
    response = api_client(agent).post(
        f"{ticket_url}/comments", b'{"body": "unterminated', content_type="application/json"
    )
    assert "JSON" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {"body": 42},
        {"body": "ok", "internal": "perhaps"},
        {"body": ["a"]},
        ["not", "an", "object"],
        '"just a string"',
        {},
    ],
)
def test_wrong_types_are_a_422_problem(
    api_client: Any, agent: Any, ticket_url: str, payload: Any
) -> None:
    response = api_client(agent).post(
        f"{ticket_url}/comments", payload, content_type="application/json"
    )
    body = assert_problem(response, 422)
    assert body["errors"]


def test_unknown_fields_are_refused(api_client: Any, agent: Any, ticket_url: str) -> None:
    client = api_client(agent)
    response = client.post(
        f"{ticket_url}/comments",
        {"body": "hello", "internall": True},
        content_type="application/json",
    )
    body = assert_problem(response, 422)
    assert any("internall" in e["location"] for e in body["errors"])
    response = client.patch(ticket_url, {"titel": "typo"}, content_type="application/json")
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("cursor=not-a-cursor", 400),
        ("cursor=eyJvIjoiLW9wZW5lZF9hdCIsInYiOiJ4IiwiaSI6MX0", 400),  # another ordering's
        ("state=sleeping", 422),
        ("kind=unicorn", 422),
        ("priority=P9", 422),
        ("ordering=title", 422),
        ("limit=0", 422),
        ("limit=201", 422),
        ("limit=ten", 422),
        ("assignment_group=Nobody", 422),
        ("assignee=ghost@example.test", 422),
        ("requester=99999999999999999999999", 422),
        ("q=%00", 422),
    ],
)
def test_bad_filters_and_cursors_are_4xx_problems(
    api_client: Any, agent: Any, query: str, status: int
) -> None:
    assert_problem(api_client(agent).get(f"/api/v1/tickets?{query}"), status)


def test_unknown_route_and_method_are_problems(api_client: Any, agent: Any) -> None:
    client = api_client(agent)
    assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert_problem(client.post("/api/v1/no-such-thing", {}), 404)
    response = client.delete("/api/v1/tickets")
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_unknown_ticket_number_is_404(api_client: Any, agent: Any) -> None:
    client = api_client(agent)
    assert_problem(client.get("/api/v1/tickets/INC9999999"), 404)
    assert_problem(client.get("/api/v1/tickets/%00weird"), 404)


def test_body_over_djangos_limit_is_a_413_problem(
    api_client: Any, agent: Any, ticket_url: str, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client(agent).post(
        f"{ticket_url}/comments", {"body": "x" * 5000}, content_type="application/json"
    )
    assert_problem(response, 413)


def test_multipart_fields_over_djangos_limit_are_a_413_problem(
    api_client: Any, agent: Any, ticket_url: str, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client(agent).post(
        f"{ticket_url}/attachments",
        {"files": SimpleUploadedFile("a.txt", b"hello"), "internal": "x" * 5000},
    )
    assert_problem(response, 413)


def test_api_root_points_to_the_docs(db: None) -> None:
    body = Client().get("/api/v1/").json()
    assert body["docs"].endswith("/api/v1/docs")
    assert body["openapi"].endswith("/api/v1/openapi.json")
