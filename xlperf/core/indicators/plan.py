"""Plan the insertion of a standard indicator set under one task (pure: Grid/Form in, edits out).

* rows go after the task's last indicator row: blank rows the task's block already reserves (a blank
  template) are filled first, the rest are inserted below the block (``InsertRows``, styled like the
  block's last row);
* the task's merged cells (序号 … 拟投入金额) are re-merged over the new span;
* indicators the task already has (same name, or a near-duplicate such as 开展专项工作(检查)次数 beside
  开展检查次数: :func:`~xlperf.core.text.indicator_stem`) are skipped; ``replace=True`` instead overwrites the
  task's indicator rows with the set (rows left over are cleared);
* ``{拟投入}`` is filled with the task's amount; ``N`` / ``X`` stay for the clerk, the value cell is
  highlighted and carries a note.

Coordinates follow :mod:`xlperf.core.edits`: each edit refers to the sheet as it is when applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...errors import XlperfError
from ..autosum import TASK_FIELDS, task_span
from ..edits import Edit, InsertRows, Merge, SetFill, SetNote, SetValue, Unmerge
from ..grid import Grid, MergedRange, a1
from ..model import Form, Task
from ..text import format_number, indicator_stem, squash
from .library import AMOUNT, IndicatorSet, IndicatorSpec

NEEDS_VALUE_FILL = "FFEB9C"  # Excel's "neutral" yellow
IND_FIELDS = ("level1", "level2", "indicator", "core", "op", "value", "unit")


class TaskNotFoundError(XlperfError):
    kind = "task-not-found"


@dataclass(frozen=True)
class PlannedRow:
    """One indicator row written by the plan (row in the sheet as it is after the edits)."""

    row: int
    spec: IndicatorSpec
    value: Any
    needs_value: bool
    cell: str
    new_row: bool
    display: str = ""


@dataclass
class InsertPlan:
    task: Task
    indicator_set: IndicatorSet
    edits: list[Edit] = field(default_factory=list)
    rows: list[PlannedRow] = field(default_factory=list)
    skipped: list[IndicatorSpec] = field(default_factory=list)
    similar: dict[str, str] = field(default_factory=dict)  # skipped set name -> the task's near-duplicate
    inserted_at: int | None = None
    inserted: int = 0
    reused: int = 0
    cleared: list[int] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)

    @property
    def needs_value(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.needs_value]


def table_task(form: Form) -> Task:
    """The indicator table of a form without tasks (a project form, a department-level form) as the one
    task insertion works on: its rows, the project's name and goal, its amount (年度资金总额)."""
    rows = [i.row for i in form.indicators if i.row is not None]
    first = form.layout.first_data_row if form.layout else 0
    # model_construct: the task holds the form's own list (build_insert_plan knows it by that)
    return Task.model_construct(sheet=form.sheet, row=min(rows, default=first), last_row=max(rows, default=first),
                                name=form.project_name or form.department,
                                content=form.annual_goal or form.overall_goal, amount=form.budget.total,
                                indicators=form.indicators)


def find_task(form: Form, task: int | str) -> Task:
    """The task whose 序号 is ``task``; else the ``task``-th task (1-based) when no 序号 matches. A form
    without tasks has one: its indicator table (:func:`table_task`)."""
    if not form.tasks and form.kind != "dept_tasks":
        return table_task(form)
    key = squash(task)
    for t in form.tasks:
        if t.seq is not None and squash(t.seq) == key:
            return t
    try:
        k = int(key)
    except ValueError:
        k = 0
    if 1 <= k <= len(form.tasks) and not any(squash(t.seq) == key for t in form.tasks):
        return form.tasks[k - 1]
    raise TaskNotFoundError(f"没有序号为 {task} 的任务（共 {len(form.tasks)} 项任务）")


def _blank(grid: Grid, r: int, cols: list[int]) -> bool:
    for c in cols:
        if (r, c) in grid.formulas:
            return False
        v = grid.get(r, c)
        if v is not None and not (isinstance(v, str) and not v.strip()):
            return False
    return True


def _num(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def cell_values(spec: IndicatorSpec, task: Task, cols: dict[str, int]) -> tuple[dict[str, Any], bool, str | None]:
    """What goes into each indicator column for ``spec``: (field -> value, needs_value, placeholder)."""
    has_unit, has_op = "unit" in cols, "op" in cols
    needs = spec.needs_value
    shown: str | None = spec.placeholder if needs else None
    number: Decimal | None = None
    if spec.value == AMOUNT:
        if task.amount is None:
            needs, shown = True, "X"
        else:
            number = task.amount
    elif isinstance(spec.value, Decimal):
        number = spec.value
    out: dict[str, Any] = {
        "level1": spec.level1,
        "level2": spec.level2,
        "indicator": spec.name,
        "core": "是" if spec.core else "否",
        "op": spec.op,
    }
    if spec.op == "定性":
        value: Any = spec.value
        unit = None
    elif number is not None:
        value = _num(number) if has_unit else f"{format_number(number)}{spec.unit or ''}"
        unit = spec.unit
    else:
        value = shown if has_unit else f"{shown}{spec.unit or ''}"
        unit = spec.unit
    if not has_op and spec.op != "定性":
        value = f"{spec.op}{value}"
    out["value"] = value
    out["unit"] = unit
    return {k: v for k, v in out.items() if k in cols}, needs, shown


def _display(spec: IndicatorSpec, task: Task, shown: str | None) -> str:
    if spec.op == "定性":
        return f"定性：{spec.value}"
    if spec.value == AMOUNT and task.amount is not None:
        return f"{spec.op}{format_number(task.amount)}{spec.unit or ''}"
    if shown is not None:
        return f"{spec.op}{shown}{spec.unit or ''}"
    return spec.value_text()


def _note(spec: IndicatorSpec, shown: str | None) -> str:
    unit = f"（计量单位：{spec.unit}）" if spec.unit else ""
    text = f"xlperf：请填写「{spec.name}」的年度指标值，把 {shown} 换成实际数字{unit}。"
    if spec.note:
        text += spec.note
    return text


def build_insert_plan(grid: Grid, form: Form, task: Task, indicator_set: IndicatorSet, *,
                      replace: bool = False) -> InsertPlan:
    """The full plan (edits plus what they do: rows written, skipped names, cells to fill) for inserting
    ``indicator_set`` under ``task``, one of ``form.tasks`` (the object itself: two tasks may share a
    序号; :func:`find_task` turns a number into a task)."""
    if form.layout is None:
        raise XlperfError("未识别任务表表头，无法插入指标")
    if not any(t is task for t in form.tasks) and not (task.indicators is form.indicators and not form.tasks):
        raise TypeError("build_insert_plan takes one of form.tasks (use find_task for a 序号)")
    cols = form.layout.columns
    plan = InsertPlan(task=task, indicator_set=indicator_set)
    ind_cols = [cols[f] for f in IND_FIELDS if f in cols]
    task_cols = {cols[f] for f in TASK_FIELDS if f in cols}
    r0, end = task_span(grid, form, task)

    # which indicators, which rows ---------------------------------------------------------------
    have = {squash(i.name) for i in task.indicators if i.name}
    if replace:
        specs = list(indicator_set.indicators)
        old_rows = sorted(i.row for i in task.indicators if i.row is not None)
        after = max(old_rows) if old_rows else r0 - 1
    else:
        stems = {indicator_stem(i.name): i.name for i in task.indicators if i.name and len(indicator_stem(i.name)) >= 2}
        for s in indicator_set.indicators:
            near = stems.get(indicator_stem(s.name)) if len(indicator_stem(s.name)) >= 2 else None
            if squash(s.name) not in have and near is not None:
                plan.similar[s.name] = near
        specs = [s for s in indicator_set.indicators if squash(s.name) not in have and s.name not in plan.similar]
        plan.skipped = [s for s in indicator_set.indicators if squash(s.name) in have or s.name in plan.similar]
        old_rows = []
        after = max((i.row for i in task.indicators if i.row is not None), default=r0 - 1)
    free = [r for r in range(after + 1, end + 1) if _blank(grid, r, ind_cols)]
    existing = (old_rows + free)[: len(specs)]
    plan.cleared = [r for r in old_rows if r not in existing]
    n_new = max(0, len(specs) - len(existing))
    plan.reused = len([r for r in existing if r not in old_rows])
    at = end + 1
    targets = existing + list(range(at, at + n_new))

    edits = plan.edits
    # merged indicator cells over rows that get written: unmerge, filling the other rows down ----
    touched = set(existing) | set(plan.cleared)
    ind_set = set(ind_cols)
    for m in grid.merges:
        if (m.r0, m.c0) == (m.r1, m.c1):
            continue
        if not any(m.c0 <= c <= m.c1 for c in ind_set):
            continue
        if not any(m.r0 <= r <= m.r1 for r in touched):
            continue
        edits.append(Unmerge(m.r0, m.c0, m.r1, m.c1))
        top = grid.get(m.r0, m.c0)
        for r in range(m.r0, m.r1 + 1):
            for c in range(m.c0, m.c1 + 1):
                if (r, c) != (m.r0, m.c0) and r not in touched and top is not None:
                    edits.append(SetValue(r, c, top))

    # insert rows and re-merge the task's cells ------------------------------------------------------
    new_end = end + n_new
    if n_new:
        plan.inserted_at, plan.inserted = at, n_new
        edits.append(InsertRows(at, n_new, style_from=end))
        task_merges = [m for m in grid.merges if m.r0 == r0 and m.c0 in task_cols and m.r1 >= m.r0]
        if not any(m.r1 > m.r0 for m in task_merges):
            task_merges = _conventional_merges(grid, form, task, task_cols)
        for m in task_merges:
            if (m.r0, m.c0) != (m.r1, m.c1):
                edits.append(Unmerge(m.r0, m.c0, m.r1, m.c1))
            edits.append(Merge(r0, m.c0, new_end, m.c1))
    plan.span = (r0, new_end)

    # write the rows --------------------------------------------------------------------------------
    value_col = cols.get("value")
    for spec, r in zip(specs, targets, strict=True):
        values, needs, shown = cell_values(spec, task, cols)
        for f in IND_FIELDS:
            if f not in cols:
                continue
            v = values.get(f)
            if v is None and r >= at:
                continue  # an inserted row is empty already
            edits.append(SetValue(r, cols[f], v, old=None if r >= at else grid.get(r, cols[f])))
        if value_col is not None:
            if needs:
                edits.append(SetFill(r, value_col, NEEDS_VALUE_FILL))
                edits.append(SetNote(r, value_col, _note(spec, shown)))
            elif replace and r < at:
                edits.append(SetFill(r, value_col, None))
                edits.append(SetNote(r, value_col, None))
        cell = a1(r, value_col if value_col is not None else ind_cols[0])
        plan.rows.append(PlannedRow(r, spec, values.get("value"), needs, cell, r >= at, _display(spec, task, shown)))
    for r in plan.cleared:
        for c in ind_cols:
            if grid.get(r, c) is not None or (r, c) in grid.formulas:
                edits.append(SetValue(r, c, None, old=grid.get(r, c)))
        if value_col is not None:
            edits.append(SetFill(r, value_col, None))
            edits.append(SetNote(r, value_col, None))
    return plan


def _conventional_merges(grid: Grid, form: Form, task: Task, task_cols: set[int]) -> list[MergedRange]:
    """For a one-row task: merge the columns other tasks of the form have merged down their rows."""
    spans: set[tuple[int, int]] = set()
    starts = {t.row for t in form.tasks if t.row is not None}
    for m in grid.merges:
        if m.r0 in starts and m.c0 in task_cols and m.r1 > m.r0:
            spans.add((m.c0, m.c1))
    r = task.row if task.row is not None else 0
    return [MergedRange(r, c0, r, c1) for c0, c1 in sorted(spans)]


def plan_insert(grid: Grid, form: Form, task: Task, indicator_set: IndicatorSet, *,
                replace: bool = False) -> list[Edit]:
    """The edits that insert ``indicator_set`` under ``task`` (see :func:`build_insert_plan`)."""
    return build_insert_plan(grid, form, task, indicator_set, replace=replace).edits
