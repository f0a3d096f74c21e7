"""``xlperf serve [--port N]``: the local service the WPS 表格 add-in calls (127.0.0.1 only)."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 38517  # xlperf.service.DEFAULT_PORT; kept here so that every command does not import the service


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="启动本机服务，供 WPS 表格加载项调用（仅 127.0.0.1）",
        description="在 127.0.0.1 上启动 xlperf 服务，WPS 表格中的「绩效目标」选项卡通过它校验、求和、插入指标和汇总。"
                    "每个请求都须带上用户目录中的令牌（X-Xlperf-Token）；其他电脑无法访问。按 Ctrl+C 停止。",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）")
    p.add_argument("--new-token", action="store_true", help="生成新的令牌（之后须重新运行 xlperf addin install --wps）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import XlperfError
    from ..service import run as serve

    if not 0 < args.port < 65536:
        raise XlperfError("端口须在 1–65535 之间")
    try:
        serve(args.port, renew_token=args.new_token)
    except KeyboardInterrupt:
        pass
    return 0
