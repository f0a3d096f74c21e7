"""Path-level validation API: ``validate`` (re-exported as ``xlperf.validate``), ``mark_file``,
``fix_file``, ``clear_marks``.

Each is a file adapter (:mod:`xlperf.io.books`) plus the feature in :mod:`xlperf.features.validate`,
which the Excel buttons and consolidation call too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .core.config import Config
from .core.grid import Grid
from .core.issues import Report
from .core.model import Form
from .features.validate import FileResult, check_form

ConfigLike = Config | str | Path | dict | None


def _config(config: ConfigLike, workbook: str | Path | None = None) -> Config:
    """The settings in force: a :class:`Config` or a mapping as given; otherwise the one discovery the
    command line uses (:func:`xlperf.settings.load_settings`) for ``workbook`` — the user's file, then the
    nearest ``xlperf.toml`` beside the workbook, or, instead of that, the TOML file ``config`` names. A
    form or grid with no path gets the defaults."""
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return Config.from_mapping(config)
    if config is None and workbook is None:
        return Config()
    from .settings import load_settings

    return load_settings(workbook, config=config).config


def validate_form(
    form: Form,
    *,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    path: str | None = None,
) -> Report:
    """Run the rules over a parsed form."""
    return check_form(form, _config(config), select=select, ignore=ignore, path=path)


def validate(
    path_or_form: str | Path | Form | Grid,
    *,
    sheet: str | None = None,
    config: ConfigLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    password: str | None = None,
) -> Report:
    """Validate a form: a :class:`Form`, a :class:`Grid`, or a path (the form sheet
    :func:`xlperf.workbook.form_sheet` chooses, or ``sheet``). ``config`` is a :class:`Config`, a
    mapping or a TOML path; ``select``/``ignore`` are codes or prefixes (``"XP4"``). Raises
    :class:`~xlperf.errors.XlperfError` when the file cannot be read.

    >>> report = validate("tests/fixtures/seed.txt")          # doctest: +SKIP
    >>> [i.code for i in report.errors]                       # doctest: +SKIP
    ['XP303', 'XP401', 'XP303']
    """
    if isinstance(path_or_form, Form):
        return validate_form(path_or_form, config=config, select=select, ignore=ignore)
    if isinstance(path_or_form, Grid):
        from .core.parse import parse_grid

        return validate_form(parse_grid(path_or_form), config=config, select=select, ignore=ignore)
    from .features.validate import check
    from .io.books import open_book

    cfg = _config(config, path_or_form)
    with open_book(path_or_form, password=password) as book:
        return check(book, sheet=sheet, config=cfg, select=select, ignore=ignore)[1]


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
    return _rewrite(path, out, in_place, sheet=sheet, config=config, select=select, ignore=ignore, fix=fix,
                    mark=True, mark_info=mark_info)


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
    return _rewrite(path, out, in_place, sheet=sheet, config=config, select=select, ignore=ignore, fix=True,
                    mark=mark)


def _rewrite(path: str | Path, out: str | Path | None, in_place: bool, *, config: ConfigLike, **kw: Any) -> FileResult:
    from .features.validate import rewrite
    from .io.books import FileBook

    cfg = _config(config, path)
    with FileBook(path, out=out, in_place=in_place) as book:
        return rewrite(book, config=cfg, **kw)


def clear_marks(path: str | Path, out: str | Path | None = None, in_place: bool = False) -> FileResult:
    """Remove xlperf's marks (restoring the cells' own fills and notes) and write the workbook."""
    from .features.validate import unmark
    from .io.books import FileBook

    with FileBook(path, out=out, in_place=in_place) as book:
        return unmark(book)


__all__ = ["FileResult", "clear_marks", "fix_file", "mark_file", "validate", "validate_form"]
