"""Writes on Service Level Management policy: business calendars and SLA definitions.

Each save validates the row, stores it and enqueues the background recomputation of the open
tickets it touches, in one transaction (the task row commits with the change, or neither does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from itsm.core.errors import InvalidInput, PermissionDenied
from itsm.sla.models import BusinessCalendar, SlaDefinition
from itsm.sla.tasks import recompute_slas_for_definitions

CONDITION_FIELDS = ("services", "categories", "organizations", "assignment_groups")


def _require_admin(actor: Any) -> None:
    if actor is not None and not getattr(actor, "is_admin", False):
        raise PermissionDenied("Only administrators change calendars and SLA definitions.")


def _validate(obj: BusinessCalendar | SlaDefinition) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(field, " ".join(messages)) from exc


def schedule_recompute(definition_ids: Iterable[int]) -> None:
    """Enqueue the recomputation of the open tickets these definitions touch."""
    ids = sorted(set(definition_ids))
    if ids:
        recompute_slas_for_definitions.enqueue(ids)


@transaction.atomic
def do_save_business_calendar(calendar: BusinessCalendar, *, actor: Any) -> BusinessCalendar:
    """Create or change a business calendar; its definitions' open tickets are recomputed."""
    _require_admin(actor)
    _validate(calendar)
    calendar.save()
    schedule_recompute(calendar.definitions.values_list("pk", flat=True))
    return calendar


@transaction.atomic
def do_save_sla_definition(
    definition: SlaDefinition, *, actor: Any, **conditions: Iterable[Any]
) -> SlaDefinition:
    """Create or change an SLA definition (conditions by keyword: services, categories,
    organizations, assignment_groups); the open tickets it touches are recomputed."""
    _require_admin(actor)
    unknown = set(conditions) - set(CONDITION_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "Not a condition of SLA definitions.")
    _validate(definition)
    definition.save()
    for field, values in conditions.items():
        getattr(definition, field).set(list(values))
    if conditions:
        # The selectors cache keys on updated_at: the many-to-many change must move it.
        definition.save(update_fields=["updated_at"])
    schedule_recompute([definition.pk])
    return definition
