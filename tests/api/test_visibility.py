"""Requesters see only their own tickets, and never a work note, through any endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from itsm.workflow.actions import UploadedFile, do_add_attachments, do_add_comment
from tests.api.conftest import assert_problem

SECRET = "root password is hunter2"


@pytest.fixture
def others_ticket(other_requester: Any, agent: Any, create_ticket: Any) -> Any:
    ticket = create_ticket(requester=other_requester, title="Salary sheet locked")
    do_add_attachments(
        ticket, files=[UploadedFile("sheet.txt", b"salaries")], internal=False, actor=agent
    )
    return ticket


def test_requester_cannot_reach_another_requesters_ticket(
    api_client: Any, requester: Any, others_ticket: Any
) -> None:
    client = api_client(requester)
    base = f"/api/v1/tickets/{others_ticket.number}"
    attachment = others_ticket.attachments.get()
    for url in (
        base,
        f"{base}/journal",
        f"{base}/attachments",
        f"{base}/attachments/{attachment.pk}",
        f"{base}/watchers",
        f"{base}/transitions",
    ):
        body = assert_problem(client.get(url), 404)
        assert "Salary" not in body["detail"]
    comment = client.post(f"{base}/comments", {"body": "hi"}, content_type="application/json")
    assert_problem(comment, 404)
    upload = client.post(f"{base}/attachments", {"files": SimpleUploadedFile("a.txt", b"x")})
    assert_problem(upload, 404)
    assert others_ticket.attachments.count() == 1
    assert client.get("/api/v1/tickets").json()["items"] == []
    assert client.get("/api/v1/tickets?q=Salary").json()["items"] == []
    assert client.get(f"/api/v1/tickets?q={others_ticket.number}").json()["items"] == []


def test_an_attachment_id_of_another_ticket_is_404(
    api_client: Any, requester: Any, create_ticket: Any, others_ticket: Any
) -> None:
    mine = create_ticket(requester=requester)
    theirs = others_ticket.attachments.get()
    response = api_client(requester).get(f"/api/v1/tickets/{mine.number}/attachments/{theirs.pk}")
    assert_problem(response, 404)


def test_work_notes_and_internal_attachments_never_reach_the_requester(
    api_client: Any, requester: Any, agent: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    note = do_add_comment(ticket, body=SECRET, internal=True, actor=agent)
    do_add_comment(ticket, body="We are on it.", internal=False, actor=agent)
    do_add_attachments(
        ticket, files=[UploadedFile("creds.txt", SECRET.encode())], internal=True, actor=agent
    )
    internal = ticket.attachments.get(is_internal=True)
    client = api_client(requester)
    base = f"/api/v1/tickets/{ticket.number}"

    journal = client.get(f"{base}/journal")
    assert journal.status_code == 200
    assert SECRET not in journal.content.decode()
    assert "creds.txt" not in journal.content.decode()
    assert all(not entry["internal"] for entry in journal.json()["items"])
    assert "We are on it." in journal.content.decode()
    assert note.pk not in {entry["id"] for entry in journal.json()["items"]}

    assert client.get("/api/v1/tickets?q=hunter2").json()["items"] == []
    assert SECRET not in client.get("/api/v1/tickets").content.decode()
    assert client.get(f"{base}/attachments").json()["items"] == []
    assert_problem(client.get(f"{base}/attachments/{internal.pk}"), 404)

    # The agent sees both.
    agent_journal = api_client(agent).get(f"{base}/journal").content.decode()
    assert SECRET in agent_journal
    assert "creds.txt" in agent_journal


def test_requester_may_not_post_work_notes(
    api_client: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(requester).post(
        f"/api/v1/tickets/{ticket.number}/comments",
        {"body": "sneaky", "internal": True},
        content_type="application/json",
    )
    assert_problem(response, 403)
    assert not ticket.journal.filter(body="sneaky").exists()
    upload = api_client(requester).post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {"files": SimpleUploadedFile("a.txt", b"x"), "internal": "true"},
    )
    assert_problem(upload, 403)
    assert not ticket.attachments.exists()
