"""JSON answers carrying the ticket's ETag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from pydantic import BaseModel
from pydantic_core import to_json

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


def answer_data(data: dict[str, Any] | list[Any], *, status: int = 200) -> HttpResponse:
    """JSON of plain dicts and lists, written by the serialiser the schemas use (dates and
    times come out exactly as ``answer`` writes them); for lists built without schema
    instances. The route still declares its schema, so the documentation is unchanged."""
    return HttpResponse(to_json(data), status=status, content_type=JSON)
