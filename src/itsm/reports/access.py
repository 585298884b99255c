"""Who reaches the report pages: service desk staff. Everyone else gets 404 (URLs reveal nothing)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from itsm.reporting.catalog import may_see_reports

View = Callable[..., HttpResponseBase]


def reports_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_see_reports(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def managers_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not getattr(request.user, "is_manager", False):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
