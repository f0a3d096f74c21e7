"""XP4xx: comparison symbols, target values, units, core flags and the characters they are typed in.

Rows that carry only level names (no indicator name, symbol or value) are left to XP206.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from ..issues import Severity
from ..model import Indicator, Task
from ..text import (
    NUMERIC_OPS,
    OPS,
    format_number,
    is_date_text,
    label_key,
    normalize_op,
    split_value,
    squash,
    starts_with_number,
)
from ..vocabulary import default_vocabulary
from .common import (
    contains_any,
    fold,
    has_stray,
    inline_variant,
    is_name_placeholder,
    is_value_placeholder,
    op_variant,
    show,
    tidied,
    tidy,
    tidy_space,
)
from .registry import Context, Finding, rule, set_value

_VOC = default_vocabulary()  # the review words, as data (xlperf/data/vocabulary.toml)

_OP_LIST = "=、≥、≤、>、< 或 定性"
_FIELD_LABELS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "指标名称",
    "op": "对比符号",
    "value": "年度指标值",
    "unit": "计量单位",
}


_OPS_OR_NONE = frozenset((*OPS, None))
_YES_NO = frozenset(("是", "否"))


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _rows(ctx: Context) -> Iterator[tuple[Task, Indicator]]:
    """The filled indicator rows of the form (the per-form index, worked out once per run)."""
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
    ops = ctx.distinct("op")
    if ops is not None and None not in ops:
        return  # every row has a symbol
    for t, ind in _rows(ctx):
        if "op" not in ind.cells or ind.op is not None or not _blank(ind.raw.get("op")):
            continue
        hint = ""
        if isinstance(ind.value, str):
            hint = "；文字目标值应选「定性」"
        yield ctx.at(f"对比符号为空（指标值「{show(ind.raw.get('value'))}」），无法判断目标是上限还是下限；"
                     f"应填 {_OP_LIST}{hint}，如「≥」95%、「定性」显著提升",
                     ind.cells["op"], t, ind)


@rule("XP402", Severity.ERROR)
def op_invalid(ctx: Context) -> Iterator[Finding]:
    """对比符号不是 = ≥ ≤ > < 定性 之一

    检查：对比符号规范化后（>=、＞＝、≧、大于等于 等都视为 ≥）须是 =、≥、≤、>、<、定性 之一；
    "定量""不适用"等不是对比符号。写法不规范但能识别的见 XP413。
    """
    raws = ctx.distinct("op", raw=True)
    if raws is not None and raws <= _OPS_OR_NONE:
        return  # every row has a canonical symbol, or none (skipped below)
    for t, ind in _rows(ctx):
        raw = ind.raw.get("op")
        if raw in OPS or raw is None:  # a canonical symbol, or none (a shortcut of _raw_op_invalid)
            continue
        if _raw_op_invalid(ind):
            yield ctx.at(f"对比符号「{show(ind.raw.get('op'))}」不是规定的符号，系统无法识别；应为 {_OP_LIST}，"
                         "如数值目标「≥」、文字目标「定性」",
                         ind.cells.get("op"), t, ind)


@rule("XP403", Severity.ERROR)
def value_missing(ctx: Context) -> Iterator[Finding]:
    """年度指标值为空

    检查：每条指标都要填写年度指标值（目标值）。
    """
    values = ctx.distinct("value")
    if values is not None and None not in values:
        return  # every row has a value
    for t, ind in _rows(ctx):
        if ind.value is None and _blank(ind.raw.get("value")) and "value" in ind.cells:
            yield ctx.at("年度指标值为空，指标没有目标就无法考核；应填写目标值（数值带单位，或定性描述），"
                         "如「95%」「300人次」「6月底前完成」", ind.cells["value"], t, ind)


@rule("XP404", Severity.ERROR)
def value_symbol_mismatch(ctx: Context) -> Iterator[Finding]:
    """指标值与对比符号不相符

    依据：财预〔2021〕101号 附件（定量指标填数值和单位，定性指标填文字描述）。

    检查：=、≥、≤、>、< 要求数值目标（可带单位，如"95%""300人次"）或日期、时限（"≤2026年6月""≤3个
    工作日"）；"定性"要求文字目标（如"显著提升""6月底前完成""3个工作日内办结"），不能只是一个数
    （"100%"）。以日期或数字开头的文字（时效指标最常见的写法）不算数值。占位符见 XP410。
    """
    for t, ind in _rows(ctx):
        value, op = ind.value, ind.op
        if value is None or not ((op in NUMERIC_OPS and isinstance(value, str))
                                 or (op == "定性" and isinstance(value, Decimal))):
            continue  # neither branch below applies
        raw = ind.raw.get("value")
        if is_value_placeholder(raw):
            continue
        cell = ind.cells.get("value")
        if ind.op in NUMERIC_OPS and isinstance(ind.value, str):
            if is_date_text(ind.value) or starts_with_number(ind.value):
                continue
            yield ctx.at(
                f"对比符号「{ind.op}」要求数值，但指标值「{show(raw)}」是文字，无法比较大小；"
                f"文字目标请把对比符号改为「定性」（如 定性「{show(raw)}」），数值目标请写数字和单位"
                "（如 ≥95%、≥300人次）",
                cell, t, ind,
            )
        elif ind.op == "定性" and isinstance(ind.value, Decimal):
            yield ctx.at(
                f"对比符号为「定性」，但指标值「{show(raw)}」是一个数值，定性指标要用文字描述；"
                f"数值目标应选 =、≥、≤（如 ≥{show(raw)}），定性目标写文字（如「显著提升」「6月底前完成」）",
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
            yield ctx.at(f"指标值「{show(ind.raw.get('value'))}」没有计量单位，看不出是多少什么；"
                         f"应写明单位，如「{show(ind.raw.get('value'))}人次」「{show(ind.raw.get('value'))}%」",
                         cell, t, ind)


@rule("XP406", Severity.ERROR)
def rate_over_100(ctx: Context) -> Iterator[Finding]:
    """比率类指标的目标值超过 100%

    检查：满意度、合格率、及时率、准确率、覆盖率、到位率、完成率、执行率、接通率（可配置
    ``bounded-rates``）不可能超过 100%，"> 100%"同样不可能。保值率、增长率等可以超过 100%，不检查。
    """
    for t, ind, name, unit, _l1 in ctx.keyed_rows:
        if not ind.name or unit != "%" or not isinstance(ind.value, Decimal):
            continue
        v = ind.value
        if not (v > 100 or (v == 100 and ind.op == ">")):
            continue
        word = next((w for w in ctx.config.bounded_rates if w in name), None)
        if word is not None:
            yield ctx.at(f"「{ind.name}」的目标「{_target(ind)}」超过 100%，{word}类指标不可能超过 100%；"
                         "应改为 100% 以内，如「≥95%」或「=100%」",
                         ind.cells.get("value"), t, ind)


@rule("XP407", Severity.ERROR)
def cost_over_budget(ctx: Context) -> Iterator[Finding]:
    """成本指标金额大于任务的拟投入金额

    检查：以万元（或元）为单位的成本指标不应超过该任务的拟投入金额（按 Decimal 比较）。
    """
    for t, ind, _name, unit, _l1 in ctx.keyed_cost_rows:
        if t.amount is None or not ctx.is_cost(ind) or not isinstance(ind.value, Decimal):
            continue
        if unit == "万元":
            wan = ind.value
        elif unit == "元":
            wan = ind.value / Decimal(10000)
        else:
            continue
        if ctx.money(wan) > ctx.money(t.amount):
            yield ctx.at(
                f"成本指标「{ind.name or ''}」的目标 {format_number(ind.value)}{ind.unit} 超过任务拟投入金额 "
                f"{format_number(t.amount)} 万元，成本不能超过这项任务的预算；应改为不超过拟投入金额，"
                f"如「≤{format_number(t.amount)}万元」",
                ind.cells.get("value"), t, ind,
            )


# cost indicators where more is better: a saving or a reduction is rightly a lower bound (vocabulary.toml)
_SAVING_WORDS = _VOC.saving_words
_HAS_SAVING_WORD = contains_any(_SAVING_WORDS)


@rule("XP408", Severity.WARNING)
def cost_lower_bound(ctx: Context) -> Iterator[Finding]:
    """成本或预算控制类指标写成下限（≥、>）

    依据：财预〔2021〕101号 附件（成本指标反映成本控制，应为上限）；实践。

    检查：成本指标以及名称含"预算控制""成本控制"的指标是上限：应写成"≤191万元"或"预算控制率 ≤100%"；
    写成"≥95%"读起来像预算执行率。节约率、降低率、压减率等"越高越好"的成本指标（"成本节约率 ≥5%"）
    本来就是下限，不报告。
    """
    for t, ind, name, _unit, _l1 in ctx.keyed_rows:
        if ind.op not in ("≥", ">"):
            continue
        if not (ctx.is_cost(ind) or "预算控制" in name or "成本控制" in name):
            continue
        if _HAS_SAVING_WORD(name):
            continue
        cell = ind.cells.get("value") if ind.op_inline else (ind.cells.get("op") or ind.cells.get("value"))
        yield ctx.at(
            f"成本类指标「{ind.name or ''}」写成下限「{_target(ind)}」：成本指标衡量花了多少，应是上限，"
            "写成「≥」读起来像预算执行率；应改为「≤」，如「成本控制范围 ≤191万元」或「预算控制率 ≤100%」",
            cell, t, ind,
        )


@rule("XP409", Severity.ERROR)
def core_flag_invalid(ctx: Context) -> Iterator[Finding]:
    """是否核心指标没有填 是 / 否

    检查：表中有"是否核心指标"栏时，每条指标须填"是"或"否"（Y、√、空白等都不规范）。
    """
    raws = ctx.distinct("core", raw=True)
    if raws is not None and raws <= _YES_NO:
        return  # every row says 是 or 否 (skipped below)
    for t, ind in _rows(ctx):
        if "core" not in ind.cells:
            continue
        raw = ind.raw.get("core")
        if raw == "是" or raw == "否":
            continue
        if _blank(raw):
            yield ctx.at("是否核心指标为空，每条指标都要标明；应填「是」或「否」，如关键的数量指标填「是」", ind.cells["core"], t, ind)
        elif label_key(raw) not in ("是", "否"):
            yield ctx.at(f"是否核心指标「{show(raw)}」不规范，系统只认「是」「否」；应填「是」或「否」，如「{show(raw)}」→「是」",
                         ind.cells["core"], t, ind)


@rule("XP410", Severity.ERROR)
def value_placeholder(ctx: Context) -> Iterator[Finding]:
    """指标值是占位符（XX、N、**、待定 ……）

    检查：模板里的占位符（"XX人""**%""N次""待定"）或只有"-""/"的指标值说明目标还没有填。
    """
    raws = ctx.distinct("value", raw=True)
    if raws is not None and not any(map(is_value_placeholder, raws)):
        return  # no placeholder among the form's values (each looked at once)
    for t, ind in _rows(ctx):
        raw = ind.raw.get("value")
        if is_value_placeholder(raw):
            yield ctx.at(f"指标值「{show(raw)}」是占位符，目标还没有填；应填写具体目标值，如「≥300人次」「≤25万元」",
                         ind.cells.get("value"), t, ind)


@rule("XP411", Severity.WARNING, fixable=True)
def stray_characters(ctx: Context) -> Iterator[Finding]:
    """名称、指标值或对比符号中有多余空格或全角字符

    检查：首尾或中间的空格、换行，以及全角数字、字母和符号（１００％、＞＝）会让比对和汇总出错。
    中文标点（（）、：，）不算。

    修复：去掉多余空格，全角数字、字母和符号改为半角（对比符号同时改为规范写法）。
    """
    seen: set[str] = set()
    tasks = ctx.form.tasks
    # the texts of the indicator cells that are not as they should be typed, each text looked at once
    # (and not at all when an earlier form of the batch had it clean)
    cells = set().union(*[ind.raw.values() for t in tasks for ind in t.indicators])
    unknown = cells - _CLEAN_TEXTS  # (only texts are in it: what is left are the texts not yet seen clean)
    stray = {v for v in unknown if isinstance(v, str) and tidied(v) != v}
    if len(_CLEAN_TEXTS) > _CLEAN_MAX:
        _CLEAN_TEXTS.clear()
    _CLEAN_TEXTS.update(v for v in unknown if type(v) is str and v not in stray)
    for t in tasks:
        raw = t.raw.get("name")
        cell = t.cells.get("name")
        if cell and has_stray(raw):
            seen.add(cell)
            yield ctx.at(_stray_msg("年度工作任务", raw, tidy("name", raw)), cell, t,
                         fix=set_value(cell, tidy("name", raw), raw))
        if not stray:
            continue
        for ind in t.indicators:
            if stray.isdisjoint(ind.raw.values()):
                continue
            for field, raw in ind.raw.items():
                if not isinstance(raw, str) or field not in _FIELD_LABELS or tidied(raw) == raw:  # has_stray(raw)
                    continue
                cell = ind.cells.get(field)
                if not cell or cell in seen:
                    continue
                seen.add(cell)
                new = tidy(field, raw)
                yield ctx.at(_stray_msg(_FIELD_LABELS[field], raw, new), cell, t, ind,
                             fix=set_value(cell, new, raw))


# the indicator texts found as they should be typed (``tidied(v) == v``), across the forms of a batch,
# which repeat the same level names, symbols and targets: XP411 tidies only the texts not in it
_CLEAN_TEXTS: set[str] = set()
_CLEAN_MAX = 16384


def _stray_msg(label: str, raw: str, new: str) -> str:
    what = []
    if tidy_space(raw) != raw:
        what.append("多余空格")
    if fold(raw) != raw:
        what.append("全角字符")
    return f"{label}「{raw}」含{'和'.join(what)}，比对和汇总时会当成不同的内容；应为「{new}」（可用 --fix 修复）"


@rule("XP412", Severity.INFO)
def satisfaction_target(ctx: Context) -> Iterator[Finding]:
    """满意度目标低于 80%，或恰好"= 100%"

    检查：满意度目标一般为 ≥85%～95%；低于 ``min-satisfaction``（默认 80%）偏低，"=100%"要求人人满意，
    难以实现也难以核验，审核时通常会被质疑。
    """
    floor = ctx.config.min_satisfaction
    for t, ind, _name, unit, _l1 in ctx.keyed_rows:
        if not ind.name or "满意" not in ind.name or unit != "%" or not isinstance(ind.value, Decimal):
            continue
        cell = ind.cells.get("value")
        if ind.value < floor and ind.op not in ("≤", "<"):
            yield ctx.at(f"满意度目标「{_target(ind)}」低于 {format_number(floor)}%，偏低，审核时会被质疑；一般设为 ≥85%～95%，"
                         "如「≥90%」", cell, t, ind)
        elif ind.op == "=" and ind.value == 100:
            yield ctx.at(f"满意度目标「{_target(ind)}」要求全部满意，难以实现也难以核验；一般设为 ≥85%～95%，如「≥95%」",
                         cell, t, ind)


@rule("XP413", Severity.WARNING, fixable=True)
def op_variant_spelling(ctx: Context) -> Iterator[Finding]:
    """对比符号写法不规范（>=、＞＝、≧、大于等于 …）

    检查：对比符号能识别但不是规范写法，包括写在指标值开头的符号（">=95%"）。

    修复：改为 ≥、≤、>、<、= 之一。
    """
    ops, values = ctx.distinct("op", raw=True), ctx.distinct("value", raw=True)
    if (ops is not None and values is not None and not any(op_variant(raw) for raw in ops if raw not in OPS)
            and not any(map(inline_variant, values))):
        return  # no variant among the form's symbols and values (each looked at once)
    for t, ind in ctx.indicators():
        raws = ind.raw
        raw = raws.get("op")
        canon = None if raw in OPS else op_variant(raw)  # (a canonical symbol is no variant)
        cell = ind.cells.get("op") if canon else None
        if cell and canon:
            yield ctx.at(f"对比符号「{raw}」写法不规范，汇总时不能识别；应为「{canon}」，如「{canon}」95%（可用 --fix 修复）", cell, t, ind,
                         fix=set_value(cell, tidy("op", raw), raw))
        raw = raws.get("value")
        canon = inline_variant(raw)
        cell = ind.cells.get("value") if canon else None
        if cell and canon:
            new = tidy("value", raw)
            yield ctx.at(f"指标值「{raw}」开头的对比符号写法不规范，汇总时不能识别；应为「{new}」（可用 --fix 修复）", cell, t, ind,
                         fix=set_value(cell, new, raw))


@rule("XP414", Severity.WARNING)
def unit_conflict(ctx: Context) -> Iterator[Finding]:
    """指标值自带的单位与计量单位栏不一致

    检查：表中有"计量单位"栏时，指标值里写的单位（"28.8万元"）应与该栏（"%"）一致。
    """
    raws = ctx.distinct("unit", raw=True)
    if raws is not None and all(map(_blank, raws)):
        return  # no 计量单位 filled in (skipped below)
    for t, ind in _rows(ctx):
        col = ind.raw.get("unit")
        if "unit" not in ind.cells or _blank(col):
            continue
        _op, number, unit, _text = split_value(ind.raw.get("value"))
        if number is None or not unit or squash(unit) == squash(col):
            continue
        yield ctx.at(f"指标值「{show(ind.raw.get('value'))}」的单位「{unit}」与计量单位栏「{col}」不一致，目标的含义说不清；"
                     f"应只留一个单位，如指标值「{format_number(number)}」、计量单位「{unit}」",
                     ind.cells["unit"], t, ind)


# -- what an indicator says against what it should measure -------------------------------------------

_BOILERPLATE = re.compile(_VOC.boilerplate)
_COMPLIANCE_WORDS = _VOC.compliance_words
_RATIO_WORDS = _VOC.ratio_words
_COUNT_UNITS = set(_VOC.count_units)
_BENEFIT_COUNT_UNITS = set(_VOC.benefit_count_units)
_MEASURE_ENDS = _VOC.measure_ends
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")
_RATE_STEMS = _VOC.rate_stems
_INPUT_WORDS = _VOC.input_words
_VAGUE = re.compile(_VOC.vague)
_REVERSE_WORDS = _VOC.reverse_words
_DURATION_WORDS = _VOC.duration_words
_TIMELY_WORDS = _VOC.timely_words
_HAS_COMPLIANCE_WORD = contains_any(_COMPLIANCE_WORDS)
_HAS_INPUT_WORD = contains_any(_INPUT_WORDS)
_HAS_DURATION_WORD = contains_any(_DURATION_WORDS)
_HAS_REVERSE_WORD = contains_any(_REVERSE_WORDS)
_HAS_TIMELY_WORD = contains_any(_TIMELY_WORDS)


def is_boilerplate_name(name: str | None) -> bool:
    """A generic "效益完成情况" name that fits any task (万能指标)."""
    if type(name) is str:
        return _boilerplate(name)
    return bool(name) and bool(_BOILERPLATE.match(squash(name)))


@lru_cache(maxsize=16384)
def _boilerplate(name: str) -> bool:
    return bool(name) and bool(_BOILERPLATE.match(squash(name)))


_PCT = ("%", "％")


@rule("XP415", Severity.WARNING)
def cost_as_rate(ctx: Context) -> Iterator[Finding]:
    """成本指标写成了合规率、准确率

    依据：财预〔2021〕101号 附件（成本指标反映预期提供的产品或服务所需成本，以金额或单位成本表示）。

    检查：成本指标是"支出标准执行准确率 =100%"这样的合规比率，而不是金额或单位成本。应写
    "慰问标准 ≤500元/个""成本控制范围 ≤34万元"。预算控制率、节约率见 XP408。
    """
    for t, ind, name, unit, _l1 in ctx.keyed_cost_rows:
        if unit in _PCT and ctx.is_cost(ind) and _HAS_COMPLIANCE_WORD(name):
            yield ctx.at(f"成本指标「{ind.name}」是合规比率（{_target(ind)}），说明不了花多少钱；成本指标应写金额或"
                         f"单位成本，如「成本控制范围 ≤{format_number(t.amount) if t.amount is not None else 'X'}万元」"
                         "「慰问标准 ≤500元/个」", ind.cells.get("name"), t, ind)


@rule("XP416", Severity.WARNING)
def boilerplate_indicator(ctx: Context) -> Iterator[Finding]:
    """万能指标："预期效益完成情况 = 100%"，或整个任务都是"= 100%"的比率

    依据：财预〔2021〕101号（指标应与任务直接相关、可衡量）；实践（审核常见退回理由"万能指标"）。

    检查：名称是"预期效益完成情况""绩效目标完成率"这类放进任何任务都成立的说法；或任务的每条指标都是
    "= 100%"（≥ 2 条）。应写这项任务特有的效果，如"基层单位慰问覆盖率 ≥95%""公报按期印发率 ≥98%"。
    """
    for t in ctx.form.tasks:
        keyed = ctx.keyed_of(t)  # the filled rows, with squash(unit)
        all_rates = len(keyed) >= 2 and all(unit in _PCT and i.value == 100 and i.op in ("=", "≥")
                                            for _t, i, _name, unit, _l1 in keyed)
        rows = [i for _t, i, _name, _unit, _l1 in keyed if is_boilerplate_name(i.name)]
        also = "；本任务的每条指标都是 =100%，都需要换成本任务特有的指标" if all_rates else ""
        for ind in rows:
            yield ctx.at(f"「{ind.name}」是万能指标，放进任何任务都成立，衡量不了效果{also}；应写本任务特有的效益，"
                         "如「基层单位慰问覆盖率 ≥95%」「公报按期印发率 ≥98%」", ind.cells.get("name"), t, ind)
        if all_rates and not rows:
            yield ctx.at(f"{t.label}的 {len(keyed)} 条指标都是「=100%」的比率，是万能指标，衡量不了这项任务做了什么；"
                         "应写数量、金额和本任务特有的效果，如「印制公报 ≥12期」「成本控制范围 ≤34万元」",
                         t.cells.get("name"), t)


@rule("XP417", Severity.INFO)
def timeliness_as_completion(ctx: Context) -> Iterator[Finding]:
    """时效指标写成了完成率

    依据：财预〔2021〕101号 附件（时效指标反映完成的及时程度：完成时限、按期完成率）。

    检查：时效指标下的"项目计划完成率 =100%""会议按计划召开率"说明完成了多少，不说明何时完成。应写时限或按期率，
    如"车辆购置完成时限 ≤2026年6月""按期完成率 ≥95%"。
    """
    for t, ind, name, _unit, _l1 in ctx.keyed_for_level2("时效指标"):
        if (("完成率" in name or "按计划" in name) and not _HAS_TIMELY_WORD(name)
                and ctx.level2(ind) == "时效指标"):
            yield ctx.at(f"时效指标「{ind.name}」是完成率，说明不了何时完成；应写完成时限或按期率，"
                         "如「完成时限 ≤2026年6月」或定性「6月底前完成」、「按期完成率 ≥95%」", ind.cells.get("name"), t, ind)


@rule("XP418", Severity.INFO)
def name_unit_mismatch(ctx: Context) -> Iterator[Finding]:
    """指标名称与计量单位相互矛盾

    依据：实践（名称说明衡量什么，单位必须与之一致）。

    检查："补助资金到位及时 =100%"（单位是 %，名称却不是比率，应为"……及时率"）；"验收合格率 ≥5个"
    （名称是比率，单位却是个数）；"项目数量 =1辆"（名称说项目，单位是辆，应为"购置车辆数量"）。
    万能指标见 XP416。
    """
    for t, ind, name, unit, _l1 in ctx.keyed_rows:
        if not name or not isinstance(ind.value, Decimal):
            continue
        pct = unit in _PCT
        if not (pct or unit in _COUNT_UNITS or "项目数" in name):
            continue  # none of the three cases below
        if pct and not _has_ratio_word(name):
            like = f"「{ind.name}率」" if name.endswith(_RATE_STEMS) else "「……覆盖率」「……达标率」"
            msg = (f"「{ind.name}」的目标是百分比（{_target(ind)}），名称却不是比率；应改为比率名称，如{like}，"
                   "或按数量写目标（如「≥100人次」）")
        elif name.endswith("率") and unit in _COUNT_UNITS:
            msg = f"「{ind.name}」是比率，目标却是「{_target(ind)}」；比率应以 % 表示（如 ≥95%），数量请另设数量指标"
        elif "项目数" in name and unit and unit not in ("个", "项"):
            msg = (f"「{ind.name}」说的是项目，单位却是「{ind.unit}」；名称应写清数的是什么，"
                   f"如「购置车辆数量 ={format_number(ind.value)}{ind.unit}」")
        else:
            continue
        if is_boilerplate_name(name) or is_name_placeholder(name):
            continue  # (万能指标 are XP416's, placeholders XP206's)
        yield ctx.at(msg, ind.cells.get("name"), t, ind)


@lru_cache(maxsize=16384)
def _has_ratio_word(name: str) -> bool:
    """``name`` (squashed) says it is a ratio (率, 比例, 占比 …)."""
    return any(w in name for w in _RATIO_WORDS)


@rule("XP419", Severity.INFO)
def name_without_measure(ctx: Context) -> Iterator[Finding]:
    """产出指标名称只写了动作，没有写衡量什么

    依据：实践（三级指标名称 = 对象 + 衡量方式，如"组织追索次数"）。

    检查：定量的产出指标名称没有"数量、次数、人次、时长、率"等衡量词，如"组织追索 ≥3次"应为
    "组织追索次数 ≥3次"。
    """
    for t, ind, name, unit, l1 in ctx.keyed_under("产出指标"):
        if (not ind.name or not isinstance(ind.value, Decimal) or not ind.unit or unit in _PCT
                or l1 != "产出指标" or ctx.is_legacy_cost(ind)):
            continue
        name = _BRACKETED.sub("", name)
        if not name or is_name_placeholder(name):
            continue
        if not name.endswith(_MEASURE_ENDS) and not any(w in name for w in ("数量", "次数", "人数", "时长", "时限")):
            word = "次数" if "次" in unit else ("人数" if unit.startswith("人") else "数量")
            yield ctx.at(f"指标名称「{ind.name}」只写了动作，没有写衡量什么；应加上衡量词，"
                         f"如「{ind.name}{word} {_target(ind)}」", ind.cells.get("name"), t, ind)


@rule("XP420", Severity.WARNING)
def input_as_output(ctx: Context) -> Iterator[Finding]:
    """把投入（人员、经费）当作产出

    依据：财预〔2021〕101号 附件（投入的人力、财力、物力不作为产出指标）；中发〔2018〕34号。

    检查：产出指标是"人员规模 ≥74人""保障在编在岗人数""经费到位率"这类投入。产出应是用这些投入做成的事，
    如"热线来电接听量 ≥30万件""受理工单办结量 ≥5万件"。
    """
    for t, ind, name, _unit, l1 in ctx.keyed_under("产出指标"):
        if l1 == "产出指标" and _HAS_INPUT_WORD(name):
            yield ctx.at(f"「{ind.name}」是投入（人员、经费），不是产出；产出应是用它们做成的事，"
                         "如「热线来电接听量 ≥30万件」「受理工单办结量 ≥5万件」", ind.cells.get("name"), t, ind)


@rule("XP421", Severity.WARNING)
def output_as_benefit(ctx: Context) -> Iterator[Finding]:
    """效益指标写成了产出数量（篇、次、场）

    依据：财预〔2021〕101号 附件（效益指标反映产出带来的影响，数量属于产出指标）。

    检查：效益指标的单位是篇、次、场、期、份、件等产出数量，如"数据分析研判 ≥10篇"。数量应放在
    产出指标/数量指标下，效益写它带来的影响，如"研判报告被采纳率 ≥80%""热线问题解决率 ≥90%"。上限
    （"有效投诉次数 ≤0次"）是效果，不报告。
    """
    for t, ind, _name, unit, l1 in ctx.keyed_under("效益指标"):
        if (l1 == "效益指标" and isinstance(ind.value, Decimal) and ind.op in ("≥", ">", "=")
                and unit in _BENEFIT_COUNT_UNITS):
            yield ctx.at(f"效益指标「{ind.name or ''}」的目标「{_target(ind)}」是产出数量，不是效益；应移到 产出指标/数量指标，"
                         "效益写它带来的影响，如「研判报告被采纳率 ≥80%」", ind.cells.get("name"), t, ind)


@rule("XP422", Severity.INFO)
def completion_as_benefit(ctx: Context) -> Iterator[Finding]:
    """效益指标写成了完成率

    依据：财预〔2021〕101号 附件（效益指标反映产出带来的影响）。

    检查：效益指标是"公务保障完成率 ≥98%"这样的完成率：完成多少是产出，效益应说明完成后带来了什么，
    如"在京公务活动零差错""来访问题化解率 ≥90%"。万能指标见 XP416。
    """
    for t, ind, name, _unit, l1 in ctx.keyed_under("效益指标"):
        if l1 == "效益指标" and "完成率" in name and not is_boilerplate_name(name):
            yield ctx.at(f"效益指标「{ind.name}」是完成率，完成多少属于产出；效益应写完成后带来的影响，"
                         "如「来访问题化解率 ≥90%」「公务活动差错次数 ≤0次」", ind.cells.get("name"), t, ind)


_CONTENT_NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
_A_DIGIT = re.compile(r"\d")
_PER_UNIT = re.compile(_CONTENT_NUMBER + r"元/([\u4e00-\u9fff])")


@lru_cache(maxsize=1024)
def _count_of(unit: str) -> re.Pattern[str]:
    """A number followed by ``unit`` (compiled once per unit)."""
    return re.compile(_CONTENT_NUMBER + re.escape(unit))


@lru_cache(maxsize=4096)
def _scope_of(content_text: str | None, amount: Decimal | None, unit: str) -> tuple[Decimal, str] | None:
    """How many ``unit`` a task's content says, or its money (``amount``) buys at the unit standard it
    states ("1.03元/户" with 86 万元 → 83.5万户), with the words saying where the figure comes from
    (memoised: asked for every quantity indicator of the task)."""
    content = squash(content_text)
    if _A_DIGIT.search(content) is None:  # no number at all: neither pattern below can match
        return None
    found = [Decimal(m.replace(",", "")) for m in _count_of(unit).findall(content)]
    if found:
        return max(found), "实施内容所说"
    m = _PER_UNIT.search(content)
    if m is None or amount is None or Decimal(m.group(1).replace(",", "")) <= 0:
        return None
    per, what = Decimal(m.group(1).replace(",", "")), m.group(2)
    scale = {what: Decimal(1), "万" + what: Decimal("0.0001")}.get(unit)
    if scale is None:
        return None
    funded = (amount * 10000 / per * scale).quantize(Decimal("0.1"))
    return funded, f"拟投入 {format_number(amount)} 万元按 {m.group(1)}元/{what} 能覆盖的"


@rule("XP423", Severity.WARNING)
def quantity_below_funded_scope(ctx: Context) -> Iterator[Finding]:
    """数量目标远低于实施内容说的规模或资金能覆盖的规模

    依据：财预〔2021〕101号（绩效目标与预算相匹配，目标值应与资金规模相当）；实践。

    检查：数量指标的目标（"补贴农户数量 ≥50万户"）不到主要实施内容中同一单位的数量（"全市农户数约
    83.20万户"）的 80%；内容没有写数量时，按内容里的单位标准（"1.03元/户"）和拟投入金额（86万元）
    算出资金能覆盖的规模（约 83.5万户）比较。预算按这个规模测算，目标就应接近它。
    """
    for t, ind, _name, unit, _l1 in ctx.keyed_for_level2("数量指标"):
        if (not isinstance(ind.value, Decimal) or ind.op not in ("≥", ">", "=") or not unit or unit == "%"
                or not t.content or ctx.level2(ind) != "数量指标"):
            continue
        scope = _scope_of(t.content, t.amount, unit)
        if scope is None or scope[0] <= 0:
            continue
        size, where = scope
        if ind.value < size * Decimal("0.8"):
            share = format_number((ind.value / size * 100).quantize(Decimal("0.1")))
            yield ctx.at(f"「{ind.name}」的目标「{_target(ind)}」只有{where} {format_number(size)}{unit} 的 "
                         f"{share}%，预算是按这个规模测算的；目标应与资金规模相当，"
                         f"如「{ind.name} ≥{format_number(size)}{unit}」", ind.cells.get("value"), t, ind)


_UNIT_STANDARD = re.compile(_CONTENT_NUMBER + r"(元/(?:平方米|人次|人·[年月天]|[\u4e00-\u9fff]))")


@rule("XP424", Severity.INFO)
def cost_could_be_unit_standard(ctx: Context) -> Iterator[Finding]:
    """实施内容有单位标准（X元/户），成本指标却只写总额

    依据：财预〔2021〕101号 附件（成本指标可用单位成本、补助标准表示）。

    检查：主要实施内容写了单位标准（"保费补贴1.03元/户"），成本指标却只有总额（"≤86万元"）。单位标准是
    最自然的成本指标，如"保费补贴标准 =1.03元/户"。
    """
    for t in ctx.form.tasks:
        m = _UNIT_STANDARD.search(squash(t.content))
        if not m:
            continue
        costs = [i for i in t.indicators if ctx.is_cost(i)]
        if not costs or any("/" in squash(i.unit) for i in costs):
            continue
        ind = costs[0]
        yield ctx.at(f"实施内容写了单位标准 {m.group(1)}{m.group(2)}，成本指标却只有总额「{_target(ind)}」；"
                     f"可增设单位成本指标，如「补贴标准 ={m.group(1)}{m.group(2)}」", ind.cells.get("name"), t, ind)


@rule("XP425", Severity.INFO)
def qualitative_vague(ctx: Context) -> Iterator[Finding]:
    """定性目标只写了"逐步提高""不断提升"，无法判断是否达到

    依据：财预〔2015〕88号（难以量化的可用定性的分级分档形式表述，须可衡量）。

    检查：文字目标是"逐步提高""进一步加强"这类没有等级的说法，年底无法判断达到与否。应写可判断的等级或
    事件，如"好""达到预期""全年无重大服务差错"，或改为量化指标（"接待服务及时率 ≥99%"）。
    """
    for t, ind in _rows(ctx):
        if isinstance(ind.value, str) and _VAGUE.match(squash(ind.value)):
            yield ctx.at(f"「{ind.name or ''}」的目标「{ind.value}」没有等级，年底无法判断是否达到；应写可判断的等级或事件，"
                         "如定性「好」「全年无重大服务差错」，或改为量化指标", ind.cells.get("value"), t, ind)


@rule("XP426", Severity.WARNING)
def reverse_indicator_lower_bound(ctx: Context) -> Iterator[Finding]:
    """反向指标（时长、投诉、差错）写成了下限 ≥

    依据：实践（反向指标越小越好，应为 ≤ 或 <）。

    检查：处理时长、投诉次数、差错次数、事故数等越少越好，写成"≥"等于要求至少出多少差错。应写
    "话务平均处理时长 ≤300秒""有效投诉次数 ≤0次"。
    """
    for t, ind, name, unit, _l1 in ctx.keyed_rows:
        if ind.op not in ("≥", ">") or not isinstance(ind.value, Decimal) or unit in _PCT:
            continue
        reverse = _HAS_DURATION_WORD(name) or (_HAS_REVERSE_WORD(name) and not name.endswith("率"))
        if reverse:
            cell = ind.cells.get("value") if ind.op_inline else (ind.cells.get("op") or ind.cells.get("value"))
            yield ctx.at(f"「{ind.name}」越少越好，写成「{_target(ind)}」等于要求至少这么多；应为「≤」，"
                         f"如「{ind.name} ≤{format_number(ind.value)}{ind.unit or ''}」", cell, t, ind)


@rule("XP427", Severity.ERROR)
def value_type_mismatch(ctx: Context) -> Iterator[Finding]:
    """指标值与指标值类型（定量/定性）不相符

    依据：财预〔2021〕101号 附件（定量指标填数值和计量单位，定性指标填文字描述）；湖南等地的部门整体
    绩效目标表设"指标值类型"栏。

    检查：表中有"指标值类型"栏时，"定量"指标的指标值须是数值（可带单位，如"100%""28.8"），不能是文字
    （"按月安排"）；"定性"指标的指标值是文字描述，不应再带计量单位（"应保尽保"配"%"）。以日期或数字开头
    的文字（"12月底前"）不算文字目标。
    """
    for t, ind in _rows(ctx):
        vt = ind.extra.get("value_type")
        if vt is None:  # no 指标值类型 column (squash(None) is "", neither case below)
            continue
        vt = squash(vt)
        cell = ind.cells.get("value")
        raw = ind.raw.get("value")
        if vt == "定量" and isinstance(ind.value, str) and not is_value_placeholder(raw):
            if is_date_text(ind.value) or starts_with_number(ind.value):
                continue
            yield ctx.at(f"指标值类型为「定量」，但指标值「{show(raw)}」是文字，无法考核是否达到；应填数值和计量单位"
                         f"（如「12」次、「100」%），文字目标请把指标值类型改为「定性」", cell, t, ind)
        elif vt == "定性" and isinstance(ind.value, str) and not _blank(ind.raw.get("unit")):
            yield ctx.at(f"指标值类型为「定性」，指标值「{show(raw)}」是文字描述，却带计量单位「{show(ind.raw.get('unit'))}」；"
                         "定性指标不填计量单位，应删去单位，或改为定量目标（如指标值「100」、计量单位「%」）",
                         ind.cells.get("unit") or cell, t, ind)
