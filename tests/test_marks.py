"""Marking in place, clearing, --in-place safety and --fix, on real .xlsx files written and re-read."""

from __future__ import annotations

import shutil
import zipfile
from copy import copy
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.styles.colors import Color
from openpyxl.xml.functions import tostring

from xlperf.cli import main
from xlperf.core.edits import SetFill, SetNote, WriteTable
from xlperf.core.marks import BOOK_SHEET, REPORT_SHEET, plan_clear, plan_marks
from xlperf.validation import clear_marks, fix_file, mark_file, validate

SHEET = "绩效目标表"


def snapshot(path: Path) -> dict:
    """Everything marking could touch: sheets and their state, every cell's value, fill, note and link,
    merges and data validations."""
    wb = openpyxl.load_workbook(path)
    out: dict = {"sheets": [(ws.title, ws.sheet_state) for ws in wb]}
    for ws in wb:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                note = c.comment
                cells[c.coordinate] = (
                    c.value, tostring(copy(c.fill).to_tree()),
                    (note.text, note.author) if note else None,
                    (c.hyperlink.location, c.hyperlink.target) if c.hyperlink else None,
                )
        out[ws.title] = {
            "cells": {k: v for k, v in cells.items() if v != (None, b"<fill><patternFill /></fill>", None, None)},
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "dv": sorted(str(dv.sqref) for dv in ws.data_validations.dataValidation),
        }
    return out


def fill_rgb(ws, ref: str) -> str | None:
    f = ws[ref].fill
    return f.fgColor.rgb[-6:] if f.fill_type == "solid" and f.fgColor.type == "rgb" else None


@pytest.fixture
def decorated(seed_xlsx: Path, tmp_path: Path) -> Path:
    """The seed with the user's own fills and notes, on cells xlperf will flag and on one it will not."""
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb[SHEET]
    ws["J39"].fill = PatternFill(fill_type="solid", fgColor=Color(theme=4, tint=0.6))  # XP401, theme colour
    ws["J39"].comment = Comment("请核实", "张三")
    ws["B34"].fill = PatternFill(fill_type="solid", start_color="00FF00", end_color="00FF00")  # task 6
    ws["C3"].fill = PatternFill(fill_type="solid", start_color="CCCCFF", end_color="CCCCFF")  # not flagged
    out = tmp_path / "decorated.xlsx"
    wb.save(out)
    return out


def test_mark_flags_cells_and_lists_issues(decorated: Path, tmp_path: Path) -> None:
    res = mark_file(decorated, tmp_path / "m1.xlsx")
    assert res.target == tmp_path / "m1.xlsx" and res.backup is None
    wb = openpyxl.load_workbook(res.target)
    ws = wb[SHEET]
    assert fill_rgb(ws, "J39") == "FFC7CE"  # error: red
    assert fill_rgb(ws, "G12") == "FFEB9C"  # XP203 warning: yellow
    assert fill_rgb(ws, "C3") == "CCCCFF"  # untouched
    note = ws["J39"].comment.text
    assert "XP401 错误" in note and "对比符号为空" in note and "请核实" in note
    assert "XP203 警告" in ws["G12"].comment.text
    assert wb[BOOK_SHEET].sheet_state == "hidden"
    rep = wb[REPORT_SHEET]
    rows = list(rep.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(res.report.issues)
    # internal links are locations, as Excel writes them (LibreOffice turns a "#..." target external)
    linked = {c.value: c.hyperlink for c in rep["D"][1:] if c.hyperlink}
    assert linked and all(link.location and not link.target for link in linked.values())
    assert linked[f"{SHEET}!J39"].location == f"'{SHEET}'!J39"
    assert any(r[2] == "XP401" and r[5] == "接待服务水平" for r in rows)
    # the marked workbook still validates the same
    assert validate(res.target).codes == validate(decorated).codes


def test_marking_twice_equals_marking_once_and_clearing_restores(decorated: Path, tmp_path: Path) -> None:
    m1 = mark_file(decorated, tmp_path / "m1.xlsx").target
    m2 = mark_file(m1, tmp_path / "m2.xlsx").target
    assert snapshot(m2) == snapshot(m1)
    cleared = clear_marks(m2, tmp_path / "c.xlsx")
    assert cleared.cleared > 0
    assert snapshot(cleared.target) == snapshot(decorated)
    ws = openpyxl.load_workbook(cleared.target)[SHEET]
    assert ws["J39"].fill.fgColor.theme == 4 and ws["J39"].comment.text == "请核实"
    assert ws["J39"].comment.author == "张三"
    assert fill_rgb(ws, "B34") == "00FF00"


def test_user_changes_after_marking_survive_clearing(decorated: Path, tmp_path: Path) -> None:
    m1 = mark_file(decorated, tmp_path / "m1.xlsx").target
    wb = openpyxl.load_workbook(m1)
    ws = wb[SHEET]
    ws["G12"].fill = PatternFill(fill_type="solid", start_color="123456", end_color="123456")
    ws["G12"].comment = Comment("已改", "李四")
    wb.save(m1)
    ws = openpyxl.load_workbook(clear_marks(m1, tmp_path / "c.xlsx").target)[SHEET]
    assert fill_rgb(ws, "G12") == "123456" and ws["G12"].comment.text == "已改"
    assert ws["J39"].comment.text == "请核实"  # xlperf's own marks are still undone


def test_in_place_takes_a_backup_and_remarking_in_place_is_stable(decorated: Path, tmp_path: Path) -> None:
    work = tmp_path / "work.xlsx"
    shutil.copy(decorated, work)
    before = work.read_bytes()
    r1 = mark_file(work, in_place=True)
    assert r1.target == work and r1.backup is not None and r1.backup.read_bytes() == before
    once = snapshot(work)
    r2 = mark_file(work, in_place=True)  # the notes' VML part must not make this refuse
    assert r2.backup is not None and r2.backup != r1.backup
    assert snapshot(work) == once


def test_in_place_refuses_lossy_workbooks(decorated: Path, tmp_path: Path, capsys) -> None:
    lossy = tmp_path / "with_image.xlsx"
    shutil.copy(decorated, lossy)
    with zipfile.ZipFile(lossy, "a") as zf:
        zf.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n")
    before = lossy.read_bytes()
    code = main(["validate", str(lossy), "--mark", "--in-place"])
    err = capsys.readouterr().err
    assert code == 2 and "拒绝原位改写" in err and "图片" in err
    assert lossy.read_bytes() == before
    assert not list(tmp_path.glob("with_image.bak-*"))
    # -o still works (with a warning on stderr)
    assert main(["validate", str(lossy), "--mark", "-o", str(tmp_path / "out.xlsx")]) == 1
    assert (tmp_path / "out.xlsx").exists()


def test_cli_mark_and_unmark(decorated: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "m.xlsx"
    assert main(["validate", str(decorated), "--mark", "-o", str(out)]) == 1
    text = capsys.readouterr().out
    assert f"写入 {out}" in text and "XP401 错误" in text
    assert main(["validate", str(out), "--unmark", "-o", str(tmp_path / "u.xlsx")]) == 0
    assert "已清除" in capsys.readouterr().out
    assert snapshot(tmp_path / "u.xlsx") == snapshot(decorated)
    default = main(["validate", str(decorated), "--mark"])
    assert default == 1 and (tmp_path / "decorated.xlperf.xlsx").exists()


def test_fix_lists_changes_and_leaves_no_fixable_issue(seed_xlsx: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "fixed.xlsx"
    code = main(["validate", str(seed_xlsx), "--fix", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 1  # XP303 and XP401 remain
    assert f"{SHEET}!G12: 「社会效益」 → 「社会效益指标」（XP203）" in text
    assert "「满意度指标」 → 「服务对象满意度指标」（XP203）" in text
    assert "「产出指标」 → 「成本指标」（XP204）" in text
    ws = openpyxl.load_workbook(out)[SHEET]
    assert ws["G12"].value == "社会效益指标" and ws["G37"].value == "经济成本指标"
    assert (ws["F48"].value, ws["G48"].value) == ("成本指标", "经济成本指标")
    after = validate(out)
    assert not after.fixable and not after.by_code("XP203") and not after.by_code("XP204")
    assert after.by_code("XP401") and after.by_code("XP303")
    assert {i.task for i in after.by_code("XP304")} == {6}
    again = fix_file(out, tmp_path / "again.xlsx")
    assert again.fixes == []


def test_fix_in_place_without_fixes_leaves_the_file(tmp_path: Path) -> None:
    from xlperf.io.readers import load_form
    from xlperf.io.template import build_workbook

    base = Path(__file__).parent / "rule_cases" / "_base.tsv"
    clean = tmp_path / "clean.xlsx"
    build_workbook(load_form(base)).save(clean)
    before = clean.read_bytes()
    res = fix_file(clean, in_place=True)
    assert res.fixes == [] and res.target is None and res.backup is None
    assert clean.read_bytes() == before


def test_fix_and_mark_together(decorated: Path, tmp_path: Path) -> None:
    res = fix_file(decorated, tmp_path / "fm.xlsx", mark=True)
    assert res.fixes and not res.report.fixable
    ws = openpyxl.load_workbook(res.target)[SHEET]
    assert ws["G12"].value == "社会效益指标" and ws["G12"].comment is None  # fixed, so not marked
    assert fill_rgb(ws, "J39") == "FFC7CE"


def test_plan_functions_are_pure_edit_lists(seed_txt: Path) -> None:
    """plan_marks / plan_clear work on plain data (a Grid from pasted text, no workbook at all)."""
    from xlperf.io.readers import read_text

    grid = read_text(seed_txt)
    report = validate(grid)
    edits = plan_marks(grid, report, previous=None, styles={(42, 9): ("00FF00", "mine", "me")})
    fills = {(e.row, e.col): e.color for e in edits if isinstance(e, SetFill)}
    assert fills[(42, 9)] == "FFC7CE"  # J43
    assert all(c in ("FFC7CE", "FFEB9C") for c in fills.values())
    notes = {(e.row, e.col): e.text for e in edits if isinstance(e, SetNote)}
    assert notes[(42, 9)].endswith("原批注：\nmine")
    tables = [e for e in edits if isinstance(e, WriteTable)]
    assert [t.sheet for t in tables] == [REPORT_SHEET, BOOK_SHEET] and tables[1].hidden
    book = tables[1].rows
    j43 = next(r for r in book if r[1] == "J43")
    assert j43[2:5] == ["00FF00", "mine", "me"]
    clear = plan_clear([tables[1].header] + book)
    restored = {(e.row, e.col): e.color for e in clear if isinstance(e, SetFill)}
    assert restored[(42, 9)] == "00FF00" and all(v is None for k, v in restored.items() if k != (42, 9))
    # re-marking from the bookkeeping rows keeps the original, not the mark, as "original"
    again = plan_marks(grid, report, previous=book, styles={(r, c): (col, None, None) for (r, c), col in fills.items()}
                       | {(42, 9): ("FFC7CE", notes[(42, 9)], "xlperf")})
    assert next(r for r in [e for e in again if isinstance(e, WriteTable)][1].rows if r[1] == "J43")[2:5] == [
        "00FF00", "mine", "me"]


def test_issue_inside_a_merged_block_marks_its_top_left_cell() -> None:
    from xlperf.core.grid import Grid, MergedRange
    from xlperf.core.issues import Issue, Report, Severity

    grid = Grid(sheet="s", values={(0, 0): "x"}, merges=[MergedRange(0, 0, 2, 1)])
    report = Report([Issue("XP101", Severity.ERROR, "m", sheet="s", cell="B2"),
                     Issue("XP203", Severity.WARNING, "w", sheet="s", cell="D4")])
    edits = plan_marks(grid, report)
    assert {(e.row, e.col): e.color for e in edits if isinstance(e, SetFill)} == {(0, 0): "FFC7CE", (3, 3): "FFEB9C"}
