"""The summary figures as rows for the API, the `summary` command and spreadsheets: one dict per
unit with its headline figures (rates as fractions 0–1), group, status and category counts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import openpyxl
from openpyxl.styles import Font

from importers.readers.base import neutralise
from layers.incidents.lifecycle import IncidentStatus
from layers.summaries import figures
from layers.summaries.periods import Period
from layers.summaries.services import Row

UNIT_HEADERS = (("level", "层级"), ("code", "代码"), ("name", "名称"))


def unit_dict(row: Row) -> dict:
    """A unit's figures: {level, code, name, parents, figures: {key: {label, value, previous}},
    groups, statuses, categories}."""
    counts = row.current
    return {
        "level": row.unit.level, "code": row.unit.code, "name": row.unit.name,
        "parents": [{"level": lv, "code": c, "name": n} for lv, c, n in row.unit.trail],
        "figures": {f.key: {"label": f.label, "value": f.current, "previous": f.previous, "is_rate": f.is_rate}
                    for f in row.figures},
        "groups": {g: counts.get(f"group:{g}", 0) for g in figures.LEDGER_GROUPS},
        "statuses": {s: counts.get(f"status:{s}", 0) for s in IncidentStatus.values},
        "categories": {k.split(":", 1)[1]: v for k, v in sorted(counts.items()) if k.startswith("category:")},
    }


def table_columns() -> list[tuple[str, str]]:
    """(key, Chinese header) of a flat summary table: unit, headline figures, groups, statuses."""
    return [*UNIT_HEADERS, *figures.HEADLINE, *((f"group:{g}", f"{g}(户)") for g in figures.LEDGER_GROUPS),
            *((f"status:{s}", f"{label}(件)") for s, label in IncidentStatus.choices)]


def flat(row: Row) -> dict:
    counts = figures.derived(row.current)
    out = {"level": figures.LEVEL_NAMES[row.unit.level], "code": row.unit.code, "name": row.unit.name}
    for key, _ in figures.HEADLINE:
        out[key] = figures.value(row.current, key)
    for key, _ in table_columns()[len(UNIT_HEADERS) + len(figures.HEADLINE):]:
        out[key] = counts.get(key, 0)
    return out


def write(rows: Sequence[Row], period: Period, fmt: str) -> bytes:
    """The table in ``fmt`` (xlsx, csv or json) with a 合计 row; text cells neutralised."""
    if fmt == "json":
        return json.dumps({"period": period.key, "previous_period": period.previous().key,
                           "units": [unit_dict(r) for r in rows]}, ensure_ascii=False, indent=1).encode("utf-8")
    cols = table_columns()
    total = Row(rows[0].unit if rows else None, figures.add(r.current for r in rows)) if rows else None
    lines = [flat(r) for r in rows]
    if total is not None:
        lines.append({**flat(total), "level": "合计", "code": "", "name": f"{len(rows)} 个单位"})
    if fmt == "csv":
        buffer = io.StringIO()
        out = csv.writer(buffer)
        out.writerow([h for _, h in cols])
        for line in lines:
            out.writerow([_cell(line.get(k), k, percent=True) for k, _ in cols])
        return buffer.getvalue().encode("utf-8-sig")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"汇总{period.key}"
    ws.append([h for _, h in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for line in lines:
        ws.append([_cell(line.get(k), k, percent=False) for k, _ in cols])
        for cell, (k, _) in zip(ws[ws.max_row], cols, strict=True):
            if k in figures.RATES:
                cell.number_format = "0.0%"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value, key: str, *, percent: bool):
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if key in figures.RATES and percent:
        return f"{value * 100:.1f}%"
    return value
