"""Cached results for the formulas of a workbook written by openpyxl, and its one schema quirk.

openpyxl writes a formula cell with an empty ``<v/>``: Excel recalculates on open, but pandas, calamine,
phone and web previews read the cached value and see nothing. Before saving, every formula that
xlperf's own evaluator (:mod:`xlperf.core.formula`: ``SUM``, references, ranges, ``+ - * /``) can
compute gets its result; after saving, the results are written into the sheet parts at the zip level.
Formulas outside that grammar (another sheet, other functions) keep an empty cache, as before.

openpyxl writes the children of a ``<font>`` in its own order (``name, family, color, sz``); the Open XML
SDK schema check (``tests/test_schema.py``) wants the schema's sequence, so the same pass puts them in it.
"""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

#: sheet title -> {cell reference "C6": number text}
Values = dict[str, dict[str, str]]


def number_text(value: Decimal) -> str:
    """A number as an ``<v>`` element holds it: plain digits, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def formula_values(wb: Any) -> Values:
    """The results of the formulas of ``wb`` (an openpyxl workbook) that the evaluator can compute."""
    from ..core.formula import FormulaError, evaluate
    from ..core.grid import a1
    from .readers import grid_from_worksheet

    out: Values = {}
    for ws in wb.worksheets:
        if not any(cell.data_type == "f" for cell in ws._cells.values()):
            continue
        grid = grid_from_worksheet(ws)
        found: dict[str, str] = {}
        for (row, col) in grid.formulas:
            try:
                found[a1(row, col)] = number_text(evaluate(grid, row, col))
            except (FormulaError, RecursionError, ArithmeticError, ValueError):
                continue
        if found:
            out[ws.title] = found
    return out


_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"([^>]*)>(<f\b[^>]*>[^<]*</f>|<f\b[^>]*/>)(?:<v\s*/>|<v></v>)?</c>')


def _patch_sheet(xml: bytes, values: dict[str, str]) -> bytes:
    def fill(m: re.Match[bytes]) -> bytes:
        ref = m.group(1).decode("ascii")
        attrs = m.group(2)
        if ref not in values or b" t=" in attrs:
            return m.group(0)
        return b'<c r="%s"%s>%s<v>%s</v></c>' % (m.group(1), attrs, m.group(3), values[ref].encode("ascii"))

    return _CELL_RE.sub(fill, xml)


#: CT_Font's sequence in the Open XML SDK schema
_FONT_ORDER = {
    name: i
    for i, name in enumerate(
        ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name",
         "family", "charset", "scheme")
    )
}
_FONT_RE = re.compile(rb"<font>((?:<[A-Za-z]+\b[^<>]*/>)+)</font>")
_CHILD_RE = re.compile(rb"<([A-Za-z]+)\b[^<>]*/>")


def _order_fonts(xml: bytes) -> bytes:
    def order(m: re.Match[bytes]) -> bytes:
        children = _CHILD_RE.findall(m.group(1))
        items = [c.group(0) for c in _CHILD_RE.finditer(m.group(1))]
        if any(name.decode() not in _FONT_ORDER for name in children):
            return m.group(0)
        ranked = sorted(zip(children, items, strict=True), key=lambda t: _FONT_ORDER[t[0].decode()])
        return b"<font>" + b"".join(item for _, item in ranked) + b"</font>"

    return _FONT_RE.sub(order, xml)


def write_values(path: Path, values: Values) -> None:
    """Put ``values`` into the formula cells of the workbook file at ``path`` and the font children
    in the schema's order (rewritten in place; the caller writes to a temporary file that is renamed
    afterwards)."""
    from .readers import workbook_info

    with zipfile.ZipFile(path) as zf:
        parts = workbook_info(zf).parts
        wanted = {parts[title]: cells for title, cells in values.items() if title in parts}
        items = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename in wanted:
                data = _patch_sheet(data, wanted[info.filename])
            elif info.filename == "xl/styles.xml":
                data = _order_fonts(data)
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def save_with_values(wb: Any, path: Path) -> None:
    """``wb.save(path)`` with the cached results of the formulas the evaluator computes."""
    values = formula_values(wb)
    wb.save(path)
    write_values(Path(path), values)
