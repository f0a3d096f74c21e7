"""Property-based tests (issue 7), with hypothesis.

* Random grids (labels from the form's vocabulary, numbers, dates, errors, formula-like text, broken
  and circular formulas, overlapping merges), pure or grafted onto a real form, never make the parser
  raise anything but xlperf's own errors, and what parses can be validated and serialised.
* Random sets of synthetic forms (tests/synth.py), with random amounts, several forms per workbook,
  repeated departments and formula-like names, consolidate to totals equal to the sum of the inputs.

Example counts are modest (seconds, not minutes); no example database is written.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests import synth
from xlperf.core.grid import Grid, MergedRange, a1
from xlperf.core.layout import HEADER_LABELS, TABLE_LABELS
from xlperf.core.model import Form
from xlperf.core.parse import parse_grid
from xlperf.errors import XlperfError

# XLPERF_HYPOTHESIS_SCALE=20 multiplies the example counts (a longer bug hunt)
SCALE = int(os.environ.get("XLPERF_HYPOTHESIS_SCALE", "1"))
SETTINGS = settings(max_examples=80 * SCALE, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ------------------------------------------------------------------------------------------ strategies

LABELS = sorted({k for keys in (*HEADER_LABELS.values(), *TABLE_LABELS.values()) for k in keys}
                | {"基本信息", "预算整体情况", "部门预算支出", "收入来源", "预算金额（万元）", "任务绩效指标",
                   "拟投入金额（万元）", "一级指标", "二级指标", "产出指标", "效益指标", "成本指标",
                   "满意度指标", "数量指标", "质量指标", "时效指标", "社会效益指标", "经济成本指标",
                   "服务对象满意度指标", "合计", "小计", "填报人：", "2026年部门整体支出绩效目标表"})
VALUES_TEXT = ["≥", "≤", "=", "＞＝", "定性", "定量", "是", "否", "25万元", "≥74人", "100%", "１００％", "≤30天",
               "优", "明显提升", "90%以上", "1,234.5", "（万元）", "#DIV/0!", "#REF!", "#N/A", " ", "\t", "\n",
               "\x07", "　"]
FORMULA_LIKE = ['=HYPERLINK("http://example.com","x")', "=cmd|' /C calc'!A0", "+1+2", "-3", "@SUM(1,2)", "=",
                "==", "=1/0", "=SUM(", "=A1", "=SUM(A1:ZZZ99999)"]
FORMULAS = ["=SUM(E10:E12)", "=E10+E11", "=C5-C6", "=A1", "=B2*2", "=SUM(A1:K40)", "=1/0", "=SUM(E10:E10)/0",
            "=VLOOKUP(A1,B:C,2,0)", "=SUM(", "=(((", "=C6", "=XFD1048576", "=SUM(E1:E1048576)", "=1e400",
            "=99999999999999999999*99999999999999999999", "=-", "=+", "=SUM(A1,B2,,)", "='Sheet 1'!A1"]

ROWS, COLS = 24, 12


def scalars() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(LABELS),
        st.sampled_from(VALUES_TEXT),
        st.sampled_from(FORMULA_LIKE),
        st.integers(min_value=-10**18, max_value=10**18),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9),
        st.booleans(),
        st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
        st.dates(min_value=dt.date(1900, 1, 1)),
        st.times(),
        st.timedeltas(min_value=dt.timedelta(days=-1000), max_value=dt.timedelta(days=1000)),
        st.text(max_size=30),
        st.text(alphabet="合计序号年度指标值万元≥≤=％%0123456789.（）() 　", max_size=12),
    )


cells = st.tuples(st.integers(0, ROWS - 1), st.integers(0, COLS - 1))


@st.composite
def merges(draw, rows: int = ROWS, cols: int = COLS) -> MergedRange:
    r0 = draw(st.integers(0, rows - 1))
    c0 = draw(st.integers(0, cols - 1))
    return MergedRange(r0, c0, draw(st.integers(r0, rows - 1)), draw(st.integers(c0, cols - 1)))


REQUIRED_LABELS = ["年度工作任务", "一级指标", "二级指标", "指标名称", "年度指标值"]


@st.composite
def random_grids(draw) -> Grid:
    """Anything; in half the examples a task-table header (the required labels, in random columns of
    one or two rows) is planted first, so that random cells land in the header block and the table."""
    values = {}
    if draw(st.booleans()):
        r = draw(st.integers(0, ROWS - 3))
        labels = REQUIRED_LABELS + draw(st.lists(st.sampled_from(LABELS), max_size=6))
        columns = draw(st.permutations(range(COLS)))
        for label, c in zip(labels, columns, strict=False):
            values[(r + draw(st.integers(0, 1)), c)] = label
    values.update(draw(st.dictionaries(cells, scalars(), max_size=80)))
    formulas = draw(st.dictionaries(cells, st.sampled_from(FORMULAS), max_size=8))
    return Grid(sheet=draw(st.sampled_from(["Sheet1", "绩效 目标表", "'"])), values=values, formulas=formulas,
                merges=draw(st.lists(merges(), max_size=6)))


@st.composite
def damaged_forms(draw) -> Grid:
    """A real form's cells (tests/synth.py layout) with cells removed, replaced, added, formulas broken,
    merges added: the parser gets far into the table."""
    form = synth.make_form(draw(st.integers(0, 50)), tasks=draw(st.integers(1, 4)), indicators=(1, 4))
    raw, merge_list = synth.form_cells(form, cached=draw(st.booleans()))
    values: dict[tuple[int, int], object] = {}
    formulas: dict[tuple[int, int], str] = {}
    for rc, v in raw.items():
        if isinstance(v, synth.Formula):
            formulas[rc] = "=" + v.text
            if v.value is not None:
                values[rc] = float(v.value)
        else:
            values[rc] = v
    rows = max(r for r, _ in values) + 2
    keys = sorted(values)
    for rc in draw(st.lists(st.sampled_from(keys), max_size=8)):
        values.pop(rc, None)
    for rc in draw(st.lists(st.sampled_from(keys), max_size=8)):
        values[rc] = draw(scalars())
    extra = st.tuples(st.integers(0, rows), st.integers(0, synth.NCOLS))
    values.update(draw(st.dictionaries(extra, scalars(), max_size=10)))
    formulas.update(draw(st.dictionaries(extra, st.sampled_from(FORMULAS), max_size=5)))
    ms = [MergedRange(*m) for m in merge_list]
    ms = [m for m in ms if not draw(st.booleans())] if draw(st.booleans()) else ms
    ms += draw(st.lists(merges(rows, synth.NCOLS), max_size=4))
    return Grid(sheet=synth.SHEET, values=values, formulas=formulas, merges=ms)


# ------------------------------------------------------------------------------------------ the parser


def _parse_and_use(grid: Grid, *, stats: bool = True) -> Form | None:
    from xlperf.core.autosum import analyse_autosum
    from xlperf.validation import validate_form

    try:
        form = parse_grid(grid)
    except XlperfError as exc:
        assert exc.message and "\n" not in exc.message
        if stats:
            event(type(exc).__name__)
        return None
    if stats:
        event(f"parsed, tasks: {min(len(form.tasks), 3)}")
    # what parses is usable: the rules, the JSON view and the autosum planner run on it
    report = validate_form(form)
    for issue in report.issues:
        assert issue.message
    form.to_json_dict()
    analyse_autosum(grid, form)
    return form


@SETTINGS
@given(random_grids())
def test_random_grids_raise_only_xlperf_errors(grid):
    _parse_and_use(grid)


@SETTINGS
@given(damaged_forms())
def test_damaged_forms_raise_only_xlperf_errors(grid):
    _parse_and_use(grid)


@settings(SETTINGS, max_examples=30 * SCALE)
@given(st.lists(st.lists(scalars(), max_size=COLS), max_size=ROWS), st.integers(0, 5), st.integers(0, 5))
def test_rows_anywhere_on_the_sheet(rows, r0, c0):
    """Grid.from_rows at any origin (as pasted text and live ranges arrive)."""
    _parse_and_use(Grid.from_rows(rows, origin=(r0, c0)))


def test_circular_and_self_referencing_totals():
    """A total that refers to itself, or two totals referring to each other, is read (as no value)."""
    form = synth.make_form(1, tasks=2, indicators=2)
    raw, ms = synth.form_cells(form, cached=False)
    values = {rc: v for rc, v in raw.items() if not isinstance(v, synth.Formula)}
    pr, pc = 5, 2  # 项目支出
    for formulas in ({(pr, pc): f"={a1(pr, pc)}"}, {(pr, pc): "=C5", (4, 2): "=C6"}):
        grid = Grid(sheet="s", values=dict(values), formulas=formulas, merges=[MergedRange(*m) for m in ms])
        assert _parse_and_use(grid, stats=False) is not None


# ------------------------------------------------------------------------------------------ consolidation

MONEY = st.decimals(min_value=0, max_value=999_999, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def form_sets(draw) -> list[list[Form]]:
    """Workbooks (1-3 forms each) of small synthetic forms with random amounts; departments may repeat
    and may look like formulas."""
    books = []
    names = st.sampled_from(["财政局", "教育局", "=HYPERLINK(\"x\")", "+卫健局", "@审计局", "-统计局", "档案馆 办公室"])
    for _ in range(draw(st.integers(1, 4))):
        forms = []
        for _ in range(draw(st.integers(1, 3))):
            form = synth.make_form(draw(st.integers(0, 10_000)), tasks=draw(st.integers(1, 3)), indicators=(1, 3),
                                   year=draw(st.sampled_from([2025, 2026])), department=draw(names))
            for t in form.tasks:
                t.amount = draw(MONEY)
            b = form.budget
            b.project = sum((t.amount or Decimal(0) for t in form.tasks), Decimal(0))
            b.basic = draw(MONEY)
            b.other = draw(st.one_of(st.none(), MONEY))
            b.fiscal = b.basic + b.project - (b.other or Decimal(0))
            forms.append(form)
        books.append(forms)
    return books


def _consolidate(books: list[list[Form]], on_duplicate: str, cached: bool):
    from xlperf.consolidation import consolidate

    tmp = tempfile.TemporaryDirectory(prefix="xlperf-prop-")
    root = Path(tmp.name) / "部门 表"
    root.mkdir()
    for i, forms in enumerate(books):
        names = [f"{synth.SHEET}{k + 1 if k else ''}" for k in range(len(forms))]
        synth.write_workbook(root / f"{i:02d} 部门.xlsx", forms, cached=cached, sheet_names=names)
    cons = consolidate([root], on_duplicate=on_duplicate, executor="serial")
    return tmp, cons


def _sums(forms: list[Form]) -> dict[str, Decimal]:
    out = {k: Decimal(0) for k in ("基本支出", "项目支出", "财政拨款", "其他资金")}
    for f in forms:
        b = f.budget
        out["基本支出"] += b.basic or 0
        out["项目支出"] += b.project or 0
        out["财政拨款"] += b.fiscal or 0
        out["其他资金"] += b.other or 0
    out["支出合计"] = out["基本支出"] + out["项目支出"]
    return out


@settings(SETTINGS, max_examples=25 * SCALE)
@given(form_sets(), st.booleans())
def test_consolidation_totals_are_the_sum_of_the_inputs(books, cached):
    """keep-both: every form counts; the totals are the exact sums (Decimal) of the inputs."""
    tmp, cons = _consolidate(books, "keep-both", cached)
    with tmp, cons:
        forms = [f for book in books for f in book]
        assert cons.totals == _sums(forms)
        counts = cons.counts
        assert counts["departments"] == len(forms)
        assert counts["tasks"] == sum(len(f.tasks) for f in forms)
        assert counts["indicators"] == sum(f.indicator_count for f in forms)
        assert counts["ok"] == len(books) and counts["skipped"] == 0


@settings(SETTINGS, max_examples=15 * SCALE)
@given(form_sets())
def test_consolidation_counts_each_department_once(books):
    """on_duplicate=error (the default): the first form of each (department, year) counts, in file order."""
    tmp, cons = _consolidate(books, "error", True)
    with tmp, cons:
        first: dict[tuple[str, int | None], Form] = {}
        for f in (f for book in books for f in book):
            first.setdefault((f.department or "", f.year), f)
        assert cons.totals == _sums(list(first.values()))
        assert cons.counts["departments"] == len(first)


# ------------------------------------------------------------------------------------------ text stays text

TEXTS = st.one_of(
    st.builds(lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@", "\t=", " =", "＝"]), st.text(max_size=40)),
    st.sampled_from(FORMULA_LIKE),
    st.text(max_size=60),
)


def _read_back(path: Path) -> list[tuple[object, str]]:
    import openpyxl

    ws = openpyxl.load_workbook(path).worksheets[0]
    return [(c.value, c.data_type) for row in ws.iter_rows() for c in row]


@settings(SETTINGS, max_examples=40 * SCALE)
@given(st.lists(TEXTS, min_size=1, max_size=8))
def test_openpyxl_writer_keeps_text_as_text(texts):
    """io.xlsx.set_text (every text the modifying commands write): read back as the same text, type 's'."""
    import openpyxl

    from xlperf.io.xlsx import safe_text, set_text

    wb = openpyxl.Workbook()
    for i, t in enumerate(texts, start=1):
        set_text(wb.active.cell(i, 1), t)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.xlsx"
        wb.save(path)
        back = _read_back(path)
    expected = [safe_text(t).replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    for (value, kind), want in zip(back, expected, strict=True):
        if want == "":
            assert value is None
        else:
            assert (value, kind) == (want, "s")


@settings(SETTINGS, max_examples=40 * SCALE)
@given(st.lists(TEXTS, min_size=1, max_size=8))
def test_fastxlsx_writer_keeps_text_as_text(texts):
    """io.fastxlsx (the consolidation summary): the same for its streamed cells."""
    from xlperf.io.fastxlsx import Workbook

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.xlsx"
        with Workbook(path) as wb:
            ws = wb.add_sheet("表 1")
            for t in texts:
                ws.write_row([t])
        back = _read_back(path)
    # "" cells are left empty; control characters are written as OOXML escapes (_x0008_, which Excel
    # shows as the character and openpyxl returns as is)
    expected = [re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"_x{ord(m.group()):04X}_",
                       t.replace("\r\n", "\n").replace("\r", "\n")) for t in texts if t]
    assert [b for b in back if b[0] is not None] == [(t, "s") for t in expected]


def test_absurd_amounts_are_validated():
    """Found by the grid property: an amount beyond Decimal's 28 digits made the budget rules raise
    decimal.InvalidOperation (a traceback from xlperf validate)."""
    form = synth.make_form(3, tasks=2, indicators=2)
    raw, ms = synth.form_cells(form, cached=False)
    values = {rc: v for rc, v in raw.items() if not isinstance(v, synth.Formula)}
    values[(synth.FIRST_TASK_ROW, 4)] = 1e26  # 拟投入金额 of task 1
    grid = Grid(sheet="s", values=values, formulas={(5, 2): f"=SUM(E10:E{synth.FIRST_TASK_ROW + 4})"},
                merges=[MergedRange(*m) for m in ms])
    assert _parse_and_use(grid, stats=False) is not None
