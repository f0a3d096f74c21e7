"""``xlperf consolidate INPUT... -o OUT.xlsx``: many department workbooks into one summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "consolidate",
        help="把多个部门的绩效目标表汇总成一个工作簿",
        description=(
            "汇总多个部门的绩效目标表（文件或文件夹，递归查找 .xlsx .xlsm .xls .ods；WPS .et 文件列为跳过并注明原因）。输出工作表：部门汇总、"
            "任务明细、指标明细、校验问题、文件清单、图表。损坏、加密或不是绩效目标表的文件列入文件清单并注明原因，"
            "其余文件照常汇总。退出码：0 全部正常，1 有文件被跳过或有校验错误，2 无法运行。"
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="工作簿文件或文件夹")
    p.add_argument("-o", "--output", required=True, metavar="OUT.xlsx", help="输出的汇总工作簿")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N", help="并行工作进程（或线程）数（默认：CPU 核数）")
    p.add_argument("--json", metavar="PATH",
                   help="另存一份 JSON（汇总数字、部门、文件清单、校验问题）；PATH 为 - 时输出到标准输出")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="屏幕输出格式：json 时把 JSON 输出到标准输出（同 --json -），摘要改到标准错误")
    p.add_argument("--csv", metavar="DIR", help="另存各表为 CSV（UTF-8，可用 Excel 打开）")
    p.add_argument("--on-duplicate", choices=("error", "keep-last", "keep-both"), default="error",
                   help="同一部门（名称和年度相同）出现多次时：error 只计第一次并报错（默认），"
                        "keep-last 以最后一次为准，keep-both 都计入（均会在校验问题中注明）")
    p.add_argument("--config", metavar="TOML",
                   help="校验配置文件；默认使用第一个输入所在文件夹（或上级文件夹）中的 xlperf.toml，以及个人配置"
                        "（与 xlperf validate 和 Excel 按钮相同，xlperf config 显示来源）")
    p.add_argument("--quiet", "-q", action="store_true", help="不显示进度条和结果摘要")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..consolidation import consolidate
    from ..errors import WriteRefusedError, XlperfError
    from ..io.xlsx import write_error

    out = Path(args.output)
    if out.suffix.lower() != ".xlsx":
        raise WriteRefusedError(f"输出文件必须是 .xlsx（收到 {out.name}）")
    if out.exists() and out.is_dir():
        raise WriteRefusedError(f"输出路径是一个文件夹：{out}")
    from ..consolidation.discover import check_outputs

    check_outputs(args.inputs, [out, args.json])
    if args.jobs is not None and args.jobs < 1:
        raise WriteRefusedError("--jobs 必须是正整数")
    from ..settings import load_settings

    config = load_settings(args.inputs[0], config=args.config).config
    progress = not args.quiet and sys.stderr.isatty()
    if args.format == "json" and args.json not in (None, "-"):
        raise WriteRefusedError("--format json 把 JSON 输出到标准输出，不能再用 --json 指定文件")
    to_stdout = args.format == "json" or args.json == "-"
    extra = [args.json] if args.json and not to_stdout else []
    try:
        cons = consolidate(args.inputs, jobs=args.jobs, on_duplicate=args.on_duplicate, progress=progress,
                           exclude=[out, *extra], config=config)
    except OSError as exc:  # temporary files (disk full, no permission)
        raise XlperfError(f"无法创建临时文件（{exc.strerror or exc}）") from exc
    with cons:
        target = out
        try:
            cons.to_excel(out)
            if to_stdout:
                cons.write_json(sys.stdout)
                sys.stdout.flush()
            elif args.json:
                target = Path(args.json)
                cons.to_json(target)
            if args.csv:
                target = Path(args.csv)
                cons.to_csv(target)
        except OSError as exc:
            raise write_error(exc, target) from exc
        if not args.quiet:
            _print_summary(cons, out, sys.stderr if to_stdout else sys.stdout)
        return cons.exit_code


def _print_summary(cons, out: Path, stream) -> None:
    c = cons.counts
    t = cons.totals
    # the same numbers as the 合计 row of 部门汇总 (the departments counted), the rest said apart
    errors = warnings = 0
    for r in cons.included_departments:
        errors += r[12] or 0
        warnings += r[13] or 0
    print(
        f"已汇总 {c['departments']} 个部门：文件 {c['files']} 个（成功 {c['ok']}，跳过 {c['skipped']}，"
        f"忽略 {c['ignored']}），任务 {c['tasks']:,} 项，指标 {c['indicators']:,} 个，"
        f"错误 {errors:,}，警告 {warnings:,}",
        file=stream,
    )
    rest_e, rest_w = c["errors"] - errors, c["warnings"] - warnings
    if c.get("projects"):
        p_e = sum(r[8] or 0 for r in cons.project_rows())
        p_w = sum(r[9] or 0 for r in cons.project_rows())
        print(f"项目支出绩效目标表 {c['projects']} 个（见 项目汇总）：错误 {p_e:,}，警告 {p_w:,}", file=stream)
        rest_e, rest_w = rest_e - p_e, rest_w - p_w
    if rest_e or rest_w:
        print(f"另有错误 {rest_e:,}、警告 {rest_w:,} 属于未计入部门汇总的文件、重复的部门或部门与项目的核对"
              "（见 校验问题）", file=stream)
    print(f"基本支出 {t['基本支出']:,.2f}  项目支出 {t['项目支出']:,.2f}  财政拨款 {t['财政拨款']:,.2f}（万元）", file=stream)
    print(f"输出：{out}", file=stream)
    skipped = [f for f in cons.file_records if f.status == "跳过"]
    for f in skipped[:20]:
        print(f"  跳过 {f.path}：{f.reason}", file=sys.stderr)
    if len(skipped) > 20:
        print(f"  ……另有 {len(skipped) - 20} 个文件被跳过，见 文件清单", file=sys.stderr)
    for note in cons.notes:
        print(f"注意：{note}", file=sys.stderr)
