"""Validation settings: thresholds, severity overrides, code selection.

Loaded from a TOML file (``--config FILE``): the ``[tool.xlperf]`` section of a ``pyproject.toml``,
an ``[xlperf]`` section, or the top level of an ``xlperf.toml``. Keys may use ``-`` or ``_``::

    [tool.xlperf]
    min-indicators = 3          # XP306
    min-satisfaction = 80       # XP412, percent
    money-places = 2            # money compared after rounding to this many decimals (万元)
    task-total = "project"      # XP103 compares Σ 拟投入金额 with 项目支出 ("project") or 部门预算支出 ("total")
    bounded-rates = ["满意度", "合格率", ...]   # XP406
    select = ["XP1", "XP2"]
    ignore = ["XP412"]
    framework = "my_framework.toml"           # a local variant of the indicator framework

    [tool.xlperf.severity]
    XP305 = "info"

Reading a file is ``tomllib`` on a path the caller names; nothing is looked up here. Where the files
are looked for (beside the workbook, the user's own, ``--config``) is :mod:`xlperf.settings`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import XlperfError
from .issues import Severity

DEFAULT_BOUNDED_RATES = ("满意度", "合格率", "及时率", "准确率", "覆盖率", "到位率", "完成率", "执行率", "接通率")


class ConfigError(XlperfError):
    """The configuration file or a flag holds a value xlperf cannot use."""

    kind = "config"


@dataclass(frozen=True)
class Config:
    min_indicators: int = 3
    min_satisfaction: Decimal = Decimal(80)
    money_places: int = 2
    task_total: str = "project"
    bounded_rates: tuple[str, ...] = DEFAULT_BOUNDED_RATES
    severity: dict[str, Severity] = field(default_factory=dict)
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    framework: str | None = None

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, base_dir: Path | None = None) -> Config:
        """Build from a plain mapping (a TOML section). Unknown keys raise :class:`ConfigError`."""
        kw: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = raw_key.replace("-", "_")
            if key == "min_indicators":
                kw[key] = _int(raw_key, value)
            elif key == "min_satisfaction":
                kw[key] = _dec(raw_key, value)
            elif key == "money_places":
                kw[key] = _int(raw_key, value)
            elif key == "task_total":
                if value not in ("project", "total"):
                    raise ConfigError(f"配置项 {raw_key} 只能是 \"project\" 或 \"total\"（现为 {value!r}）")
                kw[key] = value
            elif key == "bounded_rates":
                kw[key] = tuple(_strs(raw_key, value))
            elif key == "severity":
                if not isinstance(value, dict):
                    raise ConfigError(f"配置项 {raw_key} 应为表，如 XP305 = \"info\"")
                kw[key] = {check_code(str(c), f"配置项 {raw_key}", exact=True): _sev(c, s) for c, s in value.items()}
            elif key in ("select", "ignore"):
                kw[key] = check_codes(_strs(raw_key, value), f"配置项 {raw_key}")
            elif key == "framework":
                p = Path(str(value))
                if base_dir is not None and not p.is_absolute():
                    p = base_dir / p
                kw[key] = str(p)
            else:
                raise ConfigError(f"未知的配置项：{raw_key}")
        return cls(**kw)

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        """Read ``[tool.xlperf]``, ``[xlperf]`` or the top level of the TOML file at ``path``."""
        path = Path(path)
        try:
            return cls.from_mapping(toml_section(path), base_dir=path.parent)
        except ConfigError as exc:
            exc.path = str(path)
            raise


def toml_section(path: str | Path) -> dict[str, Any]:
    """The xlperf settings of a TOML file: its ``[tool.xlperf]`` or ``[xlperf]`` section, else its top
    level (a ``pyproject.toml`` without ``[tool.xlperf]`` holds none)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError("找不到配置文件", path=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件（{exc.strerror or exc}）", path=str(path)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件不是有效的 TOML：{exc}", path=str(path)) from exc
    if isinstance(data.get("tool"), dict) and "xlperf" in data["tool"]:
        section = data["tool"]["xlperf"]
    elif isinstance(data.get("xlperf"), dict):
        section = data["xlperf"]
    elif path.name == "pyproject.toml":
        section = {}
    else:
        section = data
    if not isinstance(section, dict):
        raise ConfigError("配置段应为表（[tool.xlperf]）", path=str(path))
    return section


def parse_severity_overrides(items: list[str] | None) -> dict[str, Severity]:
    """``["XP305=info", "XP412=warning"]`` (the ``--severity`` flag) -> {code: Severity}."""
    out: dict[str, Severity] = {}
    for item in items or []:
        code, sep, sev = item.partition("=")
        if not sep:
            raise ConfigError(f"--severity 的格式应为 代码=级别，如 XP305=info（现为 {item!r}）")
        out[check_code(code, "--severity", exact=True)] = _sev(code, sev)
    return out


def split_codes(values: list[str] | None, flag: str = "--select/--ignore") -> tuple[str, ...] | None:
    """``["XP1,XP2", "XP401"]`` -> ("XP1", "XP2", "XP401"); None stays None. Every code must name a rule
    or a code prefix (:func:`check_code`): a typo is an error, never "no rule selected"."""
    if values is None:
        return None
    return check_codes([c for v in values for c in v.split(",")], flag)


_CODE_SHAPE = re.compile(r"^X[PC]\d{1,3}$")


def check_codes(codes: list[str], where: str) -> tuple[str, ...]:
    """Codes and prefixes, upper-cased and checked; an empty list (``",,,"``) is an error too."""
    out = tuple(check_code(c, where) for c in codes if c.strip())
    if not out and codes:
        raise ConfigError(f"{where} 没有给出规则代码（例如 XP401 或前缀 XP4；规则列表见 xlperf rules）")
    return out


def check_code(code: str, where: str, *, exact: bool = False) -> str:
    """``code`` upper-cased when it is a registered rule code (or, unless ``exact``, ``ALL`` or a prefix
    of one with at least one digit: ``XP4``); else :class:`ConfigError` naming it."""
    from .rules.registry import all_rules

    c = code.strip().upper()
    known = [r.code for r in all_rules(batch=True)]
    if c in known or (not exact and (c == "ALL" or (_CODE_SHAPE.match(c) and any(k.startswith(c) for k in known)))):
        return c
    close = [k for k in known if k[:3] == c[:3]][:3] if len(c) >= 3 else []
    hint = f"，相近的有 {'、'.join(close)}" if close else ""
    raise ConfigError(f"{where} 中的规则代码「{code.strip()}」不存在{hint}（规则列表见 xlperf rules）")


def _int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"配置项 {key} 应为非负整数（现为 {value!r}）")
    return value


def _dec(key: str, value: Any) -> Decimal:
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"配置项 {key} 应为数字（现为 {value!r}）") from exc
    return d


def _strs(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"配置项 {key} 应为字符串列表")
    return list(value)


def _sev(code: Any, value: Any) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{code} 的级别应为 error、warning 或 info（现为 {value!r}）") from exc
