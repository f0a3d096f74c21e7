"""``xlperf doctor`` / 自检 in a simulated Windows profile: every check passes after ``addin install``'s
steps, and each failure names what to do."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from xlperf.addin import build, doctor, install
from xlperf.cli import main


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"APPDATA": str(tmp_path / "AppData" / "Roaming"), "USERPROFILE": str(tmp_path)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def test_a_fresh_profile_says_what_to_install(profile: dict[str, str], capsys) -> None:
    checks = _by_name(doctor.run_checks(profile))
    assert checks["加载项启动的 Python"].ok is False and "addin install" in checks["加载项启动的 Python"].fix
    assert checks["XLSTART 中的加载项"].ok is False and "未安装" in checks["XLSTART 中的加载项"].detail
    assert checks["xlwings 版本"].ok is True and checks["备份文件夹可写"].ok is True
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[未通过] 加载项启动的 Python" in out and "处理：" in out and out.strip().endswith("2 项未通过")


def test_after_install_everything_passes_and_failures_are_named(profile: dict[str, str], tmp_path: Path,
                                                                capsys) -> None:
    paths = install.default_paths(profile)
    plan = install.plan_install(build.TEMPLATES_DIR / build.XLAM_NAME, paths, sys.executable)
    install.install(plan, encoding="utf-8")
    checks = doctor.run_checks(profile)
    assert all(c.ok for c in checks), doctor.describe(checks)
    assert main(["doctor", "--json"]) == 0
    assert {c["name"] for c in json.loads(capsys.readouterr().out)["checks"]} == {c.name for c in checks}
    # a stale copy in XLSTART, an interpreter that is gone, a broken settings file, no backup folder
    paths.addin.write_bytes(paths.addin.read_bytes() + b"\0")
    conf = paths.conf_file.read_text(encoding="utf-8").replace(sys.executable, str(tmp_path / "gone" / "python.exe"))
    paths.conf_file.write_text(conf, encoding="utf-8")
    from xlperf.settings import home

    (home() / "xlperf.toml").write_text("min-indicators = [\n", encoding="utf-8")
    backups = home() / "backups"
    if backups.is_dir():
        backups.rmdir()
    backups.write_text("not a folder", encoding="utf-8")
    checks = _by_name(doctor.run_checks(profile))
    assert "过期" in checks["XLSTART 中的加载项"].detail and "addin install" in checks["XLSTART 中的加载项"].fix
    assert "不存在" in checks["加载项启动的 Python"].detail
    assert checks["校验设置（xlperf.toml）"].ok is False
    assert checks["备份文件夹可写"].ok is False and "XLPERF_HOME" in checks["备份文件夹可写"].fix


def test_outside_windows_the_windows_checks_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = _by_name(doctor.run_checks({}))
    assert checks["加载项启动的 Python"].ok is None and checks["XLSTART 中的加载项"].ok is None
