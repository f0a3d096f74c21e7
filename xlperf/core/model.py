"""The form as typed data. Every value knows its sheet and cell (``cells`` maps field -> A1).

``Form.to_json_dict()`` is the stable export used by ``xlperf parse --json``: the documented keys
first, numbers as JSON numbers, missing values as null.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

M = TypeVar("M", bound=BaseModel)


def _num(d: Decimal | None) -> int | float | None:
    if d is None:
        return None
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return _num(v)
    return v


_set = object.__setattr__


def assemble(cls: type[M], values: dict[str, Any]) -> M:
    """``cls.model_construct(**values)`` for the parser's hot path: ``values`` are already the checked
    field values, holding every field of ``cls`` (anything else goes through ``model_construct``).
    Builds the instance without pydantic's per-field default and alias handling (a form has hundreds
    of indicators)."""
    names = _plain_fields(cls)
    if names is None or values.keys() != names:
        return cls.model_construct(**values)
    return _build(cls, values)


def _build(cls: type[M], values: dict[str, Any]) -> M:
    """The instance of ``cls`` holding ``values`` (every field of ``cls``, already checked), nothing
    re-validated: what :func:`assemble` does once it has checked the keys."""
    m = _new(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", set(values))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


_new = object.__new__
_PLAIN: dict[type, frozenset[str] | None] = {}


def _plain_fields(cls: type[BaseModel]) -> frozenset[str] | None:
    """The field names of ``cls`` (None when the class has a post-init hook: it goes through
    ``model_construct``), worked out once per class."""
    try:
        return _PLAIN[cls]
    except KeyError:
        names = _PLAIN[cls] = None if cls.__pydantic_post_init__ else frozenset(cls.__pydantic_fields__)
        return names


class Located(BaseModel):
    """Mixin: where the thing sits. ``cells`` maps a field name to its A1 reference."""

    # defer_build: the parser builds models with model_construct, so the schema is only built when
    # something validates (JSON export, tests); importing the model stays cheap for the Excel buttons
    model_config = ConfigDict(validate_assignment=False, arbitrary_types_allowed=True, defer_build=True)

    sheet: str = ""
    row: int | None = Field(default=None, description="0-based sheet row of the first cell")
    cells: dict[str, str] = Field(default_factory=dict)

    def cell(self, field: str) -> str | None:
        return self.cells.get(field)


class Indicator(Located):
    level1: str | None = None
    level2: str | None = None
    name: str | None = None
    core: bool | None = None
    op: str | None = None
    value: Decimal | str | None = None
    unit: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, description="cell contents as read, per field")
    inherited: list[str] = Field(default_factory=list, description="fields filled from the row above")
    op_inline: bool = False
    extra: dict[str, Any] = Field(default_factory=dict, description="the layout's further columns, as text: "
                                  "value_type (定量/定性), explanation, scoring, weight, direction, note, level3")

    @property
    def number(self) -> Decimal | None:
        return self.value if isinstance(self.value, Decimal) else None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "level1": self.level1,
            "level2": self.level2,
            "name": self.name,
            "core": self.core,
            "op": self.op,
            "value": _jsonable(self.value),
            "unit": self.unit,
            "cell": self.cells.get("name"),
            "row": None if self.row is None else self.row + 1,
            **self.extra,
        }


class Task(Located):
    seq: int | str | None = None
    name: str | None = None
    content: str | None = None
    source: str | None = None
    amount: Decimal | None = None
    indicators: list[Indicator] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict)
    last_row: int | None = Field(default=None, description="0-based last sheet row of the task's block")

    @property
    def label(self) -> str:
        return f"任务{self.seq}" if self.seq is not None else f"任务「{self.name or ''}」"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "name": self.name,
            "content": self.content,
            "source": self.source,
            "amount": _num(self.amount),
            "indicators": [i.to_json_dict() for i in self.indicators],
            "cell": self.cells.get("name"),
            "rows": None if self.row is None else [self.row + 1, (self.last_row or self.row) + 1],
        }


class Budget(Located):
    basic: Decimal | None = None
    project: Decimal | None = None
    fiscal: Decimal | None = None
    other: Decimal | None = None
    total: Decimal | None = Field(default=None, description="部门预算支出合计, where the form has one")
    income_total: Decimal | None = Field(default=None, description="收入合计, where the form has one")
    raw: dict[str, Any] = Field(default_factory=dict)
    formulas: dict[str, str] = Field(default_factory=dict)
    unit: str = Field(default="万元", description="the unit the sheet declares; the amounts here are in 万元")
    unit_text: str | None = Field(default=None, description="the declaration as typed (金额单位：元), where there is one")

    def to_json_dict(self) -> dict[str, Any]:
        out = {k: _num(getattr(self, k)) for k in ("basic", "project", "fiscal", "other")}
        if self.total is not None:
            out["total"] = _num(self.total)
        if self.income_total is not None:
            out["income_total"] = _num(self.income_total)
        if self.unit != "万元":  # the amounts above are in 万元; the sheet declared another unit
            out["unit"] = self.unit
            out["unit_text"] = self.unit_text
        return out


class TableLayout(BaseModel):
    """Where the task table's columns are (0-based), found by their labels."""

    model_config = ConfigDict(defer_build=True)

    header_row: int
    first_data_row: int
    columns: dict[str, int]


class Duty(Located):
    """A row of a department-level form's 年度履职目标 block."""

    function: str | None = None
    task: str | None = None
    project: str | None = None
    amount: Decimal | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {"function": self.function, "task": self.task, "project": self.project,
                "amount": _num(self.amount), "row": None if self.row is None else self.row + 1}


class Form(Located):
    kind: str = Field(default="dept_tasks", description="what the sheet is (xlperf/data/kinds.toml)")
    title: str | None = None
    year: int | None = None
    department: str | None = None
    supervisor: str | None = None
    staff_count: int | None = None
    subunit_count: int | None = None
    budget: Budget = Field(default_factory=Budget)
    overall_goal: str | None = None
    tasks: list[Task] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict)
    layout: TableLayout | None = None
    source: str | None = None
    # the layouts without tasks: department-level indicators (dept_overall), project forms (project)
    indicators: list[Indicator] = Field(default_factory=list, description="indicators of the form itself")
    duties: list[Duty] = Field(default_factory=list, description="the 年度履职目标 block (dept_overall)")
    budget_code: str | None = None
    duty: str | None = Field(default=None, description="部门（单位）职责")
    project_name: str | None = None
    implementer: str | None = None
    long_goal: str | None = None
    annual_goal: str | None = None
    script: str | None = Field(default=None, description="'traditional' when read through t2s conversion")

    @property
    def indicator_count(self) -> int:
        return sum(len(t.indicators) for t in self.tasks) + len(self.indicators)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "supervisor": self.supervisor,
            "year": self.year,
            "staff_count": self.staff_count,
            "subunit_count": self.subunit_count,
            "budget": self.budget.to_json_dict(),
            "overall_goal": self.overall_goal,
            "tasks": [t.to_json_dict() for t in self.tasks],
            "title": self.title,
            "sheet": self.sheet,
            "source": self.source,
            "cells": dict(self.cells),
            "kind": self.kind,
            **self._family_json(),
        }

    def _family_json(self) -> dict[str, Any]:
        """The keys of the layouts without tasks (none for the per-task layout)."""
        out: dict[str, Any] = {}
        if self.kind in ("dept_overall", "project", "application"):
            out["indicators"] = [i.to_json_dict() for i in self.indicators]
        if self.kind == "dept_overall":
            out.update(budget_code=self.budget_code, duty=self.duty, duties=[d.to_json_dict() for d in self.duties])
        if self.kind in ("project", "application"):
            out.update(project_name=self.project_name, implementer=self.implementer, long_goal=self.long_goal,
                       annual_goal=self.annual_goal)
        if self.script:
            out["script"] = self.script
        return out
