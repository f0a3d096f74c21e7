"""Path-level functions composing the core and the io adapters. Re-exported from ``xlperf``."""

from __future__ import annotations

from pathlib import Path

from .core.model import Form


def parse(path: str | Path, *, sheet: str | None = None, password: str | None = None, engine: str = "fast") -> Form:
    """Read the form from a workbook (``.xlsx .xlsm .xls .ods``) or a tab-separated text file."""
    from .io.readers import load_form

    return load_form(path, sheet=sheet, password=password, engine=engine)


def parse_text(text: str) -> Form:
    """Parse tab-separated text as copied out of Excel."""
    from .core.parse import parse_grid
    from .io.readers import read_text

    return parse_grid(read_text(text))
