"""Finding the inputs of a consolidation: files and folders (recursive), lock and hidden files listed as
忽略, paths that do not exist listed as 跳过, xlperf summaries recognised before they are read."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from .schema import SUMMARY_SHEETS

WORKBOOK_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
# also picked up in folders, to be listed as 跳过 with the reason (另存为 .xlsx), never silently left out
LISTED_EXTS = WORKBOOK_EXTS + (".et", ".ett")

SUMMARY_REASON = "这是 xlperf 生成的汇总文件（含 部门汇总/文件清单 工作表），不作为输入"


def discover(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> list[tuple[Path, str | None]]:
    """The input files in order, each with ``None`` or the reason it is ignored (lock/hidden file).

    Folders are searched recursively for .xlsx .xlsm .xls .ods, and WPS .et (to be listed as skipped
    with the reason; hidden folders are skipped); a file named explicitly is taken whatever its
    extension. Paths that do not exist are returned with
    their reason too (``不存在``), as ``(path, "!…")``: the caller lists them as 跳过.
    """
    excluded = set()
    for p in exclude:
        try:
            excluded.add(Path(p).resolve())
        except OSError:
            pass
    seen: set[Path] = set()
    out: list[tuple[Path, str | None]] = []

    def add(p: Path, reason: str | None) -> None:
        try:
            key = p.resolve()
        except OSError:
            key = p.absolute()
        if key in seen or key in excluded:
            return
        seen.add(key)
        out.append((p, reason))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if name.lower().endswith(LISTED_EXTS):
                        found.append(Path(root) / name)
            for f in sorted(found, key=lambda x: str(x)):
                add(f, _ignore_reason(f))
        elif p.exists():
            reason = _ignore_reason(p)
            add(p, reason if reason and p.name.startswith("~$") else None)
        else:
            add(p, "!文件或文件夹不存在")
    return out


def _ignore_reason(p: Path) -> str | None:
    if p.name.startswith("~$"):
        return "Office 临时锁文件（工作簿在 Excel/WPS 中打开时产生），已忽略"
    if p.name.startswith("."):
        return "隐藏文件，已忽略"
    return None


def _looks_like_summary(path: Path) -> bool:
    """An xlperf summary (big, with 部门汇总 and 文件清单 sheets), checked before reading it whole."""
    try:
        if path.stat().st_size < 2_000_000 or not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as zf:
            wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        return all(f'name="{s}"' in wb for s in SUMMARY_SHEETS)
    except Exception:
        return False


def _display(p: Path) -> str:
    """The path as shown in the summary: relative to the working directory when below it."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)
