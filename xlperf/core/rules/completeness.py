"""XP3xx: does every task carry a complete set of indicators?

Task-level issues point at the task's name cell (the indicator cell of the task's first row when the
task has no indicators at all).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..issues import Severity
from ..model import Task
from ..text import squash
from .registry import Context, Finding, rule


def _title(t: Task) -> str:
    return f"任务「{t.name}」" if t.name else "该任务"


def _count(ctx: Context, t: Task, level1: str) -> int:
    """Indicators of ``t`` under ``level1`` (成本指标: every cost indicator; the others: not the legacy
    cost placement)."""
    return ctx.level_counts[id(t)].get(level1, 0)


def _missing(ctx: Context, level1: str, text: str) -> Iterator[Finding]:
    for t in ctx.form.tasks:
        if t.indicators and _count(ctx, t, level1) == 0:
            yield ctx.at(f"{_title(t)}缺少{level1}；{text}", t.cells.get("name"), t)


@rule("XP301", Severity.ERROR)
def task_without_indicators(ctx: Context) -> Iterator[Finding]:
    """任务没有任何绩效指标

    检查：每项年度工作任务至少要有一行绩效指标（一级、二级、指标名称、对比符号、年度指标值）。
    """
    for t in ctx.form.tasks:
        if not t.indicators:
            cell = ctx.table_cell(t.row, "indicator") or t.cells.get("name")
            yield ctx.at(f"{_title(t)}没有填写任何绩效指标", cell, t)


@rule("XP302", Severity.ERROR)
def task_without_output(ctx: Context) -> Iterator[Finding]:
    """任务缺少产出指标

    检查：绩效目标由产出和效益构成（财预〔2015〕88号、财预〔2021〕101号），每项任务至少一条产出指标
    （数量、质量或时效）。旧版"产出指标/成本指标"按成本计，不算产出。
    """
    yield from _missing(ctx, "产出指标", "应至少有一条数量、质量或时效指标")


@rule("XP303", Severity.ERROR)
def task_without_benefit(ctx: Context) -> Iterator[Finding]:
    """任务缺少效益指标

    检查：每项任务至少一条效益指标（经济效益、社会效益、生态效益或可持续影响指标）。
    """
    yield from _missing(ctx, "效益指标", "应至少有一条经济、社会、生态效益或可持续影响指标")


@rule("XP304", Severity.WARNING)
def task_without_cost(ctx: Context) -> Iterator[Finding]:
    """任务缺少成本指标

    检查：2021 年起每项任务应有成本指标（一级"成本指标"）；旧版"产出指标/成本指标"也算作成本指标
    （其布局问题见 XP204）。
    """
    yield from _missing(ctx, "成本指标", "应至少有一条成本指标（如 经济成本指标「成本控制范围 ≤X万元」）")


@rule("XP305", Severity.WARNING)
def task_without_satisfaction(ctx: Context) -> Iterator[Finding]:
    """任务缺少满意度指标

    检查：有服务对象的任务应设服务对象满意度指标。内部保障类任务有时可以不设，所以是警告；
    可在配置中把 XP305 的级别调为 info。
    """
    yield from _missing(ctx, "满意度指标", "有服务对象的任务应设服务对象满意度指标")


@rule("XP306", Severity.WARNING)
def task_few_indicators(ctx: Context) -> Iterator[Finding]:
    """任务的指标少于规定条数（默认 3 条，可配置）

    检查：每项任务的三级指标不少于 ``min-indicators`` 条（默认 3；各地要求不同，可在配置中修改）。
    没有任何指标的任务见 XP301。
    """
    need = ctx.config.min_indicators
    for t in ctx.form.tasks:
        n = len(t.indicators)
        if 0 < n < need:
            yield ctx.at(f"{_title(t)}只有 {n} 条指标，少于要求的 {need} 条", t.cells.get("name"), t)


@rule("XP307", Severity.INFO)
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
            yield ctx.at(f"{_title(t)}没有标记核心指标；应从中选出少数关键指标，是否核心指标填「是」",
                         t.cells.get("name"), t)
        elif n >= 2 and core == n:
            yield ctx.at(f"{_title(t)}的 {n} 条指标全部标为核心指标；核心指标应为少数关键指标",
                         t.cells.get("name"), t)


@rule("XP308", Severity.WARNING)
def task_duplicate_names(ctx: Context) -> Iterator[Finding]:
    """同一任务中指标名称重复

    检查：同一任务内两条指标名称相同（忽略空格和全角/半角差异）通常是复制粘贴后忘了修改。
    报告在第二次出现的位置。
    """
    for t in ctx.form.tasks:
        first: dict[str, str | None] = {}
        for ind in t.indicators:
            key = squash(ind.name)
            if not key:
                continue
            if key in first:
                where = f"（另见 {first[key]}）" if first[key] else ""
                yield ctx.at(f"指标名称「{ind.name}」在本任务中重复出现{where}", ind.cells.get("name"), t, ind)
            else:
                first[key] = ind.cells.get("name")


@rule("XP309", Severity.ERROR)
def task_incomplete(ctx: Context) -> Iterator[Finding]:
    """任务缺少名称或拟投入金额

    检查：每项任务须填写年度工作任务名称和拟投入金额（万元）。金额填了但不是数字或为负数见 XP104。
    """
    for t in ctx.form.tasks:
        if not t.name:
            yield ctx.at("年度工作任务名称为空；应填写任务名称", t.cells.get("name") or ctx.table_cell(t.row, "name"), t)
        if "amount" in ctx.columns and t.amount is None:
            raw = t.raw.get("amount")
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                yield ctx.at(f"{_title(t)}的拟投入金额为空；应填写金额（万元）", t.cells.get("amount"), t)
