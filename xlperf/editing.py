"""Path-level editing API: read the workbook, plan in the core, apply with openpyxl, save safely.

``xlperf.autosum``, ``xlperf.detect_task_types`` and ``xlperf.insert_indicators`` are these functions.
Nothing is written unless there is a target: ``out`` (``-o``), ``in_place`` (backup first), or by
default ``NAME.xlperf.xlsx`` beside the input.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core.autosum import Change, Message, analyse_autosum
from .core.indicators import (
    IndicatorSet,
    InsertPlan,
    Library,
    PlannedRow,
    TypeGuess,
    build_insert_plan,
    detect_form,
    detect_task,
    find_task,
    load_library,
)
from .core.model import Form
from .errors import NotAFormError, UnreadableFileError, UnsupportedFormatError, XlperfError

LibraryArg = Library | str | Path | Iterable[str | Path] | None


@dataclass
class AutosumResult:
    source: Path
    output: Path | None
    sheet: str
    changes: list[Change] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    backup: Path | None = None
    written: bool = False

    @property
    def ok(self) -> bool:
        return not any(m.level == "error" for m in self.messages)


@dataclass
class InsertResult:
    source: Path
    output: Path | None
    sheet: str
    task_seq: Any
    task_name: str | None
    type: str
    guess: TypeGuess | None
    plan: InsertPlan
    backup: Path | None = None
    written: bool = False

    @property
    def added(self) -> list[PlannedRow]:
        return self.plan.rows

    @property
    def skipped(self) -> list[str]:
        return [s.name for s in self.plan.skipped]

    @property
    def needs_value(self) -> list[PlannedRow]:
        return self.plan.needs_value


def _library(library: LibraryArg) -> Library:
    if isinstance(library, Library):
        return library
    return load_library(library)


def open_form(path: str | Path, *, sheet: str | None = None) -> tuple[Any, Any, Any, Form]:
    """(workbook, worksheet, grid, form) of the first sheet holding a form (or the named sheet)."""
    from .core.parse import parse_grid
    from .io.readers import TEXT_EXTS, grid_from_worksheet, open_workbook

    path = Path(path)
    if not path.exists():
        raise UnreadableFileError("文件不存在", path=str(path))
    if path.suffix.lower() in TEXT_EXTS:
        raise UnsupportedFormatError("粘贴文本不能直接修改；请先用 xlperf import 转为 .xlsx", path=str(path))
    # never keep_vba: outputs are .xlsx and must not carry a macro project (an .xlsm is never rewritten
    # in place either: save_workbook refuses it because its VBA would be lost)
    wb = open_workbook(path)
    if sheet is not None and sheet not in wb.sheetnames:
        raise UnreadableFileError(f"找不到工作表「{sheet}」（现有：{'、'.join(wb.sheetnames)}）", path=str(path))
    first: NotAFormError | None = None
    for name in [sheet] if sheet else wb.sheetnames:
        ws = wb[name]
        grid = grid_from_worksheet(ws, source=str(path))
        try:
            return wb, ws, grid, parse_grid(grid)
        except NotAFormError as exc:
            first = first or exc
    err = first or NotAFormError("工作簿中没有绩效目标表")
    err.path = str(path)
    raise err


def _save(wb: Any, source: Path, out: str | Path | None, in_place: bool, changed: bool) -> tuple[Path | None, Path | None, bool]:
    from .io.xlsx import resolve_output, save_workbook

    target, replaces = resolve_output(source, out, in_place)
    if replaces and not changed:
        return target, None, False  # nothing to do: leave the file (and its date) alone
    backup = save_workbook(wb, target, source=source, in_place=replaces)
    return target, backup, True


def autosum(path: str | Path, out: str | Path | None = None, in_place: bool = False, balance: bool = False, *,
            sheet: str | None = None, dry_run: bool = False) -> AutosumResult:
    """Make 项目支出 (and the totals the layout has) live formulas; check the income side.

    ``result.changes`` lists (cell, old, new) of every cell written; ``result.messages`` the checks.
    """
    from .io.xlsx import apply_edits

    source = Path(path)
    wb, ws, grid, form = open_form(source, sheet=sheet)
    plan = analyse_autosum(grid, form, balance=balance)
    result = AutosumResult(source=source, output=None, sheet=ws.title, changes=plan.changes, messages=plan.messages)
    if dry_run:
        return result
    apply_edits(wb, ws, plan.edits)
    result.output, result.backup, result.written = _save(wb, source, out, in_place, bool(plan.edits))
    return result


def detect_task_types(path_or_form: str | Path | Form, library: LibraryArg = None, *, sheet: str | None = None) -> list[TypeGuess]:
    """The guessed task type of every task of a form (a path, pasted text, or a parsed Form)."""
    if isinstance(path_or_form, Form):
        form = path_or_form
    else:
        from .io.readers import load_form

        form = load_form(path_or_form, sheet=sheet)
    return detect_form(form, _library(library))


def insert_indicators(path: str | Path, task: int | str, type: str | None = None, replace: bool = False,
                      out: str | Path | None = None, in_place: bool = False, library: LibraryArg = None, *,
                      sheet: str | None = None, dry_run: bool = False) -> InsertResult:
    """Insert the standard indicator set of ``type`` (detected when None) under task ``task`` (序号)."""
    from .io.xlsx import apply_edits

    source = Path(path)
    lib = _library(library)
    wb, ws, grid, form = open_form(source, sheet=sheet)
    t = find_task(form, task)
    guess = None
    if type is None:
        guess = detect_task(t, lib)
        if guess.type is None:
            raise XlperfError(f"无法识别任务{t.seq}「{t.name or ''}」的类型，请用 --type 指定（现有：{'、'.join(lib.names)}）")
        iset: IndicatorSet = lib.require(guess.type)
    else:
        iset = lib.require(type)
    plan = build_insert_plan(grid, form, t.seq if t.seq is not None else task, iset, replace=replace)
    result = InsertResult(source=source, output=None, sheet=ws.title, task_seq=t.seq, task_name=t.name,
                          type=iset.name, guess=guess, plan=plan)
    if dry_run:
        return result
    apply_edits(wb, ws, plan.edits)
    result.output, result.backup, result.written = _save(wb, source, out, in_place, bool(plan.edits))
    return result


__all__ = ["AutosumResult", "InsertResult", "autosum", "detect_task_types", "insert_indicators", "open_form"]
