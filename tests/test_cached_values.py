"""Every formula xlperf writes carries its result, so readers that do not recalculate (calamine, pandas,
previews) see the numbers; LibreOffice, made to recalculate everything on load, agrees."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import xlperf
from conftest import SEED_TXT, needs_libreoffice, recalc
from xlperf.cli import main
from xlperf.io.cached import number_text


def _calamine(path: Path, sheet: int = 0) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(sheet).to_python()


def _formula_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: {(c.row - 1, c.column - 1): c.value for row in ws.iter_rows() for c in row if c.data_type == "f"}
        for ws in wb.worksheets
    }


def test_number_text() -> None:
    assert number_text(Decimal("1359.10")) == "1359.1"
    assert number_text(Decimal("5152.21")) == "5152.21"
    assert number_text(Decimal("0E-2")) == "0"
    assert number_text(Decimal("1E+3")) == "1000"
    assert number_text(Decimal("-2.50")) == "-2.5"


def test_imported_seed_has_the_project_total(tmp_path: Path) -> None:
    out = tmp_path / "seed.xlsx"
    assert main(["import", str(SEED_TXT), "-o", str(out)]) == 0
    rows = _calamine(out)
    assert rows[5][1] == "项目支出" and rows[5][2] == pytest.approx(1359.1)
    import pandas as pd

    frame = pd.read_excel(out, header=None, engine="calamine")
    assert frame.iloc[5, 2] == pytest.approx(1359.1)


def test_autosum_output_has_results(tmp_path: Path, seed_xlsx: Path) -> None:
    src = tmp_path / "plain.xlsx"
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.active["C6"] = 1
    wb.save(src)
    out = tmp_path / "o.xlsx"
    res = xlperf.autosum(src, out=out)
    assert res.written
    formulas = _formula_cells(out)
    sheet = openpyxl.load_workbook(out).sheetnames.index(next(s for s in formulas if formulas[s]))
    rows = _calamine(out, sheet)
    cells = formulas[openpyxl.load_workbook(out).sheetnames[sheet]]
    assert cells, "autosum wrote no formula"
    for (r, c), formula in cells.items():
        assert rows[r][c] != "", f"{formula} at row {r + 1} has no cached value"
    assert rows[5][2] == pytest.approx(1359.1)


def test_unevaluable_formula_keeps_an_empty_cache(tmp_path: Path, seed_xlsx: Path) -> None:
    src = tmp_path / "other.xlsx"
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.active["M1"] = "=VLOOKUP(1,A1:B2,2,FALSE)"
    wb.active["M2"] = "=E10*2"
    wb.save(src)
    out = tmp_path / "o.xlsx"
    assert main(["validate", str(src), "--mark", "-o", str(out)]) in (0, 1)
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="M2"' in xml and "<f>E10*2</f><v>68</v>" in xml
    assert "<f>VLOOKUP(1,A1:B2,2,FALSE)</f><v" in xml and "<v>" not in xml.split("VLOOKUP")[1].split("</c>")[0]


@needs_libreoffice
def test_libreoffice_recalculation_agrees(tmp_path: Path) -> None:
    out = tmp_path / "seed.xlsx"
    assert main(["import", str(SEED_TXT), "-o", str(out)]) == 0
    # a copy whose cached result is wrong: the recalculating conversion must not echo it
    wrong = tmp_path / "wrong.xlsx"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(wrong, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>1359.1</v>" in data
                data = data.replace(b"<v>1359.1</v>", b"<v>999</v>")
            zout.writestr(info, data)
    ours, theirs, fixed = _calamine(out), _calamine(recalc(out, tmp_path)), _calamine(recalc(wrong, tmp_path))
    assert fixed[5][2] == pytest.approx(1359.1), "LibreOffice did not recalculate"
    for (r, c) in _formula_cells(out)[openpyxl.load_workbook(out).sheetnames[0]]:
        assert ours[r][c] == pytest.approx(theirs[r][c])
