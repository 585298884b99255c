"""Pure SLA timer engine: business calendars, clock states, due, breach and warning instants.

Implements the normative SLA semantics (SLA.md). Live tickets (fed from their journal) and the
``itsm sla simulate`` command share this code path, so timers are a pure function of
(calendar, definition, events, now): recomputable at any time with the same answer.

No Django and no third-party imports at import time (``holiday_dates`` imports ``holidays`` when
called). Instants are aware datetimes at the edges; naive ones are rejected.
"""

from itsm.sla.engine.calendars import (
    WEEKDAYS,
    Calendar,
    NoBusinessTimeError,
    Window,
    holiday_dates,
    load_zone,
    parse_clock_time,
)
from itsm.sla.engine.clock import (
    DEFAULT_PAUSE_STATES,
    DEFAULT_STOP_STATES,
    DEFAULT_WARNING_THRESHOLDS,
    FIRST_RESPONSE,
    ClockState,
    Created,
    Event,
    FirstResponse,
    Metric,
    PriorityChanged,
    PriorityChangePolicy,
    ReopenPolicy,
    SlaDefinition,
    SlaResult,
    Span,
    StateChanged,
    evaluate,
)

__all__ = [
    "DEFAULT_PAUSE_STATES",
    "DEFAULT_STOP_STATES",
    "DEFAULT_WARNING_THRESHOLDS",
    "FIRST_RESPONSE",
    "WEEKDAYS",
    "Calendar",
    "ClockState",
    "Created",
    "Event",
    "FirstResponse",
    "Metric",
    "NoBusinessTimeError",
    "PriorityChangePolicy",
    "PriorityChanged",
    "ReopenPolicy",
    "SlaDefinition",
    "SlaResult",
    "Span",
    "StateChanged",
    "Window",
    "evaluate",
    "holiday_dates",
    "load_zone",
    "parse_clock_time",
]
