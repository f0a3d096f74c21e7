"""Find the form's regions by their labels, never by fixed coordinates.

The labels and their synonyms are data (``xlperf/data/labels.toml``, :mod:`xlperf.core.labels`).

Labels are compared with :func:`~xlperf.core.text.label_key`, so spaces, full-width characters,
brackets (``预算金额（万元）``) and a leading ``*`` do not matter.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import NotAFormError
from .grid import Grid
from .labels import default_labels
from .model import TableLayout
from .text import clean, label_key

# field -> accepted label keys (label_key form), first match wins: the data file's per-task layout
_BOOK = default_labels()
HEADER_LABELS: dict[str, tuple[str, ...]] = dict(_BOOK.task_form.header)
TABLE_LABELS: dict[str, tuple[str, ...]] = dict(_BOOK.task_form.table)

REQUIRED_TABLE = ("name", "level1", "level2", "indicator", "value")

TABLE_LABEL_NAMES = {
    "name": "年度工作任务",
    "level1": "一级指标",
    "level2": "二级指标",
    "indicator": "指标名称",
    "value": "年度指标值",
}

_ALL_LABELS = {k for keys in HEADER_LABELS.values() for k in keys} | {
    k for keys in TABLE_LABELS.values() for k in keys
} | set(_BOOK.task_form.headings)


def is_label(value: object) -> bool:
    return isinstance(value, str) and label_key(value) in _ALL_LABELS


@dataclass
class Found:
    field: str
    label_row: int
    label_col: int
    value_row: int | None
    value_col: int | None


def _label_index(grid: Grid, limit_row: int | None) -> dict[str, list[tuple[int, int]]]:
    return _header_index(grid, limit_row)[0]


def _header_index(grid: Grid, limit_row: int | None) -> tuple[dict[str, list[tuple[int, int]]], int]:
    """The label keys of the text cells (of up to 40 characters) above ``limit_row`` -> their cells in
    order, and the grid's column count (:attr:`Grid.ncols`)."""
    idx: dict[str, list[tuple[int, int]]] = {}
    key_of = label_key
    for k, v in grid.text_cells():
        if limit_row is not None and k[0] >= limit_row:
            break
        if len(v) <= 40:
            key = key_of(v)
            hit = idx.get(key)
            if hit is None:
                idx[key] = [k]
            else:
                hit.append(k)
    return idx, grid.ncols


# label key -> (field, rank among the field's labels) of the task table's labels, in TABLE_LABELS order
_TABLE_KEYS: dict[str, list[tuple[str, int]]] = {}
for _field, _keys in TABLE_LABELS.items():
    for _rank, _key in enumerate(_keys):
        if not any(f == _field for f, _ in _TABLE_KEYS.get(_key, ())):  # (keys.index: the first rank)
            _TABLE_KEYS.setdefault(_key, []).append((_field, _rank))


def find_table(grid: Grid) -> TableLayout:
    """Locate the task table header: the row holding 一级指标 plus up to two rows above it."""
    # ("级" has no compatibility form that NFKC would turn into it: a label without one cannot be 一级指标)
    texts = grid.text_cells()
    ar = next((k[0] for k, v in texts if "级" in v and label_key(v) == "一级指标"), None)  # (row order: the first)
    if ar is None:
        raise NotAFormError("不是绩效目标表：未找到任务绩效指标表头（一级指标）")
    top = max(0, ar - 2)
    best: dict[str, tuple[int, int, int]] = {}  # field -> (rank of its label, col, row): the least wins
    table_keys = _TABLE_KEYS
    for i in range(bisect_left(texts, ((top, -math.inf),)), len(texts)):
        (r, c), v = texts[i]
        if r > ar:
            break
        for field, rank in table_keys.get(label_key(v), ()):
            hit = (rank, c, r)
            if field not in best or hit < best[field]:
                best[field] = hit
    columns: dict[str, int] = {}
    header_rows: list[int] = [ar]
    for field in TABLE_LABELS:
        if field in best:
            _, col, row = best[field]
            columns[field] = col
            header_rows.append(row)
    missing = [TABLE_LABEL_NAMES[f] for f in REQUIRED_TABLE if f not in columns]
    if missing:
        err = NotAFormError("不是绩效目标表：任务表头缺少 " + "、".join(missing))
        err.missing = [f for f in REQUIRED_TABLE if f not in columns]  # type: ignore[attr-defined]
        raise err
    return TableLayout(header_row=min(header_rows), first_data_row=max(header_rows) + 1, columns=columns)


def find_header_fields(grid: Grid, table_row: int, labels: dict[str, tuple[str, ...]] | None = None,
                       label_test: Callable[[object], bool] | None = None) -> dict[str, Found]:
    """Header fields above the task table: label cell and the value cell to its right (``labels``:
    another layout's header labels, ``label_test`` its test for a label cell)."""
    labels = HEADER_LABELS if labels is None else labels
    is_label_ = is_label if label_test is None else label_test
    idx, max_col = _header_index(grid, table_row)
    merge_end: dict[tuple[int, int], int] = {(m.r0, m.c0): m.c1 for m in grid.merges}
    found: dict[str, Found] = {}
    for field, keys in labels.items():
        hit = None
        for key in keys:
            if key in idx:
                hit = idx[key][0]
                break
        if hit is None:
            continue
        r, c = hit
        start = merge_end.get((r, c), c) + 1
        vr = vc = None
        for cc in range(start, min(max_col, start + 12)):
            v = grid.get(r, cc)
            if (v is None or v == "") and (r, cc) not in grid.formulas:
                continue
            if is_label_(v):
                break
            vr, vc = r, cc
            break
        if vc is None:
            # nothing typed yet: the value cell is the one right after the label
            vr, vc = r, start
        found[field] = Found(field, r, c, vr, vc)
    return found


def find_title(grid: Grid, table_row: int) -> tuple[int, int, str] | None:
    """The first text cell (in row, then column order) above ``table_row`` that names 绩效目标 and is
    not a label."""
    for (r, c), v in grid.text_cells():
        if r >= table_row:
            break
        if "绩效目标" in v and len(v) <= 80 and label_key(v) not in _ALL_LABELS:
            return r, c, clean(v).lstrip("#").strip()
    return None
