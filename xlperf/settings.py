"""Where the validation settings come from: one discovery for every way in.

The command line, the Excel buttons and consolidation all call :func:`load_settings`. Layers, each
overriding the one before, setting by setting:

1. the defaults (:class:`xlperf.core.config.Config`);
2. the user's own file: ``xlperf.toml`` in the xlperf folder (``%USERPROFILE%\\.xlperf``, or
   ``XLPERF_HOME``);
3. the workbook's: the nearest ``xlperf.toml`` (or a ``pyproject.toml`` with a ``[tool.xlperf]``
   section) in the workbook's folder or a parent folder — or, instead, the file given with
   ``--config``;
4. command-line flags (``--min-indicators``, ``--severity``, ``--select``, ``--ignore``).

``severity`` merges code by code and ``ignore`` adds up; every other setting is replaced.
``xlperf config [FILE]`` prints each setting with the layer it came from.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .core.config import Config, ConfigError

CONFIG_NAME = "xlperf.toml"
DEFAULT = "默认值"
FLAGS = "命令行参数"


def home() -> Path:
    """Where xlperf keeps the user's settings, backups and logs: ``~/.xlperf`` (``XLPERF_HOME`` overrides)."""
    return Path(os.environ.get("XLPERF_HOME") or Path.home() / ".xlperf")


def user_config_path() -> Path:
    return home() / CONFIG_NAME


def _has_section(pyproject: Path) -> bool:
    """Whether a ``pyproject.toml`` has a ``[tool.xlperf]`` section (a broken one counts: its error is
    worth showing)."""
    try:
        with pyproject.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return b"[tool.xlperf" in pyproject.read_bytes()[:1_000_000] if pyproject.is_file() else False
    tool = data.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("xlperf"), dict)


def project_config_path(start: str | Path | None) -> Path | None:
    """The nearest ``xlperf.toml`` (or ``pyproject.toml`` with ``[tool.xlperf]``) in ``start``'s folder
    (``start`` itself when it is a folder) or a parent folder."""
    if start is None:
        return None
    p = Path(start)
    try:
        folder = (p if p.is_dir() else p.parent).resolve()
    except OSError:
        return None
    for d in (folder, *folder.parents):
        candidate = d / CONFIG_NAME
        try:
            if candidate.is_file():
                return candidate
            pyproject = d / "pyproject.toml"
            if pyproject.is_file() and _has_section(pyproject):
                return pyproject
        except OSError:
            continue
    return None


@dataclass
class Settings:
    """The configuration in force and, per setting, where it came from (a path, 默认值 or 命令行参数)."""

    config: Config
    origins: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(setting, value, origin) of every setting, for ``xlperf config``."""
        out = []
        for f in fields(Config):
            out.append((f.name.replace("_", "-"), getattr(self.config, f.name), self.origins.get(f.name, DEFAULT)))
        return out


def _layer(path: Path) -> tuple[Config, set[str]]:
    """The settings a file sets (validated) and which of them it sets."""
    from .core.config import toml_section

    cfg = Config.from_toml(path)
    return cfg, {str(k).replace("-", "_") for k in toml_section(path)}


def load_settings(workbook: str | Path | None = None, *, config: str | Path | None = None,
                  overrides: dict[str, Any] | None = None) -> Settings:
    """The settings for ``workbook`` (see the module docstring). ``config`` is ``--config``;
    ``overrides`` the flags' values (``None`` values are ignored; ``ignore`` adds, ``severity`` merges)."""
    layers: list[tuple[str, Path]] = []
    user = user_config_path()
    try:
        if user.is_file():
            layers.append((str(user), user))
    except OSError:
        pass
    if config is not None:
        explicit = Path(config)
        if not explicit.is_file():
            raise ConfigError("找不到配置文件", path=str(explicit))
        layers.append((str(explicit), explicit))
    else:
        found = project_config_path(workbook if workbook is not None else Path.cwd())
        if found is not None and found != user:
            layers.append((str(found), found))
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for label, path in layers:
        cfg, keys = _layer(path)
        _merge(values, origins, {k: getattr(cfg, k) for k in keys}, label)
    if overrides:
        _merge(values, origins, {k: v for k, v in overrides.items() if v is not None and v != () and v != {}}, FLAGS)
    return Settings(Config(**values), origins, [p for _, p in layers])


def _merge(values: dict[str, Any], origins: dict[str, str], new: dict[str, Any], label: str) -> None:
    for key, v in new.items():
        if key == "severity":
            merged = dict(values.get("severity", {}))
            merged.update(v)
            v = merged
        elif key == "ignore":
            v = tuple(dict.fromkeys(tuple(values.get("ignore", ())) + tuple(v)))
        values[key] = v
        origins[key] = label if key not in ("severity", "ignore") or key not in origins else f"{origins[key]} + {label}"


__all__ = ["Settings", "home", "load_settings", "project_config_path", "user_config_path"]
