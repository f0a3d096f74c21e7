"""Grid -> :class:`~xlperf.core.model.Form`.

Lenient by design: everything that can be read is read, and what is wrong is left for the rules to
report with its cell. Only a sheet that is not a form at all raises :class:`NotAFormError`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial
from operator import is_not
from typing import Any

from pydantic import BaseModel

from ..errors import NotAFormError
from .formula import cell_number
from .grid import Grid, MergedRange, a1, col_letter
from .layout import find_header_fields, find_table, find_title, is_label
from .model import Budget, Form, Indicator, TableLayout, Task, _build
from .text import (
    OPS,
    _split_number,
    _split_str,
    clean,
    label_key,
    normalize_op,
    split_value,
    to_decimal,
    to_int,
)

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
    if type(v) is str and v in _CORE:  # 是 / 否 as typed (each is its own label key)
        return _CORE[v]
    return _CORE.get(label_key(v))


_filled = partial(is_not, None)  # a cell holding something (filter's test)
_new = object.__new__
_set = object.__setattr__
# the slots of a pydantic model, set directly (what model.assemble sets through object.__setattr__)
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_INDICATOR_FIELDS = frozenset(Indicator.__pydantic_fields__)


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


MONEY_FIELDS = ("basic", "project", "fiscal", "other", "total", "income_total")  # the Budget's amounts


def read_amount(grid: Grid, budget: Budget, field: str, f: Any, raw: Any) -> None:
    """An amount of the header (``f`` its label and value cell, ``raw`` the value cell's content) into
    ``budget``: the value's and the label's cells, the raw content, the formula, and the number (a formula
    evaluated; text that is no number, or an empty cell: ``None``). Every layout's header reads them so."""
    budget.cells[field] = a1(f.value_row, f.value_col)
    budget.cells[field + "_label"] = a1(f.label_row, f.label_col)
    budget.raw[field] = raw
    formula = grid.formulas.get((f.value_row, f.value_col))
    if formula:
        budget.formulas[field] = formula
    number = cell_number(grid, f.value_row, f.value_col) if raw is not None or formula else None
    if formula is None and raw is not None and to_decimal(raw) is None:
        number = None
    setattr(budget, field, number)


def _parse_header(grid: Grid, form: Form, layout: TableLayout) -> None:
    found = find_header_fields(grid, layout.header_row)
    read_title(grid, form, layout.header_row)
    budget = Budget(sheet=grid.sheet)
    for field, f in found.items():
        if f.value_row is None or f.value_col is None:
            continue
        raw = grid.get(f.value_row, f.value_col)
        if field in MONEY_FIELDS:
            read_amount(grid, budget, field, f, raw)
            continue
        ref = a1(f.value_row, f.value_col)
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
    blocks: list[tuple[int, dict[str, Any], list[Indicator], list[int]]] = []  # row, values, indicators, [last row]
    inds: list[Indicator] = []
    last: list[int] = [0]
    started = False
    levels = [(f, cols[f]) for f in ("level1", "level2") if f in cols]
    no_merge_info = not grid.merges
    names = list(cols)
    columns = list(cols.values())
    at = {f: k for k, f in enumerate(names)}
    # positions in a row's values; a field the table lacks is read from the end, where a None stands
    k_seq, k_name, k_l1, k_ind = (at.get(f, len(names)) for f in ("seq", "name", "level1", "indicator"))
    k_inds = [at[f] for f in _IND_FIELDS if f in at]
    reader = RowReader(grid, cols, names)
    read = reader.read
    prev: dict[str, Any] | None = None  # the __dict__ of the indicator above
    get = grid.values.get
    merged: tuple[dict[int, list[MergedRange]], dict[int, set[int]]] | None = None
    labels: dict[Any, bool] = {}  # is_label of the level-1 texts, which repeat row after row
    for r in range(layout.first_data_row, grid.nrows):
        vals = [get((r, c)) for c in columns]
        for v in filter(_filled, vals):
            if not isinstance(v, str) or v.strip():
                break
        else:  # an empty row
            continue
        vals.append(None)
        seq, name = vals[k_seq], vals[k_name]
        first = (label_key(seq) if seq is not None else "") or (label_key(name) if name is not None else "")
        if first and (first.startswith(_FOOTER_KEYS) or first in _TOTAL_KEYS):
            break
        v = vals[k_l1]
        lab = labels.get(v)
        if lab is None:
            lab = labels[v] = is_label(v)
        if lab and is_label(vals[k_ind]):
            continue  # a repeated header row (page break copy)
        if seq not in (None, "") or name not in (None, "") or not started:
            started = True
            inds, last = [], [r]
            blocks.append((r, dict(zip(names, vals, strict=False)), inds, last))  # (vals ends in a None)
            prev = None
        last[0] = r
        for k in k_inds:
            if vals[k] not in (None, ""):
                break
        else:  # no indicator on this row
            continue
        ind = read(r, vals)
        if prev is not None:
            for f, c in levels:
                if ind[f] is None:
                    if merged is None:  # (worked out at the first blank level)
                        merged = _merged_levels(grid, levels)
                    rows_c = merged[1].get(c)
                    covered = no_merge_info or (r in rows_c if rows_c is not None
                                                else any(m.contains(r, c) for m in merged[0].get(c, ())))
                    if covered and prev[f] is not None:
                        ind[f] = prev[f]
                        ind["inherited"].append(f)
        prev = ind
        # the Indicator holding ``ind`` (every field, already checked): what model.assemble builds
        m = _new(Indicator)
        _set(m, "__dict__", ind)
        _set_fields(m, set(_INDICATOR_FIELDS))
        _set_extra(m, None)
        _set_private(m, None)
        inds.append(m)
    tasks = []
    formulas = grid.formulas
    c_amount = cols.get("amount")
    task_letters = [(f, col_letter(cols[f])) for f in ("seq", "name", "content", "source", "amount") if f in cols]
    for r, row, b_inds, b_last in blocks:
        row_number = str(r + 1)
        seq = row.get("seq")
        amount = None
        if c_amount is not None:
            if (r, c_amount) in formulas:
                amount = cell_number(grid, r, c_amount)
            else:  # what cell_number gives for a plain cell
                amount = to_decimal(row.get("amount"))
        number = seq if type(seq) is int and -10**16 < seq < 10**16 else to_int(seq)  # (to_int of a 序号)
        tasks.append(_build(Task, {
            "sheet": sheet, "row": r, "cells": {f: letters + row_number for f, letters in task_letters},  # (their A1)
            "seq": number if number is not None else _text(seq),
            "name": _text(row.get("name")), "content": _text(row.get("content")), "source": _text(row.get("source")),
            "amount": amount,
            "indicators": b_inds,
            "raw": {k: row.get(k) for k in ("seq", "name", "content", "source", "amount")},
            "last_row": b_last[0],
        }))
    return tasks


def _merged_levels(grid: Grid, levels: list[tuple[str, int]]
                   ) -> tuple[dict[int, list[MergedRange]], dict[int, set[int]]]:
    """The merged blocks over each level column (where a blank level inherits the one above), and the
    rows they cover, as sets when they are of a sane size (a hostile block of a million rows is asked
    block by block)."""
    merged_cols = {c: [m for m in grid.merges if m.c0 <= c <= m.c1] for _f, c in levels}
    level_rows: dict[int, set[int]] = {}
    for _f, c in levels:
        blocks_c = merged_cols[c]
        if sum(m.r1 - m.r0 + 1 for m in blocks_c) <= 100_000:
            level_rows[c] = {r for m in blocks_c for r in range(m.r0, m.r1 + 1)}
    return merged_cols, level_rows


_IND_FIELDS = ("level1", "level2", "indicator", "core", "op", "value", "unit")


class RowReader:
    """Reads the indicator on a table row (every field of :class:`Indicator`, in order) from the row's
    values: ``vals[k]`` is the cell of the ``k``-th of ``names`` (the table's fields), and one more
    ``None`` after them stands for the fields the table lacks. Worked out once per table: ``read(r,
    vals)`` holds what it needs in its closure (a form reads dozens of rows)."""

    def __init__(self, grid: Grid, cols: dict[str, int], names: list[str]) -> None:
        at = {f: k for k, f in enumerate(names)}
        missing = len(names)
        fields = [f for f in _IND_FIELDS if f in cols]
        keys = tuple("name" if f == "indicator" else f for f in fields)
        # (key, column letters) and (key, position in a row's values) of the fields, in order
        key_letters = tuple(zip(keys, (col_letter(cols[f]) for f in fields), strict=True))
        key_spots = tuple(zip(keys, (at[f] for f in fields), strict=True))
        k_l1, k_l2, k_ind, k_core, k_op, k_value, k_unit = (at.get(f, missing) for f in _IND_FIELDS)
        value_col = cols.get("value")
        # the rows whose value cell holds a formula (evaluated, as every formula is)
        formula_rows = frozenset(r for r, c in grid.formulas if c == value_col) if value_col is not None else ()
        sheet = grid.sheet

        def read(r: int, vals: list[Any]) -> dict[str, Any]:
            number = str(r + 1)
            op = vals[k_op]
            if op is not None and op not in OPS:  # (a canonical symbol is its own normal form)
                op = normalize_op(op)
            if op == "定量":
                op = None
            raw_value = cell_number(grid, r, value_col) if r in formula_rows and value_col is not None else vals[k_value]
            t = type(raw_value)
            inline_op, number_, unit, text = (_split_str(raw_value) if t is str else _split_number(raw_value)
                                              if t is int or t is float else split_value(raw_value))
            op_inline = False
            if inline_op and op is None:
                op, op_inline = inline_op, True
            v = vals[k_unit]
            unit_col = (v.strip() or None) if type(v) is str else _text(v)
            if number_ is not None:
                value, unit = number_, unit or unit_col
            else:
                value, unit = text or None, unit_col
            v = vals[k_l1]
            level1 = (v.strip() or None) if type(v) is str else _text(v)
            v = vals[k_l2]
            level2 = (v.strip() or None) if type(v) is str else _text(v)
            v = vals[k_ind]
            name = (v.strip() or None) if type(v) is str else _text(v)
            v = vals[k_core]
            if v is None:
                core = None
            elif type(v) is str and v in _CORE:  # 是 / 否 as typed (each is its own label key)
                core = _CORE[v]
            else:
                core = _CORE.get(label_key(v))
            return {
                "sheet": sheet, "row": r,
                "cells": {k: letters + number for k, letters in key_letters},
                "level1": level1, "level2": level2, "name": name, "core": core,
                "op": op, "value": value, "unit": unit, "raw": {k: vals[i] for k, i in key_spots},
                "inherited": [], "op_inline": op_inline, "extra": {},
            }

        self.read = read


def amount_total(form: Form) -> Decimal:
    return sum((t.amount or Decimal(0) for t in form.tasks), Decimal(0))
