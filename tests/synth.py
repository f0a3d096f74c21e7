"""Realistic synthetic department workbooks, deterministic by seed (test data: not part of the package).

Used by the tests, ``benchmarks/bench_consolidate.py`` and the hostile-input corpus. Each workbook
holds one (or several) 部门整体支出绩效目标表 in the official layout (the same cells as
:func:`xlperf.io.template.build_workbook`): a merged title, the header block, the two-row task-table
header, 10–40 tasks with 3–8 indicators each, task cells (序号 .. 拟投入金额) merged down over their
indicator rows, and 项目支出 as a live ``SUM`` over the task amounts. Amounts add up:
项目支出 = Σ 拟投入金额 and 财政拨款 + 其他资金 = 基本支出 + 项目支出.

Names come from the seed form's vocabulary and the indicator framework (``framework.toml``).
The forms are clean by default (the validator reports no errors; a few realistic warnings remain);
tests inject defects through ``text_cells`` or by editing the :class:`Form` before writing it.
Files are written with :mod:`xlperf.io.fastxlsx` (about a millisecond each), so generating 10,000
of them is quick; they are ordinary xlsx files that openpyxl, python-calamine and LibreOffice open.

    >>> from tests.synth import generate
    >>> paths = generate("out/", 50, seed=1)                       # 50 workbooks
    >>> generate("out/", 1, text_cells={"department": '=HYPERLINK("http://example.com","x")'})
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlperf.core.grid import parse_a1
from xlperf.core.model import Budget, Form, Indicator, Task
from xlperf.core.text import format_number
from xlperf.io.fastxlsx import Formula, Workbook

SHEET = "绩效目标表"
NCOLS = 11
HEADER_ROW = 7  # 0-based first row of the two-row task-table header (row 8 in Excel)
FIRST_TASK_ROW = 9  # 0-based (row 10 in Excel)
WIDTHS = [6, 18, 36, 12, 11, 11, 14, 24, 8, 8, 12]

CITIES = (
    "揭阳市", "汕头市", "潮州市", "梅州市", "韶关市", "清远市", "肇庆市", "江门市", "湛江市", "茂名市",
    "阳江市", "云浮市", "河源市", "汕尾市", "惠州市", "珠海市", "中山市", "佛山市", "东莞市", "广州市",
    "成都市", "绵阳市", "德阳市", "宜宾市", "南充市", "岳阳市", "株洲市", "湘潭市", "衡阳市", "常德市",
    "鄂州市", "襄阳市", "宜昌市", "荆州市", "黄石市", "九江市", "赣州市", "南平市", "泉州市", "漳州市",
)
DISTRICTS = ("", "城区", "东城区", "西城区", "南湖区", "北山区", "高新区", "经济开发区", "滨海新区",
             "东山县", "西河县", "青山县", "白云县")
BUREAUS = (
    "人民政府办公室", "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水务局",
    "农业农村局", "商务局", "文化广电旅游体育局", "卫生健康局", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "林业局", "城市管理和综合执法局", "政务服务数据管理局", "信访局",
    "档案馆", "地方志办公室", "机关事务管理局", "供销合作联社", "残疾人联合会", "妇女联合会", "共青团委员会",
    "总工会", "科学技术协会", "文学艺术界联合会", "红十字会", "气象局", "粮食和物资储备局", "人民防空办公室",
    "投资促进局", "金融工作局", "港口管理局", "公路事务中心", "疾病预防控制中心", "中心医院", "第一中学",
    "图书馆", "博物馆", "体育中心", "广播电视台", "融媒体中心", "价格监测中心", "不动产登记中心",
    "公共资源交易中心", "住房公积金管理中心", "社会保险基金管理局",
)
SUPERVISORS = ("政府办", "发改局", "教育局", "财政局", "卫健局", "住建局", "农业农村局", "自然资源局",
               "市场监管局", "人社局", "民政局", "交通运输局", "文广旅体局", "应急管理局")
TOPICS = (
    "办公经费补充", "公务用车购置", "信息化系统运维", "政府购买服务", "专项业务经费", "业务培训", "政策宣传",
    "办公设备购置", "课题研究", "执法装备购置", "档案数字化", "应急物资储备", "网络安全等级保护测评",
    "安全生产检查", "业务用房维修改造", "高层次人才引进资助", "12345政务服务便民热线服务外包",
    "政策性农房保险补助资金", "驻外办事处后勤服务保障", "重要会议保障", "监测数据采集", "项目绩效评价",
    "法律顾问服务", "志愿服务活动", "公益广告宣传", "春节慰问坚守岗位基层单位", "疫苗接种服务",
    "环境质量监测", "河道日常保洁", "农村公路养护", "市场主体抽查", "食品安全抽检", "统计调查",
    "地方志编纂", "不动产登记数据整合", "公共资源交易平台运维", "金融风险防范处置", "城信社留存资产管理",
    "基层医疗卫生服务", "学生资助", "图书采购", "文物保护修缮", "全民健身活动", "防汛抗旱",
    "森林防火", "人防工程维护", "粮食储备管理", "退役军人服务保障",
)
TOPIC_PREFIXES = ("", "", "", "年度", "市级", "专项：")
TOPIC_SUFFIXES = ("", "", "", "（含下属单位）", "经费", "项目")
CONTENT_VERBS = ("保障", "开展", "组织实施", "统筹协调", "完成", "推进", "做好", "落实")
CONTENT_OBJECTS = (
    "单位日常运转和各项业务工作", "年度重点工作任务", "信息系统运行维护和安全防护", "政策宣传和业务培训",
    "设备设施购置及更新", "基层单位走访慰问", "专项检查和督导考核", "数据采集、分析和报送",
    "服务外包和绩效评价", "应急物资采购和储备", "档案资料整理和数字化加工", "资金拨付和监督管理",
)
CONTENT_PURPOSES = (
    "确保各项工作按时保质完成", "提升服务效率和群众满意度", "维护社会稳定和公共安全", "助力地方经济高质量发展",
    "规范资金使用，提高财政资金使用效益", "保障单位正常运转", "满足上级部署和单位履职需要",
)
SOURCES = ("单位履职需要", "单位履职需要", "单位履职需要", "上级部门部署", "市委市政府部署", "法律法规规定",
           "人大代表建议")
GOALS = (
    "紧紧围绕市委、市政府的中心任务，做好年度各项经费和物资保障；",
    "全面履行部门职责，完成年度重点工作任务；",
    "加强预算绩效管理，提高财政资金使用效益；",
    "提升公共服务水平，群众满意度稳步提高；",
    "推进数字化建设，提高行政效能；",
)

# level1 -> level2 -> (indicator name, op, value kind, unit); value kind: "pct100", "pct_hi", "count",
# "amount" (the task's amount), "small", "text:<qualitative value>"
INDICATORS: dict[str, dict[str, tuple[tuple[str, str, str, str | None], ...]]] = {
    "产出指标": {
        "数量指标": (("开展检查次数", "≥", "count", "次"), ("召开会议场次", "≥", "small", "场"),
                     ("宣传场次", "≥", "small", "次"), ("服务人次", "≥", "count", "人次"),
                     ("购置设备数量", "=", "small", "台"), ("培训人数", "≥", "count", "人"),
                     ("项目数量", "=", "small", "个"), ("人员规模", "≥", "count", "人")),
        "质量指标": (("支付对象准确率", "=", "pct100", "%"), ("支出标准合规率", "=", "pct100", "%"),
                     ("验收合格率", "≥", "pct_hi", "%"), ("月接通率", "≥", "pct_hi", "%"),
                     ("资金保值率", "≥", "pct100", "%"), ("接待服务水平", "定性", "text:逐步提高", None)),
        "时效指标": (("各项支付工作完成及时率", "=", "pct100", "%"), ("项目计划完成率", "≥", "pct_hi", "%"),
                     ("补助资金到位及时率", "=", "pct100", "%"), ("话务平均处理时长", "≤", "count", "秒"),
                     ("接待服务及时率", "≥", "pct_hi", "%")),
    },
    "效益指标": {
        "社会效益指标": (("预期效益完成情况", "=", "pct100", "%"), ("公务保障完成率", "≥", "pct_hi", "%"),
                       ("参保覆盖比率", "≥", "pct_hi", "%"), ("群众知晓率", "≥", "pct_hi", "%"),
                       ("数据分析研判", "≥", "small", "篇")),
        "经济效益指标": (("带动社会投资", "≥", "amount", "万元"), ("节约财政资金", "≥", "small", "万元")),
        "生态效益指标": (("空气质量优良天数比例", "≥", "pct_hi", "%"), ("河道水质达标率", "≥", "pct_hi", "%")),
        "可持续影响指标": (("长效管理机制", "定性", "text:逐步完善", None),
                         ("对单位履职的持续保障", "定性", "text:长期", None)),
    },
    "成本指标": {
        "经济成本指标": (("支出标准执行准确率", "=", "pct100", "%"), ("成本控制范围", "≤", "amount", "万元"),
                       ("预算控制率", "≤", "pct100", "%"), ("设备购置费", "≤", "amount", "万元")),
        "社会成本指标": (("对社会的负面影响", "定性", "text:不产生负面影响", None),),
        "生态环境成本指标": (("环境污染事件", "=", "zero", "起"),),
    },
    "满意度指标": {
        "服务对象满意度指标": (("服务对象满意度", "≥", "pct_hi", "%"), ("话务服务满意度", "≥", "pct_hi", "%"),
                           ("领导公务活动满意度", "≥", "pct_hi", "%"), ("群众满意度", "≥", "pct_hi", "%")),
    },
}
# how often each 一级 appears among a task's indicators
_LEVEL1_WEIGHTS = (("产出指标", 5), ("效益指标", 2), ("成本指标", 2), ("满意度指标", 1))
_LEVEL2_WEIGHTS = {
    "效益指标": (("社会效益指标", 6), ("经济效益指标", 1), ("生态效益指标", 1), ("可持续影响指标", 1)),
    "成本指标": (("经济成本指标", 8), ("社会成本指标", 1), ("生态环境成本指标", 1)),
}

_NAME_SPACE = len(CITIES) * len(DISTRICTS) * len(BUREAUS)


def department_name(index: int, seed: int = 0) -> str:
    """A department name unique for each ``index`` below ~31,000 (for a given seed)."""
    # an affine permutation of the name space: distinct indices give distinct names
    step = 7_919  # prime, coprime with the name space
    k = (index * step + seed * 104_729) % _NAME_SPACE
    b, rest = k % len(BUREAUS), k // len(BUREAUS)
    d, c = rest % len(DISTRICTS), rest // len(DISTRICTS)
    return f"{CITIES[c]}{DISTRICTS[d]}{BUREAUS[b]}"


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _money(rng: random.Random, lo: int, hi: int) -> Decimal:
    """A random amount in 万元 with two decimals, between lo and hi."""
    return Decimal(rng.randint(lo * 100, hi * 100)) / 100


def _indicator(rng: random.Random, level1: str, amount: Decimal, used: set[str]) -> Indicator:
    weights = dict(_LEVEL2_WEIGHTS.get(level1, ()))
    cands = [(l2, spec) for l2, specs in INDICATORS[level1].items() for spec in specs if spec[0] not in used]
    if not cands:  # every name of this 一级 already used in the task
        cands = [(l2, spec) for l2, specs in INDICATORS[level1].items() for spec in specs]
    level2, (name, op, kind, unit) = rng.choices(
        cands, weights=[weights.get(l2, 1) / len(INDICATORS[level1][l2]) for l2, _ in cands])[0]
    used.add(name)
    value: Decimal | str
    if kind == "pct100":
        value = Decimal(100)
    elif kind == "pct_hi":
        value = Decimal(rng.choice((80, 85, 90, 95, 98, 99)))
    elif kind == "count":
        value = Decimal(rng.randint(1, 60) * rng.choice((1, 5, 10)))
    elif kind == "small":
        value = Decimal(rng.randint(1, 12))
    elif kind == "amount":
        value = amount
    elif kind == "zero":
        value = Decimal(0)
    else:
        value, unit = kind.split(":", 1)[1], None
    return Indicator(level1=level1, level2=level2, name=name, core=False, op=op, value=value, unit=unit)


def make_form(index: int = 0, *, seed: int = 0, tasks: int | tuple[int, int] = (10, 40),
              indicators: int | tuple[int, int] = (3, 8), year: int = 2026,
              department: str | None = None) -> Form:
    """The ``index``-th synthetic department of a batch (deterministic by ``seed`` and ``index``)."""
    rng = random.Random(seed * 1_000_003 + index)
    n_tasks = tasks if isinstance(tasks, int) else rng.randint(*tasks)
    city_dep = department or department_name(index, seed)
    topics = rng.sample(TOPICS, min(n_tasks, len(TOPICS)))
    task_list: list[Task] = []
    for k in range(n_tasks):
        topic = topics[k] if k < len(topics) else f"{rng.choice(TOPICS)}（{k + 1}）"
        name = f"{rng.choice(TOPIC_PREFIXES)}{topic}{rng.choice(TOPIC_SUFFIXES)}"
        content = (f"{rng.choice(CONTENT_VERBS)}{rng.choice(CONTENT_OBJECTS)}，"
                   f"{rng.choice(CONTENT_PURPOSES)}。")
        amount = _money(rng, 1, 600)
        n_ind = indicators if isinstance(indicators, int) else rng.randint(*indicators)
        # every task has 产出, 效益, 成本 and (from 4 indicators on) 满意度 indicators, in the usual order
        levels = ["产出指标", "效益指标", "成本指标", "满意度指标"][:n_ind]
        levels += [_pick(rng, _LEVEL1_WEIGHTS) for _ in range(n_ind - len(levels))]
        order = {"产出指标": 0, "效益指标": 1, "成本指标": 2, "满意度指标": 3}
        levels.sort(key=order.__getitem__)
        used: set[str] = set()
        inds = [_indicator(rng, l1, amount, used) for l1 in levels]
        for j, ind in enumerate(inds):  # one or two core indicators per task
            ind.core = j == 0 or (n_ind > 4 and rng.random() < 0.15)
        task_list.append(Task(seq=k + 1, name=name, content=content, source=rng.choice(SOURCES), amount=amount,
                              indicators=inds))
    project = sum((t.amount or Decimal(0) for t in task_list), Decimal(0))
    basic = _money(rng, 300, 8000)
    other = _money(rng, 10, 500) if rng.random() < 0.25 else None
    fiscal = basic + project - (other or Decimal(0))
    goal = "".join(rng.sample(GOALS, 3)).rstrip("；") + "。"
    return Form(
        title=f"{city_dep[:3]}{year}年部门整体支出绩效目标表",
        year=year,
        department=city_dep,
        supervisor=rng.choice(SUPERVISORS),
        staff_count=rng.randint(8, 400),
        subunit_count=rng.randint(0, 12),
        budget=Budget(basic=basic, project=project, fiscal=fiscal, other=other),
        overall_goal=goal,
        tasks=task_list,
    )


def _num(d: Decimal | None) -> int | float | None:
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def _value_cell(ind: Indicator) -> Any:
    v = ind.value
    if isinstance(v, Decimal):
        return f"{format_number(v)}{ind.unit}" if ind.unit else _num(v)
    return v


def form_cells(form: Form, *, cached: bool = True) -> tuple[dict[tuple[int, int], Any], list[tuple[int, int, int, int]]]:
    """The sheet of ``form`` as ({(row, col): value}, merges), 0-based, official layout."""
    cells: dict[tuple[int, int], Any] = {}
    merges: list[tuple[int, int, int, int]] = []

    def put(r: int, c: int, v: Any) -> None:
        if v is not None:
            cells[(r, c)] = v

    b = form.budget
    put(0, 0, form.title or f"{form.year or ''}年部门整体支出绩效目标表")
    merges.append((0, 0, 0, NCOLS - 1))
    header = [
        (1, [(0, "部门名称"), (1, form.department), (4, "主管部门"), (5, form.supervisor)]),
        (2, [(0, "基本信息"), (1, "财政供养人员数"), (2, form.staff_count), (5, "下属单位数"), (6, form.subunit_count)]),
        (3, [(0, "预算整体情况"), (1, "部门预算支出"), (2, "预算金额（万元）"), (5, "收入来源"), (6, "预算金额（万元）")]),
        (4, [(1, "基本支出"), (2, _num(b.basic)), (5, "财政拨款"), (6, _num(b.fiscal))]),
        (5, [(1, "项目支出"), (5, "其他资金"), (6, _num(b.other))]),
        (6, [(0, "年度整体绩效目标"), (1, form.overall_goal)]),
    ]
    for r, row in header:
        for c, v in row:
            put(r, c, v)
    merges += [(1, 1, 1, 3), (1, 5, 1, NCOLS - 1), (2, 2, 2, 4), (2, 6, 2, NCOLS - 1), (3, 0, 5, 0), (6, 1, 6, NCOLS - 1)]
    for r in (3, 4, 5):
        merges += [(r, 2, r, 4), (r, 6, r, NCOLS - 1)]
    h1 = ["序号", "年度工作任务", "主要实施内容", "任务来源", "拟投入金额（万元）", "任务绩效指标", None, None,
          "是否核心指标", "对比符号", "年度指标值"]
    for c, v in enumerate(h1):
        put(HEADER_ROW, c, v)
    for c, v in ((5, "一级指标"), (6, "二级指标"), (7, "指标名称")):
        put(HEADER_ROW + 1, c, v)
    merges += [(HEADER_ROW, c, HEADER_ROW + 1, c) for c in (0, 1, 2, 3, 4, 8, 9, 10)]
    merges.append((HEADER_ROW, 5, HEADER_ROW, 7))
    r = FIRST_TASK_ROW
    for t in form.tasks:
        n = max(len(t.indicators), 1)
        for c, v in enumerate((t.seq, t.name, t.content, t.source, _num(t.amount))):
            put(r, c, v)
            if n > 1:
                merges.append((r, c, r + n - 1, c))
        for k, ind in enumerate(t.indicators):
            rr = r + k
            put(rr, 5, ind.level1)
            put(rr, 6, ind.level2)
            put(rr, 7, ind.name)
            put(rr, 8, None if ind.core is None else ("是" if ind.core else "否"))
            put(rr, 9, ind.op)
            put(rr, 10, _value_cell(ind))
        r += n
    last = max(r, FIRST_TASK_ROW + 1)  # 1-based last task row == 0-based r
    project = b.project if b.project is not None else sum((t.amount or Decimal(0) for t in form.tasks), Decimal(0))
    cells[(5, 2)] = Formula(f"SUM(E{FIRST_TASK_ROW + 1}:E{last})", project if cached else None)
    return cells, merges


def write_workbook(path: str | Path, forms: Form | Sequence[Form], *, text_cells: Mapping[str, Any] | None = None,
                   cached: bool = True, sheet_names: Sequence[str] | None = None,
                   extra_sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None) -> Path:
    """Write one workbook holding ``forms`` (one sheet each) in the official layout.

    ``text_cells`` overrides cells on every form sheet, as text: keys are A1 references (``"B2"``)
    or header fields (``department``, ``supervisor``, ``overall_goal``, ``title``). ``cached=False``
    leaves the SUM formula without a cached result (as openpyxl-written files are). ``extra_sheets``
    adds plain sheets (name -> rows) after the forms.
    """
    path = Path(path)
    form_list = [forms] if isinstance(forms, Form) else list(forms)
    names = list(sheet_names) if sheet_names else [SHEET if i == 0 else f"{SHEET}{i + 1}" for i in range(len(form_list))]
    field_cells = {"title": (0, 0), "department": (1, 1), "supervisor": (1, 5), "overall_goal": (6, 1)}
    with Workbook(path, max_shared_len=200) as wb:
        border = {"border": True, "valign": "center"}
        s_label = wb.add_format(bold=True, halign="center", wrap=True, **border)
        s_title = wb.add_format(bold=True, font_size=16, halign="center", valign="center")
        s_cell = wb.add_format(wrap=True, halign="center", **border)
        s_left = wb.add_format(wrap=True, halign="left", **border)
        for form, name in zip(form_list, names, strict=True):
            cells, merges = form_cells(form, cached=cached)
            for key, value in (text_cells or {}).items():
                rc = field_cells.get(key) or parse_a1(key)
                cells[rc] = value
            ws = wb.add_sheet(name, widths=WIDTHS, freeze=(FIRST_TASK_ROW, 0))
            nrows = max(r for r, _ in cells) + 1
            rows: list[list[Any]] = [[None] * NCOLS for _ in range(nrows)]
            for (r, c), v in cells.items():
                if c >= len(rows[r]):
                    rows[r].extend([None] * (c + 1 - len(rows[r])))
                rows[r][c] = v
            label_styles = [s_label] * NCOLS
            task_styles = [s_cell, s_cell, s_left, s_cell, s_cell, s_cell, s_cell, s_left, s_cell, s_cell, s_cell]
            for r, row in enumerate(rows):
                if r == 0:
                    ws.write_row(row, s_title, height=32)
                elif r < FIRST_TASK_ROW:
                    st = list(label_styles)
                    if r in (1, 2, 4, 5, 6):
                        for c in range(NCOLS):
                            if (r, c) not in _LABEL_CELLS:
                                st[c] = s_left if r == 6 else s_cell
                    ws.write_row(row, st, height=48 if r == 6 else None)
                else:
                    ws.write_row(row, task_styles)
            for m in merges:
                ws.merge(*m)
        for name, rows in (extra_sheets or {}).items():
            ws = wb.add_sheet(name)
            for row in rows:
                ws.write_row(list(row))
    return path


_LABEL_CELLS = {(1, 0), (1, 4), (2, 0), (2, 1), (2, 5), (3, 0), (4, 1), (4, 5), (5, 1), (5, 5), (6, 0)}


def generate(outdir: str | Path, n: int, *, seed: int = 0, tasks: int | tuple[int, int] = (10, 40),
             indicators: int | tuple[int, int] = (3, 8), year: int = 2026, sheets_per_workbook: int = 1,
             text_cells: Mapping[str, Any] | None = None, cached: bool = True, start: int = 0,
             subdirs: int = 0) -> list[Path]:
    """Write ``n`` workbooks into ``outdir`` and return their paths.

    Workbook ``i`` holds departments ``i * sheets_per_workbook ...`` (all distinct). ``subdirs`` > 0
    spreads the files over that many sub-folders (to exercise recursive discovery).
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        forms = [make_form(i * sheets_per_workbook + k, seed=seed, tasks=tasks, indicators=indicators, year=year)
                 for k in range(sheets_per_workbook)]
        folder = outdir / f"组{i % subdirs + 1:02d}" if subdirs else outdir
        folder.mkdir(exist_ok=True)
        p = folder / f"{i:05d}_{forms[0].department}.xlsx"
        write_workbook(p, forms, text_cells=text_cells, cached=cached)
        paths.append(p)
    return paths
