"""The vocabulary of a consolidation: file statuses, severities as shown, and the sheets and columns of
the summary workbook (also the DataFrame columns and the CSV/JSON fields)."""

from __future__ import annotations

from typing import Any

# status of an input in 文件清单
OK, SKIPPED, IGNORED = "成功", "跳过", "忽略"
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}

# sheet names and columns of the summary workbook (also the DataFrame columns)
DEPT_SHEET, TASK_SHEET, IND_SHEET, ISSUE_SHEET, FILE_SHEET, CHART_SHEET = (
    "部门汇总", "任务明细", "指标明细", "校验问题", "文件清单", "图表")
DEPT_COLS = ["部门名称", "主管部门", "年度", "财政供养人员数", "下属单位数", "基本支出", "项目支出", "支出合计",
             "财政拨款", "其他资金", "任务数", "指标数", "错误数", "警告数", "来源文件", "工作表"]
DEPT_MONEY = {5, 6, 7, 8, 9}
DEPT_SUM_FROM = 3  # 财政供养人员数 .. 警告数 get a SUM in the totals row
DEPT_SUM_TO = 13
TASK_COLS = ["部门名称", "年度", "序号", "年度工作任务", "主要实施内容", "任务来源", "拟投入金额", "指标数",
             "来源文件", "工作表", "单元格"]
TASK_MONEY = {6}
IND_COLS = ["部门名称", "年度", "任务序号", "年度工作任务", "一级指标", "二级指标", "指标名称", "是否核心指标",
            "对比符号", "指标值", "计量单位", "来源文件", "工作表", "单元格"]
# 项目汇总: the 项目支出绩效目标表 of a consolidation (one row per project form; never in 部门汇总)
PROJECT_SHEET = "项目汇总"
PROJECT_COLS = ["项目名称", "主管部门", "实施单位", "年度", "年度资金总额", "财政拨款", "其他资金", "指标数", "错误数",
                "警告数", "来源文件", "工作表"]
PROJECT_MONEY = {4, 5, 6}
ISSUE_COLS = ["来源文件", "工作表", "单元格", "部门名称", "级别", "代码", "说明", "任务", "指标"]
FILE_COLS = ["序号", "文件", "状态", "原因", "表单数", "任务数", "指标数", "错误数", "警告数", "部门名称"]

# the sheets that make a workbook an xlperf summary (never read back as an input)
SUMMARY_SHEETS = frozenset({DEPT_SHEET, FILE_SHEET, IND_SHEET})

IssueRow = tuple[Any, ...]
"""One 校验问题 row, in ``ISSUE_COLS`` order: (来源文件, 工作表, 单元格, 部门名称, 级别 (as shown:
``SEVERITY_ZH``), 代码, 说明, 任务, 指标). A plain tuple: rows are ``marshal``-serialised in bulk."""

ISSUE_SEVERITY = ISSUE_COLS.index("级别")


def issue_row(display: str, sheet: str | None, cell: str | None, department: str | None, severity: str,
              code: Any, message: Any, task: Any = None, indicator: str | None = None) -> IssueRow:
    """A 校验问题 row; ``severity`` is ``"error"``/``"warning"``/``"info"`` (shown in Chinese)."""
    return (display, sheet, cell, department, SEVERITY_ZH.get(severity, severity), code, message, task, indicator)
