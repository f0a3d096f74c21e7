"""自检: is this desk ready for the add-in? One check per thing that goes wrong on a first install, each
with what to do about a failure. Used by ``xlperf doctor`` and the ribbon's 自检 button.

The checks: the interpreter the add-in will start (``INTERPRETER_WIN`` in ``xlperf.conf``), the xlwings
version against the one the add-in's VBA was generated from, the xlperf settings (``xlperf.toml``), the
add-in copy in Excel's XLSTART folder (missing or stale against the add-in shipped with xlperf) and
write access to the backup folder. Windows locations come from ``APPDATA``/``USERPROFILE``; where those
are not set (not Windows) the Windows checks are skipped, and say so.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    name: str
    #: True passed, False failed, None skipped (does not apply here)
    ok: bool | None
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _installed_xlwings() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def _conf_value(lines: list[str], key: str) -> str | None:
    from .install import _LINE_RE

    for line in lines:
        m = _LINE_RE.match(line)
        if m and m.group(1).upper() == key.upper():
            return m.group(2)
    return None


def run_checks(env: Mapping[str, str] | None = None, *, workbook: Path | None = None) -> list[Check]:
    """Every check, in the order a person fixes them."""
    from . import build, install

    env = os.environ if env is None else env
    out: list[Check] = []
    paths = None
    if env.get("APPDATA") and env.get("USERPROFILE"):
        paths = install.default_paths(env)
    skipped = "不是 Windows（未设置 APPDATA/USERPROFILE），跳过"
    installed = _installed_xlwings()

    # 1. the interpreter the add-in starts
    if paths is None:
        out.append(Check("加载项启动的 Python", None, skipped))
    elif not paths.conf_file.is_file():
        out.append(Check("加载项启动的 Python", False, f"找不到配置文件 {paths.conf_file}",
                         "在装了 xlperf 的 Python 环境中运行 xlperf addin install"))
    else:
        lines = install.read_conf(paths.conf_file, install.ansi_encoding())
        interpreter = _conf_value(lines, "INTERPRETER_WIN")
        here = Path(sys.executable).resolve().parent
        if not interpreter:
            out.append(Check("加载项启动的 Python", False, f"{paths.conf_file} 中没有 INTERPRETER_WIN",
                             "运行 xlperf addin install 写入"))
        elif not Path(interpreter).is_file():
            out.append(Check("加载项启动的 Python", False, f"INTERPRETER_WIN 指向的 {interpreter} 不存在",
                             "在装了 xlperf 的 Python 环境中重新运行 xlperf addin install"))
        elif Path(interpreter).resolve().parent != here:
            out.append(Check("加载项启动的 Python", False,
                             f"加载项启动 {interpreter}，而不是本环境的 Python（{sys.executable}）",
                             "确认那个 Python 中装有 xlperf；或在本环境中重新运行 xlperf addin install"))
        else:
            out.append(Check("加载项启动的 Python", True, interpreter))

    # 2. xlwings against the VBA
    shipped = build.TEMPLATES_DIR / build.XLAM_NAME
    addin = paths.addin if paths is not None and paths.addin.is_file() else shipped
    recorded = install.addin_xlwings_version(addin) if addin.is_file() else None
    if installed is None:
        out.append(Check("xlwings 版本", False, "当前 Python 中没有安装 xlwings", "运行 pip install xlperf（会装上对应的 xlwings）"))
    elif recorded is None:
        out.append(Check("xlwings 版本", False, f"{addin} 中没有 xlwings 版本记录（不是 xlperf 生成的加载项，或文件缺失）",
                         "运行 xlperf addin install 重新安装加载项"))
    elif recorded != installed:
        out.append(Check("xlwings 版本", False, f"加载项的 VBA 基于 xlwings {recorded}，当前 Python 中是 {installed}",
                         f"运行 pip install xlwings=={recorded}"))
    else:
        out.append(Check("xlwings 版本", True, f"xlwings {installed}，与加载项的 VBA 一致"))

    # 3. the settings
    from ..errors import XlperfError
    from ..settings import load_settings

    try:
        settings = load_settings(workbook)
        files = [str(f) for f in settings.files]
        out.append(Check("校验设置（xlperf.toml）", True, "读取 " + "、".join(files) if files else "使用默认设置"))
    except XlperfError as exc:
        out.append(Check("校验设置（xlperf.toml）", False, exc.message, "按提示改正配置文件；xlperf config 显示各项设置的来源"))

    # 4. the copy in XLSTART
    if paths is None:
        out.append(Check("XLSTART 中的加载项", None, skipped))
    elif not paths.addin.is_file():
        out.append(Check("XLSTART 中的加载项", False, f"找不到 {paths.addin}（未安装）", "运行 xlperf addin install"))
    elif shipped.is_file() and paths.addin.read_bytes() != shipped.read_bytes():
        out.append(Check("XLSTART 中的加载项", False, f"{paths.addin} 与本版 xlperf 提供的加载项不同（过期）",
                         "关闭 Excel 后运行 xlperf addin install"))
    else:
        out.append(Check("XLSTART 中的加载项", True, str(paths.addin)))

    # 5. the backup folder
    from ..settings import home

    folder = home() / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".xlperf-doctor-"):
            pass
        out.append(Check("备份文件夹可写", True, str(folder)))
    except OSError as exc:
        out.append(Check("备份文件夹可写", False, f"无法写入 {folder}：{exc.strerror or exc}",
                         "检查该文件夹的权限，或设置环境变量 XLPERF_HOME 指向一个可写的文件夹"))
    return out


def describe(checks: list[Check]) -> list[str]:
    """One line per check (通过/未通过/跳过) and, under a failure, what to do."""
    mark = {True: "通过", False: "未通过", None: "跳过"}
    lines = []
    for c in checks:
        lines.append(f"[{mark[c.ok]}] {c.name}：{c.detail}")
        if c.ok is False and c.fix:
            lines.append(f"    处理：{c.fix}")
    failed = sum(c.ok is False for c in checks)
    lines.append(f"共 {len(checks)} 项：{failed} 项未通过" if failed else f"共 {len(checks)} 项：全部通过或不适用")
    return lines
