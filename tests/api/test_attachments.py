"""Attachments: upload, list, download, size limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from itsm.tickets.models import Attachment
from tests.api.conftest import assert_problem

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_list_and_download(
    api_client: Any,
    agent: Any,
    requester: Any,
    create_ticket: Any,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(requester)
    base = f"/api/v1/tickets/{ticket.number}/attachments"
    response = client.post(
        base,
        {
            "files": [
                SimpleUploadedFile("../../etc/error log.txt", b"paper jam at tray 2"),
                SimpleUploadedFile("screen.png", PNG),
            ]
        },
    )
    assert response.status_code == 201, response.content
    stored = response.json()
    assert [a["filename"] for a in stored] == ["error_log.txt", "screen.png"]
    assert [a["content_type"] for a in stored] == ["text/plain", "image/png"]
    ticket.refresh_from_db()
    assert response["ETag"] == f'W/"{ticket.version}"'

    client.get("/api/v1/me")
    with django_assert_max_num_queries(5):
        listed = client.get(base).json()
    assert [a["id"] for a in listed["items"]] == [a["id"] for a in stored]

    download = client.get(stored[0]["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"paper jam at tray 2"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="error_log.txt"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"].startswith("text/plain")


def test_oversize_attachment_is_413_and_nothing_is_stored(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any, settings: Any
) -> None:
    settings.ITSM_ATTACHMENT_MAX_BYTES = 1024
    ticket = create_ticket(requester=requester)
    version = ticket.version
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {
            "files": [
                SimpleUploadedFile("small.txt", b"fine"),
                SimpleUploadedFile("big.txt", b"x" * 2048),
            ]
        },
    )
    assert "1024" in assert_problem(response, 413)["detail"]
    assert not Attachment.objects.exists()
    assert _files(Path(settings.MEDIA_ROOT)) == []
    ticket.refresh_from_db()
    assert ticket.version == version


def test_unsupported_type_is_415(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {"files": SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 200)},
    )
    assert_problem(response, 415)
    assert not Attachment.objects.exists()


def test_upload_without_files_is_422(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/attachments", {"internal": "false"}
    )
    assert_problem(response, 422)


def test_upload_with_idempotency_key_stores_once(
    api_client: Any, agent: Any, requester: Any, create_ticket: Any
) -> None:
    ticket = create_ticket(requester=requester)
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.number}/attachments"
    for _ in range(2):
        response = client.post(
            url,
            {"files": SimpleUploadedFile("log.txt", b"same bytes")},
            headers={"Idempotency-Key": "upload-1"},
        )
        assert response.status_code == 201
    assert ticket.attachments.count() == 1
    different = client.post(
        url,
        {"files": SimpleUploadedFile("log.txt", b"other bytes")},
        headers={"Idempotency-Key": "upload-1"},
    )
    assert_problem(different, 422)
