"""OPC (zip) package plumbing for macro workbooks, at the text level.

The XML parts are edited as text, never re-serialised, so namespace prefixes, attribute order and
everything xlperf does not touch stay exactly as the source workbook had them. The zip is written
with fixed timestamps, a fixed part order and fixed compression settings, so the same inputs give
the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from ..errors import XlperfError

CT_WORKBOOK_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_WORKBOOK_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_WORKBOOK_XLAM = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_UI_EXTENSIBILITY = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
REL_UI_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"

#: 1980-01-01 00:00:00, the earliest time a zip entry can carry.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(XlperfError):
    """The source workbook's package cannot be turned into a macro workbook."""

    kind = "package"


Parts = dict[str, bytes]


def read_parts(data: bytes) -> Parts:
    """All parts of a zip package, in archive order."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except zipfile.BadZipFile as exc:
        raise PackageError(f"不是有效的 xlsx 文件：{exc}") from None


def write_parts(parts: Parts) -> bytes:
    """Zip ``parts`` deterministically: ``[Content_Types].xml`` first, then the given order."""
    names = ["[Content_Types].xml", *(n for n in parts if n != "[Content_Types].xml")]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # MS-DOS, whatever platform builds it
            info.external_attr = 0
            zf.writestr(info, parts[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def _text(parts: Parts, name: str) -> str:
    try:
        return parts[name].decode("utf-8")
    except KeyError:
        raise PackageError(f"工作簿缺少部件 {name}") from None
    except UnicodeDecodeError:
        raise PackageError(f"部件 {name} 不是 UTF-8 编码") from None


def _insert_before_close(xml: str, root: str, fragment: str) -> str:
    close = f"</{root}>"
    at = xml.rfind(close)
    if at < 0:
        raise PackageError(f"找不到 {close}")
    return xml[:at] + fragment + xml[at:]


def set_override(xml: str, part: str, content_type: str) -> str:
    """Set (or add) the ``Override`` content type of ``part`` in ``[Content_Types].xml``."""
    pattern = re.compile(r"<Override\b[^>]*\bPartName=\"" + re.escape(part) + r"\"[^>]*?/>")
    fragment = f"<Override PartName={quoteattr(part)} ContentType={quoteattr(content_type)}/>"
    if pattern.search(xml):
        return pattern.sub(lambda _m: fragment, xml, count=1)
    return _insert_before_close(xml, "Types", fragment)


def override_of(xml: str, part: str) -> str | None:
    match = re.search(
        r"<Override\b(?=[^>]*\bPartName=\"" + re.escape(part) + r"\")[^>]*\bContentType=\"([^\"]*)\"", xml
    )
    return match.group(1) if match else None


def relationships(xml: str) -> list[dict[str, str]]:
    """The ``Relationship`` elements of a ``.rels`` part as attribute dicts."""
    out = []
    for tag in re.findall(r"<Relationship\b[^>]*?/?>", xml):
        out.append(dict(re.findall(r"(\w+)=\"([^\"]*)\"", tag)))
    return out


def add_relationship(xml: str, rel_type: str, target: str) -> tuple[str, str]:
    """Add a relationship with the first free ``rIdN``; returns the new XML and the id."""
    used = {r.get("Id") for r in relationships(xml)}
    n = 1
    while f"rId{n}" in used:
        n += 1
    rid = f"rId{n}"
    fragment = f"<Relationship Id={quoteattr(rid)} Type={quoteattr(rel_type)} Target={quoteattr(target)}/>"
    return _insert_before_close(xml, "Relationships", fragment), rid


def set_root_attribute(xml: str, element: str, attribute: str, value: str, *, before: Iterable[str]) -> str:
    """Set ``attribute`` on the first ``<element>``; if absent, insert the element before the first of
    ``before`` (the schema's following siblings)."""
    match = re.search(r"<" + element + r"\b([^>]*?)(/?)>", xml)
    if match:
        attrs = re.sub(r"\s" + attribute + r"=\"[^\"]*\"", "", match.group(1)).rstrip()
        new = f"<{element}{attrs} {attribute}={quoteattr(value)}{match.group(2)}>"
        return xml[: match.start()] + new + xml[match.end() :]
    positions = [m.start() for tag in before if (m := re.search(r"<" + tag + r"\b", xml))]
    if not positions:
        raise PackageError(f"无法在 XML 中放置 <{element}>")
    at = min(positions)
    return xml[:at] + f"<{element} {attribute}={quoteattr(value)}/>" + xml[at:]


# Following siblings of workbookPr in CT_Workbook, and of sheetPr in CT_Worksheet.
WORKBOOK_PR_BEFORE = (
    "mc:AlternateContent",
    "xr:revisionPtr",
    "workbookProtection",
    "bookViews",
    "sheets",
)
SHEET_PR_BEFORE = ("dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData")


def resolve(base_part: str, target: str) -> str:
    """Resolve a relationship target relative to the part that owns the ``.rels``."""
    if target.startswith("/"):
        return target.lstrip("/")
    folder = base_part.rsplit("/", 1)[0].split("/") if "/" in base_part else []
    for piece in target.split("/"):
        if piece == "..":
            if folder:
                folder.pop()
        elif piece and piece != ".":
            folder.append(piece)
    return "/".join(folder)


def rels_name(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def main_part(parts: Parts) -> str:
    """The workbook part named by the package's officeDocument relationship."""
    for rel in relationships(_text(parts, "_rels/.rels")):
        if rel.get("Type") == REL_OFFICE_DOCUMENT:
            return resolve("", rel["Target"])
    raise PackageError("包中没有 officeDocument 关系")


def worksheet_parts(parts: Parts, workbook_part: str) -> list[tuple[str, str]]:
    """(sheet name, part name) of every worksheet, in workbook order."""
    wb_xml = _text(parts, workbook_part)
    rels = {r["Id"]: r for r in relationships(_text(parts, rels_name(workbook_part))) if "Id" in r}
    out = []
    for tag in re.findall(r"<sheet\b[^>]*?/?>", wb_xml):
        attrs = dict(re.findall(r"([\w:]+)=\"([^\"]*)\"", tag))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        rel = rels.get(rid or "")
        if rel and rel.get("Type") == REL_WORKSHEET:
            out.append((attrs.get("name", ""), resolve(workbook_part, rel["Target"])))
    return out


def sheet_codename(sheet_xml: str) -> str | None:
    match = re.search(r"<sheetPr\b[^>]*\bcodeName=\"([^\"]*)\"", sheet_xml)
    return match.group(1) if match else None


def text_part(parts: Parts, name: str) -> str:
    return _text(parts, name)
