"""``xlperf rules [CODE...] [--format text|json]``: the rule registry (code, severity, title): the
per-form XP rules, then the batch-level XC rules of a consolidation."""

from __future__ import annotations

import argparse
import json

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="列出校验规则（代码、级别、标题）",
                       description="列出校验规则（XP 检查单张表，XC 检查汇总的整批文件）；"
                                   "给出代码（如 XP401）时显示该规则的完整说明")
    p.add_argument("codes", nargs="*", metavar="CODE", help="规则代码或前缀（如 XP4、XC）")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.issues import code_selected
    from ..core.rules import all_rules

    rules = [r for r in all_rules(batch=True) if code_selected(r.code, args.codes or None, None)]
    if not rules:
        print(f"错误：没有这样的规则：{' '.join(args.codes)}（xlperf rules 列出全部规则）")
        return 2
    if args.format == "json":
        out = [{"code": r.code, "severity": r.severity.value, "fixable": r.fixable, "family": r.family,
                "title": r.title, "doc": r.doc} for r in rules]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    detail = bool(args.codes) and len(rules) <= 3
    for r in rules:
        fix = " [可修复]" if r.fixable else ""
        print(f"{r.code}  {r.severity.label}  {r.title}{fix}")
        if detail and r.doc:
            print("\n".join("    " + ln if ln else "" for ln in r.doc.splitlines()))
            print()
    return 0
