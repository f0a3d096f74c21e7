"""One ribbon spec (xlperf/addin/ribbon.toml) for Excel and WPS: both ribbons are its renderings, have the
same tab, groups and buttons, and a broken spec is refused when it is loaded."""

from __future__ import annotations

from pathlib import Path

import defusedxml.ElementTree as ET
import pytest

from xlperf.addin import build, ribbon
from xlperf.errors import XlperfError

EXCEL = "{" + ribbon.EXCEL_NS + "}"
WPS = "{" + ribbon.WPS_NS + "}"


def _controls(xml: bytes, ns: str) -> list[tuple[str, str | None, str | None, str | None]]:
    root = ET.fromstring(xml)
    return [(el.tag[len(ns):], el.get("id"), el.get("label"), el.get("tag"))
            for el in root.iter() if el.tag[len(ns):] in ("tab", "group", "button", "menu", "menuSeparator")]


def test_both_ribbons_have_the_same_tab_and_buttons() -> None:
    excel, wps = ribbon.excel_xml(), ribbon.wps_xml()
    assert _controls(excel, EXCEL) == _controls(wps, WPS)
    labels = [c[2] for c in _controls(wps, WPS) if c[0] in ("button", "menu")]
    for label in ("校验", "清除标记", "自动求和", "插入标准指标", "合并部门表", "新建表格", "关于", "会议"):
        assert label in labels
    assert ET.fromstring(wps).get("onLoad") == "OnAddinLoad"
    assert ribbon.callbacks(wps) == {"OnAddinLoad", "OnAction"}


def test_the_excel_build_uses_the_rendering(tmp_path: Path) -> None:
    sources = build.load_macros()
    assert sources.ribbon == ribbon.excel_xml()
    # every Excel callback is a module-qualified sub of XlperfRibbon (the build checks it too)
    assert {a for a, _m, _p in build.ribbon_callbacks(sources.ribbon)} == {"onAction"}


def test_a_button_added_once_appears_in_both(tmp_path: Path) -> None:
    text = ribbon.SPEC_PATH.read_text(encoding="utf-8") + (
        '\n[[group.control]]\nid = "xlperfSelfCheck"\nlabel = "自检"\naction = "about"\nvba = "OnAbout"\n'
        'image_mso = "Info"\nsupertip = "检查运行环境。"\n')
    path = tmp_path / "ribbon.toml"
    path.write_text(text, encoding="utf-8")
    spec = ribbon.load_spec(path)
    for xml, ns in ((ribbon.excel_xml(spec), EXCEL), (ribbon.wps_xml(spec), WPS)):
        assert ("button", "xlperfSelfCheck", "自检", None) in _controls(xml, ns)
    assert '"xlperfSelfCheck"' in ribbon.controls_js(spec)


@pytest.mark.parametrize(("change", "words"), [
    (lambda t: t.replace('id = "xlperfAutosum"', 'id = "xlperfValidate"'), "duplicate ids"),
    (lambda t: t.replace('action = "autosum"', 'action = "explode"'), "action"),
    (lambda t: t.replace('vba = "OnAutosum"\n', ""), "needs action and vba"),
    (lambda t: t.replace('vba = "OnAutosum"', 'vba = "OnValidate"'), "two actions"),
    (lambda t: t.replace("[tab]", "[tab\n"), "TOML"),
])
def test_a_broken_spec_is_refused_on_load(change, words: str, tmp_path: Path) -> None:
    path = tmp_path / "ribbon.toml"
    path.write_text(change(ribbon.SPEC_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(XlperfError) as err:
        ribbon.load_spec(path)
    assert words in err.value.message and "功能区定义" in err.value.message


def test_indicator_menu_tags_are_library_sets() -> None:
    from xlperf.core.indicators import load_library

    library = load_library()
    tags = [b.tag for b in ribbon.load_spec().buttons() if b.action == "indicators" and getattr(b, "tag", None)]
    # every built-in type once, and nothing else (a tag may be a type's name or alias; require raises
    # for a type the library does not know)
    assert sorted(library.require(t).name for t in tags) == sorted(s.name for s in library)
