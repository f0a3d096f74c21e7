"""Auto-sum: 项目支出 (and the totals the layout has) become live SUM formulas; the income side is
checked. Written once against :class:`xlperf.workbook.Workbook` (``xlperf autosum``, 自动求和)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core import autosum as core
from ..core.autosum import Change, Message
from ..workbook import Workbook, commit, form_sheet


@dataclass
class AutosumResult:
    source: Path | None
    output: Path | None
    sheet: str
    changes: list[Change] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    backup: Path | None = None
    written: bool = False

    @property
    def ok(self) -> bool:
        return not any(m.level == "error" for m in self.messages)


def autosum(book: Workbook, *, sheet: str | None = None, balance: bool = False, dry_run: bool = False) -> AutosumResult:
    """Plan the formulas on the form sheet and, unless ``dry_run``, write and save them."""
    fs = form_sheet(book, sheet)
    plan = core.analyse_autosum(fs.grid, fs.form, balance=balance)
    result = AutosumResult(source=book.path, output=None, sheet=fs.name, changes=plan.changes, messages=plan.messages)
    if dry_run:
        return result
    saved = commit(book, fs.name, plan.edits, fs.grid.merges, replaces=bool(getattr(book, "replaces", True)))
    result.output, result.backup, result.written = saved.target, saved.backup, saved.written or bool(plan.edits)
    return result


__all__ = ["AutosumResult", "autosum"]
