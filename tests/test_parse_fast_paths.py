"""What the parser's fast paths keep (issue 16): a reader-built grid's dimensions, formula tokens per
text, indicators built straight into their slots. Each must give what the plain computation gives."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from xlperf.core.formula import cell_number, evaluate
from xlperf.core.grid import Grid, MergedRange
from xlperf.core.model import Indicator
from xlperf.core.parse import parse_grid


def _dims(values):
    return (max(r for r, _ in values) + 1, max(c for _, c in values) + 1) if values else (0, 0)


def test_grid_dimensions_follow_new_values():
    grid = Grid.read_rows([["一级指标", 1.0], ["x", None, None, "y"]], sheet="s")
    assert (grid.nrows, grid.ncols) == (2, 4) == _dims(grid.values)
    grid.values = {(6, 1): "z"}  # new values: counted again
    assert (grid.nrows, grid.ncols) == (7, 2)
    other = dataclasses.replace(grid, values={(0, 9): "w"})
    assert (other.nrows, other.ncols) == (1, 10)
    assert (grid.nrows, grid.ncols) == (7, 2)
    empty = Grid.read({}, sheet="s")
    assert (empty.nrows, empty.ncols) == (0, 0)
    plain = Grid(values={(2, 0): "b"})
    assert (plain.nrows, plain.ncols) == (3, 1)
    plain.values[(5, 4)] = "c"  # a grid made by hand may change in place: counted at every call
    assert (plain.nrows, plain.ncols) == (6, 5)


def test_grid_dimensions_of_every_example_are_those_of_its_values():
    from conftest import FIXTURES, SEED_TXT
    from xlperf.io.readers import read_grids

    paths = [SEED_TXT, FIXTURES / "seed.xls", *sorted((FIXTURES / "examples").glob("*.txt"))]
    grids = [g for p in paths for g in read_grids(p)]
    assert len(grids) > 2
    for g in grids:
        first = (g.nrows, g.ncols)
        assert first == _dims(g.values) == (g.nrows, g.ncols), g.sheet


def test_one_formula_text_on_two_grids_sums_each_grid():
    """Tokens are kept per formula text: the values still come from the grid at hand."""
    a = Grid(values={(0, 0): 1.5, (1, 0): 2}, formulas={(2, 0): "=SUM(A1:A2)"})
    b = Grid(values={(0, 0): 10, (1, 0): 0.25}, formulas={(2, 0): "=SUM(A1:A2)"})
    assert evaluate(a, 2, 0) == Decimal("3.5")
    assert evaluate(b, 2, 0) == Decimal("10.25")
    assert evaluate(a, 2, 0) == Decimal("3.5")


def test_a_long_formula_is_evaluated_without_being_kept():
    text = "=" + "+".join(["A1"] * 150)  # longer than the formulas whose tokens are kept
    assert len(text) > 200
    g = Grid(values={(0, 0): 2.5}, formulas={(1, 0): text})
    assert cell_number(g, 1, 0) == Decimal("375")
    bad = Grid(values={(0, 0): 2.5, (1, 0): 7.0}, formulas={(1, 0): "=SUM(A1:A1"})  # twice: never kept
    assert cell_number(bad, 1, 0) == cell_number(bad, 1, 0) == Decimal(7)


def test_inherited_levels_under_a_merged_block_are_read_lazily_and_the_same():
    """A blank 一级指标 under a merged block inherits the one above; a blank one outside a block (where
    the sheet does have merges) stays blank."""
    header = [["部门名称", "某局"],
              ["序号", "年度工作任务", "一级指标", "二级指标", "指标名称", "年度指标值"]]
    rows = [[1, "任务一", "产出指标", "数量指标", "甲", "10人"],
            [None, None, None, "质量指标", "乙", "95%"],
            [None, None, None, "时效指标", "丙", "100%"],
            [2, "任务二", "效益指标", "社会效益指标", "丁", "1个"],
            [None, None, None, "满意度指标", "戊", "90%"]]
    merged = Grid.read_rows(header + rows, sheet="s", merges=[MergedRange(2, 2, 4, 2)])
    form = parse_grid(merged)
    inds = [i for t in form.tasks for i in t.indicators]
    assert [i.level1 for i in inds] == ["产出指标", "产出指标", "产出指标", "效益指标", None]
    assert [i.inherited for i in inds] == [[], ["level1"], ["level1"], [], []]
    for i in inds:
        assert type(i) is Indicator and set(i.__dict__) == set(Indicator.model_fields) == i.model_fields_set
        assert Indicator.model_validate(i.model_dump()) == i
