"""Acceptance on the seed form, read from the pasted text and from the imported .xlsx alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import xlperf
from xlperf.core.issues import Report, Severity


@pytest.fixture(params=["txt", "xlsx"])
def seed_report(request, seed_txt: Path, tmp_path: Path) -> Report:
    if request.param == "txt":
        return xlperf.validate(seed_txt)
    from xlperf.io.readers import load_form
    from xlperf.io.template import build_workbook

    out = tmp_path / "seed.xlsx"
    build_workbook(load_form(seed_txt)).save(out)
    return xlperf.validate(out)


def tasks(report: Report, code: str) -> set:
    return {i.task for i in report.by_code(code)}


def test_seed_acceptance(seed_report: Report) -> None:
    r = seed_report
    assert [(i.task, i.indicator) for i in r.by_code("XP401")] == [(7, "接待服务水平")]
    assert tasks(r, "XP303") == {6, 9}
    assert tasks(r, "XP304") == {6}
    assert tasks(r, "XP204") == {4, 9}
    found = {(i.task, re.search(r"二级指标「([^」]+)」", i.message).group(1)) for i in r.by_code("XP203")}
    assert found == {(1, "社会效益"), (2, "社会效益"), (3, "社会效益"), (5, "社会效益"), (7, "经济成本"),
                     (5, "服务对象满意度"), (4, "满意度指标")}
    assert [(i.task, i.indicator) for i in r.by_code("XP205")] == [(7, "领导公务活动满意度")]
    assert tasks(r, "XP408") == {7, 8}
    assert tasks(r, "XP305") == {1, 2, 3, 6, 7, 8, 9, 10}
    for code in ("XP101", "XP102", "XP103", "XP104", "XP201", "XP406", "XP407", "XP409"):
        assert r.by_code(code) == [], code
    assert {i.code for i in r.errors} == {"XP303", "XP401"}
    assert r.department == "揭阳市人民政府办公室"


def test_seed_issues_are_located(seed_report: Report) -> None:
    """Every issue names its sheet and cell, and the cell is on the row of its task (the overall goal,
    XP210, is about the header)."""
    r = seed_report
    assert r.issues
    for i in r.issues:
        assert i.sheet and i.cell, i
        assert i.task is not None or i.code == "XP210"
    (op,) = r.by_code("XP401")
    assert op.cell.startswith("J")  # the (empty) 对比符号 cell where the symbol belongs
    assert "逐步提高" in op.message and "定性" in op.message


def test_text_and_xlsx_agree(seed_txt: Path, seed_xlsx: Path) -> None:
    a, b = xlperf.validate(seed_txt), xlperf.validate(seed_xlsx)
    assert sorted((i.code, i.task, i.indicator, i.message) for i in a.issues) == sorted(
        (i.code, i.task, i.indicator, i.message) for i in b.issues)


def test_report_api(seed_txt: Path) -> None:
    r = xlperf.validate(seed_txt)
    assert isinstance(r, xlperf.Report)
    assert len(r.errors) == 3 and all(i.severity is Severity.ERROR for i in r.errors)
    assert r.valid() is False
    doc = json.loads(r.to_json())
    (entry,) = doc["files"]
    assert entry["path"] == str(seed_txt) and entry["errors"] == 3 and entry["warnings"] == len(r.warnings)
    assert set(entry["issues"][0]) == {"code", "severity", "sheet", "cell", "task", "indicator", "message"}
    df = r.to_frame()
    assert list(df.columns) == ["code", "severity", "sheet", "cell", "task", "indicator", "message"]
    assert len(df) == len(r.issues)
    assert set(df.loc[df.code == "XP401", "indicator"]) == {"接待服务水平"}
    assert r.summary() == f"3 个错误，{len(r.warnings)} 个警告，{len(r.infos)} 个提示"


def test_validate_accepts_form_grid_and_filters(seed_txt: Path) -> None:
    from xlperf.io.readers import load_form, read_text

    form = load_form(seed_txt)
    grid = read_text(seed_txt)
    assert xlperf.validate(form).codes == xlperf.validate(grid).codes == xlperf.validate(seed_txt).codes
    only = xlperf.validate(form, select=["XP4"])
    assert only.codes and all(c.startswith("XP4") for c in only.codes)
    assert "XP412" not in xlperf.validate(form, select=["XP4"], ignore=["XP412"]).codes
    r = xlperf.validate(form, config={"severity": {"XP303": "warning"}})
    assert {i.severity for i in r.by_code("XP303")} == {Severity.WARNING}


def test_money_is_compared_in_decimal() -> None:
    """0.1 + 0.2 style sums: float would report 3793.11 + 1359.1 != 5152.21, Decimal does not."""
    from decimal import Decimal

    from xlperf.core.model import Budget, Form
    from xlperf.core.rules import run_rules

    b = Budget(basic=Decimal("0.1"), project=Decimal("0.2"), fiscal=Decimal("0.3"),
               cells={"basic": "C5", "project": "C6", "fiscal": "G5"})
    assert 0.1 + 0.2 != 0.3
    assert run_rules(Form(budget=b, sheet="s"), select=["XP102"]) == []
    b2 = b.model_copy(update={"fiscal": Decimal("0.31")})
    assert [i.code for i in run_rules(Form(budget=b2, sheet="s"), select=["XP102"])] == ["XP102"]
