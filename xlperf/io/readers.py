"""Readers into :class:`~xlperf.core.grid.Grid`.

* ``fast`` (default): python-calamine for values and merges (``.xlsx .xlsm .xls .ods``; ``.xlsb`` is refused), plus a
  regex scan of the sheet XML for formulas, so totals without a cached result can be recomputed;
* ``openpyxl``: the workbook object the file adapters edit; formulas and values both reachable;
* pasted text: tab-separated, as copied out of Excel.

Every path goes through :mod:`xlperf.io.safety` first.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.grid import Grid, MergedRange, parse_a1
from ..errors import (
    EncryptedFileError,
    UnreadableFileError,
    UnsafeFileError,
    UnsupportedFormatError,
    XlperfError,
)
from . import safety

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from ..core.model import Form

TEXT_EXTS = (".txt", ".tsv", ".csv", ".tab")
ZIP_EXTS = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xlam", ".ods")

_FORMULA_RE = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*?(?<!/)>(?:<is>.*?</is>)?<f(?:\s[^>]*)?>([^<]+)</f>')


def read_text(source: str | Path, *, sheet: str = "粘贴文本") -> Grid:
    """Tab-separated text (Excel's clipboard format) into a Grid.

    Lines starting with ``# `` are comments (notes in the bundled examples); cells quoted by Excel
    (those holding newlines or tabs) are unquoted.
    """
    if isinstance(source, Path):
        safety.sniff(source)  # a regular, non-empty file (a FIFO or a device would block the read)
        with source.open("rb") as fh:
            data = fh.read(safety.MAX_TEXT_BYTES + 1)
        if len(data) > safety.MAX_TEXT_BYTES:
            raise UnsafeFileError("文本文件过大，拒绝处理", path=str(source))
        text = _decode(data, source)
        src = str(source)
    else:
        text, src = source, None
        if len(text) > safety.MAX_TEXT_BYTES:
            raise UnsafeFileError("粘贴的文本过大，拒绝处理")
    lines = [ln for ln in text.splitlines() if not re.match(r"^#\s", ln)]
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter="\t", quotechar='"', strict=True))
    except csv.Error:
        # not what Excel writes (an unterminated quote, a field beyond csv's limit): take the tabs as
        # they are, quotes included
        rows = [ln.split("\t") for ln in lines]
    if any(len(v) > MAX_CELL_CHARS for row in rows for v in row):
        raise UnreadableFileError(f"有单元格超过 Excel 的 {MAX_CELL_CHARS:,} 字符上限：这不是从 Excel 复制出的文本",
                                  path=src)
    cleaned = [[_text_cell(v) for v in row] for row in rows]
    return Grid.read_rows(cleaned, sheet=sheet, source=src)


MAX_CELL_CHARS = 32767  # Excel's limit for one cell


def _text_cell(v: str) -> Any:
    v = v.strip("\r")
    return v if v.strip() else None


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFileError("不是文本文件，也不是可识别的工作簿（文件可能已损坏）", path=str(path))
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            if enc == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError("无法识别文本文件的编码（请另存为 UTF-8）", path=str(path))


@dataclass(frozen=True)
class WorkbookInfo:
    """From ``xl/workbook.xml``: sheet name -> part name inside the zip, the active sheet's index, how many
    sheet entries there are and the part each points at (lower-cased; None when it points nowhere)."""

    parts: dict[str, str]
    active: int | None
    entries: int = 0
    targets: tuple[str | None, ...] = ()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_SMALL_PART = 32 * 1024 * 1024  # workbook.xml, its relationships, styles.xml: never near this


def _xml(zf: zipfile.ZipFile, name: str) -> Any | None:
    """A small XML part parsed, or None when missing or unreadable (see :func:`_part`)."""
    return _parse(_part(zf, name))


def _parse(data: bytes | None) -> Any | None:
    from xml.etree.ElementTree import fromstring

    if data is None:
        return None
    try:
        return fromstring(data)
    except Exception:
        return None


def _part(zf: zipfile.ZipFile, name: str) -> bytes | None:
    """The bytes of a small XML part, or None when missing.

    Guarded here, where the bytes are decoded, whatever :func:`xlperf.io.safety.check_zip` looked at:
    a part beyond 32 MB is not read, and a part holding a DTD is refused. Without a DTD there are no
    entities to expand, so the C parser is safe (and five times faster than defusedxml's hooks)."""
    real = _member(zf, name)
    if real is None:
        return None
    info = zf.getinfo(real)
    if info.file_size > _SMALL_PART:
        raise UnsafeFileError(f"{real} 过大（{info.file_size // (1024 * 1024)} MB），拒绝处理")
    kept = getattr(zf, "checked", {}).get(real)  # inflated (and size-checked) by check_zip
    if kept is not None:
        data = kept
    else:
        with zf.open(info) as fh:
            data = fh.read(_SMALL_PART + 1)
    if len(data) > _SMALL_PART:
        raise UnsafeFileError(f"{real} 实际大小超过声明大小，拒绝处理")
    if safety._DTD_RE.search(data):
        raise UnsafeFileError(f"{real} 含有 DTD/实体声明（可能是 XML 炸弹），拒绝处理")
    return data


# what workbook_info / percent_styles found, by the bytes they read (departments fill in copies of one
# template: most files of a batch share their styles and workbook parts); bounded
_MEMO: dict[tuple[Any, ...], Any] = {}
_MEMO_LOCK = threading.Lock()


def _memo(key: tuple[Any, ...], make: Any) -> Any:
    if sum(len(k) for k in key if isinstance(k, bytes)) > 256 * 1024:
        return make()
    hit = _MEMO.get(key)
    if hit is None:
        hit = make()
        with _MEMO_LOCK:
            if len(_MEMO) >= 256:
                _MEMO.clear()
            _MEMO[key] = hit
    return hit


def _member(zf: zipfile.ZipFile, name: str) -> str | None:
    """The zip member called ``name``, compared without case (Excel does; zip names are case-sensitive)."""
    try:
        zf.getinfo(name)
        return name
    except KeyError:
        low = name.lower()
        return next((n for n in zf.namelist() if n.lower() == low), None)


def workbook_info(zf: zipfile.ZipFile) -> WorkbookInfo:
    book, links = _part(zf, "xl/workbook.xml"), _part(zf, "xl/_rels/workbook.xml.rels")
    info = _memo(("info", book, links, tuple(zf.namelist())), lambda: _workbook_info(zf, book, links))
    return WorkbookInfo(dict(info.parts), info.active, info.entries, info.targets)


def _workbook_info(zf: zipfile.ZipFile, book: bytes | None, links: bytes | None) -> WorkbookInfo:
    root, rels = _parse(book), _parse(links)
    if root is None:
        return WorkbookInfo({}, None)
    targets: dict[str, str] = {}
    for el in (rels.iter() if rels is not None else ()):
        if _local(el.tag) == "Relationship" and el.get("Id") and el.get("Target"):
            t = el.get("Target")
            part = t.lstrip("/") if t.startswith("/") else "xl/" + t
            targets[el.get("Id")] = _member(zf, part) or part
    parts: dict[str, str] = {}
    active: int | None = None
    sheet_targets: list[str | None] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id" and k.startswith("{")), None)
            target = targets.get(rid or "")
            sheet_targets.append(target.lower() if target else None)
            if el.get("name") is not None and target is not None:
                parts[el.get("name")] = target
        elif name == "workbookView" and active is None:
            try:
                active = int(el.get("activeTab", "0"))
            except ValueError:
                active = None
    return WorkbookInfo(parts, active, len(sheet_targets), tuple(sheet_targets))


MAX_SHEETS = 1000  # a department's workbook has a handful; Excel's own practical limit is memory


def check_sheet_entries(zf: zipfile.ZipFile, path: Path) -> None:
    """Refuse a workbook whose sheet list would make the readers read the same part again and again:
    more than :data:`MAX_SHEETS` entries, or several entries pointing at one part (counted from the
    parsed ``workbook.xml``, whatever its spelling)."""
    info = workbook_info(zf)  # the one parse of the sheet list (memoised), shared with the readers
    for part in set(info.parts.values()):  # a sheet whose name check_zip did not take for XML
        if part in zf.namelist():
            safety.guard_part(zf, part, path)
    if info.entries > MAX_SHEETS:
        raise UnsafeFileError(f"工作表超过 {MAX_SHEETS} 个，拒绝处理", path=str(path))
    pointed = [t for t in info.targets if t]
    if len(set(pointed)) != len(pointed):
        raise UnsafeFileError("多个工作表指向同一个工作表部件（文件被改造过），拒绝处理", path=str(path))


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside the zip."""
    return workbook_info(zf).parts


_PERCENT_BUILTIN = {9, 10}  # 0%  0.00%


def percent_styles(zf: zipfile.ZipFile) -> frozenset[int]:
    """Indices of the cell styles (``cellXfs``) whose number format shows a percentage."""
    data = _part(zf, "xl/styles.xml")
    return _memo(("styles", data), lambda: _percent_styles(data))


def _percent_styles(data: bytes | None) -> frozenset[int]:
    from ..core.cells import is_percent_format

    root = _parse(data)
    if root is None:
        return frozenset()
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "numFmt":
            try:
                custom[int(el.get("numFmtId", ""))] = el.get("formatCode") or ""
            except ValueError:
                continue
        elif name == "cellXfs":
            for xf in el:
                try:
                    xfs.append(int(xf.get("numFmtId", "0")))
                except ValueError:
                    xfs.append(0)
    pct = {i for i, f in custom.items() if is_percent_format(f)} | (_PERCENT_BUILTIN - set(custom))
    return frozenset(i for i, f in enumerate(xfs) if f in pct)


_STYLED_CELL = re.compile(rb"""<c\s[^>]*?\bs\s*=\s*["'](\d+)["'][^>]*>""")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3}[0-9]{1,7})["']""")


def scan_sheet(zf: zipfile.ZipFile, part: str, percent: frozenset[int] = frozenset()
               ) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """One read of a sheet part: its formulas, and the cells styled with a percent format."""
    try:
        data = safety.read_checked(zf, part)
    except KeyError:
        return {}, set()
    if safety.spelled_otherwise(zf, part):  # quotes, prefixes, references …: parsed, not pattern-matched
        return safety.xmlguard.scan_cells(data, percent)
    cells: set[tuple[int, int]] = set()
    if percent:
        for m in _STYLED_CELL.finditer(data):
            if int(m.group(1)) in percent:
                ref = _CELL_REF.search(m.group(0))
                if ref:
                    cells.add(parse_a1(ref.group(1).decode()))
    return _formula_scan(data, safety.formula_tags(zf, part)), cells


def _formula_scan(data: bytes, tags: tuple[int, ...] | None = None) -> dict[tuple[int, int], str]:
    """The formulas of a canonical sheet part. ``tags``: where ``<f`` stands in it (the guard's
    :func:`xlperf.io.xmlguard.formula_tags` of these bytes), else searched here."""
    out: dict[tuple[int, int], str] = {}
    for pos in (_formula_tags(data) if tags is None else tags):
        start = data.rfind(b"<c ", 0, pos)
        m = _FORMULA_RE.match(data, start) if start != -1 else None
        if m:
            out[parse_a1(m.group(1).decode())] = "=" + html.unescape(m.group(2).decode("utf-8"))
    return out


def _formula_tags(data: bytes) -> Iterator[int]:
    pos = data.find(b"<f")
    while pos != -1:
        yield pos
        pos = data.find(b"<f", pos + 2)


def _open_calamine(path: Path, password: str | None, kind: str | None = None):
    """(python-calamine workbook, the checked zip or None). ``kind``: what :func:`safety.sniff` and
    :func:`safety.check_extension` found when the caller ran them just before (not run again)."""
    import python_calamine as pc

    if kind is None:
        kind = safety.sniff(path)
        safety.check_extension(path)
    zf = None
    if kind == "zip":
        zf = safety.check_zip(path)
        try:
            check_sheet_entries(zf, path)
        except BaseException:
            zf.close()
            raise
        if path.suffix.lower() not in (".ods",) and "xl/workbook.xml" not in zf.namelist():
            if "content.xml" in zf.namelist():
                pass  # an .ods under another name
            else:
                raise UnreadableFileError("不是 Excel 工作簿（压缩包中没有 xl/workbook.xml）", path=str(path))
    elif kind == "ole":
        try:
            safety.check_ole(path)
        except EncryptedFileError:
            if not password:
                raise
            return _decrypt(path, password), None
    elif kind == "text":
        return None, None
    try:
        whole = getattr(zf, "whole", None)
        if whole is not None:  # the very bytes check_zip read and checked (no second read)
            return pc.CalamineWorkbook.from_filelike(io.BytesIO(whole)), zf
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:  # a name that is not UTF-8 (from a zip made on Chinese Windows)
            with path.open("rb") as fh:
                return pc.CalamineWorkbook.from_filelike(io.BytesIO(fh.read())), zf
        return pc.CalamineWorkbook.from_path(str(path)), zf
    except Exception as exc:
        raise _calamine_error(exc, path) from exc


def _decrypt(path: Path, password: str):
    try:
        import msoffcrypto
    except ImportError as exc:
        raise EncryptedFileError("文件已加密；解密需要安装 msoffcrypto-tool（pip install xlperf[crypto]）", path=str(path)) from exc
    import python_calamine as pc

    out = io.BytesIO()
    try:
        with path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=password)
            office.decrypt(out)
    except Exception as exc:
        raise EncryptedFileError("文件已加密，密码不正确或无法解密", path=str(path)) from exc
    # the decrypted workbook gets the checks every other file gets
    if out.getbuffer()[:4] == safety.ZIP_MAGIC:
        safety.check_zip(path, data=out).close()
    elif out.getbuffer()[:8] == safety.OLE_MAGIC:
        safety.check_xls(out.getvalue(), path)
    out.seek(0)
    return pc.CalamineWorkbook.from_filelike(out)


def _calamine_error(exc: Exception, path: Path) -> XlperfError:
    name = type(exc).__name__
    if name == "PasswordError":
        return EncryptedFileError("文件已加密（有打开密码），请去掉密码后再处理，或使用 --password", path=str(path))
    return UnreadableFileError(f"文件已损坏或格式无法识别（{name}）", path=str(path))


def read_grids(
    path: str | Path, *, sheet: str | None = None, password: str | None = None, engine: str = "fast"
) -> list[Grid]:
    """The named sheet, or every visible sheet, of a workbook or text file, as Grids.

    ``engine="fast"`` uses python-calamine (all formats); ``engine="openpyxl"`` loads ``.xlsx/.xlsm``
    with openpyxl and falls back to the fast reader for other formats. Both give the same grids.
    """
    from .books import open_book

    with open_book(path, password=password, engine=engine) as book:
        infos = book.sheets()
        names = [i.name for i in infos]
        if sheet is not None:
            if sheet not in names:
                raise UnreadableFileError(f"找不到工作表「{sheet}」（现有：{'、'.join(names)}）", path=str(path))
            return [book.grid(sheet)]
        # hidden sheets hold lists and bookkeeping, never the form a clerk fills in
        visible = [i.name for i in infos if not i.hidden] or names
        return [book.grid(n) for n in visible]


def grid_from_worksheet(ws: Worksheet, *, source: str | None = None) -> Grid:
    """An openpyxl worksheet (loaded with formulas, not data_only) as a normalised Grid."""
    from ..core.cells import is_percent_format

    values: dict[tuple[int, int], Any] = {}
    formulas: dict[tuple[int, int], str] = {}
    formats: dict[tuple[int, int], str] = {}
    for row in ws.iter_rows():
        for cell in row:
            v = cell.value
            if v is None or v == "":
                continue
            key = (cell.row - 1, cell.column - 1)
            if cell.data_type == "f":
                formulas[key] = str(v) if not hasattr(v, "text") else str(v.text)
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                fmt = cell.number_format
                if fmt and is_percent_format(fmt):
                    formats[key] = fmt
            values[key] = v
    merges = [
        MergedRange(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges
    ]
    return Grid.read(values, sheet=ws.title, formulas=formulas, merges=merges, formats=formats, source=source)


def open_workbook(path: str | Path, *, keep_vba: bool = False):
    """openpyxl workbook after the safety checks; xlperf errors for everything that goes wrong."""
    import openpyxl

    path = Path(path)
    kind = safety.sniff(path)
    safety.check_extension(path)
    if kind == "ole":
        try:
            safety.check_ole(path, extent=False)  # refused below anyway
        except EncryptedFileError as exc:  # no --password here: the file would be written back unencrypted
            raise EncryptedFileError("文件已加密（有打开密码），不能直接修改；请在 Excel 中去掉密码后再处理",
                                     path=str(path)) from exc
        raise UnsupportedFormatError("旧版 .xls 文件只能读取，不能直接修改；请在 Excel 中另存为 .xlsx", path=str(path))
    if kind != "zip":
        raise UnreadableFileError("不是 xlsx 工作簿（可能是改了扩展名的文本文件）", path=str(path))
    if path.suffix.lower() == ".ods":
        raise UnsupportedFormatError(".ods 文件只能读取，不能直接修改；请另存为 .xlsx", path=str(path))
    with safety.check_zip(path) as zf:
        check_sheet_entries(zf, path)
    try:
        with _memoised_merge_borders():
            return openpyxl.load_workbook(path, keep_vba=keep_vba, rich_text=False)
    except XlperfError:
        raise
    except Exception as exc:
        raise UnreadableFileError(f"文件已损坏或无法读取（{type(exc).__name__}）", path=str(path)) from exc


_MERGE_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _memoised_merge_borders() -> Iterator[None]:
    """openpyxl's ``MergedCellRange._get_borders`` and ``format`` with their border arithmetic
    memoised, while loading.

    Loading gives the start cell of every merged range the end cell's right and bottom sides, and
    every edge cell the start cell's sides, each with ``cell.border += Border(...)``: a new Border
    object hashed into the workbook's list, per cell. For a 10,000-task form (50,000 merged ranges)
    that took 60 of the 75 s of the load. Here the result is looked up by the border ids involved:
    the same border ids, the same cells, a few microseconds each."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.styles.borders import Border
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet.merge import MergedCellRange

    def styled(ws: Any, cells: dict[tuple[int, int], Any], coord: tuple[int, int]) -> Any:
        """The cell at ``coord`` (a new MergedCell where there is none), with a style array."""
        cell = cells.get(coord)
        if cell is None:
            cell = cells[coord] = MergedCell(ws, row=coord[0], column=coord[1])
        if not cell._style:
            cell._style = StyleArray()
        return cell

    def format(self: Any) -> None:  # noqa: A001 - openpyxl's method name
        ws = self.ws
        borders = ws.parent._borders
        cache: dict[tuple[int, str, int], int] = memo.setdefault(id(ws.parent), {})
        cells = ws._cells
        start = self.start_cell
        if not start._style:
            start._style = StyleArray()
        start_id = start._style.borderId
        start_border = borders[start_id]
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start_border, name)
            if side and side.style is None:
                continue  # no border on that side
            extra = None
            for coord in getattr(self, name):
                cell = styled(ws, cells, coord)
                key = (cell._style.borderId, name, start_id)
                new = cache.get(key)
                if new is None:
                    extra = extra or Border(**{name: side})
                    new = cache[key] = borders.add(borders[cell._style.borderId] + extra)
                cell._style.borderId = new
        protection = start._style.protectionId  # openpyxl copies the start cell's protection to all
        for coord in self.cells:
            styled(ws, cells, coord)._style.protectionId = protection

    def get_borders(self: Any) -> None:  # the start cell takes the right and bottom sides of the end cell
        ws = self.ws
        cells = ws._cells
        self.start_cell = start = cells.get((self.min_row, self.min_col)) or ws.cell(self.min_row, self.min_col)
        end = cells.get((self.max_row, self.max_col))
        if end is None:
            return
        for c in (start, end):
            if not c._style:
                c._style = StyleArray()
        borders = ws.parent._borders
        cache: dict[tuple[int, str, int], int] = memo.setdefault(id(ws.parent), {})
        key = (start._style.borderId, "end", end._style.borderId)
        new = cache.get(key)
        if new is None:
            end_border = borders[end._style.borderId]
            extra = Border(right=end_border.right, bottom=end_border.bottom)
            new = cache[key] = borders.add(borders[start._style.borderId] + extra)
        start._style.borderId = new

    memo: dict[int, dict[tuple[int, str, int], int]] = {}
    with _MERGE_PATCH_LOCK:
        originals = MergedCellRange.format, MergedCellRange._get_borders
        MergedCellRange.format, MergedCellRange._get_borders = format, get_borders  # type: ignore[method-assign]
        try:
            yield
        finally:
            MergedCellRange.format, MergedCellRange._get_borders = originals  # type: ignore[method-assign]


def load_form(
    path: str | Path, *, sheet: str | None = None, password: str | None = None, engine: str = "fast"
) -> Form:
    """The form on the named sheet, or on the sheet :func:`xlperf.workbook.form_sheet` chooses."""
    from ..workbook import form_sheet
    from .books import open_book

    with open_book(path, password=password, engine=engine) as book:
        return form_sheet(book, sheet).form


def load_forms(path: str | Path, *, password: str | None = None) -> list[Form]:
    """Every sheet that holds a form (a workbook may hold several departments)."""
    from ..workbook import form_sheets
    from .books import open_book

    with open_book(path, password=password) as book:
        return [fs.form for fs in form_sheets(book)[0]]
