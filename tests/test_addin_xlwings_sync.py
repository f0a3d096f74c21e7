"""``macros/xlwings.bas`` and ``macros/Dictionary.cls`` are generated from the installed xlwings.

If one of these fails after an xlwings upgrade, run ``xlperf addin sync-xlwings`` and then
``xlperf addin build``: the VBA module names the xlwings DLL by version, so an add-in generated from
another xlwings version cannot call Python.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import xlwings

from xlperf.addin import xlwings_sync

MACROS = Path(__file__).resolve().parents[1] / "macros"
HINT = "run `xlperf addin sync-xlwings` and `xlperf addin build`"


def test_generated_files_match_installed_xlwings() -> None:
    for name, data in xlwings_sync.generated_sources().items():
        assert (MACROS / name).read_bytes() == data, f"macros/{name} is stale for xlwings {xlwings.__version__}: {HINT}"
    assert xlwings_sync.stale_files(MACROS) == []


def test_recorded_version_is_the_installed_one() -> None:
    bas = (MACROS / "xlwings.bas").read_bytes()
    assert xlwings_sync.recorded_version(bas) == xlwings.__version__
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"'.encode() in bas
    assert xlwings_sync.recorded_version((MACROS / "Dictionary.cls").read_bytes()) == xlwings.__version__


def test_xlwings_bas_is_the_custom_addin_variant() -> None:
    bas = (MACROS / "xlwings.bas").read_bytes().decode("ascii")
    assert 'Public Const PROJECT_NAME As String = "xlperf"' in bas
    # custom add-in variant: the caller is the active (user's) workbook, not the add-in
    assert '"BOOK_CALLER", ActiveWorkbook' in bas
    assert '"BOOK_CALLER", ThisWorkbook' not in bas
    original = (xlwings_sync.xlwings_dir() / "xlwings_custom_addin.bas").read_bytes().decode("ascii")
    ours = bas.split("\r\n")
    assert ours[1].startswith(xlwings_sync.MARK)
    diff = [
        (a, b) for a, b in zip(original.split("\r\n"), ours[:1] + ours[2:], strict=True) if a != b
    ]
    assert diff == [('Public Const PROJECT_NAME As String = "myaddin"', 'Public Const PROJECT_NAME As String = "xlperf"')]


def test_dictionary_matches_the_module_in_xlwings_own_addin() -> None:
    """The export-to-stream conversion gives the text Excel stored in quickstart_addin_ribbon.xlam
    (VBA normalises identifier case when saving, hence the case-insensitive body comparison)."""
    olevba = pytest.importorskip("oletools.olevba")
    path = xlwings_sync.xlwings_dir() / "quickstart_addin_ribbon.xlam"
    with zipfile.ZipFile(path) as zf:
        data = zf.read("xl/vbaProject.bin")
    parser = olevba.VBA_Parser("vbaProject.bin", data=data)
    try:
        stored = next(code for (_f, _s, vf, code) in parser.extract_macros() if vf == "Dictionary.cls")
    finally:
        parser.close()
    ours = (MACROS / "Dictionary.cls").read_bytes().decode("ascii").split("\r\n")
    ours = [line for line in ours if not line.startswith(xlwings_sync.MARK)]
    theirs = stored.split("\r\n")
    attrs = [line for line in ours if line.startswith("Attribute ")]
    assert attrs == [line for line in theirs if line.startswith("Attribute ")]
    assert [x.lower() for x in ours] == [x.lower() for x in theirs]


def test_sync_rewrites_a_stale_file(tmp_path: Path) -> None:
    for name in ("xlwings.bas", "Dictionary.cls"):
        (tmp_path / name).write_bytes((MACROS / name).read_bytes().replace(b'"xlperf"', b'"other"'))
    assert set(xlwings_sync.stale_files(tmp_path)) == {"xlwings.bas"}
    changed = xlwings_sync.sync(tmp_path)
    assert [p.name for p in changed] == ["xlwings.bas"]
    assert xlwings_sync.stale_files(tmp_path) == []


def test_sync_refuses_unexpected_source() -> None:
    src = (xlwings_sync.xlwings_dir() / "xlwings_custom_addin.bas").read_bytes()
    with pytest.raises(xlwings_sync.XlwingsSyncError):
        xlwings_sync.render_xlwings_bas(src.replace(b"PROJECT_NAME As String", b"PROJECT As String"), "1")
    with pytest.raises(xlwings_sync.XlwingsSyncError):
        xlwings_sync.render_xlwings_bas(src.replace(b"\r\n", b"\n"), "1")


def test_xlam_records_the_xlwings_version() -> None:
    from xlperf.addin import build

    sources = build.load_macros()
    data = build.build_xlam(sources)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        core = zf.read("docProps/core.xml").decode()
    assert re.search(rf"<cp:keywords>[^<]*xlwings {re.escape(xlwings.__version__)}<", core)


def test_pyproject_pins_the_recorded_version() -> None:
    """``pip install .`` must give the xlwings whose DLL the add-in's VBA names."""
    import tomllib

    project = tomllib.loads((MACROS.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [d for d in project["dependencies"] if re.match(r"xlwings\b", d)]
    recorded = xlwings_sync.recorded_version((MACROS / "xlwings.bas").read_bytes())
    assert pins == [f"xlwings=={recorded}"], f"pin xlwings=={recorded} in pyproject.toml ({HINT})"
