"""Background recomputation after a calendar or SLA definition changed (django-tasks).

The task is enqueued by the editing action in its own transaction (the database backend stores
the job row with the change) and recomputes, in batches of short transactions, every open ticket
the change touches: tickets with an open instance of the definitions, and active tickets whose
fields match an active definition's conditions (they get it attached).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from itsm.sla.live import Selector, active_selectors, recompute_ticket_slas
from itsm.sla.models import OPEN_INSTANCE_Q, SlaInstance
from itsm.tickets.choices import INACTIVE_STATES
from itsm.tickets.models import Ticket

BATCH_SIZE = 100


def _selector_q(selector: Selector) -> Q:
    q = Q()
    for field, values in (
        ("kind__in", selector.kinds),
        ("priority__in", selector.priorities),
        ("service_id__in", selector.service_ids),
        ("category_id__in", selector.category_ids),
        ("organization_id__in", selector.organization_ids),
        ("assignment_group_id__in", selector.group_ids),
    ):
        if values:
            q &= Q(**{field: sorted(values)})
    return q


def touched_ticket_ids(definition_ids: Sequence[int]) -> list[int]:
    """Open tickets whose SLAs a change of these definitions may alter."""
    with_instances = SlaInstance.objects.filter(
        OPEN_INSTANCE_Q, definition_id__in=definition_ids
    ).values_list("ticket_id", flat=True)
    ids = set(with_instances)
    wanted = set(definition_ids)
    active = Ticket.objects.exclude(state__in=INACTIVE_STATES)
    for selector in active_selectors():
        if selector.definition_id in wanted:
            ids.update(active.filter(_selector_q(selector)).values_list("pk", flat=True))
    return sorted(ids)


def recompute_tickets(ticket_ids: Iterable[int], *, batch_size: int = BATCH_SIZE) -> int:
    """Recompute the SLAs of these tickets, ``batch_size`` tickets per transaction."""
    ids = list(ticket_ids)
    done = 0
    for offset in range(0, len(ids), batch_size):
        with transaction.atomic():
            # Same lock as every action: a concurrent edit of the ticket waits, or we do.
            tickets = Ticket.objects.select_for_update(of=("self",)).filter(
                pk__in=ids[offset : offset + batch_size]
            )
            for ticket in tickets.order_by("pk"):
                recompute_ticket_slas(ticket, now=timezone.now())
                done += 1
    return done


@task()
def recompute_slas_for_definitions(definition_ids: list[int]) -> int:
    """Recompute the open tickets touched by these definitions; return how many."""
    return recompute_tickets(touched_ticket_ids(definition_ids))
