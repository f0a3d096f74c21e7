"""``xlperf parse FILE [--sheet NAME] [--json]``: print the form as read."""

from __future__ import annotations

import argparse
import json

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="解析绩效目标表并输出内容", description="解析绩效目标表（xlsx/xlsm/xls/ods/粘贴文本）")
    p.add_argument("file")
    p.add_argument("--sheet", help="工作表名称（默认：第一个绩效目标表）")
    add_format(p)
    p.add_argument("--password", help="加密工作簿的打开密码")
    p.add_argument("--engine", choices=("fast", "openpyxl"), default="fast",
                   help="读取方式：fast（python-calamine，默认）或 openpyxl（xlsx/xlsm）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.readers import load_form

    form = load_form(args.file, sheet=args.sheet, password=args.password, engine=args.engine)
    if args.format == "json":
        print(json.dumps(form.to_json_dict(), ensure_ascii=False, indent=2))
        return 0
    print(format_form(form))
    return 0


def format_form(form) -> str:
    from ..core.text import format_number

    def n(v):
        return "" if v is None else format_number(v)

    b = form.budget
    if form.kind != "dept_tasks":
        return format_family(form)
    from ..core.kinds import kind_name

    lines = [
        f"{form.title or '（无标题）'}  [{form.sheet}]",
        f"类型：{kind_name(form.kind)}" + ("（繁体字，已按简体读取）" if form.script == "traditional" else ""),
        f"部门名称：{form.department or ''}    主管部门：{form.supervisor or ''}    年度：{form.year or ''}",
        f"财政供养人员数：{n(form.staff_count)}    下属单位数：{n(form.subunit_count)}",
        f"基本支出：{n(b.basic)}  项目支出：{n(b.project)}  财政拨款：{n(b.fiscal)}  其他资金：{n(b.other)}（万元）",
        f"年度整体绩效目标：{form.overall_goal or ''}",
        f"任务 {len(form.tasks)} 项，指标 {form.indicator_count} 个",
    ]
    for t in form.tasks:
        lines.append(f"  {t.seq}. {t.name or ''}  拟投入 {n(t.amount)} 万元  ({t.cells.get('name', '')})")
        for i in t.indicators:
            val = n(i.value) if not isinstance(i.value, str) else i.value
            lines.append(
                f"      {i.level1 or ''}/{i.level2 or ''}/{i.name or ''}  {'核心' if i.core else ''} {i.op or ''}{val or ''}{i.unit or ''}"
            )
    return "\n".join(lines)


def _indicator_line(i) -> str:
    from ..core.text import format_number

    val = format_number(i.value) if i.value is not None and not isinstance(i.value, str) else (i.value or "")
    extra = "  ".join(f"{v}" for k, v in i.extra.items() if k in ("value_type",))
    return f"      {i.level1 or ''}/{i.level2 or ''}/{i.name or ''}  {extra} {i.op or ''}{val}{i.unit or ''}".rstrip()


def format_family(form) -> str:
    """The text view of the other kinds: what the sheet is, its header, budget, goals and indicators."""
    from ..core.kinds import kind_name
    from ..core.text import format_number

    def n(v):
        return "" if v is None else format_number(v)

    b = form.budget
    lines = [f"{form.title or '（无标题）'}  [{form.sheet}]", f"类型：{kind_name(form.kind)}"
             + ("（繁体字，已按简体读取）" if form.script == "traditional" else "")]
    if b.unit != "万元":
        lines.append(f"金额单位：{b.unit}（「{b.unit_text}」，以下金额已换算为万元）")
    if form.kind in ("project", "application"):
        lines += [f"项目名称：{form.project_name or ''}    主管部门：{form.supervisor or ''}    "
                  f"实施单位：{form.implementer or ''}    年度：{form.year or ''}",
                  f"年度资金总额：{n(b.total)}  财政拨款：{n(b.fiscal)}  其他资金：{n(b.other)}（万元）",
                  f"长期目标：{form.long_goal or ''}", f"年度目标：{form.annual_goal or ''}"]
    elif form.kind == "dept_overall":
        lines += [f"部门名称：{form.department or ''}    部门预算编码：{form.budget_code or ''}    年度：{form.year or ''}",
                  f"资金总额：{n(b.total)}  项目支出：{n(b.project)}  基本支出：{n(b.basic)}（万元）",
                  f"年度总体目标：{form.overall_goal or ''}"]
        if form.duties:
            lines.append(f"年度履职目标 {len(form.duties)} 项")
            lines += [f"  {d.function or ''}：{d.task or ''}  {d.project or ''} {n(d.amount)} 万元" for d in form.duties]
    if form.tasks:
        lines.append(f"项目 {len(form.tasks)} 个，指标 {form.indicator_count} 个")
        for t in form.tasks:
            lines.append(f"  {t.name or ''}  预算 {n(t.amount)} 万元  ({t.cells.get('name', '')})")
            lines += [_indicator_line(i) for i in t.indicators]
    else:
        lines.append(f"绩效指标 {len(form.indicators)} 个")
        lines += [_indicator_line(i) for i in form.indicators]
    return "\n".join(lines)
