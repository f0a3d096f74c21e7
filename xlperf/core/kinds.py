"""What a sheet is, before it is read: the kinds of the form family (``xlperf/data/kinds.toml``).

A sheet is a 部门整体支出绩效目标表 laid out per task (``dept_tasks``, the seed's layout), a project list
of the same shape (``project_list``), a 部门整体 form with department-level indicators
(``dept_overall``, with or without a 年度履职目标 block), a 项目支出绩效目标表 (``project``), a 申报表
with 长期目标/年度目标 (``application``), a 绩效自评表 (``self_eval``), or not a form. The kind is decided
from the title and the labels, as the data file says; a refusal names what the sheet is, what xlperf
does with that kind and what to do next (:func:`refusal`).

Sheets in traditional characters are read through a conversion (:func:`simplified`): the labels are
recognised, the pinyin glosses some mirrors add (「區(qū)」) are dropped.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import NotAFormError
from .grid import Grid
from .labels import default_labels
from .text import label_key, squash

READERS = ("tasks", "dept", "project", "")


class KindSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z_]+$")
    name: str = Field(min_length=1)
    title_words: tuple[str, ...] = ()
    label_words: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    reader: str
    can: str = Field(min_length=1)
    next: str = ""

    @field_validator("reader")
    @classmethod
    def _reader(cls, v: str) -> str:
        if v not in READERS:
            raise ValueError(f"reader 须是 {READERS} 之一：{v!r}")
        return v

    @field_validator("label_words", "needs")
    @classmethod
    def _keys(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(label_key(w) for w in v)

    @field_validator("title_words")
    @classmethod
    def _squash(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(squash(w) for w in v)


class KindBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: tuple[KindSpec, ...] = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _unique(cls, v: tuple[KindSpec, ...]) -> tuple[KindSpec, ...]:
        ids = [k.id for k in v]
        if len(set(ids)) != len(ids):
            raise ValueError(f"类型 id 重复：{ids}")
        if "dept_tasks" not in ids:
            raise ValueError("须有 dept_tasks（按任务填报的部门整体表）")
        return v

    def get(self, kind_id: str) -> KindSpec:
        return next(k for k in self.kind if k.id == kind_id)


def load_kinds(text: str) -> KindBook:
    return KindBook.model_validate(tomllib.loads(text))


@cache
def default_kinds() -> KindBook:
    data = resources.files("xlperf").joinpath("data/kinds.toml").read_bytes()
    return load_kinds(data.decode("utf-8"))


def kind_name(kind_id: str) -> str:
    return default_kinds().get(kind_id).name


# -- the title and the labels of a sheet ---------------------------------------------------------------

_TITLE_ROWS = 4
# kinds are told by the title and the header labels: the rows a sheet's headers sit in (a data sheet of a
# million rows below them is not looked at)
HEAD_ROWS = 300


def title_text(grid: Grid) -> str:
    """The text of the sheet's first few non-empty rows that are not labels (squashed)."""
    labels = default_labels().all_keys()
    rows: dict[int, list[str]] = {}
    head = ((rc, v) for rc, v in grid.values.items() if rc[0] < HEAD_ROWS)
    for (r, _c), v in sorted(head):
        if not isinstance(v, str) or not v.strip() or len(v) > 120:
            continue
        if r not in rows and len(rows) >= _TITLE_ROWS:
            break
        rows.setdefault(r, []).append(v)
    out = [squash(v) for texts in rows.values() for v in texts if label_key(v) not in labels]
    return " ".join(out)


def label_keys(grid: Grid) -> frozenset[str]:
    """The label keys of every short text cell of the sheet's head rows."""
    return frozenset(label_key(v) for (r, _c), v in grid.values.items()
                     if r < HEAD_ROWS and isinstance(v, str) and len(v) <= 60)


def classify(grid: Grid, *, title: str | None = None, keys: frozenset[str] | None = None) -> KindSpec | None:
    """The kind of a sheet without a per-task table, from its title and labels (None: not a form)."""
    title = title_text(grid) if title is None else title
    keys = label_keys(grid) if keys is None else keys
    for k in default_kinds().kind:
        if k.id == "dept_tasks":
            continue
        hit = any(w in title for w in k.title_words) or any(w in keys for w in k.label_words)
        if hit and all(n in keys for n in k.needs):
            return k
    return None


def is_self_eval(grid: Grid) -> bool:
    k = classify(grid)
    return k is not None and k.id == "self_eval"


# -- refusals -----------------------------------------------------------------------------------------


def refusal(spec: KindSpec | None, why: str) -> NotAFormError:
    """The one shape of a refusal: what the sheet is, why it cannot be read, what xlperf does, what next."""
    if spec is None:
        return NotAFormError(
            f"不是绩效目标表：{why}；xlperf 读取部门整体支出绩效目标表和项目支出绩效目标表，"
            "请选择填有绩效目标表的工作表（--sheet 工作表名），或用 xlperf new 新建一张")
    if not spec.reader:
        return NotAFormError(f"这是{spec.name}：{spec.can}；{spec.next}")
    return NotAFormError(f"这是{spec.name}，但{why}；xlperf 对这类表{spec.can}，{spec.next or '请补齐后再试'}")


# -- traditional characters -----------------------------------------------------------------------------


@cache
def _t2s() -> Any:
    from opencc_purepy import OpenCC

    return OpenCC("t2s")


@cache
def _gloss() -> re.Pattern[str]:
    return re.compile(default_labels().script.gloss)


def _convert(text: str) -> str:
    return _gloss().sub("", _t2s().convert(text))


def simplified(grid: Grid) -> Grid | None:
    """The sheet with its text in simplified characters when it is written in traditional ones (a label
    is only recognised after conversion); None when it is not (the sheet is read as it is)."""
    labels = default_labels().all_keys()
    texts = [v for (r, _c), v in grid.values.items() if r < HEAD_ROWS and isinstance(v, str) and 1 < len(v) <= 60]
    known = sum(1 for v in texts if label_key(v) in labels)
    converted = sum(1 for v in texts if label_key(_convert(v)) in labels)
    if converted <= known:
        return None
    values = {rc: _convert(v) if isinstance(v, str) else v for rc, v in grid.values.items()}
    return replace(grid, values=values)
