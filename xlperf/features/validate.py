"""Validate, mark, fix and unmark: written once against :class:`xlperf.workbook.Workbook`.

``xlperf validate [--mark] [--fix] [--unmark]``, the 校验 / 清除标记 buttons and consolidation's
校验问题 all come here. The core plans (rules -> :class:`~xlperf.core.issues.Report`;
:func:`~xlperf.core.fixes.plan_fixes`; :func:`~xlperf.core.marks.plan_marks` / ``plan_clear``); the
workbook applies and saves (:func:`xlperf.workbook.commit`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.config import Config
from ..core.edits import Edit, SetValue
from ..core.issues import Report
from ..core.model import Form
from ..workbook import OWN_SHEETS, FormSheet, Workbook, commit, form_sheet


def check_form(form: Form, config: Config | None = None, *, select: Iterable[str] | None = None,
               ignore: Iterable[str] | None = None, path: str | None = None) -> Report:
    """Run the rules over a parsed form."""
    from ..core.rules import run_rules

    issues = run_rules(form, config or Config(), select=select, ignore=ignore)
    return Report(issues, path=path if path is not None else form.source, sheet=form.sheet or None,
                  department=form.department)


def check(book: Workbook, *, sheet: str | None = None, config: Config | None = None,
          select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> tuple[FormSheet, Report]:
    """The form sheet of ``book`` and its report."""
    fs = form_sheet(book, sheet)
    return fs, check_form(fs.form, config, select=select, ignore=ignore, path=book.label)


@dataclass
class FileResult:
    """What :func:`rewrite` / :func:`unmark` did."""

    source: Path | None
    target: Path | None
    backup: Path | None
    report: Report | None = None
    before: Report | None = None
    fixes: list[tuple[SetValue, list[str]]] = field(default_factory=list)
    marked: int = 0
    cleared: int = 0
    sheet: str | None = None

    @property
    def written(self) -> bool:
        return self.target is not None


def rewrite(book: Workbook, *, sheet: str | None = None, config: Config | None = None,
            select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
            fix: bool = False, mark: bool = False, mark_info: bool = False) -> FileResult:
    """Validate the form sheet; with ``fix`` apply the safe fixes first (and validate again); with
    ``mark`` flag the remaining issues in the sheet (replacing earlier marks). Then save."""
    from ..core.fixes import apply_to_grid, fix_codes, plan_fixes
    from ..core.marks import BOOK_SHEET, plan_marks, read_marks
    from ..core.parse import parse_grid

    cfg = config or Config()
    previous = book.table(BOOK_SHEET)
    fs, report = check(book, sheet=sheet, config=cfg, select=select, ignore=ignore)
    grid = fs.grid
    result = FileResult(source=book.path, target=None, backup=None, report=report, before=report, sheet=fs.name)
    edits: list[Edit] = []
    if fix:
        fixes = plan_fixes(grid, report)
        result.fixes = [(e, fix_codes(report, e)) for e in fixes]
        if fixes:
            edits.extend(fixes)
            grid = apply_to_grid(grid, fixes)
            result.report = check_form(parse_grid(grid), cfg, select=select, ignore=ignore, path=book.label)
    if mark:
        from ..core.grid import parse_a1
        from ..core.marks import REPORT_SHEET, report_sheet_name

        assert result.report is not None
        cells = {i.position for i in result.report.issues if i.cell}
        cells |= {parse_a1(m.cell) for m in read_marks(previous) if m.sheet == fs.name}
        styles = book.styles(fs.name, cells)
        from ..core.edits import WriteTable

        names = {s.name for s in book.sheets()}
        headers = {n: _header(book, n) for n in (REPORT_SHEET,) if n in names}
        report_sheet = report_sheet_name(headers, BOOK_SHEET in names)
        planned = plan_marks(grid, result.report, previous, styles, mark_info=mark_info, report_sheet=report_sheet)
        edits.extend(planned)
        # the cells marked: one bookkeeping row each (the cells of a merged block count once)
        result.marked = next((len(e.rows) for e in planned if isinstance(e, WriteTable) and e.sheet == BOOK_SHEET), 0)
    saved = commit(book, fs.name, edits, grid.merges, replaces=_replaces(book))
    result.target, result.backup = saved.target, saved.backup
    return result


def unmark(book: Workbook) -> FileResult:
    """Remove xlperf's marks: restore the cells' own fills and notes, delete 校验结果 and the
    bookkeeping sheet. A cell the user re-coloured or re-noted since keeps the user's version."""
    from ..core.grid import parse_a1
    from ..core.marks import BOOK_SHEET, REPORT_SHEET, REPORT_SHEET_ALT, is_own_report, plan_clear, read_marks

    previous = book.table(BOOK_SHEET)
    infos = book.sheets()
    names = [s.name for s in infos]
    result = FileResult(source=book.path, target=None, backup=None)
    has_book = BOOK_SHEET in names
    reports = [n for n in (REPORT_SHEET, REPORT_SHEET_ALT) if n in names and is_own_report(_header(book, n), has_book)]
    if not previous and not has_book and not reports:
        return result  # nothing of xlperf's here (a sheet the user named 校验结果 is the user's)
    marks = read_marks(previous)
    current: dict[tuple[str, int, int], Any] = {}
    for name in sorted({m.sheet for m in marks} & set(names)):
        cells = [parse_a1(m.cell) for m in marks if m.sheet == name]
        for (r, c), st in book.styles(name, cells).items():
            current[(name, r, c)] = st
    edits = plan_clear(previous, current, sheets=names, reports=reports)
    others = [s.name for s in infos if s.name not in OWN_SHEETS]
    active = next((s.name for s in infos if s.active and s.name not in OWN_SHEETS), None)
    home = active or (others[0] if others else names[0])
    saved = commit(book, home, edits, replaces=_replaces(book))
    result.target, result.backup, result.cleared, result.sheet = saved.target, saved.backup, len(marks), home
    return result


def _header(book: Workbook, name: str) -> list[Any]:
    return book.header(name)


def _replaces(book: Workbook) -> bool:
    """Whether saving replaces the original (in place, or a live workbook) rather than writing a new file."""
    return bool(getattr(book, "replaces", True))


__all__ = ["FileResult", "check", "check_form", "rewrite", "unmark"]
