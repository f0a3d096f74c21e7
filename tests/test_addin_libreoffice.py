"""LibreOffice (headless) opens the built ``.xlam`` and ``.xlsm`` and exposes their VBA modules.

LibreOffice is not Excel and does not report VBA syntax errors, but it is a second, independent
reader of the whole chain (zip, content types, relationships, compound file, dir stream,
compression): converting to ``.ods`` writes every imported module under ``Basic/<project>/``.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from xlperf.addin import build

MACROS = Path(__file__).resolve().parents[1] / "macros"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH")

# Lines LibreOffice adds in front of an imported VBA module.
_LO_HEADER = re.compile(r"^(Rem Attribute VBA_ModuleType=\w+|Option VBASupport 1|Option ClassModule)$")


def _source_workbook(tmp: Path) -> Path:
    """The real blank-form template if it exists, else a small openpyxl workbook with two sheets."""
    if build.TEMPLATE_XLSX.is_file():
        return build.TEMPLATE_XLSX
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "绩效目标表"
    wb.create_sheet("下拉列表")
    path = tmp / "source.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("lo")
    result = build.build_all(tmp / "built", source_workbook=_source_workbook(tmp))
    out = tmp / "ods"
    cmd = [
        str(SOFFICE),
        f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--infilter=Calc MS Excel 2007 XML",  # needed for .xlam; the same filter reads .xlsm
        "--convert-to",
        "ods",
        "--outdir",
        str(out),
        str(result.outputs[build.XLAM_NAME]),
        str(result.outputs[build.XLSM_NAME]),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return {name: out / (Path(name).stem + ".ods") for name in (build.XLAM_NAME, build.XLSM_NAME)}


def _modules(ods: Path, project: str) -> dict[str, str]:
    with zipfile.ZipFile(ods) as zf:
        names = [n for n in zf.namelist() if n.startswith(f"Basic/{project}/") and not n.endswith("script-lb.xml")]
        out = {}
        for name in names:
            xml = zf.read(name).decode("utf-8")
            body = re.search(r"<script:module[^>]*>(.*)</script:module>", xml, re.S)
            assert body, name
            out[Path(name).stem] = html.unescape(body.group(1))
    return out


@pytest.mark.parametrize(
    ("name", "project"), [(build.XLAM_NAME, build.ADDIN_PROJECT), (build.XLSM_NAME, build.TEMPLATE_PROJECT)]
)
def test_libreoffice_imports_every_module(converted: dict[str, Path], name: str, project: str) -> None:
    ods = converted[name]
    assert ods.is_file(), f"LibreOffice did not convert {name}"
    modules = _modules(ods, project)
    sources = {p.stem: p.read_bytes().decode("ascii") for p in MACROS.iterdir() if p.suffix in (".bas", ".cls")}
    assert set(sources) <= set(modules), sorted(modules)
    assert all(re.fullmatch(r"Sheet\d+", m) for m in set(modules) - set(sources))
    for module, source in sources.items():
        lines = modules[module].split("\n")
        while lines and _LO_HEADER.match(lines[0]):
            lines.pop(0)
        expected = [line for line in source.split("\r\n") if not line.startswith("Attribute ")]
        # LibreOffice keeps the code without the Attribute lines, with LF line endings
        assert "\n".join(lines).rstrip("\n") == "\n".join(expected).rstrip("\n"), module


def test_libreoffice_keeps_the_template_sheets(converted: dict[str, Path]) -> None:
    import openpyxl

    template = build.TEMPLATE_XLSX
    with zipfile.ZipFile(converted[build.XLSM_NAME]) as zf:
        content = zf.read("content.xml").decode("utf-8")
    tables = re.findall(r'<table:table table:name="([^"]+)"', content)
    if template.is_file():
        assert tables == openpyxl.load_workbook(template, read_only=True).sheetnames
    else:
        assert tables == ["绩效目标表", "下拉列表"]
