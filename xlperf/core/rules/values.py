"""XP4xx: comparison symbols, target values, units, core flags and the characters they are typed in.

Rows that carry only level names (no indicator name, symbol or value) are left to XP206.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..issues import Severity
from ..model import Indicator, Task
from ..text import NUMERIC_OPS, OPS, format_number, label_key, normalize_op, split_value, squash
from .common import (
    fold,
    has_stray,
    inline_variant,
    is_value_placeholder,
    op_variant,
    show,
    tidy,
    tidy_space,
)
from .registry import Context, Finding, rule, set_value

_OP_LIST = "=、≥、≤、>、< 或 定性"
_FIELD_LABELS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "指标名称",
    "op": "对比符号",
    "value": "年度指标值",
    "unit": "计量单位",
}


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _rows(ctx: Context) -> Iterator[tuple[Task, Indicator]]:
    return iter(ctx.filled_rows)


def _target(ind: Indicator) -> str:
    """The target as shown to the user: ``≥95%``."""
    v = ind.value
    val = format_number(v) if isinstance(v, Decimal) else (v or "")
    unit = (ind.unit or "") if isinstance(v, Decimal) else ""
    return f"{ind.op or ''}{val}{unit}"


def _raw_op_invalid(ind: Indicator) -> bool:
    raw = ind.raw.get("op")
    return not _blank(raw) and normalize_op(raw) not in OPS


@rule("XP401", Severity.ERROR)
def op_missing(ctx: Context) -> Iterator[Finding]:
    """对比符号为空

    检查：表中有"对比符号"栏时，每条指标都要填 =、≥、≤、>、< 或 定性（符号写在指标值里、如"≥95%"，
    也可以）。文字目标值（如"逐步提高"）应选"定性"。
    """
    for t, ind in _rows(ctx):
        if "op" not in ind.cells or ind.op is not None or not _blank(ind.raw.get("op")):
            continue
        hint = ""
        if isinstance(ind.value, str):
            hint = "；文字目标值应选「定性」"
        yield ctx.at(f"对比符号为空（指标值「{show(ind.raw.get('value'))}」）；应填 {_OP_LIST}{hint}",
                     ind.cells["op"], t, ind)


@rule("XP402", Severity.ERROR)
def op_invalid(ctx: Context) -> Iterator[Finding]:
    """对比符号不是 = ≥ ≤ > < 定性 之一

    检查：对比符号规范化后（>=、＞＝、≧、大于等于 等都视为 ≥）须是 =、≥、≤、>、<、定性 之一；
    "定量""不适用"等不是对比符号。写法不规范但能识别的见 XP413。
    """
    for t, ind in _rows(ctx):
        if _raw_op_invalid(ind):
            yield ctx.at(f"对比符号「{show(ind.raw.get('op'))}」不是规定的符号；应为 {_OP_LIST}",
                         ind.cells.get("op"), t, ind)


@rule("XP403", Severity.ERROR)
def value_missing(ctx: Context) -> Iterator[Finding]:
    """年度指标值为空

    检查：每条指标都要填写年度指标值（目标值）。
    """
    for t, ind in _rows(ctx):
        if ind.value is None and _blank(ind.raw.get("value")) and "value" in ind.cells:
            yield ctx.at("年度指标值为空；应填写目标值（数值带单位，或定性描述）", ind.cells["value"], t, ind)


@rule("XP404", Severity.ERROR)
def value_symbol_mismatch(ctx: Context) -> Iterator[Finding]:
    """指标值与对比符号不相符

    检查：=、≥、≤、>、< 要求数值目标（可带单位，如"95%""300人次"）；"定性"要求文字目标
    （如"显著提升""好"），不能是一个数。占位符见 XP410。
    """
    for t, ind in _rows(ctx):
        raw = ind.raw.get("value")
        if ind.value is None or is_value_placeholder(raw):
            continue
        cell = ind.cells.get("value")
        if ind.op in NUMERIC_OPS and isinstance(ind.value, str):
            yield ctx.at(
                f"对比符号「{ind.op}」要求数值，但指标值「{show(raw)}」不是数字；"
                "数值目标请填数字（可带单位），文字目标请把对比符号改为「定性」",
                cell, t, ind,
            )
        elif ind.op == "定性" and isinstance(ind.value, Decimal):
            yield ctx.at(
                f"对比符号为「定性」，但指标值「{show(raw)}」是数值；数值目标应使用 =、≥、≤、>、<",
                cell, t, ind,
            )


@rule("XP405", Severity.WARNING)
def unit_missing(ctx: Context) -> Iterator[Finding]:
    """定量指标没有计量单位

    检查：数值目标要写明单位（%、人次、万元、天……），可以写在指标值里（"300人次"）或计量单位栏。
    """
    for t, ind in _rows(ctx):
        if ind.op in NUMERIC_OPS and isinstance(ind.value, Decimal) and not ind.unit:
            cell = ind.cells.get("unit") or ind.cells.get("value")
            yield ctx.at(f"指标值「{show(ind.raw.get('value'))}」没有计量单位；应写明单位（如 %、人次、万元）",
                         cell, t, ind)


@rule("XP406", Severity.ERROR)
def rate_over_100(ctx: Context) -> Iterator[Finding]:
    """比率类指标的目标值超过 100%

    检查：满意度、合格率、及时率、准确率、覆盖率、到位率、完成率、执行率、接通率（可配置
    ``bounded-rates``）不可能超过 100%，"> 100%"同样不可能。保值率、增长率等可以超过 100%，不检查。
    """
    for t, ind in _rows(ctx):
        if not ind.name or squash(ind.unit) != "%" or not isinstance(ind.value, Decimal):
            continue
        word = next((w for w in ctx.config.bounded_rates if w in squash(ind.name)), None)
        if word is None:
            continue
        v = ind.value
        if v > 100 or (v == 100 and ind.op == ">"):
            yield ctx.at(f"「{ind.name}」的目标「{_target(ind)}」超过 100%；{word}类指标不能超过 100%",
                         ind.cells.get("value"), t, ind)


@rule("XP407", Severity.ERROR)
def cost_over_budget(ctx: Context) -> Iterator[Finding]:
    """成本指标金额大于任务的拟投入金额

    检查：以万元（或元）为单位的成本指标不应超过该任务的拟投入金额（按 Decimal 比较）。
    """
    for t, ind in _rows(ctx):
        if t.amount is None or not ctx.is_cost(ind) or not isinstance(ind.value, Decimal):
            continue
        unit = squash(ind.unit)
        if unit == "万元":
            wan = ind.value
        elif unit == "元":
            wan = ind.value / Decimal(10000)
        else:
            continue
        if ctx.money(wan) > ctx.money(t.amount):
            yield ctx.at(
                f"成本指标「{ind.name or ''}」的目标 {format_number(ind.value)}{ind.unit} 超过任务拟投入金额 "
                f"{format_number(t.amount)} 万元",
                ind.cells.get("value"), t, ind,
            )


@rule("XP408", Severity.WARNING)
def cost_lower_bound(ctx: Context) -> Iterator[Finding]:
    """成本或预算控制类指标写成下限（≥、>）

    检查：成本指标以及名称含"预算控制""成本控制"的指标是上限：应写成"≤191万元"或"预算控制率 ≤100%"；
    写成"≥95%"读起来像预算执行率。
    """
    for t, ind in _rows(ctx):
        name = squash(ind.name)
        if ind.op not in ("≥", ">"):
            continue
        if not (ctx.is_cost(ind) or "预算控制" in name or "成本控制" in name):
            continue
        cell = ind.cells.get("value") if ind.op_inline else (ind.cells.get("op") or ind.cells.get("value"))
        yield ctx.at(
            f"成本类指标「{ind.name or ''}」写成下限「{_target(ind)}」；成本指标应为上限（≤ 或 =），"
            "如「≤拟投入金额（万元）」或「预算控制率 ≤100%」",
            cell, t, ind,
        )


@rule("XP409", Severity.ERROR)
def core_flag_invalid(ctx: Context) -> Iterator[Finding]:
    """是否核心指标没有填 是 / 否

    检查：表中有"是否核心指标"栏时，每条指标须填"是"或"否"（Y、√、空白等都不规范）。
    """
    for t, ind in _rows(ctx):
        if "core" not in ind.cells:
            continue
        raw = ind.raw.get("core")
        if _blank(raw):
            yield ctx.at("是否核心指标为空；应填「是」或「否」", ind.cells["core"], t, ind)
        elif label_key(raw) not in ("是", "否"):
            yield ctx.at(f"是否核心指标「{show(raw)}」不规范；应填「是」或「否」", ind.cells["core"], t, ind)


@rule("XP410", Severity.ERROR)
def value_placeholder(ctx: Context) -> Iterator[Finding]:
    """指标值是占位符（XX、N、**、待定 ……）

    检查：模板里的占位符（"XX人""**%""N次""待定"）或只有"-""/"的指标值说明目标还没有填。
    """
    for t, ind in _rows(ctx):
        raw = ind.raw.get("value")
        if is_value_placeholder(raw):
            yield ctx.at(f"指标值「{show(raw)}」是占位符；应填写具体目标值", ind.cells.get("value"), t, ind)


@rule("XP411", Severity.WARNING, fixable=True)
def stray_characters(ctx: Context) -> Iterator[Finding]:
    """名称、指标值或对比符号中有多余空格或全角字符

    检查：首尾或中间的空格、换行，以及全角数字、字母和符号（１００％、＞＝）会让比对和汇总出错。
    中文标点（（）、：，）不算。

    修复：去掉多余空格，全角数字、字母和符号改为半角（对比符号同时改为规范写法）。
    """
    seen: set[str] = set()
    for t in ctx.form.tasks:
        raw = t.raw.get("name")
        cell = t.cells.get("name")
        if cell and has_stray(raw):
            seen.add(cell)
            yield ctx.at(_stray_msg("年度工作任务", raw, tidy("name", raw)), cell, t,
                         fix=set_value(cell, tidy("name", raw), raw))
        for ind in t.indicators:
            for field in ("level1", "level2", "name", "op", "value", "unit"):
                raw, cell = ind.raw.get(field), ind.cells.get(field)
                if not cell or cell in seen or not has_stray(raw):
                    continue
                seen.add(cell)
                new = tidy(field, raw)
                yield ctx.at(_stray_msg(_FIELD_LABELS[field], raw, new), cell, t, ind,
                             fix=set_value(cell, new, raw))


def _stray_msg(label: str, raw: str, new: str) -> str:
    what = []
    if tidy_space(raw) != raw:
        what.append("多余空格")
    if fold(raw) != raw:
        what.append("全角字符")
    return f"{label}「{raw}」含{'和'.join(what)}；应为「{new}」"


@rule("XP412", Severity.INFO)
def satisfaction_target(ctx: Context) -> Iterator[Finding]:
    """满意度目标低于 80%，或恰好"= 100%"

    检查：满意度目标一般为 ≥85%～95%；低于 ``min-satisfaction``（默认 80%）偏低，"=100%"要求人人满意，
    难以实现也难以核验，审核时通常会被质疑。
    """
    floor = ctx.config.min_satisfaction
    for t, ind in _rows(ctx):
        if not ind.name or "满意" not in ind.name or squash(ind.unit) != "%" or not isinstance(ind.value, Decimal):
            continue
        cell = ind.cells.get("value")
        if ind.value < floor and ind.op not in ("≤", "<"):
            yield ctx.at(f"满意度目标「{_target(ind)}」低于 {format_number(floor)}%；一般设为 ≥85%～95%", cell, t, ind)
        elif ind.op == "=" and ind.value == 100:
            yield ctx.at(f"满意度目标「{_target(ind)}」要求全部满意，难以实现也难以核验；一般设为 ≥85%～95%",
                         cell, t, ind)


@rule("XP413", Severity.WARNING, fixable=True)
def op_variant_spelling(ctx: Context) -> Iterator[Finding]:
    """对比符号写法不规范（>=、＞＝、≧、大于等于 …）

    检查：对比符号能识别但不是规范写法，包括写在指标值开头的符号（">=95%"）。

    修复：改为 ≥、≤、>、<、= 之一。
    """
    for t, ind in ctx.indicators():
        raw, cell = ind.raw.get("op"), ind.cells.get("op")
        canon = op_variant(raw)
        if cell and canon:
            yield ctx.at(f"对比符号「{raw}」写法不规范；应为「{canon}」", cell, t, ind,
                         fix=set_value(cell, tidy("op", raw), raw))
        raw, cell = ind.raw.get("value"), ind.cells.get("value")
        canon = inline_variant(raw)
        if cell and canon:
            new = tidy("value", raw)
            yield ctx.at(f"指标值「{raw}」开头的对比符号写法不规范；应为「{new}」", cell, t, ind,
                         fix=set_value(cell, new, raw))


@rule("XP414", Severity.WARNING)
def unit_conflict(ctx: Context) -> Iterator[Finding]:
    """指标值自带的单位与计量单位栏不一致

    检查：表中有"计量单位"栏时，指标值里写的单位（"28.8万元"）应与该栏（"%"）一致。
    """
    for t, ind in _rows(ctx):
        col = ind.raw.get("unit")
        if "unit" not in ind.cells or _blank(col):
            continue
        _op, number, unit, _text = split_value(ind.raw.get("value"))
        if number is None or not unit or squash(unit) == squash(col):
            continue
        yield ctx.at(f"指标值「{show(ind.raw.get('value'))}」的单位「{unit}」与计量单位栏「{col}」不一致",
                     ind.cells["unit"], t, ind)
