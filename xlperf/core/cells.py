"""The one canonical value of a cell, whatever reader saw it.

Every reader (calamine, openpyxl, pasted text, live Excel, a WPS snapshot) hands its raw values to
:func:`normalize_cells`, so the same workbook gives the same :class:`~xlperf.core.grid.Grid` through
every way in. What the readers disagree on, and what each becomes:

* **percent formats**: a number shown with a ``%`` format (what Excel stores when a clerk types
  ``95%``) is the text the clerk sees, ``"95%"`` (calamine gives 0.95, openpyxl 0.95 with the
  format, Excel's COM 0.95 with the format);
* **whole numbers**: ``10.0`` (calamine, COM) and ``10`` (openpyxl) are ``10``;
* **dates**: a datetime at midnight (openpyxl, COM) and a date (calamine) are a ``date``;
* **numbers stored as text**: plain ASCII numeric text (``"1359.1"``, ``"-3"``; what pasted text
  holds for every number, and what a cell formatted as text holds) is the number. Text that is not
  exactly a number is left as typed: leading zeros (``"001"``, codes), more than 15 digits (IDs),
  thousands separators, exponents (``"1E+99999"``), units, and **full-width digits** (``"１００"``),
  which stay text so that the rules can point them out and ``--fix`` can correct them;
* **blank text** (spaces only) is an empty cell;
* **merged blocks**: only the top-left cell of a merged block holds a value (Excel shows nothing
  else, but a file may carry text in covered cells that some readers return).

Pure: no file access, no I/O libraries.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import chain, product
from operator import attrgetter
from typing import Any

from .text import format_number

_NUMERIC_TEXT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_NUMBER_STARTS = frozenset("-0123456789")


def is_percent_format(number_format: str | None) -> bool:
    """Whether an Excel number format shows its number as a percentage (``0%``, ``0.00%``, ``#,##0.0%``).

    ``%`` inside quotes (``0"%"``), escaped (``0\\%``) or in a bracket section does not count."""
    if not number_format or "%" not in number_format:
        return False
    return "%" in _QUOTED.sub("", number_format)


def percent_text(number: float | int) -> str:
    """0.95 -> ``"95%"``, 1.055 -> ``"105.5%"`` (rounded to 10 places: no float noise)."""
    return format_number(round(number * 100, 10)) + "%"


def normalize_value(value: Any, number_format: str | None = None) -> Any:
    """The canonical value of one cell (``None`` for an empty one); see the module docstring."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        if len(value) <= 32 and _NUMERIC_TEXT.fullmatch(value):
            value = float(value) if "." in value else int(value)
        else:
            return value
    if isinstance(value, (int, float)):
        if number_format is not None and is_percent_format(number_format):
            if isinstance(value, float) and value != value:  # NaN
                return value
            return percent_text(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0) and value.tzinfo is None:
            return value.date()
        return value
    return value


def normalize_cells(
    values: Mapping[tuple[int, int], Any],
    formats: Mapping[tuple[int, int], str] | None = None,
    merges: Iterable[Any] = (),
) -> dict[tuple[int, int], Any]:
    """Normalise a sheet's raw values: each cell by :func:`normalize_value` (with its number format,
    when the reader knows it), empty cells dropped, covered cells of merged blocks dropped."""
    formats = formats or {}
    covered: set[tuple[int, int]] = set()
    spans: dict[int, list[tuple[int, int, int]]] = {}  # row -> (c0, c1, r0) of the blocks over it
    for m in merges:
        if m.r1 == m.r0 and m.c1 == m.c0:
            continue
        if (m.r1 - m.r0 + 1) * (m.c1 - m.c0 + 1) <= 4096:  # the usual small block: its own cells
            top = (m.r0, m.c0)
            for r in range(m.r0, m.r1 + 1):
                for c in range(m.c0, m.c1 + 1):
                    k = (r, c)
                    if k in values and k != top:
                        covered.add(k)
            continue
        if m.r1 - m.r0 > 4096:  # a huge block: look at the filled cells instead of every row
            covered.update(k for k in values if m.r0 <= k[0] <= m.r1 and m.c0 <= k[1] <= m.c1
                           and k != (m.r0, m.c0))
            continue
        span = (m.c0, m.c1, m.r0)
        for r in range(m.r0, m.r1 + 1):
            spans.setdefault(r, []).append(span)
    if spans:
        for key in values:
            for c0, c1, r0 in spans.get(key[0], ()):
                if c0 <= key[1] <= c1 and key != (r0, c0):
                    covered.add(key)
                    break
    out: dict[tuple[int, int], Any] = {}
    numeric_text = _NUMERIC_TEXT.fullmatch
    for key, raw in values.items():
        if key in covered:
            continue
        t = type(raw)
        if t is str:  # the common case, inline: most cells are text that stays as it is
            if raw[:1] in _NUMBER_STARTS and len(raw) <= 32 and numeric_text(raw):
                v = normalize_value(raw, formats.get(key))
            elif raw.strip():
                v = raw
            else:
                continue
        elif t is int and key not in formats:
            v = raw
        elif t is float and key not in formats:  # calamine's numbers: whole ones become int
            v = int(raw) if raw.is_integer() and abs(raw) < 2**53 else raw
        else:
            v = normalize_value(raw, formats.get(key))
        if v is not None:
            out[key] = v
    return out


def normalize_rows(
    rows: Sequence[Sequence[Any]],
    formats: Mapping[tuple[int, int], str] | None = None,
    merges: Iterable[Any] = (),
    texts: list[tuple[tuple[int, int], str]] | None = None,
) -> dict[tuple[int, int], Any]:
    """:func:`normalize_cells` of a dense 2-D list with its top-left at A1 (``None`` and ``""`` are empty
    cells), in one pass over the rows: the same cells, values and order as ``normalize_cells`` of the
    mapping of the filled cells, without building that mapping first (what python-calamine gives).
    ``texts``: where to put ``((row, col), text)`` of every cell that holds text, in row then column order
    (:meth:`xlperf.core.grid.Grid.text_cells`).

    The covered cells of merged blocks are taken out afterwards (a covered cell is dropped whatever its
    value, so that is the same); a block of more than 4,096 cells goes the mapping's way."""
    merges = list(merges)
    formats = formats or {}
    # the covered cells of each block of up to 64 cells (remembered: the forms of a batch repeat the same
    # blocks), None for a larger block
    small = list(map(_covered_small, map(_CORNERS, merges)))
    blocks: list[tuple[int, int, int, int]] = []  # blocks of 65 to 4,096 cells
    area = 0
    if None in small:
        for corners in map(_CORNERS, merges):
            r0, c0, r1, c1 = corners
            area = (r1 - r0 + 1) * (c1 - c0 + 1)
            if area <= 64:
                continue
            if area > 4096:
                break
            blocks.append(corners)
        else:
            area = 0
    if area > 4096:
        values = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None and v != ""}
        out = normalize_cells(values, formats, merges)
        if texts is not None:
            texts += sorted([(k, v) for k, v in out.items() if isinstance(v, str)])
        return out
    out: dict[tuple[int, int], Any] = {}
    found = [] if texts is None else texts
    add = found.append
    numeric_text = _NUMERIC_TEXT.fullmatch
    for r, row in enumerate(rows):
        c = -1
        for raw in row:
            c += 1
            t = raw.__class__
            if t is str:  # most cells: text kept as it is, or empty
                if raw and not raw.isspace():
                    # ("-" <= raw < ":": its first character is one of "-./0123456789", without taking it out)
                    if raw < ":" and raw >= "-" and len(raw) <= 32 and numeric_text(raw):
                        v = normalize_value(raw, formats.get((r, c)))
                        k = (r, c)
                        out[k] = v
                        if v.__class__ is str:
                            add((k, v))
                    else:
                        k = (r, c)
                        out[k] = raw
                        add((k, raw))
            elif raw is None:
                continue
            elif t is float and (r, c) not in formats:  # calamine's numbers: whole ones become int
                out[r, c] = int(raw) if raw.is_integer() and abs(raw) < 2**53 else raw
            elif t is int and (r, c) not in formats:
                out[r, c] = raw
            elif raw != "":
                v = normalize_value(raw, formats.get((r, c)))
                if v is not None:
                    k = (r, c)
                    out[k] = v
                    if isinstance(v, str):
                        add((k, v))
    if merges and out and not out.keys().isdisjoint(_covered_cells(small, blocks)):
        # the filled cells among the covered ones (most covered cells are empty), each once
        dropped = set(filter(out.__contains__, _covered_cells(small, blocks)))
        for k in dropped:
            del out[k]
        if dropped and found:
            found[:] = [t for t in found if t[0] not in dropped]
    return out


_CORNERS = attrgetter("r0", "c0", "r1", "c1")


def _covered_cells(small: list[tuple[tuple[int, int], ...] | None], blocks: list[tuple[int, int, int, int]]
                   ) -> Iterable[tuple[int, int]]:
    """The covered cells of the blocks of :func:`normalize_rows` (``small``: of :func:`_covered_small`)."""
    return chain(chain.from_iterable(filter(None, small)), chain.from_iterable(map(_covered.__wrapped__, blocks)))


@lru_cache(maxsize=4096)
def _covered_small(corners: tuple[int, int, int, int]) -> tuple[tuple[int, int], ...] | None:
    """:func:`_covered` of a block of up to 64 cells (remembered), None for a larger one."""
    r0, c0, r1, c1 = corners
    if (r1 - r0 + 1) * (c1 - c0 + 1) > 64:
        return None
    return _covered.__wrapped__(corners) if r1 != r0 or c1 != c0 else ()


@lru_cache(maxsize=4096)
def _covered(corners: tuple[int, int, int, int]) -> tuple[tuple[int, int], ...]:
    """The cells of a merged block (r0, c0, r1, c1) but its top-left one (remembered for blocks of up to
    64 cells: the forms of a batch repeat the same blocks)."""
    r0, c0, r1, c1 = corners
    return tuple(k for k in product(range(r0, r1 + 1), range(c0, c1 + 1)) if k != (r0, c0))
