"""Find the form's regions by their labels, never by fixed coordinates.

Labels are compared with :func:`~xlperf.core.text.label_key`, so spaces, full-width characters,
brackets (``预算金额（万元）``) and a leading ``*`` do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NotAFormError
from .grid import Grid
from .model import TableLayout
from .text import clean, label_key

# field -> accepted label keys (already in label_key form), first match wins
HEADER_LABELS: dict[str, tuple[str, ...]] = {
    "department": ("部门名称", "单位名称", "部门单位名称", "预算单位名称", "预算部门名称"),
    "supervisor": ("主管部门", "主管部门名称"),
    "staff_count": ("财政供养人员数", "财政供养人数", "财政供养人员"),
    "subunit_count": ("下属单位数", "下属单位个数", "所属单位数"),
    "basic": ("基本支出",),
    "project": ("项目支出",),
    "fiscal": ("财政拨款", "财政拨款收入"),
    "other": ("其他资金", "其他收入"),
    "total": ("部门预算支出合计", "预算支出合计", "支出合计"),
    "income_total": ("收入合计", "收入来源合计", "资金来源合计"),
    "overall_goal": ("年度整体绩效目标", "年度总体绩效目标", "整体绩效目标", "年度总体目标", "年度绩效目标"),
}

TABLE_LABELS: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "name": ("年度工作任务", "工作任务", "任务名称", "年度主要任务", "项目名称", "年度主要工作任务", "重点工作任务",
             "工作任务名称", "主要工作任务", "年度重点工作任务"),
    "content": ("主要实施内容", "实施内容", "主要内容"),
    "source": ("任务来源",),
    "amount": ("拟投入金额", "拟投入资金", "投入金额", "预算数", "资金总额"),
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "indicator": ("指标名称", "三级指标"),
    "core": ("是否核心指标", "核心指标"),
    "op": ("对比符号", "比较符号", "指标性质", "符号"),
    "value": ("年度指标值", "指标值", "目标值", "年度目标值"),
    "unit": ("计量单位", "度量单位", "单位"),
}

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
} | {"基本信息", "预算整体情况", "部门预算支出", "收入来源", "预算金额", "任务绩效指标"}


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
        raise NotAFormError("不是绩效目标表：任务表头缺少 " + "、".join(missing))
    return TableLayout(header_row=min(header_rows), first_data_row=max(header_rows) + 1, columns=columns)


def find_header_fields(grid: Grid, table_row: int) -> dict[str, Found]:
    """Header fields above the task table: label cell and the value cell to its right."""
    idx = _label_index(grid, table_row)
    merge_end: dict[tuple[int, int], int] = {(m.r0, m.c0): m.c1 for m in grid.merges}
    max_col = grid.ncols
    found: dict[str, Found] = {}
    for field, keys in HEADER_LABELS.items():
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
            if is_label(v):
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
