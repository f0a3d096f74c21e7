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
# the total's label in the layouts without tasks
_TOTAL_NAMES = {"dept_overall": "资金总额", "project": "年度资金总额", "application": "资金总额"}


def _field_names(kind: str) -> dict[str, str]:
    if kind not in _TOTAL_NAMES:
        return _FIELD_NAMES
    return {**_FIELD_NAMES, "total": _TOTAL_NAMES[kind]}


# budget cells that may be left blank (blank = 0)
_BLANK_OK = ("other",)


@rule("XP101", Severity.ERROR, kinds=("dept_tasks", "dept_overall"))
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


@rule("XP102", Severity.ERROR, kinds=("dept_tasks", "dept_overall"))
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


@rule("XP103", Severity.ERROR, kinds=("dept_tasks", "project_list"))
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
    for f, label in _field_names(ctx.form.kind).items():
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


@rule("XP105", Severity.WARNING, kinds=("dept_tasks",))
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


@rule("XP106", Severity.ERROR, kinds=("project", "application"))
def project_funds_balance(ctx: Context) -> Iterator[Finding]:
    """项目支出绩效目标表：年度资金总额 ≠ 财政拨款 + 其他资金

    依据：项目支出绩效目标表的"项目资金"栏（年度资金总额 = 其中财政拨款 + 其他资金）。

    检查：年度资金总额、财政拨款都填了数字时，财政拨款 + 其他资金（空白按 0 计）应等于年度资金总额
    （按万元保留两位小数比较）。
    """
    b = ctx.form.budget
    if b.total is None or b.fiscal is None:
        return
    other = b.other if b.other is not None else Decimal(0)
    if b.other is None and not _blank(b.raw.get("other")):
        return  # not a number: XP104
    parts = ctx.money(b.fiscal + other)
    if parts != ctx.money(b.total):
        yield ctx.at(
            f"财政拨款 {amount(b.fiscal)} + 其他资金 {amount(b.other)} = {amount(parts)} 万元，与年度资金总额 "
            f"{amount(b.total)} 万元不一致（相差 {amount(parts - ctx.money(b.total))}）：资金总额应等于各来源之和；"
            f"请核对，如年度资金总额应为 {amount(parts)}",
            b.cells.get("total"),
        )


@rule("XP107", Severity.ERROR)
def unit_contradicted(ctx: Context) -> Iterator[Finding]:
    """金额与表上的金额单位矛盾（元当成万元，或万元当成元）

    依据：实践（四川等地的项目绩效目标申报表标"金额单位：元"，其余多为万元；读错单位就是一万倍的差错）。

    检查：金额按表上的单位（"金额单位：元""预算金额（万元）"，没有标注时按万元）换算为万元后：以万元计的
    预算金额达到 1000 亿元，或一项任务（项目、履职目标）的金额达到 100 亿元，多半是按元填的；标"元"的表
    所有金额合计不到 1000 元，多半是按万元填的。阈值见 ``xlperf/data/labels.toml`` 的 [units]。
    """
    from ..labels import default_labels

    form, b = ctx.form, ctx.form.budget
    units = default_labels().units
    budget = [(getattr(b, f), b.cells.get(f), units.wan_implausible_from) for f in _FIELD_NAMES]
    items = [(t.amount, t.cells.get("amount"), units.wan_item_implausible_from) for t in form.tasks]
    items += [(d.amount, d.cells.get("amount"), units.wan_item_implausible_from) for d in form.duties]
    amounts = [(v, c, limit) for v, c, limit in budget + items if v is not None]
    if not amounts:
        return
    where = f"「{b.unit_text}」" if b.unit_text else "（表上没有标注，按万元）"
    if b.unit in ("万元", "亿元"):
        big = [(v, c) for v, c, limit in amounts if v >= limit]
        if big:
            v, c = max(big, key=lambda x: x[0])
            yield ctx.at(f"金额单位{where}，金额 {amount(v)} 万元即 {amount(v / 10000)} 亿元，不像一个部门或项目的预算，"
                         f"多半是按元填的；请核对单位，按元填写的表应在表头注明「金额单位：元」", c or b.cells.get("unit"))
    elif b.unit == "元":
        scale = default_labels().unit_scale("元") or Decimal("0.0001")
        total = sum((abs(v) for v, _c, _limit in amounts), Decimal(0)) / scale
        if 0 < total < units.yuan_implausible_below:
            yield ctx.at(f"金额单位「{b.unit_text}」，但所有金额合计只有 {amount(total)} 元，多半是按万元填的；"
                         "请核对单位，按万元填写的表应注明「金额单位：万元」", b.cells.get("unit"))


@rule("XP108", Severity.ERROR, kinds=("dept_overall",))
def duties_sum(ctx: Context) -> Iterator[Finding]:
    """部门整体绩效目标表：年度履职目标的预算金额之和 ≠ 项目支出

    依据：福建等地的部门整体支出绩效目标表（年度履职目标逐项列出支出项目及其预算金额，合计即项目支出）。

    检查：表中有年度履职目标栏、各项都填了预算金额、且有项目支出金额时，预算金额之和应等于项目支出
    （按万元保留两位小数比较）。
    """
    form, b = ctx.form, ctx.form.budget
    if not form.duties or b.project is None or any(d.amount is None for d in form.duties):
        return
    total = sum((d.amount for d in form.duties if d.amount is not None), Decimal(0))
    if ctx.money(total) != ctx.money(b.project):
        yield ctx.at(
            f"{len(form.duties)} 项年度履职目标的预算金额合计 {amount(total)} 万元，与项目支出 {amount(b.project)} 万元"
            f"不一致（相差 {amount(ctx.money(total) - ctx.money(b.project))}）：履职目标的支出项目是项目支出的分解，"
            f"两者应相等；请核对各项预算金额，或把项目支出改为其合计，如「{amount(total)}」",
            b.cells.get("project"),
        )
