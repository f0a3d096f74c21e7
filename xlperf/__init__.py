"""xlperf: 部门整体支出绩效目标表 — parse, validate, auto-sum, standard indicators, consolidate.

The public API is imported lazily so that ``import xlperf`` (and the Excel buttons) stay fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "parse": ("xlperf.api", "parse"),
    "parse_text": ("xlperf.api", "parse_text"),
    "Form": ("xlperf.core.model", "Form"),
    "Task": ("xlperf.core.model", "Task"),
    "Indicator": ("xlperf.core.model", "Indicator"),
    "Grid": ("xlperf.core.grid", "Grid"),
    "XlperfError": ("xlperf.errors", "XlperfError"),
    "validate": ("xlperf.validation", "validate"),
    "Report": ("xlperf.core.issues", "Report"),
    "autosum": ("xlperf.editing", "autosum"),
    "detect_task_types": ("xlperf.editing", "detect_task_types"),
    "insert_indicators": ("xlperf.editing", "insert_indicators"),
    "consolidate": ("xlperf.consolidation", "consolidate"),
    "Consolidation": ("xlperf.consolidation", "Consolidation"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'xlperf' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(target[0]), target[1])


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
