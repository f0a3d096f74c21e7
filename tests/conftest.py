"""Shared fixtures: the seed (text and imported .xlsx) and a LibreOffice recalculation helper."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEED_TXT = FIXTURES / "seed.txt"
ROOT = Path(__file__).resolve().parents[1]

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


needs_libreoffice = pytest.mark.skipif(
    soffice() is None, reason="LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc-nogui"
)


#: LibreOffice keeps the cached values of an .xlsx by default; this profile makes it recalculate every
#: formula on load, so a conversion checks the cached values xlperf writes instead of echoing them.
_LO_ALWAYS_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def lo_convert(src: Path, outdir: Path, fmt: str = "xlsx", infilter: str | None = None, timeout: int = 120) -> Path:
    """Convert ``src`` with headless LibreOffice (recalculating formulas) into ``outdir``."""
    exe = soffice()
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"xlperf-lo-{uuid.uuid4().hex}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_LO_ALWAYS_RECALC, encoding="utf-8")
    cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    cmd += ["--convert-to", fmt, "--outdir", str(outdir), str(src)]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert out.exists(), f"LibreOffice produced no {out}"
    return out


def recalc(src: Path, tmp_path: Path) -> Path:
    """A copy of ``src`` recalculated and saved by LibreOffice (cached values filled in)."""
    return lo_convert(src, tmp_path / f"recalc-{uuid.uuid4().hex[:8]}", "xlsx")


@pytest.fixture
def seed_txt() -> Path:
    return SEED_TXT


@pytest.fixture
def seed_form():
    from xlperf.io.readers import load_form

    return load_form(SEED_TXT)


@pytest.fixture
def seed_xlsx(tmp_path: Path) -> Path:
    """The seed rebuilt in the official layout (what ``xlperf import`` writes)."""
    from xlperf.io.readers import load_form
    from xlperf.io.template import build_workbook

    out = tmp_path / "seed.xlsx"
    build_workbook(load_form(SEED_TXT)).save(out)
    return out


@pytest.fixture(autouse=True)
def _own_xlperf_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own ~/.xlperf (settings, backups, logs): each gets an empty one,
    unless the test set XLPERF_HOME itself."""
    import os

    if "XLPERF_HOME" not in os.environ:
        monkeypatch.setenv("XLPERF_HOME", str(tmp_path_factory.mktemp("xlperf-home")))
