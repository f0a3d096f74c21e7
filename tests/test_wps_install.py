"""``xlperf addin install|uninstall --wps``: the add-in folder, the publish.xml entry and the autostart entry,
in temporary folders standing for the user's profile on Linux and on Windows."""

from __future__ import annotations

from pathlib import Path

import defusedxml.ElementTree as ET
import pytest

from xlperf.addin import ribbon, wps_addin
from xlperf.errors import XlperfError

OTHER = ('<jsplugins>\n  <jsplugin name="other" type="wps" url="other_1.0" version="1.0" enable="enable"/>\n'
         '  <jspluginonline name="web" type="et" url="http://intranet.example/addin/"/>\n</jsplugins>\n')


def paths_for(platform: str, tmp_path: Path) -> wps_addin.WpsPaths:
    env = {"HOME": str(tmp_path / "home"), "APPDATA": str(tmp_path / "AppData" / "Roaming")}
    return wps_addin.default_paths(platform, env)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_default_locations() -> None:
    linux = wps_addin.default_paths("linux", {"HOME": "/home/u"})
    assert linux.jsaddons == Path("/home/u/.local/share/Kingsoft/wps/jsaddons")
    assert linux.autostart == Path("/home/u/.config/autostart/xlperf-serve.desktop")
    win = wps_addin.default_paths("windows", {"APPDATA": "C:/Users/u/AppData/Roaming"})
    assert win.jsaddons == Path("C:/Users/u/AppData/Roaming/kingsoft/wps/jsaddons")
    assert win.autostart is not None and win.autostart.parent.name == "Startup"
    with pytest.raises(XlperfError):
        wps_addin.default_paths("windows", {})


@pytest.mark.parametrize("platform", ["linux", "windows"])
def test_install_then_uninstall_leaves_the_profile_as_it_was(platform: str, tmp_path: Path) -> None:
    paths = paths_for(platform, tmp_path)
    paths.jsaddons.mkdir(parents=True)
    paths.publish.write_text(OTHER, encoding="utf-8")
    (paths.jsaddons / "other_1.0").mkdir()
    (paths.jsaddons / "other_1.0" / "ribbon.xml").write_text("<customUI/>", encoding="utf-8")
    before = files(tmp_path)

    plan = wps_addin.plan_install(paths, port=40001, python="/opt/py/bin/python")
    assert files(tmp_path) == before, "planning changes nothing"
    assert any("publish.xml" in line for line in plan.describe())
    wps_addin.install(plan)

    root = ET.parse(paths.publish).getroot()
    entries = [(e.tag, e.get("name"), e.get("url")) for e in root]
    assert entries == [("jsplugin", "other", "other_1.0"), ("jspluginonline", "web", "http://intranet.example/addin/"),
                       ("jsplugin", "xlperf", wps_addin.folder_name())]
    addin = paths.addin
    assert (addin / "ribbon.xml").read_bytes() == ribbon.wps_xml()
    config = (addin / "js" / "config.js").read_text(encoding="utf-8")
    from xlperf.service import load_token

    assert "http://127.0.0.1:40001" in config and load_token() in config
    assert paths.autostart is not None
    auto = paths.autostart.read_text(encoding="utf-8")
    assert "-m xlperf serve --port 40001" in auto and "/opt/py/bin/python" in auto

    wps_addin.install(plan)  # again: one entry, not two
    assert paths.publish.read_text(encoding="utf-8").count('name="xlperf"') == 1

    assert any("删除" in line for line in wps_addin.plan_uninstall(paths))
    wps_addin.uninstall(paths)
    assert files(tmp_path) == before


def test_uninstall_removes_a_publish_xml_it_created(tmp_path: Path) -> None:
    paths = paths_for("linux", tmp_path)
    wps_addin.install(wps_addin.plan_install(paths, port=40002, autostart=False))
    assert paths.publish.is_file() and paths.autostart is not None and not paths.autostart.exists()
    wps_addin.uninstall(paths)
    assert not paths.publish.exists() and not paths.addin.exists()


def test_a_broken_publish_xml_is_left_alone(tmp_path: Path) -> None:
    paths = paths_for("linux", tmp_path)
    paths.jsaddons.mkdir(parents=True)
    paths.publish.write_text("<jsplugins><jsplugin name=", encoding="utf-8")
    with pytest.raises(XlperfError, match="publish.xml"):
        wps_addin.install(wps_addin.plan_install(paths, port=40003))
    assert paths.publish.read_text(encoding="utf-8") == "<jsplugins><jsplugin name="
    assert not paths.addin.exists()


def test_the_command_line_dry_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from xlperf.cli import main

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(["addin", "install", "--wps", "--dry-run", "--port", "40004"]) == 0
    out = capsys.readouterr().out
    assert "jsaddons" in out and "40004" in out
    assert main(["addin", "uninstall", "--wps", "--dry-run"]) == 0
    assert "删除 WPS 加载项" in capsys.readouterr().out
    assert not any(tmp_path.rglob("*.xml"))
