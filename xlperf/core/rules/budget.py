"""XP1xx: the budget block and the money of the tasks. Money is Decimal, rounded to
``config.money_places`` (2, 万元) before comparing; never float."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..issues import Severity
from ..text import to_decimal, to_int
from .common import amount, show
from .registry import Context, Finding, rule

_FIELD_NAMES = {
    "basic": "基本支出",
    "project": "项目支出",
    "fiscal": "财政拨款",
    "other": "其他资金",
    "total": "部门预算支出合计",
    "income_total": "收入合计",
}
# budget cells that may be left blank (blank = 0)
_BLANK_OK = ("other",)


@rule("XP101", Severity.ERROR)
def expenditure_total(ctx: Context) -> Iterator[Finding]:
    """基本支出 + 项目支出 ≠ 部门预算支出合计

    检查：表中有"部门预算支出合计"单元格时，基本支出 + 项目支出 应等于该合计（按万元保留两位小数比较）。
    没有合计单元格的表不检查。

    原因：合计与分项不一致说明数字抄错或公式范围不对。
    """
    b = ctx.form.budget
    if "total" not in b.cells or b.total is None or b.basic is None or b.project is None:
        return
    s = ctx.money(b.basic + b.project)
    t = ctx.money(b.total)
    if s != t:
        yield ctx.at(
            f"基本支出 {amount(b.basic)} + 项目支出 {amount(b.project)} = {amount(s)} 万元，"
            f"与部门预算支出合计 {amount(b.total)} 万元不一致（相差 {amount(s - t)}）：合计应等于分项之和；"
            f"请核对数字，或把合计改为公式，如「=基本支出+项目支出」（{amount(s)}）",
            b.cells["total"],
        )


@rule("XP102", Severity.ERROR)
def income_balance(ctx: Context) -> Iterator[Finding]:
    """基本支出 + 项目支出 ≠ 财政拨款 + 其他资金

    检查：部门预算支出（基本支出 + 项目支出）应等于收入来源（财政拨款 + 其他资金），空白按 0 计。
    表中没有收入来源栏、或有金额不是数字（见 XP104）时不检查。

    示例：基本支出 3793.11 + 项目支出 1359.1 = 5152.21 = 财政拨款 5152.21 + 其他资金（空）。
    """
    b = ctx.form.budget
    if b.basic is None or b.project is None:
        return
    if "fiscal" not in b.cells and "other" not in b.cells:
        return
    parts = []
    for f in ("fiscal", "other"):
        if f not in b.cells:
            parts.append(Decimal(0))
            continue
        v = getattr(b, f)
        if v is None:
            if _blank(b.raw.get(f)) and f not in b.formulas:
                v = Decimal(0)
            else:
                return  # not a number: XP104
        parts.append(v)
    spend = ctx.money(b.basic + b.project)
    income = ctx.money(parts[0] + parts[1])
    if spend != income:
        cell = b.cells.get("fiscal") or b.cells.get("other")
        yield ctx.at(
            f"基本支出 + 项目支出 = {amount(spend)} 万元，收入来源 财政拨款 {amount(b.fiscal)} + 其他资金 "
            f"{amount(b.other)} = {amount(income)} 万元，二者应相等（相差 {amount(spend - income)}）：支出必须有收入来源；"
            f"请核对财政拨款或其他资金，如财政拨款应为 {amount(spend - (b.other or 0))}",
            cell,
        )


@rule("XP103", Severity.ERROR)
def task_sum(ctx: Context) -> Iterator[Finding]:
    """各任务拟投入金额之和 ≠ 项目支出

    检查：所有年度工作任务的"拟投入金额"之和应等于项目支出（配置 ``task-total = "total"`` 时改为与
    部门预算支出合计比较，用于基本支出任务也列在表中的地区）。有任务金额缺失或不是数字时不检查（见
    XP309、XP104）。
    """
    form, b = ctx.form, ctx.form.budget
    if not form.tasks or "amount" not in ctx.columns:
        return
    if any(t.amount is None for t in form.tasks):
        return
    if ctx.config.task_total == "total":
        target = b.total if b.total is not None else (
            b.basic + b.project if b.basic is not None and b.project is not None else None)
        label, cell = "部门预算支出合计", b.cells.get("total") or b.cells.get("project")
    else:
        target, label, cell = b.project, "项目支出", b.cells.get("project")
    if target is None:
        return
    total = sum((t.amount for t in form.tasks if t.amount is not None), Decimal(0))
    if ctx.money(total) != ctx.money(target):
        yield ctx.at(
            f"{len(form.tasks)} 项任务的拟投入金额合计 {amount(total)} 万元，与{label} {amount(target)} 万元"
            f"不一致（相差 {amount(ctx.money(total) - ctx.money(target))}）：任务金额是{label}的分解，两者应相等；"
            f"请核对各任务金额，或把{label}改为任务金额之和（如 =SUM(拟投入金额列)，可用 xlperf autosum）",
            cell,
        )


@rule("XP104", Severity.ERROR)
def amount_invalid(ctx: Context) -> Iterator[Finding]:
    """预算金额或任务金额缺失、不是数字或为负数

    检查：基本支出、项目支出、财政拨款（以及表中有的合计栏）须填写非负数字，单位万元；其他资金可空
    （按 0 计）。任务的拟投入金额填了内容时须是非负数字；金额完全空白的任务由 XP309 报告。
    """
    b = ctx.form.budget
    for f, label in _FIELD_NAMES.items():
        if f not in b.cells:
            continue
        raw, v = b.raw.get(f), getattr(b, f)
        if v is None:
            if f in b.formulas:
                yield ctx.at(f"{label}的公式 {b.formulas[f]} 无法计算出数值；应改为能算出金额的公式或直接填金额，"
                             "如「=SUM(E10:E20)」或「1359.1」", b.cells[f])
            elif _blank(raw):
                if f not in _BLANK_OK:
                    yield ctx.at(f"{label}为空，无法核对预算；应填写金额（万元），没有就填 0，如「3793.11」", b.cells[f])
            else:
                yield ctx.at(f"{label}「{show(raw)}」不是数字，无法求和核对；应只填金额数字（单位万元），如「3793.11」", b.cells[f])
        elif v < 0:
            yield ctx.at(f"{label} {amount(v)} 为负数，预算金额不能小于 0；应填实际金额，如「{amount(-v)}」", b.cells[f])
    if "amount" not in ctx.columns:
        return
    for t in ctx.form.tasks:
        raw = t.raw.get("amount")
        cell = t.cells.get("amount")
        if t.amount is None and not _blank(raw):
            yield ctx.at(f"拟投入金额「{show(raw)}」不是数字，无法与项目支出核对；应只填金额数字（单位万元），如「34」", cell, t)
        elif t.amount is not None and t.amount < 0:
            yield ctx.at(f"拟投入金额 {amount(t.amount)} 为负数，金额不能小于 0；应填实际金额，如「{amount(-t.amount)}」", cell, t)


@rule("XP105", Severity.WARNING)
def counts_invalid(ctx: Context) -> Iterator[Finding]:
    """财政供养人员数或下属单位数不是非负整数

    检查：表中有这两栏时，须填写 0 或正整数（如 128、3），不能是小数、文字或空白。
    """
    form = ctx.form
    for f, label in (("staff_count", "财政供养人员数"), ("subunit_count", "下属单位数")):
        if f not in form.cells:
            continue
        raw = form.raw.get(f)
        n = to_int(raw)
        if _blank(raw):
            yield ctx.at(f"{label}为空；应填写非负整数（人数、个数），没有就填 0，如「128」", form.cells[f])
        elif n is None:
            d = to_decimal(raw)
            what = "不是整数" if d is not None else "不是数字"
            yield ctx.at(f"{label}「{show(raw)}」{what}，人数、个数只能是整数；应填写非负整数，如「128」", form.cells[f])
        elif n < 0:
            yield ctx.at(f"{label} {n} 为负数，人数、个数不能小于 0；应填写非负整数，如「{-n}」", form.cells[f])


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())
