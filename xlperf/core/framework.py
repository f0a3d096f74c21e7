"""The indicator framework (一级 -> 二级) loaded from ``xlperf/data/framework.toml``.

Used by the rules (XP201-XP205), the template's dependent dropdowns and the indicator library.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from .text import squash

_MEMO_CAP = 50_000  # lookups remembered per framework (bounded: a long-lived add-in process)


class Level2(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    former: list[str] = Field(default_factory=list, description="older official names (accepted, noted as 旧版名称)")


class Level1(BaseModel):
    name: str
    level2: list[Level2]


class Legacy(BaseModel):
    level1: str
    level2: list[str]
    to_level1: str
    to_level2: str


class Framework(BaseModel):
    version: str
    basis: str = ""
    level1: list[Level1]
    legacy: list[Legacy] = Field(default_factory=list)
    # answers of the lookups below by their arguments: a batch asks about the same few level names
    # for every indicator of every form
    _memo: dict[tuple, object] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> Framework:
        names = [l1.name for l1 in self.level1]
        if len(set(names)) != len(names):
            raise ValueError("duplicate 一级指标 in framework")
        for lg in self.legacy:
            if lg.to_level1 not in names:
                raise ValueError(f"legacy target {lg.to_level1} is not a 一级指标")
        return self

    @property
    def level1_names(self) -> list[str]:
        return [l1.name for l1 in self.level1]

    def _memo_call(self, key: tuple[Any, ...], compute: Callable[..., Any], *args: Any) -> Any:
        """``compute(*args)``, remembered under ``key`` (at most _MEMO_CAP entries; the lookups repeat for
        every indicator row of every form)."""
        memo = self.__pydantic_private__["_memo"]  # (not self._memo: pydantic's __getattr__ is slow)
        try:
            return memo[key]
        except KeyError:
            pass
        if len(memo) > _MEMO_CAP:
            memo.clear()
        memo[key] = found = compute(*args)
        return found

    def level2_names(self, level1: str) -> list[str]:
        for l1 in self.level1:
            if l1.name == level1:
                return [l2.name for l2 in l1.level2]
        return []

    def canonical_level1(self, text: str | None) -> str | None:
        """Canonical 一级 for a typed value (spaces, full-width, missing 指标 suffix tolerated)."""
        try:
            return self.__pydantic_private__["_memo"][("canonical_level1", text)]
        except KeyError:
            return self._memo_call(("canonical_level1", text), self._canonical_level1, text)

    def _canonical_level1(self, text: str | None) -> str | None:
        s = squash(text)
        for name in self.level1_names:
            if s == name or s + "指标" == name:
                return name
        return None

    def canonical_level2(self, level1: str | None, text: str | None) -> str | None:
        """Canonical 二级 under ``level1`` for a typed 二级 (its own name or an alias); None if not allowed."""
        try:
            return self.__pydantic_private__["_memo"][("canonical_level2", level1, text)]
        except KeyError:
            return self._memo_call(("canonical_level2", level1, text), self._canonical_level2, level1, text)

    def _canonical_level2(self, level1: str | None, text: str | None) -> str | None:
        s = squash(text)
        for l1 in self.level1:
            if l1.name != level1:
                continue
            for l2 in l1.level2:
                if s == l2.name or s in l2.aliases or s in l2.former:
                    return l2.name
        return None

    def is_former_level2(self, level1: str | None, text: str | None) -> bool:
        """``text`` is an older official name of a 二级 under ``level1`` (e.g. 社会公众或服务对象满意度指标)."""
        s = squash(text)
        return any(s in l2.former for l1 in self.level1 if l1.name == level1 for l2 in l1.level2)

    def legacy_target(self, level1: str | None, level2: str | None) -> tuple[str, str] | None:
        try:
            return self.__pydantic_private__["_memo"][("legacy_target", level1, level2)]
        except KeyError:
            return self._memo_call(("legacy_target", level1, level2), self._legacy_target, level1, level2)

    def _legacy_target(self, level1: str | None, level2: str | None) -> tuple[str, str] | None:
        s1, s2 = squash(level1), squash(level2)
        for lg in self.legacy:
            if s1 == lg.level1 and s2 in lg.level2:
                return lg.to_level1, lg.to_level2
        return None

    def level1_holding(self, level2: str) -> tuple[str, ...]:
        """The 一级 whose 二级 include the canonical name ``level2``."""
        return self._memo_call(("level1_holding", level2), self._level1_holding, level2)

    def _level1_holding(self, level2: str) -> tuple[str, ...]:
        return tuple(l1.name for l1 in self.level1 if any(l2.name == level2 for l2 in l1.level2))

    def level1_of_level2(self, text: str | None) -> str | None:
        """The 一级 a 二级 name (or alias) belongs to, if any."""
        return self._memo_call(("level1_of_level2", text), self._level1_of_level2, text)

    def _level1_of_level2(self, text: str | None) -> str | None:
        s = squash(text)
        for l1 in self.level1:
            for l2 in l1.level2:
                if s == l2.name or s in l2.aliases or s in l2.former:
                    return l1.name
        return None


def load_framework(path: str | Path | None = None) -> Framework:
    if path is None:
        return default_framework()
    with open(path, "rb") as fh:
        return Framework.model_validate(tomllib.load(fh))


@cache
def default_framework() -> Framework:
    data = resources.files("xlperf").joinpath("data/framework.toml").read_bytes()
    return Framework.model_validate(tomllib.loads(data.decode("utf-8")))
