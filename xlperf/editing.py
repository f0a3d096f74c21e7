"""Path-level editing API: ``xlperf.autosum``, ``xlperf.detect_task_types``, ``xlperf.insert_indicators``.

Each is a file adapter (:mod:`xlperf.io.books`) plus the feature in :mod:`xlperf.features`, which the
Excel buttons call too. Nothing is written unless there is a target: ``out`` (``-o``), ``in_place``
(backup first), or by default ``NAME.xlperf.xlsx`` beside the input.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .core.indicators import Library, TypeGuess, load_library
from .core.model import Form
from .features.autosum import AutosumResult
from .features.indicators import InsertResult

LibraryArg = Library | str | Path | Iterable[str | Path] | None


def _library(library: LibraryArg) -> Library:
    if isinstance(library, Library):
        return library
    return load_library(library)


def autosum(path: str | Path, out: str | Path | None = None, in_place: bool = False, balance: bool = False, *,
            sheet: str | None = None, dry_run: bool = False) -> AutosumResult:
    """Make 项目支出 (and the totals the layout has) live formulas; check the income side.

    ``result.changes`` lists (cell, old, new) of every cell written; ``result.messages`` the checks.
    """
    from .features.autosum import autosum as run
    from .io.books import FileBook

    with FileBook(path, out=out, in_place=in_place) as book:
        return run(book, sheet=sheet, balance=balance, dry_run=dry_run)


def detect_task_types(path_or_form: str | Path | Form, library: LibraryArg = None, *, sheet: str | None = None) -> list[TypeGuess]:
    """The guessed task type of every task of a form (a path, pasted text, or a parsed Form)."""
    from .core.indicators import detect_form

    if isinstance(path_or_form, Form):
        return detect_form(path_or_form, _library(library))
    from .features.indicators import detect
    from .io.books import open_book

    with open_book(path_or_form) as book:
        return detect(book, _library(library), sheet=sheet)


def insert_indicators(path: str | Path, task: int | str, type: str | None = None, replace: bool = False,
                      out: str | Path | None = None, in_place: bool = False, library: LibraryArg = None, *,
                      sheet: str | None = None, dry_run: bool = False) -> InsertResult:
    """Insert the standard indicator set of ``type`` (detected when None) under task ``task`` (序号)."""
    from .features.indicators import by_number, insert
    from .io.books import FileBook

    with FileBook(path, out=out, in_place=in_place) as book:
        return insert(book, by_number(task), _library(library), type=type, replace=replace, sheet=sheet,
                      dry_run=dry_run)


__all__ = ["AutosumResult", "InsertResult", "autosum", "detect_task_types", "insert_indicators"]
