"""The string-building VBA of XlperfRibbon.bas, executed.

``PyStr``/``PyList`` turn a task type or the chosen file paths into a Python literal that goes
through RunPython's command line, and ``Unescape`` decodes the ASCII-escaped Chinese of the file
dialog. Their text is taken verbatim from ``macros/XlperfRibbon.bas`` and run in LibreOffice Basic
in VBA compatibility mode (``Option VBASupport 1``) through UNO. LibreOffice Basic is not VBA, but
it implements the same AscW/ChrW/Hex$/Mid$ semantics these functions rely on.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tests" / "fixtures" / "addin" / "lo_basic_runner.py"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _uno_python() -> str | None:
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=30)
            if probe.returncode == 0:
                return candidate
    return None


UNO_PYTHON = _uno_python() if SOFFICE else None
pytestmark = pytest.mark.skipif(
    SOFFICE is None or UNO_PYTHON is None, reason="needs LibreOffice (soffice) and a Python with uno (python3-uno)"
)

TASK_TYPES = ["办公经费/运转保障", "补助/补贴资金", "调研/课题研究"]
PATHS = [
    r"C:\Users\张三\Desktop\2025 绩效\某某局（本级）.xlsx",
    r"\\fileserver\财政\100% done & checked ^!\a'b.xlsm",
    r"D:\emoji 😀\x.xls",
    "/Users/li/Documents/表.xlsx",
]
STRINGS = ["", "\t\r\n", "'\"\\", "%TEMP%", *TASK_TYPES, *PATHS]

_WRAPPERS = """
Public Function TStr(s As String) As String
    TStr = PyStr(s)
End Function

Public Function TList1(a As Variant) As String
    ' GetOpenFilename returns a 1-based array: test with one
    Dim b() As Variant, i As Long
    ReDim b(1 To UBound(a) - LBound(a) + 1)
    For i = LBound(a) To UBound(a)
        b(i - LBound(a) + 1) = a(i)
    Next i
    TList1 = PyList(b)
End Function

Public Function TUnescape(s As String) As String
    TUnescape = Unescape(s)
End Function
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    source = (ROOT / "macros" / "XlperfRibbon.bas").read_bytes().decode("ascii").replace("\r\n", "\n")
    functions = re.findall(r"^Private Function .*?^End Function\n", source, re.M | re.S)
    assert len(functions) == 3, "expected PyStr, PyList and Unescape"
    code = "Option VBASupport 1\nOption Explicit\n\n" + "\n".join(functions) + _WRAPPERS
    joined = re.sub(r'" & _\n\s*"', "", source)  # concatenated literals across continuation lines
    dialog = re.findall(r'Unescape\("([^"]*)"\)', joined)
    calls = [["TStr", [s]] for s in STRINGS] + [["TList1", [PATHS]]] + [["TUnescape", [d]] for d in dialog]
    request = {
        "soffice": SOFFICE,
        "profile": (tmp_path_factory.mktemp("lo") / "profile").as_uri(),
        "code": code,
        "calls": calls,
    }
    proc = subprocess.run(
        [UNO_PYTHON, str(RUNNER)], input=json.dumps(request), capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _assert_command_line_safe(literal: str) -> None:
    assert literal.isascii()
    assert not set(literal) & set('"%&^!<>|\r\n\t'), literal


def test_pystr_round_trips(results: list[str]) -> None:
    for text, literal in zip(STRINGS, results, strict=False):
        _assert_command_line_safe(literal)
        assert ast.literal_eval(literal) == text


def test_pylist_of_a_one_based_array(results: list[str]) -> None:
    literal = results[len(STRINGS)]
    _assert_command_line_safe(literal)
    command = f"import xlperf.excel as x; x.consolidate_button({literal})"
    call = ast.parse(command).body[1].value  # type: ignore[attr-defined]
    assert ast.literal_eval(call.args[0]) == PATHS


def test_unescape_gives_the_chinese_dialog_texts(results: list[str]) -> None:
    texts = results[len(STRINGS) + 1 :]
    assert texts == [
        "Excel 工作簿 (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls,所有文件 (*.*),*.*",
        "选择要合并的部门表（可多选）",
    ]
