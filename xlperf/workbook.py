"""The workbook interface every feature talks to, and the one rule for finding the form sheet.

A feature (validate, mark, fix, autosum, insert indicators, consolidate, ...) is written once, against
:class:`Workbook`; where the workbook lives is the adapter's business:

=====================  ======================================  =========================================
adapter                module                                  for
=====================  ======================================  =========================================
``FastBook``           :mod:`xlperf.io.books` (python-calamine)  reading any workbook fast (read-only)
``FileBook``           :mod:`xlperf.io.books` (openpyxl)          changing an ``.xlsx`` file
``TextBook``           :mod:`xlperf.io.books`                     text pasted out of Excel (read-only)
``LiveBook``           :mod:`xlperf.excel` (xlwings)              the workbook open in Excel
=====================  ======================================  =========================================

Every adapter builds its grids with :meth:`xlperf.core.grid.Grid.read`, so every reader gives the same
grid for the same workbook. This module is pure: it imports the core only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .core.edits import Edit
from .core.grid import Grid
from .core.marks import BOOK_SHEET, REPORT_SHEET, CellStyle
from .core.model import Form
from .errors import NotAFormError, UnreadableFileError

#: sheets xlperf itself writes into a workbook; never taken for the form
OWN_SHEETS = (REPORT_SHEET, BOOK_SHEET)
NO_FORM = "工作簿中没有绩效目标表"


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool = False
    active: bool = False


@runtime_checkable
class Workbook(Protocol):
    """What a feature needs from a workbook.

    ``label`` names the workbook in messages (a path, or the book's name in Excel); ``path`` is its
    file when it has one (configuration is looked up beside it). Read-only adapters have
    ``writable = False`` and raise :class:`~xlperf.errors.UnsupportedFormatError` (with the reason) from
    :meth:`apply`.
    """

    label: str
    path: Path | None
    writable: bool

    def sheets(self) -> list[SheetInfo]:
        """Every sheet in workbook order."""
        ...

    def grid(self, name: str) -> Grid:
        """The sheet as a normalised :class:`Grid` in absolute coordinates."""
        ...

    def styles(self, name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], CellStyle]:
        """(fill descriptor, note text, note author) of the given cells (see :mod:`xlperf.core.marks`)."""
        ...

    def table(self, name: str) -> list[list[Any]]:
        """The non-empty rows of sheet ``name`` below its header row ([] when there is no such sheet)."""
        ...

    def header(self, name: str) -> list[Any]:
        """The first row of sheet ``name`` ([] when there is no such sheet): how xlperf tells its own
        sheets from sheets the user gave the same name."""
        ...

    def apply(self, name: str, edits: Sequence[Edit], merges: Sequence[Any] = ()) -> None:
        """Apply an edit list to sheet ``name`` (``sheet=None`` edits) and the sheets the edits name.
        ``merges`` are the sheet's merged blocks as read (the live adapter writes through them)."""
        ...

    def backup(self) -> Path | None:
        """Keep a copy of the workbook as it is now, when the changes will replace it; its path."""
        ...

    def save(self) -> Path | None:
        """Write the changes (atomically; files only); the path written, or None when nothing is written."""
        ...

    def close(self) -> None:
        ...


@dataclass
class FormSheet:
    """The sheet a feature works on: its name, its grid and the form parsed from it."""

    name: str
    grid: Grid
    form: Form


def candidate_sheets(book: Workbook, sheet: str | None = None, *, active_first: bool = True) -> list[str]:
    """The sheets that may hold a form, in the order they are tried: the named sheet only; else the
    active sheet, then every other sheet in order (``active_first=False``: workbook order, for taking
    every form), skipping hidden sheets and xlperf's own sheets (校验结果, the bookkeeping sheet)."""
    infos = book.sheets()
    names = [s.name for s in infos]
    if sheet is not None:
        if sheet not in names:
            raise UnreadableFileError(f"找不到工作表「{sheet}」（现有：{'、'.join(names)}）", path=book.label)
        return [sheet]
    usable = [s for s in infos if not s.hidden and s.name not in OWN_SHEETS]
    active = [s.name for s in usable if s.active and active_first]
    return active + [s.name for s in usable if s.name not in active]


def iter_form_sheets(book: Workbook, sheet: str | None = None, *, active_first: bool = True
                     ) -> Iterator[tuple[str, Grid, Form | NotAFormError]]:
    """(name, grid, form or the reason it is not one) for every candidate sheet, in order."""
    from .core.parse import parse_grid

    for name in candidate_sheets(book, sheet, active_first=active_first):
        grid = book.grid(name)
        try:
            yield name, grid, parse_grid(grid)
        except NotAFormError as exc:
            yield name, grid, exc


def form_sheet(book: Workbook, sheet: str | None = None) -> FormSheet:
    """The one rule for the sheet a feature works on (see :func:`candidate_sheets`): the first
    candidate that holds a form. When none does, :func:`no_form_error`."""
    others: list[tuple[str, NotAFormError]] = []
    for name, grid, res in iter_form_sheets(book, sheet):
        if isinstance(res, Form):
            res.source = book.label
            return FormSheet(name, grid, res)
        others.append((name, res))
    raise no_form_error(others, book.label)


def no_form_error(others: Sequence[tuple[str, BaseException]], label: str | None = None) -> NotAFormError:
    """The one message for a workbook without a form: the reason when one sheet was tried, the reason
    of each (at most five) when several were, 工作簿中没有绩效目标表 when there was none to try."""
    def why(exc: BaseException) -> str:
        return getattr(exc, "message", None) or str(exc)

    if not others:
        message = NO_FORM
    elif len(others) == 1:
        message = why(others[0][1])
    else:
        parts = [f"{name}：{why(exc)}" for name, exc in others[:5]]
        message = f"没有找到绩效目标表（{'；'.join(parts)}{'；…' if len(others) > 5 else ''}）"
    err = NotAFormError(message)
    err.path = label
    return err


def form_sheets(book: Workbook) -> tuple[list[FormSheet], list[tuple[str, NotAFormError]]]:
    """Every candidate sheet holding a form (a workbook may hold several departments), and the others
    with the reason they are not forms."""
    found: list[FormSheet] = []
    others: list[tuple[str, NotAFormError]] = []
    for name, grid, res in iter_form_sheets(book, active_first=False):
        if isinstance(res, Form):
            res.source = book.label
            found.append(FormSheet(name, grid, res))
        else:
            others.append((name, res))
    return found, others


@dataclass
class Saved:
    """Where a change went: the file written (None: nothing written, or a live workbook) and the copy
    of the original kept before it was replaced."""

    target: Path | None = None
    backup: Path | None = None

    @property
    def written(self) -> bool:
        return self.target is not None


def commit(book: Workbook, name: str, edits: Sequence[Edit], merges: Sequence[Any] = (), *,
           replaces: bool = True) -> Saved:
    """The one save policy: back up what will be replaced, apply the edits, save atomically.

    With no edits and a target that would replace the original (in place, or a live workbook),
    nothing happens: the file and its date are left alone. ``replaces=False`` (a new output file)
    writes even without edits, so that the output the user asked for exists.
    """
    if not edits and replaces:
        return Saved()
    backup = book.backup()
    book.apply(name, edits, merges)
    return Saved(book.save(), backup)


__all__ = [
    "NO_FORM", "OWN_SHEETS", "FormSheet", "Saved", "SheetInfo", "Workbook", "candidate_sheets", "commit",
    "form_sheet", "form_sheets", "iter_form_sheets", "no_form_error",
]
