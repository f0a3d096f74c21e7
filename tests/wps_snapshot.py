"""A sheet snapshot made from a workbook file as the WPS add-in makes it from the open workbook.

The page reads ``UsedRange.Value2`` (numbers as floats, dates as serial numbers, text in the covered
cells of merged blocks as stored), ``UsedRange.Formula``, the merge areas, the number formats of the
numeric cells, fills (``Interior.Color``) and notes. Here the same is read with openpyxl, so that a
test can give the service what the page would give it for the same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

from xlperf.core.grid import a1
from xlperf.core.marks import BOOK_SHEET

EPOCH = dt.datetime(1899, 12, 30)


def _value2(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, dt.datetime):
        return (v - EPOCH).total_seconds() / 86400
    if isinstance(v, dt.date):
        return float((dt.datetime.combine(v, dt.time()) - EPOCH).days)
    if isinstance(v, int):
        return float(v)
    return v


def sheet_snapshot(path: Path, sheet: str | None = None) -> dict[str, Any]:
    from xlperf.io.xlsx import fill_spec

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.active
    snap: dict[str, Any] = {"sheet": ws.title, "cells": {}, "formulas": {}, "merges": [], "formats": {},
                            "fills": {}, "notes": {}, "book": path.name,
                            "sheets": [{"name": s.title, "hidden": s.sheet_state != "visible",
                                        "active": s.title == ws.title} for s in wb.worksheets]}
    for row in ws.iter_rows():
        for cell in row:
            ref = a1(cell.row - 1, cell.column - 1)
            v = cell.value
            if isinstance(v, str) and cell.data_type == "f":
                snap["formulas"][ref] = v
            elif v is not None:
                snap["cells"][ref] = _value2(v)
                if isinstance(v, (int, float, dt.date)) and not isinstance(v, bool) and cell.number_format != "General":
                    snap["formats"][ref] = cell.number_format
            spec = fill_spec(cell)
            if spec:
                snap["fills"][ref] = spec
            if cell.comment is not None:
                snap["notes"][ref] = cell.comment.text
    snap["merges"] = [str(m) for m in ws.merged_cells.ranges]
    if BOOK_SHEET in wb.sheetnames:
        snap["tables"] = {BOOK_SHEET: [list(r) for r in wb[BOOK_SHEET].iter_rows(values_only=True)]}
    for name in ("校验结果", "校验结果（xlperf）"):  # their first row, as the page sends it
        if name in wb.sheetnames:
            snap.setdefault("tables", {})[name] = [list(next(wb[name].iter_rows(max_row=1, values_only=True)))]
    wb.close()
    return snap
