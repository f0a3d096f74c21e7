"""``xlperf validate FILE... [--format text|json] [--select CODES] [--ignore CODES] [--strict]``
``[--mark] [--fix] [--unmark] [-o OUT | --in-place]``.

Exit 0 when no file has errors (with ``--strict``: no warnings either), 1 when problems were found,
2 when a file could not be read or written (the other files are still processed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate", help="校验绩效目标表（可标注到单元格、自动修复）",
        description="校验绩效目标表：预算金额、指标体系、任务完整性、指标值与对比符号。规则列表见 xlperf rules。",
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="工作簿（xlsx/xlsm/xls/ods）或粘贴文本；也可以是文件夹（递归查找工作簿）或通配符，如 *.xlsx")
    add_format(p)
    p.add_argument("--select", action="append", metavar="CODES", help="只检查这些规则，如 XP1,XP401（可用前缀）")
    p.add_argument("--ignore", action="append", metavar="CODES", help="不检查这些规则，如 XP305,XP412")
    p.add_argument("--strict", action="store_true", help="有警告也返回 1")
    p.add_argument("--sheet", help="工作表名称（默认：第一个绩效目标表）")
    p.add_argument("--config", metavar="TOML",
                   help="配置文件（[tool.xlperf] 段或顶层）；默认使用工作簿所在文件夹或上级文件夹中的 xlperf.toml，"
                        "以及个人配置 ~/.xlperf/xlperf.toml（xlperf config 显示各项设置的来源）")
    p.add_argument("--min-indicators", type=int, metavar="N", help="每项任务最少指标数（XP306，默认 3）")
    p.add_argument("--severity", action="append", metavar="CODE=LEVEL",
                   help="调整规则级别，如 XP305=info（可重复）")
    p.add_argument("--password", help="加密工作簿的打开密码")
    g = p.add_argument_group("写回工作簿（仅 .xlsx/.xlsm）")
    g.add_argument("--mark", action="store_true",
                   help="把问题标注到单元格（错误红色、警告黄色、批注），并新增「校验结果」工作表")
    g.add_argument("--fix", action="store_true", help="自动修复可安全修复的问题，并列出每处修改")
    g.add_argument("--unmark", action="store_true", help="清除 xlperf 之前的标注，恢复单元格原有填充和批注")
    g.add_argument("--mark-info", action="store_true", help="提示级问题也标注填充（浅蓝）")
    out = g.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT", help="输出文件（默认：NAME.xlperf.xlsx）")
    out.add_argument("--in-place", action="store_true", help="直接改写原文件（先自动备份）")
    p.set_defaults(func=run)


def flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags (``None`` where a flag was not given)."""
    from ..core.config import parse_severity_overrides, split_codes

    return {
        "min_indicators": getattr(args, "min_indicators", None),
        "severity": parse_severity_overrides(getattr(args, "severity", None)) or None,
        "select": split_codes(getattr(args, "select", None), "--select"),
        "ignore": split_codes(getattr(args, "ignore", None), "--ignore"),
    }


def load_config(args: argparse.Namespace, path: str | Path | None = None) -> Any:
    """The configuration for the workbook at ``path``: :func:`xlperf.settings.load_settings` with the flags."""
    from ..settings import load_settings

    return load_settings(path, config=args.config, overrides=flag_overrides(args)).config


def run(args: argparse.Namespace) -> int:
    from ..core.issues import Report, summarize
    from ..errors import XlperfError

    writes = args.mark or args.fix or args.unmark
    args.files = expand_inputs(args.files)
    if not args.files:
        print("错误：没有找到要校验的文件", file=sys.stderr)
        return 2
    if (args.output or args.in_place) and not writes:
        print("错误：-o / --in-place 需与 --mark、--fix 或 --unmark 一起使用", file=sys.stderr)
        return 2
    if args.output and len(args.files) > 1:
        print("错误：多个文件时不能使用 -o；请逐个处理，或使用 --in-place", file=sys.stderr)
        return 2
    if args.unmark and (args.mark or args.fix):
        print("错误：--unmark 不能与 --mark、--fix 同时使用", file=sys.stderr)
        return 2
    entries: list[dict[str, Any]] = []
    reports: list[Report] = []
    failed = 0
    text = args.format == "text"
    for path in args.files:
        config = load_config(args, path)  # a broken configuration stops the run (exit 2)
        try:
            if writes:
                report, entry = _rewrite(path, args, config, text)
            else:
                from ..validation import validate

                report = validate(path, sheet=args.sheet, config=config, password=args.password)
                entry = report.to_dict()
        except XlperfError as exc:
            failed += 1
            report = Report(path=path, error=exc.message)
            entry = report.to_dict()
            if text:  # in JSON the failure is the file's "error"
                print(f"{path}: 错误：{exc.message}", file=sys.stderr)
            entries.append(entry)
            continue
        entries.append(entry)
        if report is None:
            continue
        reports.append(report)
        if text:
            for line in format_issues(report):
                print(line)
    if not text:
        print(json.dumps({"files": entries}, ensure_ascii=False, indent=2))
    else:
        errors = sum(len(r.errors) for r in reports)
        warnings = sum(len(r.warnings) for r in reports)
        infos = sum(len(r.infos) for r in reports)
        if args.unmark:  # nothing was checked: no verdict on the forms
            cleared = sum(e.get("cleared") or 0 for e in entries)
            line = f"共 {len(args.files)} 个文件：清除 {cleared} 个单元格的标注（未重新校验）"
        elif reports or not failed:
            line = f"共 {len(args.files)} 个文件：{summarize(errors, warnings, infos)}"
        else:  # nothing was checked: "未发现问题" would mislead
            line = f"共 {len(args.files)} 个文件"
        fixable = sum(len(r.fixable) for r in reports)
        if fixable and not args.fix:
            line += f"；其中 {fixable} 个（标 [*]）可用 --fix 自动修复"
        if failed:
            line += f"；{failed} 个文件无法处理"
        print(line)
    if failed:
        return 2
    if args.unmark:
        return 0
    return 0 if all(r.valid(strict=args.strict) for r in reports) else 1


def expand_inputs(raw: list[str]) -> list[str]:
    """The files to check: a folder gives the workbooks below it (recursively, lock and hidden files left
    out), a pattern with ``* ? [`` that names no file is expanded here (the Windows shell does not); other
    arguments (and a folder without workbooks) are kept as given, so each is reported as it is."""
    out: list[str] = []
    for arg in raw:
        path = Path(arg)
        if path.is_file():  # the common case needs none of the folder machinery (nor its imports)
            out.append(arg)
            continue
        import glob

        from ..consolidation.discover import WORKBOOK_EXTS, _ignore_reason, discover

        found = [str(p) for p, why in discover([path]) if why is None and p.suffix.lower() in WORKBOOK_EXTS] \
            if path.is_dir() else []
        if found:
            out += found
        elif not path.exists() and any(ch in arg for ch in "*?["):
            matches = sorted(m for m in glob.glob(arg, recursive=True) if _ignore_reason(Path(m)) is None)
            out += matches if matches else [arg]
        else:
            out.append(arg)
    seen: set[str] = set()
    return [p for p in out if not (p in seen or seen.add(p))]


def format_issues(report: Any) -> list[str]:
    """Linter-style lines: ``path:sheet!E12: XP401 error 对比符号为空…  [任务7「接待服务水平」]``."""
    lines = []
    for i in report.issues:
        where = f"{report.path}:{i.location}" if i.location else str(report.path)
        tail = f"  [{i.context}]" if i.context else ""
        star = " [*]" if i.fixable else ""
        lines.append(f"{where}: {i.code} {i.severity.label}{star} {i.message}{tail}")
    return lines


def _rewrite(path: str, args: argparse.Namespace, config: Any, text: bool) -> tuple[Any, dict[str, Any]]:
    from ..core.fixes import describe_fix
    from ..validation import clear_marks, fix_file, mark_file

    if args.unmark:
        res = clear_marks(path, args.output, args.in_place)
        entry = {"path": path, "output": str(res.target) if res.target else None,
                 "backup": str(res.backup) if res.backup else None, "cleared": res.cleared}
        if text:
            if res.target:
                print(f"{path}: 已清除 {res.cleared} 个单元格的标注，写入 {res.target}{_backup(res.backup)}")
            else:
                print(f"{path}: 没有 xlperf 标注，文件未改动")
        return None, entry
    if args.fix:
        res = fix_file(path, args.output, args.in_place, sheet=args.sheet, config=config, mark=args.mark)
    else:
        res = mark_file(path, args.output, args.in_place, sheet=args.sheet, config=config,
                        mark_info=args.mark_info)
    report = res.report
    entry = report.to_dict()
    entry["output"] = str(res.target) if res.target else None
    entry["backup"] = str(res.backup) if res.backup else None
    if args.fix:
        entry["fixes"] = [
            {"cell": _a1(e), "old": e.old, "new": e.value, "codes": codes} for e, codes in res.fixes
        ]
    if text:
        sheet = report.sheet or ""
        for e, codes in res.fixes:
            print(f"{path}:{sheet}!{describe_fix(e, codes)}")
        if args.fix:
            print(f"{path}: 修复 {len(res.fixes)} 处" + ("" if res.fixes else "（没有可自动修复的问题）"))
        if res.target:
            what = f"标注 {res.marked} 个单元格，" if args.mark else ""
            print(f"{path}: {what}写入 {res.target}{_backup(res.backup)}")
        elif args.in_place:
            print(f"{path}: 文件未改动")
    return report, entry


def _a1(e: Any) -> str:
    from ..core.grid import a1

    return a1(e.row, e.col)


def _backup(backup: Path | None) -> str:
    return f"（原文件已备份为 {backup}）" if backup else ""
