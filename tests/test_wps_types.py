"""The WPS add-in's script type-checks against WPS's own ET typings (npm ``et-jsapi-declare``), with
TypeScript's ``checkJs``: every object-model property and method the script uses exists, with a
compatible signature (``Rows`` is a property, not a call; ``Worksheets.Item`` may be a sheet collection)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WPS = Path(__file__).parent / "wps"
TSC = WPS / "node_modules" / ".bin" / "tsc"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: the script is not type-checked")
@pytest.mark.skipif(not TSC.exists() or not (WPS / "node_modules" / "et-jsapi-declare").is_dir(),
                    reason="TypeScript and the ET typings are not installed: run npm ci --prefix tests/wps")
def test_the_script_type_checks_against_the_et_typings() -> None:
    proc = subprocess.run([str(TSC), "-p", str(WPS / "tsconfig.json")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
