"""xlperf.io.rows: Excel-like row insertion for the openpyxl adapter (pure reference arithmetic first,
then a workbook holding one of everything that points at rows, saved and read back)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table

from xlperf.io.rows import MAX_ROW, insert_rows, shift_formula, shift_range_string, shift_ref, shift_span

# ---------------------------------------------------------------- pure arithmetic


@pytest.mark.parametrize(
    "r0, r1, at, n, expected",
    [
        (10, 52, 53, 3, (10, 52)),  # range ends right above: not extended
        (10, 52, 52, 3, (10, 55)),  # insertion inside at the last row: extended
        (10, 52, 13, 8, (10, 60)),  # inside: extended
        (10, 52, 10, 1, (11, 53)),  # at the first row: moves
        (10, 52, 2, 4, (14, 56)),  # above: moves
        (5, 2, 3, 1, (6, 2)),  # written reversed, order kept
        (1, MAX_ROW, 5, 1, (1, MAX_ROW)),  # full height stays full height
    ],
)
def test_shift_span(r0, r1, at, n, expected):
    assert shift_span(r0, r1, at, n) == expected


@pytest.mark.parametrize(
    "ref, at, n, expected",
    [
        ("A1", 5, 2, "A1"),
        ("A5", 5, 2, "A7"),
        ("A4", 5, 2, "A4"),
        ("$A$5", 5, 2, "$A$7"),
        ("A$5", 5, 2, "A$7"),
        ("$a5", 5, 2, "$a7"),
        ("E10:E52", 13, 8, "E10:E60"),
        ("E10:E52", 53, 3, "E10:E52"),
        ("$E$10:$E$52", 10, 1, "$E$11:$E$53"),
        ("8:9", 8, 2, "10:11"),
        ("$8:$9", 9, 1, "$8:$10"),
        ("$8:$9", 10, 1, "$8:$9"),
        ("A1:B2:C30", 10, 1, "A1:B2:C31"),
        ("A:C", 1, 5, None),
        ("一级指标列表", 1, 5, None),
        ("TRUE1X", 1, 5, None),
        (f"A{MAX_ROW}", 1, 1, "#REF!"),
        (f"A1:A{MAX_ROW}", 5, 1, f"A1:A{MAX_ROW}"),
    ],
)
def test_shift_ref(ref, at, n, expected):
    assert shift_ref(ref, at, n) == expected


S = "绩效目标表"


@pytest.mark.parametrize(
    "formula, context, at, n, expected",
    [
        ("=SUM(E10:E52)", S, 13, 8, "=SUM(E10:E60)"),
        ("=SUM(E10:E52)", S, 53, 8, "=SUM(E10:E52)"),
        ("=SUM(E10:E52)", "其他", 13, 8, "=SUM(E10:E52)"),  # unqualified on another sheet
        ("='绩效目标表'!C6*2", "其他", 5, 1, "='绩效目标表'!C7*2"),
        ("=绩效目标表!C6+C6", "其他", 5, 1, "=绩效目标表!C7+C6"),
        ("=C5+C6", S, 6, 1, "=C5+C7"),
        ('=IF(A1>0,"A20",B20)', S, 10, 10, '=IF(A1>0,"A20",B30)'),
        ('=INDIRECT("E20")&E20', S, 10, 1, '=INDIRECT("E20")&E21'),
        ("=SUM(20:21)", S, 10, 2, "=SUM(22:23)"),
        ("=SUM(A:A)", S, 1, 2, "=SUM(A:A)"),
        ("=一级指标列表", S, 1, 2, "=一级指标列表"),
        ("=Table1[Col]", S, 1, 2, "=Table1[Col]"),
        ("=[1]绩效目标表!A20", S, 1, 2, "=[1]绩效目标表!A20"),
        ("=Sheet1:Sheet3!A20", "Sheet1", 1, 2, "=Sheet1:Sheet3!A20"),
        ("='It''s'!A20+A20", "x", 10, 2, "='It''s'!A22+A20"),
        ("=sheet1!A20", "x", 10, 2, "=sheet1!A20"),  # other sheet
        ("=SUM( E10 , E60 )", S, 13, 1, "=SUM( E10 , E61 )"),
        ("=SUM(绩效目标表!E10:绩效目标表!E20)", "x", 13, 1, "=SUM(绩效目标表!E10:绩效目标表!E21)"),
        ("=-E20%", S, 13, 1, "=-E21%"),
        ("=SUM(", S, 1, 1, "=SUM("),  # malformed: untouched
        ("plain text A20", S, 1, 1, "plain text A20"),
    ],
)
def test_shift_formula(formula, context, at, n, expected):
    target = "It's" if "It''s" in formula else S
    if formula.startswith("=sheet1!"):
        target = "Other"
    assert shift_formula(formula, at, n, target=target, context=context) == expected


def test_sheet_names_compare_case_insensitively():
    assert shift_formula("=sheet1!A20", 10, 2, target="Sheet1", context="x") == "=sheet1!A22"


def test_shift_range_string_lists():
    assert shift_range_string("F10:F210 H5 A1:A3", 13, 2) == "F10:F212 H5 A1:A3"


# ---------------------------------------------------------------- a workbook with everything


def _workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = S
    other = wb.create_sheet("汇总")
    thin = Side(style="thin")
    for r in range(1, 31):
        ws.cell(r, 1, f"r{r}")
        ws.cell(r, 5, r)
    ws.cell(12, 14).fill = PatternFill("solid", start_color="FFFF00", end_color="FFFF00")
    ws.cell(12, 14).border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.row_dimensions[12].height = 33
    ws.row_dimensions[20].height = 44
    ws.merge_cells("B2:B4")  # above: stays
    ws.merge_cells("B10:B12")  # ends right above the insertion point (13): stays
    ws.merge_cells("C11:D16")  # spans: extended
    ws.merge_cells("B13:B15")  # starts at the insertion point: moves
    ws.merge_cells("F20:G21")  # below: moves
    ws["H1"] = "=SUM(E10:E30)"
    ws["H2"] = "=E13+E12+$E$20"
    ws["H3"] = '=INDIRECT("E20")'
    ws["H25"] = "=E25*2"
    ws["J1"] = ArrayFormula("J1:J2", "=E14:E15*2")
    other["A1"] = f"='{S}'!E20"
    other["A2"] = "=E20"  # the other sheet's own E20
    other["A3"] = f"=SUM('{S}'!E1:E30)"
    dv = DataValidation(type="list", formula1="=INDIRECT(F10)", allow_blank=True)
    dv.add("G10:G40")
    ws.add_data_validation(dv)
    dv2 = DataValidation(type="list", formula1='"是,否"')
    dv2.add("I14:I20")
    dv2.add("I2")
    ws.add_data_validation(dv2)
    ws.conditional_formatting.add("K10:K30", FormulaRule(formula=["$E10>20"], fill=PatternFill("solid", start_color="FF0000")))
    ws["L20"].hyperlink = f"#'{S}'!E20"
    ws["L21"] = "link"
    ws["L21"].hyperlink = openpyxl.worksheet.hyperlink.Hyperlink(ref="L21", location=f"'{S}'!E25")
    ws["L22"].hyperlink = "https://example.com/"
    other["B1"] = "go"
    other["B1"].hyperlink = openpyxl.worksheet.hyperlink.Hyperlink(ref="B1", location=f"'{S}'!A20")
    ws["M20"].comment = Comment("note at 20", "t")
    wb.defined_names["数据"] = DefinedName("数据", attr_text=f"'{S}'!$E$10:$E$30")
    wb.defined_names["上方"] = DefinedName("上方", attr_text=f"'{S}'!$A$1:$A$5")
    wb.defined_names["其他"] = DefinedName("其他", attr_text="'汇总'!$A$1:$A$30")
    ws.defined_names["本表"] = DefinedName("本表", attr_text=f"'{S}'!$E$20")
    ws.print_area = "A1:M30"
    ws.print_title_rows = "8:9"
    ws.freeze_panes = "A10"
    ws.row_breaks.append(Break(id=20))
    ws.row_breaks.append(Break(id=5))
    ws.auto_filter.ref = "A9:M30"
    for c, h in enumerate(["k1", "k2"], start=15):
        other.cell(40, c, h)
    return wb


@pytest.fixture
def inserted(tmp_path: Path):
    wb = _workbook()
    ws = wb[S]
    insert_rows(wb, ws, 12, 3, style_from=11)  # before 1-based row 13, style of row 12
    out = tmp_path / "ins.xlsx"
    wb.save(out)
    return openpyxl.load_workbook(out)


def test_values_move(inserted):
    ws = inserted[S]
    assert ws["A12"].value == "r12"
    assert [ws.cell(r, 1).value for r in (13, 14, 15)] == [None, None, None]
    assert ws["A16"].value == "r13"
    assert ws["E33"].value == 30


def test_merges(inserted):
    got = {str(m) for m in inserted[S].merged_cells.ranges}
    assert got == {"B2:B4", "B10:B12", "C11:D19", "B16:B18", "F23:G24"}


def test_formulas_same_and_other_sheets(inserted):
    ws, other = inserted[S], inserted["汇总"]
    assert ws["H1"].value == "=SUM(E10:E33)"
    assert ws["H2"].value == "=E16+E12+$E$23"
    assert ws["H3"].value == '=INDIRECT("E20")'
    assert ws["H28"].value == "=E28*2"  # moved cell, own reference moved too
    af = ws["J1"].value
    assert af.ref == "J1:J2" and af.text == "=E17:E18*2"
    assert other["A1"].value == f"='{S}'!E23"
    assert other["A2"].value == "=E20"
    assert other["A3"].value == f"=SUM('{S}'!E1:E33)"


def test_validations_and_conditional_formatting(inserted):
    ws = inserted[S]
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(dvs) == {"G10:G43", "I17:I23 I2"} or set(dvs) == {"G10:G43", "I2 I17:I23"}
    assert dvs["G10:G43"].formula1.lstrip("=") == "INDIRECT(F10)"
    cfs = list(ws.conditional_formatting)
    assert [str(cf.sqref) for cf in cfs] == ["K10:K33"]
    assert cfs[0].rules[0].formula == ["$E10>20"]


def test_hyperlinks_and_comments(inserted):
    ws, other = inserted[S], inserted["汇总"]
    assert ws["L23"].hyperlink is not None and ws["L23"].hyperlink.ref == "L23"
    assert ws["L24"].hyperlink.location == f"'{S}'!E28"
    assert ws["L25"].hyperlink.target == "https://example.com/"
    assert other["B1"].hyperlink.location == f"'{S}'!A23"
    assert ws["M23"].comment is not None and ws["M23"].comment.text == "note at 20"
    assert ws["L20"].hyperlink is None


def test_names_print_panes_breaks_filter(inserted):
    wb = inserted
    ws = wb[S]
    assert wb.defined_names["数据"].attr_text == f"'{S}'!$E$10:$E$33"
    assert wb.defined_names["上方"].attr_text == f"'{S}'!$A$1:$A$5"
    assert wb.defined_names["其他"].attr_text == "'汇总'!$A$1:$A$30"
    assert ws.defined_names["本表"].attr_text == f"'{S}'!$E$23"
    assert ws.print_area == f"'{S}'!$A$1:$M$33"
    assert ws.print_title_rows == "$8:$9"
    assert ws.freeze_panes == "A10"
    assert sorted(b.id for b in ws.row_breaks.brk) == [5, 23]
    assert ws.auto_filter.ref == "A9:M33"


def test_row_heights_and_styles(inserted):
    ws = inserted[S]
    assert ws.row_dimensions[12].height == 33
    for r in (13, 14, 15):
        assert ws.row_dimensions[r].height == 33
        assert ws.cell(r, 14).fill.fgColor.rgb.endswith("FFFF00")
        assert ws.cell(r, 14).border.left.style == "thin"
    assert ws.row_dimensions[23].height == 44
    assert ws.row_dimensions[20].height in (None, 15) or not ws.row_dimensions[20].customHeight


def test_table_moves(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T"
    ws.append(["a", "b"])
    for i in range(5):
        ws.append([i, i * 2])
    ws.add_table(Table(displayName="T1", ref="A1:B6"))
    insert_rows(wb, ws, 3, 2)
    assert ws.tables["T1"].ref == "A1:B8"
    insert_rows(wb, ws, 0, 1)
    assert ws.tables["T1"].ref == "A2:B9"
    out = tmp_path / "t.xlsx"
    wb.save(out)
    assert openpyxl.load_workbook(out)["T"].tables["T1"].ref == "A2:B9"


def test_freeze_pane_moves_when_inserting_above(tmp_path):
    wb = _workbook()
    ws = wb[S]
    insert_rows(wb, ws, 3, 2)  # before row 4: above the frozen row 10 and the print titles
    assert ws.freeze_panes == "A12"
    assert ws.print_title_rows == "$10:$11"
    assert {str(m) for m in ws.merged_cells.ranges} >= {"B2:B6"}


def test_insert_zero_rows_is_a_no_op():
    wb = _workbook()
    ws = wb[S]
    insert_rows(wb, ws, 5, 0)
    assert ws["H1"].value == "=SUM(E10:E30)"


def test_extended_merge_covers_new_rows_with_merged_cells():
    from openpyxl.cell.cell import MergedCell

    wb = _workbook()
    ws = wb[S]
    insert_rows(wb, ws, 12, 2, style_from=11)
    assert isinstance(ws["C13"], MergedCell) and isinstance(ws["D14"], MergedCell)
    assert not isinstance(ws["C11"], MergedCell)


def test_grid_after_insertion_reads_back(tmp_path):
    """The saved file reads with both readers (calamine and openpyxl) with the same merges."""
    from xlperf.io.readers import read_grids

    wb = _workbook()
    insert_rows(wb, wb[S], 12, 3, style_from=11)
    out = tmp_path / "g.xlsx"
    wb.save(out)
    fast = read_grids(out)[0]
    slow = read_grids(out, engine="openpyxl")[0]
    assert {m.ref for m in fast.merges} == {m.ref for m in slow.merges}
    assert fast.get(15, 0) == "r13"
