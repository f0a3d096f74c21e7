"""The labels of the form family (``xlperf/data/labels.toml``), validated on load.

Every label a reader looks for lives in the data file with its synonyms, grouped by layout: the
per-task department form (``task_form``), the department-level form (``dept_form``), the project form
(``project_form``) and the indicator table of a form without tasks (``indicator_table``); plus the
summary rows (部门合计, 小计), the amount units and the traditional-character conversion. Adding a
synonym needs no code. Lists are stored as label keys (:func:`~xlperf.core.text.label_key`), so a
spelling with brackets or full-width characters in the file still matches.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from .text import label_key
from .vocabulary import valid_regex


def _keys(words: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for w in words:
        k = label_key(w)
        if not k:
            raise ValueError(f"标签「{w}」为空")
        if k not in out:
            out.append(k)
    return tuple(out)


def _labels(v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    if not v:
        raise ValueError("标签表为空")
    return {field: _keys(tuple(words)) for field, words in v.items()}


Labels = Annotated[dict[str, tuple[str, ...]], AfterValidator(_labels)]
Keys = Annotated[tuple[str, ...], AfterValidator(_keys)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskForm(_Strict):
    header: Labels
    table: Labels
    headings: Keys = ()



class DeptForm(_Strict):
    header: Labels
    duties: Labels
    headings: Keys = ()



class ProjectForm(_Strict):
    header: Labels
    headings: Keys = ()



class SummaryRows(_Strict):
    exact: Keys = Field(min_length=1)
    suffixes: Keys = ()
    nameless: Keys = ()


class Units(_Strict):
    declarations: tuple[str, ...] = Field(min_length=1)
    scale: dict[str, Decimal] = Field(min_length=1)
    wan_implausible_from: Decimal
    wan_item_implausible_from: Decimal
    yuan_implausible_below: Decimal

    @field_validator("scale")
    @classmethod
    def _has_wan(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        if v.get("万元") != 1:
            raise ValueError("金额单位表须有「万元」= 1（模型以万元计）")
        if any(d <= 0 for d in v.values()):
            raise ValueError("金额单位的换算系数须为正数")
        return v


class Script(_Strict):
    gloss: Annotated[str, AfterValidator(valid_regex)]


class LabelBook(_Strict):
    task_form: TaskForm
    dept_form: DeptForm
    project_form: ProjectForm
    indicator_table: Labels
    summary_rows: SummaryRows
    units: Units
    script: Script


    def all_keys(self) -> frozenset[str]:
        """Every label key of every layout (a cell holding one is a label, never a value)."""
        keys: set[str] = set()
        for group in (self.task_form.header, self.task_form.table, self.dept_form.header, self.dept_form.duties,
                      self.project_form.header, self.indicator_table):
            for words in group.values():
                keys.update(words)
        keys.update(self.task_form.headings, self.dept_form.headings, self.project_form.headings)
        return frozenset(keys)

    def is_summary(self, key: str) -> bool:
        """``key`` (a label key) names a summary row: 合计, 部门合计, 820-马踏镇部门小计 …"""
        return key in self.summary_rows.exact or any(key.endswith(s) for s in self.summary_rows.suffixes)

    def unit_scale(self, unit: str) -> Decimal | None:
        try:
            return self.units.scale[unit]
        except KeyError:
            return None


def load_labels(text: str) -> LabelBook:
    try:
        return LabelBook.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, InvalidOperation) as exc:
        raise ValueError(f"标签文件无法读取：{exc}") from exc


@cache
def default_labels() -> LabelBook:
    data = resources.files("xlperf").joinpath("data/labels.toml").read_bytes()
    return load_labels(data.decode("utf-8"))
