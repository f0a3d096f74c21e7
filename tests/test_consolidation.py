"""``xlperf consolidate`` / ``xlperf.consolidate``: totals, row counts, bad inputs, duplicates, text safety."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SEED_TXT, needs_libreoffice, recalc
from tests.synth import generate, make_form, write_workbook
from xlperf.cli import main
from xlperf.io.readers import load_forms

HYPERLINK = '=HYPERLINK("http://example.com","x")'
DDE = "=cmd|' /C calc'!A0"


def _sheet_rows(path: Path, name: str, data_only: bool = False) -> list[tuple]:
    """Rows of one sheet: openpyxl in read-only mode (formulas as text unless ``data_only``)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=data_only, read_only=True)
    try:
        return [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()


def _all_rows(path: Path) -> dict[str, list[list]]:
    """Every sheet's cached values, with python-calamine (fast)."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 generated department workbooks (in sub-folders) plus the seed rebuilt as .xlsx."""
    from xlperf.io.template import build_workbook

    root = tmp_path_factory.mktemp("batch")
    generate(root / "in", 50, seed=11, subdirs=3)
    build_workbook(load_forms(SEED_TXT)[0]).save(root / "in" / "seed.xlsx")
    return root


def _expected(folder: Path) -> dict[str, Decimal | int]:
    tot: dict[str, Decimal | int] = {"basic": Decimal(0), "project": Decimal(0), "fiscal": Decimal(0), "tasks": 0,
                                     "indicators": 0, "forms": 0}
    for p in sorted(folder.rglob("*.xlsx")):
        for f in load_forms(p):
            tot["basic"] += f.budget.basic or 0
            tot["project"] += f.budget.project or 0
            tot["fiscal"] += f.budget.fiscal or 0
            tot["tasks"] += len(f.tasks)
            tot["indicators"] += f.indicator_count
            tot["forms"] += 1
    return tot


@needs_libreoffice
def test_totals_and_row_counts_after_libreoffice_recalculation(batch: Path, tmp_path: Path) -> None:
    src = batch / "in"
    before = _digest(src)
    out = tmp_path / "汇总.xlsx"
    code = main(["consolidate", str(src), "-o", str(out), "--quiet"])
    assert code in (0, 1)  # 1 only when the validator reports errors in the synthetic forms
    assert _digest(src) == before  # inputs never modified
    exp = _expected(src)
    assert exp["forms"] == 51
    rows = _sheet_rows(recalc(out, tmp_path), "部门汇总", data_only=True)
    head = rows[0]
    total = next(r for r in rows if r[0] == "合计")
    data = rows[1:rows.index(total)]
    assert len(data) == 51
    col = {name: head.index(name) for name in head}
    for name, key in (("基本支出", "basic"), ("项目支出", "project"), ("财政拨款", "fiscal")):
        assert Decimal(str(round(total[col[name]], 2))) == exp[key], name
    assert total[col["任务数"]] == exp["tasks"] and total[col["指标数"]] == exp["indicators"]
    # the totals row holds live SUM formulas
    raw_total = next(r for r in _sheet_rows(out, "部门汇总") if r[0] == "合计")
    assert str(raw_total[col["项目支出"]]).startswith("=SUM(")
    assert len(_sheet_rows(out, "任务明细")) - 1 == exp["tasks"]
    assert len(_sheet_rows(out, "指标明细")) - 1 == exp["indicators"]
    files = _sheet_rows(out, "文件清单")
    assert len(files) - 1 == 51 and {r[2] for r in files[1:]} == {"成功"}


def test_api_dataframes_and_exports(batch: Path, tmp_path: Path) -> None:
    import xlperf

    exp = _expected(batch / "in")
    with xlperf.consolidate(batch / "in", jobs=2, executor="thread") as cons:
        assert isinstance(cons, xlperf.Consolidation)
        assert len(cons.departments) == 51 and len(cons.tasks) == exp["tasks"]
        assert len(cons.indicators) == exp["indicators"] and len(cons.files) == 51
        assert cons.departments["项目支出"].dtype == "float64"
        assert round(cons.departments["基本支出"].sum(), 2) == float(exp["basic"])
        assert cons.totals["项目支出"] == exp["project"]  # exact Decimal
        assert set(cons.indicators["一级指标"]) <= {"产出指标", "效益指标", "成本指标", "满意度指标"}
        cats = cons.category_counts()  # the 图表 sheet's source
        assert sum(cats.values()) == exp["indicators"]
        assert cats == cons.indicators.groupby(["一级指标", "二级指标"]).size().to_dict()
        assert list(cons.issues.columns) == ["来源文件", "工作表", "单元格", "部门名称", "级别", "代码", "说明", "任务", "指标"]
        csvs = cons.to_csv(tmp_path / "csv")
        assert {p.name for p in csvs} == {"部门汇总.csv", "任务明细.csv", "指标明细.csv", "校验问题.csv", "文件清单.csv"}
        data = json.loads(cons.to_json(tmp_path / "out.json").read_text(encoding="utf-8"))
        assert data["summary"]["departments"] == 51 and data["summary"]["tasks"] == exp["tasks"]
        assert data["summary"]["totals"]["基本支出"] == pytest.approx(float(exp["basic"]))


def test_process_and_thread_executors_give_the_same_workbook(batch: Path, tmp_path: Path) -> None:
    import xlperf

    outs = []
    for ex in ("process", "thread", "serial"):
        with xlperf.consolidate(batch / "in", jobs=2, executor=ex) as cons:
            out = cons.to_excel(tmp_path / f"{ex}.xlsx")
        outs.append(_all_rows(out))
    assert outs[0] == outs[1] == outs[2]


def test_bad_files_are_listed_with_reasons_and_the_batch_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    good = generate(src, 3, seed=4)
    data = good[0].read_bytes()
    (src / "损坏.xlsx").write_bytes(data[: len(data) // 2])
    (src / "改名的文本.xlsx").write_text("这不是工作簿\n只是文本", encoding="utf-8")
    (src / "~$00000_锁文件.xlsx").write_bytes(b"\x05user" + b" " * 160)
    (src / ".隐藏.xlsx").write_bytes(data)
    (src / "说明.docx").write_bytes(b"ignored: not a workbook extension")
    write_workbook(src / "其他表.xlsx", [], extra_sheets={"Sheet1": [["姓名", "电话"], ["张三", "123"]]})
    try:
        import msoffcrypto  # noqa: F401
        from msoffcrypto.format.ooxml import OOXMLFile

        with good[1].open("rb") as fh, (src / "加密.xlsx").open("wb") as out:
            OOXMLFile(fh).encrypt("secret", out)
        encrypted = True
    except ImportError:
        encrypted = False
    out = tmp_path / "out.xlsx"
    code = main(["consolidate", str(src), "-o", str(out), "-q"])
    assert code == 1
    files = {Path(r[1]).name: r for r in _sheet_rows(out, "文件清单")[1:]}
    assert ".隐藏.xlsx" in files and "说明.docx" not in files
    assert files[".隐藏.xlsx"][2] == "忽略" and "隐藏" in files[".隐藏.xlsx"][3]
    assert files["~$00000_锁文件.xlsx"][2] == "忽略" and "锁文件" in files["~$00000_锁文件.xlsx"][3]
    assert files["损坏.xlsx"][2] == "跳过" and "损坏" in files["损坏.xlsx"][3]
    assert files["改名的文本.xlsx"][2] == "跳过" and "文本" in files["改名的文本.xlsx"][3]
    assert files["其他表.xlsx"][2] == "跳过" and "不是绩效目标表" in files["其他表.xlsx"][3]
    if encrypted:
        assert files["加密.xlsx"][2] == "跳过" and "加密" in files["加密.xlsx"][3]
    assert [r[2] for n, r in files.items() if n.startswith("0000")] == ["成功"] * 3
    assert len(_sheet_rows(out, "部门汇总")) >= 1 + 3 + 1  # header, 3 departments, totals


def test_formula_like_text_arrives_as_text(tmp_path: Path) -> None:
    import openpyxl

    src = tmp_path / "in"
    src.mkdir()
    write_workbook(src / "a.xlsx", make_form(0, tasks=10), text_cells={"department": HYPERLINK})
    write_workbook(src / "b.xlsx", make_form(1, tasks=10), text_cells={"department": DDE, "C10": "@SUM(1)"})
    out = tmp_path / "out.xlsx"
    main(["consolidate", str(src), "-o", str(out), "-q"])
    wb = openpyxl.load_workbook(out)
    ws = wb["部门汇总"]
    assert ws["A2"].value == HYPERLINK and ws["A2"].data_type == "s"
    assert ws["A3"].value == DDE and ws["A3"].data_type == "s"
    for name in ("任务明细", "指标明细"):
        cells = [c for row in wb[name].iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=@"]
        assert cells and all(c.data_type == "s" for c in cells)


def _dup_batch(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    a = make_form(0, tasks=10)
    b = make_form(1, tasks=10, department=a.department)  # same name and year, other numbers
    write_workbook(src / "1.xlsx", a)
    write_workbook(src / "2.xlsx", b)
    write_workbook(src / "3.xlsx", make_form(2, tasks=10))
    return src


@pytest.mark.parametrize("mode", ["error", "keep-last", "keep-both"])
def test_duplicate_departments_are_reported_never_silently_double_counted(tmp_path: Path, mode: str) -> None:
    import xlperf

    src = _dup_batch(tmp_path)
    a, b, c = make_form(0, tasks=10), make_form(1, tasks=10), make_form(2, tasks=10)
    with xlperf.consolidate(src, on_duplicate=mode, jobs=1) as cons:
        issues = cons.issues
        dup = issues[issues["代码"] == "XC001"]
        assert len(dup) == 1
        assert a.department in dup.iloc[0]["说明"]
        project = cons.totals["项目支出"]
        status = {Path(f.path).name: f.status for f in cons.file_records}
        if mode == "error":
            assert dup.iloc[0]["级别"] == "错误" and cons.exit_code == 1
            assert project == a.budget.project + c.budget.project
            assert status == {"1.xlsx": "成功", "2.xlsx": "跳过", "3.xlsx": "成功"}
            assert len(cons.tasks) == 20
        elif mode == "keep-last":
            assert dup.iloc[0]["级别"] == "警告"
            assert cons.exit_code == (1 if cons.counts["errors"] else 0)
            assert project == b.budget.project + c.budget.project
            assert status == {"1.xlsx": "跳过", "2.xlsx": "成功", "3.xlsx": "成功"}
            assert set(cons.tasks["来源文件"].map(lambda s: Path(s).name)) == {"2.xlsx", "3.xlsx"}
        else:
            assert dup.iloc[0]["级别"] == "警告"
            assert project == a.budget.project + b.budget.project + c.budget.project
            assert len(cons.departments) == 3 and len(cons.tasks) == 30


def test_duplicate_option_on_the_command_line(tmp_path: Path) -> None:
    src = _dup_batch(tmp_path)
    assert main(["consolidate", str(src), "-o", str(tmp_path / "o.xlsx"), "-q"]) == 1
    code = main(["consolidate", str(src), "-o", str(tmp_path / "o2.xlsx"), "-q", "--on-duplicate", "keep-both"])
    rows = _sheet_rows(tmp_path / "o2.xlsx", "部门汇总")
    assert sum(1 for r in rows[1:] if r[0] == make_form(0).department) == 2
    assert code in (0, 1)


def test_multi_sheet_workbooks_and_output_inside_the_input_folder(tmp_path: Path) -> None:
    src = tmp_path / "in"
    generate(src, 2, seed=5, sheets_per_workbook=2)
    out = src / "汇总.xlsx"
    main(["consolidate", str(src), "-o", str(out), "-q"])
    first = _sheet_rows(out, "部门汇总")
    assert sum(1 for r in first[1:] if r[14]) == 4  # 4 departments (with a 来源文件) from 2 files
    # a second run must not read the previous summary (nor the output) as an input
    main(["consolidate", str(src), "-o", str(out), "-q"])
    files = _sheet_rows(out, "文件清单")
    assert len(files) - 1 == 2
    other = tmp_path / "again.xlsx"
    main(["consolidate", str(src), "-o", str(other), "-q"])
    files = {Path(r[1]).name: r for r in _sheet_rows(other, "文件清单")[1:]}
    assert files["汇总.xlsx"][2] == "跳过" and "汇总文件" in files["汇总.xlsx"][3]


def test_output_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf.consolidation as mod

    src = tmp_path / "in"
    generate(src, 2, seed=6)
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "write_summary", boom)
    with pytest.raises(RuntimeError):
        main(["consolidate", str(src), "-o", str(out), "-q"])
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_could_not_run_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["consolidate", str(tmp_path / "missing"), "-o", str(tmp_path / "o.xlsx")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["consolidate", str(tmp_path / "empty"), "-o", str(tmp_path / "o.xlsx")]) == 2
    generate(tmp_path / "in", 1)
    assert main(["consolidate", str(tmp_path / "in"), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "错误" in err


def test_without_the_validator_it_still_consolidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf.consolidation as mod

    monkeypatch.setattr(mod, "_validator", lambda: (None, "校验模块尚不可用"))
    generate(tmp_path / "in", 2, seed=8)
    with mod.consolidate(tmp_path / "in", jobs=1) as cons:
        assert len(cons.issues) == 0 and cons.notes == ["校验模块尚不可用"]
        assert len(cons.departments) == 2 and cons.exit_code == 0
        out = cons.to_excel(tmp_path / "o.xlsx")
    assert any("校验模块尚不可用" in str(r[0]) for r in _sheet_rows(out, "部门汇总"))


def test_issues_from_the_validator_carry_file_sheet_and_cell(tmp_path: Path) -> None:
    import xlperf

    f = make_form(0, tasks=10)
    f.tasks[0].indicators[0].level1 = "投入指标"  # not a 2021+ 一级指标
    f.budget.basic = None
    (tmp_path / "in").mkdir()
    write_workbook(tmp_path / "in" / "a.xlsx", f)
    with xlperf.consolidate(tmp_path / "in", jobs=1) as cons:
        if not cons.validated:
            pytest.skip("validator not available")
        issues = cons.issues
        assert len(issues) > 0
        assert all(s.endswith("a.xlsx") for s in issues["来源文件"])
        assert set(issues["工作表"]) == {"绩效目标表"}
        assert issues["单元格"].notna().any()
        assert cons.departments.loc[0, "错误数"] == (issues["级别"] == "错误").sum()


@needs_libreoffice
def test_xls_and_ods_inputs(tmp_path: Path) -> None:
    import subprocess
    import uuid

    from tests.conftest import soffice

    src = tmp_path / "in"
    paths = generate(tmp_path / "gen", 2, seed=12, tasks=10)
    src.mkdir()
    profile = Path("/tmp") / f"xlperf-lo-{uuid.uuid4().hex}"
    try:
        for fmt, p in (("ods", paths[0]), ("xls", paths[1])):
            subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                            "--convert-to", fmt, "--outdir", str(src), str(p)], check=True, capture_output=True,
                           timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    import xlperf

    with xlperf.consolidate(src, jobs=1) as cons:
        assert sorted(Path(f.path).suffix for f in cons.file_records) == [".ods", ".xls"]
        assert [f.status for f in cons.file_records] == ["成功", "成功"]
        assert cons.totals["项目支出"] == sum(make_form(i, seed=12, tasks=10).budget.project for i in range(2))


def test_pandas_reads_every_sheet_with_the_right_shape(tmp_path: Path) -> None:
    import pandas as pd

    import xlperf

    generate(tmp_path / "in", 3, seed=13, tasks=10)
    with xlperf.consolidate(tmp_path / "in", jobs=1) as cons:
        out = cons.to_excel(tmp_path / "o.xlsx")
        frames = pd.read_excel(out, sheet_name=None, engine="openpyxl")
        assert list(frames) == ["部门汇总", "任务明细", "指标明细", "校验问题", "文件清单", "图表"]
        for name, df in (("任务明细", cons.tasks), ("指标明细", cons.indicators), ("校验问题", cons.issues),
                         ("文件清单", cons.files)):
            assert frames[name].shape == df.shape, name
            assert list(frames[name].columns) == list(df.columns)
        dept = frames["部门汇总"]
        assert dept["部门名称"].tolist()[:3] == cons.departments["部门名称"].tolist()
        assert dept.loc[3, "部门名称"] == "合计"


def test_a_worker_that_dies_does_not_stop_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import sys

    import xlperf.consolidation as mod
    import xlperf.consolidation.worker as worker

    if not sys.platform.startswith("linux"):
        pytest.skip("forked workers only on Linux")
    paths = generate(tmp_path / "in", 6, seed=14, tasks=10)
    parent = os.getpid()
    real = worker.process_file
    in_parent: list[str] = []

    def dying(path, *args, **kwargs):
        if os.getpid() != parent and path.name == paths[2].name:
            os._exit(3)  # a worker process crashes (as on a segfault)
        if os.getpid() == parent:
            in_parent.append(path.name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(worker, "process_file", dying)  # the workers look it up in their module
    with mod.consolidate(tmp_path / "in", jobs=2, executor="process") as cons:
        statuses = {Path(f.path).name: (f.status, f.reason) for f in cons.file_records}
        assert len(cons.departments) == 5
    # the file that kills its reader is listed as 跳过 with the reason; it is never read in this process
    # (a native crash there would end the whole batch); every other file is consolidated
    assert statuses.pop(paths[2].name)[0] == "跳过"
    assert {s for s, _ in statuses.values()} == {"成功"}
    assert paths[2].name not in in_parent


def test_output_that_cannot_be_written_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate(tmp_path / "in", 1)
    (tmp_path / "afile").write_text("x")
    assert main(["consolidate", str(tmp_path / "in"), "-o", str(tmp_path / "afile" / "o.xlsx"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "无法写入" in err and "Traceback" not in err


def test_chart_sheet_tables_and_native_charts(tmp_path: Path) -> None:
    import zipfile

    import xlperf

    generate(tmp_path / "in", 33, seed=15, tasks=10, indicators=3)
    with xlperf.consolidate(tmp_path / "in", jobs=1) as cons:
        out = cons.to_excel(tmp_path / "o.xlsx")
        projects = sorted(cons.departments["项目支出"], reverse=True)
        total = cons.totals["项目支出"]
        cats = cons.category_counts()
    rows = _all_rows(out)["图表"]
    assert rows[0][0] == "项目支出（万元）：前 30 个部门" and rows[1][:3] == ["部门名称", "项目支出", "基本支出"]
    shown = [r[1] for r in rows[2:32]]
    assert shown == pytest.approx(projects[:30])
    assert rows[32][0] == "其他 3 个部门" and rows[32][1] == pytest.approx(float(total) - sum(projects[:30]))
    by1 = {r[0]: r[1] for r in rows if r[0] in ("产出指标", "效益指标", "成本指标", "满意度指标")}
    assert by1 == {l1: sum(k for (a, _b), k in cats.items() if a == l1) for l1 in by1}
    with zipfile.ZipFile(out) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 3
        first = zf.read("xl/charts/chart1.xml").decode()
        assert "<c:barChart>" in first and "$B$3:$B$32" in first  # the 30 departments, not the 其他 row


def test_details_beyond_the_sheet_row_limit_continue_on_a_second_sheet(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf
    import xlperf.io.fastxlsx as fx

    # Excel's 1,048,576, scaled down (to what the 图表 sheet, one table with its chart per page, still fits in)
    monkeypatch.setattr(fx, "MAX_ROWS", 60)
    generate(tmp_path / "in", 2, seed=16, tasks=10, indicators=3)
    with xlperf.consolidate(tmp_path / "in", jobs=1) as cons:
        out = cons.to_excel(tmp_path / "o.xlsx")
        n_ind = len(cons.indicators)
    sheets = _all_rows(out)
    assert n_ind == 60 and "指标明细2" in sheets
    assert len(sheets["指标明细"]) == 60 and sheets["指标明细2"][0] == sheets["指标明细"][0]
    assert len(sheets["指标明细"]) - 1 + len(sheets["指标明细2"]) - 1 == n_ind


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_config_changes_the_issues_and_counts(tmp_path: Path, executor: str) -> None:
    """``consolidate(config=...)`` validates every form with that configuration (in worker processes too)."""
    import xlperf
    from xlperf.core.config import Config

    (tmp_path / "in").mkdir()
    for i in range(2):
        form = make_form(i, seed=17, tasks=10)
        for t in form.tasks[:2]:  # XP305 (warning): a task without 满意度指标
            t.indicators = [x for x in t.indicators if x.level1 != "满意度指标"] or t.indicators
        write_workbook(tmp_path / "in" / f"{i}.xlsx", form)

    def run(config: Config | None) -> tuple[list[tuple[str, str]], dict[str, int], list[int]]:
        with xlperf.consolidate(tmp_path / "in", jobs=2, executor=executor, config=config) as cons:
            if not cons.validated:
                pytest.skip("validator not available")
            issues = list(zip(cons.issues["代码"], cons.issues["级别"], strict=True))
            return issues, cons.counts, cons.departments["错误数"].tolist()

    issues, counts, dept_errors = run(None)
    xp305 = [sev for code, sev in issues if code == "XP305"]
    assert xp305 and set(xp305) == {"警告"}
    ignored, counts_ignored, _ = run(Config(ignore=("XP3",)))
    assert not any(code.startswith("XP3") for code, _ in ignored)
    assert counts_ignored["warnings"] == counts["warnings"] - len(xp305)
    raised, counts_raised, dept_errors_raised = run(Config.from_mapping({"severity": {"XP305": "error"}}))
    assert [sev for code, sev in raised if code == "XP305"] == ["错误"] * len(xp305)
    assert counts_raised["errors"] == counts["errors"] + len(xp305)
    assert sum(dept_errors_raised) == sum(dept_errors) + len(xp305)


def test_config_must_be_a_config(tmp_path: Path) -> None:
    import xlperf

    generate(tmp_path / "in", 1, seed=18, tasks=10)
    with pytest.raises(TypeError, match="Config"):
        xlperf.consolidate(tmp_path / "in", config={"ignore": ["XP3"]})  # type: ignore[arg-type]


def test_json_to_stdout_and_counts_that_agree(tmp_path: Path, capsys) -> None:
    """``--json -`` prints the JSON on stdout (the summary goes to stderr); the console's error and warning
    counts are the 合计 row's, and what lies outside it is said apart."""
    from python_calamine import CalamineWorkbook

    forms = tmp_path / "forms"
    generate(forms, 4)
    first = sorted(forms.glob("*.xlsx"))[0]
    shutil.copy(first, forms / "zz_duplicate.xlsx")  # a duplicate department: an XC001 error outside the total
    out = tmp_path / "summary.xlsx"
    code = main(["consolidate", str(forms), "-o", str(out), "--json", "-", "-j", "1"])
    stdout, stderr = capsys.readouterr()
    assert code == 1 and not (Path.cwd() / "-").exists()
    data = json.loads(stdout)
    assert data["summary"]["departments"] == 4
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("部门汇总").to_python()
    total = next(r for r in rows if r[0] == "合计")
    said = re.search(r"错误 ([\d,]+)，警告 ([\d,]+)", stderr)
    assert said and (int(said.group(1)), int(said.group(2))) == (int(total[12]), int(total[13]))
    assert "另有错误 1" in stderr
    assert main(["consolidate", str(forms), "-o", str(tmp_path / "s2.xlsx"), "--format", "json", "-q"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"] == data["summary"]


def test_discover_counts_a_file_once_through_links(tmp_path: Path) -> None:
    """A workbook reached through a linked file or a linked folder is the same input: listed once (the
    path key resolves each folder once, and a linked file on its own)."""
    import os

    from xlperf.consolidation import discover

    if not hasattr(os, "symlink"):
        pytest.skip("needs symlinks (POSIX)")
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    for name in ("a.xlsx", "sub/b.xlsx"):
        (real / name).write_bytes(b"PK")
    try:
        (tmp_path / "alias").symlink_to(real, target_is_directory=True)
        (real / "link.xlsx").symlink_to(real / "sub" / "b.xlsx")
    except OSError:
        pytest.skip("symlinks not permitted here")
    found = discover([real, tmp_path / "alias", tmp_path / "alias" / "a.xlsx"])
    keys = sorted(str(p.resolve().relative_to(real.resolve())) for p, _ in found)
    assert keys == ["a.xlsx", "sub/b.xlsx"]
    assert all(reason is None for _, reason in found)
