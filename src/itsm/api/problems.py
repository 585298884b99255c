"""RFC 9457 problem details: the one error format of the API, and its OpenAPI declaration."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import ConfigDict

PROBLEM_JSON = "application/problem+json"

#: Titles for statuses raised without a more specific one.
STATUS_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
}


class ProblemOut(Schema):
    """An RFC 9457 problem document. Extension members (``errors``, ``allowed_transitions``,
    ``current_version``, ``field``) appear when they help the client recover."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str


def problem_response(
    request: HttpRequest, *, status: int, title: str | None = None, detail: str, **extra: Any
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": title or STATUS_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    return HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=PROBLEM_JSON
    )


#: Problems any authenticated endpoint can answer.
COMMON_PROBLEMS = (400, 401, 404, 422)


def problems(*statuses: int) -> dict[int, type[ProblemOut]]:
    """Response declarations for an operation: the common problems plus ``statuses``."""
    return {status: ProblemOut for status in sorted({*COMMON_PROBLEMS, *statuses})}
