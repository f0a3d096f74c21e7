"""The batch-level XC rules of a consolidation (registered with the rule registry), the typed per-file
report, and the spools of a :class:`~xlperf.consolidation.Consolidation` (always closed)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from tests.synth import make_form, write_workbook
from xlperf.cli import main
from xlperf.core.issues import Severity

ROOT = Path(__file__).resolve().parents[1]


def _issues(cons, code: str) -> list[dict]:
    df = cons.issues
    return df[df["代码"] == code].to_dict("records")


def _book(folder: Path, name: str, *forms, sheet_names=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_workbook(folder / name, list(forms), sheet_names=sheet_names)


# ------------------------------------------------------------------------------------------ registry
def test_xc_rules_are_registered_as_batch_rules_only() -> None:
    from xlperf.core.rules import all_rules, batch_rules, get_rule

    form_rules = all_rules()
    batch = batch_rules()
    assert [r.code for r in batch] == ["XC001", "XC002", "XC003", "XC004"]
    assert not any(r.code.startswith("XC") for r in form_rules)  # run_rules never sees them
    assert all_rules(batch=True) == form_rules + batch  # listed after the XP rules
    for r in batch:
        assert r.batch and r.family == "consolidation" and not r.fixable
        assert r.title and r.doc and "来源" in r.doc
        assert r.severity is (Severity.WARNING if r.code == "XC004" else Severity.ERROR)
        assert get_rule(r.code.lower()) is r
    assert get_rule("XC001").name == "duplicate_department"
    assert get_rule("XC002").name == "sheet_unparseable"
    assert get_rule("XC003").name == "validation_crashed"
    assert get_rule("XC004").name == "department_projects_differ"


def test_run_rules_does_not_run_batch_rules() -> None:
    from xlperf.core.config import Config
    from xlperf.core.rules import run_rules

    issues = run_rules(make_form(0, tasks=10), Config(select=("XC",)))
    assert issues == []


def test_registry_refuses_bad_batch_rules() -> None:
    from xlperf.core.rules import batch_rule, rule_of

    def documented(*a):
        """documented"""
        return ""

    with pytest.raises(ValueError, match="XC123"):
        batch_rule("XP001", Severity.ERROR)(documented)
    with pytest.raises(ValueError, match="twice"):
        batch_rule("XC001", Severity.ERROR)(documented)
    with pytest.raises(ValueError, match="docstring"):
        batch_rule("XC999", Severity.ERROR)(lambda: "")
    with pytest.raises(ValueError, match="family"):
        batch_rule("XC998", Severity.ERROR, family="nope")(documented)
    with pytest.raises(KeyError):
        rule_of(documented)


def test_rules_command_lists_and_shows_the_xc_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("XP101  错误")
    codes = [ln.split()[0] for ln in lines]
    assert codes[-4:] == ["XC001", "XC002", "XC003", "XC004"]
    assert main(["rules", "XC001"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("XC001  错误  同一部门") and "--on-duplicate" in out and "来源" in out
    assert main(["rules", "XC", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["code"], r["family"], r["severity"]) for r in data] == [
        ("XC001", "consolidation", "error"), ("XC002", "consolidation", "error"), ("XC003", "consolidation", "error"),
        ("XC004", "consolidation", "warning")]


def test_rules_doc_documents_the_xc_rules() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "## XC0xx 汇总（合并部门表）" in text
    for code in ("XC001", "XC002", "XC003", "XC004"):
        assert f"### {code}" in text and f"[{code}](#{code.lower()})" in text


# ------------------------------------------------------------------------------------------ XC001
def test_xc001_fires_on_the_same_department_twice(tmp_path: Path) -> None:
    import xlperf

    a = make_form(0, tasks=10)
    b = make_form(1, tasks=10, department=a.department)
    _book(tmp_path / "in", "1.xlsx", a)
    _book(tmp_path / "in", "2.xlsx", b)
    with xlperf.consolidate(tmp_path / "in", executor="serial") as cons:
        (dup,) = _issues(cons, "XC001")
        assert dup["级别"] == "错误" and dup["部门名称"] == a.department
        assert dup["来源文件"].endswith("2.xlsx") and dup["工作表"] == "绩效目标表"
        where = f"{cons.file_records[0].path}［绩效目标表］"
        assert dup["说明"] == (f"部门「{a.department}」（{a.year}年）重复：已在 {where} 中汇总，本表未计入"
                             "（可用 --on-duplicate keep-last 或 keep-both）")
        assert cons.file_records[1].reason == "重复部门，未计入汇总（见 校验问题 XC001）"
    with xlperf.consolidate(tmp_path / "in", executor="serial", on_duplicate="keep-both") as cons:
        (dup,) = _issues(cons, "XC001")
        assert dup["级别"] == "警告" and "另见" in dup["说明"]


def test_xc001_does_not_fire_for_another_year_or_department(tmp_path: Path) -> None:
    import xlperf

    a = make_form(0, tasks=10, year=2025)
    _book(tmp_path / "in", "1.xlsx", a)
    _book(tmp_path / "in", "2.xlsx", make_form(1, tasks=10, department=a.department, year=2026))
    _book(tmp_path / "in", "3.xlsx", make_form(2, tasks=10))
    with xlperf.consolidate(tmp_path / "in", executor="serial") as cons:
        assert _issues(cons, "XC001") == []
        assert len(cons.departments) == 3


# ------------------------------------------------------------------------------------------ XC002
@pytest.fixture
def crashing_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser fails unexpectedly on sheets named 坏表 (a bug the batch must survive)."""
    import xlperf.core.parse as parse

    real = parse.parse_grid

    def parse_grid(grid, *args, **kwargs):
        if grid.sheet == "坏表":
            raise RecursionError("maximum recursion depth exceeded")
        return real(grid, *args, **kwargs)

    monkeypatch.setattr(parse, "parse_grid", parse_grid)


def test_xc002_fires_on_a_sheet_that_cannot_be_parsed(tmp_path: Path, crashing_parser: None) -> None:
    import xlperf

    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10), make_form(1, tasks=10), sheet_names=["绩效目标表", "坏表"])
    _book(tmp_path / "in", "b.xlsx", make_form(2, tasks=10), sheet_names=["坏表"])
    with xlperf.consolidate(tmp_path / "in", executor="serial") as cons:
        rows = _issues(cons, "XC002")
        assert [(Path(r["来源文件"]).name, r["工作表"], r["级别"]) for r in rows] == [
            ("a.xlsx", "坏表", "错误"), ("b.xlsx", "坏表", "错误")]
        assert rows[0]["说明"] == "工作表无法解析（RecursionError: maximum recursion depth exceeded）"
        a, b = cons.file_records
        assert (a.status, a.forms, b.status) == ("成功", 1, "跳过")  # the other sheet is consolidated
        assert b.reason == rows[1]["说明"]
        assert a.errors >= 1 and cons.exit_code == 1


def test_xc002_does_not_fire_on_sheets_that_parse(tmp_path: Path) -> None:
    import xlperf

    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10), make_form(1, tasks=10), sheet_names=["绩效目标表", "坏表"])
    with xlperf.consolidate(tmp_path / "in", executor="serial") as cons:
        assert _issues(cons, "XC002") == []
        assert cons.file_records[0].forms == 2


# ------------------------------------------------------------------------------------------ XC003
def test_xc003_fires_when_validation_crashes(tmp_path: Path) -> None:
    import xlperf
    from xlperf.core.config import Config

    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10))
    missing = tmp_path / "没有这个指标体系.toml"
    with xlperf.consolidate(tmp_path / "in", executor="serial", config=Config(framework=str(missing))) as cons:
        if not cons.validated:
            pytest.skip("validator not available")
        (row,) = _issues(cons, "XC003")
        assert row["级别"] == "错误" and row["工作表"] == "绩效目标表" and row["部门名称"] == make_form(0).department
        assert row["说明"].startswith("校验时出错（FileNotFoundError: ") and row["说明"].endswith("），该表未完成校验")
        assert len(cons.departments) == 1 and cons.file_records[0].status == "成功"  # still consolidated
        assert cons.counts["errors"] == 1 and cons.exit_code == 1


def test_xc003_does_not_fire_when_validation_runs(tmp_path: Path) -> None:
    import xlperf

    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10))
    with xlperf.consolidate(tmp_path / "in", executor="serial") as cons:
        assert _issues(cons, "XC003") == []


def test_xc_issue_rows_take_code_and_severity_from_the_registry() -> None:
    from xlperf.consolidation import rules
    from xlperf.core.rules import get_rule

    r = get_rule("XC003")
    row = rules.issue(rules.validation_crashed, rules.validation_crashed(ValueError("x")), display="a.xlsx",
                      sheet="表", department="部门")
    assert row == ("a.xlsx", "表", None, "部门", "错误", "XC003", "校验时出错（ValueError: x），该表未完成校验", None, None)
    row = rules.issue(rules.validation_crashed, "m", display="a.xlsx", sheet=None, department=None,
                      severity=Severity.WARNING)
    assert row[4:6] == ("警告", r.code)


# ------------------------------------------------------------------------------------------ per-file report
def test_file_report_is_typed_and_picklable(tmp_path: Path) -> None:
    import marshal

    from xlperf.consolidation import FileReport, FormRows, process_file
    from xlperf.validation import validate

    path = _book(tmp_path, "a.xlsx", make_form(0, tasks=10))
    rep = process_file(path, "a.xlsx", validate)
    assert isinstance(rep, FileReport) and rep.status == "成功" and rep.issues == []
    (form,) = rep.forms
    assert isinstance(form, FormRows) and form.n_tasks == 10
    assert len(marshal.loads(form.tasks)) == 10 and len(marshal.loads(form.indicators)) == form.n_indicators
    back = pickle.loads(pickle.dumps(rep))
    assert back == rep
    bad = process_file(tmp_path / "missing.xlsx", "missing.xlsx", None)
    assert bad.status == "跳过" and bad.reason and bad.forms == []


# ------------------------------------------------------------------------------------------ resources
def _spools(cons) -> list:
    return [cons._dept_rows, cons._tasks, cons._inds, cons._issues]


def test_every_spool_is_closed_after_with(tmp_path: Path) -> None:
    import xlperf

    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10))
    with xlperf.consolidate(tmp_path / "in", executor="serial") as cons:
        spools = _spools(cons)
        assert not any(s._fh.closed for s in spools) and not cons.closed
        assert len(cons.departments) == 1
    assert all(s._fh.closed for s in spools) and cons.closed
    cons.close()  # idempotent
    assert cons.closed


def test_spools_are_closed_when_consolidate_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf
    import xlperf.consolidation.result as result

    made: list = []
    real_init = result._Spool.__init__

    def init(self, *a, **k) -> None:
        real_init(self, *a, **k)
        made.append(self)

    def add_file(self, *a, **k) -> None:
        raise KeyboardInterrupt  # the user stops the batch midway

    monkeypatch.setattr(result._Spool, "__init__", init)
    monkeypatch.setattr(result.Consolidation, "_add_file", add_file)
    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10))
    with pytest.raises(KeyboardInterrupt):
        xlperf.consolidate(tmp_path / "in", executor="serial")
    # six spools, three of them with their rows numbered and deflated for the summary workbook
    assert len(made) == 6 and all(s.closed for s in made)
    deflated = [s.deflated for s in made if s.deflated is not None]
    assert len(deflated) == 3 and all(d.closed for d in deflated)


def test_bad_executor_creates_no_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf
    import xlperf.consolidation.result as result
    from xlperf.errors import XlperfError

    made: list = []
    real_init = result._Spool.__init__

    def init(self, *a, **k) -> None:
        real_init(self, *a, **k)
        made.append(self)

    monkeypatch.setattr(result._Spool, "__init__", init)
    _book(tmp_path / "in", "a.xlsx", make_form(0, tasks=10))
    with pytest.raises(XlperfError, match="executor"):
        xlperf.consolidate(tmp_path / "in", executor="fibers")
    assert made == []


# ------------------------------------------------------------------------------------------ the package
def test_names_patched_on_the_package_take_effect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PROCESS_MIN_FILES, _ordered_map and write_summary are looked up on ``xlperf.consolidation``."""
    import sys
    import threading

    import xlperf.consolidation as mod

    for i in range(3):
        _book(tmp_path / "in", f"{i}.xlsx", make_form(i, tasks=10))
    seen: list[str] = []
    real = mod._ordered_map

    def ordered_map(items, jobs, validate, executor, config=None):
        seen.append(executor)
        return real(items, jobs, validate, "serial", config)

    monkeypatch.setattr(mod, "_ordered_map", ordered_map)
    monkeypatch.setattr(mod, "PROCESS_MIN_FILES", 2)
    alone = threading.active_count() == 1
    with mod.consolidate(tmp_path / "in", jobs=2) as cons:
        assert len(cons.departments) == 3
        written: list[Path] = []
        monkeypatch.setattr(mod, "write_summary", lambda c, path, **kw: written.append(path))
        cons.to_excel(tmp_path / "o.xlsx")
    assert len(written) == 1
    if alone and sys.platform.startswith("linux"):
        assert seen == ["process"]
    else:
        assert seen == ["thread"]


def test_the_package_keeps_the_old_names() -> None:
    import xlperf.consolidation as mod

    for name in ("consolidate", "Consolidation", "FileRecord", "write_summary", "process_file", "discover", "OK",
                 "SKIPPED", "IGNORED", "DEPT_COLS", "TASK_COLS", "IND_COLS", "ISSUE_COLS", "FILE_COLS", "DEPT_SHEET",
                 "CHART_SHEET", "SEVERITY_ZH", "PROCESS_MIN_FILES", "TOP_DEPARTMENTS", "ON_DUPLICATE", "WORKBOOK_EXTS",
                 "LISTED_EXTS", "_form_result", "_validator", "_work", "_ordered_map", "_Spool", "_display",
                 "_looks_like_summary", "_ignore_reason"):
        assert hasattr(mod, name), name
    assert set(mod.__all__) <= set(dir(mod))
