"""Synthetic department workbooks: deterministic, realistic, and read back exactly by the parser."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.synth import department_name, generate, make_form, write_workbook
from xlperf.core.framework import default_framework
from xlperf.io.readers import load_forms

HYPERLINK = '=HYPERLINK("http://example.com","x")'


def _key(form):
    b = form.budget
    return (
        form.department, form.supervisor, form.year, form.staff_count, form.subunit_count,
        b.basic, b.project, b.fiscal, b.other, form.overall_goal,
        [(t.seq, t.name, t.content, t.source, t.amount,
          [(i.level1, i.level2, i.name, i.core, i.op, i.value, i.unit) for i in t.indicators]) for t in form.tasks],
    )


def test_deterministic_by_seed_and_index() -> None:
    assert _key(make_form(5, seed=1)) == _key(make_form(5, seed=1))
    assert _key(make_form(5, seed=1)) != _key(make_form(5, seed=2))
    assert _key(make_form(5, seed=1)) != _key(make_form(6, seed=1))


def test_sizes_framework_and_amounts_add_up() -> None:
    fw = default_framework()
    for i in range(30):
        f = make_form(i, seed=3)
        assert 10 <= len(f.tasks) <= 40
        assert all(3 <= len(t.indicators) <= 8 for t in f.tasks)
        assert f.budget.project == sum(t.amount for t in f.tasks)
        assert f.budget.fiscal + (f.budget.other or 0) == f.budget.basic + f.budget.project
        assert all(t.amount == t.amount.quantize(Decimal("0.01")) for t in f.tasks)
        for t in f.tasks:
            for ind in t.indicators:
                assert ind.level2 in fw.level2_names(ind.level1)
    small = make_form(0, tasks=10, indicators=4)
    assert len(small.tasks) == 10 and small.indicator_count == 40


def test_department_names_are_unique_for_a_large_batch() -> None:
    names = [department_name(i) for i in range(10_000)]
    assert len(set(names)) == len(names)
    assert all(n[:3].endswith("市") for n in names[:50])


def test_written_workbook_parses_back_to_the_same_form(tmp_path: Path) -> None:
    import openpyxl

    paths = generate(tmp_path, 4, seed=9)
    for i, p in enumerate(paths):
        forms = load_forms(p)
        assert len(forms) == 1
        assert _key(forms[0]) == _key(make_form(i, seed=9))
    # the official layout: merged task cells and a live SUM for 项目支出
    ws = openpyxl.load_workbook(paths[0])["绩效目标表"]
    assert ws["C6"].data_type == "f" and ws["C6"].value.startswith("=SUM(E10:E")
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "A1:K1" in merged and any(m.startswith("B10:B") for m in merged)
    assert ws["J10"].value in ("=", "≥", "≤", None) and ws["J10"].data_type in ("s", "n")


def test_injected_text_cells_stay_text(tmp_path: Path) -> None:
    import openpyxl

    p = write_workbook(tmp_path / "x.xlsx", make_form(0), text_cells={"department": HYPERLINK, "K10": "=1+1"})
    ws = openpyxl.load_workbook(p)["绩效目标表"]
    assert ws["B2"].value == HYPERLINK and ws["B2"].data_type == "s"
    assert ws["K10"].value == "=1+1" and ws["K10"].data_type == "s"
    assert load_forms(p)[0].department == HYPERLINK


def test_several_form_sheets_per_workbook_and_uncached_formulas(tmp_path: Path) -> None:
    (p,) = generate(tmp_path, 1, seed=2, sheets_per_workbook=3, cached=False)
    forms = load_forms(p)
    assert [f.sheet for f in forms] == ["绩效目标表", "绩效目标表2", "绩效目标表3"]
    assert len({f.department for f in forms}) == 3
    for k, f in enumerate(forms):
        # no cached value in the file: the reader recomputes the SUM
        assert f.budget.project == make_form(k, seed=2).budget.project


@pytest.mark.parametrize("n", [3])
def test_generate_into_subfolders(tmp_path: Path, n: int) -> None:
    paths = generate(tmp_path, n, subdirs=2)
    assert len({p.parent for p in paths}) == 2 and all(p.suffix == ".xlsx" for p in paths)


def test_task_numbers_count_the_tasks(tmp_path: Path) -> None:
    """Regression: 序号 was the task's indicator count (a loop variable reused), not 1, 2, 3, …"""
    form = make_form(3, seed=5, tasks=12, indicators=(3, 8))
    assert [t.seq for t in form.tasks] == list(range(1, 13))
    assert len({len(t.indicators) for t in form.tasks}) > 1  # the old bug would have shown here
    p = write_workbook(tmp_path / "s.xlsx", form)
    assert [t.seq for t in load_forms(p)[0].tasks] == list(range(1, 13))
