"""The official layout of the 部门整体支出绩效目标表, written with openpyxl.

Used by ``xlperf import`` (rebuild a pasted form), ``xlperf new`` / ``scripts/build_templates.py``
(the blank template) and the test and benchmark generators. Dropdowns are plain data validations
(they survive an openpyxl round trip): 一级指标 list, 二级指标 via ``INDIRECT`` over named ranges on a
hidden 下拉列表 sheet, 是否核心指标 是/否, 对比符号 ``= ≥ ≤ > < 定性``. 项目支出 is a live SUM.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..core.framework import Framework, default_framework
from ..core.model import Form, Indicator, Task
from ..core.text import OPS, format_number, text_lines
from .xlsx import set_text

SHEET = "绩效目标表"
LISTS_SHEET = "下拉列表"
NCOLS = 11
COLS = {"seq": 1, "name": 2, "content": 3, "source": 4, "amount": 5, "level1": 6, "level2": 7, "indicator": 8,
        "core": 9, "op": 10, "value": 11}
#: column widths (characters): column A fits its labels (部门名称, 基本信息) on one line
WIDTHS = [10, 18, 36, 12, 11, 11, 14, 24, 8, 8, 12]
MONEY_FORMAT = "0.00"  # amounts (万元) with two decimals: 1359.10 beside 3793.11
ROW_HEIGHT = 15.0  # points: the default row; wrapped lines add this much each
#: the height of an A4 landscape page in sheet points: 595 pt less the margins, header and footer,
#: divided by the fit-to-width scale (the columns are about 8 % wider than the page), less a margin
#: for the difference between Excel's, WPS's and LibreOffice's fonts
PAGE_HEIGHT = 430.0
HEADER_ROW = 8  # 1-based: first of the two task-table header rows
FIRST_TASK_ROW = 10


def _value_text(ind: Indicator) -> Any:
    v = ind.value
    if isinstance(v, Decimal):
        return f"{format_number(v)}{ind.unit or ''}" if ind.unit else float(v) if v != v.to_integral_value() else int(v)
    return v


def _num(d: Decimal | None) -> Any:
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def build_workbook(form: Form | None = None, *, blank_tasks: int = 5, rows_per_task: int = 6,
                   department: str | None = None, year: int | None = None,
                   framework: Framework | None = None) -> Any:
    """A workbook holding ``form`` in the official layout (or a blank form)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.merge import MergedCellRange

    fw = framework or default_framework()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")
    wrap_left = Alignment(wrap_text=True, vertical="center", horizontal="left")
    bold = Font(bold=True)

    def put(r: int, c: int, v: Any, *, left: bool = False, b: bool = False) -> None:
        cell = ws.cell(r, c)
        if v is not None:
            set_text(cell, v)
        cell.alignment = wrap_left if left else wrap
        if b:
            cell.font = bold

    def merge(r0: int, c0: int, r1: int, c1: int) -> None:
        if (r0, c0) != (r1, c1):
            # ws.merge_cells first compares the range with every merged range already there (quadratic:
            # hours for a 10,000-task form); the layout's ranges never overlap, so add it directly
            mcr = MergedCellRange(ws, f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}")
            ws.merged_cells.ranges.add(mcr)
            ws._clean_merge_range(mcr)

    f = form or Form()
    dep = department if department is not None else f.department
    yr = year if year is not None else f.year
    title = f.title or f"{yr or '    '}年部门整体支出绩效目标表"
    if form is None and yr:
        title = f"{yr}年部门整体支出绩效目标表"
    put(1, 1, title, b=True)
    ws.cell(1, 1).font = Font(bold=True, size=16)
    merge(1, 1, 1, NCOLS)
    ws.row_dimensions[1].height = 32
    b = f.budget
    header = [
        (2, [(1, "部门名称", True), (2, dep, False), (5, "主管部门", True), (6, f.supervisor, False)]),
        (3, [(1, "基本信息", True), (2, "财政供养人员数", True), (3, f.staff_count, False),
             (6, "下属单位数", True), (7, f.subunit_count, False)]),
        (4, [(1, "预算整体情况", True), (2, "部门预算支出", True), (3, "预算金额（万元）", True),
             (6, "收入来源", True), (7, "预算金额（万元）", True)]),
        (5, [(2, "基本支出", True), (3, _num(b.basic), False), (6, "财政拨款", True), (7, _num(b.fiscal), False)]),
        (6, [(2, "项目支出", True), (3, None, False), (6, "其他资金", True), (7, _num(b.other), False)]),
        (7, [(1, "年度整体绩效目标", True), (2, f.overall_goal, False)]),
    ]
    for r, cells in header:
        for c, v, is_label in cells:
            put(r, c, v, b=is_label, left=(r == 7 and c == 2))
    merge(2, 2, 2, 4); merge(2, 6, 2, NCOLS)  # noqa: E702
    merge(3, 3, 3, 5); merge(3, 7, 3, NCOLS)  # noqa: E702
    merge(4, 1, 6, 1)
    for r in (4, 5, 6):
        merge(r, 3, r, 5)
        merge(r, 7, r, NCOLS)
    merge(7, 2, 7, NCOLS)
    goal_width = sum(WIDTHS[1:NCOLS])
    ws.row_dimensions[7].height = max(48.0, text_lines(f.overall_goal, goal_width) * ROW_HEIGHT + 4)
    for cell in ("C5", "C6", "G5", "G6"):
        ws[cell].number_format = MONEY_FORMAT
    # task table header (two rows)
    h1 = ["序号", "年度工作任务", "主要实施内容", "任务来源", "拟投入金额（万元）", "任务绩效指标", None, None,
          "是否核心指标", "对比符号", "年度指标值"]
    for c, v in enumerate(h1, start=1):
        put(HEADER_ROW, c, v, b=True)
    for c, v in ((6, "一级指标"), (7, "二级指标"), (8, "指标名称")):
        put(HEADER_ROW + 1, c, v, b=True)
    for c in (1, 2, 3, 4, 5, 9, 10, 11):
        merge(HEADER_ROW, c, HEADER_ROW + 1, c)
    merge(HEADER_ROW, 6, HEADER_ROW, 8)

    tasks = list(f.tasks) if form is not None else [Task(seq=i + 1) for i in range(blank_tasks)]
    r = FIRST_TASK_ROW
    spans: list[tuple[int, float]] = []  # (first row, height in points) of each task
    for t in tasks:
        n = max(len(t.indicators), 1) if form is not None else rows_per_task
        put(r, 1, t.seq)
        put(r, 2, t.name)
        put(r, 3, t.content, left=True)
        put(r, 4, t.source)
        put(r, 5, _num(t.amount))
        ws.cell(r, 5).number_format = MONEY_FORMAT
        for k, ind in enumerate(t.indicators):
            rr = r + k
            put(rr, 6, ind.level1)
            put(rr, 7, ind.level2)
            put(rr, 8, ind.name, left=True)
            put(rr, 9, None if ind.core is None else ("是" if ind.core else "否"))
            put(rr, 10, ind.op)
            put(rr, 11, _value_text(ind))
        for k in range(len(t.indicators), n):
            for c in range(6, NCOLS + 1):
                put(r + k, c, None)
        for c in range(1, 6):
            merge(r, c, r + n - 1, c)
        # Excel does not grow merged rows to their wrapped text: give the rows what the text needs
        heights = [ROW_HEIGHT * max(text_lines(ind.name, WIDTHS[7]), text_lines(_value_text(ind), WIDTHS[10]))
                   for ind in t.indicators] + [ROW_HEIGHT] * (n - len(t.indicators))
        need = ROW_HEIGHT * max(text_lines(t.content, WIDTHS[2]), text_lines(t.name, WIDTHS[1]),
                                text_lines(t.source, WIDTHS[3]))
        if need > sum(heights):
            extra = (need - sum(heights)) / n
            heights = [h + extra for h in heights]
        for k, h in enumerate(heights):
            if h != ROW_HEIGHT:
                ws.row_dimensions[r + k].height = round(h, 1)
        spans.append((r, sum(heights)))
        r += n
    last = max(r - 1, FIRST_TASK_ROW)
    ws.cell(6, 3).value = f"=SUM(E{FIRST_TASK_ROW}:E{last})"
    ws.cell(6, 3).alignment = wrap
    for row in ws.iter_rows(min_row=2, max_row=last, max_col=NCOLS):
        for cell in row:
            cell.border = border
    for c, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    _add_validations(wb, ws, fw, FIRST_TASK_ROW, max(last, FIRST_TASK_ROW + 200))
    ws.freeze_panes = ws.cell(FIRST_TASK_ROW, 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    _task_page_breaks(ws, spans)
    return wb


def _task_page_breaks(ws: Any, spans: list[tuple[int, float]]) -> None:
    """A page break before a task that would otherwise be split between two pages (a task taller than a
    page is split where it must)."""
    from openpyxl.worksheet.pagebreak import Break

    def height(row: int) -> float:
        h = ws.row_dimensions[row].height
        return float(h) if h else ROW_HEIGHT

    titles = sum(height(r) for r in (HEADER_ROW, HEADER_ROW + 1))
    used = sum(height(r) for r in range(1, FIRST_TASK_ROW))  # the first page: the header block
    for first, h in spans:
        if used + h > PAGE_HEIGHT and used > titles:
            ws.row_breaks.append(Break(id=first - 1))  # break after the row above the task
            used = titles
        used += h


def _add_validations(wb: Any, ws: Any, fw: Framework, first: int, last: int) -> None:
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for c, l1 in enumerate(fw.level1, start=1):
        col = lists.cell(1, c).column_letter
        set_text(lists.cell(1, c), l1.name)
        for k, l2 in enumerate(l1.level2, start=2):
            set_text(lists.cell(k, c), l2.name)
        ref = f"'{LISTS_SHEET}'!${col}$2:${col}${len(l1.level2) + 1}"
        wb.defined_names[l1.name] = DefinedName(l1.name, attr_text=ref)
    n1 = len(fw.level1)
    last_col = lists.cell(1, n1).column_letter
    wb.defined_names["一级指标列表"] = DefinedName("一级指标列表", attr_text=f"'{LISTS_SHEET}'!$A$1:${last_col}$1")
    specs = [
        ("F", "=一级指标列表", "一级指标", "请从列表选择：产出指标、效益指标、成本指标、满意度指标"),
        ("G", f"=INDIRECT(F{first})", "二级指标", "二级指标须属于所选一级指标"),
        ("I", '"是,否"', "是否核心指标", "请填 是 或 否"),
        ("J", '"' + ",".join(OPS) + '"', "对比符号", "请选择 =、≥、≤、>、< 或 定性"),
    ]
    for col, formula, title, prompt in specs:
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorTitle=title, error=prompt, promptTitle=title, prompt=prompt)
        dv.add(f"{col}{first}:{col}{last}")
        ws.add_data_validation(dv)


def grid_workbook(grid: Any, title: str | None = None) -> Any:
    """A workbook holding ``grid`` cell for cell (a pasted form of a layout the official template does
    not have: department-level, project forms); text stays text, merged blocks stay merged."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = (title or grid.sheet or SHEET)[:31]
    values = {k: v for k, v in grid.values.items() if v is not None}
    if not values:
        return wb
    nrows = max(r for r, _ in values) + 1
    ncols = max(c for _, c in values) + 1
    per_row = [0] * nrows
    for r, _ in values:
        per_row[r] += 1
    # the title lines: the rows above the first one holding two or more cells, printed bold, unboxed
    top = next((r for r in range(nrows) if per_row[r] >= 2), 0)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    for r in range(nrows):
        for c in range(ncols):
            cell = ws.cell(r + 1, c + 1)
            v = values.get((r, c))
            if v is not None:
                set_text(cell, v)
            if r >= top:
                cell.border, cell.alignment = border, wrap
            elif v is not None:
                cell.font = Font(bold=True, size=14)
    spanned = set()
    for m in grid.merges:
        ws.merge_cells(start_row=m.r0 + 1, start_column=m.c0 + 1, end_row=m.r1 + 1, end_column=m.c1 + 1)
        if m.c1 > m.c0:
            spanned.add((m.r0, m.c0))
    # each column as wide as its longest text (a Chinese character counts twice), within 8-36; longer text wraps
    widths = [8.0] * ncols
    needed: dict[tuple[int, int], int] = {}
    for (r, c), v in values.items():
        if r >= top and (r, c) not in spanned:
            needed[r, c] = sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(v))
            widths[c] = min(36.0, max(widths[c], needed[r, c] + 2.0))
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    lines = [1] * nrows  # rows whose text wraps are made tall enough for it (not every reader fits them)
    for (r, c), text_width in needed.items():
        lines[r] = max(lines[r], -(-text_width // int(widths[c] - 1)))
    for r, n in enumerate(lines):
        if n > 1:
            ws.row_dimensions[r + 1].height = 15 * min(n, 15)
    ws.page_setup.orientation = "landscape" if sum(widths) > 100 else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    return wb

