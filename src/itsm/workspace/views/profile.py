"""The signed-in person's own settings: availability (agents) and personal API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from itsm.accounts.actions import do_create_api_token, do_revoke_api_token, do_set_availability
from itsm.accounts.choices import Availability
from itsm.accounts.models import ApiToken
from itsm.workspace.views.common import current_user


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(label=_("Availability"), choices=Availability.choices)
    away_until = forms.DateTimeField(
        label=_("Away until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_(
            "Leave empty when you do not know yet. Automatic assignment skips you meanwhile."
        ),
    )

    def clean_away_until(self) -> Any:
        value = self.cleaned_data["away_until"]
        if value is not None and value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return value


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “monitoring” or “laptop script”."),
    )


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = current_user(request)
    return {
        "base_template": "workspace/base.html" if user.is_agent else "portal/base.html",
        "tokens": ApiToken.objects.filter(user=user),
        "token_form": extra.pop("token_form", None) or TokenForm(),
        "availability_form": extra.pop("availability_form", None)
        or AvailabilityForm(
            initial={"availability": user.availability, "away_until": user.away_until}
        ),
        **extra,
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/profile.html", _context(request))


@login_required
@require_POST
def set_availability(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_agent:
        raise Http404
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        return render(
            request, "workspace/profile.html", _context(request, availability_form=form), status=422
        )
    do_set_availability(
        user,
        availability=Availability(form.cleaned_data["availability"]),
        away_until=form.cleaned_data["away_until"],
        actor=user,
    )
    messages.success(request, _("Your availability is saved."))
    return redirect("profile")


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(
            request, "workspace/profile.html", _context(request, token_form=form), status=422
        )
    token, secret = do_create_api_token(user, name=form.cleaned_data["name"])
    # The secret is rendered once, in this answer, and never stored or shown again.
    response = render(
        request, "workspace/profile.html", _context(request, new_token=token, secret=secret)
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=current_user(request), pk=token_id).first()
    if token is None:
        raise Http404
    do_revoke_api_token(token, actor=current_user(request))
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("profile")
