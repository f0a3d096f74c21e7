"""Auto-sum: live formulas for 项目支出 and the totals, income checked, idempotent, rest untouched."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import xlperf
from conftest import needs_libreoffice, recalc
from xlperf.cli import main
from xlperf.core.autosum import analyse_autosum, plan_autosum, sum_formula, summed_cells
from xlperf.core.edits import SetFormula
from xlperf.core.grid import Grid
from xlperf.core.parse import parse_grid
from xlperf.io.readers import grid_from_worksheet, read_grids, read_text
from xlperf.io.rows import insert_rows

# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=SUM(E10:E12)", {(9, 4), (10, 4), (11, 4)}),
        ("=C5+C6", {(4, 2), (5, 2)}),
        ("= sum( $C$5 , C6 )", {(4, 2), (5, 2)}),
        ("=SUM(E10,E13)+E16", {(9, 4), (12, 4), (15, 4)}),
        ("='表'!C5+C6", {(4, 2), (5, 2)}),
        ("='其他'!C5+C6", None),
        ("=C5-C6", None),
        ("=SUM(C5:C6)*2", None),
        ("=ROUND(C5,2)", None),
        ("1359.1", None),
        (None, None),
    ],
)
def test_summed_cells(formula, expected):
    assert summed_cells(formula, "表") == expected


def test_sum_formula_range_or_cells():
    g = Grid(values={(9, 4): 34, (12, 4): 314, (15, 4): 25})
    assert sum_formula(g, 4, [9, 12, 15], 9, 17) == "=SUM(E10:E18)"
    g.values[(10, 4)] = 5  # something else in the column: list the cells
    assert sum_formula(g, 4, [9, 12, 15], 9, 17) == "=SUM(E10,E13,E16)"
    g2 = Grid(values={(r, 4): 1 for r in range(9, 14)} | {(20, 4): 9, (21, 4): 1, (15, 4): 2})
    assert sum_formula(g2, 4, [9, 10, 11, 12, 13, 20], 9, 20) == "=SUM(E10:E14,E21)"


def test_plan_on_pasted_text_grid(seed_txt):
    """The pasted seed (numbers, no formulas): 项目支出 becomes a SUM over the amount column."""
    grid = read_text(seed_txt)
    form = parse_grid(grid)
    plan = analyse_autosum(grid, form)
    assert plan.ok, plan.messages
    [edit] = plan_autosum(grid, form)
    assert isinstance(edit, SetFormula)
    assert edit.formula.startswith("=SUM(E")
    assert plan.changes[0].value == Decimal("1359.1")
    assert plan.changes[0].old == 1359.1  # pasted numbers read as the numbers an .xlsx holds
    cells = summed_cells(edit.formula, grid.sheet)
    assert {(t.row, 4) for t in form.tasks} <= cells


# ---------------------------------------------------------------- files


def _cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out[(ws.title, c.coordinate)] = c.value
        out[(ws.title, "merges")] = sorted(str(m) for m in ws.merged_cells.ranges)
    return out


@pytest.fixture
def pasted_seed(seed_xlsx: Path) -> Path:
    """The imported seed with 项目支出 typed as a number, as the clerk's original had it."""
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.active["C6"] = 1359.1
    out = seed_xlsx.with_name("pasted.xlsx")
    wb.save(out)
    return out


@needs_libreoffice
def test_seed_autosum_formula_recalculates_and_is_idempotent(pasted_seed, tmp_path):
    out1 = tmp_path / "a1.xlsx"
    res = xlperf.autosum(pasted_seed, out=out1)
    assert res.ok and res.written and res.output == out1
    assert [(c.cell, c.old, c.new) for c in res.changes] == [("C6", 1359.1, "=SUM(E10:E52)")]
    assert openpyxl.load_workbook(out1).active["C6"].value == "=SUM(E10:E52)"
    # the rest of the workbook is untouched
    before, after = _cells(pasted_seed), _cells(out1)
    diff = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert diff == {("绩效目标表", "C6")}
    # LibreOffice recalculates the live formula to the seed's total
    calc = read_grids(recalc(out1, tmp_path))[0]
    assert calc.get(5, 2) == pytest.approx(1359.1)
    # twice: nothing more
    out2 = tmp_path / "a2.xlsx"
    res2 = xlperf.autosum(out1, out=out2)
    assert res2.changes == [] and res2.ok
    assert _cells(out2) == _cells(out1)


def test_imported_seed_already_has_the_formula(seed_xlsx, tmp_path):
    res = xlperf.autosum(seed_xlsx, out=tmp_path / "o.xlsx")
    assert res.changes == [] and res.ok


def test_wrong_formula_is_replaced_and_user_equivalent_formula_kept(seed_xlsx, tmp_path):
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.active["C6"] = "=SUM(E10:E40)"  # misses tasks 8-10
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    res = xlperf.autosum(bad, out=tmp_path / "fixed.xlsx")
    assert [(c.old, c.new) for c in res.changes] == [("=SUM(E10:E40)", "=SUM(E10:E52)")]
    wb.active["C6"] = "=SUM(E10,E13,E18,E22,E28,E34,E37,E42,E47,E50)"
    ok = tmp_path / "ok.xlsx"
    wb.save(ok)
    assert xlperf.autosum(ok, out=tmp_path / "ok2.xlsx").changes == []
    wb.active["C6"] = "=SUM(E10:E60)"  # wider, but only empty cells beyond: equivalent
    wb.save(ok)
    assert xlperf.autosum(ok, out=tmp_path / "ok3.xlsx").changes == []


def test_text_amount_is_reported(seed_xlsx, tmp_path, capsys):
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.active["E13"] = "314万元"
    src = tmp_path / "text.xlsx"
    wb.save(src)
    res = xlperf.autosum(src, out=tmp_path / "o.xlsx")
    assert not res.ok
    [m] = [m for m in res.messages if m.code == "AS05"]
    assert m.cell == "E13" and "文本" in m.text and "314" in m.text
    assert main(["autosum", str(src), "-o", str(tmp_path / "o2.xlsx")]) == 1


def _with_totals(seed_xlsx: Path, fiscal: float = 5152.21) -> Path:
    """The seed with a 部门预算支出合计 / 收入合计 row under the budget block (typed numbers)."""
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb.active
    insert_rows(wb, ws, 6, 1, style_from=5)
    ws["B7"], ws["C7"] = "部门预算支出合计", 5152.21
    ws["F7"], ws["G7"] = "收入合计", 5152.21
    ws["G5"] = fiscal
    ws["G6"] = 0
    out = seed_xlsx.with_name(f"totals-{fiscal}.xlsx")
    wb.save(out)
    return out


def test_totals_become_formulas(seed_xlsx, tmp_path):
    src = _with_totals(seed_xlsx)
    assert openpyxl.load_workbook(src).active["C6"].value == "=SUM(E11:E53)"  # shifted by the row insert
    res = xlperf.autosum(src, out=tmp_path / "o.xlsx")
    assert res.ok, res.messages
    assert {(c.label, c.cell, c.new) for c in res.changes} == {
        ("部门预算支出合计", "C7", "=C5+C6"),
        ("收入合计", "G7", "=G5+G6"),
    }
    assert {c.label: c.value for c in res.changes} == {"部门预算支出合计": Decimal("5152.21"), "收入合计": Decimal("5152.21")}
    assert xlperf.autosum(tmp_path / "o.xlsx", out=tmp_path / "o2.xlsx").changes == []


@needs_libreoffice
def test_unbalanced_income_is_checked_then_balanced(seed_xlsx, tmp_path, capsys):
    src = _with_totals(seed_xlsx, fiscal=5000)
    before = _cells(src)
    res = xlperf.autosum(src, out=tmp_path / "checked.xlsx")
    [m] = [m for m in res.messages if m.code == "AS08"]
    assert m.level == "error" and "5152.21" in m.text and m.cell == "G5"
    assert "财政拨款" not in {c.label for c in res.changes}  # checked, not overwritten
    assert openpyxl.load_workbook(tmp_path / "checked.xlsx").active["G5"].value == 5000
    assert main(["autosum", str(src), "-o", str(tmp_path / "c2.xlsx")]) == 1
    # --balance: 财政拨款 = 支出合计 − 其他资金, as a formula
    code = main(["autosum", str(src), "-o", str(tmp_path / "bal.xlsx"), "--balance"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "财政拨款 G5: 5000 → =C7-G6" in out
    ws = openpyxl.load_workbook(tmp_path / "bal.xlsx").active
    assert (ws["C7"].value, ws["G5"].value, ws["G7"].value) == ("=C5+C6", "=C7-G6", "=G5+G6")
    assert _cells(src) == before  # the input is never modified
    calc = read_grids(recalc(tmp_path / "bal.xlsx", tmp_path))[0]
    assert [calc.get(r, c) for r, c in ((5, 2), (6, 2), (4, 6), (6, 6))] == pytest.approx([1359.1, 5152.21, 5152.21, 5152.21])
    again = xlperf.autosum(tmp_path / "bal.xlsx", out=tmp_path / "bal2.xlsx", balance=True)
    assert again.changes == [] and again.ok


def test_in_place_backs_up_and_second_run_leaves_file_alone(pasted_seed):
    res = xlperf.autosum(pasted_seed, in_place=True)
    assert res.written and res.backup is not None and res.backup.exists()
    assert openpyxl.load_workbook(pasted_seed).active["C6"].value == "=SUM(E10:E52)"
    assert openpyxl.load_workbook(res.backup).active["C6"].value == 1359.1
    mtime = pasted_seed.stat().st_mtime_ns
    res2 = xlperf.autosum(pasted_seed, in_place=True)
    assert not res2.written and res2.backup is None and pasted_seed.stat().st_mtime_ns == mtime


def test_cli_prints_cell_old_new_and_default_output(pasted_seed, capsys):
    assert main(["autosum", str(pasted_seed)]) == 0
    out = capsys.readouterr().out
    assert "项目支出 C6: 1359.1 → =SUM(E10:E52)（= 1359.1）" in out
    target = pasted_seed.with_name("pasted.xlperf.xlsx")
    assert target.exists() and str(target) in out


def test_dry_run_writes_nothing(pasted_seed, capsys):
    assert main(["autosum", str(pasted_seed), "--dry-run"]) == 0
    assert "将改动 1 个单元格" in capsys.readouterr().out
    assert not pasted_seed.with_name("pasted.xlperf.xlsx").exists()


def test_could_not_run(tmp_path, seed_txt, capsys):
    assert main(["autosum", str(seed_txt)]) == 2  # pasted text cannot be edited in place
    assert "xlperf import" in capsys.readouterr().err
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    p = tmp_path / "x.xlsx"
    wb.save(p)
    assert main(["autosum", str(p)]) == 2
    assert "不是绩效目标表" in capsys.readouterr().err
    assert main(["autosum", str(tmp_path / "missing.xlsx")]) == 2


def test_grid_from_saved_output_parses_same_budget(pasted_seed, tmp_path):
    xlperf.autosum(pasted_seed, out=tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    form = parse_grid(grid_from_worksheet(ws))
    assert form.budget.project == Decimal("1359.1")
    assert form.budget.formulas["project"] == "=SUM(E10:E52)"
