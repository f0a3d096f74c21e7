"""Marking a sheet in place: plan the edits that flag each issue's cell, and the edits that undo them.

Each flagged cell gets a fill (error red ``FFC7CE``, warning yellow ``FFEB9C``; info issues are only
listed) and a note holding the codes and messages; a sheet ``校验结果`` lists every issue with a link to
its cell. What xlperf changed is recorded in a hidden bookkeeping sheet ``_xlperf_marks`` (written with
``WriteTable(hidden=True)``), one row per marked cell::

    sheet | cell | fill | note | note_author | mark_fill | mark_note

``fill``/``note``/``note_author`` are the cell's own fill and note before xlperf touched it; ``mark_*``
what xlperf wrote. Marking again first restores every recorded cell, so marking twice gives the same
workbook as marking once, and a cell the user re-coloured or re-noted after marking keeps the user's
version (it no longer equals ``mark_*``).

Fill descriptors (plain strings, so that any adapter can read and write them):

* ``""``: no fill;
* ``"RRGGBB"``: a solid fill of that RGB colour (restored with ``SetFill``);
* ``"xml:<fill>...</fill>"``: any other fill (theme colours, patterns, gradients) as its SpreadsheetML
  ``<fill>`` element, restored with :class:`~xlperf.core.edits.RestoreFill`. An adapter that cannot interpret it should
  remove the fill.

Pure: the adapter reads the cells' current styles and the bookkeeping rows and passes them in.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .edits import DeleteSheet, Edit, RestoreFill, SetFill, SetNote, WriteTable
from .grid import Grid, a1, parse_a1
from .issues import Issue, Report, Severity

REPORT_SHEET = "校验结果"
REPORT_SHEET_ALT = "校验结果（xlperf）"  # when the workbook has a 校验结果 sheet of the user's own
BOOK_SHEET = "_xlperf_marks"
BOOK_HEADER = ["sheet", "cell", "fill", "note", "note_author", "mark_fill", "mark_note"]
REPORT_HEADER = ["序号", "级别", "代码", "位置", "任务", "指标", "说明"]
REPORT_WIDTHS = [6, 8, 8, 18, 8, 24, 90]
COLORS = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C", Severity.INFO: "DDEBF7"}
NOTE_PREFIX = "xlperf 校验："
NOTE_AUTHOR = "xlperf"
_RGB_RE = re.compile(r"^[0-9A-Fa-f]{6}$")

# (fill descriptor, note text or None, note author or None) of one cell
CellStyle = tuple[str, "str | None", "str | None"]


@dataclass(frozen=True)
class Mark:
    """One row of the bookkeeping table."""

    sheet: str
    cell: str
    fill: str
    note: str | None
    note_author: str | None
    mark_fill: str
    mark_note: str

    def row(self) -> list[Any]:
        return [self.sheet, self.cell, self.fill, self.note or "", self.note_author or "", self.mark_fill,
                self.mark_note]


def read_marks(rows: Sequence[Sequence[Any]] | None) -> list[Mark]:
    """Bookkeeping rows (without the header row; a leading header row is skipped) -> marks."""
    out: list[Mark] = []
    for row in rows or []:
        vals = [("" if v is None else str(v)) for v in list(row) + [None] * (len(BOOK_HEADER) - len(row))]
        if vals[:2] == BOOK_HEADER[:2] or not vals[0] or not vals[1]:
            continue
        try:
            parse_a1(vals[1])
        except ValueError:
            continue
        out.append(Mark(vals[0], vals[1], vals[2], vals[3] or None, vals[4] or None, vals[5], vals[6]))
    return out


def _restore_fill(mark: Mark, r: int, c: int) -> Edit:
    if mark.fill.startswith("xml:"):
        return RestoreFill(r, c, mark.fill, sheet=mark.sheet)
    return SetFill(r, c, mark.fill if _RGB_RE.match(mark.fill) else None, sheet=mark.sheet)


def _clear_cells(
    marks: list[Mark],
    current: Mapping[tuple[str, int, int], CellStyle] | None,
    sheets: Collection[str] | None,
) -> list[Edit]:
    edits: list[Edit] = []
    for m in marks:
        if sheets is not None and m.sheet not in sheets:
            continue
        r, c = parse_a1(m.cell)
        cur = None if current is None else current.get((m.sheet, r, c))
        if cur is None or cur[0] == m.mark_fill:
            edits.append(_restore_fill(m, r, c))
        if cur is None or (cur[1] or "") == m.mark_note:
            edits.append(SetNote(r, c, m.note, author=m.note_author or NOTE_AUTHOR, sheet=m.sheet))
    return edits


def is_own_report(header: Sequence[Any] | None, has_book: bool) -> bool:
    """Whether a sheet called 校验结果 is xlperf's: its header row is xlperf's and the workbook holds
    xlperf's bookkeeping sheet. A sheet the user named 校验结果 is never replaced nor deleted."""
    if not has_book or header is None:
        return False
    head = [("" if v is None else str(v)) for v in list(header)[: len(REPORT_HEADER)]]
    return head == REPORT_HEADER


def report_sheet_name(headers: Mapping[str, Sequence[Any] | None], has_book: bool) -> str:
    """The sheet the report goes to: 校验结果, unless the workbook has a 校验结果 of the user's own
    (``headers``: the header rows of the sheets of that name that exist)."""
    if REPORT_SHEET in headers and not is_own_report(headers[REPORT_SHEET], has_book):
        return REPORT_SHEET_ALT
    return REPORT_SHEET


def plan_clear(
    previous: Sequence[Sequence[Any]] | None,
    current: Mapping[tuple[str, int, int], CellStyle] | None = None,
    *,
    sheets: Collection[str] | None = None,
    reports: Sequence[str] = (REPORT_SHEET,),
) -> list[Edit]:
    """Edits removing xlperf's marks: restore each recorded cell, delete ``校验结果`` and the bookkeeping sheet.

    Args:
        previous: the bookkeeping sheet's rows (list of lists; header row optional).
        current: optional {(sheet, row, col): (fill, note, author)} of the recorded cells as they are
            now; a cell whose fill (or note) no longer equals what xlperf wrote is left as the user made it.
        sheets: optional names of the sheets that exist; rows for other sheets are skipped.

        reports: the report sheets that are xlperf's (see :func:`is_own_report`), deleted with the
            bookkeeping sheet.

    Returns:
        ``SetFill``/``RestoreFill``/``SetNote`` edits (with explicit ``sheet``), then the ``DeleteSheet``s.
    """
    edits = _clear_cells(read_marks(previous), current, sheets)
    return edits + [DeleteSheet(name) for name in reports] + [DeleteSheet(BOOK_SHEET)]


def _worst(issues: list[Issue]) -> Severity:
    return min((i.severity for i in issues), key=lambda s: s.rank)


def note_text(issues: list[Issue], original: str | None = None) -> str:
    """The note of a marked cell: every issue's code, severity and message; the user's note kept below."""
    lines = [NOTE_PREFIX] + [f"{i.code} {i.severity.label}：{i.message}" for i in issues]
    if original:
        lines += ["——", "原批注：", original]
    return "\n".join(lines)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def plan_marks(
    grid: Grid,
    report: Report,
    previous: Sequence[Sequence[Any]] | None = None,
    styles: Mapping[tuple[int, int], CellStyle] | None = None,
    *,
    mark_info: bool = False,
    report_sheet: str = REPORT_SHEET,
) -> list[Edit]:
    """Edits marking ``report``'s issues on the sheet ``grid`` (and undoing earlier marks first).

    Args:
        grid: the form's sheet (its name is recorded; its cells are the ones marked).
        report: the issues to mark; those without a cell, or on another sheet, are only listed.
        previous: the rows of the existing bookkeeping sheet (list of lists), or None.
        styles: {(row, col): (fill, note, author)} of the form sheet's cells as they are now (at least
            the issue cells and the cells in ``previous``); missing cells count as unfilled, without note.
        mark_info: also fill cells whose worst issue is info (light blue); by default they are only listed.
        report_sheet: the sheet listing the issues (:func:`report_sheet_name`).

    Returns:
        The clearing edits of :func:`plan_clear` for ``previous`` (without deleting the sheets), then
        ``SetFill`` + ``SetNote`` per marked cell, a ``WriteTable`` for ``校验结果`` and a hidden
        ``WriteTable`` for the bookkeeping sheet.
    """
    sheet = grid.sheet
    styles = styles or {}
    marks = read_marks(previous)
    current = {(sheet, r, c): st for (r, c), st in styles.items()}
    edits: list[Edit] = _clear_cells(marks, current, None)
    # what each cell looks like once the earlier marks are gone
    restored: dict[tuple[int, int], list[Any]] = {}
    for m in marks:
        if m.sheet != sheet:
            continue
        r, c = parse_a1(m.cell)
        cur = styles.get((r, c), ("", None, None))
        fill = m.fill if cur[0] == m.mark_fill else cur[0]
        note, author = (m.note, m.note_author) if (cur[1] or "") == m.mark_note else (cur[1], cur[2])
        restored[(r, c)] = [fill, note, author]

    wanted = {i.position for i in report.issues if i.cell and i.sheet in (None, sheet)}
    rows_wanted = {r for r, _ in wanted}
    by_row: dict[int, list[Any]] = {}
    for m in grid.merges:
        for r in rows_wanted.intersection(range(m.r0, m.r1 + 1)):
            by_row.setdefault(r, []).append(m)
    anchor: dict[tuple[int, int], tuple[int, int]] = {}  # inside a merged block only its top-left cell shows
    for r, c in wanted:
        for m in by_row.get(r, ()):
            if m.c0 <= c <= m.c1:
                anchor[(r, c)] = (m.r0, m.c0)
                break
    by_cell: dict[tuple[int, int], list[Issue]] = {}
    for i in report.issues:
        if i.cell and (i.sheet in (None, sheet)):
            by_cell.setdefault(anchor.get(i.position, i.position), []).append(i)
    book: list[list[Any]] = []
    for (r, c), issues in sorted(by_cell.items()):
        worst = _worst(issues)
        if worst is Severity.INFO and not mark_info:
            continue
        fill, note, author = restored.get((r, c)) or list(styles.get((r, c), ("", None, None)))
        if note and note.startswith(NOTE_PREFIX):  # a stray mark whose bookkeeping was lost
            note, author = None, None
        color = COLORS[worst]
        text = note_text(issues, note)
        edits.append(SetFill(r, c, color))
        edits.append(SetNote(r, c, text, author=NOTE_AUTHOR))
        book.append(Mark(sheet, a1(r, c), fill or "", note, author, color, text).row())

    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str] = {}
    for n, i in enumerate(report.issues, start=1):
        where = i.location
        rows.append([n, i.severity.label, i.code, where, i.task if i.task is not None else "", i.indicator or "",
                     i.message])
        if i.cell:
            links[(n - 1, 3)] = f"{_quote(i.sheet or sheet)}!{i.cell}"
    if not rows:
        rows.append(["", "", "", "", "", "", "未发现问题"])
    edits.append(WriteTable(report_sheet, list(REPORT_HEADER), rows, links=links, widths=list(REPORT_WIDTHS)))
    edits.append(WriteTable(BOOK_SHEET, list(BOOK_HEADER), book, hidden=True))
    return edits
