"""The standard indicator library: one TOML file per task type, validated with pydantic on load.

Built-in sets live in ``xlperf/data/indicators/<slug>.toml``. Users add or override sets with their
own directory: ``--library DIR`` or the user config location (``%APPDATA%/xlperf/indicators`` on
Windows, ``$XDG_CONFIG_HOME/xlperf/indicators`` or ``~/.config/xlperf/indicators`` elsewhere). A user
file whose type ``name`` (or file name) matches a built-in set replaces it; any other file adds a type,
no code needed.

Values: a number, a qualitative text (with ``op = "定性"``), or a placeholder:

* ``{拟投入}`` is filled with the task's own 拟投入金额 when the set is inserted;
* ``N`` (a count) and ``X`` (a standard / rate) stay for the clerk to fill and are flagged.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Iterable
from decimal import Decimal
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ...errors import XlperfError
from ..framework import Framework, default_framework
from ..text import OPS, format_number, normalize_op, squash

AMOUNT = "{拟投入}"
PLACEHOLDERS = ("N", "X")
#: what every set must cover: 一级 -> the 二级 names it must include (empty: any 二级)
REQUIRED: dict[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标"),
    "效益指标": (),
    "成本指标": (),
    "满意度指标": (),
}


class LibraryError(XlperfError):
    """An indicator library file or directory that cannot be used."""

    kind = "library"


class IndicatorSpec(BaseModel):
    """One standard indicator row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level1: str
    level2: str
    name: str
    op: str
    value: Decimal | str
    unit: str | None = None
    core: bool = False
    note: str | None = None
    source: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("指标值不能是 true/false")
        if isinstance(v, float):
            return Decimal(repr(v))
        if isinstance(v, int):
            return Decimal(v)
        if isinstance(v, str):
            s = v.strip()
            if not s:
                raise ValueError("指标值不能为空")
            return s
        return v

    @field_validator("op", mode="before")
    @classmethod
    def _op(cls, v: Any) -> str:
        op = normalize_op(v)
        if op not in OPS:
            raise ValueError(f"对比符号「{v}」无效，应为 {' '.join(OPS)}")
        return op

    @field_validator("name", "level1", "level2")
    @classmethod
    def _text(cls, v: str) -> str:
        s = v.strip()
        if not s or set(s) <= set("-_*"):
            raise ValueError("不能为空")
        return s

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        return (v.strip() or None) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorSpec:
        fw = default_framework()
        if self.level1 not in fw.level1_names:
            raise ValueError(f"一级指标「{self.level1}」不是规范名称（{'、'.join(fw.level1_names)}）")
        if self.level2 not in fw.level2_names(self.level1):
            raise ValueError(
                f"二级指标「{self.level2}」不属于「{self.level1}」或不是规范名称（{'、'.join(fw.level2_names(self.level1))}）"
            )
        levels = {squash(l1.name) for l1 in fw.level1} | {
            squash(n) for l1 in fw.level1 for l2 in l1.level2 for n in [l2.name, *l2.aliases, *l2.former]
        }
        if squash(self.name) in levels:
            raise ValueError(f"指标名称「{self.name}」只是一级/二级指标的名称，应写具体衡量的内容")
        if self.op == "定性":
            if not isinstance(self.value, str) or self.value in PLACEHOLDERS or self.value == AMOUNT:
                raise ValueError(f"「{self.name}」是定性指标，指标值应为文字（如 有效保障、明显提升）")
        else:
            if isinstance(self.value, str) and self.value not in PLACEHOLDERS and self.value != AMOUNT:
                raise ValueError(f"「{self.name}」的指标值「{self.value}」不是数字，也不是占位符 N、X 或 {AMOUNT}")
            if not self.unit:
                raise ValueError(f"「{self.name}」是定量指标，须有计量单位")
        if self.value == AMOUNT and self.unit != "万元":
            raise ValueError(f"「{self.name}」使用 {AMOUNT} 时计量单位须为 万元")
        return self

    @property
    def placeholder(self) -> str | None:
        """``N`` / ``X`` / ``{拟投入}`` when the value is one, else None."""
        if isinstance(self.value, str) and (self.value in PLACEHOLDERS or self.value == AMOUNT):
            return self.value
        return None

    @property
    def needs_value(self) -> bool:
        """The clerk has to fill this value (``N`` / ``X``)."""
        return self.value in PLACEHOLDERS

    def value_text(self) -> str:
        """The value as shown in listings: ``≥90%``, ``≤{拟投入}万元``, ``定性：有效保障``."""
        if self.op == "定性":
            return f"定性：{self.value}"
        v = format_number(self.value) if isinstance(self.value, Decimal) else str(self.value)
        return f"{self.op}{v}{self.unit or ''}"


class KeywordRule(BaseModel):
    """A detection clue: all ``words`` (or the regex ``pattern``) present in the task's name (full
    ``weight``) or content (half), unless one of ``unless`` is present there too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    words: list[str] = Field(default_factory=list)
    pattern: str | None = None
    weight: float = Field(default=1.0, gt=0, le=10)
    unless: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one(self) -> KeywordRule:
        if bool(self.words) == bool(self.pattern):
            raise ValueError("关键词规则须给出 words 或 pattern（二选一）")
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"正则表达式无效：{self.pattern}（{exc}）") from exc
        return self

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        return re.compile(self.pattern) if self.pattern else None

    @property
    def label(self) -> str:
        return self.pattern if self.pattern else "+".join(self.words)

    def find(self, text: str) -> str | None:
        """The matched text in ``text`` (already squashed), or None."""
        if not text or any(squash(u) in text for u in self.unless):
            return None
        if self._regex is not None:
            m = self._regex.search(text)
            return m.group(0) if m else None
        if all(squash(w) in text for w in self.words):
            return "+".join(self.words)
        return None


class IndicatorSet(BaseModel):
    """The standard indicators of one task type."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    fallback: bool = Field(default=False, description="used when no keyword matches")
    keywords: list[KeywordRule] = Field(default_factory=list)
    indicators: list[IndicatorSpec]
    slug: str = ""
    origin: str = ""

    @model_validator(mode="after")
    def _complete(self) -> IndicatorSet:
        if not self.indicators:
            raise ValueError("没有指标")
        missing = []
        for l1, l2s in REQUIRED.items():
            have = [i for i in self.indicators if i.level1 == l1]
            if not have:
                missing.append(l1)
                continue
            for l2 in l2s:
                if not any(i.level2 == l2 for i in have):
                    missing.append(f"{l1}/{l2}")
        if missing:
            raise ValueError("指标集不完整，缺少：" + "、".join(missing))
        names = [squash(i.name) for i in self.indicators]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError("指标名称重复：" + "、".join(dup))
        if not any(i.core for i in self.indicators):
            raise ValueError("至少要有一个核心指标（core = true）")
        if not self.keywords and not self.fallback:
            raise ValueError("没有识别关键词（keywords），也不是兜底类型（fallback = true）")
        return self

    def names(self) -> set[str]:
        return {squash(self.name), squash(self.slug)} | {squash(a) for a in self.aliases}

    @property
    def placeholder_count(self) -> int:
        return sum(1 for i in self.indicators if i.needs_value)


class Library:
    """Indicator sets by type name, in load order (built-in first, user overrides replacing in place)."""

    def __init__(self, sets: Iterable[IndicatorSet] = ()) -> None:
        self._sets: list[IndicatorSet] = []
        for s in sets:
            self.add(s)

    def add(self, s: IndicatorSet) -> None:
        for k, old in enumerate(self._sets):
            if squash(old.name) == squash(s.name) or (s.slug and old.slug == s.slug):
                # the replaced set's names keep working (``--type condolence`` after a user override)
                keep = [n for n in [old.name, old.slug, *old.aliases] if n and squash(n) not in s.names()]
                self._sets[k] = s.model_copy(update={"aliases": [*s.aliases, *keep]})
                return
        self._sets.append(s)

    def __iter__(self):
        return iter(self._sets)

    def __len__(self) -> int:
        return len(self._sets)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self._sets]

    def get(self, type_name: str) -> IndicatorSet | None:
        """A set by its name, slug or an alias (spaces and full-width characters ignored)."""
        key = squash(type_name)
        for s in self._sets:
            if key == squash(s.name):
                return s
        for s in self._sets:
            if key in s.names():
                return s
        return None

    def require(self, type_name: str) -> IndicatorSet:
        s = self.get(type_name)
        if s is None:
            raise LibraryError(f"指标库中没有类型「{type_name}」（现有：{'、'.join(self.names)}）")
        return s

    @property
    def fallback(self) -> IndicatorSet | None:
        return next((s for s in self._sets if s.fallback), None)


# ---------------------------------------------------------------------------------------- loading


def _error_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "__root__")
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{loc}：{msg}" if loc else msg)
    return "；".join(parts)


def parse_set(text: str, *, slug: str = "", origin: str = "") -> IndicatorSet:
    """One set from TOML text. Raises LibraryError with a Chinese message naming ``origin``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LibraryError(f"指标库文件不是有效的 TOML：{exc}", path=origin or None) from exc
    data.setdefault("slug", slug)
    data["origin"] = origin
    try:
        return IndicatorSet.model_validate(data)
    except ValidationError as exc:
        raise LibraryError(f"指标库文件无效：{_error_text(exc)}", path=origin or None) from exc


def load_set(path: str | Path) -> IndicatorSet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"无法读取指标库文件（{type(exc).__name__}）", path=str(path)) from exc
    return parse_set(text, slug=path.stem, origin=str(path))


def builtin_sets() -> list[IndicatorSet]:
    root = resources.files("xlperf").joinpath("data/indicators")
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out.append(parse_set(entry.read_text(encoding="utf-8"), slug=entry.name[:-5], origin=f"内置:{entry.name}"))
    return out


def user_library_dir() -> Path:
    """Where a user's own sets live (may not exist)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "xlperf" / "indicators"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "xlperf" / "indicators"


def _dir_sets(d: Path) -> list[IndicatorSet]:
    return [load_set(p) for p in sorted(d.glob("*.toml"))]


def load_library(library: str | Path | Iterable[str | Path] | None = None, *, user: bool = True,
                 builtin: bool = True) -> Library:
    """Built-in sets, then the user config directory (if it exists), then ``library`` dir(s)."""
    lib = Library(builtin_sets() if builtin else ())
    if user:
        d = user_library_dir()
        if d.is_dir():
            for s in _dir_sets(d):
                lib.add(s)
    if library is not None:
        dirs = [library] if isinstance(library, (str, Path)) else list(library)
        for d in map(Path, dirs):
            if d.is_file() and d.suffix == ".toml":
                lib.add(load_set(d))
                continue
            if not d.is_dir():
                raise LibraryError("指标库目录不存在", path=str(d))
            for s in _dir_sets(d):
                lib.add(s)
    return lib


def check_framework(s: IndicatorSet, framework: Framework | None = None) -> list[str]:
    """Problems of ``s`` against a (possibly local) framework: names outside it."""
    fw = framework or default_framework()
    out = []
    for i in s.indicators:
        if i.level1 not in fw.level1_names:
            out.append(f"{i.name}：一级指标「{i.level1}」不在框架中")
        elif i.level2 not in fw.level2_names(i.level1):
            out.append(f"{i.name}：二级指标「{i.level2}」不属于「{i.level1}」")
    return out


__all__ = [
    "AMOUNT", "PLACEHOLDERS", "IndicatorSet", "IndicatorSpec", "KeywordRule", "Library",
    "LibraryError", "builtin_sets", "check_framework", "load_library", "load_set", "parse_set", "user_library_dir",
]
