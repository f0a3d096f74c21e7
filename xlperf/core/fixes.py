"""Safe fixes as an edit list: the rules attach a fix to a fixable issue; this module merges them.

Fixable codes: XP203 (二级 canonical name), XP204 (legacy 产出/成本指标 -> 成本指标/经济成本指标), XP208
(一级 canonical name), XP411 (stray whitespace, full-width digits / letters / signs), XP413 (symbol
variants to ≥ ≤ > < =). Every edit is a :class:`~xlperf.core.edits.SetValue` with the old value, so
the file adapter (openpyxl) and the live adapter (xlwings) apply the same list.
"""

from __future__ import annotations

from dataclasses import replace

from .edits import SetValue
from .grid import Grid, a1
from .issues import Report

# when two fixes write the same cell, the earlier code wins (its value is already clean)
FIX_PRIORITY = ("XP204", "XP203", "XP208", "XP413", "XP411")


def _rank(code: str) -> int:
    return FIX_PRIORITY.index(code) if code in FIX_PRIORITY else len(FIX_PRIORITY)


def plan_fixes(grid: Grid, report: Report) -> list[SetValue]:
    """The safe fixes of ``report`` for the sheet ``grid``, one edit per cell, in cell order.

    Args:
        grid: the sheet the report was made from (its values are the fixes' expected old values).
        report: the validation report of that sheet.

    Returns:
        ``SetValue(row, col, value, old)`` edits (0-based, ``sheet=None`` = the form's sheet). A fix
        whose ``old`` no longer matches the grid (the cell was edited since) is left out. When several
        fixes touch one cell the one of the higher-priority code (``FIX_PRIORITY``) is kept.
    """
    chosen: dict[tuple[int, int], tuple[int, SetValue]] = {}
    for issue in report.issues:
        if issue.sheet not in (None, grid.sheet):
            continue
        for e in issue.fix:
            if e.sheet not in (None, grid.sheet) or grid.get(e.row, e.col) != e.old:
                continue
            key = (e.row, e.col)
            rank = _rank(issue.code)
            if key not in chosen or rank < chosen[key][0]:
                chosen[key] = (rank, replace(e, sheet=None))
    return [chosen[k][1] for k in sorted(chosen)]


def fix_codes(report: Report, edit: SetValue) -> list[str]:
    """The codes of the issues whose fix writes ``edit``'s cell (for listing the changes)."""
    codes = []
    for issue in report.issues:
        if any((e.row, e.col) == (edit.row, edit.col) for e in issue.fix) and issue.code not in codes:
            codes.append(issue.code)
    return codes


def describe_fix(edit: SetValue, codes: list[str] | None = None) -> str:
    """``G15: 「社会效益」 → 「社会效益指标」（XP203）``."""
    tail = f"（{'、'.join(codes)}）" if codes else ""
    return f"{a1(edit.row, edit.col)}: 「{edit.old}」 → 「{edit.value}」{tail}"


def apply_to_grid(grid: Grid, edits: list[SetValue]) -> Grid:
    """A copy of ``grid`` with ``edits`` written (for re-validating a fixed sheet in memory)."""
    values = dict(grid.values)
    for e in edits:
        if e.value is None or e.value == "":
            values.pop((e.row, e.col), None)
        else:
            values[(e.row, e.col)] = e.value
    return Grid(sheet=grid.sheet, values=values, formulas=dict(grid.formulas), merges=list(grid.merges),
                source=grid.source, formats=dict(grid.formats))
