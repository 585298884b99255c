"""JSON answers carrying the ticket's ETag."""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpResponse
from pydantic import BaseModel

from itsm.api.concurrency import with_etag

JSON = "application/json; charset=utf-8"


def answer(
    payload: BaseModel | Sequence[BaseModel], *, status: int = 200, version: int | None = None
) -> HttpResponse:
    if isinstance(payload, BaseModel):
        content = payload.model_dump_json()
    else:
        content = "[" + ",".join(item.model_dump_json() for item in payload) + "]"
    response = HttpResponse(content, status=status, content_type=JSON)
    return with_etag(response, version) if version is not None else response
