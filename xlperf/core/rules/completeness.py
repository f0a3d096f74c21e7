"""XP3xx: does every task carry a complete set of indicators?

Task-level issues point at the task's name cell (the indicator cell of the task's first row when the
task has no indicators at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from ..issues import Severity
from ..model import Indicator, Task
from ..text import format_number, indicator_stem, squash
from ..vocabulary import default_vocabulary
from .common import contains_any
from .registry import Context, Finding, rule


def _title(t: Task) -> str:
    return f"任务「{t.name}」" if t.name else "该任务"


def _count(ctx: Context, t: Task, level1: str) -> int:
    """Indicators of ``t`` under ``level1`` (成本指标: every cost indicator; the others: not the legacy
    cost placement)."""
    return ctx.level_counts[id(t)].get(level1, 0)


def _missing(ctx: Context, level1: str, text: str) -> Iterator[Finding]:
    counts = ctx.level_counts  # (what _count reads)
    for t in ctx.form.tasks:
        if t.indicators and counts[id(t)].get(level1, 0) == 0:
            yield ctx.at(f"{_title(t)}缺少{level1}；{text}", t.cells.get("name"), t)


@rule("XP301", Severity.ERROR, kinds=("dept_tasks", "project_list"))
def task_without_indicators(ctx: Context) -> Iterator[Finding]:
    """任务没有任何绩效指标

    检查：每项年度工作任务至少要有一行绩效指标（一级、二级、指标名称、对比符号、年度指标值）。
    """
    for t in ctx.form.tasks:
        if not t.indicators:
            cell = ctx.table_cell(t.row, "indicator") or t.cells.get("name")
            yield ctx.at(f"{_title(t)}没有填写任何绩效指标，无法考核；应至少填产出、效益、成本、满意度指标，"
                         "如「补贴农户数量 ≥83万户」「成本控制范围 ≤86万元」", cell, t)


@rule("XP302", Severity.ERROR, kinds=("dept_tasks", "project_list"))
def task_without_output(ctx: Context) -> Iterator[Finding]:
    """任务缺少产出指标

    检查：绩效目标由产出和效益构成（财预〔2015〕88号、财预〔2021〕101号），每项任务至少一条产出指标
    （数量、质量或时效）。旧版"产出指标/成本指标"按成本计，不算产出。
    """
    yield from _missing(ctx, "产出指标", "绩效目标由产出和效益构成，没有产出就说不清做了什么；"
                        "应至少有一条数量、质量或时效指标，如「开展检查次数 ≥12次」")


@rule("XP303", Severity.ERROR, kinds=("dept_tasks", "project_list"))
def task_without_benefit(ctx: Context) -> Iterator[Finding]:
    """任务缺少效益指标

    检查：每项任务至少一条效益指标（经济效益、社会效益、生态效益或可持续影响指标）。
    """
    yield from _missing(ctx, "效益指标", "绩效目标由产出和效益构成，没有效益就说不清钱花得值不值；"
                        "应至少有一条经济、社会、生态效益或可持续影响指标，如「风险问题化解率 ≥90%」")


@rule("XP304", Severity.WARNING, kinds=("dept_tasks", "project_list"))
def task_without_cost(ctx: Context) -> Iterator[Finding]:
    """任务缺少成本指标

    检查：2021 年起每项任务应有成本指标（一级"成本指标"）；旧版"产出指标/成本指标"也算作成本指标
    （其布局问题见 XP204）。
    """
    yield from _missing(ctx, "成本指标", "2021 年起每项任务都要说明成本；"
                        "应至少有一条成本指标，如 经济成本指标「成本控制范围 ≤15万元」")


@rule("XP305", Severity.WARNING, kinds=("dept_tasks", "project_list"))
def task_without_satisfaction(ctx: Context) -> Iterator[Finding]:
    """任务缺少满意度指标

    检查：有服务对象的任务应设服务对象满意度指标。内部保障类任务有时可以不设，所以是警告；
    可在配置中把 XP305 的级别调为 info。
    """
    yield from _missing(ctx, "满意度指标", "有服务对象的任务要反映服务对象的评价；"
                        "应设服务对象满意度指标，如「服务对象满意度 ≥90%」（内部保障任务可在 xlperf.toml 中把 XP305 降为提示级）")


@rule("XP306", Severity.WARNING, kinds=("dept_tasks", "project_list"))
def task_few_indicators(ctx: Context) -> Iterator[Finding]:
    """任务的指标少于规定条数（默认 3 条，可配置）

    检查：每项任务的三级指标不少于 ``min-indicators`` 条（默认 3；各地要求不同，可在配置中修改）。
    没有任何指标的任务见 XP301。
    """
    need = ctx.config.min_indicators
    for t in ctx.form.tasks:
        n = len(t.indicators)
        if 0 < n < need:
            yield ctx.at(f"{_title(t)}只有 {n} 条指标，少于要求的 {need} 条，不足以反映任务的产出和效益；"
                         "应补充指标，如数量「服务人次 ≥300人次」、时效「按期完成率 ≥95%」", t.cells.get("name"), t)


@rule("XP307", Severity.INFO, kinds=("dept_tasks", "project_list"))
def task_core_marks(ctx: Context) -> Iterator[Finding]:
    """任务没有核心指标，或全部指标都标为核心指标

    检查：核心指标应是少数关键指标：每项任务至少一条、但不是全部（两条以上时）标"是"。
    表中没有"是否核心指标"栏时不检查。
    """
    if "core" not in ctx.columns:
        return
    for t in ctx.form.tasks:
        n = len(t.indicators)
        core = sum(1 for i in t.indicators if i.core is True)
        if n and core == 0:
            yield ctx.at(f"{_title(t)}没有标记核心指标，评价时不知道看哪条；应选出一两条最能反映任务的指标，"
                         "是否核心指标填「是」，如数量指标「补贴农户数量」",
                         t.cells.get("name"), t)
        elif n >= 2 and core == n:
            yield ctx.at(f"{_title(t)}的 {n} 条指标全部标为核心指标，等于没有重点；应只保留一两条关键指标为「是」，"
                         "如数量或效益指标，其余填「否」",
                         t.cells.get("name"), t)


@rule("XP308", Severity.WARNING, kinds=("dept_tasks", "project_list"))
def task_duplicate_names(ctx: Context) -> Iterator[Finding]:
    """同一任务中指标名称重复

    检查：同一任务内两条指标名称相同（忽略空格和全角/半角差异）通常是复制粘贴后忘了修改。
    报告在第二次出现的位置。
    """
    for t in ctx.form.tasks:
        first: dict[str, str | None] = {}
        for _t, ind, _levels, key in ctx.classified_of(t):  # (key: squash(name))
            if not key:
                continue
            if key in first:
                where = f"（另见 {first[key]}）" if first[key] else ""
                yield ctx.at(f"指标名称「{ind.name}」在本任务中重复出现{where}，多半是复制后忘了修改；应删去一条，"
                            "或改成衡量另一方面的指标，如时效「按期完成率 ≥95%」", ind.cells.get("name"), t, ind)
            else:
                first[key] = ind.cells.get("name")


@rule("XP309", Severity.ERROR, kinds=("dept_tasks", "project_list"))
def task_incomplete(ctx: Context) -> Iterator[Finding]:
    """任务缺少名称或拟投入金额

    检查：每项任务须填写年度工作任务名称和拟投入金额（万元）。金额填了但不是数字或为负数见 XP104。
    """
    for t in ctx.form.tasks:
        if not t.name:
            yield ctx.at("年度工作任务名称为空，指标不知道属于哪项工作；应填写任务名称，如「公务用车购置」",
                         t.cells.get("name") or ctx.table_cell(t.row, "name"), t)
        if "amount" in ctx.columns and t.amount is None:
            raw = t.raw.get("amount")
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                yield ctx.at(f"{_title(t)}的拟投入金额为空，无法与项目支出核对；应填写金额（万元），如「25」", t.cells.get("amount"), t)


# -- judgement-type hints (info) and the shapes of a task a reviewer sends back ---------------------

_LIST_SEP = re.compile(r"[（(][^）)]*[）)]")
_VOC = default_vocabulary()  # the review words, as data (xlperf/data/vocabulary.toml)
_REASON_START = _VOC.reason_starts
_RHETORIC = _VOC.rhetoric_words
_RHETORIC_ANY = contains_any(_RHETORIC)  # one of them (before counting them)
_DIGIT = re.compile(r"\d")
_ORG_SUFFIX = _VOC.org_suffixes
_SUBSIDY_WORDS = _VOC.subsidy_words
_HAS_SUBSIDY_WORD = contains_any(_SUBSIDY_WORDS)
_COUNT_UNITS = set(_VOC.trivial_count_units)


def _has_quantity(ctx: Context, t: Task) -> bool:
    return ctx.has_quantity(t)


def _has_output(ctx: Context, t: Task) -> bool:
    """An 产出指标 that is not the pre-2021 cost placement (counted as 产出指标 in the index)."""
    return _count(ctx, t, "产出指标") > 0


@rule("XP310", Severity.INFO, kinds=("dept_tasks", "project_list"))
def task_without_quantity(ctx: Context) -> Iterator[Finding]:
    """产出指标中没有数量指标

    依据：实践（审核时最常退回的问题之一；财预〔2021〕101号 要求产出指标反映提供的产品和服务的数量）。

    检查：任务有产出指标，但没有一条"数量指标"（只有准确率、及时率等）。数量指标说明这笔钱买到了多少
    东西，如"慰问基层单位数 ≥20个""印制公报 ≥12期"。没有产出指标的任务见 XP302。
    """
    for t in ctx.form.tasks:
        if _has_output(ctx, t) and not _has_quantity(ctx, t):
            yield ctx.at(f"{_title(t)}的产出指标中没有数量指标：只有比率说明不了做了多少事；"
                         "应补一条数量指标，如「慰问基层单位数 ≥20个」「印制公报 ≥12期」",
                         t.cells.get("name"), t)


@rule("XP311", Severity.INFO, kinds=("dept_tasks", "project_list"))
def content_not_measured(ctx: Context) -> Iterator[Finding]:
    """主要实施内容列了多项工作，却没有数量指标衡量它们

    依据：财预〔2021〕101号（绩效指标应与实施内容相对应）；实践。

    检查：主要实施内容用顿号列出三项以上的工作（"印制、办公耗材、设备购置"），但任务没有数量指标。
    每项主要工作应有一条数量或质量指标，如"印制公报 ≥12期""购置设备 ≥5台"。
    """
    for t in ctx.form.tasks:
        content = _LIST_SEP.sub("", t.content or "")
        if content.count("、") < 2 or not t.indicators or _has_quantity(ctx, t):
            continue
        yield ctx.at(f"{_title(t)}的主要实施内容列出了多项工作，但没有数量指标衡量它们；应为主要工作各设一条"
                     "数量或质量指标（如「印制公报 ≥12期」「购置办公设备 ≥5台」）",
                     t.cells.get("content") or t.cells.get("name"), t)


@rule("XP312", Severity.INFO, kinds=("dept_tasks", "project_list"))
def task_near_duplicate_names(ctx: Context) -> Iterator[Finding]:
    """同一任务中两条指标意思相同（近似重复）

    依据：实践（重复指标不增加信息，评价时还要重复打分）。

    检查：去掉"执行、准确、合规、完成、及时、率、次数"等衡量方式的词后名称相同，如"支出标准执行准确率"与
    "支出标准合规率"、"开展专项工作(检查)次数"与"开展检查次数"；"及时率"与"达标率"衡量的是不同方面，不算重复。完全相同的名称见 XP308。
    """
    for t in ctx.form.tasks:
        first: dict[str, Indicator] = {}
        for ind in t.indicators:
            if not ind.name:
                continue
            key = indicator_stem(ind.name)
            if len(key) < 2:
                continue
            other = first.get(key)
            if other is not None and squash(other.name) != squash(ind.name):
                yield ctx.at(f"指标「{ind.name}」与本任务的「{other.name}」意思相同，"
                             "重复的指标不增加信息；应删去一条，或改成衡量另一方面的指标（如数量、时效）",
                             ind.cells.get("name"), t, ind)
            else:
                first.setdefault(key, ind)


@rule("XP313", Severity.INFO, kinds=("dept_tasks", "project_list"))
def content_is_reason(ctx: Context) -> Iterator[Finding]:
    """主要实施内容写的是原因或政策表述，不是要做的事

    依据：财预〔2021〕101号 附件（主要实施内容填写为完成任务开展的具体工作）；实践。

    检查：内容以"由于""因为""鉴于"开头（"由于公务车老化严重"），或通篇是"贯彻落实……精神""助力
    高质量发展"之类的表述、没有一个数字。应写具体做什么，如"购置5座公务用车1辆，替换已达报废年限车辆"。
    """
    for t in ctx.form.tasks:
        c = squash(t.content)
        if not c:
            continue
        if c.startswith(_REASON_START):
            what = "写的是原因"
        elif _RHETORIC_ANY(c) and sum(w in c for w in _RHETORIC) >= 2 and not _DIGIT.search(c):
            what = "是政策表述"
        else:
            continue
        yield ctx.at(f"{_title(t)}的主要实施内容{what}，不是要做的事；应写具体工作和规模，"
                     "如「购置5座公务用车1辆，替换已达报废年限车辆」「资助引进高层次人才10名，每人2万元」",
                     t.cells.get("content") or t.cells.get("name"), t)


@rule("XP314", Severity.INFO, kinds=("dept_tasks", "project_list"))
def satisfaction_before_output(ctx: Context) -> Iterator[Finding]:
    """满意度指标排在产出指标之前

    依据：实践（常见顺序是 成本 → 产出 → 效益 → 满意度，或 产出 → 效益 → 成本 → 满意度；满意度总在最后）。

    检查：任务中一条满意度指标排在产出指标之前。顺序不影响计算，但审核和比对时容易漏看。
    """
    level1, is_legacy_cost = ctx.level1, ctx.is_legacy_cost
    for t in ctx.form.tasks:
        last_out, first_sat = -1, None  # the last 产出指标 (not the pre-2021 cost placement), the first 满意度指标
        for k, i in enumerate(t.indicators):
            l1 = level1(i)
            if l1 == "产出指标":
                if not is_legacy_cost(i):
                    last_out = k
            elif l1 == "满意度指标" and first_sat is None:
                first_sat = k
        if first_sat is not None and first_sat < last_out:
            ind = t.indicators[first_sat]
            yield ctx.at(f"满意度指标「{ind.name or ''}」排在产出指标之前；应按 成本 → 产出 → 效益 → 满意度 的顺序"
                         f"排列（满意度放在最后），如把「{ind.name or ''}」这一行移到本任务最后一行",
                         ind.cells.get("level1") or ind.cells.get("name"), t, ind)


@rule("XP315", Severity.INFO, kinds=("dept_tasks", "project_list"))
def task_name_is_org(ctx: Context) -> Iterator[Finding]:
    """年度工作任务写成了单位名称

    依据：财预〔2021〕101号 附件（年度工作任务填写部门为完成职责开展的具体工作）。

    检查：任务名称以"中心""办公室""委员会"等结尾，是一个单位而不是一项工作。应写做什么，
    如"揭阳市地方金融资产管理中心" → "城信社留存资产管理和债权追索"。
    """
    for t in ctx.form.tasks:
        name = squash(t.name)
        if name.endswith(_ORG_SUFFIX):
            yield ctx.at(f"年度工作任务「{t.name}」是单位名称，不是一项工作；应写这笔钱做什么，"
                         "如「城信社留存资产管理和债权追索」", t.cells.get("name"), t)


@rule("XP316", Severity.WARNING, kinds=("dept_tasks", "project_list"))
def subsidy_without_count(ctx: Context) -> Iterator[Finding]:
    """补助、资助类任务没有补助对象数量

    依据：财预〔2021〕101号 附件（补助类项目的数量指标为补助对象数量，成本指标为补助标准）；实践。

    检查：任务名称含"补助""补贴""资助""奖补""奖励"，但没有数量指标。补助类任务最基本的两条指标是
    补助对象数量（"资助高层次人才人数 ≥10人"）和补助标准（"资助标准 =2万元/人"）。
    """
    for t in ctx.form.tasks:
        name = squash(t.name)
        if t.indicators and _HAS_SUBSIDY_WORD(name) and not _has_quantity(ctx, t):
            yield ctx.at(f"{_title(t)}是补助类任务，但没有补助对象数量；应补「资助人数 ≥10人」这样的数量指标，"
                         "并在成本指标中写补助标准（如「资助标准 =2万元/人」）", t.cells.get("name"), t)


@rule("XP317", Severity.WARNING, kinds=("dept_tasks", "project_list"))
def trivial_targets(ctx: Context) -> Iterator[Finding]:
    """任务的目标全部是"≥1次"这样的最低值

    依据：财预〔2021〕101号（绩效目标应与预算相匹配、具有适当性）；实践。

    检查：任务有两条以上指标，且每条都是 1 以下的次数、场次、个数（"≥1次"）。这样的目标做一次就完成，
    说明不了钱花得值不值；应按工作量写，如"开展金融风险排查 ≥12次""召开联席会议 ≥4场"。
    """
    for t in ctx.form.tasks:
        inds = t.indicators
        if len(inds) < 2:
            continue
        if all(isinstance(i.value, Decimal) and i.value <= 1 and squash(i.unit) in _COUNT_UNITS for i in inds):
            yield ctx.at(f"{_title(t)}的 {len(inds)} 条指标全是「≥1次」这样的最低值，做一次就算完成，说明不了"
                         f"{format_number(t.amount) + ' 万元' if t.amount is not None else '这笔钱'}的效果；"
                         "应按实际工作量写，如「开展金融风险排查 ≥12次」", t.cells.get("name"), t)
