"""Install and uninstall the add-in for the current Windows user.

``install`` copies ``xlperf.xlam`` into Excel's per-user startup folder
(``%APPDATA%\\Microsoft\\Excel\\XLSTART``; Excel loads every add-in there at start-up, and the folder is a
trusted location by default) and writes the xlwings user config
``%USERPROFILE%\\.xlperf\\xlperf.conf`` with the interpreter (``pythonw.exe`` of this Python) and
``USE UDF SERVER`` so that button clicks reuse one Python process. Other lines of an existing config
are kept. ``uninstall`` undoes both.

All locations are parameters, so the logic runs (and is tested) on any OS with temporary folders;
the command line refuses to touch anything unless it runs on Windows.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath

from ..errors import XlperfError

ADDIN_FILE = "xlperf.xlam"
CONF_KEYS = ("INTERPRETER_WIN", "USE UDF SERVER")
_LINE_RE = re.compile(r'^\s*"([^"]*)"\s*,\s*"([^"]*)"\s*$')
_XLWINGS_KEYWORD_RE = re.compile(r"<cp:keywords>[^<]*\bxlwings (\S+?)(?:[\s<;]|$)")


class InstallError(XlperfError):
    """The add-in cannot be installed or uninstalled here."""

    kind = "install"


@dataclass(frozen=True)
class InstallPaths:
    xlstart: Path
    conf_file: Path

    @property
    def addin(self) -> Path:
        return self.xlstart / ADDIN_FILE


def default_paths(env: Mapping[str, str] | None = None, path_cls: type[Path] = Path) -> InstallPaths:
    """Excel's per-user XLSTART folder and the xlwings user config file of project ``xlperf``."""
    env = os.environ if env is None else env
    appdata, profile = env.get("APPDATA"), env.get("USERPROFILE")
    if not appdata or not profile:
        raise InstallError("找不到环境变量 APPDATA 或 USERPROFILE，无法确定 Excel 启动文件夹")
    return InstallPaths(
        xlstart=path_cls(appdata) / "Microsoft" / "Excel" / "XLSTART",
        conf_file=path_cls(profile) / ".xlperf" / "xlperf.conf",
    )


def pythonw_for(executable: str, exists: Callable[[str], bool] = os.path.exists) -> str:
    """``pythonw.exe`` beside ``executable`` if there is one (no console window per click)."""
    sep = max(executable.rfind("\\"), executable.rfind("/"))
    folder, name = executable[: sep + 1], executable[sep + 1 :]
    if name.lower() == "python.exe" and exists(folder + "pythonw.exe"):
        return folder + "pythonw.exe"
    return executable


def ansi_encoding() -> str:
    """The Windows ANSI code page: VBA's ``Input #`` reads the config file in it."""
    return "mbcs" if sys.platform == "win32" else "utf-8"


def read_conf(path: Path, encoding: str) -> list[str]:
    if not path.is_file():
        return []
    try:
        return path.read_bytes().decode(encoding, errors="replace").splitlines()
    except (OSError, LookupError) as exc:
        raise InstallError(f"无法读取配置文件 {path}：{exc}") from None


def updated_conf(lines: list[str], values: Mapping[str, str]) -> list[str]:
    """``lines`` with the ``"KEY","value"`` lines of ``values`` replaced (keys match case-insensitively)
    or appended; every other line is kept as it is."""
    wanted = {k.upper(): (k, v) for k, v in values.items()}
    out: list[str] = []
    done: set[str] = set()
    for line in lines:
        match = _LINE_RE.match(line)
        key = match.group(1).upper() if match else None
        if key in wanted:
            if key not in done:
                k, v = wanted[key]
                out.append(f'"{k}","{v}"')
                done.add(key)
            continue
        out.append(line)
    out += [f'"{k}","{v}"' for key, (k, v) in wanted.items() if key not in done]
    return out


def without_keys(lines: list[str], keys: tuple[str, ...]) -> list[str]:
    drop = {k.upper() for k in keys}
    return [line for line in lines if not ((m := _LINE_RE.match(line)) and m.group(1).upper() in drop)]


def _write_conf(path: Path, lines: list[str], encoding: str) -> None:
    text = "".join(line + "\r\n" for line in lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        raise InstallError(
            "Python 的安装路径含有 Windows 系统代码页无法表示的字符，xlwings 无法使用这样的路径；"
            "请把 Python 安装到只含英文字母和数字的路径下再安装加载项"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def addin_xlwings_version(addin: Path) -> str | None:
    """The xlwings version recorded in the add-in's core properties at build time."""
    try:
        with zipfile.ZipFile(addin) as zf:
            core = zf.read("docProps/core.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    match = _XLWINGS_KEYWORD_RE.search(core)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Plan:
    """What ``install`` does, for printing before (or instead of) doing it."""

    source: PurePath
    target: PurePath
    conf_file: PurePath
    conf_values: dict[str, str]

    def describe(self) -> list[str]:
        return [
            f"复制加载项：{self.source} -> {self.target}",
            f"写入 xlwings 配置：{self.conf_file}",
            *(f'    "{k}","{v}"' for k, v in self.conf_values.items()),
        ]


def windows_placeholder_paths() -> tuple[PureWindowsPath, PureWindowsPath]:
    """Where the add-in and the config go, with environment variables left unexpanded (for messages)."""
    return (
        PureWindowsPath(r"%APPDATA%\Microsoft\Excel\XLSTART") / ADDIN_FILE,
        PureWindowsPath(r"%USERPROFILE%\.xlperf\xlperf.conf"),
    )


def plan_install(addin: Path, paths: InstallPaths, interpreter: str) -> Plan:
    return Plan(
        source=addin,
        target=paths.addin,
        conf_file=paths.conf_file,
        conf_values={"INTERPRETER_WIN": interpreter, "USE UDF SERVER": "True"},
    )


def check_xlwings_version(addin: Path, installed: str) -> None:
    recorded = addin_xlwings_version(addin)
    if recorded is None:
        raise InstallError(f"{addin} 不是 xlperf 生成的加载项（缺少 xlwings 版本记录）；请用 xlperf addin build 重新生成")
    if recorded != installed:
        raise InstallError(
            f"加载项基于 xlwings {recorded} 生成，而当前 Python 中的 xlwings 是 {installed}；"
            f"请运行 pip install xlwings=={recorded}，或在开发环境中运行 xlperf addin sync-xlwings 后重新生成加载项"
        )


def install(plan: Plan, *, encoding: str) -> list[str]:
    """Carry out ``plan``; returns what was done, one line each (Chinese)."""
    source, target, conf_file = Path(plan.source), Path(plan.target), Path(plan.conf_file)
    if not source.is_file():
        raise InstallError(f"找不到加载项文件 {source}；请先运行 xlperf addin build")
    done = []
    lines = updated_conf(read_conf(conf_file, encoding), plan.conf_values)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except PermissionError:
        raise InstallError(f"无法写入 {target}：加载项可能正被 Excel 使用，请关闭所有 Excel 窗口后重试") from None
    except OSError as exc:
        raise InstallError(f"无法复制加载项到 {target}：{exc.strerror or exc}") from None
    if sys.platform == "win32":
        # A copy made by Python carries no Mark-of-the-Web; remove one left by an older copy anyway.
        try:
            os.remove(str(target) + ":Zone.Identifier")
        except OSError:
            pass
    done.append(f"已复制加载项到 {target}")
    _write_conf(conf_file, lines, encoding)
    done.append(f"已写入配置 {conf_file}")
    return done


def uninstall(paths: InstallPaths, *, encoding: str) -> list[str]:
    """Remove the add-in from XLSTART and our keys from the config; returns what was done."""
    done = []
    if paths.addin.exists():
        try:
            paths.addin.unlink()
        except PermissionError:
            raise InstallError(f"无法删除 {paths.addin}：加载项可能正被 Excel 使用，请关闭所有 Excel 窗口后重试") from None
        done.append(f"已删除 {paths.addin}")
    if paths.conf_file.is_file():
        rest = without_keys(read_conf(paths.conf_file, encoding), CONF_KEYS)
        if any(line.strip() for line in rest):
            _write_conf(paths.conf_file, rest, encoding)
            done.append(f"已从 {paths.conf_file} 删除 xlperf 写入的设置（保留其他设置）")
        else:
            paths.conf_file.unlink()
            done.append(f"已删除 {paths.conf_file}")
            try:
                paths.conf_file.parent.rmdir()
            except OSError:
                pass
    if not done:
        done.append("未发现已安装的 xlperf 加载项，无需卸载")
    return done
