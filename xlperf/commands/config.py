"""``xlperf config [FILE] [--config TOML] [--json]``: the settings in force and where each came from."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from typing import Any

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config", help="显示校验设置及其来源",
        description="显示对某个工作簿生效的校验设置，以及每一项来自哪里：默认值、个人配置 ~/.xlperf/xlperf.toml、"
                    "工作簿所在文件夹（或上级文件夹）中的 xlperf.toml，或 --config 指定的文件。"
                    "命令行、Excel 按钮和合并汇总使用同一套查找规则。",
    )
    p.add_argument("file", nargs="?", help="工作簿或文件夹（默认：当前文件夹）")
    p.add_argument("--config", metavar="TOML", help="指定配置文件（代替工作簿旁的 xlperf.toml）")
    add_format(p)
    p.set_defaults(func=run)


def _show(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: getattr(x, "value", x) for k, x in v.items()}
    if isinstance(v, tuple):
        return list(v)
    return v


def run(args: argparse.Namespace) -> int:
    from ..settings import load_settings, user_config_path

    st = load_settings(args.file, config=args.config)
    rows = [(k, _show(v), origin) for k, v, origin in st.rows()]
    if args.format == "json":
        print(json.dumps({"files": [str(p) for p in st.files], "user_config": str(user_config_path()),
                          "settings": [{"name": k, "value": v, "origin": o} for k, v, o in rows]},
                         ensure_ascii=False, indent=2))
        return 0
    if st.files:
        print("使用的配置文件（后者覆盖前者）：")
        for p in st.files:
            print(f"  {p}")
    else:
        print(f"没有找到配置文件，全部使用默认值（个人配置文件位置：{user_config_path()}）")
    width = max(len(k) for k, _, _ in rows)
    for k, v, origin in rows:
        shown = "（无）" if v is None or v == [] or v == {} else json.dumps(v, ensure_ascii=False)
        print(f"  {k:<{width}}  {shown}  ← {origin}")
    return 0
