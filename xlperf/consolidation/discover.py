"""Finding the inputs of a consolidation: files and folders (recursive), lock and hidden files listed as
忽略, paths that do not exist listed as 跳过, xlperf summaries recognised before they are read."""

from __future__ import annotations

import functools
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from .schema import SUMMARY_SHEETS

WORKBOOK_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
# also picked up in folders, to be listed as 跳过 with the reason (另存为 .xlsx), never silently left out
LISTED_EXTS = WORKBOOK_EXTS + (".et", ".ett", ".xlsb")

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
    resolved: dict[str, Path] = {}  # folder -> resolved folder, for this call

    def add(p: Path, reason: str | None) -> None:
        key = _key(p, resolved)
        if key in seen or key in excluded:
            return
        seen.add(key)
        out.append((p, reason))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found: list[tuple[Path, str | None]] = []
            # a folder os.walk cannot list: say so, never leave its workbooks out silently
            unreadable = functools.partial(_unreadable_folder, found, p)
            for root, dirs, files in os.walk(p, onerror=unreadable):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if name.lower().endswith(LISTED_EXTS):
                        f = Path(root) / name
                        found.append((f, _link_problem(f) or _ignore_reason(f)))
            for f, reason in sorted(found, key=lambda x: str(x[0])):
                add(f, reason)
        elif p.exists():
            reason = _ignore_reason(p)
            add(p, reason if reason and p.name.startswith("~$") else None)
        else:
            add(p, _link_problem(p) or "!文件或文件夹不存在")
    return out


def check_outputs(inputs: Iterable[str | Path], outputs: Iterable[str | Path | None]) -> None:
    """Refuse outputs that would destroy an input or each other: an output that is one of the input
    files, or an existing workbook inside a folder being read (it is one of the inputs), or the same
    path as another output. ``-`` (standard output) and None are skipped. A new file inside an input
    folder is fine (the ribbon writes its summary beside the inputs; summaries are never read back)."""
    from ..errors import WriteRefusedError

    files, folders = set(), []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            folders.append(_key(p))
        elif p.exists():
            files.add(_key(p))
    seen: dict[Path, str] = {}
    for raw in outputs:
        if raw is None or str(raw) == "-":
            continue
        o = _key(Path(raw))
        if o in seen:
            raise WriteRefusedError(f"两个输出都写到 {raw}（{seen[o]}）；请给每个输出不同的文件名")
        seen[o] = str(raw)
        if o in files:
            raise WriteRefusedError(f"输出文件 {raw} 是输入文件之一；输入文件不会被修改，请另选输出文件名")
        if o.exists() and o.name.lower().endswith(LISTED_EXTS) and any(f in o.parents for f in folders) \
                and not _is_summary(o):
            raise WriteRefusedError(f"输出文件 {raw} 是要汇总的文件夹中已有的工作簿（也是输入之一），不能覆盖；"
                                    "请另选文件名或放到其他文件夹")


def _key(p: Path, dirs: dict[str, Path] | None = None) -> Path:
    """The path files are compared by: resolved, or absolute where it cannot be (a symlink loop)."""
    try:
        return _resolved(p, dirs)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return p.absolute()


def _resolved(p: Path, dirs: dict[str, Path] | None = None) -> Path:
    """``p.resolve()`` (raising what it raises). ``dirs``: the folders resolved so far (folder -> resolved),
    for the many files of one folder: a path whose last part is not a symbolic link resolves to its
    resolved folder joined with its name."""
    if dirs is not None and p.name not in ("", ".", ".."):
        try:
            link = p.is_symlink()
        except OSError:
            link = True
        if not link:
            folder = str(p.parent)
            real = dirs.get(folder)
            if real is None:
                real = dirs[folder] = p.parent.resolve()
            return real / p.name
    return p.resolve()


def _is_summary(path: Path) -> bool:
    """An earlier xlperf summary (its sheets 部门汇总 … 文件清单), which may be replaced: it is never read as
    an input."""
    from ..io.readers import workbook_info

    try:
        with zipfile.ZipFile(path) as zf:
            return SUMMARY_SHEETS <= set(workbook_info(zf).parts)
    except Exception:
        return False


def _unreadable_folder(found: list[tuple[Path, str | None]], top: Path, err: OSError) -> None:
    where = Path(err.filename) if err.filename else top
    found.append((where, f"!无法读取文件夹（{err.strerror or err}），其中的工作簿未汇总"))


def _link_problem(p: Path) -> str | None:
    """Why a path found in a folder cannot be read as a file, before anything opens it."""
    try:
        if p.is_symlink() and not p.exists():
            try:
                p.resolve(strict=True)
            except RuntimeError:
                return "!符号链接循环（链接指向自身），无法读取"
            except OSError as exc:
                if exc.errno == 40:  # ELOOP
                    return "!符号链接循环（链接指向自身），无法读取"
            return "!符号链接指向的文件不存在"
    except OSError:
        return "!无法读取该路径"
    return None


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
    except OSError:
        return False
    return _is_summary(path)


def _display(p: Path, cwd: Path | None = None, dirs: dict[str, Path] | None = None) -> str:
    """The path as shown in the summary: relative to the working directory when below it. A name that
    is not valid UTF-8 (unpacked from a zip made on Chinese Windows) is shown decoded as GB18030.
    ``cwd`` (the resolved working directory) and ``dirs`` (see :func:`_resolved`): worked out once for a batch."""
    try:
        shown = str(_resolved(p, dirs).relative_to(cwd if cwd is not None else Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        shown = str(p)
    return readable_name(shown)


def readable_name(name: str) -> str:
    """``name`` with any undecodable bytes (surrogate escapes) decoded as GB18030, else replaced."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace")
