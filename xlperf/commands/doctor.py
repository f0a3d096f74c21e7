"""``xlperf doctor [--format json]``: 自检 — is this desk ready for the add-in (and what to do if not)."""

from __future__ import annotations

import argparse
import json

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor", help="自检：检查加载项运行环境，并说明如何处理每个问题",
        description="检查加载项将启动的 Python、xlwings 版本与加载项 VBA 是否一致、校验设置文件、Excel 启动文件夹"
                    "（XLSTART）中的加载项、备份文件夹是否可写；对每个未通过的项目给出处理办法。退出码：0 通过，1 有未通过项。",
    )
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..addin.doctor import describe, run_checks

    checks = run_checks()
    if args.format == "json":
        print(json.dumps({"checks": [c.to_dict() for c in checks]}, ensure_ascii=False, indent=2))
    else:
        for line in describe(checks):
            print(line)
    return 1 if any(c.ok is False for c in checks) else 0
