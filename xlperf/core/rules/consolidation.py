"""XC0xx: the batch-level rules of a consolidation, registered with the rule registry.

Each function builds the message of one issue from what the consolidation knows; its docstring is the
rule's documentation (``docs/rules.md``, ``xlperf rules``). :func:`xlperf.consolidation.rules.issue`
turns a message into a 校验问题 row with the code and default severity taken from the registry. The
per-form ``run_rules`` never runs these. Pure.
"""

from __future__ import annotations

from ..issues import Severity
from .registry import batch_rule


@batch_rule("XC001", Severity.ERROR)
def duplicate_department(name: str | None, year: int | None, other: str, on_duplicate: str) -> str:
    """同一部门（名称和年度相同）在汇总中重复出现

    检查：汇总时按部门名称（忽略空格和全角/半角差异）和年度识别部门，同一部门出现在两张表中时报告在后出现的表上。
    处理方式由 `--on-duplicate` 决定：

    - `error`（默认）：只计入第一次出现的表，后出现的表不计入汇总，报错误（退出码 1）；
    - `keep-last`：以最后出现的表为准，先出现的表不计入，报警告；
    - `keep-both`：各表均计入合计（该部门被计算两次），报警告。

    来源：汇总实务（practice）。一个部门每年只报一张部门整体支出绩效目标表；重复的表多是另存的旧版本或误放的副本，
    不加提示地合计会重复计算预算金额。级别由 `--on-duplicate` 决定，不受配置文件影响。
    """
    when = f"{year}年" if year is not None else "年度不明"
    if on_duplicate == "keep-last":
        return (f"部门「{name}」（{when}）重复：以本表为准，{other} 中的同名部门未计入汇总"
                "（--on-duplicate keep-last）")
    if on_duplicate == "keep-both":
        return (f"部门「{name}」（{when}）重复出现（另见 {other}），两者均已计入汇总"
                "（--on-duplicate keep-both），合计中该部门被计算两次")
    return (f"部门「{name}」（{when}）重复：已在 {other} 中汇总，本表未计入"
            "（可用 --on-duplicate keep-last 或 keep-both）")


@batch_rule("XC002", Severity.ERROR)
def sheet_unparseable(exc: BaseException) -> str:
    """工作表无法解析

    检查：读取工作簿后逐个工作表识别绩效目标表。不是绩效目标表的工作表（如说明页）不计入，也不报告本规则
    （整个文件都没有绩效目标表时，文件清单中注明原因）；识别过程中出现意外错误的工作表报告本规则并注明错误类型，
    该表不计入汇总，同一文件的其他工作表照常汇总。

    来源：汇总实务（practice）。个别文件或工作表的问题不应中断整批汇总，但也不能悄悄漏掉。这通常是未预见的表格写法：
    请检查该工作表，或把文件和说明中的错误信息反馈给维护者。
    """
    return f"工作表无法解析（{type(exc).__name__}: {exc}）"


@batch_rule("XC003", Severity.ERROR)
def validation_crashed(exc: BaseException) -> str:
    """校验时出错，该表未完成校验

    检查：汇总时每张表都按校验规则（XP 代码）检查。校验过程本身出错（如配置中的指标体系文件无法读取）时报告本规则，
    并注明错误类型；该表仍计入汇总，但其错误数和警告数不完整。

    来源：汇总实务（practice）。校验出错不应中断汇总，也不能让人误以为该表没有问题。
    """
    return f"校验时出错（{type(exc).__name__}: {exc}），该表未完成校验"


@batch_rule("XC004", Severity.WARNING)
def department_projects_differ(department: str, case: str, *, name: str = "", projects: int = 0,
                               funds: str = "", project_spending: str = "") -> str:
    """部门整体绩效目标表与同一部门的项目支出绩效目标表对不上

    检查：汇总的文件夹里同时有某部门的部门整体绩效目标表和该部门（实施单位或主管部门为该部门、年度相同）的
    项目支出绩效目标表时，逐项核对：各项目的年度资金总额之和应等于部门表的项目支出；每个项目应在部门表中有对应的
    年度工作任务（或履职目标的支出项目），每项任务也应有对应的项目表（名称相同或一方包含另一方）。

    来源：汇总实务（practice）；部门整体绩效目标中的项目支出由各项目支出组成。对不上多是漏报了项目表、项目改了名，
    或部门表的金额未随项目调整。
    """
    if case == "funds":
        return (f"部门「{department}」的 {projects} 个项目支出绩效目标表年度资金总额合计 {funds} 万元，与部门表的项目支出 "
                f"{project_spending} 万元不一致；请核对，项目支出应为各项目资金之和，如「{funds}」")
    if case == "no_task":
        return (f"项目「{name}」在部门「{department}」的部门表中没有对应的年度工作任务；"
                f"请在部门表中补上该任务，或核对项目名称，如任务名称写「{name}」")
    return (f"部门「{department}」的任务「{name}」没有对应的项目支出绩效目标表；"
            f"请补报该项目的目标表，或核对任务名称与项目名称是否一致，如项目名称写「{name}」")
