"""The ribbon XML and its VBA callbacks, and the Python functions the callbacks run."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest

MACROS = Path(__file__).resolve().parents[1] / "macros"
NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
TASK_TYPES = [
    "办公经费/运转保障",
    "公务用车购置",
    "政府购买服务",
    "补助/补贴资金",
    "保险补贴",
    "会议",
    "培训",
    "人才引进/资助",
    "信息化建设",
    "信息化运维",
    "驻外办事处",
    "慰问",
    "设备购置",
    "专项业务/宣传",
    "调研/课题研究",
    "基本建设/工程",
    "公务用车运行维护",
    "物业管理与安保",
    "党建与精神文明",
    "离退休干部",
    "专业服务",
    "聘用人员",
]
#: The functions of ``xlperf.excel`` the buttons call, with the number of positional arguments.
EXPECTED_CALLS = {
    ("validate_button", 0),
    ("clear_marks_button", 0),
    ("autosum_button", 0),
    ("insert_indicators_button", 1),
    ("consolidate_button", 1),
    ("new_form_button", 0),
    ("about_button", 0),
    ("doctor_button", 0),
}


def _ribbon():
    from xlperf.addin.ribbon import excel_xml

    return ET.fromstring(excel_xml())


def _vba_text(name: str) -> str:
    return (MACROS / name).read_bytes().decode("ascii")


def _procedures(text: str) -> dict[str, str]:
    """Procedure name -> body, for every Sub/Function of a VBA module."""
    out = {}
    pattern = re.compile(
        r"^((?:Public |Private )?(Sub|Function) (\w+)\(.*?\).*?)\r\n(.*?)^End \2", re.M | re.S
    )
    for match in pattern.finditer(text):
        out[match.group(3)] = match.group(1) + "\r\n" + match.group(4)
    return out


def test_ribbon_layout() -> None:
    root = _ribbon()
    assert root.tag == f"{NS}customUI"
    tabs = root.findall(f"{NS}ribbon/{NS}tabs/{NS}tab")
    assert [t.get("label") for t in tabs] == ["绩效目标"]
    top = [
        el
        for group in tabs[0].findall(f"{NS}group")
        for el in group
        if el.tag in (f"{NS}button", f"{NS}menu")
    ]
    assert [el.get("label") for el in top] == [
        "校验",
        "清除标记",
        "自动求和",
        "插入标准指标",
        "合并部门表",
        "新建表格",
        "关于",
        "自检",
    ]
    assert all(el.get("imageMso") for el in top), "every top-level control has a built-in icon"
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", i) for i in ids), ids


def test_indicator_menu() -> None:
    menu = next(el for el in _ribbon().iter(f"{NS}menu") if el.get("label") == "插入标准指标")
    buttons = menu.findall(f"{NS}button")
    assert buttons[0].get("label") == "自动识别" and buttons[0].get("tag") is None
    assert [b.get("label") for b in buttons[1:]] == TASK_TYPES
    assert [b.get("tag") for b in buttons[1:]] == TASK_TYPES
    assert {b.get("onAction") for b in buttons} == {"XlperfRibbon.OnInsertIndicators"}
    assert all(b.get("id").isascii() for b in buttons)


def test_indicator_menu_lists_every_builtin_type() -> None:
    """A task type added as data must get its button: every menu tag names a built-in set, every built-in
    set has a button."""
    from xlperf.core.indicators.library import load_library

    lib = load_library(user=False)
    menu = next(el for el in _ribbon().iter(f"{NS}menu") if el.get("label") == "插入标准指标")
    tags = [b.get("tag") for b in menu.findall(f"{NS}button")[1:]]
    resolved = [lib.get(t) for t in tags]
    assert None not in resolved, [t for t, s in zip(tags, resolved, strict=True) if s is None]
    assert {s.name for s in resolved} == {s.name for s in lib}


def test_every_callback_is_a_public_sub_with_the_ribbon_signature() -> None:
    modules = {p.stem: p.read_bytes().decode("ascii") for p in MACROS.glob("*.bas")}
    callbacks = {
        (attr, value)
        for el in _ribbon().iter()
        for attr, value in el.attrib.items()
        if attr in ("onAction", "onLoad") or re.fullmatch(r"get[A-Z]\w*", attr)
    }
    assert callbacks, "no callbacks found"
    for attr, value in callbacks:
        module, _, proc = value.partition(".")
        assert module == "XlperfRibbon", f"{value}: callbacks must be qualified with XlperfRibbon"
        assert attr == "onAction"
        sig = re.compile(rf"^Public Sub {proc}\(control As IRibbonControl\)\r$", re.M)
        assert sig.search(modules[module]), f"no Public Sub {proc}(control As IRibbonControl)"


def test_ribbon_module_is_plain_ascii_vba() -> None:
    text = _vba_text("XlperfRibbon.bas")
    assert "\r\nOption Explicit\r\n" in text
    assert text.isascii()
    # only the Unescape'd dialog strings carry Chinese, as \u escapes
    assert not re.search(r'"[^"\r\n]*[\u0080-\uffff]', text)


def runpython_calls() -> list[tuple[str, int]]:
    """(function, number of arguments) of every Python call of a button in XlperfRibbon.bas."""
    text = _vba_text("XlperfRibbon.bas")
    calls = []
    for line in re.findall(r"^\s*CallPython (.+)$", text, re.M):
        match = re.fullmatch(r'"import xlperf\.excel as x; x\.(\w+)\((.*)\)"\r?', line.strip())
        assert match, f"unexpected CallPython call: {line}"
        args = match.group(2)
        if args == "":
            calls.append((match.group(1), 0))
        else:
            # a single argument spliced in from VBA: " & PyStr(...) & " or " & PyList(...) & "
            assert re.fullmatch(r'" & Py(Str|List)\([\w.]+\) & "', args), args
            calls.append((match.group(1), 1))
    return calls


def test_python_server_first_then_a_fresh_process() -> None:
    procs = _procedures(_vba_text("XlperfRibbon.bas"))
    call = procs["CallPython"]
    # RunPython (server when configured) under an error handler; on failure the fallback, remembered
    assert call.index("On Error GoTo NoServer") < call.index("RunPython command") < call.index("NoServer:")
    assert "ServerFailed = True" in call and "Resume Fresh" in call and call.count("RunFresh command") == 2
    assert 'GetConfig("USE UDF SERVER"' in call
    fresh = procs["RunFresh"]
    assert "ExecuteWindows False, command, interpreter, pypath" in fresh
    # the same PYTHONPATH arguments as xlwings' own RunPython builds on Windows
    xw = _vba_text("xlwings.bas")
    for key in ("ADD_WORKBOOK_TO_PYTHONPATH", "ONEDRIVE_CONSUMER_WIN", "ONEDRIVE_COMMERCIAL_WIN", "SHAREPOINT_WIN",
                "PYTHONPATH", "INTERPRETER_WIN"):
        assert f'GetConfig("{key}"' in fresh and f'GetConfig("{key}"' in xw
    assert re.search(r"^Function ExecuteWindows\(IsFrozen As Boolean, PythonCommand As String, PYTHON_WIN As String",
                     xw, re.M)
    assert not re.search(r"^\s*RunPython ", _vba_text("XlperfRibbon.bas").replace("    RunPython command", ""), re.M)


def test_runpython_calls_are_the_expected_ones() -> None:
    calls = runpython_calls()
    assert len(calls) == len(set(calls)) and set(calls) == EXPECTED_CALLS
    procs = _procedures(_vba_text("XlperfRibbon.bas"))
    assert "PyStr(control.Tag)" in procs["OnInsertIndicators"]
    consolidate = procs["OnConsolidate"]
    assert "Application.GetOpenFilename(" in consolidate and "MultiSelect:=True" in consolidate
    assert "PyList(picked)" in consolidate and "If Not IsArray(picked) Then Exit Sub" in consolidate


def test_runpython_calls_match_xlperf_excel() -> None:
    if importlib.util.find_spec("xlperf.excel") is None:
        pytest.skip("xlperf.excel not yet implemented")
    excel = importlib.import_module("xlperf.excel")
    for name, nargs in runpython_calls():
        func = getattr(excel, name, None)
        assert callable(func), f"xlperf.excel.{name} is missing"
        inspect.signature(func).bind(*(["x"] * nargs))  # raises TypeError if the arity is wrong
