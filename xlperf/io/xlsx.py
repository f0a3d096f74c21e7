"""openpyxl adapter: apply an edit list to a workbook and save it without losing the user's data.

* text is written as text (``set_text``): a value starting with ``=`` never becomes a formula;
* ``save_workbook`` writes to a temporary file and renames it over the target (atomic), takes a
  timestamped backup before replacing an input in place, and refuses to rewrite in place a file
  holding parts that openpyxl drops (ribbon, images, charts, form controls, ...).
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..core.edits import (
    DeleteSheet,
    Edit,
    InsertRows,
    Merge,
    RestoreFill,
    SetFill,
    SetFormula,
    SetNote,
    SetValue,
    Unmerge,
    WriteTable,
)
from ..core.grid import a1
from ..errors import WriteRefusedError

# zip part prefixes openpyxl does not carry through a load/save round trip
LOSSY_PARTS: dict[str, str] = {
    "customUI/": "功能区（ribbon）定制",
    "customUI14": "功能区（ribbon）定制",
    "xl/media/": "图片",
    "xl/charts/": "图表",
    "xl/drawings/": "图形/图片",
    "xl/ctrlProps/": "表单控件",
    "xl/activeX/": "ActiveX 控件",
    "xl/embeddings/": "嵌入对象",
    "xl/slicers/": "切片器",
    "xl/slicerCaches/": "切片器",
    "xl/timelines/": "日程表",
    "xl/pivotTables/": "数据透视表",
    "xl/vbaProject.bin": "VBA 宏",
    "xl/threadedComments/": "新式批注（对话式批注）",
    "xl/persons/": "新式批注（对话式批注）",
    "xl/connections.xml": "数据连接",
    "xl/queryTables/": "数据连接（查询表）",
    "customXml/": "自定义 XML 数据",
    "xl/richData/": "单元格中的图片等富数据",
    "xl/model/": "数据模型",
}
# inline formatting inside a cell (part of the text bold or red): openpyxl loads it as plain text
_RICH_TEXT = re.compile(rb"<(?:\w+:)?r>\s*<(?:\w+:)?rPr")

_X14_DV = re.compile(rb"<x14:dataValidation|<x14:conditionalFormatting|<x14:sparklineGroups")


def lossy_parts(path: str | Path) -> list[str]:
    """Chinese names of the parts of ``path`` that an openpyxl round trip would drop."""
    found: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            # cell notes live in xl/drawings/commentsDrawing*.vml and survive a round trip
            names = [n for n in names if not (n.startswith("xl/drawings/") and n.endswith((".vml", ".vml.rels")))]
            for prefix, label in LOSSY_PARTS.items():
                if any(n.startswith(prefix) for n in names) and label not in found:
                    found.append(label)
            if any(n.lower().endswith("vbaproject.bin") for n in names) and "VBA 宏" not in found:
                found.append("VBA 宏")  # a macro project outside xl/ (main part elsewhere)
            lower = {n.lower(): n for n in names}
            for prefix, label in LOSSY_PARTS.items():  # part names compared without case, as Excel does
                if label not in found and any(k.startswith(prefix.lower()) for k in lower):
                    found.append(label)
            strings = lower.get("xl/sharedstrings.xml")
            if strings is not None:
                with zf.open(strings) as fh:
                    if _RICH_TEXT.search(fh.read(64 * 1024 * 1024)):
                        found.append("单元格内的富文本格式（部分文字加粗、变色等）")  # noqa: RUF001
            rich = "单元格内的富文本格式（部分文字加粗、变色等）"
            for n in names:
                if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"):
                    with zf.open(n) as fh:
                        data = fh.read()
                    if rich not in found and _RICH_TEXT.search(data):  # inline strings with runs
                        found.append(rich)
                    if _X14_DV.search(data):
                        found.append("扩展数据验证/条件格式（引用其他工作表的下拉列表等）")
                        break
    except (zipfile.BadZipFile, OSError):
        return []
    return found


_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_CELL_CHARS = 32767  # Excel's limit for one cell


def safe_text(value: str) -> str:
    """Text that a cell can hold: control characters replaced, cut at Excel's 32,767 characters."""
    value = _ILLEGAL_CHARS.sub("\ufffd", value)
    return value if len(value) <= MAX_CELL_CHARS else value[: MAX_CELL_CHARS - 1] + "…"


def set_text(cell: Any, value: Any) -> None:
    """Assign a value; strings are always stored as text (``'=HYPERLINK(...)'`` stays text)."""
    if isinstance(value, str):
        value = safe_text(value)
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


def _sheet(wb: Any, default: Any, name: str | None) -> Any:
    if name is None:
        return default
    if name in wb.sheetnames:
        return wb[name]
    return wb.create_sheet(name)


def apply_edits(wb: Any, ws: Any, edits: Iterable[Edit]) -> None:
    """Apply ``edits`` to openpyxl workbook ``wb``; ``ws`` is the form's sheet."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    for e in edits:
        if isinstance(e, SetValue):
            sh = _sheet(wb, ws, e.sheet)
            cell = _writable(sh, e.row, e.col)
            set_text(cell, e.value)
            if e.number_format:
                cell.number_format = e.number_format
        elif isinstance(e, SetFormula):
            sh = _sheet(wb, ws, e.sheet)
            _writable(sh, e.row, e.col).value = e.formula
        elif isinstance(e, InsertRows):
            from .rows import insert_rows

            insert_rows(wb, _sheet(wb, ws, e.sheet), e.row, e.count, style_from=e.style_from)
        elif isinstance(e, Merge):
            _sheet(wb, ws, e.sheet).merge_cells(f"{a1(e.r0, e.c0)}:{a1(e.r1, e.c1)}")
        elif isinstance(e, Unmerge):
            sh = _sheet(wb, ws, e.sheet)
            ref = f"{a1(e.r0, e.c0)}:{a1(e.r1, e.c1)}"
            if any(str(m) == ref for m in sh.merged_cells.ranges):
                sh.unmerge_cells(ref)
        elif isinstance(e, SetFill):
            cell = _sheet(wb, ws, e.sheet).cell(e.row + 1, e.col + 1)
            if e.color:
                cell.fill = PatternFill(fill_type="solid", start_color=e.color, end_color=e.color)
            else:
                cell.fill = PatternFill(fill_type=None)
        elif isinstance(e, RestoreFill):
            if e.sheet is None or e.sheet in wb.sheetnames:
                _sheet(wb, ws, e.sheet).cell(e.row + 1, e.col + 1).fill = fill_from_spec(e.spec)
        elif isinstance(e, SetNote):
            cell = _sheet(wb, ws, e.sheet).cell(e.row + 1, e.col + 1)
            if e.text:
                c = Comment(e.text, e.author)
                c.width, c.height = 300, 120
                cell.comment = c
            else:
                cell.comment = None
        elif isinstance(e, WriteTable):
            write_table(wb, e)
        elif isinstance(e, DeleteSheet):
            if e.sheet in wb.sheetnames:
                del wb[e.sheet]
        else:  # pragma: no cover - a new edit type without an adapter is a bug
            raise TypeError(f"no openpyxl adapter for {type(e).__name__}")


def fill_spec(cell: Any) -> str:
    """The fill descriptor of an openpyxl cell (see :mod:`xlperf.core.marks`)."""
    import copy

    from openpyxl.styles import PatternFill
    from openpyxl.xml.functions import tostring

    f = copy.copy(cell.fill)  # the cell gives a StyleProxy; compare the fill itself
    if f is None or (isinstance(f, PatternFill) and f.fill_type is None):
        return ""
    if isinstance(f, PatternFill) and f.fill_type == "solid" and f.fgColor.type == "rgb":
        rgb = f.fgColor.rgb
        if isinstance(rgb, str) and len(rgb) == 8:
            if PatternFill(fill_type="solid", start_color=rgb[2:], end_color=rgb[2:]) == f:
                return rgb[2:].upper()
    return "xml:" + tostring(f.to_tree()).decode("utf-8")


def fill_from_spec(spec: str) -> Any:
    """An ``xml:<fill>`` descriptor back to an openpyxl fill; anything unreadable gives no fill."""
    from defusedxml.ElementTree import fromstring
    from openpyxl.styles import PatternFill
    from openpyxl.styles.fills import Fill

    text = spec[4:] if spec.startswith("xml:") else ""
    if not text or len(text) > 4000:
        return PatternFill(fill_type=None)
    try:
        return Fill.from_tree(fromstring(text))
    except Exception:  # a damaged bookkeeping cell must not stop the clean-up
        return PatternFill(fill_type=None)


def _writable(ws: Any, row: int, col: int) -> Any:
    """The cell at (row, col); when it sits inside a merged block, its top-left cell."""
    for m in ws.merged_cells.ranges:
        if m.min_row <= row + 1 <= m.max_row and m.min_col <= col + 1 <= m.max_col:
            return ws.cell(m.min_row, m.min_col)
    return ws.cell(row + 1, col + 1)


def write_table(wb: Any, e: WriteTable) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    from ..core.text import text_lines

    if e.sheet in wb.sheetnames:
        del wb[e.sheet]
    ws = wb.create_sheet(e.sheet)
    if e.hidden:
        ws.sheet_state = "hidden"
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill(fill_type="solid", start_color="4472C4", end_color="4472C4")
    for c, h in enumerate(e.header, start=1):
        cell = ws.cell(1, c)
        set_text(cell, h)
        cell.font, cell.fill = head_font, head_fill
    link_font = Font(color="0563C1", underline="single")
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = list(e.widths or [])
    for r, row in enumerate(e.rows, start=2):
        lines = 1
        for c, v in enumerate(row, start=1):
            cell = ws.cell(r, c)
            set_text(cell, v)
            if isinstance(v, str) and c <= len(widths) and (n := text_lines(v, widths[c - 1])) > 1:
                cell.alignment = wrap  # long text wraps within its column (and prints whole)
                lines = max(lines, n)
            target = e.links.get((r - 2, c - 1))
            if target:  # an internal link is a location, as Excel writes it (a "#..." target is external)
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target)
                cell.font = link_font
        if lines > 1:
            ws.row_dimensions[r].height = 15.0 * lines
    if e.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(e.header))}{len(e.rows) + 1}"
    ws.freeze_panes = "A2"
    for c, w in enumerate(e.widths or [], start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    if not e.hidden:  # prints A4 landscape, one page wide, the header row on every page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.oddHeader.center.text = e.sheet.replace("&", "&&")
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def backup_path(folder: Path, name: str) -> Path:
    """The one backup naming: ``NAME.bak-YYYYmmdd-HHMMSS.EXT`` in ``folder`` (``-2``, ``-3``… when
    taken). File commands put it beside the input, the Excel buttons in ``~/.xlperf/backups``."""
    import re

    stem, dot, ext = name.rpartition(".")
    if not dot or not ext or len(ext) > 5:
        stem, ext = name, "xlsx"
    stem = re.sub(r'[\\/:*?"<>|]', "_", stem) or "workbook"
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = Path(folder) / f"{stem}.bak-{stamp}.{ext}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = Path(folder) / f"{stem}.bak-{stamp}-{n}.{ext}"
    return candidate


def atomic_write(target: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file over ``target``.

    The result gets the permissions of the file it replaces, or the usual ones for a new file (the
    temporary file is created private, 0600)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask() sets it, process-wide, for a moment)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def resolve_output(source: Path, out: str | Path | None, in_place: bool, *, suffix: str = ".xlperf") -> tuple[Path, bool]:
    """Where a modifying command writes: ``-o OUT``, ``--in-place``, or ``NAME.xlperf.xlsx`` beside
    the input (``NAME.xlperf-2.xlsx``… when that exists). Returns (target, replaces_source)."""
    if in_place and out is not None:
        raise WriteRefusedError("--in-place 与 -o 不能同时使用")
    if in_place:
        return source, True
    if out is not None:
        target = Path(out)
        if target.is_dir():
            raise WriteRefusedError("输出路径是一个文件夹，请给出 .xlsx 文件名", path=str(target))
        if target.suffix.lower() != ".xlsx":
            raise WriteRefusedError("输出文件须为 .xlsx（xlperf 不写入宏，输出一律为不含宏的 .xlsx）", path=str(target))
        if target.exists() and target.resolve() == source.resolve():
            raise WriteRefusedError("输出文件与输入文件相同；要覆盖原文件请使用 --in-place（会先自动备份）")
        return target, False
    return free_name(source.with_name(f"{source.stem}{suffix}.xlsx")), False


def free_name(target: Path) -> Path:
    """``target``, or when a file of that name exists, the first free ``STEM-2.xlsx``, ``STEM-3.xlsx``…:
    a default output never replaces a file the user did not name (another command's output)."""
    n = 1
    candidate = target
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate


def check_rewrite(source: Path, in_place: bool) -> None:
    """Refuse to replace ``source`` when the rewrite would lose parts of it; warn when an output
    beside it will not carry them."""
    lost = lossy_parts(source)
    if lost and in_place:
        raise WriteRefusedError(
            "拒绝原位改写：该工作簿含有保存后会丢失的内容（" + "、".join(lost) + "）；请用 -o 另存为新文件", path=str(source)
        )
    if in_place and source.suffix.lower() != ".xlsx":
        raise WriteRefusedError(
            f"拒绝原位改写 {source.suffix} 文件：xlperf 只写入不含宏的 .xlsx；请用 -o 另存为 .xlsx", path=str(source)
        )
    if lost:
        import sys

        print(f"注意：{source} 中的 " + "、".join(lost) + " 不会保留在输出文件中", file=sys.stderr)


def save_workbook(wb: Any, target: Path, *, source: Path | None = None, in_place: bool = False,
                  backup: bool = True) -> Path | None:
    """Save ``wb`` to ``target`` atomically. In place: refuse lossy files, back up first (unless the
    caller already did: ``backup=False``, as :class:`xlperf.io.books.FileBook` does).

    Returns the backup path when one was made.
    """
    from .cached import save_with_values

    made = None
    if source is not None and backup:
        check_rewrite(source, in_place)
    # outputs are plain .xlsx workbooks: never a macro project (kept by keep_vba, with its ribbon), never
    # a template's content type (Excel refuses an .xlsx that declares either)
    wb.vba_archive = None
    if Path(target).suffix.lower() == ".xlsx":
        wb.template = False
    try:
        if in_place and source is not None and backup:
            made = backup_path(source.parent, source.name)
            shutil.copy2(source, made)
        atomic_write(target, lambda tmp: save_with_values(wb, tmp))
    except BaseException as exc:
        if made is not None:  # the original was not replaced: its copy is not needed
            made.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(exc, target) from exc
        raise
    return made


def write_error(exc: OSError, target: Path) -> WriteRefusedError:
    """The one-line message for an output that cannot be written (disk full, no permission, ...)."""
    hint = "；文件可能正在 Excel/WPS 中打开，请关闭后重试" if isinstance(exc, PermissionError) else ""
    why = _ERRNO_ZH.get(exc.errno or 0) or exc.strerror or str(exc)
    return WriteRefusedError(f"无法写入 {target}（{why}）{hint}")


_ERRNO_ZH = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "只读文件系统",
    errno.EEXIST: "路径中有同名文件",
    errno.ENOTDIR: "路径中有同名文件",
    errno.EISDIR: "目标是一个文件夹",
    errno.ENOENT: "路径不存在",
    errno.ENAMETOOLONG: "文件名过长",
}
