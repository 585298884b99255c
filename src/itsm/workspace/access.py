"""Who may use the workspace, and how action errors reach a form."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBase

from itsm.core.errors import ActionError, InvalidInput

View = Callable[..., HttpResponseBase]


def agent_required(view: View) -> View:
    """Agents only; anyone else gets 404, so the workspace's URLs reveal nothing."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_agent:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_manager:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def add_action_error(form: forms.Form, error: ActionError) -> None:
    """Show an action's refusal on the field it names, or at the top of the form."""
    field = error.field if isinstance(error, InvalidInput) else None
    if field in form.fields:
        form.add_error(field, error.detail)
    else:
        form.add_error(None, error.detail)


def status_for(form: forms.Form) -> int:
    return 422 if form.errors else 200
