"""The WPS 表格 add-in (a WPS 加载项): built from the text sources in ``xlperf/addin/wps/`` and the ribbon
spec, registered for the current user, and removed again.

:func:`build` writes the add-in folder: ``index.html`` and ``js/xlperf.js`` as they are in the
package, ``ribbon.xml`` and ``js/ribbon_spec.js`` rendered from ``ribbon.toml``
(:mod:`xlperf.addin.ribbon`), ``js/config.js`` with the service's address and the user's token.

:func:`plan_install` / :func:`install` (``xlperf addin install --wps``), offline mode, no internet:

* the folder goes to ``jsaddons/xlperf_<version>/`` of the user's WPS profile
  (``%APPDATA%\\kingsoft\\wps\\jsaddons`` on Windows, ``~/.local/share/Kingsoft/wps/jsaddons`` on
  Linux: the folders ``wpsjs`` publishes to), and ``jsaddons/publish.xml`` gets one
  ``<jsplugin name="xlperf" type="et" url="xlperf_<version>" …/>`` entry (the others are kept);
* with ``autostart``, the service starts with the session: ``~/.config/autostart/xlperf-serve.desktop``
  on Linux, ``xlperf-serve.cmd`` in the Startup folder on Windows.

What was done is recorded in ``~/.xlperf/wps-install.json``, so :func:`uninstall` removes exactly that.
All locations are parameters (:class:`WpsPaths`), so everything runs, and is tested, in temporary folders.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import XlperfError

SOURCE_DIR = Path(__file__).with_name("wps")
NAME = "xlperf"
RECORD = "wps-install.json"
DESKTOP_FILE = "xlperf-serve.desktop"
STARTUP_FILE = "xlperf-serve.cmd"
STATIC = ("index.html", "js/xlperf.js")


def _version() -> str:
    from .. import __version__

    return __version__


def folder_name() -> str:
    return f"{NAME}_{_version()}"


def build(out_dir: Path, *, port: int, token: str) -> list[Path]:
    """Write the add-in into ``out_dir`` (created); the files written."""
    from ..service import HOST
    from .ribbon import controls_js, wps_xml

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "js").mkdir(exist_ok=True)
    written = []
    for rel in STATIC:
        src = SOURCE_DIR / rel
        if not src.is_file():
            raise XlperfError(f"找不到 WPS 加载项源文件 {src}")
        shutil.copyfile(src, out_dir / rel)
        written.append(out_dir / rel)
    config = {"url": f"http://{HOST}:{port}", "token": token}
    generated = {
        "ribbon.xml": wps_xml().decode("utf-8"),
        "js/ribbon_spec.js": controls_js(),
        "js/config.js": "// Written by xlperf addin install --wps: the local service and the user's token.\n"
                        f"var XLPERF_CONFIG = {json.dumps(config)};\n",
    }
    for rel, text in generated.items():
        (out_dir / rel).write_text(text, encoding="utf-8", newline="\n")
        written.append(out_dir / rel)
    return written


# -- registration --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WpsPaths:
    jsaddons: Path
    autostart: Path | None  # the file that starts the service with the session
    platform: str  # "linux" or "windows"

    @property
    def publish(self) -> Path:
        return self.jsaddons / "publish.xml"

    @property
    def addin(self) -> Path:
        return self.jsaddons / folder_name()


def default_paths(platform: str | None = None, env: dict[str, str] | None = None) -> WpsPaths:
    """Where WPS looks for the current user's add-ins, and the session's autostart file."""
    env = dict(os.environ) if env is None else env
    platform = platform or ("windows" if sys.platform == "win32" else "linux")
    if platform == "windows":
        appdata = env.get("APPDATA")
        if not appdata:
            raise XlperfError("找不到环境变量 APPDATA，无法确定 WPS 加载项目录")
        startup = Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup" / STARTUP_FILE
        return WpsPaths(Path(appdata) / "kingsoft" / "wps" / "jsaddons", startup, "windows")
    home = Path(env.get("HOME") or Path.home())
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return WpsPaths(data / "Kingsoft" / "wps" / "jsaddons", config / "autostart" / DESKTOP_FILE, "linux")


def _entry() -> str:
    v = _version()
    return (f'<jsplugin name="{NAME}" type="et" url="{folder_name()}" version="{v}" enable="enable_dev" '
            'install="null" customDomain=""/>')


def _publish_with(text: str | None, *, add: bool) -> str:
    """``publish.xml`` with xlperf's entry added (or removed); every other entry is kept as it is."""
    import defusedxml.ElementTree as ET

    if text is not None and text.strip():
        try:
            root = ET.fromstring(text.encode("utf-8"))
        except ET.ParseError as exc:
            raise XlperfError(f"WPS 的 publish.xml 不是格式正确的 XML（{exc}），未做修改；请检查后再试") from None
        if root.tag != "jsplugins":
            raise XlperfError("WPS 的 publish.xml 的根元素不是 jsplugins，未做修改")
    else:
        text = "<jsplugins>\n</jsplugins>\n"
    own = re.compile(r'[ \t]*<jsplugin\b[^>]*\bname="xlperf"[^>]*/>[ \t]*\r?\n?')
    text = own.sub("", text)
    if add:
        if re.search(r"<jsplugins\s*/>", text):
            text = re.sub(r"<jsplugins\s*/>", "<jsplugins>\n</jsplugins>", text)
        text = text.replace("</jsplugins>", f"  {_entry()}\n</jsplugins>", 1)
    return text


def _autostart_text(paths: WpsPaths, python: str, port: int) -> str:
    if paths.platform == "windows":
        return f'@echo off\r\nstart "" /min "{python}" -m xlperf serve --port {port}\r\n'
    return ("[Desktop Entry]\nType=Application\nName=xlperf 服务\nComment=WPS 表格「绩效目标」选项卡使用的本机服务\n"
            f"Exec=\"{python}\" -m xlperf serve --port {port}\nTerminal=false\nX-GNOME-Autostart-enabled=true\n")


@dataclass
class WpsPlan:
    paths: WpsPaths
    port: int
    autostart: bool
    python: str
    steps: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = [f"把 WPS 加载项写入 {self.paths.addin}（ribbon.xml、index.html、js/）",
                 f"在 {self.paths.publish} 中登记加载项 {NAME}（离线模式；其他加载项保留）"]
        if self.autostart and self.paths.autostart is not None:
            lines.append(f"登录后自动启动 xlperf 服务：{self.paths.autostart}（端口 {self.port}）")
        lines.append(f"记录安装内容：{record_path()}")
        return lines


def record_path() -> Path:
    from ..settings import home

    return home() / RECORD


def plan_install(paths: WpsPaths, *, port: int, autostart: bool = True, python: str | None = None) -> WpsPlan:
    """``python`` starts the service (default: this interpreter; on Windows its ``pythonw.exe``, no console)."""
    if python is None:
        python = sys.executable
        if paths.platform == "windows":
            from .install import pythonw_for

            python = pythonw_for(python)
    return WpsPlan(paths, port, autostart, python)


def _atomic(path: Path, text: str, newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".xlperf-tmp")
    tmp.write_text(text, encoding="utf-8", newline=newline)
    tmp.replace(path)


def install(plan: WpsPlan) -> list[str]:
    from ..service import load_token

    paths = plan.paths
    before = paths.publish.read_text(encoding="utf-8") if paths.publish.is_file() else None
    publish = _publish_with(before, add=True)  # refuses a broken publish.xml before anything is written
    token = load_token()
    if paths.addin.exists():
        shutil.rmtree(paths.addin)
    build(paths.addin, port=plan.port, token=token)
    _atomic(paths.publish, publish)
    done = [f"已写入 WPS 加载项：{paths.addin}", f"已登记到 {paths.publish}"]
    record = {"addin": str(paths.addin), "publish": str(paths.publish), "publish_created": before is None,
              "autostart": None}
    if plan.autostart and paths.autostart is not None:
        _atomic(paths.autostart, _autostart_text(paths, plan.python, plan.port),
                "\r\n" if paths.platform == "windows" else "\n")
        record["autostart"] = str(paths.autostart)
        done.append(f"登录后自动启动服务：{paths.autostart}")
    _atomic(record_path(), json.dumps(record, ensure_ascii=False, indent=1))
    return done


def plan_uninstall(paths: WpsPaths) -> list[str]:
    """What :func:`uninstall` removes: what the record names (else the default locations)."""
    rec = _record()
    addin = Path(rec.get("addin") or paths.addin)
    auto = rec.get("autostart") if rec else (str(paths.autostart) if paths.autostart else None)
    lines = [f"删除 WPS 加载项：{addin}", f"从 {rec.get('publish') or paths.publish} 删除加载项 {NAME} 的登记（其他保留）"]
    if auto:
        lines.append(f"删除自动启动项：{auto}")
    return lines


def _record() -> dict:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def uninstall(paths: WpsPaths) -> list[str]:
    rec = _record()
    addin = Path(rec.get("addin") or paths.addin)
    publish = Path(rec.get("publish") or paths.publish)
    auto = rec.get("autostart") if rec else (str(paths.autostart) if paths.autostart else None)
    done = []
    if publish.is_file():
        text = _publish_with(publish.read_text(encoding="utf-8"), add=False)
        if rec.get("publish_created") and not re.search(r"<jsplugin(?:online)?\s", text):
            publish.unlink()
            done.append(f"已删除 {publish}（安装时新建，现已无其他加载项）")
        else:
            _atomic(publish, text)
            done.append(f"已从 {publish} 删除加载项 {NAME} 的登记")
    if addin.is_dir() and addin.name.startswith(f"{NAME}_"):
        shutil.rmtree(addin)
        done.append(f"已删除 {addin}")
    if auto and Path(auto).is_file():
        Path(auto).unlink()
        done.append(f"已删除自动启动项 {auto}")
    record_path().unlink(missing_ok=True)
    return done or ["没有找到已安装的 WPS 加载项"]


__all__ = ["WpsPaths", "build", "default_paths", "install", "plan_install", "plan_uninstall", "uninstall"]
