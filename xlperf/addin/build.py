"""Build ``xlperf.xlam`` (the add-in) and ``xlperf_template.xlsm`` (the blank form with the ribbon).

Inputs are text: ``macros/*.bas`` (standard modules), ``macros/*.cls`` (``ThisWorkbook`` and class
modules) and the ribbon spec ``xlperf/addin/ribbon.toml`` (rendered by :func:`xlperf.addin.ribbon.excel_xml`).
VBA sources are ASCII with CRLF line endings and are stored in
the project exactly as they are in ``macros/`` (module-stream form: they start with
``Attribute VB_Name``). Sheet document modules are generated (empty) to match the sheets' ``codeName``.

The ``.xlam`` is a minimal workbook written here from scratch; the ``.xlsm`` is a copy of the blank
form template (``workbook_templates/xlperf_template.xlsx``; where these folders are:
:mod:`.resources`) whose package gets, at the zip level, the
VBA project, the ribbon part, their relationships and content types and the ``codeName`` attributes.
openpyxl never writes the result. The same inputs always give the same bytes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import XlperfError
from . import package as pkg
from . import resources
from .ovba import (
    CLASS_BASE,
    WORKSHEET_BASE,
    VbaModule,
    document_module_source,
    vba_project_bin,
)

FILES = resources.locate()
REPO_ROOT = FILES.root
MACROS_DIR = FILES.macros
TEMPLATES_DIR = FILES.templates
TEMPLATE_XLSX = TEMPLATES_DIR / "xlperf_template.xlsx"
XLAM_NAME = "xlperf.xlam"
XLSM_NAME = "xlperf_template.xlsm"
RIBBON_NAME = "customUI14.xml"
RIBBON_PART = "customUI/customUI14.xml"
RIBBON_NS = "http://schemas.microsoft.com/office/2009/07/customui"

ADDIN_PROJECT = "xlperf"
TEMPLATE_PROJECT = "xlperfTemplate"
ADDIN_SHEET = "_xlperf.conf"

#: Order of the modules from ``macros/`` in the project (the document modules come first).
_KIND_ORDER = {"document": 0, "standard": 1, "class": 2}


class AddinBuildError(XlperfError):
    """The add-in sources or the source workbook are not usable."""

    kind = "addin-build"


@dataclass(frozen=True)
class MacroSources:
    modules: list[VbaModule]
    ribbon: bytes


@dataclass
class BuildResult:
    outputs: dict[str, Path] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    source_workbook: Path | None = None


# --------------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------------


def _module_kind(name: str, source: bytes, suffix: str) -> str:
    if suffix == ".bas":
        return "standard"
    base = re.search(rb'^Attribute VB_Base = "([^"]*)"', source, re.M)
    if base is None:
        raise AddinBuildError(f"{name}.cls 缺少 Attribute VB_Base（应为模块流形式，而非导出形式）")
    if base.group(1).decode("ascii", "replace") == CLASS_BASE:
        return "class"
    if name != "ThisWorkbook":
        raise AddinBuildError(f"{name}.cls 是文档模块；macros/ 中只能有 ThisWorkbook 这一个文档模块")
    return "document"


def load_macros(macros_dir: Path = MACROS_DIR) -> MacroSources:
    """Read the VBA modules from ``macros_dir``; the ribbon XML from the ribbon spec."""
    if not macros_dir.is_dir():
        raise AddinBuildError(f"找不到宏源码目录 {macros_dir}")
    modules = []
    for path in sorted(macros_dir.iterdir()):
        if path.suffix not in (".bas", ".cls"):
            continue
        source = path.read_bytes()
        modules.append(VbaModule(path.stem, _module_kind(path.stem, source, path.suffix), source))  # type: ignore[arg-type]
    if not any(m.name == "ThisWorkbook" for m in modules):
        raise AddinBuildError("macros/ 中缺少 ThisWorkbook.cls")
    modules.sort(key=lambda m: (_KIND_ORDER[m.kind], m.name.upper()))
    from .ribbon import excel_xml  # the ribbon is rendered from the one spec both ribbons come from

    ribbon = excel_xml()
    check_ribbon(ribbon, modules)
    return MacroSources(modules, ribbon)


_SUB_RE = re.compile(
    r"^Public Sub (\w+)\(control As IRibbonControl\)\s*$", re.M | re.I
)


def ribbon_callbacks(ribbon: bytes) -> list[tuple[str, str, str]]:
    """(attribute, module, procedure) of every callback named in the ribbon XML."""
    import defusedxml.ElementTree as ET

    try:
        root = ET.fromstring(ribbon)
    except ET.ParseError as exc:
        raise AddinBuildError(f"{RIBBON_NAME} 不是格式正确的 XML：{exc}") from None
    if root.tag != f"{{{RIBBON_NS}}}customUI":
        raise AddinBuildError(f"{RIBBON_NAME} 的根元素须为 {RIBBON_NS} 命名空间的 customUI")
    out = []
    for element in root.iter():
        for attr, value in element.attrib.items():
            if attr == "onAction" or attr == "onLoad" or (attr.startswith("get") and attr[3:4].isupper()):
                module, _, proc = value.rpartition(".")
                out.append((attr, module, proc))
    return out


def check_ribbon(ribbon: bytes, modules: Sequence[VbaModule]) -> None:
    """Every ``onAction`` callback must be a module-qualified ``Public Sub X(control As IRibbonControl)``."""
    by_name = {m.name: m for m in modules}
    for attr, module, proc in ribbon_callbacks(ribbon):
        if attr != "onAction":
            raise AddinBuildError(f"功能区回调 {attr}={module}.{proc}：目前只支持 onAction")
        if module not in by_name:
            raise AddinBuildError(f"功能区回调 {module}.{proc} 须写成「模块名.过程名」且模块存在")
        subs = {m.lower() for m in _SUB_RE.findall(by_name[module].source.decode("ascii"))}
        if proc.lower() not in subs:
            raise AddinBuildError(
                f"模块 {module} 中没有 Public Sub {proc}(control As IRibbonControl)"
            )


# --------------------------------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------------------------------


def _ribbon_parts(parts: pkg.Parts, ribbon: bytes) -> None:
    rels = pkg.text_part(parts, "_rels/.rels")
    for rel in pkg.relationships(rels):
        if rel.get("Type") in (pkg.REL_UI_EXTENSIBILITY, pkg.REL_UI_2006):
            raise AddinBuildError("源工作簿已有自定义功能区，不能再注入")
    rels, _ = pkg.add_relationship(rels, pkg.REL_UI_EXTENSIBILITY, RIBBON_PART)
    parts["_rels/.rels"] = rels.encode("utf-8")
    parts[RIBBON_PART] = ribbon


def make_macro_package(
    parts: pkg.Parts, sources: MacroSources, project_name: str, main_content_type: str
) -> bytes:
    """Turn the parts of a macro-free workbook into a macro workbook (``.xlsm`` or ``.xlam``)."""
    parts = dict(parts)
    wb_part = pkg.main_part(parts)
    if any(name.lower().endswith("vbaproject.bin") for name in parts):
        raise AddinBuildError("源工作簿已含 VBA 工程；请使用不含宏的 .xlsx")
    folder = wb_part.rsplit("/", 1)[0] + "/" if "/" in wb_part else ""
    vba_part = f"{folder}vbaProject.bin"

    # Workbook and sheet code names, and one empty document module per worksheet.
    wb_xml = pkg.text_part(parts, wb_part)
    wb_xml = pkg.set_root_attribute(
        wb_xml, "workbookPr", "codeName", "ThisWorkbook", before=pkg.WORKBOOK_PR_BEFORE
    )
    parts[wb_part] = wb_xml.encode("utf-8")
    taken = {m.name.upper() for m in sources.modules}
    sheet_modules = []
    counter = 0
    for _sheet_name, sheet_part in pkg.worksheet_parts(parts, wb_part):
        xml = pkg.text_part(parts, sheet_part)
        code_name = pkg.sheet_codename(xml)
        if not code_name or not re.fullmatch(r"[A-Za-z]\w{0,30}", code_name) or code_name.upper() in taken:
            counter += 1
            while f"SHEET{counter}" in taken:
                counter += 1
            code_name = f"Sheet{counter}"
            xml = pkg.set_root_attribute(xml, "sheetPr", "codeName", code_name, before=pkg.SHEET_PR_BEFORE)
            parts[sheet_part] = xml.encode("utf-8")
        taken.add(code_name.upper())
        sheet_modules.append(VbaModule(code_name, "document", document_module_source(code_name, WORKSHEET_BASE)))
    documents = [m for m in sources.modules if m.kind == "document"]
    others = [m for m in sources.modules if m.kind != "document"]
    modules = [*documents, *sheet_modules, *others]

    # Content types and relationships.
    ct = pkg.text_part(parts, "[Content_Types].xml")
    ct = pkg.set_override(ct, "/" + wb_part, main_content_type)
    ct = pkg.set_override(ct, "/" + vba_part, pkg.CT_VBA_PROJECT)
    if not re.search(r'<Default\b[^>]*\bExtension="xml"', ct, re.I):
        ct = pkg.set_override(ct, "/" + RIBBON_PART, "application/xml")
    parts["[Content_Types].xml"] = ct.encode("utf-8")
    wb_rels_name = pkg.rels_name(wb_part)
    wb_rels, _ = pkg.add_relationship(pkg.text_part(parts, wb_rels_name), pkg.REL_VBA_PROJECT, "vbaProject.bin")
    parts[wb_rels_name] = wb_rels.encode("utf-8")
    _ribbon_parts(parts, sources.ribbon)
    parts[vba_part] = vba_project_bin(project_name, modules)
    return pkg.write_parts(parts)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def addin_base_parts(xlwings_version: str) -> pkg.Parts:
    """The parts of the minimal, macro-free workbook the add-in is made from. The xlwings version
    the VBA was generated from goes into the keywords, where ``xlperf addin install`` checks it."""
    parts = {
        "[Content_Types].xml": (
            _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{pkg.CT_WORKBOOK_XLSX}"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{pkg.CT_WORKSHEET}"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            _XML + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{pkg.REL_OFFICE_DOCUMENT}" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
            'Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
            'Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/app.xml": (
            _XML + "<Properties "
            'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel</Application></Properties>"
        ),
        "docProps/core.xml": (
            _XML + "<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            "<dc:title>xlperf</dc:title><dc:creator>xlperf</dc:creator>"
            f"<cp:keywords>xlperf; xlwings {xlwings_version}</cp:keywords>"
            "<dc:description>部门整体支出绩效目标表 Excel 加载项</dc:description></cp:coreProperties>"
        ),
        "xl/workbook.xml": (
            _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<workbookPr codeName="ThisWorkbook"/>'
            '<bookViews><workbookView visibility="hidden"/></bookViews>'
            f'<sheets><sheet name="{ADDIN_SHEET}" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            _XML + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{pkg.REL_WORKSHEET}" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            _XML + f'<worksheet xmlns="{_MAIN}"><sheetPr codeName="Sheet1"/>'
            '<dimension ref="A1"/><sheetData/></worksheet>'
        ),
        "xl/styles.xml": (
            _XML + f'<styleSheet xmlns="{_MAIN}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }
    return {name: text.encode("utf-8") for name, text in parts.items()}


def xlwings_version_of(sources: MacroSources) -> str:
    """The xlwings version ``macros/xlwings.bas`` was generated from (see :mod:`.xlwings_sync`)."""
    from .xlwings_sync import recorded_version

    module = next((m for m in sources.modules if m.name == "xlwings"), None)
    version = recorded_version(module.source) if module else None
    if not version:
        raise AddinBuildError("macros/xlwings.bas 缺失或不是生成的文件；请运行 xlperf addin sync-xlwings")
    return version


def build_xlam(sources: MacroSources) -> bytes:
    parts = addin_base_parts(xlwings_version_of(sources))
    return make_macro_package(parts, sources, ADDIN_PROJECT, pkg.CT_WORKBOOK_XLAM)


def build_xlsm(source_workbook: Path, sources: MacroSources) -> bytes:
    try:
        data = source_workbook.read_bytes()
    except OSError as exc:
        raise AddinBuildError(f"无法读取模板工作簿 {source_workbook}：{exc.strerror or exc}") from None
    parts = pkg.read_parts(data)
    wb_part = pkg.main_part(parts)
    current = pkg.override_of(pkg.text_part(parts, "[Content_Types].xml"), "/" + wb_part)
    if current != pkg.CT_WORKBOOK_XLSX:
        raise AddinBuildError(f"模板须为普通 .xlsx 工作簿（内容类型 {current}）")
    return make_macro_package(parts, sources, TEMPLATE_PROJECT, pkg.CT_WORKBOOK_XLSM)


def build_all(
    out_dir: Path = TEMPLATES_DIR,
    *,
    source_workbook: Path | None = None,
    macros_dir: Path = MACROS_DIR,
) -> BuildResult:
    """Write ``xlperf.xlam`` and ``xlperf_template.xlsm`` into ``out_dir``."""
    started = time.perf_counter()
    source_workbook = source_workbook or TEMPLATE_XLSX
    if not source_workbook.is_file():
        raise AddinBuildError(
            f"找不到空白表模板 {source_workbook}；请先运行 python scripts/build_templates.py，或用 --template 指定"
        )
    sources = load_macros(macros_dir)
    outputs = {XLAM_NAME: build_xlam(sources), XLSM_NAME: build_xlsm(source_workbook, sources)}
    out_dir.mkdir(parents=True, exist_ok=True)
    result = BuildResult(source_workbook=source_workbook)
    for name, data in outputs.items():
        path = out_dir / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        result.outputs[name] = path
        result.sizes[name] = len(data)
    result.seconds = time.perf_counter() - started
    return result

