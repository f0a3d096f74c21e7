"""Hostile inputs: small files that explode (bounded formula evaluation, absurd numbers, sheet lists
that repeat a part)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.hostile.helpers import one_line_error, run
from tests.synth import make_form, write_workbook

# -- bounded work -----------------------------------------------------------------------------------------


def test_formula_chain_that_doubles_is_linear(tmp_path: Path) -> None:
    """项目支出 refers through a chain of cells each referring twice to the next (2⁶⁰ without
    memoisation): parsed at once, the total evaluated or left to the cached value."""
    from xlperf.core.formula import cell_number
    from xlperf.core.grid import Grid

    n = 60
    grid = Grid(formulas={(i, 0): f"=A{i + 2}+A{i + 2}" for i in range(n)}, values={(n, 0): 1})
    assert cell_number(grid, 0, 0) == Decimal(2**n)
    deep = Grid(formulas={(i, 0): f"=A{i + 2}" for i in range(5000)}, values={(5000, 0): 7, (0, 0): 7})
    assert cell_number(deep, 0, 0) == 7  # too deep to evaluate: the cached value

    form_path = tmp_path / "chain.xlsx"
    write_workbook(form_path, make_form(1, tasks=2, indicators=3))
    wb = openpyxl.load_workbook(form_path)
    ws = wb.active
    ws["C6"] = "=Z1+Z1"
    for i in range(1, n):
        ws[f"Z{i}"] = f"=Z{i + 1}+Z{i + 1}"
    ws[f"Z{n}"] = 1
    wb.save(form_path)
    assert form_path.stat().st_size < 30_000
    r = run("parse", str(form_path), "--json")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("text", ["1E+99999999", "9E+5000", "9" * 5000, "1e308"])
def test_absurd_numbers_are_not_numbers(tmp_path: Path, text: str) -> None:
    """Number-like text with a huge exponent or thousands of digits in a count or an amount cell: not a
    number (no hang, no 5,001-digit figure in the summary, which openpyxl could no longer read)."""
    from xlperf.core.text import split_value, to_decimal, to_int

    assert to_decimal(text) is None and to_int(text) is None
    assert split_value("≥" + text + "人")[1] is None or split_value("≥" + text + "人")[1] < 10**16
    p = tmp_path / "in" / "absurd.xlsx"
    p.parent.mkdir()
    write_workbook(p, make_form(2, tasks=2, indicators=3), text_cells={"C4": text, "E10": text})
    out = tmp_path / "sum.xlsx"
    r = run("consolidate", str(p.parent), "-o", str(out), "-q")
    assert r.returncode in (0, 1), r.stderr
    wb = openpyxl.load_workbook(out, read_only=True)  # still readable
    cells = [c for row in wb["部门汇总"].iter_rows(values_only=True) for c in row]
    assert not any(isinstance(c, (int, float)) and abs(c) > 1e16 for c in cells)



@pytest.mark.parametrize("kind", ["two entries, one part", "1,001 entries"])
def test_sheet_lists_that_repeat_a_part_are_refused(seed_xlsx: Path, tmp_path: Path, kind: str) -> None:
    """Thousands of sheet entries pointing at one part made every reader read it again and again."""
    import zipfile

    def edit(xml: str) -> str:
        if kind == "two entries, one part":
            return xml.replace("</sheets>", '<sheet name="别名" sheetId="90" r:id="rId1"/></sheets>')
        return xml.replace("</sheets>", "".join(f'<sheet name="s{i}" sheetId="{i + 100}" r:id="rIdX{i}"/>'
                                                for i in range(1001)) + "</sheets>")

    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(seed_xlsx) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data.decode()).encode() if info.filename == "xl/workbook.xml" else data)
    for cmd in (["validate", str(path)], ["validate", "--mark", str(path), "-o", str(tmp_path / "o.xlsx")]):
        text = one_line_error(run(*cmd))
        assert "拒绝处理" in text
