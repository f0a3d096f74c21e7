"""Reader parity: every reader gives the same grid, the same Form and the same report for the same
workbook, and every way in (validate, validate --mark, consolidation, the ribbon) reports the same
issues.

The corpus: the seed (pasted text, the official .xlsx, the same re-saved by LibreOffice), every rule
case (pasted text, and the same cells written by XlsxWriter), and variants of the seed as Excel stores
what a clerk types: rates typed as ``95%`` (numbers with a percent format), dates, amounts stored as
text, and text left in the covered cells of merged blocks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from tests import xlwings_double as xd
from tests.conftest import SEED_TXT, lo_convert, needs_libreoffice
from tests.test_rules import CASES, form_text
from tests.wps_snapshot import sheet_snapshot
from xlperf import excel
from xlperf.cli import main
from xlperf.core.grid import Grid, a1
from xlperf.core.parse import parse_grid
from xlperf.features.validate import check_form
from xlperf.io.books import FastBook, FileBook, TextBook
from xlperf.io.readers import read_text
from xlperf.io.snapshot import Snapshot, SnapshotBook
from xlperf.workbook import form_sheet

VALUE_COL = 10  # 年度指标值 in the official layout and in the pasted seed


# -- writing a grid as Excel would store it ---------------------------------------------------------------


def write_grid(path: Path, grid: Grid, *, percent: bool = False, dates: dict[tuple[int, int], dt.date] | None = None,
               text: set[tuple[int, int]] = frozenset(), covered: dict[tuple[int, int], str] | None = None,
               sheet: str | None = None) -> Path:
    """``grid`` written cell by cell with XlsxWriter (a writer other than openpyxl).

    ``percent``: every value like ``95%`` becomes the number 0.95 with a ``0%`` format (what Excel
    stores when a clerk types 95%); ``dates``: date cells; ``text``: numbers stored as text; ``covered``:
    text left in covered cells of merged blocks. Formulas get their computed result cached, as Excel's do."""
    from xlperf.core.formula import cell_number

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet or grid.sheet)
    pct = wb.add_format({"num_format": "0%"})
    pct2 = wb.add_format({"num_format": "0.0%"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    for m in grid.merges:
        ws.merge_range(m.r0, m.c0, m.r1, m.c1, None)
    for (r, c), v in sorted(grid.values.items()):
        if (r, c) in grid.formulas:
            continue
        if percent and isinstance(v, str) and re.fullmatch(r"\d+(\.\d)?%", v):
            number = float(v[:-1]) / 100
            ws.write_number(r, c, number, pct2 if "." in v else pct)
        elif isinstance(v, str) or (r, c) in text:
            ws.write_string(r, c, str(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, c, v)
        else:
            ws.write(r, c, v)
    for (r, c), d in (dates or {}).items():
        ws.write_datetime(r, c, dt.datetime.combine(d, dt.time()), day)
    for (r, c), f in grid.formulas.items():
        value = cell_number(grid, r, c)
        ws.write_formula(r, c, f, None, float(value) if value is not None else "")
    for (r, c), v in (covered or {}).items():
        ws.write_string(r, c, v)
    wb.close()
    return path


def seed_grid(seed_xlsx: Path) -> Grid:
    with FileBook(seed_xlsx) as book:
        return form_sheet(book).grid


def variant(kind: str, seed_xlsx: Path, tmp_path: Path) -> Path:
    grid = seed_grid(seed_xlsx)
    form = parse_grid(grid)
    out = tmp_path / f"seed-{kind}.xlsx"
    if kind == "percent":
        assert sum(1 for (r, c), v in grid.values.items() if c == VALUE_COL and isinstance(v, str)
                   and re.fullmatch(r"\d+(\.\d)?%", v)) >= 3
        return write_grid(out, grid, percent=True)
    if kind == "dates":
        ind = next(i for t in form.tasks for i in t.indicators if i.level2 and "时效" in i.level2)
        return write_grid(out, grid, dates={(ind.row, VALUE_COL): dt.date(2026, 12, 31)})
    if kind == "text-numbers":
        cells = {(t.row, 4) for t in form.tasks if t.amount is not None}
        cells |= {(r, c) for (r, c), v in grid.values.items() if c == VALUE_COL and isinstance(v, (int, float))}
        assert len(cells) >= 10
        return write_grid(out, grid, text=cells)
    if kind == "merged-blanks":
        covered = {}
        for m in grid.merges:
            if m.r1 > m.r0 and m.c0 in (1, 2):  # 年度工作任务 / 主要实施内容 merged down over a task
                covered[(m.r0 + 1, m.c0)] = "（旧内容，被合并单元格遮住）"
        assert len(covered) >= 5
        return write_grid(out, grid, covered=covered)
    raise AssertionError(kind)


# -- reading with every reader --------------------------------------------------------------------------


def grids_of(path: Path, tmp_path: Path) -> dict[str, Grid]:
    out: dict[str, Grid] = {}
    with FastBook(path) as book:
        out["fast"] = form_sheet(book).grid
    if path.suffix == ".xlsx":
        with FileBook(path) as book:
            out["openpyxl"] = form_sheet(book).grid
        live = excel.LiveBook(xd.FakeBook(path))
        out["live"] = form_sheet(live).grid
        snap = SnapshotBook(Snapshot.parse(sheet_snapshot(path, form_sheet(live).name)))
        out["wps snapshot"] = form_sheet(snap).grid
    return out


def comparable(grid: Grid) -> dict[str, Any]:
    """What must be equal: values (a formula cell's value is its cached result, which not every reader
    has: left out), formulas, merges, the sheet name."""
    return {
        "sheet": grid.sheet,
        "values": {a1(r, c): v for (r, c), v in sorted(grid.values.items()) if (r, c) not in grid.formulas},
        "formulas": {a1(r, c): f.lstrip("=") for (r, c), f in sorted(grid.formulas.items())},
        "merges": sorted(m.ref for m in grid.merges),
    }


def form_json(grid: Grid) -> dict[str, Any]:
    data = parse_grid(grid).to_json_dict()
    data.pop("source", None)
    return data


def report_json(grid: Grid) -> list[dict[str, Any]]:
    return check_form(parse_grid(grid)).to_dict()["issues"]


def assert_same(grids: dict[str, Grid]) -> None:
    names = list(grids)
    base = names[0]
    for other in names[1:]:
        assert comparable(grids[other]) == comparable(grids[base]), f"{other} reads a different grid than {base}"
        assert form_json(grids[other]) == form_json(grids[base]), f"{other} parses a different form than {base}"
        assert report_json(grids[other]) == report_json(grids[base]), f"{other} gives another report than {base}"


# -- the tests ------------------------------------------------------------------------------------------


def test_seed_readers_agree(seed_xlsx: Path, tmp_path: Path) -> None:
    assert_same(grids_of(seed_xlsx, tmp_path))


@needs_libreoffice
def test_seed_resaved_by_libreoffice_readers_agree(seed_xlsx: Path, tmp_path: Path) -> None:
    resaved = lo_convert(seed_xlsx, tmp_path / "lo")
    grids = grids_of(resaved, tmp_path)
    assert_same(grids)
    # and LibreOffice's file reads as the file it was made from
    assert form_json(grids["fast"]) == form_json(grids_of(seed_xlsx, tmp_path)["fast"])


@pytest.mark.parametrize("kind", ["percent", "dates", "text-numbers", "merged-blanks"])
def test_variant_readers_agree(kind: str, seed_xlsx: Path, tmp_path: Path) -> None:
    path = variant(kind, seed_xlsx, tmp_path)
    grids = grids_of(path, tmp_path)
    assert_same(grids)
    fast = grids["fast"]
    if kind == "percent":  # a rate typed as 95% reads as the clerk sees it, whatever the reader
        assert not [v for (r, c), v in fast.values.items() if c == VALUE_COL and isinstance(v, float) and v < 1]
    if kind == "dates":
        assert dt.date(2026, 12, 31) in fast.values.values()
    if kind in ("percent", "text-numbers", "merged-blanks"):  # the clerk sees the seed: the same findings
        assert report_json(fast) == report_json(seed_grid(seed_xlsx))


def test_pasted_text_reads_as_the_workbook(seed_xlsx: Path, tmp_path: Path) -> None:
    """The seed pasted out of Excel and the seed's workbook hold the same cells: numbers are numbers
    in both."""
    text = read_text(SEED_TXT)
    path = write_grid(tmp_path / "pasted.xlsx", text)
    grids = {"text": text, **grids_of(path, tmp_path)}
    assert_same(grids)


RULE_CASES = [(code, kind, case) for code, kind, case in CASES]


@pytest.mark.parametrize(("code", "kind", "case"), RULE_CASES,
                         ids=[f"{c}-{k}-{x['name']}" for c, k, x in RULE_CASES])
def test_rule_case_readers_agree(code: str, kind: str, case: dict, tmp_path: Path) -> None:
    text = read_text(form_text(case))
    path = write_grid(tmp_path / "case.xlsx", text)
    with TextBook(form_text(case)) as book:
        grids = {"text": book.grid(book.sheets()[0].name)}
    grids.update(grids_of(path, tmp_path))
    assert_same(grids)


# -- every way in reports the same issues ------------------------------------------------------------------


def _issues(entries: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    return sorted((i["code"], i.get("cell"), i["message"]) for i in entries)


def ways_in(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, list[tuple]]:
    import xlperf

    out: dict[str, list[tuple]] = {}
    main(["validate", str(path), "--format", "json"])
    out["validate"] = _issues(json.loads(capsys.readouterr().out)["files"][0]["issues"])
    main(["validate", "--mark", str(path), "-o", str(tmp_path / "marked.xlsx"), "--format", "json"])
    out["validate --mark"] = _issues(json.loads(capsys.readouterr().out)["files"][0]["issues"])
    with xlperf.consolidate([path], executor="serial") as cons:
        rows = cons.issues
        out["consolidate"] = sorted(zip(rows["代码"], rows["单元格"], rows["说明"], strict=True))
    book = xd.FakeBook(path)
    excel.validate_button(book=book)
    ws = book.wb["校验结果"]
    head = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(head)}
    ribbon = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[col["代码"]]:
            where = row[col["位置"]] or None
            ribbon.append((row[col["代码"]], where.split("!")[-1] if where else None, row[col["说明"]]))
    out["ribbon"] = sorted(ribbon)
    from xlperf import service

    wps = service.validate(sheet_snapshot(path, form_sheet(excel.LiveBook(xd.FakeBook(path))).name))
    out["wps"] = sorted((i["code"], i["cell"], i["message"]) for i in wps["issues"])
    return out


@pytest.mark.parametrize("kind", ["seed", "percent"])
def test_every_way_in_reports_the_same(kind: str, seed_xlsx: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a rate typed as 95% was 0.95 to ``validate`` (XP405「没有计量单位」 on three cells) and
    95% to ``validate --mark``, the ribbon and consolidation."""
    path = seed_xlsx if kind == "seed" else variant(kind, seed_xlsx, tmp_path)
    found = ways_in(path, tmp_path, capsys)
    assert found["validate"], "the seed has problems"
    for way, issues in found.items():
        assert issues == found["validate"], f"{way} reports other issues than validate"
    assert not [i for i in found["validate"] if i[0] == "XP405" and "0.9" in i[2]]


def test_percent_format_spellings() -> None:
    from xlperf.core.cells import is_percent_format, normalize_value

    assert all(is_percent_format(f) for f in ("0%", "0.00%", "#,##0.0%", "[Red]0%"))
    assert not any(is_percent_format(f) for f in ("0", '0"%"', "0\\%", "General", None, ""))
    assert normalize_value(0.95, "0%") == "95%" and normalize_value(1.055, "0.0%") == "105.5%"
    assert normalize_value("1359.1") == 1359.1 and normalize_value("-3") == -3 and normalize_value(10.0) == 10
    # text that is not exactly a number stays as typed
    for keep in ("001", "１００", "1,359.1", "1E+99999", "12345678901234567", "95%", " 5"):
        assert normalize_value(keep) == keep
    assert normalize_value("   ") is None
    assert normalize_value(dt.datetime(2026, 6, 30)) == dt.date(2026, 6, 30)
    assert normalize_value(dt.datetime(2026, 6, 30, 9, 30)) == dt.datetime(2026, 6, 30, 9, 30)


def test_openpyxl_reader_sees_what_fast_reader_sees_on_a_typed_workbook(tmp_path: Path) -> None:
    """A workbook as openpyxl writes it (inline strings, whole numbers as floats, a datetime)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"], ws["A4"] = 0.95, 10.0, dt.datetime(2026, 6, 30), "  "
    ws["A1"].number_format = "0%"
    ws["B1"] = "合并"
    ws["B2"] = "遮住的旧内容"
    ws.merge_cells("B1:C1")
    p = tmp_path / "t.xlsx"
    wb.save(p)
    with FastBook(p) as fast, FileBook(p) as op:
        a, b = fast.grid(fast.sheets()[0].name), op.grid(op.sheets()[0].name)
    assert a.values == b.values == {(0, 0): "95%", (1, 0): 10, (2, 0): dt.date(2026, 6, 30), (0, 1): "合并",
                                    (1, 1): "遮住的旧内容"}


EXAMPLES = sorted((Path(__file__).parent / "fixtures" / "examples").glob("*.txt")) + sorted(
    (Path(__file__).parent / "fixtures" / "family").glob("*.txt"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_other_layouts_read_alike(example: Path, tmp_path: Path) -> None:
    """The published forms of other provinces: every reader reaches the same verdict (the same form,
    or the same reason it is not one)."""
    from xlperf.errors import NotAFormError
    from xlperf.io.books import open_book
    from xlperf.workbook import form_sheet as choose

    text = read_text(example)
    path = write_grid(tmp_path / "example.xlsx", text)
    verdicts = {}
    for name, book in (("text", open_book(example)), ("fast", FastBook(path)), ("openpyxl", FileBook(path)),
                       ("live", excel.LiveBook(xd.FakeBook(path))),
                       ("wps snapshot", SnapshotBook(Snapshot.parse(sheet_snapshot(path))))):
        try:
            fs = choose(book)
            verdicts[name] = (form_json(fs.grid), report_json(fs.grid))
        except NotAFormError as exc:
            verdicts[name] = exc.message
        finally:
            book.close()
    assert len({json.dumps(v, ensure_ascii=False, sort_keys=True, default=str) for v in verdicts.values()}) == 1, verdicts
