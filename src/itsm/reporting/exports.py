"""A report as CSV, XLSX, JSON and a plain-text table: the same rows the page shows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from .results import Cell, Report

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula is prefixed with a quote (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in report.columns])
    for row in report.table():
        writer.writerow(["" if v is None else _safe_text(v) for v in row])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    """A workbook with the table on the first sheet and filters and summary on the second."""
    book = Workbook()
    sheet = book.active
    sheet.title = report.title[:31]
    sheet.append([c.label for c in report.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.table():
        sheet.append([_safe_text(v) for v in row])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(report.columns, start=1):
        width = max([len(column.label), *(len(str(r.get(column.key) or "")) for r in report.rows)])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(
            width + 2, 60
        )
    about = book.create_sheet("Summary")
    about.append([report.title])
    about["A1"].font = Font(bold=True)
    about.append([report.description])
    about.append([])
    for label, value in [*report.filters, *report.summary]:
        about.append([label, _safe_text(value)])
    for note in report.notes:
        about.append([note])
    about.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def to_table(report: Report) -> str:
    """A fixed-width table for a terminal, with the filters and summary above it."""
    lines = [report.title, "=" * len(report.title)]
    lines += [f"{label}: {value}" for label, value in report.filters]
    lines += [f"{label}: {_text(value)}" for label, value in report.summary]
    lines.append("")
    header = [c.label for c in report.columns]
    body = [[_text(v) for v in row] for row in report.table()]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)
    ]
    numeric = [c.type in {"int", "hours", "percent", "float"} for c in report.columns]

    def fmt(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines.append(fmt(header))
    lines.append("  ".join("-" * w for w in widths))
    lines += [fmt(row) for row in body]
    if not body:
        lines.append("(no rows)")
    lines += report.notes
    return "\n".join(lines) + "\n"


def summary_text(report: Report) -> str:
    """The body of a scheduled report mail: filters, headline figures and the table's top rows."""
    lines = [report.title, "", report.description, ""]
    lines += [f"{label}: {value}" for label, value in report.filters]
    lines.append("")
    lines += [f"{label}: {_text(value)}" for label, value in report.summary]
    lines += ["", "The full table is attached as a spreadsheet (XLSX)."]
    return "\n".join(lines) + "\n"
