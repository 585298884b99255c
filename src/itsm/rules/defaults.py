"""Starter escalation rules for a new installation (the demo and ``itsm`` setup call this)."""

from __future__ import annotations

from itsm.rules.choices import EscalationTrigger
from itsm.rules.models import EscalationRule

STARTER_RULES: list[dict[str, object]] = [
    {
        "name": "P1 incidents: alert the major incident team",
        "order": 10,
        "trigger": EscalationTrigger.PRIORITY_AT_ONCE,
        "kind": "incident",
        "priorities": ["P1"],
        "notify_major_incident_team": True,
    },
    {
        "name": "Not acknowledged within 30 minutes: escalate to the next tier",
        "order": 20,
        "trigger": EscalationTrigger.NOT_ACKNOWLEDGED_WITHIN,
        "kind": "incident",
        "priorities": ["P1", "P2", "P3"],
        "thresholds_minutes": [30],
        "reassign_to_parent": True,
    },
    {
        "name": "Not resolved: notify the group manager, then the next manager up",
        "order": 30,
        "trigger": EscalationTrigger.NOT_RESOLVED_WITHIN,
        "kind": "incident",
        "thresholds_minutes": [480, 960],
        "calendar": {
            "tz": "UTC",
            "weekly": {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        },
        "notify_managers": True,
    },
]


def ensure_default_rules() -> int:
    """Create the starter escalation rules that do not exist yet (by name); return how many."""
    created = 0
    for values in STARTER_RULES:
        fields = dict(values)
        name = str(fields.pop("name"))
        _, was_created = EscalationRule.objects.get_or_create(name=name, defaults=fields)
        created += int(was_created)
    return created
