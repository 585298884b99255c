from django.db import models
from django.utils.translation import gettext_lazy as _


class EscalationTrigger(models.TextChoices):
    """What makes an escalation rule fire.

    The SLA triggers are evaluated by the SLA engine's sweeper, which fires the rule through
    ``itsm.rules.escalation.fire_escalation``; the others are evaluated by ``sweep_escalations``.
    """

    NOT_ACKNOWLEDGED_WITHIN = "not_acknowledged_within", _("Not acknowledged within")
    NOT_RESOLVED_WITHIN = "not_resolved_within", _("Not resolved within")
    PRIORITY_AT_ONCE = "priority_at_once", _("At once for the priorities")
    SLA_WARNING = "sla_warning", _("SLA warning threshold reached")
    SLA_BREACH = "sla_breach", _("SLA breached")


#: Triggers driven by business time elapsed on the rule's calendar.
TIME_TRIGGERS = frozenset(
    {EscalationTrigger.NOT_ACKNOWLEDGED_WITHIN, EscalationTrigger.NOT_RESOLVED_WITHIN}
)
#: Triggers that ``sweep_escalations`` evaluates itself.
SWEPT_TRIGGERS = TIME_TRIGGERS | {EscalationTrigger.PRIORITY_AT_ONCE}
