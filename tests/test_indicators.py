"""Indicator library (loading, validation, user overrides), task-type detection, insertion planning and
the insert command on the imported seed (merges, shifted formulas, LibreOffice recalculation)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import xlperf
from conftest import needs_libreoffice, recalc
from xlperf.cli import main
from xlperf.core.edits import InsertRows, Merge, SetFill, SetNote, SetValue, Unmerge
from xlperf.core.indicators import (
    AMOUNT,
    IndicatorSet,
    LibraryError,
    TaskNotFoundError,
    build_insert_plan,
    detect_form,
    find_task,
    load_library,
    parse_set,
    plan_insert,
)
from xlperf.core.indicators.library import REQUIRED
from xlperf.core.model import Form, Indicator, Task
from xlperf.core.parse import parse_grid
from xlperf.core.text import squash
from xlperf.io.readers import grid_from_worksheet, load_form, read_grids, read_text
from xlperf.io.template import build_workbook
from xlperf.io.xlsx import apply_edits

BUILTIN_TYPES = {
    "慰问", "办公经费", "公务用车购置", "政府购买服务", "补助补贴", "保险补贴", "会议", "培训", "信息化建设",
    "信息化运维", "人才引进", "基本建设", "专项业务", "驻外办事处", "设备购置", "调研课题",
    # added for issue 13: task types a municipal department meets
    "公务用车运行维护", "物业管理与安保", "党建与精神文明", "离退休干部", "专业服务", "聘用人员",
}


@pytest.fixture(autouse=True)
def _no_user_library(tmp_path_factory, monkeypatch):
    """Tests never see the developer's own ~/.config/xlperf/indicators."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("APPDATA", raising=False)


@pytest.fixture(scope="module")
def lib():
    return load_library(user=False)


# ---------------------------------------------------------------- the library


def test_builtin_library_is_complete_and_canonical(lib):
    from xlperf.core.framework import default_framework

    fw = default_framework()
    assert {s.name for s in lib} == BUILTIN_TYPES
    assert sum(1 for s in lib if s.fallback) == 1
    for s in lib:
        assert s.slug and (Path(__file__).parents[1] / "xlperf/data/indicators" / f"{s.slug}.toml").exists()
        for l1, l2s in REQUIRED.items():
            assert any(i.level1 == l1 for i in s.indicators), (s.name, l1)
            for l2 in l2s:
                assert any(i.level1 == l1 and i.level2 == l2 for i in s.indicators), (s.name, l2)
        for i in s.indicators:
            assert i.level2 in fw.level2_names(i.level1), (s.name, i.name)
            if "满意" in i.name:
                assert (i.level1, i.level2) == ("满意度指标", "服务对象满意度指标")
            if i.value == AMOUNT:
                assert i.unit == "万元" and i.level1 == "成本指标"
            if i.op != "定性":
                assert i.unit
        assert 0 < sum(i.core for i in s.indicators) < len(s.indicators), s.name
        assert len(s.indicators) >= 7


def test_every_set_passes_the_framework_rules(lib, seed_form):
    """Every built-in set, as a task of the seed, passes every indicator rule: no entry repeats a pattern
    the seed's review flagged (an input as output, a completion rate as 效益 or 时效, compliance boilerplate).
    Left out: the budget (XP1xx) and the seed's header (XP210), and XP410, the N/X placeholders the clerk
    fills in."""
    validation = pytest.importorskip("xlperf.validation")
    for s in lib:
        form = seed_form.model_copy(deep=True)
        task = Task(seq=1, name=f"测试{s.name}", content="内容", amount=Decimal(50), sheet=form.sheet, row=12, last_row=12)
        task.indicators = [
            Indicator(level1=i.level1, level2=i.level2, name=i.name, core=i.core, op=i.op,
                      value=i.value if not isinstance(i.value, str) or i.op == "定性" else Decimal(50),
                      unit=i.unit, sheet=form.sheet, row=12 + k,
                      raw={"name": i.name, "op": i.op, "value": i.value if i.op == "定性" else "50"})
            for k, i in enumerate(s.indicators)
        ]
        form.tasks = [task]
        report = validation.validate(form)
        bad = [(x.code, x.indicator, x.message) for x in report.issues
               if not x.code.startswith("XP1") and x.code not in ("XP210", "XP410")]
        assert bad == [], (s.name, bad)


SET_TOML = """
name = "测试类型"
keywords = [{ words = ["测绘"], weight = 3 }]
[[indicators]]
level1 = "成本指标"
level2 = "经济成本指标"
name = "测绘费用"
op = "≤"
value = "{拟投入}"
unit = "万元"
core = true
[[indicators]]
level1 = "产出指标"
level2 = "数量指标"
name = "测绘面积"
op = ">="
value = "N"
unit = "平方公里"
[[indicators]]
level1 = "产出指标"
level2 = "质量指标"
name = "成果合格率"
op = "="
value = 100
unit = "%"
[[indicators]]
level1 = "产出指标"
level2 = "时效指标"
name = "按期完成率"
op = "="
value = 100
unit = "%"
[[indicators]]
level1 = "效益指标"
level2 = "社会效益指标"
name = "成果应用情况"
op = "定性"
value = "有效保障"
[[indicators]]
level1 = "满意度指标"
level2 = "服务对象满意度指标"
name = "使用单位满意度"
op = "≥"
value = 90.5
unit = "%"
"""


def test_parse_set_normalises_and_keeps_decimals():
    s = parse_set(SET_TOML, slug="survey")
    assert s.slug == "survey" and s.indicators[1].op == "≥"
    assert s.indicators[5].value == Decimal("90.5")
    assert [i.needs_value for i in s.indicators] == [False, True, False, False, False, False]
    assert s.indicators[0].placeholder == AMOUNT


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('level2 = "社会效益指标"', 'level2 = "社会效益"', "不是规范名称"),
        ('level1 = "满意度指标"', 'level1 = "满意指标"', "一级指标"),
        ('op = "="\nvalue = 100\nunit = "%"\n[[indicators]]\nlevel1 = "效益指标"',
         'op = "约"\nvalue = 100\nunit = "%"\n[[indicators]]\nlevel1 = "效益指标"', "对比符号"),
        ('value = "有效保障"', 'value = "N"', "定性"),
        ('value = 90.5\nunit = "%"', 'value = "九十"\nunit = "%"', "不是数字"),
        ('value = 90.5\nunit = "%"', "value = 90.5", "计量单位"),
        ('level2 = "时效指标"', 'level2 = "质量指标"', "产出指标/时效指标"),
        ('name = "成果合格率"', 'name = "按期完成率"', "重复"),
        ("core = true", "core = false", "核心指标"),
        ('keywords = [{ words = ["测绘"], weight = 3 }]', 'keywords = [{ words = ["测绘"], pattern = "x" }]', "二选一"),
        ('keywords = [{ words = ["测绘"], weight = 3 }]', 'keywords = [{ pattern = "(" }]', "正则"),
        ('keywords = [{ words = ["测绘"], weight = 3 }]', "", "fallback"),
        ('name = "测试类型"', 'name = "测试类型"\ncolour = "red"', "colour"),
        ('unit = "万元"', 'unit = "元"', "万元"),
        ('name = "使用单位满意度"', 'name = "服务对象满意度"', "只是一级/二级指标的名称"),
    ],
)
def test_invalid_sets_are_refused_in_chinese(old, new, message):
    assert old in SET_TOML
    with pytest.raises(LibraryError) as exc:
        parse_set(SET_TOML.replace(old, new, 1), origin="user/x.toml")
    assert message in str(exc.value) and "user/x.toml" in str(exc.value)


def test_broken_toml_is_a_library_error():
    with pytest.raises(LibraryError, match="TOML"):
        parse_set("name = ", origin="x.toml")


def test_user_library_adds_and_overrides(tmp_path, monkeypatch):
    d = tmp_path / "mylib"
    d.mkdir()
    (d / "survey.toml").write_text(SET_TOML, encoding="utf-8")
    override = SET_TOML.replace('name = "测试类型"', 'name = "慰问"\naliases = ["看望"]').replace("测绘费用", "慰问费用")
    (d / "my_condolence.toml").write_text(override, encoding="utf-8")
    lib = load_library(d, user=False)
    assert len(lib) == len(BUILTIN_TYPES) + 1
    assert lib.get("测试类型").origin.endswith("survey.toml")
    assert lib.get("慰问").indicators[0].name == "慰问费用"  # replaced the built-in set
    assert lib.get("condolence").indicators[0].name == "慰问费用"  # the built-in slug still finds it
    assert lib.get(" 看望 ").name == "慰问"
    # the user config location
    cfg = tmp_path / "cfg"
    (cfg / "xlperf" / "indicators").mkdir(parents=True)
    (cfg / "xlperf" / "indicators" / "survey.toml").write_text(SET_TOML, encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(cfg))
    assert load_library().get("测试类型") is not None
    assert load_library(user=False).get("测试类型") is None


def test_missing_library_dir_and_bad_user_file(tmp_path):
    with pytest.raises(LibraryError, match="目录不存在"):
        load_library(tmp_path / "nope", user=False)
    (tmp_path / "bad.toml").write_text(SET_TOML.replace('level2 = "数量指标"', 'level2 = "数量"'), encoding="utf-8")
    with pytest.raises(LibraryError, match="bad.toml"):
        load_library(tmp_path, user=False)


# ---------------------------------------------------------------- detection

SEED_TYPES = {
    1: "慰问", 2: "办公经费", 3: "公务用车购置", 4: "政府购买服务", 5: "保险补贴", 6: "专项业务",
    7: "驻外办事处", 8: "驻外办事处", 9: "专项业务", 10: "人才引进",
}


def test_detect_seed(lib, seed_form):
    guesses = detect_form(seed_form, lib)
    assert {g.seq: g.type for g in guesses} == SEED_TYPES
    conf = {g.seq: g.confidence for g in guesses}
    assert all(0 < c <= 1 for c in conf.values())
    assert min(conf[k] for k in (1, 3, 6, 7, 8, 10)) >= 0.8
    assert conf[9] < 0.6  # a weak guess says so
    assert not any(g.fallback for g in guesses)
    assert "补助补贴" in [t for t, _ in guesses[4].alternatives]


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("2026年全市干部业务培训", "", "培训"),
        ("全市安全生产工作会议", "", "会议"),
        ("困难群众生活补助", "发放生活补助", "补助补贴"),
        ("政务服务平台升级改造", "新建预约模块", "信息化建设"),
        ("机房及网络运维", "", "信息化运维"),
        ("办公楼维修改造工程", "", "基本建设"),
        ("执法记录仪购置", "购置执法记录仪 20 台", "设备购置"),
        ("县域经济发展专题调研", "", "调研课题"),
        ("驻深圳联络处运行经费", "", "驻外办事处"),
        ("机关日常运转", "水电物业", "办公经费"),
        ("森林防火宣传", "", "专项业务"),
        ("农业保险保费补贴", "", "保险补贴"),
    ],
)
def test_detect_keywords(lib, name, content, expected):
    from xlperf.core.indicators import detect_text

    s, conf, hits, _ = detect_text(name, content, lib)
    assert s is not None and s.name == expected, (name, s and s.name, hits)
    assert conf > 0.3


def test_unmatched_task_gets_the_fallback(lib):
    from xlperf.core.indicators import detect_task

    g = detect_task(Task(seq=1, name="其他事项", content=""), lib)
    assert g.type == "专项业务" and g.fallback and g.confidence == 0.1


def test_a_user_type_is_detected_without_code(tmp_path):
    (tmp_path / "survey.toml").write_text(SET_TOML, encoding="utf-8")
    guesses = xlperf.detect_task_types(
        Form(tasks=[Task(seq=1, name="基础测绘"), Task(seq=2, name="春节慰问")]), library=tmp_path
    )
    assert [g.type for g in guesses] == ["测试类型", "慰问"]


def test_detect_command(seed_xlsx, capsys):
    assert main(["indicators", "detect", str(seed_xlsx)]) == 0
    out = capsys.readouterr().out
    assert "3. 公务用车购置 → 公务用车购置" in out
    assert "10. 高层次人才引进资助（含下属单位） → 人才引进" in out
    assert main(["indicators", "detect", str(seed_xlsx), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["seq"]: d["type"] for d in data} == SEED_TYPES


def test_detect_command_flags_unrecognised(tmp_path, capsys):
    text = (Path(__file__).parent / "fixtures/seed.txt").read_text(encoding="utf-8")
    p = tmp_path / "x.txt"
    p.write_text(text.replace("市领导春节慰问坚守岗位基层单位", "其他事项").replace(
        "市委、市政府主要领导同志前往看望并慰问节日期间坚守岗位基层单位。", "无"), encoding="utf-8")
    assert main(["indicators", "detect", str(p)]) == 1
    assert "兜底" in capsys.readouterr().out


def test_list_and_show(capsys):
    assert main(["indicators", "list"]) == 0
    out = capsys.readouterr().out
    assert f"共 {len(BUILTIN_TYPES)} 个类型" in out and "慰问" in out and "兜底" in out
    assert main(["indicators", "show", "公车购置"]) == 0  # an alias
    out = capsys.readouterr().out
    assert "公务用车购置" in out and "单车购置价格" in out and "≤18万元/辆" in out and "待填写" in out
    assert main(["indicators", "show", "不存在的类型"]) == 2


# ---------------------------------------------------------------- planning (pure)


def _seed_grid(seed_xlsx: Path):
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb.active
    grid = grid_from_worksheet(ws)
    return wb, ws, grid, parse_grid(grid)


def test_plan_for_task_1(seed_xlsx, lib):
    _, _, grid, form = _seed_grid(seed_xlsx)
    plan = build_insert_plan(grid, form, find_task(form, 1), lib.require("慰问"))
    assert plan.inserted_at == 12 and plan.inserted == 7 and plan.reused == 0
    assert plan.span == (9, 18)
    kinds = [type(e) for e in plan.edits]
    assert kinds[0] is InsertRows and plan.edits[0] == InsertRows(12, 7, style_from=11)
    merges = [e for e in plan.edits if isinstance(e, Merge)]
    unmerges = [e for e in plan.edits if isinstance(e, Unmerge)]
    assert sorted((m.c0, m.r0, m.r1) for m in merges) == [(c, 9, 18) for c in range(5)]
    assert sorted((u.c0, u.r0, u.r1) for u in unmerges) == [(c, 9, 11) for c in range(5)]
    values = {(e.row, e.col): e.value for e in plan.edits if isinstance(e, SetValue)}
    assert values[(12, 7)] == "慰问标准" and values[(12, 10)] == "X元/单位" and values[(12, 9)] == "≤"
    assert values[(13, 10)] == "34万元"  # {拟投入} filled with the task's amount
    assert values[(17, 9)] == "定性" and values[(17, 10)] == "明显提升"
    assert values[(18, 10)] == "90%" and values[(18, 8)] == "否"
    fills = {(e.row, e.col) for e in plan.edits if isinstance(e, SetFill)}
    notes = {(e.row, e.col): e.text for e in plan.edits if isinstance(e, SetNote)}
    assert fills == {(12, 10), (14, 10)} == set(notes)
    assert "把 N 换成实际数字" in notes[(14, 10)] and "个" in notes[(14, 10)]
    assert [r.cell for r in plan.needs_value] == ["K13", "K15"]
    assert plan_insert(grid, form, find_task(form, 1), lib.require("慰问")) == plan.edits


def test_plan_skips_existing_names(seed_xlsx, lib):
    _, _, grid, form = _seed_grid(seed_xlsx)
    plan = build_insert_plan(grid, form, find_task(form, 7), lib.require("驻外办事处"))
    assert sorted(s.name for s in plan.skipped) == ["接待服务人次", "接待服务及时率"]
    assert len(plan.rows) == 5
    plan8 = build_insert_plan(grid, form, find_task(form, 8), lib.require("驻外办事处"))
    assert {s.name for s in plan8.skipped} == {"联络对接人次", "接待服务及时率"}
    # all present: nothing to do
    done = Form.model_validate(form.model_dump())
    t = done.tasks[0]
    t.indicators = t.indicators + [Indicator(name=i.name) for i in lib.require("慰问").indicators]
    assert build_insert_plan(grid, done, find_task(done, 1), lib.require("慰问")).edits == []


def test_plan_unknown_task(seed_xlsx, lib):
    _, _, grid, form = _seed_grid(seed_xlsx)
    with pytest.raises(TaskNotFoundError, match="没有序号为 11 的任务"):
        build_insert_plan(grid, form, find_task(form, 11), lib.require("慰问"))


def test_plan_with_unit_column_and_no_merges(lib):
    """A pasted layout with a 计量单位 column: numbers go in the value column, units beside them."""
    text = "\n".join([
        "部门名称\t某局",
        "序号\t年度工作任务\t主要实施内容\t拟投入金额\t一级指标\t二级指标\t指标名称\t对比符号\t年度指标值\t计量单位",
        "1\t全市业务培训\t举办培训班\t12.5\t产出指标\t数量指标\t培训班次\t≥\t3\t期",
        "\t\t\t\t效益指标\t社会效益指标\t参训人员业务能力\t定性\t明显提升\t",
        "2\t春节慰问\t慰问\t8\t产出指标\t数量指标\t慰问单位(对象)数量\t≥\t20\t个",
    ])
    grid = read_text(text)
    form = parse_grid(grid)
    plan = build_insert_plan(grid, form, find_task(form, 1), lib.require("培训"))
    assert not any(isinstance(e, (Merge, Unmerge)) for e in plan.edits)
    assert plan.inserted_at == 4 and plan.inserted == 6  # 8 in the set, 2 already there
    values = {(e.row, e.col): e.value for e in plan.edits if isinstance(e, SetValue)}
    row = {values[(r, 6)]: r for r in range(4, 10)}
    r = row["培训费综合定额标准"]
    assert (values[(r, 7)], values[(r, 8)], values[(r, 9)]) == ("≤", 380, "元/人·天")
    r = row["培训费总额"]
    assert (values[(r, 8)], values[(r, 9)]) == (12.5, "万元")
    r = row["培训人次"]
    assert (values[(r, 8)], values[(r, 9)]) == ("N", "人次")
    assert "core" not in form.layout.columns and not any(v in ("是", "否") for v in values.values())


def test_plan_fills_reserved_rows_of_a_blank_template(tmp_path, lib):
    wb = build_workbook(None, blank_tasks=2, rows_per_task=6)
    ws = wb.active
    ws["B10"], ws["C10"], ws["E10"] = "春节走访慰问", "走访慰问基层单位", 20
    ws["B16"], ws["E16"] = "信息系统运维", 30
    grid = grid_from_worksheet(ws)
    form = parse_grid(grid)
    plan = build_insert_plan(grid, form, find_task(form, 1), lib.require("慰问"))
    assert plan.reused == 6 and plan.inserted == 1 and plan.inserted_at == 15
    assert [r.row for r in plan.rows] == [9, 10, 11, 12, 13, 14, 15]
    apply_edits(wb, ws, plan.edits)
    after = parse_grid(grid_from_worksheet(ws))
    assert [len(t.indicators) for t in after.tasks] == [7, 0]
    assert (after.tasks[0].row, after.tasks[0].last_row) == (9, 15)
    assert after.tasks[1].row == 16 and after.tasks[1].name == "信息系统运维"
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert {"A10:A16", "B10:B16", "E10:E16", "A17:A22", "E17:E22"} <= merges
    assert ws["C6"].value == "=SUM(E10:E22)"  # template SUM (E10:E21) extended: the insert was inside it
    assert after.tasks[0].indicators[1].value == Decimal(20)


def test_replace_overwrites_the_task_rows(seed_xlsx, lib, tmp_path):
    wb, ws, grid, form = _seed_grid(seed_xlsx)
    plan = build_insert_plan(grid, form, find_task(form, 2), lib.require("办公经费"), replace=True)
    assert plan.skipped == [] and plan.inserted == 3 and plan.cleared == []
    apply_edits(wb, ws, plan.edits)
    after = parse_grid(grid_from_worksheet(ws))
    t2 = after.tasks[1]
    assert [i.name for i in t2.indicators] == [i.name for i in lib.require("办公经费").indicators]
    assert [len(t.indicators) for t in after.tasks] == [3, 8, 4, 6, 6, 3, 5, 5, 3, 3]
    # a set shorter than the task: the rows left over are cleared (kept as reserved blank rows)
    grid = grid_from_worksheet(ws)
    form = parse_grid(grid)
    short = parse_set(SET_TOML)
    plan = build_insert_plan(grid, form, find_task(form, 2), short, replace=True)
    assert plan.inserted == 0 and plan.cleared == [18, 19] and len(plan.rows) == 6
    apply_edits(wb, ws, plan.edits)
    again = parse_grid(grid_from_worksheet(ws))
    assert [i.name for i in again.tasks[1].indicators] == [i.name for i in short.indicators]
    assert again.tasks[1].indicators[0].value == Decimal(314)
    assert all(ws.cell(r, c).value is None for r in (19, 20) for c in range(6, 12))
    assert "B13:B20" in {str(m) for m in ws.merged_cells.ranges}
    assert again.tasks[2].name == "公务用车购置" and again.tasks[2].row == 20


# ---------------------------------------------------------------- the acceptance run on the seed


def _task_view(t: Task) -> dict:
    d = t.to_json_dict()
    d.pop("cell"), d.pop("rows")
    for i in d["indicators"]:
        i.pop("cell"), i.pop("row")
    return d


def _merge_spans_ok(path: Path) -> None:
    """Every task's cells A–E are merged over exactly its rows (and nothing else is merged there)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    form = parse_grid(grid_from_worksheet(ws))
    got = {(m.min_col, m.min_row, m.max_row) for m in ws.merged_cells.ranges if m.min_col <= 5 and m.min_row >= 10}
    want = {(c, t.row + 1, t.last_row + 1) for t in form.tasks for c in range(1, 6) if t.last_row > t.row}
    assert got == want


def _sum_covers_all_amounts(path: Path) -> None:
    from xlperf.core.autosum import summed_cells

    ws = openpyxl.load_workbook(path).active
    grid = grid_from_worksheet(ws)
    form = parse_grid(grid)
    cells = summed_cells(ws["C6"].value, grid.sheet)
    assert cells is not None and {(t.row, 4) for t in form.tasks} <= cells


@needs_libreoffice
def test_insert_detected_set_for_task_1(seed_xlsx, tmp_path, capsys):
    before = load_form(seed_xlsx)
    out = tmp_path / "ins.xlsx"
    assert main(["indicators", "insert", str(seed_xlsx), "--task", "1", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "类型 慰问（自动识别" in printed and "在第 13 行前插入 7 行" in printed and "待填写 2 处" in printed
    after = load_form(out)
    t1 = after.tasks[0]
    old = [i.name for i in before.tasks[0].indicators]
    assert [i.name for i in t1.indicators][:3] == old
    assert len(t1.indicators) == 3 + 7
    assert {i.name for i in t1.indicators[3:]} == {i.name for i in load_library(user=False).require("慰问").indicators}
    assert [_task_view(t) for t in after.tasks[1:]] == [_task_view(t) for t in before.tasks[1:]]
    assert (t1.row, t1.last_row) == (9, 18)
    _merge_spans_ok(out)
    _sum_covers_all_amounts(out)
    ws = openpyxl.load_workbook(out).active
    assert ws["C6"].value == "=SUM(E10:E59)"
    assert {str(dv.sqref) for dv in ws.data_validations.dataValidation} == {"F10:F217", "G10:G217", "I10:I217", "J10:J217"}
    assert ws["K13"].fill.fgColor.rgb.endswith("FFEB9C") and "慰问标准" in ws["K13"].comment.text
    assert ws["K14"].value == "34万元" and ws["K14"].comment is None
    assert ws.print_title_rows == "$8:$9" and ws.freeze_panes == "A10"
    calc = read_grids(recalc(out, tmp_path))[0]
    assert calc.get(5, 2) == pytest.approx(1359.1)


def test_revalidation_after_insert_has_no_completeness_issue_for_task_1(seed_xlsx, tmp_path):
    validation = pytest.importorskip("xlperf.validation")
    before = validation.validate(seed_xlsx)
    assert any(i.code.startswith("XP30") and str(i.task) == "1" for i in before.issues)  # e.g. no 满意度
    out = tmp_path / "ins.xlsx"
    xlperf.insert_indicators(seed_xlsx, 1, out=out)
    report = validation.validate(out)
    assert [i.code for i in report.issues if i.code.startswith("XP30") and str(i.task) == "1"] == []
    # the placeholders are still flagged by the value rules until the clerk fills them
    flagged = {i.cell for i in report.issues if str(i.task) == "1" and i.code.startswith("XP4")}
    assert {"K13", "K15"} <= flagged


def test_insert_every_task_keeps_the_sheet_consistent(seed_xlsx, tmp_path):
    """Insert the detected set under all ten tasks, one after another, last task first and first last."""
    path = seed_xlsx
    for k, seq in enumerate([10, 1, 5, 3, 9, 2, 4, 6, 7, 8]):
        out = tmp_path / f"step{k}.xlsx"
        res = xlperf.insert_indicators(path, seq, out=out)
        assert res.written and res.type == SEED_TYPES[seq]
        _merge_spans_ok(out)
        _sum_covers_all_amounts(out)
        path = out
    form = load_form(path)
    assert [t.seq for t in form.tasks] == list(range(1, 11))
    assert sum(t.amount for t in form.tasks) == Decimal("1359.1")
    assert form.budget.project == Decimal("1359.1")
    lib = load_library(user=False)
    from xlperf.core.text import indicator_stem

    for t in form.tasks:
        names = {squash(i.name) for i in t.indicators}
        stems = {indicator_stem(i.name) for i in t.indicators}
        # each standard indicator is there, or a near-duplicate the task already had (开展检查次数)
        for spec in lib.require(SEED_TYPES[t.seq]).indicators:
            assert squash(spec.name) in names or indicator_stem(spec.name) in stems, (t.seq, spec.name)
    # once more: everything is there already, nothing changes
    again = xlperf.insert_indicators(path, 1, out=tmp_path / "again.xlsx")
    assert again.plan.edits == [] and len(again.skipped) == 7


def test_insert_with_type_alias_and_in_place(seed_xlsx, capsys):
    assert main(["indicators", "insert", str(seed_xlsx), "--task", "6", "--type", "会务", "--in-place"]) == 0
    out = capsys.readouterr().out
    assert "类型 会议（指定）" in out and "原文件已备份" in out
    form = load_form(seed_xlsx)
    assert len(form.tasks[5].indicators) == 3 + 8
    assert list(seed_xlsx.parent.glob("seed.bak-*.xlsx"))


def test_insert_errors(seed_xlsx, tmp_path, capsys):
    assert main(["indicators", "insert", str(seed_xlsx), "--task", "99", "-o", str(tmp_path / "o.xlsx")]) == 2
    assert "没有序号为 99 的任务" in capsys.readouterr().err
    assert main(["indicators", "insert", str(seed_xlsx), "--task", "1", "--type", "火箭发射",
                 "-o", str(tmp_path / "o.xlsx")]) == 2
    assert "指标库中没有类型" in capsys.readouterr().err
    assert main(["indicators", "insert", str(seed_xlsx), "--task", "1", "-o", str(seed_xlsx)]) == 2
    assert not (tmp_path / "o.xlsx").exists()


def test_insert_with_user_library(seed_xlsx, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "survey.toml").write_text(SET_TOML, encoding="utf-8")
    res = xlperf.insert_indicators(seed_xlsx, 9, type="测试类型", out=tmp_path / "o.xlsx", library=tmp_path / "lib")
    assert [r.spec.name for r in res.added][0] == "测绘费用"
    assert res.added[0].value == "4万元" and [r.cell for r in res.needs_value] == ["K51"]
    assert isinstance(res.plan.indicator_set, IndicatorSet)


def test_merged_level1_cells_over_reserved_rows_are_unmerged(lib):
    """A 一级指标 cell merged down over reserved rows: the rows written get their own 一级 text."""
    wb = build_workbook(None, blank_tasks=1, rows_per_task=6)
    ws = wb.active
    ws["B10"], ws["E10"] = "春节慰问", 10
    ws["F10"], ws["G10"], ws["H10"], ws["J10"], ws["K10"] = "产出指标", "数量指标", "慰问人数", "≥", "30人"
    ws.merge_cells("F10:F13")
    ws.merge_cells("G10:G11")
    grid = grid_from_worksheet(ws)
    form = parse_grid(grid)
    plan = build_insert_plan(grid, form, find_task(form, 1), lib.require("慰问"))
    assert Unmerge(9, 5, 12, 5) in plan.edits and Unmerge(9, 6, 10, 6) in plan.edits
    apply_edits(wb, ws, plan.edits)
    after = parse_grid(grid_from_worksheet(ws))
    inds = after.tasks[0].indicators
    assert [i.name for i in inds][:2] == ["慰问人数", "慰问标准"]
    assert [(i.level1, i.level2) for i in inds[:3]] == [("产出指标", "数量指标"), ("成本指标", "经济成本指标"), ("成本指标", "经济成本指标")]
    assert not any("F10" in str(m) or "G10" in str(m) for m in ws.merged_cells.ranges)
    assert len(inds) == 8 and after.tasks[0].last_row == 16


def test_every_csv_task_type_name_resolves(lib):
    """The draft CSV's type names (also the add-in's menu tags) all find a reviewed set."""
    import csv

    path = Path(__file__).parent / "fixtures" / "indicator_sets.csv"
    with path.open(encoding="utf-8") as fh:
        names = {row["task_type"] for row in csv.DictReader(fh)}
    names = {n for n in names if "weak" not in n}  # the weak real example was reviewed out
    assert len(names) == 16
    assert all(lib.get(n) is not None for n in names), [n for n in names if lib.get(n) is None]


def test_second_in_place_insert_after_notes(seed_xlsx):
    """Cell notes are kept on a round trip (their VML drawing is not a lossy part): in place works twice."""
    first = xlperf.insert_indicators(seed_xlsx, 1, in_place=True)  # writes notes on the cells to fill
    assert first.needs_value and first.backup is not None
    res = xlperf.insert_indicators(seed_xlsx, 2, in_place=True)
    assert res.written and res.backup is not None and res.backup != first.backup
    import openpyxl

    ws = openpyxl.load_workbook(seed_xlsx).worksheets[0]
    assert sum(1 for row in ws.iter_rows() for c in row if c.comment is not None) >= len(first.needs_value)


def test_insert_skips_near_duplicates_and_dry_run_says_would(seed_xlsx, capsys):
    """Task 6 of the seed has 开展检查次数 and 宣传场次: the 专项业务 set's 开展专项工作(检查)次数 and
    宣传活动场次 are not added beside them; --dry-run words everything as what it would do, writes nothing."""
    before = seed_xlsx.read_bytes()
    assert main(["indicators", "insert", str(seed_xlsx), "--task", "6", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert seed_xlsx.read_bytes() == before and not list(seed_xlsx.parent.glob("seed.bak-*"))
    assert out.startswith("试运行（--dry-run）") and "将新增指标" in out and "将在第" in out
    assert "开展专项工作(检查)次数（已有「开展检查次数」）" in out and "宣传活动场次（已有「宣传场次」）" in out
    assert "未写文件" in out and "已写入" not in out
    res = xlperf.insert_indicators(seed_xlsx, 6, dry_run=True)
    added = {r.spec.name for r in res.added}
    assert "开展专项工作(检查)次数" not in added and "宣传活动场次" not in added
    assert res.plan.similar == {"开展专项工作(检查)次数": "开展检查次数", "宣传活动场次": "宣传场次"}
