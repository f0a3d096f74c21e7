"""The 绩效目标 ribbon tab from one spec (``ribbon.toml`` beside this module), for Excel and WPS 表格.

* :func:`excel_xml`: the Excel ribbon (``customUI/customUI14.xml`` of ``xlperf.xlam`` and of the
  template ``.xlsm``; :func:`xlperf.addin.build.load_macros` takes it from here), each control's
  ``onAction`` the VBA sub ``XlperfRibbon.<vba>``;
* :func:`wps_xml`: ``ribbon.xml`` of the WPS 加载项 (``xlperf/addin/wps/``), in the 2006 customUI
  namespace WPS reads, every control calling ``OnAction`` (the page dispatches on the control's id);
* :func:`controls_js`: the page's table of control id -> (action, tag).

A button added to the spec appears in both ribbons. The spec is validated when it is loaded.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import quoteattr

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import XlperfError

SPEC_PATH = Path(__file__).with_name("ribbon.toml")
EXCEL_NS = "http://schemas.microsoft.com/office/2009/07/customui"
WPS_NS = "http://schemas.microsoft.com/office/2006/01/customui"
VBA_MODULE = "XlperfRibbon"
#: what the buttons do; the page has one handler per action (xlperf/addin/wps/xlperf.js)
ACTIONS = ("validate", "unmark", "autosum", "indicators", "consolidate", "new", "about", "doctor")
_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Model):
    id: str = Field(pattern=_ID)
    kind: Literal["button", "separator"] = "button"
    label: str | None = None
    action: Literal[ACTIONS] | None = None  # type: ignore[valid-type]
    vba: str | None = Field(default=None, pattern=_ID)
    tag: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Item:
        if self.kind == "button" and not (self.label and self.action and self.vba):
            raise ValueError(f"{self.id}: a button needs label, action and vba")
        if self.kind == "separator" and (self.label or self.action or self.vba or self.tag):
            raise ValueError(f"{self.id}: a separator has only an id")
        return self


class Control(_Model):
    id: str = Field(pattern=_ID)
    kind: Literal["button", "menu"] = "button"
    label: str = Field(min_length=1)
    action: Literal[ACTIONS] | None = None  # type: ignore[valid-type]
    vba: str | None = Field(default=None, pattern=_ID)
    image_mso: str = Field(pattern=_ID)
    screentip: str | None = None
    supertip: str = Field(min_length=1)
    item: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> Control:
        if self.kind == "button" and (not self.action or not self.vba or self.item):
            raise ValueError(f"{self.id}: a button needs action and vba, and has no items")
        if self.kind == "menu" and (self.action or self.vba or not any(i.kind == "button" for i in self.item)):
            raise ValueError(f"{self.id}: a menu has items (buttons), not an action of its own")
        return self


class Group(_Model):
    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    control: list[Control] = Field(min_length=1)


class Tab(_Model):
    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    insert_after_mso: str | None = Field(default=None, pattern=_ID)


class RibbonSpec(_Model):
    tab: Tab
    group: list[Group] = Field(min_length=1)

    @field_validator("group")
    @classmethod
    def _unique(cls, groups: list[Group]) -> list[Group]:
        ids = [g.id for g in groups] + [c.id for g in groups for c in g.control]
        ids += [i.id for g in groups for c in g.control for i in c.item]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate ids: {', '.join(dup)}")
        vba: dict[str, str] = {}
        act: dict[str, str] = {}
        for b in buttons_of(groups):
            assert b.action and b.vba
            if vba.setdefault(b.action, b.vba) != b.vba:
                raise ValueError(f"action {b.action} is called through two VBA subs ({vba[b.action]}, {b.vba})")
            if act.setdefault(b.vba, b.action) != b.action:
                raise ValueError(f"VBA sub {b.vba} is called for two actions ({act[b.vba]}, {b.action})")
        return groups

    def buttons(self) -> list[Control | Item]:
        """Every button (menu items included), in ribbon order."""
        return buttons_of(self.group)


def buttons_of(groups: list[Group]) -> list[Control | Item]:
    out: list[Control | Item] = []
    for g in groups:
        for c in g.control:
            if c.kind == "button":
                out.append(c)
            out.extend(i for i in c.item if i.kind == "button")
    return out


@lru_cache(maxsize=4)
def load_spec(path: Path = SPEC_PATH) -> RibbonSpec:
    """The ribbon spec, validated; a broken spec is one line naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return RibbonSpec.model_validate(data)
    except OSError as exc:
        raise XlperfError(f"无法读取功能区定义 {path}：{exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise XlperfError(f"功能区定义 {path} 不是正确的 TOML：{exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise XlperfError(f"功能区定义 {path} 有误（{where}：{first.get('msg')}）") from None


# -- rendering --------------------------------------------------------------------------------------


def _attrs(pairs: list[tuple[str, str | None]]) -> str:
    return "".join(f" {k}={quoteattr(v)}" for k, v in pairs if v is not None)


def _render(spec: RibbonSpec, *, wps: bool) -> bytes:
    """The ribbon XML, laid out for reading: a control's attributes on up to three lines."""

    def action(b: Control | Item) -> str:
        return "OnAction" if wps else f"{VBA_MODULE}.{b.vba}"

    def element(indent: str, tag: str, lines: list[list[tuple[str, str | None]]], close: str) -> list[str]:
        pad = indent + " " * (len(tag) + 2)  # continuation lines line up after "<tag "
        text = [a for a in (_attrs(line).lstrip() for line in lines) if a]
        rows = [f"{indent}<{tag} {text[0]}"] + [pad + t for t in text[1:]]
        rows[-1] += close
        return rows

    if wps:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
               "<!-- xlperf ribbon for WPS 表格, generated from xlperf/addin/ribbon.toml (xlperf.addin.ribbon). "
               "Every control calls OnAction (js/xlperf.js). -->",
               f'<customUI xmlns="{WPS_NS}" onLoad="OnAddinLoad">']
    else:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
               f"<!-- xlperf ribbon. Callbacks are Public Subs of the VBA module {VBA_MODULE} "
               f"(macros/{VBA_MODULE}.bas). -->",
               f'<customUI xmlns="{EXCEL_NS}">']
    out += ["  <ribbon>", "    <tabs>"]
    tab = spec.tab
    out.append(f"      <tab{_attrs([('id', tab.id), ('label', tab.label), ('insertAfterMso', None if wps else tab.insert_after_mso)])}>")
    for g in spec.group:
        out.append(f"        <group{_attrs([('id', g.id), ('label', g.label)])}>")
        for c in g.control:
            head = [("id", c.id), ("label", c.label), ("size", "large"), ("imageMso", None if wps else c.image_mso)]
            tips = [("screentip", c.screentip or c.label), ("supertip", c.supertip)]
            if c.kind == "button":
                out += element("          ", "button", [head, tips, [("onAction", action(c))]], " />")
                continue
            out += element("          ", "menu", [head, tips], ">")
            for i in c.item:
                if i.kind == "separator":
                    out.append(f"            <menuSeparator{_attrs([('id', i.id)])} />")
                else:
                    out += element("            ", "button", [[("id", i.id), ("label", i.label), ("tag", i.tag)],
                                                             [("onAction", action(i))]], " />")
            out.append("          </menu>")
        out.append("        </group>")
    out += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(out).encode("utf-8")


def excel_xml(spec: RibbonSpec | None = None) -> bytes:
    """``customUI14.xml`` of the Excel add-in."""
    return _render(spec or load_spec(), wps=False)


def wps_xml(spec: RibbonSpec | None = None) -> bytes:
    """``ribbon.xml`` of the WPS add-in."""
    return _render(spec or load_spec(), wps=True)


def controls_js(spec: RibbonSpec | None = None) -> str:
    """``ribbon_spec.js`` of the WPS add-in: ``XLPERF_CONTROLS[id] = {action, tag, label}``."""
    spec = spec or load_spec()
    table = {b.id: {"action": b.action, "tag": getattr(b, "tag", None), "label": b.label} for b in spec.buttons()}
    body = json.dumps(table, ensure_ascii=False, indent=1)
    return ("// Generated from xlperf/addin/ribbon.toml by xlperf.addin.ribbon: edit the spec, not this file.\n"
            f"var XLPERF_CONTROLS = {body};\n")


def callbacks(xml: bytes) -> set[str]:
    """The callback names a ribbon XML calls (``onAction``, ``onLoad``, ``get*``)."""
    return {v.decode() for v in re.findall(rb'\s(?:onAction|onLoad|get[A-Z]\w*)="([^"]+)"', xml)}


__all__ = ["ACTIONS", "RibbonSpec", "callbacks", "controls_js", "excel_xml", "load_spec", "wps_xml"]
