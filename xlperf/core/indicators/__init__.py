"""Standard indicator sets per task type: the library, task-type detection and insertion planning."""

from __future__ import annotations

from .detect import TypeGuess, detect_form, detect_task, detect_text
from .library import (
    AMOUNT,
    PLACEHOLDERS,
    IndicatorSet,
    IndicatorSpec,
    KeywordRule,
    Library,
    LibraryError,
    builtin_sets,
    load_library,
    load_set,
    parse_set,
    user_library_dir,
)
from .plan import (
    InsertPlan,
    PlannedRow,
    TaskNotFoundError,
    build_insert_plan,
    find_task,
    plan_insert,
    table_task,
)

__all__ = [
    "AMOUNT", "PLACEHOLDERS", "IndicatorSet", "IndicatorSpec", "InsertPlan", "KeywordRule", "Library",
    "LibraryError", "PlannedRow", "TaskNotFoundError", "TypeGuess", "build_insert_plan", "builtin_sets",
    "detect_form", "detect_task", "detect_text", "find_task", "load_library", "load_set", "parse_set", "table_task",
    "plan_insert", "user_library_dir",
]
