"""The streaming xlsx writer: what it writes is what openpyxl, python-calamine and LibreOffice read."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import needs_libreoffice, recalc
from xlperf.io.fastxlsx import BarChart, Formula, Series, Workbook, ref, xml_text

HYPERLINK = '=HYPERLINK("http://example.com","x")'
DDE = "=cmd|' /C calc'!A0"


def _sample(path: Path) -> None:
    with Workbook(path) as wb:
        head = wb.add_format(bold=True, fill="DDEBF7", border=True, halign="center")
        money = wb.add_format(num_fmt="#,##0.00")
        ws = wb.add_sheet("部门汇总", widths=[30, 12, 20], freeze=(1, 1))
        ws.write_row(["部门名称", "金额", "说明"], head)
        ws.write_row([HYPERLINK, Decimal("3793.11"), "a & b <c> \"q\""], [0, money, 0])
        ws.write_row([DDE, 1359.1, "="], [0, money, 0])
        ws.write_row(["  前后空格  ", 7, True], [0, money, 0])
        ws.write_row(["控制\x01字符", None, "_x0041_"], [0, money, 0])
        ws.set_autofilter(0, 0, 4, 2)
        ws.write_row(["合计", Formula("SUM(B2:B5)", Decimal("5159.21")), None], [head, money, head])
        ch = wb.add_sheet("图表")
        ch.write_row(["部门", "项目支出"], head)
        ch.write_row(["甲", 10.5])
        ch.write_row(["乙", 20])
        ch.merge(4, 0, 6, 1)
        ch.add_chart(BarChart("各部门项目支出", [Series("项目支出", ref("图表", 1, 1, 2, 1), ref("图表", 1, 0, 2, 0),
                                                    value_cache=[10.5, 20], category_cache=["甲", "乙"])],
                              horizontal=True), 1, 3, 16, 10)


def test_values_types_and_layout_read_back_with_openpyxl(tmp_path: Path) -> None:
    import openpyxl

    p = tmp_path / "out.xlsx"
    _sample(p)
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["部门汇总", "图表"]
    ws = wb["部门汇总"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("部门名称", "金额", "说明")
    # text that looks like a formula stays text
    assert ws["A2"].value == HYPERLINK and ws["A2"].data_type == "s"
    assert ws["A3"].value == DDE and ws["A3"].data_type == "s"
    assert ws["C3"].value == "=" and ws["C3"].data_type == "s"
    assert ws["C2"].value == 'a & b <c> "q"'
    assert ws["A4"].value == "  前后空格  "
    assert ws["C4"].value is True
    assert ws["B2"].value == pytest.approx(3793.11) and ws["B2"].number_format == "#,##0.00"
    assert ws["B4"].value == 7
    assert ws["B6"].value == "=SUM(B2:B5)" and ws["B6"].data_type == "f"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == "A1:C5"
    assert ws.column_dimensions["A"].width == pytest.approx(30)
    ch = wb["图表"]
    assert {str(m) for m in ch.merged_cells.ranges} == {"A5:B7"}
    assert len(ch._charts) == 1 and ch._charts[0].tagname == "barChart" and ch._charts[0].barDir == "bar"


def test_calamine_reads_text_numbers_and_cached_formula_values(tmp_path: Path) -> None:
    import python_calamine as pc

    p = tmp_path / "out.xlsx"
    _sample(p)
    rows = pc.CalamineWorkbook.from_path(str(p)).get_sheet_by_name("部门汇总").to_python()
    assert rows[1][0] == HYPERLINK and rows[2][0] == DDE
    assert rows[1][1] == pytest.approx(3793.11)
    assert rows[4][0] == "控制\x01字符"  # Excel's _x0001_ escape, decoded by calamine
    assert rows[4][2] == "_x0041_"  # a literal _xHHHH_ sequence survives (escaped as _x005F_)
    assert rows[5][1] == pytest.approx(5159.21)


def test_package_parts_and_well_formed_xml(tmp_path: Path) -> None:
    from xml.dom import minidom

    p = tmp_path / "out.xlsx"
    _sample(p)
    with zipfile.ZipFile(p) as zf:
        names = set(zf.namelist())
        for part in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
                     "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                     "xl/drawings/drawing1.xml", "xl/charts/chart1.xml", "xl/worksheets/_rels/sheet2.xml.rels"):
            assert part in names
        for n in names:
            minidom.parseString(zf.read(n))  # every part is well-formed XML
        wbx = zf.read("xl/workbook.xml").decode()
        assert "_xlnm._FilterDatabase" in wbx and 'fullCalcOnLoad="1"' in wbx
        assert "<f>" not in zf.read("xl/sharedStrings.xml").decode()


def test_shared_string_cap_falls_back_to_inline_strings() -> None:
    import openpyxl

    buf = io.BytesIO()
    with Workbook(buf, max_shared=2, max_shared_len=5) as wb:
        ws = wb.add_sheet("S")
        for v in ["a", "b", "c", "long text here", "a", "=1+1"]:
            ws.write_row([v])
    wb2 = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert [c.value for (c,) in wb2["S"].iter_rows()] == ["a", "b", "c", "long text here", "a", "=1+1"]
    assert wb2["S"]["A6"].data_type == "s"


def test_sheet_name_rules() -> None:
    with Workbook(io.BytesIO()) as wb:
        wb.add_sheet("A")
        with pytest.raises(ValueError):
            wb.add_sheet("a")  # duplicate, case-insensitive like Excel
        with pytest.raises(ValueError):
            wb.add_sheet("x/y")
        with pytest.raises(ValueError):
            wb.add_sheet("x" * 32)


def test_numbers_non_finite_and_numpy_values() -> None:
    import numpy as np
    import python_calamine as pc

    buf = io.BytesIO()
    with Workbook(buf) as wb:
        ws = wb.add_sheet("S")
        ws.write_row([float("nan"), float("inf"), np.float64(1.25), np.int64(3), Decimal("0.10"), 10**15])
    rows = pc.CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_name("S").to_python(skip_empty_area=False)
    assert rows[0][:2] == ["", ""]
    assert rows[0][2:] == [1.25, 3, 0.1, 10**15]


def test_xml_text_escapes() -> None:
    assert xml_text("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert xml_text("x\x02y") == "x_x0002_y"
    assert xml_text("_x0041_") == "_x005F_x0041_"


@needs_libreoffice
def test_libreoffice_opens_recalculates_and_keeps_the_chart(tmp_path: Path) -> None:
    import openpyxl

    p = tmp_path / "out.xlsx"
    _sample(p)
    out = recalc(p, tmp_path)
    wb = openpyxl.load_workbook(out, data_only=True)
    ws = wb["部门汇总"]
    assert ws["B6"].value == pytest.approx(3793.11 + 1359.1 + 7)  # recomputed by LibreOffice
    assert ws["A2"].value == HYPERLINK
    with zipfile.ZipFile(out) as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())


def test_rows_encoded_ahead_are_the_rows_written_in_place(tmp_path: Path) -> None:
    """``RowEncoder`` + ``Sheet.write_encoded`` give the cells ``write_row`` gives, styles included,
    text that looks like a formula as text and characters XML cannot hold escaped."""
    import openpyxl

    from xlperf.io.fastxlsx import RowEncoder, SharedStrings

    rows = [[HYPERLINK, Decimal("3793.11"), "a & b <c> \"q\"", None, ""], [DDE, 1359.1, "=", 7, True],
            ["  前后空格  ", float("nan"), "控制\x00\x01字符", "x" * 200, None], ["同", 2, "同", 3.5, "_x0041_"]]
    strings = SharedStrings()
    cells = {}
    for ahead in (True, False):
        path = tmp_path / f"{ahead}.xlsx"
        with Workbook(path, strings=strings if ahead else None) as wb:
            money = wb.add_format(num_fmt="#,##0.00")
            styles = [0, money, 0, money, money]
            ws = wb.add_sheet("明细")
            texts = RowEncoder(styles, strings).encode(rows) if ahead else None
            if texts is not None:
                assert ws.write_encoded(texts[:1]) == 1 and ws.write_encoded(texts[1:]) == len(rows) - 1
            else:
                for row in rows:
                    ws.write_row(row, styles)
        book = openpyxl.load_workbook(path)
        cells[ahead] = [(c.coordinate, c.value, c.data_type, c.number_format) for r in book["明细"].iter_rows()
                        for c in r]
    assert cells[True] == cells[False]
    assert ("A1", HYPERLINK, "s", "General") in cells[True] and ("D2", 7, "n", "#,##0.00") in cells[True]


def test_a_failing_write_in_the_deflating_thread_is_raised_not_lost(tmp_path: Path) -> None:
    """A long sheet is deflated in a thread: a write that fails there (a full disk) is raised in the
    caller and the writer does not hang."""

    class Full(io.BytesIO):
        def write(self, b) -> int:  # type: ignore[override]
            if self.tell() > 200_000:
                raise OSError(28, "No space left on device")
            return super().write(b)

    with pytest.raises(OSError, match="No space"):
        with Workbook(Full()) as wb:
            ws = wb.add_sheet("明细")
            for i in range(100_000):
                ws.write_row([f"第 {i} 行的文字，足够长，不会被压得太小 {i * 7919 % 104729}", i * 1.5])


@pytest.mark.parametrize(("n1", "n2"), [(0, 0), (0, 9), (9, 0), (1, 1), (1000, 3), (12_345, 1 << 20), (7, 3_000_001)])
def test_crc32_combine_is_the_crc_of_the_concatenation(n1: int, n2: int) -> None:
    import random
    import zlib

    from xlperf.io.fastxlsx import crc32_combine

    rnd = random.Random(n1 * 31 + n2)
    a, b = rnd.randbytes(n1), rnd.randbytes(n2)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_rows_deflated_ahead_make_the_same_sheet_xml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``DeflatedRows`` + a raw sheet's ``write_deflated`` give, byte for byte, the sheet XML that
    ``write_encoded`` gives (rows numbered in place), across parts beyond the row limit, with rows
    written after the deflated ones; the zip passes its CRC check and the validator's reader."""
    import xlperf.io.fastxlsx as fx
    from xlperf.io.fastxlsx import DeflatedRows, RowEncoder, SharedStrings

    monkeypatch.setattr(fx, "MAX_ROWS", 40)  # Excel's 1,048,576, scaled down: 39 rows below the header
    strings = SharedStrings()
    enc = RowEncoder([0, 1, 0], strings)
    blocks = [[[f"部门{k % 7}", k * 1.25, HYPERLINK if k % 5 == 0 else f"第{k}行"] for k in range(j, j + n)]
              for j, n in ((0, 3), (3, 30), (33, 1), (34, 20), (54, 0), (54, 5))]
    texts = [enc.encode(rows) for rows in blocks]
    rows = DeflatedRows(compresslevel=1)
    for t in texts:
        rows.add(t)
    parts = rows.parts()
    assert [p.rows for p in parts] == [39, 20] and rows.rows == 59 and all(p.first_row == 2 for p in parts)
    flat = [t for ts in texts for t in ts]
    out = {}
    for ahead in (True, False):
        path = tmp_path / f"{ahead}.xlsx"
        with Workbook(path, strings=strings) as wb:
            wb.add_format(num_fmt="#,##0.00")
            for k, chunk in enumerate((flat[:39], flat[39:])):
                ws = wb.add_sheet(f"明细{k + 1}", raw=ahead, dimension=(len(chunk) + 2, 3))
                ws.write_row(["部门", "金额", "说明"], height=30)
                if ahead:
                    ws.write_deflated(parts[k])
                else:
                    ws.write_encoded(chunk)
                if k == 1:
                    ws.write_row(["合计", 1.0, None])  # after the deflated rows: numbered on
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None
            out[ahead] = [zf.read(f"xl/worksheets/sheet{i}.xml") for i in (1, 2)]
    assert out[True] == out[False]
    assert b'<row r="22"><c r="A22" t="s">' in out[True][1] and b"<f>" not in out[True][0]
    rows.close()
    assert rows.closed


def test_rows_deflated_ahead_go_only_where_they_fit(tmp_path: Path) -> None:
    from xlperf.io.fastxlsx import DeflatedRows, RowEncoder, SharedStrings

    strings = SharedStrings()
    rows = DeflatedRows()
    rows.add(RowEncoder([0], strings).encode([["a"], ["b"]]))
    part = rows.parts()[0]
    with Workbook(tmp_path / "x.xlsx", strings=strings) as wb:
        plain = wb.add_sheet("普通")
        with pytest.raises(ValueError, match="raw=True"):
            plain.write_deflated(part)
        raw = wb.add_sheet("原样", raw=True)
        with pytest.raises(ValueError, match="cannot follow row 0"):  # its rows are numbered from row 2
            raw.write_deflated(part)
        raw.write_row(["表头"])
        raw.write_deflated(part)
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["原样"]
    assert [c.value for c in ws["A"]] == ["表头", "a", "b"]
    rows.close()
