"""Hostile inputs, round 2 (issue 18): small files that every guard must stop whatever their spelling.

``build(root)`` writes each case into ``root`` and returns {name: Case} (``tests/hostile/corpus.py``'s
Case: the error kind every command must answer, or None for a legitimate file, and a fragment of the
one-line message). Run directly to write them for the measurements: ``python tests/hostile/round2.py DIR``.
"""

from __future__ import annotations

import re
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.hostile import corpus as hc  # noqa: E402
from tests.hostile import spelling as sp  # noqa: E402
from tests.hostile.corpus import Case  # noqa: E402

FAR = [(0, 0), (1_048_575, 16_383)]
SHEET = "xl/worksheets/sheet1.xml"


def _rewrite(src: Path, dst: Path, change) -> Path:
    """``change(name, data) -> [(name, data), ...]`` for every member of ``src``."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            for name, data in change(info.filename, zin.read(info)):
                zout.writestr(name, data)
    return dst


def _sheet(src: Path, dst: Path, sheet: bytes) -> Path:
    return sp.workbook_with_sheet(src, dst, sheet)


def renamed_sheet_part(src: Path, dst: Path, new: str, sheet: bytes) -> Path:
    """The sheet moved to member ``new`` (any name, any case; ``.dat`` is not taken for XML by its name),
    the workbook's relationship pointing there."""
    def change(name: str, data: bytes):
        if name == SHEET:
            return [(new, sheet)]
        if name == "xl/_rels/workbook.xml.rels":  # openpyxl writes absolute targets
            assert b'Target="/xl/worksheets/sheet1.xml"' in data
            return [(name, data.replace(b'Target="/xl/worksheets/sheet1.xml"', f'Target="/{new}"'.encode()))]
        if name == "[Content_Types].xml":
            return [(name, data.replace(b"/xl/worksheets/sheet1.xml", b"/" + new.encode()))]
        return [(name, data)]

    return _rewrite(src, dst, change)


def respelled_seed(src: Path, dst: Path) -> Path:
    """The seed form with every attribute in single quotes and on its own line: a legitimate file."""
    def change(name: str, data: bytes):
        if name == SHEET:
            head, sep, body = data.partition(b"?>") if data.startswith(b"<?xml") else (b"", b"", data)
            body = re.sub(rb'\s([A-Za-z:]+)="([^"<]*)"', rb"\n\1 =\t'\2'", body)
            return [(name, head + sep + body)]
        return [(name, data)]

    return _rewrite(src, dst, change)


def shared_string_expansion(src: Path, dst: Path, length: int = 30_000, cells: int = 3_000) -> Path:
    """One shared string of ``length`` characters used by ``cells`` cells (90 million characters once
    python-calamine copies it into each): a 100 KB file."""
    rows = "".join(f'<row r="{r + 100}">' + "".join(f'<c r="{c}{r + 100}" t="s"><v>0</v></c>' for c in "ABCDEFGHIJ")
                   + "</row>" for r in range(cells // 10))
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{sp.MAIN_NS}"><sheetData>{rows}'
             "</sheetData></worksheet>").encode()
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{sp.MAIN_NS}" count="1" uniqueCount="1">'
           f"<si><t>{'长' * length}</t></si></sst>").encode()

    def change(name: str, data: bytes):
        if name == SHEET:
            return [(name, sheet)]
        if name == "xl/_rels/workbook.xml.rels":
            rel = ('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/sharedStrings" Target="sharedStrings.xml"/>')
            return [(name, data.replace(b"</Relationships>", rel.encode() + b"</Relationships>"))]
        if name == "[Content_Types].xml":
            ct = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.spreadsheetml.sharedStrings+xml"/>')
            return [(name, data.replace(b"</Types>", ct.encode() + b"</Types>"))]
        return [(name, data)]

    out = _rewrite(src, dst, change)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf:
        if "xl/sharedStrings.xml" not in zf.namelist():
            zf.writestr("xl/sharedStrings.xml", sst)
    return out


def rich_text_runs(src: Path, dst: Path, runs: int = 4_000) -> Path:
    """An inline rich text of ``runs`` runs, each with a font family (the sheet scan looks at the whole
    text again for each: quadratic): a 10 KB file."""
    body = "".join('<r><rPr><rFont val="x"/><family val="2"/></rPr><t>x</t></r>' for _ in range(runs))

    def change(name: str, data: bytes):
        if name == SHEET:
            cell = f'<row r="60"><c r="A60" t="inlineStr"><is>{body}</is></c></row></sheetData>'
            return [(name, data.replace(b"</sheetData>", cell.encode(), 1))]
        return [(name, data)]

    return _rewrite(src, dst, change)


def _many_runs(src: Path, dst: Path, runs: int) -> Path:
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{sp.MAIN_NS}"><si>'
           + "<r><t>x</t></r>" * runs + "</si></sst>").encode()
    shared_string_expansion(src, dst, length=1, cells=10)
    tmp = dst.with_suffix(".tmp")
    with zipfile.ZipFile(dst) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, sst if info.filename == "xl/sharedStrings.xml" else zin.read(info))
    tmp.replace(dst)
    return dst


def legacy_renamed_stream(dst: Path, name: str = "WORKBOOK") -> Path:
    """The legacy far cell (IV65536) in a stream called ``name``: python-calamine finds it in any case."""
    data = bytearray(hc.legacy_far_cell(dst).read_bytes())
    i = data.find("Workbook".encode("utf-16-le"))
    encoded = name.encode("utf-16-le") + b"\0\0"
    data[i:i + 64] = encoded.ljust(64, b"\0")
    struct.pack_into("<H", data, i + 0x40, len(encoded))
    dst.write_bytes(bytes(data))
    return dst


def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([low])
        out += bytes([low | 0x80])


def _record(kind: int, body: bytes = b"") -> bytes:
    return _varint(kind) + _varint(len(body)) + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def binary_workbook(dst: Path, cells: list[tuple[int, int]], *, with_xml: bool = True) -> Path:
    """A minimal binary workbook (BIFF12 records: the .xlsb format) with a number in each cell, and
    (``with_xml``) a stub xl/workbook.xml beside it so that it passes for an .xlsx: python-calamine reads
    an .xlsb by its binary records (it aborts on a cell at column 4,000,000,000)."""
    book = (_record(0x83) + _record(0x8F) + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("表1"))
            + _record(0x90) + _record(0x84))
    sheet = _record(0x81) + _record(0x94, struct.pack("<IIII", 0, 0, 0, 0)) + _record(0x91)
    for r, c in cells:
        sheet += _record(0x00, struct.pack("<IIHHBBB", r, 0, 300, 0, 0, 0, 0) + bytes(8))
        sheet += _record(0x05, struct.pack("<II", c, 0) + struct.pack("<d", 1.5))
    sheet += _record(0x92) + _record(0x82)
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                    'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
                    'macroEnabled.main"/></Types>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="{rels_ns}"><Relationship Id="rId1" '
                    f'Type="{rel}officeDocument" Target="xl/workbook.bin"/></Relationships>')
        zf.writestr("xl/workbook.bin", book)
        zf.writestr("xl/_rels/workbook.bin.rels", f'<Relationships xmlns="{rels_ns}"><Relationship Id="rId1" '
                    f'Type="{rel}worksheet" Target="worksheets/sheet1.bin"/></Relationships>')
        zf.writestr("xl/worksheets/sheet1.bin", sheet)
        if with_xml:
            zf.writestr("xl/workbook.xml", f'<workbook xmlns="{sp.MAIN_NS}"><sheets/></workbook>')
    return dst


def unused_parts(dst: Path, parts: int = 100) -> Path:
    """A legitimate form with ``parts`` XML parts no relationship points at, each just under 1 MB of
    cell-like elements (each under the ratio check; 100 MB in all): streamed and checked, never counted."""
    hc.seed_xlsx(dst, hc.seed_form("无关部件测试单位"))
    body = b'<?xml version="1.0"?><x>' + b'<c r="A1"/>' * 90_000 + b"</x>"
    with zipfile.ZipFile(dst, "a", zipfile.ZIP_DEFLATED) as zf:
        for i in range(parts):
            zf.writestr(f"customXml/item{i}.xml", body)
    return dst


def deep_nesting(dst: Path, depth: int = 60_000) -> Path:
    """A legitimate form whose sheet ends with ``depth`` nested unknown elements (no parser here recurses)."""
    src = hc.seed_xlsx(dst.with_name(dst.stem + " 源.xlsx"), hc.seed_form("深层嵌套测试单位"))

    def change(name: str, data: bytes):
        if name == SHEET:
            return [(name, data.replace(b"</worksheet>", b"<extLst>" + b"<x>" * depth + b"</x>" * depth
                                        + b"</extLst></worksheet>"))]
        return [(name, data)]

    _rewrite(src, dst, change)
    src.unlink()
    return dst


def bad_shared_index(src: Path, dst: Path) -> Path:
    """Cells of type "s" whose index is beyond the shared strings, or negative."""
    sheet = (f'<?xml version="1.0"?><worksheet xmlns="{sp.MAIN_NS}"><sheetData><row r="1"><c r="A1" t="s">'
             '<v>99999999</v></c><c r="B1" t="s"><v>-5</v></c></row></sheetData></worksheet>').encode()
    return _sheet(src, dst, sheet)


def whole_line_merge(src: Path, dst: Path, ref: str) -> Path:
    """The form with one more merged range given by whole columns or rows (``A60:XFD``, ``60:1048576``)."""
    def change(name: str, data: bytes):
        if name == SHEET:
            return [(name, data.replace(b'<mergeCell ref="A1:K1"', f'<mergeCell ref="{ref}"/><mergeCell ref="A1:K1"'
                                        .encode(), 1))]
        return [(name, data)]

    return _rewrite(src, dst, change)


FAR_STYLES = ["single_quotes", "spaces_around_eq", "newlines_tabs", "r_last", "charref", "lower_case", "prefix",
              "comments_pis", "utf16", "gb18030", "no_row_r"]
MERGE_STYLES = ["single_quotes", "ref_dollar", "ref_lower", "ref_charref", "newlines_tabs"]
TOO_BIG = "单元格范围过大"


def build(root: Path) -> dict[str, Case]:
    root.mkdir(parents=True, exist_ok=True)
    seed = hc.seed_xlsx(root.with_name(root.name + " 源") / "seed.xlsx")  # outside: not an input
    cases: dict[str, Case] = {}
    for style in FAR_STYLES:
        path = _sheet(seed, root / f"far_{style}.xlsx", sp.sheet_xml(FAR, sp.STYLES[style]))
        cases[f"far_{style}"] = Case(path, "unsafe", TOO_BIG)
    positional = sp.Style(no_r=frozenset(range(1, 16_385)))
    path = _sheet(seed, root / "far_positional.xlsx", sp.sheet_xml([(1_048_575, 0)] * 16_385, positional))
    cases["far_positional"] = Case(path, "unsafe", TOO_BIG)  # 16,385 cells without r in row 1048576
    for style in MERGE_STYLES:
        path = _sheet(seed, root / f"merge_{style}.xlsx",
                      sp.sheet_xml([(0, 0)], sp.STYLES[style], [(11, 0, 1_048_575, 16_383)]))
        cases[f"merge_{style}"] = Case(path, "unsafe", TOO_BIG)
    far = sp.sheet_xml(FAR, sp.Style())
    cases["sheet_named_dat"] = Case(renamed_sheet_part(seed, root / "sheet_named_dat.xlsx", "xl/worksheets/s.dat", far),
                                    "unsafe", TOO_BIG)
    cases["sheet_part_case"] = Case(renamed_sheet_part(seed, root / "sheet_part_case.xlsx", "XL/Worksheets/SHEET1.XML",
                                                       far), "unsafe", TOO_BIG)
    cases["shared_expansion"] = Case(shared_string_expansion(seed, root / "shared_expansion.xlsx"), "unsafe", "文本过大")
    cases["rich_text_runs"] = Case(rich_text_runs(seed, root / "rich_text_runs.xlsx"), "unsafe", "公式扫描")
    cases["shared_runs"] = Case(_many_runs(seed, root / "shared_runs.xlsx", 40_000), "unsafe", "格式片段")
    cases["legacy_stream_case"] = Case(legacy_renamed_stream(root / "legacy_stream_case.xls"), "unsafe", TOO_BIG)
    cases["binary_workbook"] = Case(binary_workbook(root / "binary_workbook.xlsb", [(0, 0), (5, 4_000_000_000)]),
                                    "unsupported", ".xlsb")
    cases["binary_as_xlsx"] = Case(binary_workbook(root / "binary_as_xlsx.xlsx", [(0, 0), (1_048_575, 16_383)]),
                                   "unsupported", ".xlsb")
    cases["deep_nesting"] = Case(deep_nesting(root / "deep_nesting.xlsx"), None)
    cases["bad_shared_index"] = Case(bad_shared_index(seed, root / "bad_shared_index.xlsx"), "unreadable", "损坏")
    for label, ref in (("columns", "A60:XFD"), ("rows", "60:1048576"), ("column_letters", "A:XFD")):
        cases[f"merge_whole_{label}"] = Case(whole_line_merge(seed, root / f"merge_whole_{label}.xlsx", ref),
                                             "unreadable", "损坏")
    cases["unused_parts"] = Case(unused_parts(root / "unused_parts.xlsx"), None)
    cases["respelled_seed"] = Case(respelled_seed(seed, root / "respelled_seed.xlsx"), None)
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-round2")
    for name, case in build(out).items():
        print(f"{name:22s} {case.kind or 'ok':8s} {case.path.stat().st_size:>8,} {case.path}")
