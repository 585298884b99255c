"""The agent's SLA panel drawn in Python with the markup of ``sla/partials/explain.html``.

The panel shows figures as of now (elapsed and remaining minutes, the running span's end), so it
is drawn on every visit of a ticket page and cannot be cached; through the template it cost about
as much as the rest of the page's markup (a dozen dates and twenty translated labels per SLA).
Here each value goes through what the template applies to it: the same translations, filters
(``date``, ``floatformat``, ``capfirst``) and escaping (``render_value_in_context``). A test pins
the markup to the template's for running, paused, detached and restarted SLAs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import capfirst, floatformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # what the date filter applies
from django.utils.translation import gettext, ngettext

from itsm.sla.queries import Explanation
from itsm.workspace.rows import LocalDates

_LONG = "DATETIME_FORMAT"  # the date filter's argument; the format comes from ``LocalDates.long``
_DASH = "\u2014"


@lru_cache(maxsize=512)
def _translated(message: str, language: str | None) -> str:
    """``{% translate message %}`` in ``language`` (labels repeat on every page)."""
    return str(conditional_escape(gettext(message)))


class _Drawer:
    def __init__(self) -> None:
        self.context = Context(autoescape=True)
        self.dates = LocalDates()

    def v(self, value: Any) -> str:
        """``{{ value }}``."""
        if isinstance(value, str):
            return str(conditional_escape(value))
        return str(render_value_in_context(value, self.context))

    def t(self, message: str) -> str:
        """``{% translate message %}``."""
        return _translated(message, self.dates.language)

    def date(self, value: datetime | None, fmt: str) -> str:
        """``{{ value|date:fmt }}``: the filter reads the value in the current time zone."""
        if value is None:
            return ""
        local = template_localtime(value)
        if fmt == "c":  # what the "c" format character gives
            return self.v(local.isoformat())
        # The long format, formatted once per minute (``rows.LocalDates``).
        return self.v(self.dates.format(local, self.dates.long))

    def minutes(self, value: float) -> str:
        """``{{ value|floatformat:"-2" }}``."""
        return self.v(floatformat(value, "-2"))

    def time(self, value: datetime | None) -> str:
        """``<time datetime="{{ value|date:'c' }}">{{ value|date:"DATETIME_FORMAT" }}</time>``."""
        return f'<time datetime="{self.date(value, "c")}">{self.date(value, _LONG)}</time>'

    def card(self, sla: Explanation) -> str:
        result = sla.result
        clock = self.v(result.clock_state)
        metric = self.t("Response") if sla.metric == "response" else self.t("Resolution")
        if sla.is_ola:
            metric += f" · {self.t('OLA')}"
        detached = ""
        if not sla.applies:
            when = self.date(sla.instance.detached_at, _LONG)
            detached = "· " + gettext("No longer applies since %(when)s") % {"when": when}
        if sla.due_at_local:
            due = (
                f'<time datetime="{self.date(result.due_at, "c")}">'
                f"{self.date(sla.due_at_local, _LONG)} ({self.v(sla.calendar.tz)})</time>"
            )
        elif result.clock_state == "paused":
            due = self.t("paused: no due time while the clock stands still")
        else:
            due = _DASH
        warnings = "".join(
            f"<div><dt>{gettext('Warning at %(percent)s %%') % {'percent': self.v(percent)}}"
            f"</dt><dd>{self.time(at) if at else _DASH}</dd></div>"
            for percent, at in sla.warnings
        )
        if result.breached_at:
            breach = (
                f'<strong class="sla-breach-text">{self.t("Breached at")} '
                f"{self.time(result.breached_at)}</strong>"
            )
        else:
            breach = self.t("Not breached")
        spans = "".join(
            f'\n      <tr class="sla-span sla-span--{self.v(span.clock_state)}">'
            f"<td>{self.time(span.start)}</td><td>{self.time(span.end)}</td>"
            f"<td>{self.v(span.state)}</td>"
            f'<td><span class="sla-clock sla-clock--{self.v(span.clock_state)}">'
            f"{self.v(capfirst(span.clock_state))}</span></td><td>{self.v(span.priority)}</td>"
            f'<td class="sla-num">{self.minutes(span.business_minutes)}</td></tr>\n    '
            for span in sla.spans
        )
        head = (
            f'<th scope="col">{self.t("From")}</th><th scope="col">{self.t("To")}</th>'
            f'<th scope="col">{self.t("State")}</th><th scope="col">{self.t("Clock")}</th>'
            f'<th scope="col">{self.t("Priority")}</th>'
            f'<th scope="col" class="sla-num">{self.t("Business minutes")}</th>'
        )
        return (
            f'\n<article class="sla-card{"" if sla.applies else " sla-card--detached"}">\n'
            '  <header class="sla-card__head">\n'
            f"    <h3>{self.v(sla.name)}</h3>\n"
            '    <p class="sla-card__meta">\n'
            f"      {metric}\n"
            f"      · {self.v(sla.calendar_name)}\n"
            f'      · <span class="sla-clock sla-clock--{clock}">'
            f"{self.v(capfirst(result.clock_state))}</span>\n"
            f"      {detached}\n"
            "    </p>\n"
            "  </header>\n"
            '  <dl class="sla-figures">\n'
            f"    <div><dt>{self.t('Target')}</dt><dd>{self.minutes(result.target_minutes)} "
            f"{self.t('business minutes')} ({self.v(result.priority)})</dd></div>\n"
            f"    <div><dt>{self.t('Elapsed')}</dt>"
            f"<dd>{self.minutes(result.elapsed_business_minutes)} {self.t('min')} "
            f"({self.v(result.elapsed_pct)} %)</dd></div>\n"
            f"    <div><dt>{self.t('Remaining')}</dt>"
            f"<dd>{self.minutes(result.remaining_business_minutes)} {self.t('min')}</dd></div>\n"
            f"    <div><dt>{self.t('Due')}</dt><dd>{due}</dd></div>\n"
            f"    {warnings}\n"
            f"    <div><dt>{self.t('Breach')}</dt><dd>{breach}</dd></div>\n"
            "  </dl>\n"
            '  <div class="sla-spans-wrap"><table class="sla-spans">\n'
            f"    <caption>{self.t('Timeline: business time counted while the clock ran')}"
            "</caption>\n"
            f"    <thead><tr>{head}</tr></thead>\n"
            f"    <tbody>{spans}</tbody>\n"
            "  </table></div>\n"
            f"  {self.cycles(sla)}\n"
            "</article>\n"
        )

    def cycles(self, sla: Explanation) -> str:
        if not sla.previous_cycles:
            return ""
        count = len(sla.previous_cycles)
        summary = ngettext("%(n)s earlier cycle", "%(n)s earlier cycles", count) % {
            "n": self.v(count)
        }
        items = []
        for cycle in sla.previous_cycles:
            result = cycle.result
            breached = (
                f", {self.t('breached at')} {self.date(result.breached_at, _LONG)}"
                if result.breached_at
                else ""
            )
            items.append(
                f"<li>{self.date(cycle.started_at, _LONG)} \u2013 {self.date(cycle.ended_at, _LONG)}"
                f" ({self.v(cycle.ended_by)}): {self.minutes(result.elapsed_business_minutes)} / "
                f"{self.minutes(result.target_minutes)} {self.t('business minutes')}{breached}</li>"
            )
        return (
            f'<details class="sla-cycles"><summary>{summary}</summary>\n'
            f"    <ul>{''.join(items)}</ul>\n"
            "  </details>"
        )


def explain_html(slas: Sequence[Explanation]) -> SafeString:
    """``{% include "sla/partials/explain.html" with slas=slas %}``."""
    drawer = _Drawer()
    cards = "".join(drawer.card(sla) for sla in slas)
    if not slas:
        cards = f'\n<p class="sla-none-text">{drawer.t("No SLA applies to this ticket.")}</p>\n'
    html = (
        '<section class="sla-explain" aria-labelledby="sla-explain-title">\n'
        f'<h2 id="sla-explain-title">{drawer.t("Service levels")}</h2>\n'
        f"{cards}\n</section>\n"
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped
