"""The faster read path (issue 16) gives what the plain one gave.

* :func:`xlperf.core.cells.normalize_rows` (one pass over a reader's dense rows) equals
  :func:`~xlperf.core.cells.normalize_cells` of the mapping of the filled cells: the same cells, values
  and order, on random rows, formats and merged blocks (small, large, overlapping);
* the layout finders (:mod:`xlperf.core.layout`) agree with a plain walk over every cell, on every
  fixture and on random grids;
* :func:`xlperf.io.safety.check_zip` gives the same counts and kept parts for a member it has seen
  before (the member memo), and a member that fails a check is refused every time.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlperf.core.cells import normalize_cells, normalize_rows
from xlperf.core.grid import Grid, MergedRange
from xlperf.core.text import clean, label_key
from xlperf.errors import UnsafeFileError
from xlperf.io import safety

FIXTURES = Path(__file__).parent / "fixtures"
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ------------------------------------------------------------------------------------- normalize_rows

CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from([" ", "\t", "　", "\n", "-", "-0", "0", "00", "001", "1.5", "-3", "1.", ".5", "1E+3",
                     "１００", "95%", "一级指标", "年度指标值", "＊部门名称：", "12345678901234567", "-1.25",
                     "0.000000000000001", "/", ".", ":", "9" * 33]),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-2**60, max_value=2**60),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
)


@st.composite
def sheets(draw):
    nrows = draw(st.integers(0, 9))
    width = draw(st.integers(0, 7))
    rows = [[draw(CELLS) for _ in range(draw(st.integers(0, width)))] for _ in range(nrows)]
    merges = []
    for _ in range(draw(st.integers(0, 5))):
        r0, c0 = draw(st.integers(0, 10)), draw(st.integers(0, 8))
        r1, c1 = r0 + draw(st.integers(0, 4)), c0 + draw(st.integers(0, 4))
        merges.append(MergedRange(r0, c0, r1, c1))
    if draw(st.booleans()):  # a block beyond 64 cells (not remembered) or beyond 4,096 (the mapping's way)
        r0, c0 = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        merges.append(MergedRange(r0, c0, r0 + draw(st.sampled_from([9, 70, 5000])), c0 + 1))
    formats = {(r, c): "0%" for r in range(nrows) for c in range(width) if draw(st.integers(0, 5)) == 0}
    return rows, formats, merges


def _same(a: dict, b: dict) -> bool:
    if list(a) != list(b):
        return False
    for k, v in a.items():
        w = b[k]
        if type(v) is not type(w):
            return False
        if isinstance(v, float) and math.isnan(v):
            if not math.isnan(w):
                return False
        elif v != w:
            return False
    return True


def _mapping(rows):
    return {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None and v != ""}


@SETTINGS
@given(sheets())
def test_normalize_rows_is_normalize_cells_of_the_filled_cells(sheet):
    rows, formats, merges = sheet
    assert _same(normalize_rows(rows, formats, merges), normalize_cells(_mapping(rows), formats, merges))


@SETTINGS
@given(sheets())
def test_the_text_cells_a_reader_keeps_are_those_of_its_values(sheet):
    rows, formats, merges = sheet
    grid = Grid.read_rows(rows, sheet="s", formats=formats, merges=merges)
    assert grid.text_cells() == sorted((k, v) for k, v in grid.values.items() if isinstance(v, str))


def test_text_cells_follow_new_values():
    grid = Grid.read_rows([["一级指标", 1.0], ["x"]], sheet="s")
    assert grid.text_cells() == [((0, 0), "一级指标"), ((1, 0), "x")]
    grid.values = {(3, 1): "y"}
    assert grid.text_cells() == [((3, 1), "y")]
    import dataclasses

    other = dataclasses.replace(grid, values={(0, 2): "z", (0, 1): 5})
    assert other.text_cells() == [((0, 2), "z")]
    plain = Grid(values={(2, 0): "b", (1, 0): "a"})
    assert plain.text_cells() == [((1, 0), "a"), ((2, 0), "b")]
    plain.values[(0, 0)] = "c"  # a grid made by hand may change: its text cells are made again
    assert plain.text_cells()[0] == ((0, 0), "c")


def test_normalize_rows_drops_what_a_merge_covers():
    rows = [["标题", "覆盖", None], ["x", "", "y"], [1.0, 2.5, "  "]]
    merges = [MergedRange(0, 0, 1, 1), MergedRange(2, 0, 2, 2)]
    assert normalize_rows(rows, {}, merges) == {(0, 0): "标题", (1, 2): "y", (2, 0): 1}
    assert normalize_rows(rows, {(2, 0): "0%"}, []) == {(0, 0): "标题", (0, 1): "覆盖", (1, 0): "x", (1, 2): "y",
                                                        (2, 0): "100%", (2, 1): 2.5}


def test_read_rows_is_read_of_the_mapping():
    rows = [["部门名称", None, "湛江市教育局"], ["", "0.95", 3.0], [None, "-12", "001"]]
    merges = [MergedRange(0, 0, 0, 1)]
    a = Grid.read_rows(rows, sheet="s", merges=merges, formats={(1, 2): "0.0%"}, formulas={(1, 2): "=1"}, source="x")
    b = Grid.read(_mapping(rows), sheet="s", merges=merges, formats={(1, 2): "0.0%"}, formulas={(1, 2): "=1"},
                  source="x")
    assert a == b and list(a.values) == list(b.values)


# ------------------------------------------------------------------------------------------- layout

def _plain_table(grid: Grid):
    """find_table as a walk over every cell, per field (the reference)."""
    from xlperf.core.layout import REQUIRED_TABLE, TABLE_LABELS

    anchors = [(r, c) for (r, c), v in grid.values.items() if isinstance(v, str) and label_key(v) == "一级指标"]
    if not anchors:
        return None
    ar = min(anchors)[0]
    rows = range(max(0, ar - 2), ar + 1)
    cells = [(r, c, label_key(v)) for (r, c), v in grid.values.items() if r in rows and isinstance(v, str)]
    columns, header_rows = {}, [ar]
    for field, keys in TABLE_LABELS.items():
        hits = [(keys.index(key), c, r) for r, c, key in cells if key in keys]
        if hits:
            _, col, row = min(hits)
            columns[field] = col
            header_rows.append(row)
    if any(f not in columns for f in REQUIRED_TABLE):
        return ("missing", sorted(f for f in REQUIRED_TABLE if f not in columns))
    return (min(header_rows), max(header_rows) + 1, list(columns.items()))


def _plain_title(grid: Grid, table_row: int):
    from xlperf.core.layout import _ALL_LABELS

    for (r, c), v in sorted(grid.values.items()):
        if r >= table_row:
            break
        if isinstance(v, str) and "绩效目标" in v and len(v) <= 80 and label_key(v) not in _ALL_LABELS:
            return r, c, clean(v).lstrip("#").strip()
    return None


def _plain_index(grid: Grid, limit_row: int):
    idx: dict = {}
    for (r, c), v in grid.values.items():
        if r < limit_row and isinstance(v, str) and len(v) <= 40:
            idx.setdefault(label_key(v), []).append((r, c))
    return {k: sorted(v) for k, v in idx.items()}, grid.ncols


def _check_layout(grid: Grid) -> None:
    from xlperf.core import layout
    from xlperf.errors import NotAFormError

    expected = _plain_table(grid)
    try:
        got = layout.find_table(grid)
    except NotAFormError as exc:
        assert expected is None or expected[0] == "missing", expected
        if expected is not None:
            assert sorted(exc.missing) == expected[1]  # type: ignore[attr-defined]
        return
    assert expected == (got.header_row, got.first_data_row, list(got.columns.items()))
    assert layout._header_index(grid, got.header_row) == _plain_index(grid, got.header_row)
    assert layout.find_title(grid, got.header_row) == _plain_title(grid, got.header_row)


def _fixture_grids() -> list[Grid]:
    from xlperf.io.readers import read_grids

    grids = []
    for p in sorted(FIXTURES.rglob("*")):
        if p.suffix.lower() in (".xlsx", ".xls", ".ods", ".txt", ".tsv"):
            try:
                grids += read_grids(p)
            except Exception:  # fixtures that are meant to be refused
                continue
    return grids


def test_layout_matches_a_walk_over_every_cell_on_the_fixtures():
    grids = _fixture_grids()
    assert len(grids) >= 5
    for g in grids:
        _check_layout(g)


LAYOUT_TEXT = st.sampled_from(["一级指标", " 一级指标 ", "一级指标：", "二级指标", "指标名称", "三级指标", "年度指标值",
                               "指标值", "年度工作任务", "工作任务", "任务名称", "项目名称", "序号", "计量单位", "单位",
                               "2026年部门整体支出绩效目标表", "#绩效目标", "部门名称", "主管部门", "产出指标", "x",
                               "绩效目标" * 25])


@SETTINGS
@given(st.dictionaries(st.tuples(st.integers(0, 12), st.integers(0, 9)),
                       st.one_of(LAYOUT_TEXT, st.integers(0, 9), st.text(max_size=3)), max_size=60))
def test_layout_matches_a_walk_over_every_cell_on_random_grids(values):
    _check_layout(Grid(values=values))


# ------------------------------------------------------------------------------------- member memo

def _seed(tmp_path: Path) -> Path:
    from tests.hostile import corpus as hc

    return hc.seed_xlsx(tmp_path / "seed.xlsx")


def _rewrite(src: Path, dst: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == name else zin.read(info))
    return dst


def test_a_member_seen_before_gives_the_same_counts_and_parts(tmp_path):
    seed = _seed(tmp_path)
    safety._MEMBERS.clear()
    safety._MEMBERS_BYTES[0] = 0
    safety._SEEN.clear()
    with safety.check_zip(seed) as zf:
        first = (dict(zf.checked), {k: None if v is None else dict(vars(v)) for k, v in zf.guarded.items()}, set(zf.uncounted))
    assert not safety._MEMBERS  # a member met once is not kept ...
    safety.check_zip(seed).close()
    assert safety._MEMBERS  # ... the second time it is
    with safety.check_zip(seed) as zf:
        second = (dict(zf.checked), {k: None if v is None else dict(vars(v)) for k, v in zf.guarded.items()},
                  set(zf.uncounted))
        counts = next(c for c in zf.guarded.values() if c is not None)
        counts.cells = -1  # what a workbook holds is its own copy
    assert first == second
    with safety.check_zip(seed) as zf:
        assert all(c is None or c.cells != -1 for c in zf.guarded.values())


def test_a_refused_member_is_refused_again(tmp_path):
    seed = _seed(tmp_path)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    bad = _rewrite(seed, tmp_path / "bad.xlsx", "xl/worksheets/sheet1.xml", bomb)
    for _ in range(2):
        with pytest.raises(UnsafeFileError, match="DTD"):
            safety.check_zip(bad)


def test_the_memo_keys_on_the_limits(tmp_path, monkeypatch):
    """A member that passed under one limit is counted again under another (tests and users change them)."""
    seed = _seed(tmp_path)
    safety.check_zip(seed).close()
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", 10)
    with pytest.raises(UnsafeFileError, match="单元格"):
        safety.check_zip(seed)


def test_the_memo_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "_MEMO_TOTAL", 64 * 1024)
    seed = _seed(tmp_path)
    for i in range(12):
        sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 b"<sheetData>" + b'<row r="1"><c r="A1"><v>%d</v></c></row>' % i + b"<!--" + bytes(8000) .replace(
                     b"\0", b"x") + b"--></sheetData></worksheet>")
        for _ in range(2):
            safety.check_zip(_rewrite(seed, tmp_path / f"v{i}.xlsx", "xl/worksheets/sheet1.xml", sheet)).close()
    assert safety._MEMBERS and safety._MEMBERS_BYTES[0] <= 64 * 1024
    assert safety._MEMBERS_BYTES[0] == sum(len(d) + len(k[-1]) for k, (d, _) in safety._MEMBERS.items())
