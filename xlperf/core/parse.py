"""Grid -> :class:`~xlperf.core.model.Form`.

Lenient by design: everything that can be read is read, and what is wrong is left for the rules to
report with its cell. Only a sheet that is not a form at all raises :class:`NotAFormError`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..errors import NotAFormError
from .formula import cell_number
from .grid import Grid, a1, col_letter
from .layout import find_header_fields, find_table, find_title, is_label
from .model import Budget, Form, Indicator, TableLayout, Task, assemble
from .text import clean, label_key, normalize_op, split_value, to_decimal, to_int

_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_FOOTER_KEYS = ("填报人", "填表人", "审核人", "单位负责人", "财务负责人", "联系电话", "填报日期", "注:", "备注", "说明:")
_TOTAL_KEYS = {"合计", "总计", "小计"}


def _text(v: Any) -> str | None:
    """Cell text as the clerk typed it, trimmed (numbers in their shortest form). Never NFKC'd:
    the model keeps the user's characters; comparisons normalise on their own."""
    if v is None:
        return None
    if type(v) is str:
        return v.strip() or None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return clean(v)
    s = str(v).strip()
    return s or None


_CORE = dict.fromkeys(("是", "Y", "y", "√", "核心", "TRUE", "True"), True) | dict.fromkeys(
    ("否", "N", "n", "×", "非核心", "FALSE", "False"), False)


def _core(v: Any) -> bool | None:
    return _CORE.get(label_key(v))


def parse_grid(grid: Grid) -> Form:
    """Parse one sheet into a Form (any kind of the form family, see :mod:`xlperf.core.parse_family`).
    Raises NotAFormError, saying what the sheet is, when it cannot be read."""
    try:
        return _parse_task_form(grid)
    except NotAFormError as exc:
        from .parse_family import parse_other

        return parse_other(grid, exc, _parse_task_form)


def _parse_task_form(grid: Grid) -> Form:
    """The per-task layout (the seed's)."""
    from .parse_family import finish_tasks, name_is_header_field

    layout = find_table(grid)
    if name_is_header_field(grid, layout):
        raise NotAFormError("不是绩效目标表：任务表头缺少 年度工作任务")
    form = Form(sheet=grid.sheet, source=grid.source, layout=layout)
    _parse_header(grid, form, layout)
    form.tasks = _parse_tasks(grid, layout)
    finish_tasks(grid, form)
    return form


def _parse_header(grid: Grid, form: Form, layout: TableLayout) -> None:
    found = find_header_fields(grid, layout.header_row)
    read_title(grid, form, layout.header_row)
    budget = Budget(sheet=grid.sheet)
    for field, f in found.items():
        if f.value_row is None or f.value_col is None:
            continue
        ref = a1(f.value_row, f.value_col)
        raw = grid.get(f.value_row, f.value_col)
        formula = grid.formulas.get((f.value_row, f.value_col))
        if field in ("basic", "project", "fiscal", "other", "total", "income_total"):
            budget.cells[field] = ref
            budget.cells[field + "_label"] = a1(f.label_row, f.label_col)
            budget.raw[field] = raw
            if formula:
                budget.formulas[field] = formula
            setattr(budget, field, cell_number(grid, f.value_row, f.value_col))
            if formula is None and raw is not None and to_decimal(raw) is None:
                setattr(budget, field, None)
            continue
        form.cells[field] = ref
        form.raw[field] = raw
        if field in ("staff_count", "subunit_count"):
            setattr(form, field, to_int(raw))
        else:
            setattr(form, field, _text(raw))
    year_from_text(grid, form)
    form.budget = budget


def read_title(grid: Grid, form: Form, limit_row: int) -> None:
    """The form's title above ``limit_row`` (its text and cell), and the year it names (「2023年」)."""
    title = find_title(grid, limit_row)
    if title:
        r, c, text = title
        form.title = text
        form.cells["title"] = a1(r, c)
        m = _YEAR_RE.search(text)
        if m:
            form.year = int(m.group(1))


def year_from_text(grid: Grid, form: Form) -> None:
    """A form still without a year: the first short text of the sheet that names one."""
    if form.year is None:
        for v in grid.values.values():
            if isinstance(v, str) and (m := _YEAR_RE.search(v)) and len(v) < 60:
                form.year = int(m.group(1))
                break


def _parse_tasks(grid: Grid, layout: TableLayout) -> list[Task]:
    cols = layout.columns
    sheet = grid.sheet
    blocks: list[dict[str, Any]] = []
    block: dict[str, Any] | None = None
    merged_cols: dict[int, list[Any]] = {}
    for m in grid.merges:
        for c in range(m.c0, m.c1 + 1):
            merged_cols.setdefault(c, []).append(m)
    no_merge_info = not grid.merges
    # the rows a merged block covers in the level columns (where a blank level inherits the one above),
    # as sets when they are of a sane size (a hostile block of a million rows is asked block by block)
    level_rows: dict[int, set[int]] = {}
    for f in ("level1", "level2"):
        c = cols.get(f)
        blocks_c = merged_cols.get(c, []) if c is not None else []
        if c is not None and sum(m.r1 - m.r0 + 1 for m in blocks_c) <= 100_000:
            level_rows[c] = {r for m in blocks_c for r in range(m.r0, m.r1 + 1)}
    ind_fields = [f for f in ("level1", "level2", "indicator", "core", "op", "value", "unit") if f in cols]
    task_fields = [f for f in ("seq", "name", "content", "source", "amount") if f in cols]
    spots = _spots(cols)
    prev: dict[str, Any] | None = None
    get = grid.values.get
    col_items = list(cols.items())
    for r in range(layout.first_data_row, grid.nrows):
        row = {f: get((r, c)) for f, c in col_items}
        for v in row.values():
            if v is not None and not (isinstance(v, str) and not v.strip()):
                break
        else:  # an empty row
            continue
        seq, name = row.get("seq"), row.get("name")
        first = (label_key(seq) if seq is not None else "") or (label_key(name) if name is not None else "")
        if first and (first.startswith(_FOOTER_KEYS) or first in _TOTAL_KEYS):
            break
        if is_label(row.get("level1")) and is_label(row.get("indicator")):
            continue  # a repeated header row (page break copy)
        starts = seq not in (None, "") or name not in (None, "")
        if starts or block is None:
            block = {"row": r, "values": row, "indicators": []}
            blocks.append(block)
            prev = None
        block["last_row"] = r
        for f in ind_fields:
            if row[f] not in (None, ""):
                break
        else:  # no indicator on this row
            continue
        ind = _indicator_fields(grid, r, row, cols, spots)
        if prev is not None:
            for f in ("level1", "level2"):
                if ind[f] is None and f in cols:
                    c = cols[f]
                    rows_c = level_rows.get(c)
                    covered = no_merge_info or (r in rows_c if rows_c is not None
                                                else any(m.contains(r, c) for m in merged_cols.get(c, ())))
                    if covered and prev[f] is not None:
                        ind[f] = prev[f]
                        ind["inherited"].append(f)
        block["indicators"].append(ind)
        prev = ind
    tasks = []
    for b in blocks:
        r, row = b["row"], b["values"]
        seq = row.get("seq")
        amount = None
        if "amount" in cols:
            c = cols["amount"]
            if (r, c) in grid.formulas:
                amount = cell_number(grid, r, c)
            else:  # what cell_number gives for a plain cell
                amount = to_decimal(row.get("amount"))
        number = to_int(seq)
        tasks.append(assemble(Task, {
            "sheet": sheet, "row": r, "cells": {f: a1(r, cols[f]) for f in task_fields},
            "seq": number if number is not None else _text(seq),
            "name": _text(row.get("name")), "content": _text(row.get("content")), "source": _text(row.get("source")),
            "amount": amount,
            "indicators": [assemble(Indicator, d) for d in b["indicators"]],
            "raw": {k: row.get(k) for k in ("seq", "name", "content", "source", "amount")},
            "last_row": b["last_row"],
        }))
    return tasks


_IND_FIELDS = ("level1", "level2", "indicator", "core", "op", "value", "unit")


def _spots(cols: dict[str, int]) -> list[tuple[str, str, str]]:
    """(model key, table field, column letters) of the indicator columns the table has."""
    return [("name" if f == "indicator" else f, f, col_letter(cols[f])) for f in _IND_FIELDS if f in cols]


def _indicator_fields(grid: Grid, r: int, row: dict[str, Any], cols: dict[str, int],
                      spots: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    """The field values of the indicator on row ``r`` (every field of :class:`Indicator`, in order)."""
    number = str(r + 1)
    spots = _spots(cols) if spots is None else spots
    cells = {key: letters + number for key, _f, letters in spots}
    raw = {key: row.get(f) for key, f, _letters in spots}
    op = normalize_op(row.get("op"))
    if op == "定量":
        op = None
    raw_value = row.get("value")
    if grid.formulas and "value" in cols and (r, cols["value"]) in grid.formulas:
        raw_value = cell_number(grid, r, cols["value"])
    inline_op, number, unit, text = split_value(raw_value)
    op_inline = False
    if inline_op and op is None:
        op, op_inline = inline_op, True
    v = row.get("unit")
    unit_col = (v.strip() or None) if type(v) is str else _text(v)
    if number is not None:
        value, unit = number, unit or unit_col
    else:
        value, unit = text or None, unit_col
    v = row.get("level1")
    level1 = (v.strip() or None) if type(v) is str else _text(v)
    v = row.get("level2")
    level2 = (v.strip() or None) if type(v) is str else _text(v)
    v = row.get("indicator")
    name = (v.strip() or None) if type(v) is str else _text(v)
    v = row.get("core")
    return {
        "sheet": grid.sheet, "row": r, "cells": cells,
        "level1": level1, "level2": level2, "name": name, "core": None if v is None else _core(v),
        "op": op, "value": value, "unit": unit, "raw": raw, "inherited": [], "op_inline": op_inline,
        "extra": {},
    }


def amount_total(form: Form) -> Decimal:
    return sum((t.amount or Decimal(0) for t in form.tasks), Decimal(0))
