"""Business calendars for escalation rules, in the JSON shape of the SLA simulator.

``{"tz": "Europe/Berlin", "weekly": {"mon": [["09:00", "17:00"]], ...}, "holidays": ["2025-12-25"]}``
or ``{"tz": "UTC", "mode": "24x7"}``; an empty value means 24x7 in UTC.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from itsm.sla.engine import WEEKDAYS, Calendar


def calendar_from_json(data: Any) -> Calendar:
    """An engine Calendar from the stored JSON; ValidationError names what is wrong."""
    if not data:
        return Calendar.always_open("UTC")
    if not isinstance(data, dict):
        raise ValidationError("The calendar must be a JSON object.")
    unknown = set(data) - {"tz", "mode", "weekly", "holidays"}
    if unknown:
        raise ValidationError(f"Unknown calendar keys: {', '.join(sorted(unknown))}.")
    tz = data.get("tz", "UTC")
    mode = data.get("mode", "weekly")
    try:
        if mode == "24x7":
            return Calendar.always_open(str(tz))
        if mode != "weekly":
            raise ValidationError("mode must be 'weekly' or '24x7'.")
        weekly = data.get("weekly")
        if not isinstance(weekly, dict):
            raise ValidationError(f"weekly must map weekdays ({', '.join(WEEKDAYS)}) to windows.")
        windows = {day: [(str(a), str(b)) for a, b in spans] for day, spans in weekly.items()}
        holidays = [date.fromisoformat(str(text)) for text in data.get("holidays", [])]
        return Calendar.from_weekly(str(tz), windows, holidays)
    except ValidationError:
        raise
    except (TypeError, ValueError, LookupError) as exc:
        raise ValidationError(f"Invalid calendar: {exc}") from exc
