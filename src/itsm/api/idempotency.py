"""``Idempotency-Key`` for creating POSTs: a retried request gets the first answer again.

Usage on any creating operation (the view must return an ``HttpResponse`` or ``(status, schema)``)::

    @router.post("", response={201: IncidentOut, **problems(409, 422)})
    @idempotent
    def open_incident(request, payload: IncidentIn): ...

Same key, same user and same request (method, path, body) within 24 hours: the stored answer
is replayed with ``Idempotent-Replayed: true``. Same key with another request: 422. Same key
while the first request is still running: 409. Only successful (2xx) answers are stored, so a
request that failed may be retried with its key.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from pydantic import BaseModel

from itsm.api.models import IdempotencyRecord
from itsm.core.errors import ActionError, Conflict

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
#: A first request still "running" after this long died; its key may be used again.
ABANDONED_AFTER = timedelta(minutes=5)
REPLAYED_HEADERS = ("ETag", "Location")


class IdempotencyKeyReused(ActionError):
    status = 422
    title = "Idempotency key reused"


class InvalidIdempotencyKey(ActionError):
    status = 400
    title = "Invalid Idempotency-Key"


def _clean_key(raw: str) -> str:
    key = raw.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidIdempotencyKey(
            f"{HEADER} must be 1 to 255 printable characters (a UUID is a good choice)."
        )
    return key


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of what makes two requests the same: method, path and body (canonical form)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values]).encode())
        for field, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                file_digest = hashlib.sha256()
                for chunk in upload.chunks():
                    file_digest.update(chunk)
                upload.seek(0)
                digest.update(json.dumps([field, upload.name, file_digest.hexdigest()]).encode())
        return digest.hexdigest()
    body = request.body
    try:
        digest.update(json.dumps(json.loads(body), sort_keys=True).encode())
    except ValueError:
        digest.update(body)
    return digest.hexdigest()


def prune_idempotency_records(now: Any = None) -> int:
    """Forget answers older than 24 hours; returns how many were removed."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        record.body, status=record.status_code, content_type=record.content_type
    )
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _reserve(
    user: Any, key: str, fingerprint: str, request: HttpRequest
) -> IdempotencyRecord | HttpResponse:
    """Claim the key for this request, or the stored answer of the request that claimed it."""
    now = timezone.now()
    prune_idempotency_records(now)
    IdempotencyRecord.objects.filter(
        user=user, key=key, status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER
    ).delete()
    try:
        # The unique constraint decides between concurrent first requests; the reservation is
        # committed at once so the other request sees it while this one is still working.
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user,
                key=key,
                fingerprint=fingerprint,
                method=request.method or "",
                path=request.path[:500],
                created_at=now,
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if existing is None or existing.status_code is None:
        raise Conflict(f"A request with this {HEADER} is still being processed; retry in a moment.")
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"This {HEADER} was already used for a different request "
            f"({existing.method} {existing.path}); use a new key for a new request."
        )
    return _replay(existing)


def _as_response(result: Any) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    status, payload = result if isinstance(result, tuple) else (200, result)
    if isinstance(payload, BaseModel):
        content = payload.model_dump_json()
    else:
        content = json.dumps(payload, default=str)
    return HttpResponse(content, status=status, content_type="application/json; charset=utf-8")


def _complete(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.status_code = response.status_code
    record.content_type = response.get("Content-Type", "application/json")
    record.headers = {name: response[name] for name in REPLAYED_HEADERS if name in response}
    record.body = response.content.decode("utf-8")
    record.save(update_fields=["status_code", "content_type", "headers", "body"])


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Honour ``Idempotency-Key`` on a creating operation (place it under ``@router.post``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return view(request, *args, **kwargs)
        key = _clean_key(raw_key)
        claimed = _reserve(request.user, key, request_fingerprint(request), request)
        if isinstance(claimed, HttpResponse):
            return claimed
        try:
            response = _as_response(view(request, *args, **kwargs))
        except BaseException:
            claimed.delete()
            raise
        if 200 <= response.status_code < 300:
            _complete(claimed, response)
        else:
            claimed.delete()
        return response

    # ninja reads the view's annotations; resolve them against the view's own module.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    return wrapper
