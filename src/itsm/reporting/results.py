"""What a report produces: headline figures, a table and chart specifications. Every output
(page, CSV, XLSX, JSON, command line, mail) renders this one structure, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: text, int, float (rounded to 2 places), percent, hours, datetime
    type: str = "text"


@dataclass(frozen=True)
class Chart:
    """A chart of the table: ``x`` is a column key, ``series`` the column keys plotted."""

    kind: str  # bar, stacked, line, pie
    title: str
    x: str
    series: tuple[str, ...]


@dataclass
class Report:
    name: str
    title: str
    description: str
    filters: list[tuple[str, str]]
    columns: list[Column]
    rows: list[dict[str, Cell]]
    summary: list[tuple[str, Cell]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> list[list[Cell]]:
        """The rows as lists in column order (what CSV, XLSX and the command line write)."""
        return [[row.get(c.key) for c in self.columns] for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "filters": [{"label": k, "value": v} for k, v in self.filters],
            "summary": [{"label": k, "value": v} for k, v in self.summary],
            "columns": [{"key": c.key, "label": c.label, "type": c.type} for c in self.columns],
            "rows": self.rows,
            "charts": [
                {"kind": c.kind, "title": c.title, "x": c.x, "series": list(c.series)}
                for c in self.charts
            ],
            "notes": self.notes,
        }


def cell(value: Any) -> Cell:
    """A value as a report cell: instants as ISO 8601 UTC, floats rounded to 2 places."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    if value is None or isinstance(value, str | int):
        return value
    return str(value)
