"""``xlperf import TEXT -o OUT.xlsx`` and ``xlperf new -o OUT.xlsx``: write the official layout."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="把从 Excel 复制出的文本重建为标准格式的 xlsx",
                       description="把粘贴文本（制表符分隔）重建为标准格式：合并单元格、边框、列宽、A4 横向打印")
    p.add_argument("text", help="文本文件（制表符分隔，从 Excel 复制）")
    p.add_argument("-o", "--output", required=True, help="输出 .xlsx")
    p.set_defaults(func=run_import)
    n = sub.add_parser("new", help="新建空白绩效目标表", description="按模板新建空白绩效目标表")
    n.add_argument("-o", "--output", required=True, help="输出 .xlsx")
    n.add_argument("--department", help="部门名称")
    n.add_argument("--year", type=int, help="年度，如 2026")
    n.add_argument("--tasks", type=int, default=5, help="预留任务数（默认 5）")
    n.add_argument("--rows", type=int, default=6, help="每个任务预留指标行数（默认 6）")
    n.set_defaults(func=run_new)


def run_import(args: argparse.Namespace) -> int:
    from ..features.new import import_text

    out = Path(args.output)
    form = import_text(args.text, out)
    if form.tasks or not form.indicators:
        print(f"已写入 {out}：{len(form.tasks)} 项任务，{form.indicator_count} 个指标")
    else:  # a layout without tasks, kept as it is
        from ..core.kinds import kind_name

        print(f"已写入 {out}（{kind_name(form.kind)}，按原样）：{form.indicator_count} 个指标")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from ..features.new import write_form

    out = write_form(args.output, None, blank_tasks=args.tasks, rows_per_task=args.rows,
                     department=args.department, year=args.year)
    print(f"已写入空白绩效目标表 {out}")
    return 0
