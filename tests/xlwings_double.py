"""A test double of the part of xlwings' object model that ``xlperf.excel`` uses, backed by openpyxl.

It behaves as Excel does where that matters to the live layer:

* ``Range.value`` reads numbers as floats and merged (non top-left) cells as empty, and a string
  assigned to ``Range.value`` is parsed as if typed: ``'x`` is text ``x``, ``=…``/``+…``/``@…`` become
  formulas, ``12`` a number, ``50%`` a percent, ``TRUE`` a boolean, ``2024-1-2``/``2024年1月`` dates;
* ``Range.formula`` gives the formula of formula cells and the constant as text for the others;
* ``merge_area``, ``merge_cells``, ``insert`` (row insertion shifts merges and formulas like Excel:
  :func:`xlperf.io.rows.insert_rows`), multi-area addresses (``"B3,D7"``; 255 characters or more
  raise, as in Excel), notes, hyperlinks, hidden sheets, ``app.properties``, ``status_bar``, ``alert``.

Formulas are not calculated: a formula cell reads as empty, as the file readers see a formula saved
without a cached value. Every call is counted (``app.calls``) and every attribute used is logged
(``USED``) so that a test can check each against the real xlwings classes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, range_boundaries

#: (xlwings class name, attribute, kind, args, kwargs) of every use; kind is "get", "set" or "call".
USED: list[tuple[str, str, str, tuple, dict]] = []


class ExcelError(Exception):
    """What a COM call raises when Excel refuses."""


class _Counted:
    _xw = ""

    def _use(self, attr: str, kind: str = "get", *args: Any, **kwargs: Any) -> None:
        USED.append((self._xw, attr, kind, args, kwargs))
        app = self._app()
        app.calls += 1
        mutating = kind == "set" or attr in _MUTATING
        if mutating and attr != "status_bar" and app.state["screen_updating"]:
            app.writes_while_on.append(f"{self._xw}.{attr}")

    def _app(self) -> FakeApp:  # pragma: no cover - overridden
        raise NotImplementedError


_MUTATING = {"merge", "unmerge", "insert", "add_note", "delete", "add_hyperlink", "paste", "add"}
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/年]\s*(\d{1,2})(?:\s*[-/月]\s*(\d{1,2})日?|月)?$")


def excel_parse(cell: Any, value: Any) -> None:
    """Store ``value`` in an openpyxl cell as Excel stores what is assigned to ``Range.Value``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str):
        cell.value = value
        return
    if value.startswith("'"):
        cell.value = value[1:]
        cell.data_type = "s"
        return
    s = value.strip()
    if s.startswith("=") and len(s) > 1:
        cell.value = s
        return
    if s[:1] in ("+", "-", "@") and len(s) > 1 and not _NUM_RE.match(s):
        cell.value = "=" + s
        return
    if _NUM_RE.match(s):
        n = float(s)
        cell.value = int(n) if n.is_integer() else n
        return
    if s.endswith("%") and _NUM_RE.match(s[:-1].strip()):
        cell.value = float(s[:-1]) / 100
        cell.number_format = "0%"
        return
    if s.upper() in ("TRUE", "FALSE"):
        cell.value = s.upper() == "TRUE"
        return
    m = _DATE_RE.match(s)
    if m and 1 <= int(m.group(2)) <= 12:
        cell.value = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        return
    cell.value = value
    if cell.data_type == "f":
        cell.data_type = "s"


class FakeFont(_Counted):
    _xw = "Font"

    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def _app(self) -> FakeApp:
        return self.rng._app()

    @property
    def bold(self) -> bool:
        self._use("bold")
        return bool(self.rng._cells()[0].font.b)

    @bold.setter
    def bold(self, value: bool) -> None:
        self._use("bold", "set", value)
        for c in self.rng._cells():
            f = c.font
            c.font = Font(bold=value, color=f.color, name=f.name, sz=f.sz)

    @property
    def color(self) -> Any:
        self._use("color")
        return None

    @color.setter
    def color(self, value: str) -> None:
        self._use("color", "set", value)
        for c in self.rng._cells():
            f = c.font
            c.font = Font(bold=f.b, color=value.lstrip("#"), name=f.name, sz=f.sz)


class FakeNote(_Counted):
    _xw = "Note"

    def __init__(self, cell: Any, app: FakeApp) -> None:
        self.cell, self.app = cell, app

    def _app(self) -> FakeApp:
        return self.app

    @property
    def text(self) -> str:
        self._use("text")
        return self.cell.comment.text

    @text.setter
    def text(self, value: str) -> None:
        self._use("text", "set", value)
        self.cell.comment = _comment(value)

    def delete(self) -> None:
        self._use("delete", "call")
        self.cell.comment = None


def _comment(text: str) -> Comment:
    c = Comment(text, "xlperf")  # Excel would use the user's name; the author is not compared
    c.width, c.height = 300, 120
    return c


class FakeRange(_Counted):
    _xw = "Range"

    def __init__(self, sheet: FakeSheet, areas: list[tuple[int, int, int, int]], rows_only: bool = False) -> None:
        self.sheet = sheet
        self.areas = areas  # 1-based inclusive (min_row, min_col, max_row, max_col)
        self.rows_only = rows_only
        self._ndim: int | None = None

    def _app(self) -> FakeApp:
        return self.sheet._app()

    @property
    def ws(self) -> Any:
        return self.sheet.ws

    def _cells(self) -> list[Any]:
        out = []
        for r0, c0, r1, c1 in self.areas:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    out.append(self.ws.cell(r, c))
        return out

    def _merged(self, r: int, c: int) -> Any:
        for m in self.ws.merged_cells.ranges:
            if m.min_row <= r <= m.max_row and m.min_col <= c <= m.max_col:
                return m
        return None

    # -- geometry
    @property
    def row(self) -> int:
        self._use("row")
        return self.areas[0][0]

    @property
    def column(self) -> int:
        self._use("column")
        return self.areas[0][1]

    @property
    def shape(self) -> tuple[int, int]:
        self._use("shape")
        r0, c0, r1, c1 = self.areas[0]
        return r1 - r0 + 1, c1 - c0 + 1

    @property
    def address(self) -> str:
        self._use("address")
        parts = []
        for r0, c0, r1, c1 in self.areas:
            a = f"${get_column_letter(c0)}${r0}"
            parts.append(a if (r0, c0) == (r1, c1) else f"{a}:${get_column_letter(c1)}${r1}")
        return ",".join(parts)

    def options(self, convert: Any = None, **options: Any) -> FakeRange:
        USED.append((self._xw, "options", "call", (convert,) if convert else (), options))
        clone = FakeRange(self.sheet, self.areas, self.rows_only)
        clone._ndim = options.get("ndim")
        return clone

    # -- values
    def _read(self, what: str) -> Any:
        r0, c0, r1, c1 = self.areas[0]
        rows = []
        for r in range(r0, r1 + 1):
            row = []
            for c in range(c0, c1 + 1):
                cell = self.ws._cells.get((r, c))
                v = None if cell is None else cell.value
                m = self._merged(r, c)
                if m is not None and (r, c) != (m.min_row, m.min_col):
                    v = None
                if what == "formula":
                    if v is None:
                        v = ""
                    elif cell.data_type == "f":
                        v = str(v)
                    elif isinstance(v, bool):
                        v = "TRUE" if v else "FALSE"
                    elif isinstance(v, (int, float)):
                        v = repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(v)
                    else:
                        v = str(v)
                else:
                    if cell is not None and cell.data_type == "f":
                        v = None  # not calculated (see the module docstring)
                    elif isinstance(v, int) and not isinstance(v, bool):
                        v = float(v)
                row.append(v)
            rows.append(row)
        if what == "formula":
            return tuple(tuple(r) for r in rows) if len(rows) * len(rows[0]) > 1 else rows[0][0]
        if self._ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @property
    def value(self) -> Any:
        self._use("value")
        return self._read("value")

    @value.setter
    def value(self, data: Any) -> None:
        self._use("value", "set", data)
        r0, c0, r1, c1 = self.areas[0]
        if not isinstance(data, (list, tuple)):
            for cell in self._cells():
                self._write(cell, data)
            return
        rows = data if data and isinstance(data[0], (list, tuple)) else [data]
        if (len(rows), max(len(r) for r in rows)) != (r1 - r0 + 1, c1 - c0 + 1):
            raise ExcelError(f"shape {len(rows)}x{len(rows[0])} written to {self.areas[0]}")
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self._write(self.ws.cell(r0 + i, c0 + j), v)

    def _write(self, cell: Any, v: Any) -> None:
        m = self._merged(cell.row, cell.column)
        if m is not None and (cell.row, cell.column) != (m.min_row, m.min_col):
            return  # Excel ignores writes into the hidden part of a merged block
        excel_parse(cell, v)

    @property
    def formula(self) -> Any:
        self._use("formula")
        return self._read("formula")

    @formula.setter
    def formula(self, value: str) -> None:
        self._use("formula", "set", value)
        for cell in self._cells():
            cell.value = value

    @property
    def number_format(self) -> str | None:
        self._use("number_format")
        fmts = {c.number_format for c in self._cells()}
        return fmts.pop() if len(fmts) == 1 else None

    @number_format.setter
    def number_format(self, value: str) -> None:
        self._use("number_format", "set", value)
        for c in self._cells():
            c.number_format = value

    # -- merges
    @property
    def merge_area(self) -> FakeRange:
        self._use("merge_area")
        r, c = self.areas[0][:2]
        m = self._merged(r, c)
        if m is None:
            return FakeRange(self.sheet, [(r, c, r, c)])
        return FakeRange(self.sheet, [(m.min_row, m.min_col, m.max_row, m.max_col)])

    @property
    def merge_cells(self) -> bool | None:
        self._use("merge_cells")
        hits = 0
        total = 0
        for r0, c0, r1, c1 in self.areas:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    total += 1
                    hits += self._merged(r, c) is not None
        return False if hits == 0 else True if hits == total else None

    def merge(self, across: bool = False) -> None:
        self._use("merge", "call", across=across)
        r0, c0, r1, c1 = self.areas[0]
        self.ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)

    def unmerge(self) -> None:
        self._use("unmerge", "call")
        r0, c0, r1, c1 = self.areas[0]
        ref = f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}"
        if any(str(m) == ref for m in self.ws.merged_cells.ranges):
            self.ws.unmerge_cells(ref)

    def insert(self, shift: str, copy_origin: str = "format_from_left_or_above") -> None:
        self._use("insert", "call", shift, copy_origin=copy_origin)
        from xlperf.io.rows import insert_rows

        assert self.rows_only and shift == "down", "only whole-row insertion is modelled"
        r0, _, r1, _ = self.areas[0]
        style = r0 - 2 if copy_origin == "format_from_left_or_above" else r0 - 1
        insert_rows(self.sheet.book.wb, self.ws, r0 - 1, r1 - r0 + 1, style_from=style if style >= 0 else None)

    def copy(self, destination: Any = None) -> None:
        self._use("copy", "call", destination)
        self._app().clipboard = self

    def paste(self, paste: str | None = None, operation: str | None = None, skip_blanks: bool = False,
              transpose: bool = False) -> None:
        self._use("paste", "call", paste=paste)
        src = self._app().clipboard
        assert paste == "formats" and src is not None
        from copy import copy as _copy

        sr = src.areas[0][0]
        r0, _, r1, _ = self.areas[0]
        for (r, c), cell in list(src.ws._cells.items()):
            if r == sr and cell.has_style:
                for rr in range(r0, r1 + 1):
                    self.ws.cell(rr, c)._style = _copy(cell._style)

    # -- formatting
    @property
    def color(self) -> tuple[int, int, int] | None:
        self._use("color")
        f = self._cells()[0].fill
        if f.fill_type == "solid" and f.fgColor.type == "rgb":
            rgb = f.fgColor.rgb[-6:]
            return int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16)
        return None

    @color.setter
    def color(self, value: Any) -> None:
        self._use("color", "set", value)
        if value is None:
            fill = PatternFill(fill_type=None)
        else:
            rgb = value.lstrip("#").upper()
            fill = PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)
        for c in self._cells():
            c.fill = fill

    @property
    def font(self) -> FakeFont:
        self._use("font")
        return FakeFont(self)

    @property
    def column_width(self) -> float | None:
        self._use("column_width")
        return self.ws.column_dimensions[get_column_letter(self.areas[0][1])].width

    @column_width.setter
    def column_width(self, value: float) -> None:
        self._use("column_width", "set", value)
        self.ws.column_dimensions[get_column_letter(self.areas[0][1])].width = value

    @property
    def note(self) -> FakeNote | None:
        self._use("note")
        cell = self._cells()[0]
        return FakeNote(cell, self._app()) if cell.comment is not None else None

    def add_note(self, text: str) -> FakeNote:
        self._use("add_note", "call", text)
        cell = self._cells()[0]
        if cell.comment is not None:
            raise ValueError("This cell already has a note")
        cell.comment = _comment(text)
        return FakeNote(cell, self._app())

    def add_hyperlink(self, address: str, text_to_display: str | None = None, screen_tip: str | None = None) -> None:
        self._use("add_hyperlink", "call", address, text_to_display=text_to_display)
        cell = self._cells()[0]
        cell.hyperlink = address
        cell.value = text_to_display if text_to_display is not None else address
        cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type


_CELL = r"\$?[A-Za-z]{1,3}\$?\d+"


class FakeSheet(_Counted):
    _xw = "Sheet"

    def __init__(self, book: FakeBook, ws: Any) -> None:
        self.book, self.ws = book, ws

    def _app(self) -> FakeApp:
        return self.book.app

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeSheet) and other.ws is self.ws

    def __hash__(self) -> int:
        return id(self.ws)

    @property
    def name(self) -> str:
        self._use("name")
        return self.ws.title

    def range(self, cell1: Any, cell2: Any = None) -> FakeRange:
        self._use("range", "call", cell1, cell2)
        if isinstance(cell1, tuple):
            r0, c0 = cell1
            r1, c1 = cell2 if cell2 is not None else cell1
            return FakeRange(self, [(r0, c0, r1, c1)])
        assert cell2 is None
        text = str(cell1)
        if len(text) >= 255:
            raise ExcelError("Range address of 255 characters or more")
        m = re.fullmatch(r"(\d+):(\d+)", text)
        if m:
            return FakeRange(self, [(int(m.group(1)), 1, int(m.group(2)), self.ws.max_column)], rows_only=True)
        areas = []
        for part in text.split(","):
            if not re.fullmatch(rf"{_CELL}(:{_CELL})?", part):
                raise ExcelError(f"bad address {part!r}")
            c0, r0, c1, r1 = range_boundaries(part.replace("$", ""))
            areas.append((r0, c0, r1, c1))
        return FakeRange(self, areas)

    @property
    def used_range(self) -> FakeRange:
        self._use("used_range")
        ws = self.ws
        return FakeRange(self, [(ws.min_row, ws.min_column, ws.max_row, ws.max_column)])

    @property
    def visible(self) -> bool:
        self._use("visible")
        return self.ws.sheet_state == "visible"

    @visible.setter
    def visible(self, value: bool) -> None:
        self._use("visible", "set", value)
        self.ws.sheet_state = "visible" if value else "hidden"

    def delete(self) -> None:
        self._use("delete", "call")
        self.book.wb.remove(self.ws)

    def activate(self) -> None:
        self._use("activate", "call")
        self.book.wb.active = self.book.wb.worksheets.index(self.ws)


class FakeSheets(_Counted):
    _xw = "Sheets"

    def __init__(self, book: FakeBook) -> None:
        self.book = book

    def _app(self) -> FakeApp:
        return self.book.app

    def __iter__(self) -> Any:
        return iter([FakeSheet(self.book, ws) for ws in self.book.wb.worksheets])

    def __len__(self) -> int:
        return len(self.book.wb.worksheets)

    def __getitem__(self, key: int | str) -> FakeSheet:
        self._use("__getitem__", "call", key)
        if isinstance(key, int):
            return FakeSheet(self.book, self.book.wb.worksheets[key])
        return FakeSheet(self.book, self.book.wb[key])

    @property
    def active(self) -> FakeSheet:
        self._use("active")
        return FakeSheet(self.book, self.book.wb.active)

    def add(self, name: str | None = None, before: Any = None, after: Any = None) -> FakeSheet:
        self._use("add", "call", name, before=before, after=after)
        if name is not None and name.lower() in (n.lower() for n in self.book.wb.sheetnames):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        wb = self.book.wb
        index = wb.worksheets.index(after.ws) + 1 if after is not None else None
        ws = wb.create_sheet(name, index)
        wb.active = wb.worksheets.index(ws)
        return FakeSheet(self.book, ws)


class _BookApi:
    def __init__(self, book: FakeBook) -> None:
        self.book = book

    def SaveCopyAs(self, path: str) -> None:  # noqa: N802 - Excel's COM name
        self.book.app.calls += 1
        self.book.wb.save(path)
        self.book.copies.append(Path(path))


class _Workbooks:
    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def Add(self, template: str) -> None:  # noqa: N802 - Excel's COM name
        self.app.calls += 1
        self.app.opened.append(("template", Path(template)))


class _AppApi:
    def __init__(self, app: FakeApp) -> None:
        self.Workbooks = _Workbooks(app)


class FakeBooks(_Counted):
    _xw = "Books"

    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def _app(self) -> FakeApp:
        return self.app

    def open(self, fullname: str | None = None, **kwargs: Any) -> None:
        self._use("open", "call", fullname, **kwargs)
        self.app.opened.append(("open", Path(str(fullname))))


class FakeApp(_Counted):
    _xw = "App"

    def __init__(self) -> None:
        self.calls = 0
        self.alerts: list[tuple[str, str | None, str | None]] = []
        self.status_history: list[Any] = []
        self._status: Any = False
        self.state = {"screen_updating": True, "enable_events": True, "calculation": "automatic"}
        self.writes_while_on: list[str] = []
        self.opened: list[tuple[str, Path]] = []
        self.clipboard: FakeRange | None = None
        self.selection: FakeRange | None = None
        self.books = FakeBooks(self)
        self.api = _AppApi(self)

    def _app(self) -> FakeApp:
        return self

    @property
    def status_bar(self) -> Any:
        self._use("status_bar")
        return self._status

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._use("status_bar", "set", value)
        self._status = value
        self.status_history.append(value)

    @contextlib.contextmanager
    def properties(self, **kwargs: Any) -> Any:
        self._use("properties", "call", **kwargs)
        before = dict(self.state)
        self.state.update(kwargs)
        try:
            yield self
        finally:
            self.state = before

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self._use("alert", "call", prompt, title=title, buttons=buttons, mode=mode)
        self.alerts.append((prompt, title, mode))
        return "ok"


class FakeBook(_Counted):
    """``xlwings.Book`` of a workbook file loaded with openpyxl; :meth:`save` writes it back out."""

    _xw = "Book"

    def __init__(self, path: str | Path, app: FakeApp | None = None) -> None:
        self.path = Path(path)
        self.wb = openpyxl.load_workbook(self.path)
        self.app = app or FakeApp()
        self.copies: list[Path] = []
        self.api = _BookApi(self)

    def _app(self) -> FakeApp:
        return self.app

    @property
    def name(self) -> str:
        self._use("name")
        return self.path.name

    @property
    def fullname(self) -> str:
        self._use("fullname")
        return str(self.path.resolve())

    @property
    def sheets(self) -> FakeSheets:
        self._use("sheets")
        return FakeSheets(self)

    @property
    def selection(self) -> FakeRange | None:
        self._use("selection")
        return self.app.selection

    def select(self, sheet: str, address: str) -> None:
        """Test helper: what the user selected before clicking."""
        self.wb.active = self.wb.sheetnames.index(sheet)
        self.app.selection = FakeSheet(self, self.wb[sheet]).range(address)

    def save(self, path: str | Path) -> None:  # not used by xlperf.excel: the clerk saves
        self.wb.save(path)
