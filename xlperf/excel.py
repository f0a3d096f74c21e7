"""The live Excel layer: one function per ribbon button of the xlperf add-in.

``macros/XlperfRibbon.bas`` calls these through xlwings' ``RunPython``
(``import xlperf.excel as x; x.validate_button()``). Each button:

1. reads the form sheet with one ``used_range`` read (values and formulas) plus a few targeted probes
   for merged blocks and percent formats (:func:`read_grid`), giving the same
   :class:`~xlperf.core.grid.Grid` the file readers give;
2. runs the same core as the command line (rules and :func:`~xlperf.core.marks.plan_marks`,
   :func:`~xlperf.core.autosum.analyse_autosum`, :func:`~xlperf.core.indicators.build_insert_plan`);
3. applies the resulting edit list with :class:`LiveWriter`: values as 2-D blocks, fills as multi-area
   addresses under 255 characters, with screen updating, events and automatic calculation off;
4. saves a copy of the workbook first (Excel cannot undo what Python changes) and reports in a Chinese
   message box; unexpected errors are logged to ``~/.xlperf/logs`` and never shown as a traceback.

``xlwings`` is imported only here, and only inside the functions: importing this module is cheap, and
the core is imported when a button needs it. Every function takes an optional ``book`` (an
``xlwings.Book`` or anything with the same surface); without it the calling workbook is used.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .core.config import Config
    from .core.edits import Edit
    from .core.grid import Grid, MergedRange
    from .core.model import Form
    from .workbook import SheetInfo

TITLE = "xlperf 绩效目标"
MAX_ADDRESS = 254  # Excel refuses multi-area addresses of 255 characters or more
KEEP_BACKUPS = 30
ALERT_LINES = 12
MAX_CELLS = 5_000_000  # a used range beyond this is formatting run down whole columns, not a form


def home() -> Path:
    """Where xlperf keeps backups and logs: ``%USERPROFILE%\\.xlperf`` (``XLPERF_HOME`` overrides)."""
    from .settings import home as _home

    return _home()


# -- reading ------------------------------------------------------------------------------------------


def _rows2d(v: Any) -> list[list[Any]]:
    """A used-range read as a list of rows, whatever shape xlwings/COM returned."""
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):
            return [list(r) for r in v]
        return [list(v)]
    return [[v]]


def _parse_address(address: str) -> tuple[int, int, int, int]:
    """``"$A$10:$B$14"`` -> 0-based inclusive (r0, c0, r1, c1)."""
    from .core.grid import parse_a1

    start, _, end = address.split("!")[-1].partition(":")
    r0, c0 = parse_a1(start)
    r1, c1 = parse_a1(end) if end else (r0, c0)
    return r0, c0, r1, c1


class Probe:
    """Merged blocks of a live sheet, found by asking Excel about a few cells only."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self.found: dict[tuple[int, int], MergedRange] = {}
        self.covered: set[tuple[int, int]] = set()
        self.asked: set[tuple[int, int]] = set()

    def cell(self, r: int, c: int) -> None:
        """Ask whether (r, c) is the top-left cell of a merged block; remember the block."""
        from .core.grid import MergedRange

        if (r, c) in self.asked or (r, c) in self.covered:
            return
        self.asked.add((r, c))
        r0, c0, r1, c1 = _parse_address(self.sheet.range((r + 1, c + 1)).merge_area.address)
        if (r0, c0) != (r1, c1):
            self.found[(r0, c0)] = MergedRange(r0, c0, r1, c1)
            self.covered.update((rr, cc) for rr in range(r0, r1 + 1) for cc in range(c0, c1 + 1))

    @property
    def merges(self) -> list[MergedRange]:
        return sorted(self.found.values(), key=lambda m: (m.r0, m.c0))


def read_grid(sheet: Any, *, source: str | None = None) -> tuple[Grid, Probe]:
    """A live sheet as a Grid in absolute coordinates (what the file readers give for the file).

    One ``used_range`` read gives values and formulas. Merged blocks: when the used range holds any,
    every filled cell with an empty neighbour to its right or below (inside the used range), and that
    empty right neighbour, is asked for its merge area; :func:`probe_task_anchors` adds the task cells after parsing. Number formats
    are read only for numbers, and only when the used range's format is not uniform; the values are
    normalised by :meth:`Grid.read <xlperf.core.grid.Grid.read>`, as every reader's are.
    """
    from .core.grid import Grid
    from .errors import XlperfError

    rng = sheet.used_range
    top, left = rng.row - 1, rng.column - 1
    nrows, ncols = rng.shape
    if nrows * ncols > MAX_CELLS:
        raise XlperfError(f"工作表「{sheet.name}」的已用区域过大（{nrows} 行 × {ncols} 列），"
                          "请删除表格下方和右侧多余的行列（含只有格式的空行）后再试")
    values = _rows2d(rng.options(ndim=2).value)
    formulas = _rows2d(rng.formula)
    raw: dict[tuple[int, int], Any] = {}
    found: dict[tuple[int, int], str] = {}
    numeric: list[tuple[int, int]] = []
    for i, row in enumerate(values):
        frow = formulas[i] if i < len(formulas) else []
        for j, v in enumerate(row):
            f = frow[j] if j < len(frow) else None
            key = (top + i, left + j)
            if isinstance(f, str) and f.startswith("=") and f != v:  # text "=" (对比符号) reads the same both ways
                found[key] = f
            if v is None or v == "":
                continue
            raw[key] = v
            if isinstance(v, (int, float)) and not isinstance(v, bool) and key not in found:
                numeric.append(key)
    formats: dict[tuple[int, int], str] = {}
    if numeric:
        fmt = rng.number_format
        if not (isinstance(fmt, str) and "%" not in fmt):
            # a column whose numbers share one format is asked once; mixed columns cell by cell
            by_col: dict[int, list[int]] = {}
            for r, c in numeric:
                by_col.setdefault(c, []).append(r)
            for c, rows in sorted(by_col.items()):
                col_fmt = sheet.range((min(rows) + 1, c + 1), (max(rows) + 1, c + 1)).number_format \
                    if len(rows) > 1 else None
                if isinstance(col_fmt, str):
                    formats.update({(r, c): col_fmt for r in rows})
                    continue
                for r in rows:
                    cell_fmt = sheet.range((r + 1, c + 1)).number_format
                    if isinstance(cell_fmt, str):
                        formats[(r, c)] = cell_fmt
    probe = Probe(sheet)
    width = max((len(r) for r in values), default=0)
    if len(values) * width > 1 and rng.merge_cells is not False:
        filled = set(raw) | set(found)
        bottom, right = top + len(values) - 1, left + width - 1
        for r, c in sorted(filled):
            if (c < right and (r, c + 1) not in filled) or (r < bottom and (r + 1, c) not in filled):
                probe.cell(r, c)
            if c < right and (r, c + 1) not in filled:  # an empty block beside a label (其他资金 | …)
                probe.cell(r, c + 1)
    else:
        probe.cell = lambda r, c: None  # type: ignore[method-assign]  # nothing is merged anywhere
    grid = Grid.read(raw, sheet=sheet.name, formulas=found, merges=probe.merges, formats=formats, source=source)
    return grid, probe


def probe_task_anchors(grid: Grid, form: Form, probe: Probe) -> None:
    """Also ask about each task's first-row cells (序号 … 拟投入金额), merged even when empty."""
    task_fields = ("seq", "name", "content", "source", "amount")
    cols = [c for k, c in form.layout.columns.items() if k in task_fields] if form.layout is not None else []
    before = len(probe.found)
    for t in form.tasks:
        if t.row is None:
            continue
        for c in cols:
            probe.cell(t.row, c)
    if len(probe.found) != before:
        grid.merges = probe.merges


# -- writing ------------------------------------------------------------------------------------------

_LEADING_SAFE = re.compile(r"^[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef《（【「『“‘]")


def literal(value: Any) -> Any:
    """A value as Excel must receive it so that it is stored as given: text is never a formula.

    Excel parses what is assigned to ``Range.Value`` as if typed: ``=…``, ``+…``, ``-…``, ``@…`` become
    formulas, ``001`` a number, ``2024年1月`` a date. Text that does not start with a CJK character
    gets Excel's text prefix ``'`` (invisible, not part of the value).
    """
    from .io.xlsx import safe_text

    if isinstance(value, str):
        value = safe_text(value)
        if value and not _LEADING_SAFE.match(value):
            return "'" + value
    return value


def _hex(color: Any) -> str:
    """xlwings colour (an ``(r, g, b)`` tuple, or None) -> fill descriptor ``"RRGGBB"`` or ``""``."""
    if isinstance(color, (tuple, list)) and len(color) == 3:
        return "".join(f"{int(x):02X}" for x in color)
    return ""


def _fill_color(spec: str | None) -> str | None:
    """``"RRGGBB"`` / ``"xml:<fill>"`` descriptor -> ``"#RRGGBB"`` for xlwings, None for no fill."""
    if not spec:
        return None
    if re.fullmatch(r"[0-9A-Fa-f]{6}", spec):
        return "#" + spec.upper()
    m = re.search(r'<(?:\w+:)?fgColor[^>]*\brgb="(?:[0-9A-Fa-f]{2})?([0-9A-Fa-f]{6})"', spec)
    if m and "solid" in spec:
        return "#" + m.group(1).upper()
    return None  # theme colours, patterns, gradients: the fill is removed (see xlperf.core.marks)


def chunk_addresses(cells: Iterable[str], limit: int = MAX_ADDRESS) -> list[str]:
    """Join cell addresses into multi-area addresses (``"B3,D7"``) each shorter than ``limit``."""
    out: list[str] = []
    cur = ""
    for a in cells:
        if cur and len(cur) + 1 + len(a) > limit:
            out.append(cur)
            cur = a
        else:
            cur = f"{cur},{a}" if cur else a
    if cur:
        out.append(cur)
    return out


class LiveWriter:
    """Applies an edit list (:mod:`xlperf.core.edits`) to a live workbook through xlwings.

    Values, formulas, fills and notes are different properties, so between two structural edits
    (rows, merges, sheets) they are gathered (the last write of a cell wins) and sent in few calls.
    """

    def __init__(self, book: Any, sheet: Any, merges: Sequence[MergedRange] = ()) -> None:

        self.book, self.sheet = book, sheet
        self.name: str = sheet.name
        self._handles: dict[str, Any] = {self.name: sheet}
        self.merges: list[MergedRange] = list(merges)
        self.values: dict[tuple[str, int, int], tuple[Any, str | None]] = {}
        self.fills: dict[tuple[str, int, int], str | None] = {}
        self.notes: dict[tuple[str, int, int], str | None] = {}
        self.calls = 0

    # -- helpers
    def _sheet(self, name: str | None) -> Any:
        if name is None:
            return self.sheet
        if name not in self._handles:
            sheets = self.book.sheets
            if name not in [s.name for s in sheets]:
                self._handles[name] = sheets.add(name, after=sheets[len(sheets) - 1])
            else:
                self._handles[name] = sheets[name]
        return self._handles[name]

    def _anchor(self, sheet: str | None, r: int, c: int) -> tuple[int, int]:
        if sheet is None or sheet == self.name:
            for m in self.merges:
                if m.contains(r, c):
                    return m.r0, m.c0
        return r, c

    def _merged_anchor(self, sheet: str, r: int, c: int) -> bool:
        return sheet == self.name and any(m.r0 == r and m.c0 == c for m in self.merges)

    # -- the edit list
    def apply(self, edits: Iterable[Edit]) -> None:
        from .core.edits import (
            DeleteSheet,
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

        for e in edits:
            if isinstance(e, (SetValue, SetFormula)):
                name = e.sheet or self.name
                r, c = self._anchor(e.sheet, e.row, e.col)
                if isinstance(e, SetFormula):
                    self.values[(name, r, c)] = (e.formula, None)
                else:
                    self.values[(name, r, c)] = (literal(e.value), e.number_format)
            elif isinstance(e, SetFill):
                self.fills[(e.sheet or self.name, e.row, e.col)] = e.color
            elif isinstance(e, RestoreFill):
                self.fills[(e.sheet or self.name, e.row, e.col)] = e.spec
            elif isinstance(e, SetNote):
                self.notes[(e.sheet or self.name, e.row, e.col)] = e.text
            else:
                self.flush()
                if isinstance(e, InsertRows):
                    self._insert_rows(e)
                elif isinstance(e, Merge):
                    self._range(e.sheet, e.r0, e.c0, e.r1, e.c1).merge()
                    if e.sheet in (None, self.name):
                        from .core.grid import MergedRange

                        self.merges.append(MergedRange(e.r0, e.c0, e.r1, e.c1))
                elif isinstance(e, Unmerge):
                    self._range(e.sheet, e.r0, e.c0, e.r1, e.c1).unmerge()
                    if e.sheet in (None, self.name):
                        self.merges = [m for m in self.merges if (m.r0, m.c0, m.r1, m.c1) != (e.r0, e.c0, e.r1, e.c1)]
                elif isinstance(e, WriteTable):
                    self._write_table(e)
                elif isinstance(e, DeleteSheet):
                    self._handles.pop(e.sheet, None)
                    if e.sheet in [s.name for s in self.book.sheets]:
                        self.book.sheets[e.sheet].delete()
                else:  # pragma: no cover - a new edit type without an adapter is a bug
                    raise TypeError(f"no xlwings adapter for {type(e).__name__}")
        self.flush()

    def _range(self, sheet: str | None, r0: int, c0: int, r1: int | None = None, c1: int | None = None) -> Any:
        sh = self._sheet(sheet)
        if r1 is None or c1 is None or (r0, c0) == (r1, c1):
            return sh.range((r0 + 1, c0 + 1))
        return sh.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1))

    def _insert_rows(self, e: Any) -> None:
        from .core.grid import MergedRange

        if e.count <= 0:
            return
        sh = self._sheet(e.sheet)
        if e.style_from is not None and e.style_from >= e.row:
            origin = "format_from_right_or_below"
        else:
            origin = "format_from_left_or_above"
        sh.range(f"{e.row + 1}:{e.row + e.count}").insert(shift="down", copy_origin=origin)
        if e.style_from is not None and e.style_from not in (e.row - 1, e.row):
            src = e.style_from + (e.count if e.style_from >= e.row else 0)
            sh.range(f"{src + 1}:{src + 1}").copy()
            sh.range(f"{e.row + 1}:{e.row + e.count}").paste(paste="formats")
        if e.sheet in (None, self.name):
            moved = []
            for m in self.merges:
                if m.r0 >= e.row:
                    moved.append(MergedRange(m.r0 + e.count, m.c0, m.r1 + e.count, m.c1))
                elif m.r1 >= e.row:
                    moved.append(MergedRange(m.r0, m.c0, m.r1 + e.count, m.c1))
                else:
                    moved.append(m)
            self.merges = moved

    def flush(self) -> None:
        if self.values:
            self._flush_values()
        if self.fills:
            self._flush_fills()
        if self.notes:
            self._flush_notes()

    def _flush_values(self) -> None:
        items, self.values = self.values, {}
        by_sheet: dict[str, dict[tuple[int, int], tuple[Any, str | None]]] = {}
        for (name, r, c), v in items.items():
            by_sheet.setdefault(name, {})[(r, c)] = v
        for name, cells in by_sheet.items():
            sh = self._sheet(name)
            single = {k for k in cells if self._merged_anchor(name, *k)}
            for (r0, c0, r1, c1), block in _blocks({k: v[0] for k, v in cells.items() if k not in single}):
                target = sh.range((r0 + 1, c0 + 1)) if (r0, c0) == (r1, c1) else sh.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1))
                target.value = block if (r0, c0) != (r1, c1) else block[0][0]
            for r, c in sorted(single):
                sh.range((r + 1, c + 1)).value = cells[(r, c)][0]
            for (r, c), (_, fmt) in sorted(cells.items()):
                if fmt:
                    sh.range((r + 1, c + 1)).number_format = fmt

    def _flush_fills(self) -> None:
        from .core.grid import a1

        items, self.fills = self.fills, {}
        groups: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
        for (name, r, c), spec in items.items():
            groups.setdefault((name, _fill_color(spec)), []).append((r, c))
        for (name, color), cells in groups.items():
            sh = self._sheet(name)
            for address in chunk_addresses(a1(r, c) for r, c in sorted(cells)):
                sh.range(address).color = color

    def _flush_notes(self) -> None:
        items, self.notes = self.notes, {}
        for (name, r, c), text in sorted(items.items(), key=lambda kv: kv[0]):
            cell = self._sheet(name).range((r + 1, c + 1))
            note = cell.note
            if text:
                if note is None:
                    cell.add_note(text)
                elif note.text != text:
                    note.text = text
            elif note is not None:
                note.delete()

    def _write_table(self, e: Any) -> None:
        sheets = self.book.sheets
        if e.sheet in [s.name for s in sheets]:
            sheets[e.sheet].delete()
        sh = sheets.add(e.sheet, after=sheets[len(sheets) - 1])
        self._handles[e.sheet] = sh
        width = max([len(e.header)] + [len(r) for r in e.rows])
        rows = [list(e.header) + [None] * (width - len(e.header))]
        rows += [[literal(v) for v in r] + [None] * (width - len(r)) for r in e.rows]
        sh.range((1, 1), (len(rows), width)).value = rows
        head = sh.range((1, 1), (1, len(e.header)))
        head.font.bold = True
        head.font.color = "#FFFFFF"
        head.color = "#4472C4"
        for (i, c), target in sorted(e.links.items()):
            value = e.rows[i][c] if i < len(e.rows) and c < len(e.rows[i]) else target
            sh.range((i + 2, c + 1)).add_hyperlink(f"#{target}", text_to_display=str(value))
        for c, w in enumerate(e.widths or []):
            sh.range((1, c + 1)).column_width = w
        if e.hidden:
            sh.visible = False


def _blocks(cells: dict[tuple[int, int], Any]) -> list[tuple[tuple[int, int, int, int], list[list[Any]]]]:
    """Group cells into rectangles: runs of adjacent cells per row, then rows with the same run stacked."""
    runs: list[tuple[int, int, int, list[Any]]] = []  # (row, c0, c1, values)
    for r, c in sorted(cells):
        if runs and runs[-1][0] == r and runs[-1][2] == c - 1:
            row, c0, _, vals = runs[-1]
            runs[-1] = (row, c0, c, vals + [cells[(r, c)]])
        else:
            runs.append((r, c, c, [cells[(r, c)]]))
    out: list[tuple[tuple[int, int, int, int], list[list[Any]]]] = []
    for row, c0, c1, vals in sorted(runs, key=lambda x: (x[1], x[2], x[0])):
        if out:
            (r0, oc0, r1, oc1), block = out[-1]
            if (oc0, oc1) == (c0, c1) and r1 == row - 1:
                out[-1] = ((r0, c0, row, c1), block + [vals])
                continue
        out.append(((row, c0, row, c1), [vals]))
    return out


# -- the live adapter of the workbook interface ------------------------------------------------------


class LiveBook:
    """The workbook open in Excel, as a :class:`xlperf.workbook.Workbook`.

    Grids come from :func:`read_grid` (read once per sheet); edits are applied by :class:`LiveWriter`
    with screen updating, events and automatic calculation off; :meth:`backup` saves a copy into
    ``~/.xlperf/backups`` first (Excel cannot undo what Python changes); :meth:`save` leaves saving
    to the user, as any change made in Excel.
    """

    writable = True
    replaces = True

    def __init__(self, book: Any) -> None:
        self.book = book
        self.app = book.app
        self.label = str(book.name)
        try:  # an unsaved workbook's fullname is its name only
            full = Path(str(book.fullname))
        except Exception:  # noqa: BLE001 - not available: no configuration beside the workbook
            full = None
        self.path: Path | None = full if full is not None and full.is_absolute() else None
        self.last_backup: Path | None = None
        self._grids: dict[str, tuple[Grid, Probe]] = {}

    def status(self, text: str | bool) -> None:
        try:
            self.app.status_bar = f"xlperf：{text}" if isinstance(text, str) else text
        except Exception:  # noqa: BLE001 - the status bar is a nicety, never a failure
            pass

    def sheets(self) -> list[SheetInfo]:
        from .workbook import SheetInfo

        active = self.book.sheets.active.name
        return [SheetInfo(s.name, hidden=not s.visible, active=s.name == active) for s in self.book.sheets]

    def grid(self, name: str) -> Grid:
        """The sheet read once; when it holds a form, its task cells are also probed for merged blocks
        (an empty 任务来源 merged down over the task's rows has no filled neighbour to reveal it)."""
        from .core.parse import parse_grid
        from .errors import NotAFormError

        if name not in self._grids:
            grid, probe = read_grid(self.book.sheets[name], source=self.label)
            try:
                probe_task_anchors(grid, parse_grid(grid), probe)
            except NotAFormError:
                pass
            self._grids[name] = (grid, probe)
        return self._grids[name][0]

    def styles(self, name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str | None, str | None]]:
        """(fill descriptor, note text, note author) of cells; the author is not read (None)."""
        sheet = self.book.sheets[name]
        out = {}
        for r, c in sorted(set(cells)):
            if r < 0 or c < 0:
                continue
            cell = sheet.range((r + 1, c + 1))
            note = cell.note
            out[(r, c)] = (_hex(cell.color), note.text if note is not None else None, None)
        return out

    def table(self, name: str) -> list[list[Any]]:
        """A sheet's rows below its header row (empty when the sheet is missing)."""
        if name not in [s.name for s in self.book.sheets]:
            return []
        rows = _rows2d(self.book.sheets[name].used_range.options(ndim=2).value)
        return [r for r in rows[1:] if any(v not in (None, "") for v in r)]

    def header(self, name: str) -> list[Any]:
        from .io.books import first_row

        if name not in [s.name for s in self.book.sheets]:
            return []
        return first_row(self.grid(name))

    def apply(self, name: str, edits: Sequence[Edit], merges: Sequence[MergedRange] = ()) -> None:
        self.status("正在写入…")
        sheet = self.book.sheets[name]
        writer = LiveWriter(self.book, sheet, merges)
        with self.app.properties(screen_updating=False, enable_events=False, calculation="manual"):
            writer.apply(edits)
            sheet.activate()
        self._grids.clear()

    def backup(self) -> Path | None:
        """Save a copy of the workbook as it is now into ``~/.xlperf/backups`` (the newest 30 are kept)."""
        from .io.xlsx import backup_path

        folder = home() / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        target = backup_path(folder, self.label)
        self.book.api.SaveCopyAs(str(target))
        old = sorted(folder.glob("*.*"), key=lambda p: p.stat().st_mtime)
        for p in old[:-KEEP_BACKUPS]:
            try:
                p.unlink()
            except OSError:
                pass
        self.last_backup = target
        return target

    def save(self) -> Path | None:
        return None  # the workbook stays open in Excel; the user saves it

    def close(self) -> None:
        self._grids.clear()

    def settings(self) -> Config:
        """The configuration for this workbook (:func:`xlperf.settings.load_settings`)."""
        from .settings import load_settings

        return load_settings(self.path).config


def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _now() -> str:
    import datetime

    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def _log_error(exc: BaseException) -> Path | None:
    import traceback

    try:
        folder = home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"xlperf-error-{_now()}.txt"
        from . import __version__

        path.write_text(
            f"xlperf {__version__}\nPython {sys.version}\n{sys.executable}\n\n"
            + "".join(traceback.format_exception(exc)),
            encoding="utf-8",
        )
        return path
    except OSError:
        return None


def _run(title: str, work: Callable[[LiveBook], str | None], book: Any = None) -> str | None:
    """Run one button: never raises; shows the result (or the error) in a message box and returns it."""
    from .errors import XlperfError

    try:
        live = LiveBook(_caller(book))
    except Exception as exc:  # noqa: BLE001 - no workbook to talk to: nothing else can be shown
        _log_error(exc)
        return None
    message: str | None
    mode = "info"
    try:
        live.status(f"{title}…")
        message = work(live)
    except XlperfError as exc:
        message, mode = f"{title}未完成：{exc.message}", "critical"
    except Exception as exc:  # noqa: BLE001 - a button must never show a raw traceback
        log = _log_error(exc)
        detail = f"{type(exc).__name__}: {exc}"[:400]
        message = (f"{title}时出现内部错误，表格未被修改或只修改了一部分（修改前的副本见下）。\n\n"
                   f"技术信息（可按 Ctrl+C 复制本窗口文字发给信息部门）：\n{detail}")
        if log:
            message += f"\n完整记录：{log}"
        if live.last_backup:
            message += f"\n修改前的副本：{live.last_backup}"
        mode = "critical"
    finally:
        live.status(False)
        live.close()
    if message:
        try:
            live.app.alert(message, title=TITLE, mode=mode)
        except Exception:  # noqa: BLE001
            pass
    return message


def _lines(items: Sequence[str], limit: int = ALERT_LINES) -> str:
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"……另有 {len(items) - limit} 条")
    return "\n".join(shown)


def _backup_note(path: Path | None) -> str:
    return f"\n\n修改前的副本已保存：{path}" if path else ""


def validate_button(book: Any = None) -> str | None:
    """校验: validate the form sheet, mark the problem cells, write 校验结果 (earlier marks replaced)."""

    def work(live: LiveBook) -> str:
        from .features.validate import rewrite

        live.status("正在校验…")
        res = rewrite(live, config=live.settings(), mark=True)
        report = res.report
        assert report is not None
        if not report.issues:
            return f"「{res.sheet}」未发现问题。"
        head = (f"「{res.sheet}」发现 {len(report.issues)} 个问题：错误 {len(report.errors)}，"
                f"警告 {len(report.warnings)}，提示 {len(report.infos)}。\n"
                "问题单元格已标色并加批注，全部问题见「校验结果」工作表（可点击跳转）。\n")
        return head + "\n" + _lines([f"{i.location} {i.code} {i.message}" for i in report.issues])

    return _run("校验", work, book)


def clear_marks_button(book: Any = None) -> str | None:
    """清除标记: remove xlperf's fills, notes and sheets, restoring the cells' own fills and notes."""

    def work(live: LiveBook) -> str:
        from .features.validate import unmark

        res = unmark(live)
        if res.sheet is None:
            return "没有 xlperf 的标记需要清除。"
        return f"已清除 {res.cleared} 个单元格的标记和「校验结果」工作表。"

    return _run("清除标记", work, book)


def autosum_button(book: Any = None) -> str | None:
    """自动求和: 项目支出 and the totals become live SUM formulas; the income side is checked."""

    def work(live: LiveBook) -> str:
        from .features.autosum import autosum

        res = autosum(live)
        if res.changes:
            text = f"已写入 {len(res.changes)} 个求和公式：\n" + _lines([ch.describe() for ch in res.changes])
        else:
            text = "金额公式已是最新，未做修改。"
        notes = [m.describe() for m in res.messages]
        if notes:
            text += "\n\n" + _lines(notes)
        return text + _backup_note(res.backup)

    return _run("自动求和", work, book)


def insert_indicators_button(task_type: str = "", book: Any = None) -> str | None:
    """插入标准指标: insert the indicator set of ``task_type`` ("" = 自动识别) under the selected task."""

    def work(live: LiveBook) -> str:
        from .core.indicators import load_library
        from .features.indicators import at_row, insert

        selection = live.book.selection
        row = selection.row - 1 if selection is not None else None
        res = insert(live, at_row(row), load_library(), type=task_type or None)
        if not res.plan.edits:
            return f"{res.label}已有「{res.type}」的全部标准指标，未做修改。"
        text = f"已在{res.label}下插入「{res.type}」{'（自动识别）' if res.guess else ''}的 {len(res.added)} 条指标。"
        if res.guess is not None and res.guess.fallback:
            text += (f"\n任务名称未能识别出类型（置信度低），使用了兜底类型「{res.type}」；"
                     "如不合适，可用备份恢复后从菜单中选择类型。")
        if res.skipped:
            text += "\n已有而跳过：" + "、".join(
                f"{n}（已有「{res.plan.similar[n]}」）" if n in res.plan.similar else n for n in res.skipped)
        if res.needs_value:
            text += f"\n有 {len(res.needs_value)} 条指标的年度指标值需要填写（已标黄）。"
        return text + _backup_note(res.backup)

    return _run("插入标准指标", work, book)


def consolidate_button(paths: Sequence[str] | str, book: Any = None) -> str | None:
    """合并部门表: consolidate the picked workbooks into a new summary workbook beside the first one and
    open it. The inputs are only read."""

    def work(live: LiveBook) -> str:
        from .errors import XlperfError
        from .features.consolidate import summary_beside

        files = [paths] if isinstance(paths, str) else list(paths)
        if not files:
            raise XlperfError("没有选择文件")
        live.status(f"正在汇总 {len(files)} 个文件…")
        res = summary_beside(files)
        live.app.books.open(str(res.output))
        text = res.message
        if res.skipped:
            text += f"\n\n未汇总 {len(res.skipped)} 个文件：\n" + _lines(res.skipped)
        return text

    return _run("合并部门表", work, book)


def new_form_button(book: Any = None) -> str | None:
    """新建表格: a new, unsaved workbook made from the blank form template."""

    def work(live: LiveBook) -> None:
        from .features.new import write_form

        path = write_form(home() / "templates" / "部门整体支出绩效目标表.xlsx")
        live.app.api.Workbooks.Add(str(path))  # Excel's "new from template": an unsaved copy
        return None

    return _run("新建表格", work, book)


def about_button(book: Any = None) -> str | None:
    """关于: versions, the interpreter in use and the configuration the add-in reads."""

    def work(live: LiveBook) -> str:
        from . import __version__

        try:
            import xlwings

            xw_version = xlwings.__version__
        except Exception:  # noqa: BLE001
            xw_version = "未安装"
        conf = Path.home() / ".xlperf" / "xlperf.conf"
        server = "未知"
        if conf.exists():
            text = conf.read_text(encoding="utf-8", errors="replace")
            server = "开启" if re.search(r'"USE UDF SERVER"\s*,\s*"True"', text, re.I) else "关闭"
        return (f"xlperf {__version__}\n"
                f"Python {sys.version.split()[0]}：{sys.executable}\n"
                f"xlwings {xw_version}（加载项的 VBA 需与之一致）\n"
                f"配置文件：{conf}{'' if conf.exists() else '（不存在，请运行 xlperf addin install）'}\n"
                f"常驻 Python 进程（UDF 服务器）：{server}\n"
                f"备份与日志：{home()}")

    return _run("关于", work, book)


def doctor_button(book: Any = None) -> str | None:
    """自检: the checks of ``xlperf doctor`` (interpreter, xlwings against the VBA, settings, XLSTART copy,
    backup folder), each failure with what to do."""

    def work(live: LiveBook) -> str:
        from .addin.doctor import describe, run_checks

        return _lines(describe(run_checks(workbook=live.path)), limit=40)

    return _run("自检", work, book)


__all__ = [
    "LiveBook",
    "LiveWriter",
    "about_button",
    "doctor_button",
    "autosum_button",
    "chunk_addresses",
    "clear_marks_button",
    "consolidate_button",
    "insert_indicators_button",
    "literal",
    "new_form_button",
    "read_grid",
    "validate_button",
]
