"""Errors that actions raise. Every face maps them the same way (API: problem+json; UI: form errors)."""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    """A request that cannot be carried out as asked. ``status`` is the HTTP status it maps to."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(ActionError):
    status = 404
    title = "Not found"


class PermissionDenied(ActionError):
    status = 403
    title = "Forbidden"


class InvalidInput(ActionError):
    """A field has a value the action cannot accept; ``field`` names it."""

    status = 422
    title = "Invalid input"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class Conflict(ActionError):
    status = 409
    title = "Conflict"


class StaleVersion(Conflict):
    """The ticket changed since the caller read it (optimistic concurrency)."""

    title = "The ticket was changed by someone else"


class TransitionNotAllowed(Conflict):
    title = "Transition not allowed"


class PayloadTooLarge(ActionError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(ActionError):
    status = 415
    title = "Unsupported media type"
