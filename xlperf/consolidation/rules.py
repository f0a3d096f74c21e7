"""The 校验问题 rows of the batch-level XC0xx rules (defined in :mod:`xlperf.core.rules.consolidation`).

Imported lazily (the registry pulls in the indicator framework): only when an XC issue is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.issues import Severity
from ..core.rules.consolidation import (
    department_projects_differ,
    duplicate_department,
    sheet_unparseable,
    validation_crashed,
)
from ..core.rules.registry import rule_of
from .schema import IssueRow, issue_row


def issue(func: Callable[..., str], message: str, *, display: str, sheet: str | None, department: str | None,
          cell: str | None = None, severity: Severity | None = None) -> IssueRow:
    """The 校验问题 row of batch rule ``func`` (code and default severity from the registry)."""
    r = rule_of(func)
    sev = severity if severity is not None else r.severity
    return issue_row(display, sheet, cell, department, sev.value, r.code, message)


def code_of(func: Callable[..., Any]) -> str:
    """The registered code of batch rule ``func`` (for texts that name it)."""
    return rule_of(func).code


__all__ = ["code_of", "department_projects_differ", "duplicate_department", "issue", "sheet_unparseable", "validation_crashed"]
