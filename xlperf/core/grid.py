"""A sheet as plain data: values and formulas by 0-based (row, col), plus merged ranges.

This is the only input the core sees. Readers (calamine, openpyxl, pasted text, a live Excel
``used_range``) all produce a Grid in absolute sheet coordinates, so a cell address computed by the
core is the cell the user sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

_COL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


@lru_cache(maxsize=1024)
def col_letter(col: int) -> str:
    """0-based column index -> letters (0 -> A, 25 -> Z, 26 -> AA)."""
    col += 1
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """Letters -> 0-based column index (A -> 0)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def a1(row: int, col: int) -> str:
    """0-based (row, col) -> A1 reference."""
    return f"{col_letter(col)}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    """A1 reference -> 0-based (row, col). Accepts $ anchors."""
    m = _COL_RE.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)) - 1, col_index(m.group(1))


@dataclass(frozen=True, slots=True)
class MergedRange:
    """Inclusive 0-based bounds of a merged block."""

    r0: int
    c0: int
    r1: int
    c1: int

    @property
    def ref(self) -> str:
        return f"{a1(self.r0, self.c0)}:{a1(self.r1, self.c1)}"

    def contains(self, row: int, col: int) -> bool:
        return self.r0 <= row <= self.r1 and self.c0 <= col <= self.c1


@dataclass
class Grid:
    """Cell values of one sheet.

    ``values`` holds every non-empty cell in its canonical form (str, int, float, bool, date,
    datetime; see :mod:`xlperf.core.cells`); ``formulas`` holds the formula text (with leading ``=``)
    of formula cells where the reader knows it; ``formats`` the number formats that change what a
    value means (percent), where the reader knows them.

    Readers build grids with :meth:`read`, which normalises every value in the one way all readers
    share; the other constructors take values as given (tests, the core's own copies). The values of a
    grid a reader built are not changed afterwards (a changed sheet is a new Grid, as
    :func:`dataclasses.replace` makes): :meth:`text_cells`, :attr:`nrows` and :attr:`ncols` are kept for them.
    """

    sheet: str = "Sheet1"
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[MergedRange] = field(default_factory=list)
    source: str | None = None
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    _texts: tuple[Any, list[tuple[tuple[int, int], str]]] | None = field(default=None, init=False, repr=False,
                                                                        compare=False)
    _keep_texts: bool = field(default=False, init=False, repr=False, compare=False)
    _dims: tuple[Any, int, int] | None = field(default=None, init=False, repr=False, compare=False)

    def text_cells(self) -> list[tuple[tuple[int, int], str]]:
        """The cells holding text, ``((row, col), text)`` in row then column order (what the layout
        finders look at). Made once for a grid a reader built, at every call for any other."""
        kept = self._texts
        if kept is not None and kept[0] is self.values:
            return kept[1]
        texts = sorted([(k, v) for k, v in self.values.items() if isinstance(v, str)])
        if self._keep_texts:
            self._texts = (self.values, texts)
        return texts

    @classmethod
    def read(
        cls,
        values: dict[tuple[int, int], Any],
        *,
        sheet: str,
        formulas: dict[tuple[int, int], str] | None = None,
        merges: Iterable[MergedRange] = (),
        formats: dict[tuple[int, int], str] | None = None,
        source: str | None = None,
    ) -> Grid:
        """A grid from a reader's raw cell values, normalised (:func:`xlperf.core.cells.normalize_cells`).

        A formula cell's value is its cached result (kept when the reader has one)."""
        from .cells import is_percent_format, normalize_cells

        merges = list(merges)
        fmts = {k: f for k, f in (formats or {}).items() if is_percent_format(f)}
        grid = cls(sheet=sheet, values=normalize_cells(values, fmts, merges), formulas=dict(formulas or {}),
                   merges=merges, source=source, formats=fmts)
        grid._keep_texts = True
        return grid

    @classmethod
    def read_rows(
        cls,
        rows: Iterable[Iterable[Any]],
        *,
        sheet: str,
        formulas: dict[tuple[int, int], str] | None = None,
        merges: Iterable[MergedRange] = (),
        formats: dict[tuple[int, int], str] | None = None,
        source: str | None = None,
    ) -> Grid:
        """:meth:`read` from a 2-D list with its top-left at A1 (``None`` and ``""``: empty cells), in one
        pass over the rows (:func:`xlperf.core.cells.normalize_rows`)."""
        from .cells import is_percent_format, normalize_rows

        dense = rows if type(rows) is list else list(rows)
        dense = [r if type(r) in (list, tuple) else list(r) for r in dense]
        merges = list(merges)
        fmts = {k: f for k, f in (formats or {}).items() if is_percent_format(f)}
        texts: list[tuple[tuple[int, int], str]] = []
        grid = cls(sheet=sheet, values=normalize_rows(dense, fmts, merges, texts), formulas=dict(formulas or {}),
                   merges=merges, source=source, formats=fmts)
        grid._keep_texts = True
        grid._texts = (grid.values, texts)
        return grid

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Iterable[Any]],
        *,
        sheet: str = "Sheet1",
        origin: tuple[int, int] = (0, 0),
        merges: Iterable[MergedRange] = (),
        formulas: dict[tuple[int, int], str] | None = None,
        source: str | None = None,
    ) -> Grid:
        """Build from a 2-D list (``None`` or ``""`` = empty), placed with its top-left at ``origin``."""
        r0, c0 = origin
        values: dict[tuple[int, int], Any] = {}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                values[(r0 + r, c0 + c)] = v
        return cls(sheet=sheet, values=values, formulas=dict(formulas or {}), merges=list(merges), source=source)

    @property
    def nrows(self) -> int:
        kept = self._dims
        if kept is not None and kept[0] is self.values:
            return kept[1]
        if self._keep_texts:
            return self._keep_size()[1]
        return max(self.values)[0] + 1 if self.values else 0  # (row, col) keys: the largest has the last row

    @property
    def ncols(self) -> int:
        kept = self._dims
        if kept is not None and kept[0] is self.values:
            return kept[2]
        if self._keep_texts:
            return self._keep_size()[2]
        return max(map(itemgetter(1), self.values), default=-1) + 1

    def _keep_size(self) -> tuple[Any, int, int]:
        """(values, row count, column count) of a grid a reader built, kept with the ``values`` they were
        counted from (as :meth:`text_cells`): counted once, where a grid made by hand counts at every call."""
        values = self.values
        self._dims = dims = (values, max(values)[0] + 1 if values else 0,
                             max(map(itemgetter(1), values), default=-1) + 1)
        return dims

    def get(self, row: int, col: int) -> Any:
        return self.values.get((row, col))

    def rows(self) -> list[list[Any]]:
        """Dense rows from (0, 0) to the last used cell."""
        out = [[None] * self.ncols for _ in range(self.nrows)]
        for (r, c), v in self.values.items():
            out[r][c] = v
        return out

    def iter_cells(self) -> Iterator[tuple[int, int, Any]]:
        for (r, c), v in sorted(self.values.items()):
            yield r, c, v

    def merge_at(self, row: int, col: int) -> MergedRange | None:
        for m in self.merges:
            if m.contains(row, col):
                return m
        return None

    def ref(self, row: int, col: int) -> str:
        return a1(row, col)
