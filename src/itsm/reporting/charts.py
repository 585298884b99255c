"""Charts of a report as the pages draw them (the packaged plotly, under the strict CSP)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from itsm.reporting.results import Report

#: plotly adds its CSS rules through the CSSOM into an *empty* <style> element it creates; the
#: policy allows exactly that empty element (the SHA-256 of ""), never inline style content.
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def chart_policy() -> str:
    """The site's Content-Security-Policy with style-src widened by the empty-style hash only."""
    policy = settings.CONTENT_SECURITY_POLICY
    return policy.replace("style-src 'self'", f"style-src 'self' {EMPTY_STYLE_HASH}", 1)


def chart_data(report: Report) -> list[dict[str, Any]]:
    """What a page's script plots: per chart, the x values and one series per column."""
    labels = {c.key: c.label for c in report.columns}
    return [
        {
            "kind": chart.kind,
            "title": chart.title,
            "x": [str(row.get(chart.x)) for row in report.rows],
            "series": [
                {"name": labels.get(key, key), "values": [row.get(key) for row in report.rows]}
                for key in chart.series
            ],
        }
        for chart in report.charts
        if report.rows
    ]
