"""Never cry wolf: correct forms give zero issues.

``tests/fixtures/corpus`` holds forms a reviewer would pass: the seed as corrected after review
(``seed_corrected.txt``, every problem of ``seed_issues.csv`` fixed) and variants written in the value shapes
real forms use — 定性 deadlines that begin with a date or a number, ranges, thousands separators, 万人次,
growth rates ≥ 110%, ≤ 0 次 complaints, saving rates ≥ 5%, a unit column — under the label variants real
forms print (部门（单位）名称, 年度绩效目标, 重点工作任务, 年度主要工作任务, 工作任务名称, 拟投入金额（万元）, 指标值).
Each is checked as pasted text and as the .xlsx the import writes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import xlperf
from xlperf.io.readers import load_form

CORPUS = sorted((Path(__file__).parent / "fixtures" / "corpus").glob("*.txt"))


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 5


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_correct_form_gives_zero_issues(path: Path, tmp_path: Path) -> None:
    report = xlperf.validate(path)
    assert [(i.code, i.cell, i.message) for i in report.issues] == []
    from xlperf.io.template import build_workbook

    out = tmp_path / (path.stem + ".xlsx")
    build_workbook(load_form(path)).save(out)
    again = xlperf.validate(out)
    assert [(i.code, i.cell, i.message) for i in again.issues] == []


@pytest.mark.parametrize("path", [p for p in CORPUS if p.stem.startswith("shapes")], ids=lambda p: p.stem)
def test_label_variants_and_value_shapes_are_read(path: Path) -> None:
    form = load_form(path)
    assert form.department == "测试市文化广电旅游体育局"
    assert form.overall_goal and form.overall_goal.startswith("办理政务服务事项")
    assert [t.name for t in form.tasks] == ["政务服务事项办理", "全民健身活动"]
    assert [t.amount for t in form.tasks] == [Decimal(60), Decimal(40)]
    by_name = {i.name: i for t in form.tasks for i in t.indicators}
    assert (by_name["受理事项数量"].value, by_name["受理事项数量"].unit) == (Decimal(1200), "件")
    assert (by_name["服务群众人次"].value, by_name["服务群众人次"].unit) == (Decimal("3.5"), "万人次")
    for name, text in (("事项办结时限", "3个工作日内办结"), ("年度任务完成时间", "6月底前完成"), ("资金拨付时间", "12月31日前")):
        assert (by_name[name].op, by_name[name].value) == ("定性", text)
    assert by_name["带动体育消费增长率"].value == Decimal(110)
    assert (by_name["群众有效投诉次数"].op, by_name["群众有效投诉次数"].value) == ("≤", Decimal(0))


def test_corrected_seed_is_the_seed() -> None:
    """The corrected seed keeps the seed's department, budget and the ten tasks' money."""
    fixtures = Path(__file__).parent / "fixtures"
    seed, fixed = load_form(fixtures / "seed.txt"), load_form(fixtures / "corpus" / "seed_corrected.txt")
    assert fixed.department == seed.department
    assert fixed.budget.to_json_dict() == seed.budget.to_json_dict()
    assert [t.amount for t in fixed.tasks] == [t.amount for t in seed.tasks]
    assert xlperf.validate(fixtures / "seed.txt").issues  # the same checks do find the seed's problems
