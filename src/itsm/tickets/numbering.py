"""Ticket numbers: INC0001234. Unique, gap-tolerant and safe under concurrent creation.

PostgreSQL uses a native sequence per prefix: ``nextval`` never blocks another transaction,
so sixteen concurrent creations do not queue on one counter row (a rolled-back creation
leaves a gap, which is fine). SQLite serialises writers anyway, so a counter row is enough.
"""

from __future__ import annotations

from django.db import connection

from itsm.taxonomy.choices import KIND_PREFIX, TicketKind
from itsm.tickets.models import NumberSequence

DIGITS = 7


def sequence_name(prefix: str) -> str:
    return f"itsm_ticket_number_{prefix.lower()}"


def allocate_number(kind: str) -> str:
    prefix = KIND_PREFIX[TicketKind(kind)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [sequence_name(prefix)])
            value = int(cursor.fetchone()[0])
    else:
        sequence, _ = NumberSequence.objects.select_for_update().get_or_create(prefix=prefix)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        value = sequence.last_value
    return f"{prefix}{value:0{DIGITS}d}"
