"""Auto-sum of the budget block: live formulas, never pasted numbers.

* 项目支出 = SUM over the tasks' 拟投入金额 cells (one range ``SUM(E10:E52)`` when nothing else
  numeric sits in that stretch of the column, otherwise the cells one by one);
* where the layout has them: 部门预算支出合计 = 基本支出 + 项目支出, 收入合计 = 财政拨款 + 其他资金;
* the income side is checked, not overwritten; ``balance=True`` sets 财政拨款 = 支出合计 − 其他资金.

An existing formula that already adds up exactly the right cells (``=SUM(E10:E52)``, ``=C5+C6``,
``=SUM(C5:C6)``) is kept as it is, which makes the operation idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .edits import Edit, SetFormula
from .grid import Grid, a1, col_letter, parse_a1
from .model import Form, Task
from .text import format_number, to_decimal

LABELS = {
    "basic": "基本支出",
    "project": "项目支出",
    "total": "部门预算支出合计",
    "fiscal": "财政拨款",
    "other": "其他资金",
    "income_total": "收入合计",
}
TASK_FIELDS = ("seq", "name", "content", "source", "amount")
CENT = Decimal("0.005")


@dataclass(frozen=True)
class Change:
    """One cell autosum writes: where, what was there, the formula, and what it evaluates to."""

    field: str
    cell: str
    old: Any
    new: str
    value: Decimal | None = None
    name: str | None = None  # the layout's own label (资金总额, 年度资金总额) where it differs from LABELS

    @property
    def label(self) -> str:
        return self.name or LABELS.get(self.field, self.field)

    def describe(self) -> str:
        old = "（空）" if self.old in (None, "") else (format_number(self.old) if isinstance(self.old, (int, float, Decimal)) else str(self.old))
        val = "" if self.value is None else f"（= {format_number(self.value)}）"
        return f"{self.label} {self.cell}: {old} → {self.new}{val}"


@dataclass(frozen=True)
class Message:
    level: str  # "error" | "warning" | "info"
    code: str
    text: str
    cell: str | None = None

    def describe(self) -> str:
        tag = {"error": "错误", "warning": "警告", "info": "提示"}.get(self.level, self.level)
        return f"[{tag}] {self.text}" + (f"（{self.cell}）" if self.cell else "")


@dataclass
class AutosumPlan:
    edits: list[Edit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    values: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(m.level == "error" for m in self.messages)


# ------------------------------------------------------------------------------------------ helpers


def task_span(grid: Grid, form: Form, task: Task) -> tuple[int, int]:
    """0-based first and last sheet row of ``task``'s block: its rows as parsed, extended over
    reserved blank rows its merged task cells (序号 … 拟投入金额) still cover."""
    r0 = task.row if task.row is not None else 0
    r1 = task.last_row if task.last_row is not None else r0
    cols = form.layout.columns if form.layout else {}
    task_cols = {cols[f] for f in TASK_FIELDS if f in cols}
    nxt = None
    for t in form.tasks:
        if t.row is not None and t.row > r0 and (nxt is None or t.row < nxt):
            nxt = t.row
    for m in grid.merges:
        if m.r0 == r0 and m.c0 in task_cols and m.r1 > r1:
            r1 = m.r1 if nxt is None else min(m.r1, nxt - 1)
    return r0, r1


_REF = r"(?:'(?:[^']|'')+'!|[^\s'!(),+:]+!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?"
_TERM_RE = re.compile(rf"^(?:SUM\(({_REF}(?:,{_REF})*)\)|({_REF}))$", re.I)


def summed_cells(formula: str | None, sheet: str) -> set[tuple[int, int]] | None:
    """The cells a plain sum formula adds (``=A1+B2``, ``=SUM(E10:E52)``, ``=SUM(A1,B2:B4)+C1``);
    None for anything else (other functions, constants, other sheets)."""
    if not formula or not formula.startswith("="):
        return None
    body = re.sub(r"\s+", "", formula[1:])
    if not body:
        return None
    cells: set[tuple[int, int]] = set()
    for term in body.split("+"):
        m = _TERM_RE.match(term)
        if not m:
            return None
        refs = (m.group(1) or m.group(2)).split(",")
        for ref in refs:
            if "!" in ref:
                name, _, ref = ref.rpartition("!")
                if name.strip("'").replace("''", "'") != sheet:
                    return None
            a, _, b = ref.partition(":")
            r0, c0 = parse_a1(a)
            r1, c1 = parse_a1(b) if b else (r0, c0)
            if (r1 - r0 + 1) * (c1 - c0 + 1) > 200_000:
                return None
            for r in range(min(r0, r1), max(r0, r1) + 1):
                for c in range(min(c0, c1), max(c0, c1) + 1):
                    cells.add((r, c))
    return cells


def _filled(grid: Grid, r: int, c: int) -> bool:
    v = grid.get(r, c)
    return (r, c) in grid.formulas or not (v is None or (isinstance(v, str) and not v.strip()))


def _equivalent(grid: Grid, formula: str | None, wanted: set[tuple[int, int]]) -> bool:
    """``formula`` adds exactly the ``wanted`` cells (plus only empty cells)."""
    got = summed_cells(formula, grid.sheet)
    if got is None or not wanted <= got:
        return False
    return not any(_filled(grid, r, c) for r, c in got - wanted)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for r in sorted(set(rows)):
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def sum_formula(grid: Grid, col: int, rows: list[int], first: int, last: int) -> str:
    """``=SUM(E10:E52)`` when only ``rows`` hold something in that stretch of ``col``; else the cells."""
    wanted = set(rows)
    if not any(_filled(grid, r, col) for r in range(first, last + 1) if r not in wanted):
        return f"=SUM({a1(first, col)}:{a1(last, col)})"
    L = col_letter(col)
    parts = [f"{L}{r0 + 1}" if r0 == r1 else f"{L}{r0 + 1}:{L}{r1 + 1}" for r0, r1 in _runs(rows)]
    chunks = [parts[i : i + 200] for i in range(0, len(parts), 200)]
    return "=" + "+".join(f"SUM({','.join(ch)})" for ch in chunks)


def _norm(formula: str | None) -> str:
    return re.sub(r"[\s$]", "", formula or "").upper()


def _value_of(grid: Grid, ref: str | None) -> Any:
    """What the cell holds now: its formula, else its value."""
    if ref is None:
        return None
    r, c = parse_a1(ref)
    return grid.formulas.get((r, c)) or grid.get(r, c)


# ------------------------------------------------------------------------------------------ planning


def analyse_autosum(grid: Grid, form: Form, *, balance: bool = False) -> AutosumPlan:
    """Plan the budget formulas and check the income side. Pure: reads ``grid``/``form`` only.
    The layouts without tasks have their own totals (:func:`analyse_family`)."""
    if form.kind in FAMILY_TOTALS:
        return analyse_family(grid, form)
    plan = AutosumPlan()
    b = form.budget
    cells = {k: b.cells.get(k) for k in LABELS}
    cols = form.layout.columns if form.layout else {}
    msg = plan.messages.append

    def setf(field_: str, formula: str, value: Decimal | None) -> None:
        ref = cells[field_]
        assert ref is not None
        r, c = parse_a1(ref)
        old = _value_of(grid, ref)
        plan.edits.append(SetFormula(r, c, formula, old=old))
        plan.changes.append(Change(field_, ref, old, formula, value))

    # 项目支出 ------------------------------------------------------------------------------------
    project_value: Decimal | None = b.project
    if cells["project"] is None:
        msg(Message("error", "AS01", "未找到「项目支出」金额单元格，无法自动求和"))
    elif "amount" not in cols:
        msg(Message("error", "AS02", "任务表没有「拟投入金额」列，无法自动求和"))
    elif not form.tasks:
        msg(Message("warning", "AS03", "任务表中没有任务，项目支出未改动", cells["project"]))
    else:
        ac = cols["amount"]
        rows = [t.row for t in form.tasks if t.row is not None]
        # pasted text has no cell types (everything is text); a workbook does
        typed = any(not isinstance(v, str) for v in grid.values.values())
        for t in form.tasks:
            if t.row is None:
                continue
            raw = grid.get(t.row, ac)
            ref = a1(t.row, ac)
            if (t.row, ac) in grid.formulas:
                continue
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                msg(Message("warning", "AS04", f"{t.label} 未填拟投入金额（按 0 计入）", ref))
            elif isinstance(raw, str) and (typed or to_decimal(raw) is None):
                hint = "" if to_decimal(raw) is None else f"，应为数字 {format_number(to_decimal(raw))}"
                msg(Message("error", "AS05", f"{t.label} 的拟投入金额是文本「{raw}」，SUM 不会计入{hint}", ref))
        first = min(rows)
        # the spans follow the task rows, so the last one ends last (one span, not one per task: each
        # task_span looks at every task and merge, quadratic on a 10,000-task sheet)
        last_task = max((t for t in form.tasks if t.row is not None), key=lambda t: t.row or 0)
        last = task_span(grid, form, last_task)[1]
        project_value = sum((t.amount or Decimal(0) for t in form.tasks), Decimal(0))
        pr, pc = parse_a1(cells["project"])
        current = grid.formulas.get((pr, pc))
        wanted = {(r, ac) for r in rows}
        if not _equivalent(grid, current, wanted):
            setf("project", sum_formula(grid, ac, rows, first, last), project_value)
    plan.values["project"] = project_value

    # 部门预算支出合计 ---------------------------------------------------------------------------
    basic = b.basic
    expense = (basic or Decimal(0)) + (project_value or Decimal(0))
    plan.values["total"] = expense
    if cells["total"] is not None:
        parts = [cells[k] for k in ("basic", "project") if cells[k] is not None]
        if parts:
            tr, tc = parse_a1(cells["total"])
            wanted = {parse_a1(p) for p in parts}
            if not _equivalent(grid, grid.formulas.get((tr, tc)), wanted):
                setf("total", "=" + "+".join(parts), expense)

    # income side ------------------------------------------------------------------------------
    other = b.other or Decimal(0)
    fiscal = b.fiscal
    if balance:
        if cells["fiscal"] is None:
            msg(Message("error", "AS06", "未找到「财政拨款」单元格，无法按支出合计平衡"))
        else:
            if cells["total"] is not None:
                formula = "=" + cells["total"]
            else:
                formula = "=" + "+".join(cells[k] for k in ("basic", "project") if cells[k] is not None)
            if cells["other"] is not None:
                formula += "-" + cells["other"]
            fr, fc = parse_a1(cells["fiscal"])
            if _norm(grid.formulas.get((fr, fc))) != _norm(formula):
                setf("fiscal", formula, expense - other)
            fiscal = expense - other
    plan.values["fiscal"] = fiscal
    income = (fiscal or Decimal(0)) + other
    plan.values["income_total"] = income
    if cells["income_total"] is not None:
        parts = [cells[k] for k in ("fiscal", "other") if cells[k] is not None]
        if parts:
            ir, ic = parse_a1(cells["income_total"])
            wanted = {parse_a1(p) for p in parts}
            if not _equivalent(grid, grid.formulas.get((ir, ic)), wanted):
                setf("income_total", "=" + "+".join(parts), income)
    if cells["fiscal"] is None and cells["income_total"] is None:
        msg(Message("info", "AS07", "表中没有收入来源（财政拨款/收入合计），未核对收支平衡"))
    elif abs(income - expense) >= CENT:
        need = expense - other
        msg(Message(
            "error", "AS08",
            f"收支不平衡：收入合计 {format_number(income)} ≠ 支出合计 {format_number(expense)}"
            f"（差 {format_number(income - expense)}）；财政拨款应为 {format_number(need)}，"
            "可用 --balance 设为公式",
            cells["fiscal"] or cells["income_total"],
        ))
    return plan


# the totals of the layouts without tasks: kind -> (total's label, the fields it adds up)
FAMILY_TOTALS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dept_overall": ("资金总额", ("project", "basic")),
    "project": ("年度资金总额", ("fiscal", "other")),
    "application": ("资金总额", ("fiscal", "other")),
}


def analyse_family(grid: Grid, form: Form) -> AutosumPlan:
    """The department-level form: 项目支出 = SUM of the 年度履职目标 amounts (where the block has them),
    资金总额 = 项目支出 + 基本支出. The project form: 年度资金总额 = 财政拨款 + 其他资金."""
    plan = AutosumPlan()
    b = form.budget
    msg = plan.messages.append
    total_name, parts = FAMILY_TOTALS[form.kind]
    values = {f: getattr(b, f) for f in ("basic", "project", "fiscal", "other")}

    def setf(field_: str, formula: str, value: Decimal | None, name: str | None = None) -> None:
        ref = b.cells[field_]
        r, c = parse_a1(ref)
        old = _value_of(grid, ref)
        plan.edits.append(SetFormula(r, c, formula, old=old))
        plan.changes.append(Change(field_, ref, old, formula, value, name))

    amounts = [d for d in form.duties if "amount" in d.cells]
    if form.kind == "dept_overall" and amounts and "project" in b.cells:
        rows, col = [], parse_a1(amounts[0].cells["amount"])[1]
        for d in amounts:
            r, c = parse_a1(d.cells["amount"])
            raw = grid.get(r, c)
            if c != col:
                continue
            rows.append(r)
            if (r, c) not in grid.formulas and isinstance(raw, str) and to_decimal(raw) is None and raw.strip():
                msg(Message("error", "AS05", f"履职目标「{d.task or ''}」的预算金额是文本「{raw}」，SUM 不会计入",
                            d.cells["amount"]))
        pr, pc = parse_a1(b.cells["project"])
        value = sum((d.amount or Decimal(0) for d in amounts), Decimal(0))
        values["project"] = value
        if not _equivalent(grid, grid.formulas.get((pr, pc)), {(r, col) for r in rows}):
            setf("project", sum_formula(grid, col, rows, min(rows), max(rows)), value)
    if "total" not in b.cells:
        msg(Message("error", "AS01", f"未找到「{total_name}」金额单元格，无法自动求和"))
        return plan
    refs = [b.cells[f] for f in parts if f in b.cells]
    if not refs:
        msg(Message("error", "AS01", f"未找到{'、'.join(LABELS[f] for f in parts)}的金额单元格，无法求{total_name}"))
        return plan
    value = sum((values[f] or Decimal(0) for f in parts), Decimal(0))
    plan.values["total"] = value
    tr, tc = parse_a1(b.cells["total"])
    if not _equivalent(grid, grid.formulas.get((tr, tc)), {parse_a1(r) for r in refs}):
        setf("total", "=" + "+".join(refs), value, total_name)
    return plan


def plan_autosum(grid: Grid, form: Form, *, balance: bool = False) -> list[Edit]:
    """The edits that make the budget block live formulas (see :func:`analyse_autosum`)."""
    return analyse_autosum(grid, form, balance=balance).edits
