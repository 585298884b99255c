"""Writes of the agent workspace's own data (saved views). Tickets are written by workflow actions."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from itsm.accounts.models import Group, User
from itsm.core.errors import InvalidInput, NotFound
from itsm.workspace.models import SavedView


@transaction.atomic(durable=True)
def do_save_view(
    *, name: str, querystring: str, shared_with: Group | None, actor: User
) -> SavedView:
    """Save (or overwrite) the actor's view of this name; sharing needs membership of the group."""
    name = name.strip()
    if not name:
        raise InvalidInput("name", "Give the view a name.")
    if len(name) > 100:
        raise InvalidInput("name", "At most 100 characters.")
    if shared_with is not None and not actor.assignment_groups.filter(pk=shared_with.pk).exists():
        raise InvalidInput("shared_with", f"You are not a member of {shared_with}.")
    try:
        with transaction.atomic():
            view, _ = SavedView.objects.update_or_create(
                owner=actor,
                name=name,
                defaults={"querystring": querystring[:2000], "shared_with": shared_with},
            )
    except IntegrityError:
        raise InvalidInput("name", "A view of this name exists already.") from None
    return view


@transaction.atomic(durable=True)
def do_delete_view(view_id: int, *, actor: User) -> None:
    """Delete one of the actor's own views (shared views are deleted by their owner)."""
    deleted, _ = SavedView.objects.filter(pk=view_id, owner=actor).delete()
    if not deleted:
        raise NotFound("No such view of yours.")
