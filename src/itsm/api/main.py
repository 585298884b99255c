"""The REST API at /api/v1: authentication, error format (RFC 9457 problem+json) and routers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from itsm.accounts.actions import authenticate_api_token
from itsm.api.problems import problem_response
from itsm.core.errors import ActionError


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


api = NinjaAPI(
    title="ITSM API",
    version="1",
    description=(
        "IT service management aligned with ITIL 4: Incidents, journals, attachments, SLAs. "
        "Authenticate with `Authorization: Bearer <token>` (create one with "
        "`itsm token create EMAIL --name NAME` or in your profile) or a browser session. "
        "Errors are RFC 9457 problem+json documents."
    ),
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return problem_response(
        request, status=exc.status, title=exc.title, detail=exc.detail, **exc.extra
    )


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
    return problem_response(
        request, status=exc.status_code, title=str(exc.message), detail=str(exc)
    )


from itsm.api import routes  # noqa: E402  (routers register themselves on ``api``)

routes.register(api)
