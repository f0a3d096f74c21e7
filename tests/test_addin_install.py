"""``xlperf addin install/uninstall``: the Windows logic, run against temporary folders."""

from __future__ import annotations

import sys
from pathlib import Path, PureWindowsPath

import pytest
import xlwings

from xlperf.addin import build, install
from xlperf.cli import main


@pytest.fixture()
def addin(tmp_path: Path) -> Path:
    path = tmp_path / "dist" / "xlperf.xlam"
    path.parent.mkdir()
    path.write_bytes(build.build_xlam(build.load_macros()))
    return path


@pytest.fixture()
def paths(tmp_path: Path) -> install.InstallPaths:
    return install.InstallPaths(
        xlstart=tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART",
        conf_file=tmp_path / "home" / ".xlperf" / "xlperf.conf",
    )


def test_default_paths_follow_windows_conventions() -> None:
    env = {"APPDATA": r"C:\Users\张三\AppData\Roaming", "USERPROFILE": r"C:\Users\张三"}
    p = install.default_paths(env, path_cls=PureWindowsPath)  # type: ignore[arg-type]
    assert str(p.addin) == r"C:\Users\张三\AppData\Roaming\Microsoft\Excel\XLSTART\xlperf.xlam"
    assert str(p.conf_file) == r"C:\Users\张三\.xlperf\xlperf.conf"
    with pytest.raises(install.InstallError):
        install.default_paths({})


def test_pythonw_is_preferred(tmp_path: Path) -> None:
    (tmp_path / "python.exe").write_bytes(b"")
    exe = str(tmp_path / "python.exe")
    assert install.pythonw_for(exe) == exe  # no pythonw.exe beside it
    (tmp_path / "pythonw.exe").write_bytes(b"")
    assert install.pythonw_for(exe) == str(tmp_path / "pythonw.exe")
    win = r"C:\Python311\python.exe"
    assert install.pythonw_for(win, exists=lambda p: p == r"C:\Python311\pythonw.exe") == r"C:\Python311\pythonw.exe"
    assert install.pythonw_for(r"C:\Python311\pythonw.exe", exists=lambda p: True) == r"C:\Python311\pythonw.exe"


def test_install_and_uninstall(addin: Path, paths: install.InstallPaths) -> None:
    interpreter = r"C:\Users\张三\AppData\Local\Programs\Python\Python311\pythonw.exe"
    install.check_xlwings_version(addin, xlwings.__version__)
    plan = install.plan_install(addin, paths, interpreter)
    done = install.install(plan, encoding="cp936")
    assert len(done) == 2
    assert paths.addin.read_bytes() == addin.read_bytes()
    raw = paths.conf_file.read_bytes()
    assert raw.decode("cp936") == f'"INTERPRETER_WIN","{interpreter}"\r\n"USE UDF SERVER","True"\r\n'
    # installing again is idempotent
    install.install(plan, encoding="cp936")
    assert paths.conf_file.read_bytes() == raw
    assert not list(paths.xlstart.glob("*.tmp"))

    install.uninstall(paths, encoding="cp936")
    assert not paths.addin.exists()
    assert not paths.conf_file.exists() and not paths.conf_file.parent.exists()
    assert paths.xlstart.is_dir()  # Excel's folder stays
    assert install.uninstall(paths, encoding="cp936") == ["未发现已安装的 xlperf 加载项，无需卸载"]


def test_install_keeps_other_settings(addin: Path, paths: install.InstallPaths) -> None:
    paths.conf_file.parent.mkdir(parents=True)
    paths.conf_file.write_bytes(b'"Interpreter_Win","C:\\old\\python.exe"\r\n"PYTHONPATH","D:\\lib"\r\n')
    install.install(install.plan_install(addin, paths, r"C:\new\pythonw.exe"), encoding="cp936")
    assert paths.conf_file.read_bytes() == (
        b'"INTERPRETER_WIN","C:\\new\\pythonw.exe"\r\n"PYTHONPATH","D:\\lib"\r\n"USE UDF SERVER","True"\r\n'
    )
    install.uninstall(paths, encoding="cp936")
    assert paths.conf_file.read_bytes() == b'"PYTHONPATH","D:\\lib"\r\n'


def test_install_refuses_unencodable_interpreter(addin: Path, paths: install.InstallPaths) -> None:
    plan = install.plan_install(addin, paths, "C:\\Users\\\U0001f600\\pythonw.exe")
    with pytest.raises(install.InstallError, match="代码页"):
        install.install(plan, encoding="cp936")
    assert not paths.conf_file.exists()


def test_install_checks_the_xlwings_version(addin: Path, tmp_path: Path) -> None:
    assert install.addin_xlwings_version(addin) == xlwings.__version__
    with pytest.raises(install.InstallError, match="pip install xlwings=="):
        install.check_xlwings_version(addin, "0.0.1")
    plain = tmp_path / "plain.xlam"
    plain.write_bytes(b"not a zip")
    with pytest.raises(install.InstallError):
        install.check_xlwings_version(plain, xlwings.__version__)


def test_install_without_addin_file(paths: install.InstallPaths, tmp_path: Path) -> None:
    plan = install.plan_install(tmp_path / "missing.xlam", paths, "pythonw.exe")
    with pytest.raises(install.InstallError, match="xlperf addin build"):
        install.install(plan, encoding="cp936")


@pytest.mark.skipif(sys.platform == "win32", reason="checks the refusal on non-Windows systems")
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_cli_refuses_outside_windows(command: str, capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert main(["addin", command]) == 2
    out, err = capsys.readouterr()
    assert "在 Windows 上，此命令会" in out and "XLSTART" in out and "xlperf.conf" in out
    assert err.startswith("错误：") and "Windows" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="simulates a Windows profile on another system")
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_cli_dry_run_in_a_simulated_profile(command: str, capsys, tmp_path: Path, monkeypatch) -> None:
    profile = tmp_path / "profile"
    monkeypatch.setenv("APPDATA", str(profile / "AppData" / "Roaming"))
    monkeypatch.setenv("USERPROFILE", str(profile))
    assert main(["addin", command, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("演练（未做任何改动）")
    assert str(profile / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART" / "xlperf.xlam") in out
    assert not profile.exists()
    if command == "install":
        from xlperf.addin import build

        assert str(build.TEMPLATES_DIR / "xlperf.xlam") in out


def test_dry_run_tells_a_missing_addin_from_a_stale_one(capsys, tmp_path: Path, monkeypatch) -> None:
    from xlperf.addin import build
    from xlperf.addin.status import addin_status

    monkeypatch.setenv("APPDATA", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert main(["addin", "install", "--dry-run", "--addin", str(tmp_path / "gone.xlam")]) == 2
    assert "缺失" in capsys.readouterr().err
    shipped = build.TEMPLATES_DIR / "xlperf.xlam"
    assert addin_status(shipped, "0.37.8", build.MACROS_DIR).ok
    macros = tmp_path / "macros"
    macros.mkdir()
    for path in build.MACROS_DIR.iterdir():
        data = path.read_bytes()
        if path.name == "XlperfRibbon.bas":
            data += b"' changed\r\n"
        (macros / path.name).write_bytes(data)
    stale = addin_status(shipped, "0.37.8", macros)
    assert not stale.ok and "过期" in stale.message and "xlperf addin build" in stale.message
    other = addin_status(shipped, "0.36.0", build.MACROS_DIR)
    assert not other.ok and "xlwings 是 0.36.0" in other.message


def test_sync_check_tells_missing_from_stale(capsys, tmp_path: Path) -> None:
    from xlperf.addin import build

    (tmp_path / "xlwings.bas").write_bytes((build.MACROS_DIR / "xlwings.bas").read_bytes() + b"' x\r\n")
    assert main(["addin", "sync-xlwings", "--check", "--macros", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "缺少以下文件：Dictionary.cls" in out and "不一致（过期）" in out and "xlwings.bas" in out
