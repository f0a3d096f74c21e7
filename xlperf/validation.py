"""Path-level validation: ``validate`` (re-exported as ``xlperf.validate``), ``mark_file``, ``fix_file``,
``clear_marks``.

The core plans (rules -> :class:`~xlperf.core.issues.Report`; :func:`~xlperf.core.fixes.plan_fixes`;
:func:`~xlperf.core.marks.plan_marks`), this module reads the workbook with openpyxl, applies the edit
lists with :func:`~xlperf.io.xlsx.apply_edits` and saves with
:func:`~xlperf.io.xlsx.save_workbook` (atomic; ``in_place`` takes a timestamped backup first and refuses
files holding parts openpyxl would drop).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.config import Config
from .core.edits import Edit, SetValue
from .core.grid import Grid
from .core.issues import Report
from .core.model import Form

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet

ConfigLike = Config | str | Path | dict | None


def _config(config: ConfigLike) -> Config:
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return Config.from_mapping(config)
    return Config.from_toml(config)


def validate_form(
    form: Form,
    *,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    path: str | None = None,
) -> Report:
    """Run the rules over a parsed form."""
    from .core.rules import run_rules

    issues = run_rules(form, _config(config), select=select, ignore=ignore)
    return Report(issues, path=path if path is not None else form.source, sheet=form.sheet or None,
                  department=form.department)


def validate(
    path_or_form: str | Path | Form | Grid,
    *,
    sheet: str | None = None,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    password: str | None = None,
) -> Report:
    """Validate a form: a :class:`Form`, a :class:`Grid`, or a path (the first sheet holding a form, or
    ``sheet``). ``config`` is a :class:`Config`, a mapping or a TOML path; ``select``/``ignore`` are codes
    or prefixes (``"XP4"``). Raises :class:`~xlperf.errors.XlperfError` when the file cannot be read.

    >>> report = validate("tests/fixtures/seed.txt")          # doctest: +SKIP
    >>> [i.code for i in report.errors]                       # doctest: +SKIP
    ['XP303', 'XP401', 'XP303']
    """
    if isinstance(path_or_form, Form):
        return validate_form(path_or_form, config=config, select=select, ignore=ignore)
    if isinstance(path_or_form, Grid):
        from .core.parse import parse_grid

        return validate_form(parse_grid(path_or_form), config=config, select=select, ignore=ignore)
    from .io.readers import load_form

    form = load_form(path_or_form, sheet=sheet, password=password)
    return validate_form(form, config=config, select=select, ignore=ignore, path=str(path_or_form))


# -- rewriting a workbook -------------------------------------------------------------------------------


@dataclass
class FileResult:
    """What ``mark_file`` / ``fix_file`` / ``clear_marks`` did."""

    source: Path
    target: Path | None
    backup: Path | None
    report: Report | None = None
    before: Report | None = None
    fixes: list[tuple[SetValue, list[str]]] = field(default_factory=list)
    marked: int = 0
    cleared: int = 0

    @property
    def written(self) -> bool:
        return self.target is not None


def mark_file(
    path: str | Path,
    out: str | Path | None = None,
    in_place: bool = False,
    *,
    sheet: str | None = None,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    fix: bool = False,
    mark_info: bool = False,
) -> FileResult:
    """Validate the workbook at ``path`` and write it with the issues marked (see :mod:`xlperf.core.marks`).

    Writes ``out``, or the input itself with ``in_place`` (backup first), or ``NAME.xlperf.xlsx``.
    With ``fix`` the safe fixes are applied first and the remaining issues are marked.
    """
    return _rewrite(path, out, in_place, sheet=sheet, config=config, select=select, ignore=ignore,
                    fix=fix, mark=True, mark_info=mark_info)


def fix_file(
    path: str | Path,
    out: str | Path | None = None,
    in_place: bool = False,
    *,
    sheet: str | None = None,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    mark: bool = False,
) -> FileResult:
    """Apply the safe fixes (XP203 XP204 XP208 XP411 XP413) and write the workbook; ``result.fixes`` lists
    each change with its codes and ``result.report`` the issues that remain. With ``in_place`` and
    nothing to fix, the file is left untouched (``result.target`` is None)."""
    return _rewrite(path, out, in_place, sheet=sheet, config=config, select=select, ignore=ignore,
                    fix=True, mark=mark)


def clear_marks(path: str | Path, out: str | Path | None = None, in_place: bool = False) -> FileResult:
    """Remove xlperf's marks (restoring the cells' own fills and notes) and write the workbook."""
    return _rewrite(path, out, in_place, unmark=True)


def _rewrite(
    path: str | Path,
    out: str | Path | None,
    in_place: bool,
    *,
    sheet: str | None = None,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    fix: bool = False,
    mark: bool = False,
    unmark: bool = False,
    mark_info: bool = False,
) -> FileResult:
    from .core.fixes import apply_to_grid, fix_codes, plan_fixes
    from .core.marks import BOOK_SHEET, REPORT_SHEET, plan_clear, plan_marks, read_marks
    from .core.parse import parse_grid
    from .errors import UnsupportedFormatError
    from .io.readers import TEXT_EXTS, open_workbook
    from .io.xlsx import resolve_output

    src = Path(path)
    if src.suffix.lower() in TEXT_EXTS:
        raise UnsupportedFormatError("文本文件不能直接标注或修复；请先用 xlperf import 转为 .xlsx", path=str(src))
    target, replaces = resolve_output(src, out, in_place)
    cfg = _config(config)
    wb = open_workbook(src)
    previous = _book_rows(wb, BOOK_SHEET)
    result = FileResult(source=src, target=None, backup=None)
    edits: list[Edit] = []
    if unmark:
        ws = wb.active
        if previous or BOOK_SHEET in wb.sheetnames or REPORT_SHEET in wb.sheetnames:
            edits = plan_clear(previous, _styles_for_marks(wb, previous), sheets=wb.sheetnames)
            result.cleared = len(read_marks(previous))
    else:
        ws, grid, form = _form_sheet(wb, src, sheet)
        report = validate_form(form, config=cfg, select=select, ignore=ignore, path=str(src))
        result.before = result.report = report
        if fix:
            fixes = plan_fixes(grid, report)
            result.fixes = [(e, fix_codes(report, e)) for e in fixes]
            if fixes:
                edits.extend(fixes)
                grid = apply_to_grid(grid, fixes)
                result.report = validate_form(parse_grid(grid), config=cfg, select=select, ignore=ignore,
                                              path=str(src))
        if mark:
            styles = _styles_for(ws, result.report, previous)
            edits.extend(plan_marks(grid, result.report, previous, styles, mark_info=mark_info))
            result.marked = len({i.cell for i in result.report.issues if i.cell})
    if not edits and replaces:
        return result  # nothing to change: leave the file (and its timestamp) alone
    _apply(wb, ws, edits)
    result.backup = _save(wb, target, src, replaces)
    result.target = target
    return result


def _save(wb: Any, target: Path, src: Path, replaces: bool) -> Path | None:
    from .io.xlsx import save_workbook

    return save_workbook(wb, target, source=src, in_place=replaces)


def _form_sheet(wb: Any, src: Path, sheet: str | None) -> tuple[Worksheet, Grid, Form]:
    from .core.marks import BOOK_SHEET, REPORT_SHEET
    from .core.parse import parse_grid
    from .errors import NotAFormError, UnreadableFileError
    from .io.readers import grid_from_worksheet

    if sheet is not None:
        if sheet not in wb.sheetnames:
            raise UnreadableFileError(f"找不到工作表「{sheet}」（现有：{'、'.join(wb.sheetnames)}）", path=str(src))
        names = [sheet]
    else:
        names = [n for n in wb.sheetnames if n not in (REPORT_SHEET, BOOK_SHEET)]
    first_error: NotAFormError | None = None
    for name in names:
        ws = wb[name]
        grid = grid_from_worksheet(ws, source=str(src))
        try:
            return ws, grid, parse_grid(grid)
        except NotAFormError as exc:
            first_error = first_error or exc
    err = first_error or NotAFormError("工作簿中没有绩效目标表")
    err.path = str(src)
    raise err


def _book_rows(wb: Any, name: str) -> list[list[Any]]:
    if name not in wb.sheetnames:
        return []
    ws = wb[name]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True) if any(v not in (None, "") for v in r)]


def _fill_spec(cell: Any) -> str:
    """The fill descriptor of an openpyxl cell (see :mod:`xlperf.core.marks`)."""
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


def _style(ws: Any, r: int, c: int) -> tuple[str, str | None, str | None]:
    cell = ws._cells.get((r + 1, c + 1))  # never create cells just to look at them
    if cell is None:
        return ("", None, None)
    note = cell.comment
    return (_fill_spec(cell), note.text if note else None, note.author if note else None)


def _styles_for(ws: Any, report: Report, previous: list[list[Any]]) -> dict[tuple[int, int], Any]:
    from .core.grid import parse_a1
    from .core.marks import read_marks

    cells = {i.position for i in report.issues if i.cell}
    cells |= {parse_a1(m.cell) for m in read_marks(previous) if m.sheet == ws.title}
    return {rc: _style(ws, *rc) for rc in cells if rc[0] >= 0}


def _styles_for_marks(wb: Any, previous: list[list[Any]]) -> dict[tuple[str, int, int], Any]:
    from .core.grid import parse_a1
    from .core.marks import read_marks

    out = {}
    for m in read_marks(previous):
        if m.sheet in wb.sheetnames:
            r, c = parse_a1(m.cell)
            out[(m.sheet, r, c)] = _style(wb[m.sheet], r, c)
    return out


def _apply(wb: Any, ws: Any, edits: list[Edit]) -> None:
    """``apply_edits`` plus :class:`~xlperf.core.marks.RestoreFill`, in order."""
    from .core.marks import RestoreFill
    from .io.xlsx import apply_edits

    batch: list[Edit] = []
    for e in edits:
        if isinstance(e, RestoreFill):
            apply_edits(wb, ws, batch)
            batch = []
            sh = ws if e.sheet is None else wb[e.sheet] if e.sheet in wb.sheetnames else None
            if sh is not None:
                sh.cell(e.row + 1, e.col + 1).fill = _fill_from_spec(e.spec)
        else:
            batch.append(e)
    apply_edits(wb, ws, batch)


def _fill_from_spec(spec: str) -> Any:
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
