"""A small streaming xlsx writer: sheet XML goes straight into the zip, row by row.

Why: XlsxWriter spends ~10 s on a 125,000-row summary and its ``constant_memory`` mode drops merged
data; this writer does the same job in about a second with flat memory (see
``/work/shared/docs/reading-writing-notes.md``). It writes what the summary and the synthetic test
workbooks need, nothing more:

* worksheets streamed one at a time (``Workbook.add_sheet`` closes the previous one);
* strings are **always text** (``'=HYPERLINK(...)'`` stays a string); formulas only through
  :class:`Formula`; numbers, booleans, ``Decimal``; shared strings for short repeated text (bounded
  table) and inline strings for the rest, so memory stays flat;
* a styles part built from :meth:`Workbook.add_format` (bold, fill, border, wrap, alignment,
  number formats such as ``#,##0.00``);
* column widths, frozen panes, autofilter, merged ranges, ``fullCalcOnLoad`` so Excel/LibreOffice
  recompute formulas (cached values are written too when the caller gives them);
* native bar/column charts (``c:chartSpace`` / ``c:barChart``) in a drawing part.

Characters XML cannot hold (control characters) are written with Excel's own ``_xHHHH_`` escape.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ..core.grid import col_letter

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = "application/vnd.openxmlformats-officedocument."
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_BAD_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)|[\ud800-\udfff]")
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_BUILTIN_FMTS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
_EPOCH = _dt.datetime(1899, 12, 30)


def _bad(m: re.Match[str]) -> str:
    ch = m.group()
    if ch == "_":
        return "_x005F_"
    if "\ud800" <= ch <= "\udfff":
        return "\ufffd"
    return f"_x{ord(ch):04X}_"


def xml_text(s: str) -> str:
    """Escape text for element content (``& < >``) and Excel-escape characters XML cannot hold."""
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if _BAD_RE.search(s):
        s = _BAD_RE.sub(_bad, s)
    return s


def xml_attr(s: str) -> str:
    return xml_text(s).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


def _t(s: str) -> str:
    """A ``<t>`` element; ``xml:space="preserve"`` where leading/trailing whitespace matters."""
    e = xml_text(s)
    if s[:1].isspace() or s[-1:].isspace():
        return f'<t xml:space="preserve">{e}</t>'
    return f"<t>{e}</t>"


def _num(v: float | int | Decimal) -> str | None:
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        r = repr(float(v))
        return r[:-2] if r.endswith(".0") else r
    if isinstance(v, Decimal):
        if not v.is_finite():
            return None
        return format(v, "f")
    return str(v)


def quote_sheet(name: str) -> str:
    """A sheet name as used in a reference: ``'部门汇总'`` (quotes doubled)."""
    return "'" + name.replace("'", "''") + "'"


def ref(sheet: str, r0: int, c0: int, r1: int | None = None, c1: int | None = None) -> str:
    """Absolute reference from 0-based bounds: ``'图表'!$B$2:$B$31``."""
    a = f"${col_letter(c0)}${r0 + 1}"
    if r1 is None or c1 is None or (r1, c1) == (r0, c0):
        return f"{quote_sheet(sheet)}!{a}"
    return f"{quote_sheet(sheet)}!{a}:${col_letter(c1)}${r1 + 1}"


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell: ``text`` without the leading ``=``; ``value`` the cached result, if known."""

    text: str
    value: float | int | Decimal | str | None = None


# --------------------------------------------------------------------------------------------- charts
@dataclass
class Series:
    """One data series: ``values``/``categories`` are references (see :func:`ref`); the caches are the
    values as written, so a reader that does not recalculate still draws the chart."""

    name: str
    values: str
    categories: str | None = None
    name_ref: str | None = None
    value_cache: list[float] | None = None
    category_cache: list[str] | None = None
    color: str | None = None


@dataclass
class BarChart:
    title: str
    series: list[Series] = field(default_factory=list)
    horizontal: bool = False
    stacked: bool = False
    value_axis_title: str | None = None
    category_axis_title: str | None = None
    number_format: str = "General"
    legend: bool | None = None  # default: shown when there is more than one series


@dataclass
class _Anchor:
    chart: BarChart
    r0: int
    c0: int
    r1: int
    c1: int


def _rich(text: str, *, bold: bool = True, size: int | None = None) -> str:
    sz = f' sz="{size}"' if size else ""
    b = ' b="1"' if bold else ' b="0"'
    return (
        f'<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr{b}{sz}/></a:pPr>'
        f'<a:r><a:rPr lang="zh-CN"{b}{sz}/>{_at(text)}</a:r></a:p></c:rich></c:tx>'
    )


def _at(s: str) -> str:
    return f"<a:t>{xml_text(s)}</a:t>"


def _str_cache(values: list[str]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{xml_text(str(v))}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{pts}</c:strCache>'


def _num_cache(values: list[float], fmt: str) -> str:
    pts = "".join(
        f'<c:pt idx="{i}"><c:v>{_num(v)}</c:v></c:pt>' for i, v in enumerate(values) if v is not None and _num(v)
    )
    return f"<c:numCache><c:formatCode>{xml_text(fmt)}</c:formatCode><c:ptCount val=\"{len(values)}\"/>{pts}</c:numCache>"


def chart_xml(chart: BarChart, axis_base: int = 50010000) -> str:
    ax_cat, ax_val = axis_base + 1, axis_base + 2
    sers = []
    for i, s in enumerate(chart.series):
        tx = (
            f"<c:tx><c:strRef><c:f>{xml_text(s.name_ref)}</c:f>{_str_cache([s.name])}</c:strRef></c:tx>"
            if s.name_ref
            else f"<c:tx><c:v>{xml_text(s.name)}</c:v></c:tx>"
        )
        sp = (
            f'<c:spPr><a:solidFill><a:srgbClr val="{s.color}"/></a:solidFill></c:spPr>' if s.color else ""
        )
        cat = ""
        if s.categories:
            cache = _str_cache(s.category_cache) if s.category_cache is not None else ""
            cat = f"<c:cat><c:strRef><c:f>{xml_text(s.categories)}</c:f>{cache}</c:strRef></c:cat>"
        vcache = _num_cache(s.value_cache, chart.number_format) if s.value_cache is not None else ""
        val = f"<c:val><c:numRef><c:f>{xml_text(s.values)}</c:f>{vcache}</c:numRef></c:val>"
        sers.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/>{tx}{sp}<c:invertIfNegative val="0"/>{cat}{val}</c:ser>'
        )
    grouping = "stacked" if chart.stacked else "clustered"
    overlap = '<c:overlap val="100"/>' if chart.stacked else ""
    bar_dir = "bar" if chart.horizontal else "col"
    cat_pos, val_pos = ("l", "b") if chart.horizontal else ("b", "l")
    # horizontal bars list the first category at the top
    cat_orient = "maxMin" if chart.horizontal else "minMax"

    def axis_title(t: str | None) -> str:
        return f"<c:title>{_rich(t, bold=False, size=1000)}<c:overlay val=\"0\"/></c:title>" if t else ""

    legend = chart.legend if chart.legend is not None else len(chart.series) > 1
    legend_xml = '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>' if legend else ""
    return (
        f'{_XML_DECL}<c:chartSpace xmlns:c="{_NS_C}" xmlns:a="{_NS_A}" xmlns:r="{_NS_R}">'
        '<c:lang val="zh-CN"/><c:roundedCorners val="0"/><c:chart>'
        f'<c:title>{_rich(chart.title, size=1400)}<c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        f'<c:barChart><c:barDir val="{bar_dir}"/><c:grouping val="{grouping}"/><c:varyColors val="0"/>'
        f'{"".join(sers)}<c:gapWidth val="60"/>{overlap}'
        f'<c:axId val="{ax_cat}"/><c:axId val="{ax_val}"/></c:barChart>'
        f'<c:catAx><c:axId val="{ax_cat}"/><c:scaling><c:orientation val="{cat_orient}"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{cat_pos}"/>{axis_title(chart.category_axis_title)}'
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{ax_val}"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="{ax_val}"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>{axis_title(chart.value_axis_title)}'
        f'<c:numFmt formatCode="{xml_attr(chart.number_format)}" sourceLinked="0"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{ax_cat}"/><c:crosses val="{"max" if chart.horizontal else "autoZero"}"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
        f'{legend_xml}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    )


def drawing_xml(anchors: list[_Anchor], first_rid: int = 1) -> str:
    parts = []
    for i, a in enumerate(anchors):
        parts.append(
            '<xdr:twoCellAnchor editAs="oneCell">'
            f"<xdr:from><xdr:col>{a.c0}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{a.r0}</xdr:row>"
            "<xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{a.c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{a.r1}</xdr:row>"
            "<xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{i + 2}" name="图表 {i + 1}"/>'
            "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{_NS_C}"><c:chart xmlns:c="{_NS_C}" xmlns:r="{_NS_R}" '
            f'r:id="rId{first_rid + i}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
            "<xdr:clientData/></xdr:twoCellAnchor>"
        )
    return f'{_XML_DECL}<xdr:wsDr xmlns:xdr="{_NS_XDR}" xmlns:a="{_NS_A}">{"".join(parts)}</xdr:wsDr>'


# --------------------------------------------------------------------------------------------- styles
@dataclass(frozen=True)
class _Fmt:
    bold: bool = False
    italic: bool = False
    font_size: float | None = None
    font_color: str | None = None
    num_fmt: str | None = None
    fill: str | None = None
    border: bool = False
    wrap: bool = False
    halign: str | None = None
    valign: str | None = None


class _Styles:
    def __init__(self, font_name: str) -> None:
        self.font_name = font_name
        self.xfs: list[_Fmt] = [_Fmt()]
        self.index: dict[_Fmt, int] = {_Fmt(): 0}

    def add(self, fmt: _Fmt) -> int:
        if fmt not in self.index:
            self.index[fmt] = len(self.xfs)
            self.xfs.append(fmt)
        return self.index[fmt]

    def xml(self) -> str:
        numfmts: dict[str, int] = {}
        fonts: dict[tuple, int] = {(False, False, None, None): 0}
        fills: dict[str | None, int] = {None: 0, "gray125": 1}
        xf_xml = []
        for f in self.xfs:
            if f.num_fmt is None:
                nid = 0
            elif f.num_fmt in _BUILTIN_FMTS:
                nid = _BUILTIN_FMTS[f.num_fmt]
            else:
                nid = numfmts.setdefault(f.num_fmt, 164 + len(numfmts))
            fkey = (f.bold, f.italic, f.font_size, f.font_color)
            fid = fonts.setdefault(fkey, len(fonts))
            flid = fills.setdefault(f.fill, len(fills)) if f.fill else 0
            bid = 1 if f.border else 0
            align = ""
            if f.wrap or f.halign or f.valign:
                a = ""
                if f.halign:
                    a += f' horizontal="{f.halign}"'
                if f.valign:
                    a += f' vertical="{f.valign}"'
                if f.wrap:
                    a += ' wrapText="1"'
                align = f"<alignment{a}/>"
            applies = (
                (' applyNumberFormat="1"' if nid else "")
                + (' applyFont="1"' if fid else "")
                + (' applyFill="1"' if flid else "")
                + (' applyBorder="1"' if bid else "")
                + (' applyAlignment="1"' if align else "")
            )
            xf_xml.append(
                f'<xf numFmtId="{nid}" fontId="{fid}" fillId="{flid}" borderId="{bid}" xfId="0"{applies}'
                + (f">{align}</xf>" if align else "/>")
            )
        nf = "".join(f'<numFmt numFmtId="{i}" formatCode="{xml_attr(c)}"/>' for c, i in numfmts.items())
        font_xml = []
        for bold, italic, size, color in fonts:
            font_xml.append(
                "<font>"
                + ("<b/>" if bold else "")
                + ("<i/>" if italic else "")
                + f'<sz val="{size or 11}"/>'
                + (f'<color rgb="FF{color}"/>' if color else "")
                + f'<name val="{xml_attr(self.font_name)}"/><family val="2"/><charset val="134"/></font>'
            )
        fill_xml = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        for color in list(fills)[2:]:
            fill_xml.append(
                f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color}"/><bgColor indexed="64"/></patternFill></fill>'
            )
        thin = "".join(f'<{s} style="thin"><color auto="1"/></{s}>' for s in ("left", "right", "top", "bottom"))
        return (
            f'{_XML_DECL}<styleSheet xmlns="{_NS_MAIN}">'
            + (f'<numFmts count="{len(numfmts)}">{nf}</numFmts>' if numfmts else "")
            + f'<fonts count="{len(font_xml)}">{"".join(font_xml)}</fonts>'
            + f'<fills count="{len(fill_xml)}">{"".join(fill_xml)}</fills>'
            + '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            + f"<border>{thin}<diagonal/></border></borders>"
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            + f'<cellXfs count="{len(xf_xml)}">{"".join(xf_xml)}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            + '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" '
            + 'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
        )


# --------------------------------------------------------------------------------------------- sheets
@dataclass(frozen=True)
class PrintSetup:
    """How a sheet prints: A4 landscape, one page wide, the first ``title_rows`` rows repeated on every
    page, ``header`` (centre) and ``unit`` (right) in the page header, page numbers in the footer,
    a page break before each row of ``breaks`` (0-based)."""

    header: str | None = None
    unit: str | None = None
    title_rows: int = 1
    breaks: tuple[int, ...] = ()


def _hf(text: str) -> str:
    return xml_text(text.replace("&", "&&"))


class Sheet:
    """A worksheet being streamed. Obtain it from :meth:`Workbook.add_sheet`; write rows in order."""

    def __init__(self, book: Workbook, index: int, name: str, stream: IO[bytes], *, widths: list[float] | None,
                 freeze: tuple[int, int] | None, selected: bool, dimension: tuple[int, int] | None = None,
                 print_setup: PrintSetup | None = None) -> None:
        self.book = book
        self.index = index
        self.name = name
        self._stream = stream
        self._buf: list[str] = []
        self.rows = 0  # rows written so far (the next row is row ``rows``, 0-based)
        self.ncols = 0
        self.merges: list[tuple[int, int, int, int]] = []
        self.autofilter: tuple[int, int, int, int] | None = None
        self.anchors: list[_Anchor] = []
        self.closed = False
        self.print_setup = print_setup
        tab = ' tabSelected="1"' if selected else ""
        head = [f'{_XML_DECL}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">']
        if print_setup is not None:
            head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        if dimension and dimension[0] > 0 and dimension[1] > 0:
            head.append(f'<dimension ref="A1:{col_letter(dimension[1] - 1)}{dimension[0]}"/>')
        head.append(f'<sheetViews><sheetView workbookViewId="0"{tab}>')
        if freeze and (freeze[0] or freeze[1]):
            fr, fc = freeze
            top_left = f"{col_letter(fc)}{fr + 1}"
            pane = "bottomRight" if fr and fc else ("bottomLeft" if fr else "topRight")
            splits = (f' xSplit="{fc}"' if fc else "") + (f' ySplit="{fr}"' if fr else "")
            head.append(f'<pane{splits} topLeftCell="{top_left}" activePane="{pane}" state="frozen"/>'
                        f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/>')
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            cols = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
                for i, w in enumerate(widths) if w
            )
            if cols:
                head.append(f"<cols>{cols}</cols>")
        head.append("<sheetData>")
        self._write("".join(head))
        self._encoders: dict[Any, RowEncoder] = {}  # by (styles, columns)

    # ----------------------------------------------------------------------------------------- cells
    def write_row(self, values: list[Any] | tuple[Any, ...], styles: int | list[int] | tuple[int, ...] | None = None,
                  *, height: float | None = None) -> int:
        """Write the next row; returns its 0-based index. ``styles``: one format for every cell or one per
        column (format ids from :meth:`Workbook.add_format`). ``None`` and ``""`` cells are left empty
        (a styled empty cell keeps its style). Strings are always written as text. The cells are
        :class:`RowEncoder`'s (one encoder per set of styles), as rows encoded ahead are."""
        if self.closed:
            raise ValueError(f"sheet {self.name!r} is closed")
        if self.rows >= MAX_ROWS:
            raise ValueError("worksheet row limit reached (1,048,576 rows)")
        n = len(values)
        if n > self.ncols:
            if n > MAX_COLS:
                raise ValueError("too many columns")
            self.ncols = n
        key = (styles if styles is None or isinstance(styles, int) else tuple(styles), n)
        enc = self._encoders.get(key)
        if enc is None:
            per_col = [styles or 0] * n if styles is None or isinstance(styles, int) else list(styles)
            enc = self._encoders[key] = RowEncoder(per_col, self.book._strings)
        text = enc.encode((values,))[0]
        if height:
            text = row_open(height) + text[len(_ROW_OPEN):]
        r = self.rows
        self.write_encoded([text])
        return r

    @staticmethod
    def _other_cell(head: str, v: Any) -> str:
        if isinstance(v, bool):
            return f'{head} t="b"><v>{int(v)}</v></c>'
        if isinstance(v, Formula):
            fv = v.value
            text = xml_text(v.text[1:] if v.text.startswith("=") else v.text)
            if isinstance(fv, str):
                return f'{head} t="str"><f>{text}</f><v>{xml_text(fv)}</v></c>'
            num = None if fv is None else _num(fv)
            return f"{head}><f>{text}</f><v>{num}</v></c>" if num is not None else f"{head}><f>{text}</f></c>"
        if isinstance(v, (Decimal, numbers.Real)):
            num = _num(v if isinstance(v, (Decimal, float)) else int(v) if isinstance(v, numbers.Integral) else float(v))
            return f"{head}><v>{num}</v></c>" if num is not None else f"{head}/>"
        if isinstance(v, (_dt.datetime, _dt.date)):
            d = v if isinstance(v, _dt.datetime) else _dt.datetime(v.year, v.month, v.day)
            serial = (d.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
            return f"{head}><v>{_num(serial)}</v></c>"
        s = str(v)
        return f'{head} t="inlineStr"><is>{_t(s)}</is></c>' if s else f"{head}/>"

    def write_encoded(self, rows: list[str]) -> int:
        """Write the next rows from :meth:`RowEncoder.encode`'s texts (their :data:`ROW_MARK` becomes the
        row number) as far as the sheet's row limit allows; returns how many were written. The
        encoder's string table must be this workbook's (``Workbook(strings=...)``) and its styles this
        workbook's format ids."""
        if self.closed:
            raise ValueError(f"sheet {self.name!r} is closed")
        r = self.rows
        take = rows if r + len(rows) <= MAX_ROWS else rows[:max(0, MAX_ROWS - r)]
        if rows and not take:
            raise ValueError("worksheet row limit reached (1,048,576 rows)")
        self._buf += numbered(take, r + 1)
        self.rows = r + len(take)
        if len(self._buf) >= 512:
            self._flush()
        return len(take)

    def write_deflated(self, part: DeflatedPart) -> None:
        """Put the rows of ``part`` (:meth:`DeflatedRows.parts`) here as they are, deflated: the sheet must
        have been added with ``raw=True`` and hold exactly the rows before the part's first one."""
        if self.closed:
            raise ValueError(f"sheet {self.name!r} is closed")
        if type(self._stream) is not _Pieces:
            raise ValueError("rows deflated ahead go in a sheet added with raw=True")
        if self.rows != part.first_row - 1 or self.rows + part.rows > MAX_ROWS:
            raise ValueError(f"rows deflated from row {part.first_row} cannot follow row {self.rows} of {self.name!r}")
        self._flush()
        self._stream.items.append(part)
        self.rows += part.rows

    def write_rows(self, rows: Any, styles: int | list[int] | tuple[int, ...] | None = None) -> None:
        for row in rows:
            self.write_row(row, styles)

    def skip_rows(self, n: int = 1) -> None:
        self.rows += n

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        """Merge the 0-based inclusive range (written when the sheet closes)."""
        if (r0, c0) != (r1, c1):
            self.merges.append((r0, c0, r1, c1))

    def set_autofilter(self, r0: int, c0: int, r1: int, c1: int) -> None:
        self.autofilter = (r0, c0, r1, c1)

    def add_chart(self, chart: BarChart, r0: int, c0: int, r1: int, c1: int) -> None:
        """Place ``chart`` over the 0-based cell box (r0, c0) .. (r1, c1)."""
        self.anchors.append(_Anchor(chart, r0, c0, r1, c1))

    # ----------------------------------------------------------------------------------------- output
    def _write(self, s: str) -> None:
        self._stream.write(s.encode("utf-8"))

    def _flush(self) -> None:
        if self._buf:
            if type(self._stream) not in (_Deflating, _Pieces):  # a long sheet: deflated beside the rows to come
                self._stream = _Deflating(self._stream)
            self._write("".join(self._buf))
            self._buf.clear()

    def close(self) -> None:
        if self.closed:
            return
        self._flush()
        tail = ["</sheetData>"]
        if self.autofilter:
            r0, c0, r1, c1 = self.autofilter
            tail.append(f'<autoFilter ref="{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"/>')
        if self.merges:
            m = "".join(
                f'<mergeCell ref="{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"/>'
                for r0, c0, r1, c1 in self.merges
            )
            tail.append(f'<mergeCells count="{len(self.merges)}">{m}</mergeCells>')
        ps = self.print_setup
        if ps is None:
            tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
        else:
            tail.append('<pageMargins left="0.4" right="0.4" top="0.75" bottom="0.6" header="0.3" footer="0.3"/>'
                        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
            head = (f'&amp;C&amp;"-,Bold"&amp;12{_hf(ps.header)}' if ps.header else "") + (
                f"&amp;R{_hf(ps.unit)}" if ps.unit else "")
            tail.append("<headerFooter>" + (f"<oddHeader>{head}</oddHeader>" if head else "")
                        + "<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>")
            if ps.breaks:
                brks = "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in ps.breaks)
                tail.append(f'<rowBreaks count="{len(ps.breaks)}" manualBreakCount="{len(ps.breaks)}">{brks}</rowBreaks>')
        if self.anchors:
            tail.append('<drawing r:id="rId1"/>')
        tail.append("</worksheet>")
        self._write("".join(tail))
        self._stream.close()
        self.closed = True
        self.book._sheet_closed(self)


class _Deflating:
    """A worksheet stream written (and so deflated) in a thread of its own: zlib lets go of the GIL, so a
    long sheet's text is compressed while its next rows are made. Errors are raised in the caller, at the
    next write or at ``close``."""

    def __init__(self, stream: IO[bytes]) -> None:
        import queue
        import threading

        self._stream = stream
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlperf-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._q.get()) is not None:
            if self._error is None:
                try:
                    self._stream.write(data)
                except BaseException as exc:  # a full disk: raised in the writing thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            exc, self._error = self._error, None
            raise exc

    def write(self, data: bytes) -> None:
        self._raise()
        self._q.put(data)

    def stop(self) -> None:
        """End the thread (what was queued is still written); the stream stays open."""
        if self._thread.is_alive():
            self._q.put(None)
            self._thread.join()

    def close(self) -> None:
        self.stop()
        self._raise()
        self._stream.close()


ROW_MARK = "\x00"  # the row number in a row encoded ahead (XML text can never hold it: xml_text escapes it)
_ROW_OPEN = f'<row r="{ROW_MARK}">'


def numbered(texts: list[str], first: int) -> list[str]:
    """:meth:`RowEncoder.encode`'s texts with their :data:`ROW_MARK` made row numbers, from ``first``."""
    mark = ROW_MARK
    return [t.replace(mark, str(k)) for k, t in enumerate(texts, first)]


def row_open(height: float | None) -> str:
    """A row's start tag (its number left as :data:`ROW_MARK`), ``height`` points tall (None: the default)."""
    return f'<row r="{ROW_MARK}" ht="{height:g}" customHeight="1">' if height else _ROW_OPEN


@dataclass(slots=True)
class SharedStrings:
    """A shared-string table filled before the workbook is written (by :class:`RowEncoder`), with the
    bounds of :class:`Workbook`'s own: strings longer than ``max_shared_len`` or beyond ``max_shared``
    are written inline."""

    max_shared: int = 100_000
    max_shared_len: int = 80
    index: dict[str, int] = field(default_factory=dict)

    def share(self, s: str) -> int | None:
        idx = self.index.get(s)
        if idx is None and len(s) <= self.max_shared_len and len(self.index) < self.max_shared:
            idx = self.index[s] = len(self.index)
        return idx


_NO_MEMO: dict[str, str] = {}  # the memo of a column not remembered: always empty (RowEncoder._text never fills it)


class RowEncoder:
    """Rows turned into sheet XML before the sheet exists, with :data:`ROW_MARK` for the row number
    (:meth:`Sheet.write_encoded` fills it in): a consolidation encodes each form's detail rows as they
    arrive, while its workers still read, so that writing the summary afterwards only copies text.

    This is how every cell is written (:meth:`Sheet.write_row` encodes its row here too): ``styles`` one
    format id per column; text always as text, through ``strings``; ``None`` and ``""`` left out unless
    the cell is styled. A column's repeated text (a department, a level, a unit)
    is encoded once and remembered; a column with more than ``memo`` different texts (names, notes)
    is not remembered at all, so memory stays flat."""

    def __init__(self, styles: list[int] | tuple[int, ...], strings: SharedStrings, *, memo: int = 4096,
                 height: tuple[int, Callable[[Any], float | None]] | None = None) -> None:
        self.styles = tuple(styles)
        self.strings = strings
        self.height = height  # (column, its text -> the row's height in points, None for the default)
        self._memo_max = memo
        self._heads = [f'<c r="{col_letter(c)}{ROW_MARK}"' + (f' s="{st}"' if st else "") for c, st in
                       enumerate(self.styles)]
        self._memo: list[dict[str, str]] = [{} for _ in self.styles]

    def _head(self, c: int) -> str:
        while c >= len(self._heads):  # a row longer than the styles: unstyled cells
            self._heads.append(f'<c r="{col_letter(len(self._heads))}{ROW_MARK}"')
            self._memo.append({})
        return self._heads[c]

    def _text(self, c: int, v: str) -> str:
        head = self._head(c)
        idx = self.strings.share(v)
        cell = f'{head} t="s"><v>{idx}</v></c>' if idx is not None else f'{head} t="inlineStr"><is>{_t(v)}</is></c>'
        memo = self._memo[c]
        if memo is not _NO_MEMO:
            if len(memo) >= self._memo_max:  # texts that hardly repeat: stop remembering this column's
                self._memo[c] = _NO_MEMO
            else:
                memo[v] = cell
        return cell

    def encode(self, rows: Iterable[list[Any] | tuple[Any, ...]]) -> list[str]:
        """One text per row, for :meth:`Sheet.write_encoded`."""
        out = []
        heads, memo, styles, n_styled = self._heads, self._memo, self.styles, len(self.styles)
        tall = self.height
        for row in rows:
            if len(row) > len(heads):
                self._head(len(row) - 1)
            cells = [_ROW_OPEN if tall is None or tall[0] >= len(row) else row_open(tall[1](row[tall[0]]))]
            add = cells.append
            for c, v in enumerate(row):
                tv = type(v)
                if tv is str:
                    if v:
                        hit = memo[c].get(v)
                        add(hit if hit is not None else self._text(c, v))
                    elif c < n_styled and styles[c]:
                        add(f"{heads[c]}/>")
                elif tv is float:
                    if v - v == 0.0:  # finite
                        add(f"{heads[c]}><v>{v!r}</v></c>")
                elif tv is int:
                    add(f"{heads[c]}><v>{v}</v></c>")
                elif v is None:
                    if c < n_styled and styles[c]:
                        add(f"{heads[c]}/>")
                else:
                    add(Sheet._other_cell(heads[c], v))
            add("</row>")
            out.append("".join(cells))
        return out


def _raw_deflater(level: int) -> Any:
    """A compressor of a raw deflate stream (no zlib header: what a zip member holds)."""
    return zlib.compressobj(level, zlib.DEFLATED, -15)


_FINAL_BLOCK = _raw_deflater(1).flush()  # an empty last block: ends a raw deflate stream


def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, m) for m in mat]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc1`` = CRC-32 of ``a``, ``crc2`` of ``b`` and ``len2`` = len(b)
    (zlib's ``crc32_combine``, which Python's zlib module does not offer: the operator that appends
    ``len2`` zero bytes, applied to ``crc1`` by repeated squaring)."""
    if len2 <= 0:
        return crc1
    op = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    op = _gf2_square(_gf2_square(op))  # four zero bits
    while len2:  # each round: the operator for a zero byte, two, four..., applied where len2 has a bit set
        op = _gf2_square(op)
        if len2 & 1:
            crc1 = _gf2_times(op, crc1)
        len2 >>= 1
    return crc1 ^ crc2


@dataclass(frozen=True, slots=True)
class DeflatedPart:
    """One sheet's worth of :class:`DeflatedRows`: ``rows`` rows numbered from ``first_row``, ``size``
    bytes of sheet XML with CRC-32 ``crc``, deflated (a raw, sync-flushed piece of a longer stream) into
    the ``length`` bytes at ``offset`` of ``file``."""

    file: IO[bytes]
    offset: int
    length: int
    size: int
    crc: int
    rows: int
    first_row: int

    def copy_to(self, out: IO[bytes]) -> None:
        fh = self.file
        fh.seek(self.offset)
        left = self.length
        while left > 0:
            data = fh.read(min(left, 1 << 20))
            if not data:
                raise OSError("the rows deflated ahead are shorter than written")
            out.write(data)
            left -= len(data)
        fh.seek(0, 2)


class DeflatedRows:
    """A long sheet's rows made final as they arrive: numbered (the caller adds only rows that stay, in
    their order), deflated and kept in a temporary file, so that writing the workbook copies them
    (:meth:`Sheet.write_deflated`). ``texts`` are :meth:`RowEncoder.encode`'s, whose string table and
    styles must be the workbook's. Rows beyond Excel's row limit start another part (another sheet,
    numbered from ``first_row`` again, below its header rows)."""

    def __init__(self, compresslevel: int = 1, first_row: int = 2) -> None:
        self.compresslevel = compresslevel
        self.first_row = first_row
        self._fh: IO[bytes] = tempfile.TemporaryFile(prefix="xlperf-rows-")
        self._parts: list[list[int]] = []  # [offset, length, size, crc, rows] of each part
        self._z: Any = None

    def add(self, texts: list[str]) -> None:
        while texts:
            part = self._parts[-1] if self._parts else None
            room = MAX_ROWS - self.first_row + 1 - (part[4] if part is not None else 0)
            if part is None or room <= 0:
                self._new_part()
                continue
            take = texts[:room] if len(texts) > room else texts
            data = "".join(numbered(take, self.first_row + part[4])).encode()
            part[2] += len(data)
            part[3] = zlib.crc32(data, part[3])
            part[4] += len(take)
            out = self._z.compress(data)
            if out:
                self._fh.write(out)
                part[1] += len(out)
            texts = texts[len(take):]

    def _new_part(self) -> None:
        if self._z is not None:
            self._sync()
        self._z = _raw_deflater(self.compresslevel)
        self._parts.append([self._fh.tell(), 0, 0, 0, 0])

    def _sync(self) -> None:
        out = self._z.flush(zlib.Z_SYNC_FLUSH)
        self._fh.write(out)
        self._parts[-1][1] += len(out)

    @property
    def rows(self) -> int:
        return sum(p[4] for p in self._parts)

    def parts(self) -> list[DeflatedPart]:
        """The parts so far (none without rows), each a sheet's rows; more rows may still be added."""
        if self._z is not None:
            self._sync()
        self._fh.flush()
        return [DeflatedPart(self._fh, o, n, size, crc, rows, self.first_row) for o, n, size, crc, rows in self._parts]

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:
        self._fh.close()


class _Pieces:
    """What a raw sheet (``add_sheet(raw=True)``) writes, kept until it closes: its own text and the
    parts deflated ahead (:meth:`Sheet.write_deflated`) in their order."""

    def __init__(self) -> None:
        self.items: list[bytearray | DeflatedPart] = []

    def write(self, data: bytes) -> None:
        last = self.items[-1] if self.items else None
        if type(last) is bytearray:  # text after text: one piece
            last += data
        else:
            self.items.append(bytearray(data))

    def close(self) -> None:
        pass


class Workbook:
    """Stream an xlsx to ``target`` (a path or a binary file object).

    ``max_shared`` bounds the shared-string table (strings longer than ``max_shared_len`` or beyond
    the cap are written inline), so memory does not grow with the data.
    """

    def __init__(self, target: str | Path | IO[bytes], *, compresslevel: int = 1, font: str = "等线",
                 max_shared: int = 100_000, max_shared_len: int = 80, application: str = "xlperf",
                 strings: SharedStrings | None = None) -> None:
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.compresslevel = compresslevel
        self._styles = _Styles(font)
        # rows encoded ahead (RowEncoder) refer to ``strings``: this workbook's table is that one (strings
        # are only ever added to it, so the indices the encoded rows hold stay valid)
        self._own_sst = strings is None
        if strings is None:
            strings = SharedStrings(max_shared, max_shared_len)
        max_shared, max_shared_len = strings.max_shared, strings.max_shared_len
        self._strings = strings
        self._sst: dict[str, int] = strings.index
        self.max_shared = max_shared
        self.max_shared_len = max_shared_len
        self.application = application
        self._sheets: list[tuple[str, bool, int]] = []  # name, has_drawing, drawing number
        self._current: Sheet | None = None
        self._drawings: list[list[_Anchor]] = []
        self._filters: list[tuple[int, str]] = []
        self._titles: list[tuple[int, str]] = []  # print titles: (sheet index, rows)
        self._closed = False

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            # the error goes on; what is written stops (the thread first) and the zip is closed if it can be
            stream = getattr(self._current, "_stream", None)
            if isinstance(stream, _Deflating):
                stream.stop()
            if stream is not None:
                try:
                    stream.close()
                except Exception:  # noqa: S110 - the first error is the one that matters
                    pass
            self._zip._writing = False  # type: ignore[attr-defined]  # a failed member: close the zip anyway
            try:
                self._zip.close()
            except Exception:  # noqa: S110
                pass

    def add_format(self, *, bold: bool = False, italic: bool = False, font_size: float | None = None,
                   font_color: str | None = None, num_fmt: str | None = None, fill: str | None = None,
                   border: bool = False, wrap: bool = False, halign: str | None = None,
                   valign: str | None = None) -> int:
        """A cell format; returns its id for ``write_row(styles=...)``. Colours are ``RRGGBB``."""
        return self._styles.add(_Fmt(bold, italic, font_size, font_color, num_fmt, fill, border, wrap, halign, valign))

    def add_sheet(self, name: str, *, widths: list[float] | None = None, freeze: tuple[int, int] | None = None,
                  selected: bool | None = None, dimension: tuple[int, int] | None = None,
                  print_setup: PrintSetup | None = None, raw: bool = False) -> Sheet:
        """Start the next worksheet (closing the current one). ``freeze=(rows, cols)`` frozen panes;
        ``dimension=(rows, cols)``: the used range, when known in advance (read-only readers such as
        openpyxl's, used by pandas, size their rows by it). ``raw``: the sheet's own text is kept (it
        should be small: a header row, the tail) and the sheet written when it closes, with the rows
        deflated ahead that :meth:`Sheet.write_deflated` put in it copied as they are."""
        if self._current is not None:
            self._current.close()
        if not name or len(name) > 31 or _INVALID_SHEET_CHARS.search(name) or name.startswith("'"):
            raise ValueError(f"invalid sheet name: {name!r}")
        if any(n.lower() == name.lower() for n, _, _ in self._sheets):
            raise ValueError(f"duplicate sheet name: {name!r}")
        index = len(self._sheets)
        self._sheets.append((name, False, 0))
        stream: IO[bytes] | _Pieces = _Pieces() if raw else self._zip.open(f"xl/worksheets/sheet{index + 1}.xml", "w")
        sel = (index == 0) if selected is None else selected
        self._current = Sheet(self, index, name, stream, widths=widths, freeze=freeze, selected=sel,
                              dimension=dimension, print_setup=print_setup)
        if print_setup is not None and print_setup.title_rows:
            self._titles.append((index, f"{quote_sheet(name)}!$1:${print_setup.title_rows}"))
        return self._current

    def _sheet_closed(self, sheet: Sheet) -> None:
        if type(sheet._stream) is _Pieces:
            self._write_pieces(f"xl/worksheets/sheet{sheet.index + 1}.xml", sheet._stream.items)
        if sheet.autofilter:
            r0, c0, r1, c1 = sheet.autofilter
            self._filters.append((sheet.index, ref(sheet.name, r0, c0, r1, c1)))
        if sheet.anchors:
            self._drawings.append(sheet.anchors)
            n = len(self._drawings)
            self._sheets[sheet.index] = (sheet.name, True, n)
            self._zip.writestr(
                f"xl/worksheets/_rels/sheet{sheet.index + 1}.xml.rels",
                _rels([("rId1", _REL + "drawing", f"../drawings/drawing{n}.xml")]),
            )
        if self._current is sheet:
            self._current = None

    def _write_pieces(self, name: str, items: list[bytearray | DeflatedPart]) -> None:
        """Write member ``name`` from its pieces: text (deflated here, each piece on its own) and parts
        deflated ahead (copied), one raw deflate stream of sync-flushed pieces closed by an empty final
        block, its CRC-32 combined from the pieces'. (zipfile has no call for a member already
        compressed: this is what ``ZipFile.writestr`` does, with the sizes and CRC known first.)"""
        level = self.compresslevel
        chunks: list[bytes | DeflatedPart] = []
        crc = size = length = 0
        for item in items:
            if isinstance(item, DeflatedPart):
                crc = crc32_combine(crc, item.crc, item.size)
                size += item.size
                length += item.length
                chunks.append(item)
            elif item:
                z = _raw_deflater(level)
                data = z.compress(item) + z.flush(zlib.Z_SYNC_FLUSH)
                crc = zlib.crc32(item, crc)
                size += len(item)
                length += len(data)
                chunks.append(data)
        chunks.append(_FINAL_BLOCK)
        length += len(_FINAL_BLOCK)
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        info.file_size, info.compress_size, info.CRC = size, length, crc
        zip64 = size > zipfile.ZIP64_LIMIT or length > zipfile.ZIP64_LIMIT
        z = self._zip
        with z._lock:  # type: ignore[attr-defined]
            if z._seekable:  # type: ignore[attr-defined]
                z.fp.seek(z.start_dir)  # type: ignore[attr-defined,union-attr]
            fp = z.fp
            assert fp is not None
            info.header_offset = fp.tell()
            z._writecheck(info)  # type: ignore[attr-defined]
            z._didModify = True  # type: ignore[attr-defined]
            fp.write(info.FileHeader(zip64))
            for chunk in chunks:
                if isinstance(chunk, DeflatedPart):
                    chunk.copy_to(fp)
                else:
                    fp.write(chunk)
            z.filelist.append(info)
            z.NameToInfo[info.filename] = info
            z.start_dir = fp.tell()  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._closed:
            return
        if self._current is not None:
            self._current.close()
        if not self._sheets:
            self.add_sheet("Sheet1").close()
        z = self._zip
        overrides = [("/xl/workbook.xml", _CT + "spreadsheetml.sheet.main+xml"),
                     ("/xl/styles.xml", _CT + "spreadsheetml.styles+xml"),
                     ("/xl/sharedStrings.xml", _CT + "spreadsheetml.sharedStrings+xml"),
                     ("/docProps/app.xml", _CT + "extended-properties+xml"),
                     ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml")]
        for i in range(len(self._sheets)):
            overrides.append((f"/xl/worksheets/sheet{i + 1}.xml", _CT + "spreadsheetml.worksheet+xml"))
        chart_no = 0
        for d, anchors in enumerate(self._drawings, start=1):
            overrides.append((f"/xl/drawings/drawing{d}.xml", _CT + "drawing+xml"))
            rels = []
            for k, a in enumerate(anchors, start=1):
                chart_no += 1
                z.writestr(f"xl/charts/chart{chart_no}.xml", chart_xml(a.chart, 50010000 + chart_no * 10))
                overrides.append((f"/xl/charts/chart{chart_no}.xml", _CT + "drawingml.chart+xml"))
                rels.append((f"rId{k}", _REL + "chart", f"../charts/chart{chart_no}.xml"))
            z.writestr(f"xl/drawings/drawing{d}.xml", drawing_xml(anchors))
            z.writestr(f"xl/drawings/_rels/drawing{d}.xml.rels", _rels(rels))
        # shared strings
        with z.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(f'{_XML_DECL}<sst xmlns="{_NS_MAIN}" count="{len(self._sst)}" uniqueCount="{len(self._sst)}">'.encode())
            buf = []
            for s in self._sst:
                buf.append(f"<si>{_t(s)}</si>")
                if len(buf) >= 4096:
                    fh.write("".join(buf).encode("utf-8"))
                    buf.clear()
            buf.append("</sst>")
            fh.write("".join(buf).encode("utf-8"))
        if self._own_sst:
            self._sst.clear()
        z.writestr("xl/styles.xml", self._styles.xml())
        sheets = "".join(
            f'<sheet name="{xml_attr(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, (n, _, _) in enumerate(self._sheets)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{xml_text(r)}</definedName>'
            for i, r in self._filters
        ) + "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{xml_text(r)}</definedName>'
            for i, r in self._titles
        )
        z.writestr(
            "xl/workbook.xml",
            f'{_XML_DECL}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}"><workbookPr/>'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + '<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>',
        )
        n = len(self._sheets)
        wb_rels = [(f"rId{i + 1}", _REL + "worksheet", f"worksheets/sheet{i + 1}.xml") for i in range(n)]
        wb_rels += [(f"rId{n + 1}", _REL + "styles", "styles.xml"), (f"rId{n + 2}", _REL + "sharedStrings", "sharedStrings.xml")]
        z.writestr("xl/_rels/workbook.xml.rels", _rels(wb_rels))
        z.writestr("_rels/.rels", _rels([
            ("rId1", _REL + "officeDocument", "xl/workbook.xml"),
            ("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", "docProps/core.xml"),
            ("rId3", _REL + "extended-properties", "docProps/app.xml"),
        ]))
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        z.writestr(
            "docProps/app.xml",
            f'{_XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            f'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f"<Application>{xml_text(self.application)}</Application></Properties>",
        )
        z.writestr(
            "docProps/core.xml",
            f'{_XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{xml_text(self.application)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>',
        )
        ct = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
        z.writestr(
            "[Content_Types].xml",
            f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{ct}</Types>',
        )
        z.close()
        self._closed = True


def _rels(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{xml_attr(g)}"/>' for i, t, g in items)
    return f'{_XML_DECL}<Relationships xmlns="{_NS_PKG_R}">{body}</Relationships>'
