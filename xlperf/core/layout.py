"""Find the form's regions by their labels, never by fixed coordinates.

The labels and their synonyms are data (``xlperf/data/labels.toml``, :mod:`xlperf.core.labels`).

Labels are compared with :func:`~xlperf.core.text.label_key`, so spaces, full-width characters,
brackets (``预算金额（万元）``) and a leading ``*`` do not matter.
"""

from __future__ import annotations

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
    idx: dict[str, list[tuple[int, int]]] = {}
    for (r, c), v in grid.values.items():
        if limit_row is not None and r >= limit_row:
            continue
        if isinstance(v, str) and len(v) <= 40:
            idx.setdefault(label_key(v), []).append((r, c))
    for cells in idx.values():
        cells.sort()
    return idx


def find_table(grid: Grid) -> TableLayout:
    """Locate the task table header: the row holding 一级指标 plus up to two rows above it."""
    # ("级" has no compatibility form that NFKC would turn into it: a label without one cannot be 一级指标)
    anchors = [(r, c) for (r, c), v in grid.values.items()
               if isinstance(v, str) and "级" in v and label_key(v) == "一级指标"]
    if not anchors:
        raise NotAFormError("不是绩效目标表：未找到任务绩效指标表头（一级指标）")
    ar = min(anchors)[0]
    rows = range(max(0, ar - 2), ar + 1)
    cells = [(r, c, label_key(v)) for (r, c), v in grid.values.items() if r in rows and isinstance(v, str)]
    columns: dict[str, int] = {}
    header_rows: list[int] = [ar]
    for field, keys in TABLE_LABELS.items():
        hits = [(keys.index(key), c, r) for r, c, key in cells if key in keys]
        if hits:
            _, col, row = min(hits)
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
    idx = _label_index(grid, table_row)
    merge_end: dict[tuple[int, int], int] = {(m.r0, m.c0): m.c1 for m in grid.merges}
    max_col = grid.ncols
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
    for (r, c), v in sorted(grid.values.items()):
        if r >= table_row:
            break
        if isinstance(v, str) and "绩效目标" in v and len(v) <= 80 and label_key(v) not in _ALL_LABELS:
            return r, c, clean(v).lstrip("#").strip()
    return None
