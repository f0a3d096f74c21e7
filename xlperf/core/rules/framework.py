"""XP2xx: the indicator framework (一级 -> 二级, from ``xlperf/data/framework.toml``) and the header.

Level cells shared by several indicators (merged blocks, or blanks inherited from the row above) are
reported once, at the cell that holds the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..framework import Framework
from ..issues import Severity
from ..text import squash
from .common import is_name_placeholder, show
from .registry import Context, Finding, rule, set_value

_OLD_LEVEL1 = ("投入指标", "过程指标", "效果指标", "决策指标")


_FW_SETS: dict[str, tuple[Framework, frozenset[str]]] = {}


def _per_framework(fw: Framework, what: str, build: Callable[[Framework], frozenset[str]]) -> frozenset[str]:
    """``build(fw)``, worked out once per framework (the same for every form of a batch)."""
    hit = _FW_SETS.get(what)
    if hit is None or hit[0] is not fw:
        hit = _FW_SETS[what] = (fw, build(fw))
    return hit[1]


def _level_names(fw: Framework) -> frozenset[str]:
    """The canonical 一级 and 二级 names, squashed (an indicator named only that says nothing)."""
    names = {squash(n) for n in fw.level1_names}
    for l1 in fw.level1:
        names.update(squash(l2.name) for l2 in l1.level2)
    return frozenset(names)


def _formers(fw: Framework) -> frozenset[str]:
    return frozenset(squash(f) for l1 in fw.level1 for l2 in l1.level2 for f in l2.former)


def _l1_list(ctx: Context) -> str:
    return "、".join(ctx.fw.level1_names)


@rule("XP201", Severity.ERROR)
def level1_invalid(ctx: Context) -> Iterator[Finding]:
    """一级指标不是 产出指标 / 效益指标 / 成本指标 / 满意度指标

    检查：2021 年起（财预〔2021〕101号）目标表的一级指标只有产出、效益、成本、满意度四类；空白、
    "投入指标""过程指标"等旧体系名称都是错误。缺少"指标"二字（如"产出"）见 XP208。
    """
    seen: set[str | None] = set()
    for t, ind, l1 in ctx.leveled_rows:
        if l1 is not None:
            continue
        found = ctx.level_once(seen, t, ind, "level1")
        if found is None:
            continue
        cell, raw = found
        if ind.level1 is None:
            msg = f"一级指标为空，指标无法归类；应为 {_l1_list(ctx)} 之一，如「产出指标」"
        elif squash(ind.level1) in _OLD_LEVEL1 or squash(ind.level1) + "指标" in _OLD_LEVEL1:
            msg = (f"一级指标「{show(raw)}」属于旧的投入-过程-产出-效果体系；2021 年起应为 {_l1_list(ctx)} 之一"
                   "（投入、过程类内容不作为绩效目标），如「资金到位率」改为产出指标「补助资金按时拨付率」")
        else:
            msg = f"一级指标「{show(raw)}」不是规定的一级指标，汇总时无法归类；应为 {_l1_list(ctx)} 之一，如「效益指标」"
        yield ctx.at(msg, cell, t, ind)


@rule("XP202", Severity.ERROR)
def level2_not_allowed(ctx: Context) -> Iterator[Finding]:
    """二级指标不属于其一级指标

    检查：二级指标须是所在一级指标下允许的名称（或其常见写法，见 XP203），例如产出指标下只能是
    数量指标、质量指标、时效指标。空白的二级指标也在此报告。产出指标下的"成本指标"是旧版写法，见 XP204。
    一级指标本身不对时只报告 XP201。
    """
    seen: set[str | None] = set()
    for t, ind, (l1, l2, legacy, _cost, _key1, _key2), _name in ctx.classified_rows:
        if l1 is None or l2 is not None or legacy:
            continue
        found = ctx.level_once(seen, t, ind, "level2")
        if found is None:
            continue
        cell, raw = found
        allowed = "、".join(ctx.fw.level2_names(l1))
        if ind.level2 is None:
            msg = f"二级指标为空，指标无法归类；「{l1}」下应为 {allowed} 之一，如「{ctx.fw.level2_names(l1)[0]}」"
        else:
            other = ctx.fw.level1_of_level2(ind.level2)
            raw = show(raw)
            if other and other != l1:
                msg = (f"二级指标「{raw}」属于「{other}」，不能放在一级指标「{l1}」下；应把一级改为「{other}」，"
                       f"或把二级改为 {allowed} 之一")
            else:
                msg = f"二级指标「{raw}」不是「{l1}」下允许的二级指标，汇总时无法归类；应为 {allowed} 之一，如「{ctx.fw.level2_names(l1)[0]}」"
        yield ctx.at(msg, cell, t, ind)


@rule("XP203", Severity.WARNING, fixable=True)
def level2_spelling(ctx: Context) -> Iterator[Finding]:
    """二级指标写法不规范（如 社会效益 → 社会效益指标）

    检查：二级指标是规范名称的常见别写（缺少"指标"二字、旧名称，或把一级"满意度指标"重复写成二级），
    能识别但不规范，汇总和比对时会被当成不同的指标。

    修复：改为规范名称，如 社会效益 → 社会效益指标、经济成本 → 经济成本指标、
    满意度指标（作二级）→ 服务对象满意度指标。
    """
    seen: set[str | None] = set()
    for t, ind, (l1, canon, _legacy, _cost, _key1, key2), _name in ctx.classified_rows:
        if canon is None or key2 == canon or ctx.fw.is_former_level2(l1, ind.level2):
            continue
        found = ctx.level_once(seen, t, ind, "level2")
        if found is None:
            continue
        cell, raw = found
        if key2 == l1:
            msg = f"二级指标「{show(raw)}」与一级指标重复，汇总时会当成另一个二级；应为「{canon}」（可用 --fix 修复）"
        else:
            msg = f"二级指标「{show(raw)}」写法不规范，汇总时会当成另一个二级；应为「{canon}」（可用 --fix 修复）"
        yield ctx.at(msg, cell, t, ind, fix=set_value(cell, canon, raw))


@rule("XP204", Severity.WARNING, fixable=True)
def legacy_cost(ctx: Context) -> Iterator[Finding]:
    """旧版布局：成本指标作为产出指标下的二级指标

    检查：2021 年以前的表把"成本指标"放在产出指标下作二级；财预〔2021〕101号起成本指标是一级指标，
    二级为经济成本指标、社会成本指标、生态环境成本指标。同一张表混用两种布局会使汇总出错。

    修复：一级改为"成本指标"、二级改为"经济成本指标"。一级指标单元格与其他指标合并（共用）时不自动
    修复，需手工拆分。
    """
    seen: set[str | None] = set()
    for t, ind, (l1, _l2, legacy, _cost, _key1, _key2), _name in ctx.classified_rows:
        if not legacy:  # (legacy_target is not None)
            continue
        target = ctx.fw.legacy_target(l1, ind.level2)
        if target is None:
            continue
        to1, to2 = target
        c2 = ctx.level_cell(t, ind, "level2")
        if c2 in seen:
            continue
        seen.add(c2)
        shared = ctx.shares_level(t, ind, "level1") or ctx.shares_level(t, ind, "level2")
        msg = (f"「{ind.level1}/{ind.level2}」是 2021 年以前的写法；成本指标现为一级指标，"
               f"汇总时会被算进产出；应为 一级「{to1}」/ 二级「{to2}」（可用 --fix 修复）")
        fix: tuple = ()
        if shared:
            msg += "（一级指标单元格与其他指标共用，请手工调整）"
        else:
            fix = set_value(ind.cells.get("level1"), to1, ind.raw.get("level1")) + set_value(
                c2, to2, ind.raw.get("level2"))
        yield ctx.at(msg, c2, t, ind, fix=fix)


@rule("XP205", Severity.WARNING)
def satisfaction_misfiled(ctx: Context) -> Iterator[Finding]:
    """满意度类指标没有放在满意度指标下

    检查：指标名称含"满意"的指标应放在 一级"满意度指标"/二级"服务对象满意度指标"下，
    不应放在效益指标或产出指标下。
    """
    for t, ind, l1 in ctx.leveled_rows:
        if not ind.name or "满意" not in ind.name or l1 is None or l1 == "满意度指标":
            continue
        yield ctx.at(
            f"满意度类指标「{ind.name}」放在「{ind.level1}/{ind.level2 or ''}」下；"
            "满意度是单独的一级指标，放在效益下会少算满意度、多算效益；应放在 满意度指标/服务对象满意度指标 下，"
            f"如「满意度指标 / 服务对象满意度指标 / {ind.name}」",
            ind.cells.get("name"), t, ind,
        )


@rule("XP206", Severity.ERROR)
def name_invalid(ctx: Context) -> Iterator[Finding]:
    """指标名称为空、是占位符，或只写了指标层级名称

    检查：三级指标名称须具体说明衡量什么（如"补贴农户数量"）；空白、"-""XX""待定"等占位符，
    或只重复一级/二级指标的规范名称（如"社会成本指标"）都不能作为指标名称；"服务对象满意度"这类
    具体说法不在此列。
    """
    level_names = _per_framework(ctx.fw, "level_names", _level_names)
    for t, ind, _levels, key in ctx.classified_rows:
        name = ind.name
        if name is None:
            yield ctx.at("指标名称为空，这一行衡量什么无从知道；应填写具体的三级指标名称，如「补贴农户数量」",
                         ind.cells.get("name"), t, ind)
        elif is_name_placeholder(name):
            yield ctx.at(f"指标名称「{name}」是占位符，目标还没有填；应填写具体的三级指标名称，如「补贴农户数量」",
                         ind.cells.get("name"), t, ind)
        elif key in level_names:  # (key: squash(name))
            yield ctx.at(
                f"指标名称「{name}」只是指标层级名称；应填写具体衡量的内容（如「成本控制范围」「服务人次」）",
                ind.cells.get("name"), t, ind,
            )


@rule("XP207", Severity.ERROR, kinds=("dept_tasks",))
def header_missing(ctx: Context) -> Iterator[Finding]:
    """缺少必填的表头栏目（部门名称、基本支出、项目支出、年度整体绩效目标）

    检查：部门名称和年度整体绩效目标须有栏目且已填写；基本支出、项目支出须有栏目（栏目在但金额
    空白见 XP104）。
    """
    form, b = ctx.form, ctx.form.budget
    for f, label in (("department", "部门名称"), ("overall_goal", "年度整体绩效目标")):
        if f not in form.cells:
            yield ctx.at(f"表头缺少「{label}」栏，目标表必须有这一项；应在表头加上「{label}」并填写", None)
        elif not getattr(form, f):
            yield ctx.at(f"{label}为空，目标表必须填写这一项；应填写{label}，"
                         f"如「{'揭阳市人民政府办公室' if f == 'department' else '保障市政府重大活动不少于20场，热线接通率不低于95%'}」",
                         form.cells[f])
    for f, label in (("basic", "基本支出"), ("project", "项目支出")):
        if f not in b.cells:
            yield ctx.at(f"表头缺少「{label}」栏，无法核对预算；预算整体情况应列出{label}金额（万元），如「{label} 3793.11」", None)


@rule("XP208", Severity.WARNING, fixable=True)
def level1_spelling(ctx: Context) -> Iterator[Finding]:
    """一级指标写法不规范（如 产出 → 产出指标）

    检查：一级指标能识别但缺少"指标"二字。

    修复：改为规范名称。
    """
    seen: set[str | None] = set()
    for t, ind, (canon, _l2, _legacy, _cost, key1, _key2), _name in ctx.classified_rows:
        if canon is None or key1 == canon:
            continue
        found = ctx.level_once(seen, t, ind, "level1")
        if found is None:
            continue
        cell, raw = found
        yield ctx.at(f"一级指标「{show(raw)}」写法不规范，汇总时会当成另一个一级；应为「{canon}」（可用 --fix 修复）", cell, t, ind,
                     fix=set_value(cell, canon, raw))


@rule("XP209", Severity.INFO, fixable=True)
def level2_former_name(ctx: Context) -> Iterator[Finding]:
    """二级指标使用旧版名称（如 社会公众或服务对象满意度指标）

    依据：财预〔2015〕88号 时期的正式名称；财预〔2021〕101号 起为"服务对象满意度指标"。

    检查：旧版正式名称不算错误，只作提示：汇总到 2021 年起的表时按新名称归类。

    修复：改为现行名称。
    """
    formers = _per_framework(ctx.fw, "formers", _formers)
    seen: set[str | None] = set()
    for t, ind, (l1, canon, _legacy, _cost, _key1, key2), _name in ctx.classified_rows:
        if key2 not in formers:
            continue
        if not ctx.fw.is_former_level2(l1, ind.level2):
            continue
        found = ctx.level_once(seen, t, ind, "level2")
        if found is None:
            continue
        cell, raw = found
        yield ctx.at(f"二级指标「{show(raw)}」是旧版名称，可以使用；现行名称为「{canon}」（财预〔2021〕101号），"
                     "汇总时按现行名称归类", cell, t, ind, fix=set_value(cell, canon, raw))


@rule("XP210", Severity.INFO, kinds=("dept_tasks", "dept_overall"))
def overall_goal_not_quantified(ctx: Context) -> Iterator[Finding]:
    """年度整体绩效目标没有任何数量

    依据：财预〔2015〕88号、中发〔2018〕34号（绩效目标应指向明确、细化量化）。

    检查：年度整体绩效目标通篇是文字、没有一个数字。应写出主要工作的规模或水平，如"保障10项重点工作，
    办理12345热线来电 ≥30万件，接通率 ≥95%"。这是提示，需人工判断。
    """
    goal = ctx.form.overall_goal
    if goal and not any(map(str.isdigit, squash(goal))):
        yield ctx.at("年度整体绩效目标只有文字、没有数量，无法据此考核；应写出主要工作的规模或水平，"
                     "如「办理12345热线来电 ≥30万件，接通率 ≥95%，保障市政府重大活动 ≥20场」",
                     ctx.form.cells.get("overall_goal"))


@rule("XP211", Severity.WARNING)
def mixed_layouts(ctx: Context) -> Iterator[Finding]:
    """同一张表混用 2021 年以前和 2021 年起的指标布局

    依据：财预〔2021〕101号（成本指标为一级指标）。

    检查：有的任务把成本指标放在产出指标下（旧版），有的任务用一级"成本指标"（现行）：多半是从往年的表
    复制了几行。整张表只报告一次，位置在第一处旧版写法；逐行的修复见 XP204。
    """
    rows = ctx.classified_rows
    legacy = [(t, i) for t, i, levels, _name in rows if levels[2]]
    if not legacy or not any(levels[0] == "成本指标" for _t, _i, levels, _name in rows):
        return
    old = sorted({str(t.seq) for t, _ in legacy})
    t, ind = legacy[0]
    yield ctx.at(f"本表任务 {'、'.join(old)} 用旧版布局（产出指标/成本指标），其余任务用一级「成本指标」：同一张表"
                 "混用两种布局，汇总时成本会被算进产出；应统一为 一级「成本指标」/ 二级「经济成本指标」"
                 "（可用 --fix 按 XP204 修复）", ctx.level_cell(t, ind, "level2"), t, ind)


_FAMILY_HEADERS = {
    "dept_overall": (("department", "部门（单位）名称", "岳阳楼区价格认证鉴定中心"),
                     ("overall_goal", "年度总体目标", "全年完成价格认定300件，办结率100%")),
    "project": (("project_name", "项目名称", "办公大楼运行保障"), ("annual_goal", "年度目标", "完成大楼维修维护2280次")),
    "application": (("project_name", "项目名称", "办公大楼运行保障"), ("annual_goal", "年度目标", "完成大楼维修维护2280次")),
}


@rule("XP212", Severity.ERROR, kinds=tuple(_FAMILY_HEADERS))
def family_header_missing(ctx: Context) -> Iterator[Finding]:
    """部门级整体表或项目表缺少必填的表头栏目（部门名称、年度总体目标；项目名称、年度目标）

    依据：部门整体绩效目标表（湖南、福建等地的部门级格式）须写明部门（单位）名称和年度总体目标；项目支出绩效
    目标表须写明项目名称和年度目标。按任务填报的部门整体表见 XP207。

    检查：这两栏须有栏目且已填写。
    """
    form = ctx.form
    for f, label, example in _FAMILY_HEADERS[form.kind]:
        if f not in form.cells:
            yield ctx.at(f"表头缺少「{label}」栏，目标表必须有这一项；应在表头加上「{label}」并填写，如「{example}」", None)
        elif not getattr(form, f):
            yield ctx.at(f"{label}为空，目标表必须填写这一项；应填写{label}，如「{example}」", form.cells[f])
