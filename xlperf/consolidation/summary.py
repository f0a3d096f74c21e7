"""The summary workbook: 部门汇总 (with a totals row of live SUM formulas), 任务明细 / 指标明细 / 校验问题
(continued on further sheets beyond Excel's row limit), 文件清单 and 图表 (native charts), streamed
with :mod:`xlperf.io.fastxlsx` from the spools of a :class:`~.result.Consolidation`."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.text import text_lines
from .schema import (
    CHART_SHEET,
    DEPT_COLS,
    DEPT_MONEY,
    DEPT_SHEET,
    DEPT_SUM_FROM,
    DEPT_SUM_TO,
    FILE_COLS,
    FILE_SHEET,
    IND_COLS,
    IND_SHEET,
    ISSUE_COLS,
    ISSUE_SHEET,
    PROJECT_COLS,
    PROJECT_MONEY,
    PROJECT_SHEET,
    SKIPPED,
    TASK_COLS,
    TASK_MONEY,
    TASK_SHEET,
)

if TYPE_CHECKING:  # pragma: no cover
    from .result import Consolidation

TOP_DEPARTMENTS = 30  # departments shown in the 图表 sheet's 项目支出 chart

_WIDTHS = {
    DEPT_SHEET: [30, 14, 7, 10, 8, 13, 13, 13, 13, 12, 7, 7, 7, 7, 40, 14],
    TASK_SHEET: [30, 7, 6, 30, 50, 14, 13, 7, 40, 14, 8],
    IND_SHEET: [30, 7, 8, 30, 11, 16, 26, 8, 8, 11, 9, 40, 14, 8],
    ISSUE_SHEET: [40, 14, 8, 30, 6, 9, 60, 24, 24],
    FILE_SHEET: [6, 50, 7, 60, 7, 7, 7, 7, 7, 30],
    PROJECT_SHEET: [34, 20, 24, 7, 13, 13, 12, 7, 7, 7, 40, 14],
}


# the ids of the formats the detail rows use, as write_summary makes them (second, third, fourth): the
# amounts (#,##0.00); 校验问题's 说明 (wrapped, so that a long message is read whole, on paper too, and
# top-aligned) and its other columns (top-aligned beside it)
MONEY_FORMAT, NOTE_FORMAT, TOP_FORMAT = 2, 3, 4
_NOTE_COL = ISSUE_COLS.index("说明")


@lru_cache(maxsize=8192)  # a batch repeats its messages (1,000 seed forms: 21,025 rows, 4,238 texts)
def note_height(text: Any) -> float | None:
    """The height (points) of a 校验问题 row whose 说明 is ``text``, wrapped in its column: 15 a line, the
    lines as :func:`xlperf.core.text.text_lines` counts them (as for 校验结果's rows); None for one line
    (the default height)."""
    if type(text) is not str or not text:
        return None
    lines = text_lines(text, _WIDTHS[ISSUE_SHEET][_NOTE_COL])
    return 15.0 * lines if lines > 1 else None


def detail_styles(money: int, note: int, top: int) -> dict[str, list[int]]:
    """The format id of each column of the detail sheets (任务明细, 指标明细, 校验问题), from the ids of
    the amounts' (``money``), 说明's (``note``) and the other issue columns' (``top``) formats: the same
    whether the rows are encoded ahead (:class:`~xlperf.io.fastxlsx.RowEncoder`) or written here."""
    return {TASK_SHEET: [money if i in TASK_MONEY else 0 for i in range(len(TASK_COLS))],
            IND_SHEET: [0] * len(IND_COLS),
            ISSUE_SHEET: [note if i == _NOTE_COL else top for i in range(len(ISSUE_COLS))]}


def write_summary(cons: Consolidation, path: Path, *, compresslevel: int = 1) -> None:
    """Stream the summary workbook to ``path`` (not atomic: ``Consolidation.to_excel`` is)."""
    from ..core.grid import col_letter
    from ..io.fastxlsx import MAX_ROWS, BarChart, Formula, PrintSetup, Series, Workbook, ref

    def printed(sheet: str, unit: bool = True, breaks: tuple[int, ...] = ()) -> PrintSetup:
        """A4 landscape, one page wide, the header row on every page, the title and the unit above."""
        return PrintSetup(header=f"部门整体支出绩效目标汇总 — {sheet}", unit="单位：万元" if unit else None,
                          title_rows=0 if sheet == CHART_SHEET else 1, breaks=breaks)
    from .rules import code_of, duplicate_department

    with Workbook(path, compresslevel=compresslevel, strings=cons.strings) as wb:
        head = wb.add_format(bold=True, fill="DDEBF7", border=True, halign="center", valign="center", wrap=True)
        money = wb.add_format(num_fmt="#,##0.00")
        note_fmt = wb.add_format(wrap=True, valign="top")
        top = wb.add_format(valign="top")
        ids = (money, note_fmt, top)
        ahead = cons.strings is not None and ids == (MONEY_FORMAT, NOTE_FORMAT, TOP_FORMAT)  # encoded ahead: they fit
        integer = wb.add_format(num_fmt="#,##0")
        total_label = wb.add_format(bold=True, fill="FFF2CC", border=True)
        total_money = wb.add_format(bold=True, fill="FFF2CC", border=True, num_fmt="#,##0.00")
        total_int = wb.add_format(bold=True, fill="FFF2CC", border=True, num_fmt="#,##0")
        note = wb.add_format(italic=True, font_color="595959")
        title = wb.add_format(bold=True, font_size=13)
        bad = wb.add_format(font_color="C00000")

        # 部门汇总 (streamed from the spool; totals and the top departments for the chart on the way)
        n = sum(1 for d in cons._depts if d.included and not d.project)
        notes = ["说明：金额单位为万元；合计行为 SUM 公式；支出合计 = 表中的部门预算支出合计，没有时为 基本支出 + 项目支出。"]
        xc = code_of(duplicate_department)
        dup = {"error": f"同一部门（名称和年度相同）重复出现时，只计入第一次出现的表，其余列为错误（{xc}）。",
               "keep-last": f"同一部门重复出现时，以最后出现的表为准（{xc} 警告）。",
               "keep-both": f"同一部门重复出现时，各表均计入合计（{xc} 警告）。"}[cons.on_duplicate]
        notes.append("说明：" + dup)
        notes += [f"说明：{x}" for x in cons.notes]
        ws = wb.add_sheet(DEPT_SHEET, widths=_WIDTHS[DEPT_SHEET], freeze=(1, 1),
                          dimension=(n + 3 + len(notes), len(DEPT_COLS)), print_setup=printed(DEPT_SHEET))
        ws.write_row(DEPT_COLS, head, height=30)
        styles = [money if i in DEPT_MONEY else integer if 3 <= i <= 13 and i != 2 else 0 for i in range(len(DEPT_COLS))]
        sums = {c: Decimal(0) for c in range(DEPT_SUM_FROM, DEPT_SUM_TO + 1)}
        top: list[tuple] = []  # min-heap of the TOP_DEPARTMENTS largest 项目支出
        for k, r in enumerate(cons.included_departments):
            ws.write_row(r, styles)
            for c in sums:
                v = r[c]
                if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
                    sums[c] += v
            heapq.heappush(top, (r[6] or Decimal(0), -k, r[0] or "（未填部门名称）", r[5] or Decimal(0)))
            if len(top) > TOP_DEPARTMENTS:
                heapq.heappop(top)
        if n:
            ws.set_autofilter(0, 0, n, len(DEPT_COLS) - 1)
        tot: list[Any] = ["合计"] + [None] * (len(DEPT_COLS) - 1)
        tot_styles = [total_label] * len(DEPT_COLS)
        for c, total in sums.items():
            letter = col_letter(c)
            tot[c] = Formula(f"SUM({letter}2:{letter}{n + 1})", total) if n else 0
            tot_styles[c] = total_money if c in DEPT_MONEY else total_int
        tot[1] = f"{n} 个部门"
        ws.write_row(tot, tot_styles)
        ws.skip_rows(1)
        for x in notes:
            ws.write_row([x], note)
        top.sort(reverse=True)

        # 项目汇总: the project forms (项目支出绩效目标表), where the batch has any
        if cons._projects:
            np_ = len(cons._projects)
            pws = wb.add_sheet(PROJECT_SHEET, widths=_WIDTHS[PROJECT_SHEET], freeze=(1, 1),
                               dimension=(np_ + 2, len(PROJECT_COLS)), print_setup=printed(PROJECT_SHEET))
            pws.write_row(PROJECT_COLS, head, height=30)
            pstyles = [money if i in PROJECT_MONEY else integer if 7 <= i <= 9 else 0 for i in range(len(PROJECT_COLS))]
            psums = {c: Decimal(0) for c in (4, 5, 6, 7, 8, 9)}
            for r in cons.project_rows():
                pws.write_row(r, pstyles)
                for c in psums:
                    if isinstance(r[c], (int, Decimal)) and not isinstance(r[c], bool):
                        psums[c] += r[c]
            pws.set_autofilter(0, 0, np_, len(PROJECT_COLS) - 1)
            ptot: list[Any] = ["合计", f"{np_} 个项目"] + [None] * (len(PROJECT_COLS) - 2)
            ptot_styles = [total_label] * len(PROJECT_COLS)
            for c, total in psums.items():
                letter = col_letter(c)
                ptot[c] = Formula(f"SUM({letter}2:{letter}{np_ + 1})", total)
                ptot_styles[c] = total_money if c in PROJECT_MONEY else total_int
            pws.write_row(ptot, ptot_styles)

        # 任务明细 / 指标明细 / 校验问题 (split over several sheets beyond Excel's row limit)
        def detail(name: str, cols: list[str], rows: Iterable[tuple], total: int) -> None:
            deflated = cons.deflated_rows(name, compresslevel) if ahead else None
            encoded = cons.encoded_rows(name) if ahead and deflated is None else None
            styles = detail_styles(*ids)[name]
            part = 1
            sheet = None
            count = 0

            def open_sheet(title: str, n: int | None = None, raw: bool = False) -> Any:
                n = min(total - count, MAX_ROWS - 1) if n is None else n
                s = wb.add_sheet(title, widths=_WIDTHS[name], freeze=(1, 1), dimension=(n + 1, len(cols)),
                                 print_setup=printed(title, unit=name == TASK_SHEET), raw=raw)
                s.write_row(cols, head, height=30)
                return s

            if deflated is not None:  # numbered and deflated as they arrived: copied, a sheet per part
                for k, rows_part in enumerate(deflated or [None]):
                    sheet = open_sheet(name if k == 0 else f"{name}{k + 1}", rows_part.rows if rows_part else 0,
                                       raw=True)
                    if rows_part is not None:
                        sheet.write_deflated(rows_part)
                        sheet.set_autofilter(0, 0, sheet.rows - 1, len(cols) - 1)
                return

            sheet = open_sheet(name)

            def full() -> Any:
                nonlocal part
                sheet.set_autofilter(0, 0, sheet.rows - 1, len(cols) - 1)
                part += 1
                return open_sheet(f"{name}{part}")

            for block in encoded if encoded is not None else ():  # a form's rows at a time
                while block:
                    if sheet.rows >= MAX_ROWS:
                        sheet = full()
                    k = sheet.write_encoded(block)
                    count += k
                    block = block[k:]
            for row in rows if encoded is None else ():
                if sheet.rows >= MAX_ROWS:
                    sheet = full()
                sheet.write_row(row, styles, height=note_height(row[_NOTE_COL]) if name == ISSUE_SHEET else None)
                count += 1
            if sheet.rows > 1:
                sheet.set_autofilter(0, 0, sheet.rows - 1, len(cols) - 1)

        included = [d for d in cons._depts if d.included]
        detail(TASK_SHEET, TASK_COLS, cons.task_rows(), sum(d.n_tasks for d in included))
        detail(IND_SHEET, IND_COLS, cons.indicator_rows(), sum(d.n_indicators for d in included))
        detail(ISSUE_SHEET, ISSUE_COLS, cons.issue_rows(), cons._issues.rows)
        counts = cons.category_counts()  # indicators per (一级, 二级), for the 图表 sheet

        # 文件清单
        ws = wb.add_sheet(FILE_SHEET, widths=_WIDTHS[FILE_SHEET], freeze=(1, 0),
                          dimension=(len(cons.file_records) + 1, len(FILE_COLS)), print_setup=printed(FILE_SHEET, False))
        ws.write_row(FILE_COLS, head, height=30)
        for f in cons.file_records:
            ws.write_row(f.row(), [0, 0, bad if f.status == SKIPPED else 0] + [0] * (len(FILE_COLS) - 3))
        if cons.file_records:
            ws.set_autofilter(0, 0, len(cons.file_records), len(FILE_COLS) - 1)

        # 图表: small source tables on the left, native charts on the right
        ws = wb.add_sheet(CHART_SHEET, widths=[30, 14, 14, 10, 4], selected=False, print_setup=printed(CHART_SHEET))
        shown = top  # (项目支出, -order, name, 基本支出), largest first
        more = n - len(shown)
        ws.write_row([f"项目支出（万元）：前 {len(shown)} 个部门" if more else "项目支出（万元）：各部门"], title)
        ws.write_row(["部门名称", "项目支出", "基本支出"], head)
        r0 = ws.rows
        for project, _k, name, basic in shown:
            ws.write_row([name, project, basic], [0, money, money])
        r1 = ws.rows - 1  # the chart shows the departments, not the 其他 row below them
        if more:
            ws.write_row([f"其他 {more} 个部门", sums[6] - sum((t[0] for t in shown), Decimal(0)),
                          sums[5] - sum((t[3] for t in shown), Decimal(0))], [0, money, money])
        charts: list[tuple[BarChart, int, int]] = []  # chart, height in rows, first row (its table's title)

        def next_table() -> None:
            """Leave a blank row, and start below the chart beside the table before (one page each)."""
            end = charts[-1][2] + charts[-1][1] + 1 if charts else 0
            ws.skip_rows(max(1, end - ws.rows))

        if r1 >= r0:
            charts.append((BarChart(
                "各部门项目支出（万元）",
                [Series("项目支出", ref(CHART_SHEET, r0, 1, r1, 1), ref(CHART_SHEET, r0, 0, r1, 0),
                        name_ref=ref(CHART_SHEET, r0 - 1, 1), value_cache=[float(t[0]) for t in shown],
                        category_cache=[t[2] for t in shown], color="4472C4")],
                horizontal=True, number_format="#,##0"), max(18, (r1 - r0 + 1) + 4), 0))
        next_table()
        t1 = ws.rows
        by1: Counter[str] = Counter()
        for (l1, _l2), k in counts.items():
            by1[l1] += k
        ws.write_row(["指标数：按一级指标"], title)
        ws.write_row(["一级指标", "指标数"], head)
        a0 = ws.rows
        l1_rows = by1.most_common(12)
        for l1, k in l1_rows:
            ws.write_row([l1, k], [0, integer])
        a1_ = ws.rows - 1
        if l1_rows:
            charts.append((BarChart(
                "指标数（按一级指标）",
                [Series("指标数", ref(CHART_SHEET, a0, 1, a1_, 1), ref(CHART_SHEET, a0, 0, a1_, 0),
                        name_ref=ref(CHART_SHEET, a0 - 1, 1), value_cache=[float(k) for _, k in l1_rows],
                        category_cache=[l1 for l1, _ in l1_rows], color="70AD47")]), 18, t1))
        next_table()
        t2 = ws.rows
        ws.write_row(["指标数：按一级/二级指标"], title)
        ws.write_row(["一级/二级指标", "指标数", "一级指标", "二级指标"], head)
        b0 = ws.rows
        l2_rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(l2_rows) > 30:
            rest_n = sum(k for _, k in l2_rows[29:])
            l2_rows = l2_rows[:29] + [(("其他", "其他"), rest_n)]
        labels = []
        for (l1, l2), k in l2_rows:
            label = f"{l1}／{l2}" if (l1, l2) != ("其他", "其他") else "其他"
            labels.append(label)
            ws.write_row([label, k, l1, l2], [0, integer, 0, 0])
        b1 = ws.rows - 1
        if l2_rows:
            charts.append((BarChart(
                "指标数（按一级/二级指标）",
                [Series("指标数", ref(CHART_SHEET, b0, 1, b1, 1), ref(CHART_SHEET, b0, 0, b1, 0),
                        name_ref=ref(CHART_SHEET, b0 - 1, 1), value_cache=[float(k) for _, k in l2_rows],
                        category_cache=labels, color="ED7D31")], horizontal=True), max(18, len(l2_rows) + 4), t2))
        for chart, height, start in charts:
            ws.add_chart(chart, start, 5, start + height, 15)
        # one table with its chart per page
        ws.print_setup = printed(CHART_SHEET, breaks=tuple(start for _, _, start in charts if start))
