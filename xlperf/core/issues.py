"""What validation finds: :class:`Severity`, :class:`Issue` (one located problem) and :class:`Report`.

Pure data. An issue names its rule code, severity, a Chinese message stating the value found and what
was expected, and where it is (sheet, A1 cell, task 序号, indicator name). A fixable issue carries its
safe fix as a tuple of :class:`~xlperf.core.edits.SetValue` edits.

``Report.to_dict()`` is one entry of ``xlperf validate --format json``::

    {"path", "sheet", "department", "errors", "warnings", "infos",
     "issues": [{"code", "severity", "sheet", "cell", "task", "indicator", "message"}]}

and a file that could not be read is ``{"path", "error"}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .grid import parse_a1

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .edits import SetValue


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for info (sort key: worst first)."""
        return _RANK[self.value]

    @property
    def label(self) -> str:
        return _LABEL[self.value]

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        """``"error"``/``"warning"``/``"warn"``/``"info"`` (or 错误/警告/提示) -> Severity; ValueError otherwise."""
        if isinstance(text, Severity):
            return text
        key = str(text).strip().lower()
        key = {"warn": "warning", "错误": "error", "警告": "warning", "提示": "info"}.get(key, key)
        return cls(key)

    def __str__(self) -> str:
        return self.value


_RANK = {"error": 0, "warning": 1, "info": 2}
_LABEL = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Issue:
    """One problem, located. ``cell`` is an A1 reference on ``sheet`` (None when the form has no such cell);
    ``task`` is the task's 序号 (or None), ``indicator`` the indicator's name (or None)."""

    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    cell: str | None = None
    task: int | str | None = None
    indicator: str | None = None
    fix: tuple[SetValue, ...] = ()
    title: str = ""

    @property
    def fixable(self) -> bool:
        return bool(self.fix)

    @property
    def position(self) -> tuple[int, int]:
        """0-based (row, col) of ``cell``; (-1, -1) when there is no cell."""
        if not self.cell:
            return (-1, -1)
        return _position(self.cell)

    @property
    def location(self) -> str:
        """``sheet!E12`` (or just the sheet / cell when the other is unknown)."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.cell or self.sheet or ""

    @property
    def context(self) -> str:
        """``任务7「接待服务水平」`` style context for text output ('' when neither is known)."""
        parts = []
        if self.task is not None:
            parts.append(f"任务{self.task}")
        if self.indicator:
            parts.append(f"「{self.indicator}」")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "cell": self.cell,
            "task": self.task,
            "indicator": self.indicator,
            "message": self.message,
        }

    def sort_key(self) -> tuple:
        r, c = self.position
        return (self.sheet or "", r, c, self.code)


@lru_cache(maxsize=16384)
def _position(cell: str) -> tuple[int, int]:
    """``parse_a1(cell)``, (-1, -1) when it is no cell reference; memoised (reports sort by it, and a
    batch names the same few hundred cells form after form)."""
    try:
        return parse_a1(cell)
    except ValueError:
        return (-1, -1)


_new = object.__new__
_set = object.__setattr__


def make_issue(code: str, severity: Severity, message: str, sheet: str | None, cell: str | None,
               task: int | str | None, indicator: str | None, fix: tuple[SetValue, ...], title: str) -> Issue:
    """``Issue(code, severity, ...)`` for the rule runner's hot path: every field given, in order, and
    stored as is, as the dataclass's own ``__init__`` does (which a frozen dataclass makes pay one
    ``object.__setattr__`` per field)."""
    issue = _new(Issue)
    _set(issue, "__dict__", {"code": code, "severity": severity, "message": message, "sheet": sheet, "cell": cell,
                             "task": task, "indicator": indicator, "fix": fix, "title": title})
    return issue


@dataclass
class Report:
    """The issues found in one form (or the error that kept a file from being read)."""

    issues: list[Issue] = field(default_factory=list)
    path: str | None = None
    sheet: str | None = None
    department: str | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        self.issues = sorted(self.issues, key=Issue.sort_key)

    # -- views --------------------------------------------------------------------------------------
    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def infos(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.INFO]

    @property
    def fixable(self) -> list[Issue]:
        return [i for i in self.issues if i.fixable]

    @property
    def codes(self) -> list[str]:
        """Codes in report order, with repeats (handy in tests: ``"XP401" in report.codes``)."""
        return [i.code for i in self.issues]

    def valid(self, *, strict: bool = False) -> bool:
        """No errors (and, with ``strict``, no warnings either) and the file could be read."""
        if self.error is not None:
            return False
        return not self.errors and not (strict and self.warnings)

    def by_code(self, code: str) -> list[Issue]:
        return [i for i in self.issues if i.code == code]

    def filter(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> Report:
        """A copy keeping the codes matched by ``select`` (prefixes, e.g. ``XP4``) minus ``ignore``."""
        keep = [i for i in self.issues if code_selected(i.code, select, ignore)]
        return Report(keep, path=self.path, sheet=self.sheet, department=self.department, error=self.error)

    def flatten(self, fields: Iterable[str] = ("code", "task", "cell")) -> list[list[Any]]:
        """Plain rows of the chosen fields, in report order (for comparisons in tests)."""
        names = list(fields)
        return [[i.to_dict().get(f, getattr(i, f, None)) for f in names] for i in self.issues]

    def summary(self) -> str:
        """One Chinese line: ``3 个错误，20 个警告，8 个提示`` (or ``未发现问题``)."""
        if self.error is not None:
            return f"无法读取：{self.error}"
        return summarize(len(self.errors), len(self.warnings), len(self.infos))

    # -- exports ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        return {
            "path": self.path,
            "sheet": self.sheet,
            "department": self.department,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "infos": len(self.infos),
            "issues": [i.to_dict() for i in self.issues],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """This report as the JSON document ``xlperf validate --format json`` prints for one file:
        ``{"files": [ {...} ]}``."""
        return json.dumps({"files": [self.to_dict()]}, ensure_ascii=False, indent=indent)

    def to_frame(self) -> pd.DataFrame:
        """The issues as a pandas DataFrame (columns: code severity sheet cell task indicator message)."""
        import pandas as pd

        cols = ["code", "severity", "sheet", "cell", "task", "indicator", "message"]
        return pd.DataFrame([i.to_dict() for i in self.issues], columns=cols)

    def __len__(self) -> int:
        return len(self.issues)

    def __iter__(self):
        return iter(self.issues)


def summarize(errors: int, warnings: int, infos: int) -> str:
    if not (errors or warnings or infos):
        return "未发现问题"
    return f"{errors} 个错误，{warnings} 个警告，{infos} 个提示"


def code_selected(code: str, select: Iterable[str] | None, ignore: Iterable[str] | None) -> bool:
    """ruff-style selection: ``select``/``ignore`` hold codes or code prefixes (``XP4``, ``XP40``, ``ALL``)."""

    def hit(patterns: Iterable[str]) -> bool:
        for p in patterns:
            p = p.strip().upper()
            if p == "ALL" or (p and code.upper().startswith(p)):
                return True
        return False

    sel = list(select) if select is not None else None
    if sel is not None and sel and not hit(sel):
        return False
    return not (ignore and hit(ignore))
