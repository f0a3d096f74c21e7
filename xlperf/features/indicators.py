"""Standard indicators: detect task types, insert a standard set under a task. Written once against
:class:`xlperf.workbook.Workbook` (``xlperf indicators detect|insert``, 插入标准指标).

Insertion takes the :class:`~xlperf.core.model.Task` itself: the command line turns ``--task N`` into
one with :func:`~xlperf.core.indicators.find_task`, the ribbon takes the task under the selection.
Two tasks may share a 序号; the task travels, never its number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.indicators import (
    IndicatorSet,
    InsertPlan,
    Library,
    PlannedRow,
    TypeGuess,
    build_insert_plan,
    detect_form,
    detect_task,
)
from ..core.model import Form, Task
from ..errors import XlperfError
from ..workbook import FormSheet, Workbook, commit, form_sheet


@dataclass
class InsertResult:
    source: Path | None
    output: Path | None
    sheet: str
    task_seq: Any
    task_name: str | None
    type: str
    guess: TypeGuess | None
    plan: InsertPlan
    backup: Path | None = None
    written: bool = False

    @property
    def task(self) -> Task:
        return self.plan.task

    @property
    def label(self) -> str:
        """任务1「…」 as messages name the task."""
        return task_label(self.plan.task)

    @property
    def added(self) -> list[PlannedRow]:
        return self.plan.rows

    @property
    def skipped(self) -> list[str]:
        return [s.name for s in self.plan.skipped]

    @property
    def needs_value(self) -> list[PlannedRow]:
        return self.plan.needs_value


def task_label(task: Task) -> str:
    return f"任务{task.seq if task.seq is not None else ''}「{task.name or ''}」"


def detect(book: Workbook, library: Library, *, sheet: str | None = None) -> list[TypeGuess]:
    form = form_sheet(book, sheet).form
    if not form.tasks and form.kind != "dept_tasks":  # a project form: the project itself
        from ..core.indicators import detect_task, table_task

        return [detect_task(table_task(form), library)]
    return detect_form(form, library)


def choose_set(task: Task, library: Library, type: str | None) -> tuple[IndicatorSet, TypeGuess | None]:
    """The indicator set named ``type``, or the one detected for ``task``."""
    if type:
        return library.require(type), None
    guess = detect_task(task, library)
    if guess.type is None:
        raise XlperfError(f"无法识别{task_label(task)}的类型，请指定类型（现有：{'、'.join(library.names)}）")
    return library.require(guess.type), guess


def insert(book: Workbook, pick: Callable[[FormSheet], Task], library: Library, *, type: str | None = None,
           replace: bool = False, sheet: str | None = None, dry_run: bool = False) -> InsertResult:
    """Insert the standard set of ``type`` (detected when None) under the task ``pick`` chooses from
    the form sheet, and save."""
    fs = form_sheet(book, sheet)
    task = pick(fs)
    iset, guess = choose_set(task, library, type)
    plan = build_insert_plan(fs.grid, fs.form, task, iset, replace=replace)
    result = InsertResult(source=book.path, output=None, sheet=fs.name, task_seq=task.seq, task_name=task.name,
                          type=iset.name, guess=guess, plan=plan)
    if dry_run:
        return result
    saved = commit(book, fs.name, plan.edits, fs.grid.merges, replaces=bool(getattr(book, "replaces", True)))
    result.output, result.backup, result.written = saved.target, saved.backup, saved.written or bool(plan.edits)
    return result


def by_number(task: int | str) -> Callable[[FormSheet], Task]:
    """``pick`` for ``--task N``: the task whose 序号 is N (else the N-th task)."""
    from ..core.indicators import find_task

    return lambda fs: find_task(fs.form, task)


def at_row(row: int | None) -> Callable[[FormSheet], Task]:
    """``pick`` for a selection: the task whose rows hold ``row`` (0-based); the only task when there
    is one."""

    def pick(fs: FormSheet) -> Task:
        from ..core.autosum import task_span

        form: Form = fs.form
        if row is not None:
            for t in form.tasks:
                r0, r1 = task_span(fs.grid, form, t)
                if r0 <= row <= r1:
                    return t
        if len(form.tasks) == 1:
            return form.tasks[0]
        if not form.tasks and form.kind != "dept_tasks":  # a project form: its indicator table
            from ..core.indicators import table_task

            return table_task(form)
        raise XlperfError("请先选中要插入指标的任务（任务所在行的任意单元格），再点「插入标准指标」。")

    return pick


__all__ = ["InsertResult", "at_row", "by_number", "choose_set", "detect", "insert", "task_label"]
