"""Turn what a client names (id, name, email, ``me``) into records, with a 422 naming the field."""

from __future__ import annotations

import re
from typing import Any

from itsm.accounts.models import Group, User
from itsm.core.errors import InvalidInput, NotFound
from itsm.tickets.models import Ticket
from itsm.tickets.querysets import access_ticket_by_number

MAX_ID = 2**63 - 1
_NUMBER = re.compile(r"^[A-Za-z]{2,8}\d{1,12}$")


def clean_text(field: str, value: str | None) -> str | None:
    """Text from a query string; NUL characters are refused (no database stores them)."""
    if value is not None and "\x00" in value:
        raise InvalidInput(field, f"{field} may not contain NUL characters.")
    return value


def _as_id(value: int | str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else 0
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        number = int(text)
        return number if 1 <= number <= MAX_ID else 0
    return None


def find_group(field: str, value: int | str) -> Group:
    """An assignment group by id or name."""
    clean_text(field, str(value))
    pk = _as_id(value)
    group = (
        Group.objects.filter(pk=pk).first()
        if pk is not None
        else Group.objects.filter(name__iexact=str(value).strip()).first()
    )
    if group is None:
        raise InvalidInput(field, f"No assignment group {value!s}.")
    return group


def find_user(field: str, value: int | str, *, me: Any) -> Any:
    """A user by id, email or ``me``."""
    clean_text(field, str(value))
    if isinstance(value, str) and value.strip().lower() == "me":
        return me
    pk = _as_id(value)
    user = (
        User.objects.filter(pk=pk, is_active=True).first()
        if pk is not None
        else User.objects.filter(email__iexact=str(value).strip(), is_active=True).first()
    )
    if user is None:
        raise InvalidInput(field, f"No active user {value!s}.")
    return user


def ticket_for(user: Any, number: str) -> Ticket:
    """The ticket if this user may see it: unknown and invisible numbers both answer 404."""
    if not _NUMBER.match(number.strip()):
        raise NotFound(f"No ticket {number[:40]!s} that you may see.")
    return access_ticket_by_number(user, number)
