"""Who am I: the authenticated user, role and assignment groups."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from itsm.api.problems import problems
from itsm.api.schemas import GroupOut, MeOut

router = Router()


@router.get("", response={200: MeOut, **problems()}, summary="Who am I")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    groups = user.assignment_groups.order_by("name")  # type: ignore[union-attr]
    return MeOut(
        id=user.pk or 0,
        email=user.email,  # type: ignore[union-attr]
        full_name=user.full_name,  # type: ignore[union-attr]
        role=user.role,  # type: ignore[union-attr]
        role_display=user.get_role_display(),  # type: ignore[union-attr]
        is_agent=user.is_agent,  # type: ignore[union-attr]
        is_manager=user.is_manager,  # type: ignore[union-attr]
        is_admin=user.is_admin,  # type: ignore[union-attr]
        organization=str(user.organization) if user.organization else None,  # type: ignore[union-attr]
        groups=[GroupOut(id=g.pk, name=g.name) for g in groups],
    )
