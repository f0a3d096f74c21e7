"""The form family (issue 14): the kind of every sheet, amount units, labels as data, traditional
characters, the department-level layout (Hunan 2023, Fujian 2019) and the project form.

Everything runs on the real published forms in ``tests/fixtures/examples`` (and a Fujian-2019-like form
written from its description, ``tests/fixtures/family``), through the real readers and the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import xlperf
from xlperf.core.grid import Grid
from xlperf.core.kinds import classify, default_kinds, load_kinds, simplified
from xlperf.core.labels import default_labels, load_labels
from xlperf.core.parse import parse_grid
from xlperf.errors import NotAFormError
from xlperf.io.readers import load_form, read_text

FIXTURES = Path(__file__).parent / "fixtures"
EX = FIXTURES / "examples"
EX01 = EX / "ex01_sichuan_jingyan_matazhen_2023_project_targets.txt"
EX02 = EX / "ex02_hubei_ezhou_2022_project_target_office_building.txt"
EX04 = EX / "ex04_hunan_yueyanglou_price_center_2023_overall_clean.txt"
EX04_RAW = EX / "ex04_hunan_yueyanglou_price_center_2023_overall_RAW.txt"
EX06 = EX / "ex06_sichuan_zhongjiang_water_2022_selfeval.txt"
EX07 = EX / "ex07_2021_template_input_process_indicators.txt"
EX08 = EX / "ex08_selfeval_fragment_ops_inline.txt"
FUJIAN = FIXTURES / "family" / "fujian_2019_dept_overall.txt"
SEED = FIXTURES / "seed.txt"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xlperf", *args], capture_output=True, text=True)


# -- kinds -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "kind"), [
    (SEED, "dept_tasks"), (EX01, "project_list"), (EX02, "project"), (EX04, "dept_overall"),
    (EX04_RAW, "dept_overall"), (EX07, "application"), (FUJIAN, "dept_overall"),
], ids=lambda x: x.stem[:12] if isinstance(x, Path) else x)
def test_every_readable_form_reports_its_kind(path: Path, kind: str) -> None:
    assert load_form(path).kind == kind
    r = cli("parse", "--format", "json", str(path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["kind"] == kind


@pytest.mark.parametrize("path", [EX06, EX08], ids=["ex06", "ex08"])
def test_self_evaluation_forms_say_what_they_are(path: Path) -> None:
    for command in ("parse", "validate"):
        r = cli(command, str(path))
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr
        assert "这是绩效自评表" in lines[0] and "请打开对应年度" in lines[0]  # what it is, what to do next


def test_no_refusal_calls_a_target_form_not_a_target_form() -> None:
    """Every bundled 绩效目标表 is read; only the 自评表 are refused, and none is called 「不是绩效目标表」."""
    for path in sorted(EX.glob("*.txt")) + [FUJIAN]:
        r = cli("validate", str(path))
        assert "不是绩效目标表" not in r.stderr, (path.name, r.stderr)
        assert r.returncode in (0, 1) or "绩效自评表" in r.stderr, (path.name, r.stderr)


def test_a_sheet_that_is_no_form_is_refused_with_what_to_do() -> None:
    with pytest.raises(NotAFormError) as info:
        parse_grid(Grid.from_rows([["姓名", "电话"], ["张三", "123"]]))
    msg = info.value.message
    assert msg.startswith("不是绩效目标表") and "一级指标" in msg and "xlperf new" in msg


def test_a_per_task_form_missing_a_column_is_named_as_a_form() -> None:
    with pytest.raises(NotAFormError) as info:
        parse_grid(Grid.from_rows([["一级指标", "二级指标", "指标名称", "年度工作任务"]]))
    msg = info.value.message
    assert "年度指标值" in msg and "不是绩效目标表" not in msg and "部门整体支出绩效目标表" in msg


def test_kinds_and_labels_are_validated_data() -> None:
    book = default_kinds()
    assert [k.id for k in book.kind][-1] == "dept_tasks"
    with pytest.raises(ValueError):
        load_kinds('[[kind]]\nid = "x"\nname = "x"\nreader = "nonsense"\ncan = "x"\n')
    text = (Path(xlperf.__file__).parent / "data" / "labels.toml").read_text(encoding="utf-8")
    assert load_labels(text) == default_labels()
    with pytest.raises(ValueError):  # the model is in 万元: the scale must say so
        load_labels(text.replace('"万元" = "1"', '"万元" = "2"'))
    with pytest.raises(ValueError):
        load_labels(text.replace("[units]", "[unitz]"))


def test_a_synonym_is_data() -> None:
    """Every label the readers look for is in labels.toml, under its layout, as a label key."""
    book = default_labels()
    for word in ("年度主要工作任务", "重点工作任务", "年度工作任务"):
        assert word in book.task_form.table["name"]
    assert "部门名称" in book.task_form.header["department"]  # 部门（单位）名称 by its key
    assert "年度总体目标" in book.dept_form.header["overall_goal"]
    assert {"目标值", "指标值"} <= set(book.indicator_table["value"])
    assert "三级指标" in book.indicator_table["indicator"]


# -- units and summary rows ----------------------------------------------------------------------------


def test_ex01_amounts_in_yuan_are_read_in_wan() -> None:
    form = load_form(EX01)
    assert form.kind == "project_list"
    assert [t.name for t in form.tasks] == ["村组干部报酬", "基层组织活动经费"]  # the 部门 subtotal is no task
    assert [t.amount for t in form.tasks] == [Decimal("330.984"), Decimal("66")]
    assert (form.budget.unit, form.budget.unit_text) == ("元", "金额单位:元")
    assert form.tasks[0].raw["amount"] == "3,309,840.00"  # the clerk's text is kept
    assert form.tasks[0].indicators[0].extra == {"weight": "10", "direction": "正向指标"}  # 权重, 指标方向性
    data = form.to_json_dict()
    assert data["budget"]["unit"] == "元" and data["tasks"][0]["amount"] == 330.984


def test_yuan_declared_per_task_form_converts_and_checks() -> None:
    text = SEED.read_text(encoding="utf-8")
    wan = parse_grid(read_text(text))
    yuan = parse_grid(read_text(text.replace("预算金额（万元）", "预算金额（元）")))
    assert yuan.budget.basic == wan.budget.basic * Decimal("0.0001")
    assert [t.amount for t in yuan.tasks] == [t.amount * Decimal("0.0001") for t in wan.tasks]
    assert (yuan.budget.unit, yuan.budget.unit_text) == ("元", "预算金额（元）")
    assert (wan.budget.unit, wan.budget.unit_text) == ("万元", "预算金额（万元）")
    assert "unit" not in wan.to_json_dict()["budget"]  # the per-task JSON keeps its keys


# -- traditional characters ----------------------------------------------------------------------------


def test_ex04_raw_reads_like_ex04_clean() -> None:
    clean, raw = load_form(EX04), load_form(EX04_RAW)
    assert raw.script == "traditional" and clean.script is None

    def comparable(form):
        d = form.to_json_dict()
        for k in ("source", "script"):
            d.pop(k, None)
        return d

    assert comparable(raw) == comparable(clean)


def test_simplified_leaves_a_simplified_sheet_alone() -> None:
    assert simplified(read_text(SEED.read_text(encoding="utf-8"))) is None


# -- the department-level layout --------------------------------------------------------------------------


def test_ex04_department_level_form() -> None:
    form = load_form(EX04)
    assert form.department == "岳阳楼区价格认证鉴定中心" and form.year == 2023
    assert form.overall_goal == "做好涉案、价格认定工作。" and form.duty == "负责价格认定工作"
    assert form.tasks == [] and len(form.indicators) == 7
    first = form.indicators[0]
    assert (first.level1, first.level2, first.name, first.value, first.unit) == (
        "产出指标", "数量指标", "业务工作支出安排金额", Decimal("28.8"), "万元")
    assert first.extra == {"value_type": "定量", "explanation": "该指标主要考察业务工作支出安排情况",
                           "scoring": "未达指标值酌情扣分"}
    assert form.indicators[1].level1 == "产出指标" and "level1" in form.indicators[1].inherited
    d = form.to_json_dict()["indicators"][0]
    assert {"level1", "level2", "name", "op", "value", "unit", "value_type", "explanation"} <= d.keys()


@pytest.mark.parametrize("path", [EX04, EX04_RAW], ids=["clean", "RAW"])
def test_ex04_known_defects_are_found(path: Path) -> None:
    found = {(i.code, i.cell) for i in xlperf.validate(path).issues}
    assert ("XP414", "F7") in found  # 28.8万元 with unit %
    assert ("XP427", "E9") in found  # 定量 value 按月安排
    assert ("XP206", "C10") in found  # 社会成本指标, a 二级 name, as the indicator name
    assert ("XP427", "F12") in found  # 定性 value 应保尽保 with unit %


def test_fujian_layout_budget_duties_and_indicators() -> None:
    form = load_form(FUJIAN)
    assert (form.kind, form.department, form.budget_code, form.year) == ("dept_overall", "福建省测试厅", "101001", 2019)
    b = form.budget
    assert (b.total, b.project, b.basic) == (Decimal(1500), Decimal(900), Decimal(600))
    assert form.overall_goal.startswith("全年开展政策宣传活动")
    assert [(d.function, d.project, d.amount) for d in form.duties] == [
        ("政策宣传", "政策宣传专项经费", Decimal(300)), ("政策宣传", "宣传资料印制经费", Decimal(100)),
        ("行业监管", "执法检查专项经费", Decimal(450)), ("信息化建设", "信息系统运维经费", Decimal(100))]
    assert [i.name for i in form.indicators][:2] == ["政策宣传活动场次", "执法检查家次"]
    assert form.indicators[1].level2 == "数量指标" and form.indicators[1].extra["explanation"]
    assert [(i.code, i.cell) for i in xlperf.validate(FUJIAN).issues] == [("XP108", "C5")]


# -- the project form -------------------------------------------------------------------------------------


def test_ex02_project_form() -> None:
    form = load_form(EX02)
    assert form.kind == "project" and form.project_name == "滨湖大胆办公大楼运行保障"
    assert form.annual_goal.startswith("以办公大楼服务对象满意为目标")
    assert len(form.indicators) == 7
    ind = form.indicators[3]
    assert (ind.level2, ind.name, ind.value, ind.unit) == ("质量指标", "经常性大型设备更新验收合格率", Decimal(292), "%")
    assert ind.extra["explanation"] == "反映办公大楼大型设备更新验收情况"
    codes = {(i.code, i.cell) for i in xlperf.validate(EX02).issues}
    assert ("XP406", "E16") in codes  # 292% (a mangled ≥92%) is over 100%


def test_project_form_funds_goals_and_balance() -> None:
    text = "\n".join([
        "2026年项目支出绩效目标表", "项目名称\t测试项目", "主管部门\t测试局\t实施单位\t测试中心",
        "项目资金（万元）\t年度资金总额\t100", "\t其中：财政拨款\t70", "\t其他资金\t20",
        "长期目标\t三年内完成改造。", "年度目标\t完成改造10处。",
        "一级指标\t二级指标\t三级指标\t指标值\t计量单位", "产出指标\t数量指标\t改造数量\t≥10\t处"])
    form = parse_grid(read_text(text))
    assert (form.kind, form.project_name, form.supervisor, form.implementer) == ("project", "测试项目", "测试局", "测试中心")
    assert (form.budget.total, form.budget.fiscal, form.budget.other) == (Decimal(100), Decimal(70), Decimal(20))
    assert (form.long_goal, form.annual_goal) == ("三年内完成改造。", "完成改造10处。")
    assert [(i.code, i.cell) for i in xlperf.validate(read_text(text), select=["XP106"]).issues] == [("XP106", "C4")]


def test_classify_is_data_driven() -> None:
    grid = read_text("某某项目绩效自评表\n一级指标\t二级指标\t三级指标\t年度指标值\t全年实际值")
    spec = classify(grid)
    assert spec is not None and spec.id == "self_eval"


def test_parse_json_keeps_the_per_task_keys() -> None:
    data = load_form(SEED).to_json_dict()
    assert list(data) == ["department", "supervisor", "year", "staff_count", "subunit_count", "budget",
                          "overall_goal", "tasks", "title", "sheet", "source", "cells", "kind"]
    assert list(data["tasks"][0]["indicators"][0]) == ["level1", "level2", "name", "core", "op", "value", "unit",
                                                       "cell", "row"]


# -- features follow the kind -----------------------------------------------------------------------------


def test_autosum_department_level_form(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    src, out = tmp_path / "fj.xlsx", tmp_path / "out.xlsx"
    assert cli("import", str(FUJIAN), "-o", str(src)).returncode == 0
    before = src.read_bytes()
    r = cli("autosum", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    ws = load_workbook(out).active
    assert (ws["C5"].value, ws["B5"].value) == ("=SUM(E8:E11)", "=C5+D5")  # 项目支出 = Σ 履职目标, 资金总额
    assert src.read_bytes() == before
    form = load_form(out)
    assert (form.budget.project, form.budget.total) == (Decimal(950), Decimal(1550))
    assert xlperf.validate(out).issues == []  # XP108 is gone: 项目支出 is now the sum of the duties
    again = cli("autosum", str(out), "--dry-run")
    assert again.returncode == 0 and "无需改动" in again.stdout


def test_autosum_project_form(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    text = tmp_path / "p.txt"
    text.write_text("\n".join([
        "2026年项目支出绩效目标表", "项目名称\t测试项目", "主管部门\t测试局\t实施单位\t测试中心",
        "项目资金（万元）\t年度资金总额\t100", "\t其中：财政拨款\t70", "\t其他资金\t20",
        "年度目标\t完成改造10处。", "一级指标\t二级指标\t三级指标\t指标值\t计量单位",
        "产出指标\t数量指标\t改造数量\t≥10\t处"]) + "\n", encoding="utf-8")
    src, out = tmp_path / "p.xlsx", tmp_path / "out.xlsx"
    assert cli("import", str(text), "-o", str(src)).returncode == 0
    assert [i.code for i in xlperf.validate(src).issues] == ["XP106"]
    r = cli("autosum", str(src), "-o", str(out))
    assert r.returncode == 0 and "年度资金总额 C4" in r.stdout, r.stdout
    assert load_workbook(out).active["C4"].value == "=C5+C6"
    assert load_form(out).budget.total == Decimal(90)
    assert xlperf.validate(out).issues == []


def test_indicator_set_inserted_into_a_project_form(tmp_path: Path) -> None:
    src, out = tmp_path / "p.xlsx", tmp_path / "out.xlsx"
    assert cli("import", str(EX02), "-o", str(src)).returncode == 0
    before = load_form(src)
    r = cli("indicators", "insert", str(src), "--task", "1", "--type", "物业管理与安保", "-o", str(out))
    assert r.returncode == 0, r.stderr
    after = load_form(out)
    assert after.kind == "project" and after.project_name == before.project_name
    names = [i.name for i in after.indicators]
    assert names[:len(before.indicators)] == [i.name for i in before.indicators]  # the clerk's rows stay first
    assert "物业服务面积" in names and "干部职工满意度" in names
    added = after.indicators[len(before.indicators):]
    assert all(i.row > before.indicators[-1].row for i in added)
    assert {i.level1 for i in added} <= {"成本指标", "产出指标", "效益指标", "满意度指标"}


def _xlsx(text: str, path: Path) -> Path:
    """The pasted form as a workbook, cell for cell (what a clerk's .xlsx of that layout holds)."""
    from xlperf.io.template import grid_workbook

    grid_workbook(read_text(text), "Sheet1").save(path)
    return path


FUJIAN_PROJECT = "\n".join([
    "2019年项目支出绩效目标表", "项目名称\t政策宣传专项经费", "主管部门\t福建省测试厅\t实施单位\t福建省测试厅",
    "项目资金（万元）\t年度资金总额\t300", "\t其中：财政拨款\t300", "\t其他资金\t",
    "年度目标\t开展政策宣传活动20场。", "一级指标\t二级指标\t三级指标\t指标值\t计量单位",
    "产出指标\t数量指标\t宣传活动场次\t≥20\t场", "满意度指标\t服务对象满意度指标\t群众满意度\t≥90\t%"])


def test_consolidation_takes_every_readable_kind(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _xlsx(FUJIAN.read_text(encoding="utf-8"), folder / "福建测试厅.xlsx")
    _xlsx(EX04.read_text(encoding="utf-8"), folder / "岳阳楼区.xlsx")
    _xlsx(EX02.read_text(encoding="utf-8"), folder / "鄂州项目.xlsx")
    _xlsx(FUJIAN_PROJECT, folder / "福建测试厅_政策宣传.xlsx")
    _xlsx(EX06.read_text(encoding="utf-8"), folder / "自评表.xlsx")
    from xlperf.consolidation import consolidate

    with consolidate(folder, jobs=1) as cons:
        depts = cons.departments
        assert sorted(depts["部门名称"]) == ["岳阳楼区价格认证鉴定中心", "福建省测试厅"]
        projects = cons.projects
        assert sorted(projects["项目名称"]) == ["政策宣传专项经费", "滨湖大胆办公大楼运行保障"]
        assert cons.counts["departments"] == 2 and cons.counts["projects"] == 2
        inds = cons.indicators
        fj = inds[inds["部门名称"] == "福建省测试厅"]
        assert len(fj) == 7 + 2  # the department's own 7 (task empty) and its project's 2
        dept_level = fj[fj["年度工作任务"].isna()]
        assert len(dept_level) == 7 and dept_level["任务序号"].isna().all()
        files = {f.path: f for f in cons.file_records}
        selfeval = next(f for p, f in files.items() if p.endswith("自评表.xlsx"))
        assert selfeval.status == "跳过" and "绩效自评表" in selfeval.reason
        xc = [r for r in cons.issue_rows() if r[5] == "XC004"]
        messages = [r[6] for r in xc]
        assert any("年度资金总额合计 300 万元" in m and "项目支出 900 万元" in m for m in messages)
        missing = sorted(m.split("任务「")[1].split("」")[0] for m in messages if "没有对应的项目支出绩效目标表" in m)
        assert missing == ["信息系统运维经费", "宣传资料印制经费", "执法检查专项经费"]
        assert not any("在部门「福建省测试厅」的部门表中没有对应" in m for m in messages)
        # the department's 警告数 in 部门汇总 counts them, as 文件清单 does
        fj_row = depts[depts["部门名称"] == "福建省测试厅"].iloc[0]
        fj_file = next(f for p, f in files.items() if p.endswith("福建测试厅.xlsx"))
        assert fj_row["警告数"] == fj_file.warnings >= len(xc)
        data = cons.to_json_dict()
        assert data["summary"]["projects"] == 2 and len(data["projects"]) == 2
        assert {"项目汇总.csv", "部门汇总.csv"} <= {p.name for p in cons.to_csv(tmp_path / "csv")}
        out = tmp_path / "汇总.xlsx"
        cons.to_excel(out)
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert "项目汇总" in wb.sheetnames
    ws = wb["项目汇总"]
    assert [c.value for c in ws[1]][:5] == ["项目名称", "主管部门", "实施单位", "年度", "年度资金总额"]
    assert ws.cell(4, 2).value == "2 个项目"


def test_a_per_task_form_in_traditional_characters_reads_like_the_seed() -> None:
    from opencc_purepy import OpenCC

    text = SEED.read_text(encoding="utf-8")
    traditional = OpenCC("s2t").convert(text)
    assert traditional != text and "部門名稱" in traditional
    seed, form = parse_grid(read_text(text)), parse_grid(read_text(traditional))
    assert form.script == "traditional" and form.kind == "dept_tasks"
    assert (form.budget.basic, form.budget.project) == (seed.budget.basic, seed.budget.project)
    assert [t.amount for t in form.tasks] == [t.amount for t in seed.tasks]
    assert [len(t.indicators) for t in form.tasks] == [len(t.indicators) for t in seed.tasks]
    assert [i.level1 for t in form.tasks for i in t.indicators] == [i.level1 for t in seed.tasks for i in t.indicators]


def test_application_goals_under_their_labels_and_a_header_field_is_no_task_column() -> None:
    text = "\n".join(["财政支出绩效目标申报表", "项目名称\t测试项目\t项目类型\t专项",
                      "项目绩效目标\t长期目标\t年度目标", "\t三年内完成改造。\t完成改造10处。",
                      "一级指标\t二级指标\t三级指标\t指标值\t计量单位", "产出指标\t数量指标\t改造数量\t≥10\t处"])
    form = parse_grid(read_text(text))
    assert (form.kind, form.project_name) == ("application", "测试项目")
    assert (form.long_goal, form.annual_goal) == ("三年内完成改造。", "完成改造10处。")
    assert form.tasks == [] and [i.name for i in form.indicators] == ["改造数量"]


def test_a_level3_column_beside_the_indicator_name_is_kept() -> None:
    text = "\n".join(["2026年项目支出绩效目标表", "项目名称\t测试项目\t实施单位\t测试中心", "年度目标\t完成改造10处。",
                      "一级指标\t二级指标\t三级指标\t指标名称\t指标值\t计量单位",
                      "产出指标\t数量指标\t设施改造\t改造数量\t≥10\t处"])
    form = parse_grid(read_text(text))
    (ind,) = form.indicators
    assert (ind.name, ind.extra["level3"], ind.op, ind.value, ind.unit) == ("改造数量", "设施改造", "≥", Decimal(10), "处")
    d = form.to_json_dict()["indicators"][0]
    assert (d["name"], d["level3"]) == ("改造数量", "设施改造")


def test_a_seed_without_its_indicator_header_is_still_called_a_form() -> None:
    text = SEED.read_text(encoding="utf-8").replace("一级指标", "一级")
    with pytest.raises(NotAFormError) as info:
        parse_grid(read_text(text))
    msg = info.value.message
    assert "不是绩效目标表" not in msg and "按年度工作任务填报" in msg and "一级指标" in msg


def test_thousands_and_a_title_area_declaration_are_units_too() -> None:
    text = SEED.read_text(encoding="utf-8")
    qian = parse_grid(read_text(text.replace("预算金额（万元）", "预算金额（千元）")))
    assert qian.budget.unit == "千元" and qian.budget.basic == Decimal("3793.11") * Decimal("0.1")
    fujian = FUJIAN.read_text(encoding="utf-8").replace("金额单位：万元", "金额单位：元").replace("(万元)", "")
    for old, new in (("\t1500\t900\t600", "\t15000000\t9000000\t6000000"), ("经费\t300", "经费\t3000000"),
                     ("经费\t100", "经费\t1000000"), ("经费\t450", "经费\t4500000")):
        fujian = fujian.replace(old, new)
    form = parse_grid(read_text(fujian))
    assert (form.budget.unit, form.budget.unit_text) == ("元", "金额单位：元")
    assert (form.budget.total, form.budget.project) == (Decimal(1500), Decimal(900))
    assert [d.amount for d in form.duties] == [Decimal(300), Decimal(100), Decimal(450), Decimal(100)]


def test_indicator_detection_of_a_project_form_names_the_project(tmp_path: Path) -> None:
    src = tmp_path / "p.xlsx"
    assert cli("import", str(EX02), "-o", str(src)).returncode == 0
    r = cli("indicators", "detect", str(src))
    assert r.returncode in (0, 1) and "全表 滨湖大胆办公大楼运行保障 →" in r.stdout, r.stdout


@pytest.mark.parametrize("path", [FUJIAN, EX02], ids=["fujian", "ex02"])
def test_an_imported_other_layout_prints_on_a4(path: Path, tmp_path: Path) -> None:
    """Regression: ``import`` of a department-level or project form wrote bare cells: default widths
    clipped every label, no lines, a second blank page. Now boxed from the first row of two cells on,
    columns as wide as their text (within 8-36, longer text wrapped in a taller row), fitted to A4."""
    from openpyxl import load_workbook

    out = tmp_path / "out.xlsx"
    assert cli("import", str(path), "-o", str(out)).returncode == 0
    ws = load_workbook(out).active
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert not ws["A1"].border.left.style and ws["A1"].font.bold  # the title line
    assert ws["A2"].border.left.style == "thin" and ws["A2"].alignment.wrap_text
    widths = [ws.column_dimensions[c].width for c in "ABCDEF"]
    assert all(8 <= w <= 36 for w in widths) and max(widths) > 8
    assert any((d.height or 0) > 15 for d in ws.row_dimensions.values())  # the long goal wraps
    assert load_form(out).kind == load_form(path).kind
