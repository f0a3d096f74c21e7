"""Row insertion for the openpyxl adapter, done the way Excel does it.

openpyxl's ``Worksheet.insert_rows`` only moves cells. Excel's *Insert rows* also moves or extends
everything that points at rows: merged ranges, formulas (on every sheet of the workbook), data
validations, conditional formatting, hyperlinks, defined names, the print area and print titles,
row heights, tables, the auto-filter, page breaks and frozen panes. :func:`insert_rows` does all of
that, so an edit list planned by the core gives the same workbook through openpyxl as through live
Excel (where ``Range.Insert`` does the same work natively).

The rule (Excel's) for inserting ``n`` rows before row ``R`` (1-based):

* a reference to a row ``r >= R`` moves to ``r + n``; a reference above ``R`` stays;
* a range ``r0:r1`` with ``r0 >= R`` moves as a whole; with ``r0 < R <= r1`` it is *extended*
  (``SUM(E10:E52)`` with rows inserted at 13 becomes ``SUM(E10:E60)``); a range ending above ``R``
  stays (inserting right below a range does not extend it);
* absolute (``$``) and relative references move alike; text such as ``INDIRECT("A1")`` does not.
"""

from __future__ import annotations

import re
from copy import copy
from typing import Any

MAX_ROW = 1_048_576

_CELL_RE = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)(\d+)$")
_ROW_RE = re.compile(r"^(\$?)(\d+)$")
_COL_RE = re.compile(r"^\$?[A-Za-z]{1,3}$")
_SHEET_RE = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!:\[\]]+))!(.*)$", re.S)


# --------------------------------------------------------------------------------------------
# pure reference arithmetic (1-based rows)
# --------------------------------------------------------------------------------------------


def shift_row(r: int, at: int, count: int) -> int:
    """New index of row ``r`` after inserting ``count`` rows before row ``at``."""
    return r + count if r >= at else r


def shift_span(r0: int, r1: int, at: int, count: int) -> tuple[int, int]:
    """New bounds of the row span ``r0..r1`` (inclusive): moved when at/below, extended when spanning."""
    lo, hi = min(r0, r1), max(r0, r1)
    if lo >= at:
        lo, hi = lo + count, hi + count
    elif hi >= at:
        hi += count
    lo, hi = min(lo, MAX_ROW), min(hi, MAX_ROW)
    return (lo, hi) if r0 <= r1 else (hi, lo)


def _split_sheet(operand: str) -> tuple[str | None, str, str]:
    """``'My sheet'!A1`` -> ("My sheet", "'My sheet'!", "A1"); no prefix -> (None, "", operand)."""
    m = _SHEET_RE.match(operand)
    if not m:
        return None, "", operand
    name = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    prefix = operand[: len(operand) - len(m.group(3))]
    return name, prefix, m.group(3)


def shift_ref(ref: str, at: int, count: int) -> str | None:
    """Shift a reference without sheet prefix (``A1``, ``$A$1:B5``, ``8:9``, ``A:C``).

    Returns the new text, or None when ``ref`` is not a cell/row reference (a name, a column range),
    or ``"#REF!"`` when a single cell would fall off the sheet.
    """
    parts = ref.split(":")
    if len(parts) == 1:
        m = _CELL_RE.match(ref)
        if not m:
            return None
        r = shift_row(int(m.group(4)), at, count)
        if r > MAX_ROW:
            return "#REF!"
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{r}"
    if len(parts) == 2:
        a, b = parts
        ma, mb = _CELL_RE.match(a), _CELL_RE.match(b)
        if ma and mb:
            r0, r1 = shift_span(int(ma.group(4)), int(mb.group(4)), at, count)
            return (f"{ma.group(1)}{ma.group(2)}{ma.group(3)}{r0}:"
                    f"{mb.group(1)}{mb.group(2)}{mb.group(3)}{r1}")
        ra, rb = _ROW_RE.match(a), _ROW_RE.match(b)
        if ra and rb:
            r0, r1 = shift_span(int(ra.group(2)), int(rb.group(2)), at, count)
            return f"{ra.group(1)}{r0}:{rb.group(1)}{r1}"
        return None
    # A1:B2:C3 chains: each corner moves on its own
    out = []
    for p in parts:
        s = shift_ref(p, at, count)
        if s is None:
            return None
        out.append(s)
    return ":".join(out)


def _same_sheet(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def shift_operand(operand: str, at: int, count: int, *, target: str, context: str | None) -> str:
    """Shift one range operand when it points at sheet ``target``.

    ``context`` is the sheet holding the formula: unqualified references point there.
    """
    if "[" in operand or "]" in operand:
        return operand  # external workbook or structured (table) reference
    sheet, prefix, ref = _split_sheet(operand)
    if sheet is None:
        if "!" in operand:
            return operand  # 3-D reference (Sheet1:Sheet3!A1) or something we do not understand
        if not _same_sheet(context, target):
            return operand
    elif not _same_sheet(sheet, target):
        return operand
    if "!" in ref:  # Sheet1!A1:Sheet1!B2
        a, _, b = ref.partition(":")
        bs, _bp, bref = _split_sheet(b)
        if bs is None or not _same_sheet(bs, sheet or context):
            return operand
        new = shift_ref(f"{a}:{bref}", at, count)
        if new is None:
            return operand
        na, _, nb = new.partition(":")
        return f"{prefix}{na}:{b[: len(b) - len(bref)]}{nb}"
    new = shift_ref(ref, at, count)
    if new is None:
        return operand
    return prefix + new


def shift_formula(formula: str, at: int, count: int, *, target: str, context: str | None) -> str:
    """A formula (``=...``) with its references to rows of sheet ``target`` shifted."""
    from openpyxl.formula.tokenizer import Tokenizer

    if not isinstance(formula, str) or not formula.startswith("="):
        return formula
    try:
        tok = Tokenizer(formula)
    except Exception:  # malformed formula: leave it exactly as the user wrote it
        return formula
    changed = False
    out = []
    for t in tok.items:
        v = t.value
        if t.type == "OPERAND" and t.subtype == "RANGE":
            nv = shift_operand(v, at, count, target=target, context=context)
            if nv != v:
                changed = True
                v = nv
        out.append(v)
    return "=" + "".join(out) if changed else formula


def _shift_bare(text: str | None, at: int, count: int, *, target: str, context: str | None) -> str | None:
    """A formula stored without its ``=`` (defined names, validation and formatting formulas)."""
    if not text:
        return text
    if text.startswith("="):
        return shift_formula(text, at, count, target=target, context=context)
    return shift_formula("=" + text, at, count, target=target, context=context)[1:]


def shift_range_string(rng: str, at: int, count: int) -> str:
    """Shift an ``sqref``-style space-separated list of ranges on the same sheet."""
    out = []
    for part in str(rng).split():
        new = shift_ref(part, at, count)
        out.append(part if new is None or new == "#REF!" else new)
    return " ".join(out)


# --------------------------------------------------------------------------------------------
# the openpyxl adapter
# --------------------------------------------------------------------------------------------


def insert_rows(wb: Any, ws: Any, row0: int, count: int, style_from: int | None = None) -> None:
    """Insert ``count`` empty rows before 0-based row ``row0`` of ``ws``, as Excel does.

    ``style_from`` (0-based, coordinates before the insertion) is the row whose cell styles and
    height the new rows copy (Excel copies the row above by default; here it is explicit).
    """
    if count <= 0:
        return
    at = row0 + 1  # 1-based: the first row that moves
    target = ws.title
    src_row = None
    if style_from is not None:
        src_row = style_from + 1
        src_row = src_row + count if src_row >= at else src_row
    ws.insert_rows(at, count)
    _shift_merges(ws, at, count)
    _shift_row_dimensions(ws, at, count)
    if src_row is not None:
        _copy_row_style(ws, src_row, at, count)
    for sheet in wb.worksheets:
        _shift_cell_formulas(sheet, at, count, target)
        _shift_validations(sheet, at, count, target, own=sheet is ws)
        _shift_conditional_formatting(sheet, at, count, target, own=sheet is ws)
        _shift_hyperlinks(sheet, at, count, target, own=sheet is ws)
        _shift_local_names(sheet, at, count, target)
    _shift_defined_names(wb, at, count, target)
    _shift_print_settings(ws, at, count)
    _shift_tables(ws, at, count)
    _shift_breaks_and_panes(ws, at, count)


def _shift_merges(ws: Any, at: int, count: int) -> None:
    from openpyxl.cell.cell import MergedCell

    for mcr in list(ws.merged_cells.ranges):
        if mcr.min_row >= at:
            mcr.shift(row_shift=count)
        elif mcr.max_row >= at:
            mcr.expand(down=count)
            # the inserted rows inside the block become covered cells
            for r in range(at, at + count):
                for c in range(mcr.min_col, mcr.max_col + 1):
                    if (r, c) == (mcr.min_row, mcr.min_col):
                        continue
                    old = ws._cells.get((r, c))
                    if not isinstance(old, MergedCell):
                        cell = MergedCell(ws, row=r, column=c)
                        if old is not None:
                            cell._style = copy(old._style)
                        ws._cells[(r, c)] = cell


def _shift_row_dimensions(ws: Any, at: int, count: int) -> None:
    dims = ws.row_dimensions
    for idx in sorted((k for k in list(dims.keys()) if isinstance(k, int) and k >= at), reverse=True):
        dim = dict.pop(dims, idx)
        dim.index = idx + count
        dict.__setitem__(dims, idx + count, dim)


def _copy_row_style(ws: Any, src_row: int, at: int, count: int) -> None:
    sources = [(c, cell) for (r, c), cell in list(ws._cells.items()) if r == src_row]
    for r in range(at, at + count):
        for c, src in sources:
            if not src.has_style:
                continue
            cell = ws._cells.get((r, c))
            if cell is None:
                cell = ws.cell(row=r, column=c)
            cell._style = copy(src._style)
    src_dim = ws.row_dimensions.get(src_row) if hasattr(ws.row_dimensions, "get") else None
    if src_dim is not None and src_dim.ht is not None:
        for r in range(at, at + count):
            d = ws.row_dimensions[r]
            d.ht = src_dim.ht


def _shift_cell_formulas(sheet: Any, at: int, count: int, target: str) -> None:
    from openpyxl.worksheet.formula import ArrayFormula

    own = sheet.title == target
    for cell in sheet._cells.values():
        v = getattr(cell, "_value", None)
        if v is None:
            continue
        if isinstance(v, ArrayFormula):
            v.text = shift_formula(v.text, at, count, target=target, context=sheet.title)
            if own and v.ref:
                v.ref = shift_range_string(v.ref, at, count)
        elif cell.data_type == "f" and isinstance(v, str):
            new = shift_formula(v, at, count, target=target, context=sheet.title)
            if new != v:
                cell._value = new


def _shift_validations(sheet: Any, at: int, count: int, target: str, *, own: bool) -> None:
    from openpyxl.worksheet.cell_range import MultiCellRange

    for dv in sheet.data_validations.dataValidation:
        if own:
            dv.sqref = MultiCellRange(shift_range_string(str(dv.sqref), at, count))
        dv.formula1 = _shift_bare(dv.formula1, at, count, target=target, context=sheet.title)
        dv.formula2 = _shift_bare(dv.formula2, at, count, target=target, context=sheet.title)


def _shift_conditional_formatting(sheet: Any, at: int, count: int, target: str, *, own: bool) -> None:
    from openpyxl.formatting.formatting import ConditionalFormattingList

    old = sheet.conditional_formatting
    if not old:
        return
    new = ConditionalFormattingList()
    for cf in old:
        rng = shift_range_string(str(cf.sqref), at, count) if own else str(cf.sqref)
        for rule in cf.rules:
            if rule.formula:
                rule.formula = [_shift_bare(f, at, count, target=target, context=sheet.title) for f in rule.formula]
            new.add(rng, rule)
    new.max_priority = max(new.max_priority, getattr(old, "max_priority", 0))
    sheet.conditional_formatting = new


def _shift_location(loc: str | None, at: int, count: int, target: str, context: str) -> str | None:
    if not loc:
        return loc
    return shift_operand(loc, at, count, target=target, context=context)


def _shift_hyperlinks(sheet: Any, at: int, count: int, target: str, *, own: bool) -> None:
    for cell in sheet._cells.values():
        link = getattr(cell, "_hyperlink", None)
        if link is None:
            continue
        if own:
            link.ref = cell.coordinate if ":" not in (link.ref or "") else shift_range_string(link.ref, at, count)
        link.location = _shift_location(link.location, at, count, target, sheet.title)
        if link.target and link.target.startswith("#"):
            link.target = "#" + (_shift_location(link.target[1:], at, count, target, sheet.title) or "")


def _shift_name(dn: Any, at: int, count: int, target: str, context: str | None) -> None:
    text = getattr(dn, "attr_text", None)
    if not text or text.startswith("[") or "#REF" in text:
        return
    dn.attr_text = _shift_bare(text, at, count, target=target, context=context)


def _shift_defined_names(wb: Any, at: int, count: int, target: str) -> None:
    names = wb.defined_names
    values = names.values() if hasattr(names, "values") else getattr(names, "definedName", [])
    for dn in values:
        _shift_name(dn, at, count, target, None)


def _shift_local_names(sheet: Any, at: int, count: int, target: str) -> None:
    names = getattr(sheet, "defined_names", None)
    if not names:
        return
    for dn in names.values():
        _shift_name(dn, at, count, target, sheet.title)


def _shift_print_settings(ws: Any, at: int, count: int) -> None:
    from openpyxl.worksheet.print_settings import RowRange

    area = ws._print_area
    if area is not None and getattr(area, "ranges", None):
        ws.print_area = [shift_range_string(str(r), at, count) for r in area.ranges]
    rows = ws._print_rows
    if rows is not None and rows.min_row is not None:
        lo, hi = shift_span(int(rows.min_row), int(rows.max_row), at, count)
        ws._print_rows = RowRange(min_row=lo, max_row=hi)


def _shift_tables(ws: Any, at: int, count: int) -> None:
    for table in ws.tables.values():
        table.ref = shift_range_string(table.ref, at, count)
        if table.autoFilter is not None and table.autoFilter.ref:
            table.autoFilter.ref = shift_range_string(table.autoFilter.ref, at, count)
    if ws.auto_filter.ref:
        ws.auto_filter.ref = shift_range_string(ws.auto_filter.ref, at, count)


def _shift_breaks_and_panes(ws: Any, at: int, count: int) -> None:
    for brk in ws.row_breaks.brk:
        if brk.id is not None and brk.id >= at:
            brk.id += count
    fp = ws.freeze_panes
    if fp:
        m = _CELL_RE.match(fp)
        if m and int(m.group(4)) > at:
            ws.freeze_panes = f"{m.group(2)}{int(m.group(4)) + count}"
