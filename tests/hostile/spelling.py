"""Sheet XML written in every spelling XML allows (issue 18): the same cells, different bytes.

``sheet_xml(cells, style, merges)`` writes cells at (row, col) (0-based) the way ``style`` says: which
quote, white space around ``=`` and between attributes, ``r`` first or last or left out (the position is
then the next one in its row, as python-calamine counts it), character references in the reference,
lower-case column letters, a namespace prefix on every element, comments and CDATA between the cells,
an XML declaration naming UTF-16 or GB18030. ``expected(cells, merges)`` is the used range the readers
build from them: what the guard must find whatever the spelling.
"""

from __future__ import annotations

import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class Style:
    quote: str = '"'
    eq: str = "="  # "=", " = ", "\n=\t"
    sep: str = " "  # between the element name and attributes: " ", "\n", "\t", "  "
    r_last: bool = False  # the r attribute after t and s
    no_r: frozenset[int] = frozenset()  # indices of cells written without r (placed by position)
    charref: bool = False  # every column letter of r as &#NN;
    lower: bool = False  # column letters in lower case
    prefix: str = ""  # "x:" on every element (the main namespace bound to x)
    noise: bool = False  # comments, CDATA and processing instructions between cells
    encoding: str = "utf-8"  # utf-8, utf-16, gb18030
    row_r: bool = True  # rows with their r attribute
    ref_style: str = "plain"  # plain, dollar, lower, charref: how merge references are written


def col_letters(col: int) -> str:
    s = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def _attr(style: Style, name: str, value: str) -> str:
    return f"{style.sep}{name}{style.eq}{style.quote}{value}{style.quote}"


def _ref(style: Style, row: int, col: int) -> str:
    letters = col_letters(col)
    if style.lower:
        letters = letters.lower()
    if style.charref:
        letters = "".join(f"&#{ord(ch)};" for ch in letters)
    return f"{letters}{row + 1}"


def _range(style: Style, r0: int, c0: int, r1: int, c1: int) -> str:
    a, b = f"{col_letters(c0)}{r0 + 1}", f"{col_letters(c1)}{r1 + 1}"
    if style.ref_style == "dollar":
        a, b = (f"${x.rstrip('0123456789')}${x[len(x.rstrip('0123456789')):]}" for x in (a, b))
    elif style.ref_style == "lower":
        a, b = a.lower(), b.lower()
    elif style.ref_style == "charref":
        a, b = ("".join(f"&#{ord(ch)};" for ch in x) for x in (a, b))
    return f"{a}:{b}"


def sheet_xml(cells: list[tuple[int, int]], style: Style, merges: list[tuple[int, int, int, int]] = ()) -> bytes:
    """The sheet XML (bytes in ``style.encoding``) holding a number in every cell of ``cells``, in order."""
    p = style.prefix
    rows: dict[int, list[tuple[int, int, int]]] = {}
    for i, (r, c) in enumerate(cells):
        rows.setdefault(r, []).append((i, r, c))
    out = []
    xmlns = f'xmlns:{p[:-1]}="{MAIN_NS}"' if p else f'xmlns="{MAIN_NS}"'
    out.append(f"<{p}worksheet {xmlns}><{p}sheetData>")
    for r in sorted(rows):
        row_attrs = _attr(style, "r", str(r + 1)) if style.row_r else ""
        out.append(f"<{p}row{row_attrs}>")
        for i, rr, c in rows[r]:
            attrs = [("s", "0"), ("t", "n")]
            if i not in style.no_r:
                ref = ("r", _ref(style, rr, c))
                attrs = attrs + [ref] if style.r_last else [ref] + attrs
            out.append(f"<{p}c{''.join(_attr(style, k, v) for k, v in attrs)}><{p}v>{i + 1}</{p}v></{p}c>")
            if style.noise:
                out.append(f"<!-- <c r=\"A1\"/> {i} --><?pi {i}?>")
        out.append(f"</{p}row>")
    out.append(f"</{p}sheetData>")
    if merges:
        out.append(f"<{p}mergeCells>")
        for m in merges:
            out.append(f"<{p}mergeCell{_attr(style, 'ref', _range(style, *m))}/>")
        out.append(f"</{p}mergeCells>")
    out.append(f"</{p}worksheet>")
    body = "".join(out)
    decl = f'<?xml version="1.0" encoding="{style.encoding.upper()}" standalone="yes"?>\n'
    return (decl + body).encode(style.encoding)


def placed(cells: list[tuple[int, int]], style: Style) -> list[tuple[int, int]]:
    """Where the readers put each cell, in the order :func:`sheet_xml` writes them: its own reference,
    or (without one) the next column of its row; a row without ``r`` is the one after the previous."""
    rows: dict[int, list[tuple[int, int, int]]] = {}
    for i, (r, c) in enumerate(cells):
        rows.setdefault(r, []).append((i, r, c))
    out = []
    for ordinal, r in enumerate(sorted(rows)):
        row = r if style.row_r else ordinal
        col = 0
        for i, rr, c in rows[r]:
            if i in style.no_r:
                out.append((row, col))
            else:
                out.append((rr, c))
                col = c
            col += 1
    return out


def expected(cells: list[tuple[int, int]], style: Style, merges=()) -> tuple[int, int]:
    """(rows, cols) of the used range from A1: the farthest placed cell or merge corner."""
    pts = placed(cells, style) + [(m[2], m[3]) for m in merges]
    if not pts:
        return 0, 0
    return max(r for r, _ in pts) + 1, max(c for _, c in pts) + 1


STYLES = {
    "plain": Style(),
    "single_quotes": Style(quote="'"),
    "spaces_around_eq": Style(eq=" = "),
    "newlines_tabs": Style(eq="\n=\t", sep="\n"),
    "double_space": Style(sep="  "),
    "r_last": Style(r_last=True),
    "charref": Style(charref=True),
    "lower_case": Style(lower=True),
    "prefix": Style(prefix="x:"),
    "comments_pis": Style(noise=True),
    "utf16": Style(encoding="utf-16"),
    "gb18030": Style(encoding="gb18030"),
    "no_row_r": Style(row_r=False),
    "ref_dollar": Style(ref_style="dollar"),
    "ref_lower": Style(ref_style="lower"),
    "ref_charref": Style(ref_style="charref"),
}


def random_style(rnd: random.Random, n_cells: int) -> Style:
    no_r = frozenset(i for i in range(n_cells) if rnd.random() < 0.3) if rnd.random() < 0.4 else frozenset()
    return Style(quote=rnd.choice(['"', "'"]), eq=rnd.choice(["=", "=", " = ", "\n="]),
                 sep=rnd.choice([" ", " ", "\n", "\t", "  "]), r_last=rnd.random() < 0.3, no_r=no_r,
                 charref=rnd.random() < 0.2, lower=rnd.random() < 0.2, prefix=rnd.choice(["", "", "x:"]),
                 noise=rnd.random() < 0.2, encoding=rnd.choice(["utf-8", "utf-8", "utf-8", "utf-16", "gb18030"]),
                 row_r=rnd.random() < 0.8, ref_style=rnd.choice(["plain", "plain", "dollar", "lower", "charref"]))


def workbook_with_sheet(src: Path, dst: Path, sheet: bytes) -> Path:
    """The workbook ``src`` with its first sheet replaced by ``sheet`` (every other part kept)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info)
            zout.writestr(info.filename, data)
    return dst
