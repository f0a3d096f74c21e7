"""``xlperf autosum FILE [-o OUT | --in-place] [--balance]``: budget totals as live formulas."""

from __future__ import annotations

import argparse
import json

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "autosum", help="项目支出等合计改为实时公式（SUM），并核对收支平衡",
        description="把 项目支出 设为各任务 拟投入金额 的 SUM 公式；表中有 部门预算支出合计 / 收入合计 时也写成公式。"
                    "收入一侧只核对不改写，除非指定 --balance（财政拨款 = 支出合计 − 其他资金）。可重复运行。",
    )
    p.add_argument("file", help="绩效目标表（.xlsx/.xlsm）")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", help="输出文件（默认：原名.xlperf.xlsx）")
    out.add_argument("--in-place", action="store_true", help="直接改写原文件（先自动备份）")
    p.add_argument("--balance", action="store_true", help="把 财政拨款 设为 支出合计 − 其他资金 的公式")
    p.add_argument("--sheet", help="工作表名称（默认：第一个绩效目标表）")
    p.add_argument("--dry-run", action="store_true", help="只显示将要做的改动，不写文件")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..editing import autosum

    res = autosum(args.file, out=args.output, in_place=args.in_place, balance=args.balance,
                  sheet=args.sheet, dry_run=args.dry_run)
    if args.format == "json":
        print(json.dumps({
            "path": str(args.file), "sheet": res.sheet, "dry_run": args.dry_run,
            "output": str(res.output) if res.written and res.output else None,
            "backup": str(res.backup) if res.backup else None,
            "changes": [{"field": c.field, "cell": c.cell, "old": _plain(c.old), "new": c.new,
                         "value": _plain(c.value)} for c in res.changes],
            "messages": [{"level": m.level, "code": m.code, "cell": m.cell, "message": m.text} for m in res.messages],
        }, ensure_ascii=False, indent=2))
        return 0 if res.ok else 1
    if res.changes:
        print(f"{'将改动' if args.dry_run else '已改动'} {len(res.changes)} 个单元格（工作表「{res.sheet}」）：")
        for ch in res.changes:
            print("  " + ch.describe())
    else:
        print("合计公式已是最新，无需改动")
    for m in res.messages:
        print(m.describe())
    if res.written and res.output is not None:
        print(f"已写入 {res.output}" + (f"（原文件已备份为 {res.backup}）" if res.backup else ""))
    return 0 if res.ok else 1


def _plain(value: object) -> object:
    """A JSON value: numbers as numbers (Decimal as float), anything else as text."""
    from decimal import Decimal

    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)
