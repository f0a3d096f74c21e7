"""One workflow for every way in: the same configuration, the same form sheet, the same save policy.

Each test is a regression test for a bug of the time when the command line, the Excel buttons and
consolidation each carried their own read -> choose sheet -> configure -> plan -> apply -> save.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

import xlperf
from tests import xlwings_double as xd
from xlperf import excel
from xlperf.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xlperf-home"
    monkeypatch.setenv("XLPERF_HOME", str(home))
    return home


def codes_of_ribbon(book: xd.FakeBook) -> set[str]:
    ws = book.wb["校验结果"]
    return {r[2] for r in ws.iter_rows(min_row=2, values_only=True) if r[2]}


def json_out(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


# -- one configuration path -----------------------------------------------------------------------------


def test_config_beside_the_workbook_counts_for_every_way_in(seed_xlsx: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: xlperf.toml changed ``validate`` but not consolidation's 校验问题 nor the ribbon."""
    folder = tmp_path / "办公室"
    folder.mkdir()
    path = folder / "表.xlsx"
    shutil.copy(seed_xlsx, path)
    _, before = json_out(capsys, "validate", str(path), "--format", "json")
    assert any(i["code"].startswith("XP3") for i in before["files"][0]["issues"])
    (tmp_path / "xlperf.toml").write_text('ignore = ["XP3"]\n[severity]\nXP401 = "info"\n', encoding="utf-8")

    _, after = json_out(capsys, "validate", str(path), "--format", "json")
    issues = after["files"][0]["issues"]
    assert issues and not any(i["code"].startswith("XP3") for i in issues)
    assert {i["severity"] for i in issues if i["code"] == "XP401"} == {"info"}

    with xlperf.consolidate([path], executor="serial", config=xlperf_settings(path)) as cons:
        assert set(cons.issues["代码"]) == {i["code"] for i in issues}
    out = tmp_path / "汇总.xlsx"
    main(["consolidate", str(path), "-o", str(out), "--json", str(tmp_path / "汇总.json"), "-q"])
    summary = json.loads((tmp_path / "汇总.json").read_text(encoding="utf-8"))
    assert {i["代码"] for i in summary["issues"]} == {i["code"] for i in issues}

    book = xd.FakeBook(path)
    excel.validate_button(book=book)
    assert codes_of_ribbon(book) == {i["code"] for i in issues}

    # the Python API discovers the same file (regression: it used the defaults)
    report = xlperf.validate(path)
    assert [(i.code, i.severity) for i in report.issues] == [(i["code"], i["severity"]) for i in issues]
    assert {i.code for i in xlperf.validate(path, config={}).issues} == {i["code"] for i in before["files"][0]["issues"]}
    with xlperf.consolidate([path], executor="serial") as cons:
        assert set(cons.issues["代码"]) == {i["code"] for i in issues}


def xlperf_settings(path: Path):
    from xlperf.settings import load_settings

    return load_settings(path).config


def test_layers_and_origins(tmp_path: Path, _home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Defaults < the user's own file < the workbook's (nearest folder up) < flags; ``xlperf config`` says
    where each setting came from."""
    from xlperf.settings import load_settings

    _home.mkdir(parents=True)
    (_home / "xlperf.toml").write_text('min-indicators = 5\nignore = ["XP412"]\n[severity]\nXP305 = "info"\n',
                                       encoding="utf-8")
    project = tmp_path / "局" / "处"
    project.mkdir(parents=True)
    (tmp_path / "局" / "pyproject.toml").write_text('[tool.xlperf]\nmin-satisfaction = 90\nignore = ["XP305"]\n',
                                                    encoding="utf-8")
    wb = project / "表.xlsx"
    st = load_settings(wb, overrides={"min_indicators": 4})
    cfg = st.config
    assert cfg.min_indicators == 4 and str(cfg.min_satisfaction) == "90" and cfg.ignore == ("XP412", "XP305")
    assert st.origins["min_indicators"] == "命令行参数"
    assert st.origins["min_satisfaction"] == str((tmp_path / "局" / "pyproject.toml").resolve())
    assert st.origins["severity"] == str(_home / "xlperf.toml")
    assert "money_places" not in st.origins
    # --config replaces the workbook's file, not the user's
    other = tmp_path / "other.toml"
    other.write_text("money-places = 4\n", encoding="utf-8")
    cfg2 = load_settings(wb, config=other).config
    assert cfg2.money_places == 4 and cfg2.min_satisfaction == 80 and cfg2.min_indicators == 5

    assert main(["config", str(wb), "--json"]) == 0
    shown = {s["name"]: s for s in json.loads(capsys.readouterr().out)["settings"]}
    assert shown["min-satisfaction"]["value"] == 90 and shown["min-satisfaction"]["origin"].endswith("pyproject.toml")
    assert shown["money-places"]["origin"] == "默认值"
    assert main(["config", str(wb)]) == 0
    text = capsys.readouterr().out
    assert "min-indicators" in text and "← 默认值" in text and str(_home / "xlperf.toml") in text


def test_a_broken_user_file_is_a_clear_error(tmp_path: Path, _home: Path, seed_xlsx: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _home.mkdir(parents=True)
    (_home / "xlperf.toml").write_text("min-indicators = \"三\"\n", encoding="utf-8")
    assert main(["validate", str(seed_xlsx)]) == 2
    err = capsys.readouterr().err
    assert "min-indicators" in err and "xlperf.toml" in err and "Traceback" not in err
    book = xd.FakeBook(seed_xlsx)
    message = excel.validate_button(book=book)
    assert message.startswith("校验未完成：") and "min-indicators" in message


# -- one rule for the form sheet ------------------------------------------------------------------------


def _two_forms(seed_xlsx: Path, tmp_path: Path, *, hide_first: bool = False, active: int = 0,
               report_first: bool = False) -> Path:
    """The seed twice (the second sheet another department), optionally a hidden first sheet and a
    校验结果 sheet first, as a clerk's workbook may be."""
    wb = openpyxl.load_workbook(seed_xlsx)
    first = wb.worksheets[0]
    second = wb.copy_worksheet(first)
    second.title = "第二张"
    second["B2"] = "另一个部门"
    if hide_first:
        first.sheet_state = "hidden"
    if report_first:
        ws = wb.create_sheet("校验结果", 0)
        ws["A1"] = "序号"
        # a copy of a form in xlperf's own result sheet is still not the form
        for row in first.iter_rows(min_row=1, max_row=60):
            for c in row:
                if c.value is not None and not isinstance(c, openpyxl.cell.cell.MergedCell):
                    ws.cell(c.row, c.column).value = c.value
    wb.active = wb.sheetnames.index("第二张") if active == 1 else 0
    p = tmp_path / "two.xlsx"
    wb.save(p)
    return p


def _chosen(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    out = {}
    _, data = json_out(capsys, "validate", str(path), "--format", "json")
    out["validate"] = data["files"][0]["sheet"]
    _, data = json_out(capsys, "validate", "--mark", str(path), "-o", str(path.with_name("m.xlsx")), "--format", "json")
    out["validate --mark"] = data["files"][0]["sheet"]
    out["parse"] = xlperf.parse(path).sheet
    out["autosum"] = xlperf.autosum(path, dry_run=True).sheet
    book = xd.FakeBook(path)
    msg = excel.validate_button(book=book)
    out["ribbon"] = re.match(r"「(.+?)」", msg).group(1)
    return out


@pytest.mark.parametrize(("hide_first", "active", "report_first", "expected"), [
    (False, 0, False, "绩效目标表"),
    (False, 1, False, "第二张"),       # the active sheet first
    (True, 0, False, "第二张"),        # hidden sheets are never taken
    (False, 0, True, "绩效目标表"),    # nor xlperf's own 校验结果
])
def test_every_way_in_takes_the_same_sheet(seed_xlsx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           hide_first: bool, active: int, report_first: bool, expected: str) -> None:
    """Regression: four copies of the rule (hidden sheets skipped on one path only, xlperf's own sheets on
    another)."""
    path = _two_forms(seed_xlsx, tmp_path, hide_first=hide_first, active=active, report_first=report_first)
    if report_first:
        wb = openpyxl.load_workbook(path)
        wb.active = 0
        wb.save(path)
    chosen = _chosen(path, capsys)
    assert set(chosen.values()) == {expected}, chosen
    # consolidation takes every form sheet, by the same rule
    with xlperf.consolidate([path], executor="serial") as cons:
        sheets = list(cons.departments["工作表"])
    assert sheets == [s for s in ("绩效目标表", "第二张") if not (hide_first and s == "绩效目标表")]


def test_no_form_is_one_message_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便写的表"
    p = tmp_path / "not.xlsx"
    wb.save(p)
    messages = set()
    assert main(["validate", str(p)]) == 2
    messages.add(capsys.readouterr().err.splitlines()[0].split("错误：", 1)[1].strip())
    with pytest.raises(xlperf.XlperfError) as exc:
        xlperf.autosum(p)
    messages.add(exc.value.message)
    book = xd.FakeBook(p)
    messages.add(excel.validate_button(book=book).split("未完成：", 1)[1])
    with xlperf.consolidate([p], executor="serial") as cons:
        messages.add(cons.file_records[0].reason)
    assert len(messages) == 1, messages


# -- one save policy ------------------------------------------------------------------------------------


def test_one_backup_naming(seed_xlsx: Path, tmp_path: Path, _home: Path) -> None:
    """Regression: backups were named by two different functions (``NAME.bak-STAMP.xlsx`` beside the
    file, ``NAME.STAMP.xlsx`` in the add-in's folder)."""
    path = tmp_path / "部门 表.xlsx"
    shutil.copy(seed_xlsx, path)
    from xlperf.validation import mark_file

    res = mark_file(path, in_place=True)
    book = xd.FakeBook(path)
    excel.validate_button(book=book)
    [live] = (_home / "backups").iterdir()
    pattern = re.compile(r"部门 表\.bak-\d{8}-\d{6}(-\d+)?\.xlsx")
    assert pattern.fullmatch(res.backup.name) and pattern.fullmatch(live.name)


def test_the_ribbon_releases_consolidation_spools(seed_xlsx: Path, tmp_path: Path) -> None:
    """Regression: the spool files of a consolidation from the ribbon stayed open in the long-running
    Python process behind the add-in."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc/self/fd (Linux) to count open files")
    book = xd.FakeBook(seed_xlsx)
    excel.consolidate_button([str(seed_xlsx)], book=book)  # warm up imports and caches

    def spools() -> list[str]:
        out = []
        for fd in os.listdir(fds):
            try:
                target = os.readlink(fds / fd)
            except OSError:
                continue
            if "xlperf-spool" in target or target.endswith("(deleted)"):
                out.append(target)
        return out

    before = spools()
    for _ in range(3):
        excel.consolidate_button([str(seed_xlsx)], book=book)
    assert spools() == before


def test_restore_fill_is_an_edit_every_adapter_applies(tmp_path: Path) -> None:
    """Regression: ``RestoreFill`` was an edit that ``apply_edits`` refused, so validation worked around it."""
    from openpyxl.styles import PatternFill

    from xlperf.core.edits import RestoreFill
    from xlperf.io.xlsx import apply_edits, fill_spec

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"].fill = PatternFill("darkGrid", start_color="FF0000", end_color="00FF00")
    spec = fill_spec(ws["B2"])
    assert spec.startswith("xml:")
    ws["B2"].fill = PatternFill(fill_type=None)
    apply_edits(wb, ws, [RestoreFill(1, 1, spec)])
    assert fill_spec(ws["B2"]) == spec


def test_every_package_folder_ships() -> None:
    """setuptools' package discovery takes folders with an ``__init__.py`` only: a feature module in a
    folder without one would be missing from the wheel."""
    root = Path(xlperf.__file__).parent
    folders = {p.parent for p in root.rglob("*.py")}
    assert all((f / "__init__.py").is_file() for f in folders), sorted(
        str(f) for f in folders if not (f / "__init__.py").is_file())
