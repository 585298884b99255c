"""Escalation rules with SLA triggers (``sla_warning``, ``sla_breach``), fired by the SLA sweeper.

The rules live in ``itsm.rules`` (EscalationRule, with ``sla_metric`` and ``sla_percent``); this
module selects the ones a threshold triggers and fires them through the rules' own
``fire_escalation``, whose EscalationFiring constraint makes each fire once per ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from itsm.rules.choices import EscalationTrigger
from itsm.rules.escalation import fire_escalation
from itsm.rules.models import EscalationFiring, EscalationRule
from itsm.sla.models import SlaInstance
from itsm.sla.notices import threshold_text
from itsm.tickets.models import JournalEntry, Ticket

SLA_TRIGGERS = (EscalationTrigger.SLA_WARNING, EscalationTrigger.SLA_BREACH)


@dataclass(frozen=True)
class SlaEscalations:
    """The active SLA-triggered rules, read once per sweep pass."""

    rules: tuple[tuple[EscalationRule, frozenset[int]], ...]

    @classmethod
    def load(cls) -> SlaEscalations:
        rules = EscalationRule.objects.filter(is_active=True, trigger__in=SLA_TRIGGERS)
        return cls(
            tuple(
                (rule, frozenset(g.pk for g in rule.groups.all()))
                for rule in rules.prefetch_related("groups").order_by("order", "id")
            )
        )

    def matching(
        self, ticket: Ticket, instance: SlaInstance, kind: str, percent: int | None
    ) -> list[EscalationRule]:
        trigger = (
            EscalationTrigger.SLA_BREACH if kind == "breach" else EscalationTrigger.SLA_WARNING
        )
        found = []
        for rule, group_ids in self.rules:
            if rule.trigger != trigger:
                continue
            if rule.sla_metric and rule.sla_metric != instance.metric:
                continue
            if trigger == EscalationTrigger.SLA_WARNING and rule.sla_percent not in (None, percent):
                continue
            if rule.kind and rule.kind != ticket.kind:
                continue
            if rule.priorities and ticket.priority not in rule.priorities:
                continue
            if group_ids and ticket.assignment_group_id not in group_ids:
                continue
            found.append(rule)
        return found

    def run(
        self,
        ticket: Ticket,
        instance: SlaInstance,
        kind: str,
        percent: int | None,
        *,
        entry: JournalEntry | None,
        now: datetime,
    ) -> int:
        """Fire the matching rules (each once per ticket); return how many fired."""
        why = threshold_text(instance, kind, percent).rstrip(".")
        return sum(
            fire_escalation(rule, ticket, level=1, now=now, why=why)
            for rule in self.matching(ticket, instance, kind, percent)
        )

    def run_many(
        self,
        fired: Sequence[tuple[Ticket, SlaInstance, str, int | None, JournalEntry | None]],
        *,
        now: datetime,
    ) -> int:
        """``run`` for each fired threshold (ticket, instance, kind, percent, journal line), in
        order; the rules already fired on these tickets are looked up at once and skipped."""
        matches = [
            (ticket, instance, kind, percent, rule)
            for ticket, instance, kind, percent, _entry in fired
            for rule in self.matching(ticket, instance, kind, percent)
        ]
        if not matches:
            return 0
        # SLA rules fire at level 1; fire_escalation checks again under the ticket lock.
        done = set(
            EscalationFiring.objects.filter(
                rule_id__any=sorted({rule.pk for *_, rule in matches}),
                ticket_id__any=sorted({ticket.pk for ticket, *_ in matches}),
                level=1,
            ).values_list("rule_id", "ticket_id")
        )
        count = 0
        for ticket, instance, kind, percent, rule in matches:
            if (rule.pk, ticket.pk) in done:
                continue
            done.add((rule.pk, ticket.pk))
            why = threshold_text(instance, kind, percent).rstrip(".")
            count += fire_escalation(rule, ticket, level=1, now=now, why=why)
        return count


def run_sla_escalations(
    ticket: Ticket, instance: SlaInstance, kind: str, percent: int | None, *, now: datetime
) -> int:
    """Fire the escalation rules an SLA threshold triggers on this ticket (one-off callers)."""
    return SlaEscalations.load().run(ticket, instance, kind, percent, entry=None, now=now)
