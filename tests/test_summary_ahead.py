"""The summary's detail rows encoded as they arrive (``consolidate(excel=True)``, the default; numbered and
deflated too unless ``keep-last``) give the same workbook, cell for cell and format for format, as rows
written at the end (``excel=False``):
with duplicates left out or replaced, a project form, an unreadable file, text that looks like a
formula, and details continued on a second sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.synth import generate, make_form, write_workbook

ROOT = Path(__file__).resolve().parent


def _cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cells: (coordinate, value, type, number format, bold, fill, wrapped, vertical
    alignment), with openpyxl, and its rows' set heights."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    try:
        out = {ws.title: [(c.coordinate, c.value, c.data_type, c.number_format, c.font.b, c.fill.fgColor.rgb,
                           c.alignment.wrap_text, c.alignment.vertical)
                          for row in ws.iter_rows() for c in row if c.value is not None or c.has_style]
               for ws in wb.worksheets}
        for ws in wb.worksheets:
            out[ws.title].append(("heights", sorted((r, d.height) for r, d in ws.row_dimensions.items() if d.customHeight)))
        return out
    finally:
        wb.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ahead")
    generate(root, 6, seed=23, tasks=4, indicators=3)
    first = sorted(root.rglob("*.xlsx"))[0]
    shutil.copy(first, root / "zz_same_department_again.xlsx")  # XC001 (kept or replaced by --on-duplicate)
    form = make_form(7, seed=23, tasks=3)
    form.tasks[0].name = '=HYPERLINK("http://example.com","x")'  # text, never a formula, on both paths
    write_workbook(root / "formula_text.xlsx", form)
    (root / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")  # 跳过 in 文件清单
    from xlperf.io.readers import read_text
    from xlperf.io.template import grid_workbook

    ex02 = ROOT / "fixtures" / "examples" / "ex02_hubei_ezhou_2022_project_target_office_building.txt"
    grid_workbook(read_text(ex02.read_text(encoding="utf-8")), "Sheet1").save(root / "project.xlsx")  # 项目汇总
    return root


@pytest.mark.parametrize("on_duplicate", ["error", "keep-last", "keep-both"])
def test_rows_encoded_ahead_write_the_same_workbook(inputs: Path, tmp_path: Path, on_duplicate: str) -> None:
    import xlperf

    out = {}
    for excel in (True, False):
        with xlperf.consolidate(inputs, jobs=1, executor="serial", on_duplicate=on_duplicate, excel=excel) as cons:
            # numbered and deflated as they arrive, unless a later form can replace an earlier one
            ahead = cons.encoded_rows("指标明细") if on_duplicate == "keep-last" else cons.deflated_rows("指标明细", 1)
            assert (ahead is not None) is excel
            out[excel] = _cells(cons.to_excel(tmp_path / f"{excel}.xlsx"))
    assert "项目汇总" in out[True] and any(v == "跳过" for _, v, *_ in out[True]["文件清单"])
    assert any(h > 15 for r, h in out[True]["校验问题"][-1][1] if r > 1)  # long 说明 rows are taller
    assert any(v == '=HYPERLINK("http://example.com","x")' and t == "s" for _, v, t, *_ in out[True]["任务明细"])
    assert out[True] == out[False]


def test_rows_encoded_ahead_continue_beyond_the_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf
    import xlperf.io.fastxlsx as fx

    monkeypatch.setattr(fx, "MAX_ROWS", 60)  # Excel's 1,048,576, scaled down
    generate(tmp_path / "in", 2, seed=16, tasks=10, indicators=3)
    out = {}
    for excel in (True, False):
        with xlperf.consolidate(tmp_path / "in", jobs=1, excel=excel) as cons:
            out[excel] = _cells(cons.to_excel(tmp_path / f"{excel}.xlsx"))
    assert "指标明细2" in out[True]
    assert out[True] == out[False]


def test_a_second_summary_from_the_same_result_is_the_same(inputs: Path, tmp_path: Path) -> None:
    """The encoded rows refer to the result's string table; writing twice must not spoil it."""
    import xlperf

    with xlperf.consolidate(inputs, jobs=1, executor="serial") as cons:
        a = _cells(cons.to_excel(tmp_path / "a.xlsx"))
        b = _cells(cons.to_excel(tmp_path / "b.xlsx"))
    assert a == b
