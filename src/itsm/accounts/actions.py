"""Writes for people, teams and tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from itsm.accounts.choices import Availability, Role
from itsm.accounts.models import ApiToken, Organization, User


@transaction.atomic(savepoint=False)
def do_create_user(
    *,
    email: str,
    full_name: str,
    password: str | None = None,
    role: Role = Role.REQUESTER,
    organization: Organization | None = None,
    is_vip: bool = False,
) -> User:
    """Create an account. Every account can report an incident at once: it is at least a requester."""
    return User.objects.create_user(
        email, password, full_name=full_name, role=role, organization=organization, is_vip=is_vip
    )


@transaction.atomic(savepoint=False)
def do_create_api_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and shown only once."""
    secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_prefix=secret[:12], key_hash=ApiToken.hash_key(secret)
    )
    return token, secret


@transaction.atomic(savepoint=False)
def do_revoke_api_token(token: ApiToken, *, actor: User | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def authenticate_api_token(secret: str) -> User | None:
    """The active user a Bearer secret belongs to, recording when the token was last used."""
    if not secret.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute: a token used at 400 req/s must not turn
    # every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic(savepoint=False)
def do_set_availability(
    user: User, *, availability: Availability, away_until: datetime | None, actor: User | None
) -> User:
    user.availability = availability
    user.away_until = away_until if availability == Availability.AWAY else None
    user.save(update_fields=["availability", "away_until"])
    return user
