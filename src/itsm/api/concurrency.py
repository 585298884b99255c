"""Optimistic concurrency over HTTP: ``ETag: W/"<version>"``, ``If-Match`` and ``If-None-Match``."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

from itsm.core.errors import ActionError

_TAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class MalformedPrecondition(ActionError):
    status = 400
    title = "Malformed precondition"


def etag(version: int) -> str:
    return f'W/"{version}"'


def with_etag(response: HttpResponse, version: int) -> HttpResponse:
    response["ETag"] = etag(version)
    return response


def expected_version(request: HttpRequest) -> int | None:
    """The version ``If-Match`` names: ``W/"7"``, ``"7"`` or ``7``; None when absent or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() in {"", "*"}:
        return None
    match = _TAG.match(header)
    if match is None:
        raise MalformedPrecondition(
            f'If-Match must be the ticket\'s ETag (W/"<version>") or its version number, '
            f"not {header[:40]!r}."
        )
    return int(match.group(1))


def not_modified(request: HttpRequest, version: int) -> bool:
    """Whether ``If-None-Match`` already names this version (the client's copy is current)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        match = _TAG.match(candidate)
        if match is not None and int(match.group(1)) == version:
            return True
    return False
