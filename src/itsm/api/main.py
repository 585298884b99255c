"""The REST API at /api/v1: authentication, error format (RFC 9457 problem+json) and routers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from itsm.accounts.actions import authenticate_api_token
from itsm.api.problems import PROBLEM_JSON, problem_response
from itsm.core.errors import ActionError, StaleVersion

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """``Authorization: Bearer itsm_…`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_api_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; ninja enforces CSRF on unsafe methods for it."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def _is_problem(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith(PROBLEM_JSON)


def _problem_views(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the plain 405 and 404 answers of URL routing into problem documents."""

    @functools.wraps(callback)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = callback(request, *args, **kwargs)
        except Http404:
            return _not_found(request)
        if response.status_code == 405 and not _is_problem(response):
            allow = response.get("Allow", "")
            problem = problem_response(
                request,
                status=405,
                detail=f"{request.method} is not allowed here; use {allow}.",
            )
            problem["Allow"] = allow
            return problem
        return response

    return csrf_exempt(view)


def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem_response(
        request,
        status=404,
        detail=f"There is no API endpoint at {request.path}; see /api/v1/docs.",
    )


class ItsmAPI(NinjaAPI):
    """NinjaAPI whose every answer, even routing failures, is JSON or problem+json."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                if pattern.name == "api-root":
                    pattern.callback = csrf_exempt(_api_root)
                else:
                    pattern.callback = _problem_views(pattern.callback)
        urls.append(re_path(r"^.*$", csrf_exempt(_not_found), name="not-found"))
        return urls

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        _problem_content_types(schema)
        return schema


def _api_root(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return JsonResponse(
        {
            "title": api.title,
            "version": api.version,
            "openapi": request.build_absolute_uri("openapi.json"),
            "docs": request.build_absolute_uri("docs"),
        }
    )


def _problem_content_types(schema: Any) -> None:
    """Problem responses are served as application/problem+json; say so in the spec."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                media = content.get("application/json")
                if media is None or not str(status).startswith(("4", "5")):
                    continue
                if media.get("schema", {}).get("$ref", "").endswith("/ProblemOut"):
                    content[PROBLEM_JSON] = content.pop("application/json")


api = ItsmAPI(
    title="ITSM API",
    version="1",
    description=(
        "IT service management aligned with ITIL 4: Incidents, journals, attachments, SLAs. "
        "Authenticate with `Authorization: Bearer <token>` (create one with "
        "`itsm token create EMAIL --name NAME`) or a browser session (send the CSRF token "
        "in `X-CSRFToken` on writes). Errors are RFC 9457 problem+json documents. Lists are "
        'cursor-paginated: follow `next`. Writes honour `If-Match: W/"<version>"`; creating '
        "POSTs honour `Idempotency-Key`."
    ),
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    # A stale If-Match is a failed precondition (RFC 9110 §13.1.1): 412, never a lost update.
    status = 412 if isinstance(exc, StaleVersion) else exc.status
    return problem_response(request, status=status, title=exc.title, detail=exc.detail, **exc.extra)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "location": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", "invalid"),
            "type": error.get("type", ""),
        }
        for error in exc.errors
    ]
    return problem_response(
        request,
        status=422,
        title="Invalid input",
        detail="The request does not match the schema: "
        + "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5]),
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        request,
        status=401,
        title="Unauthorized",
        detail="Send a valid API token as 'Authorization: Bearer <token>' or log in.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="itsm"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = str(exc)
    if exc.status_code == 403 and "CSRF" in detail:
        detail = (
            "CSRF check failed: with a session cookie, send the CSRF token in the "
            "X-CSRFToken header on writes (or use a Bearer token)."
        )
    elif exc.status_code == 400 and "parse request body" in detail:
        detail = "The request body is not valid JSON."
    return problem_response(request, status=exc.status_code, detail=detail)


@api.exception_handler(Http404)
def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, status=404, detail=str(exc) or "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(
        request,
        status=413,
        detail=f"The request body exceeds the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
        "bytes; attachments may be at most "
        f"{settings.ITSM_ATTACHMENT_MAX_BYTES} bytes each.",
    )


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return problem_response(request, status=400, detail=f"Malformed multipart body: {exc}")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return problem_response(request, status=400, detail=str(exc) or "The request was refused.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return problem_response(
        request, status=500, title="Internal server error", detail="An unexpected error occurred."
    )


from itsm.api import routes  # noqa: E402  (routers register themselves on ``api``)

routes.register(api)
