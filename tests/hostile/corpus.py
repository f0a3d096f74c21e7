"""Generate the corpus of bad inputs (issue 7). Large files are generated, never committed.

``build(dirpath)`` writes every case and returns {name: Case}. Each Case says what every command must
answer: ``kind`` is the xlperf error kind (``UnreadableFileError.kind`` …) or ``None`` for a file that
must be processed normally, and ``hint`` a fragment of the Chinese one-line message.

Every readable form in the corpus belongs to a different department, so that consolidating the whole
folder keeps all of them (a duplicate department would be reported instead).

Run directly to (re)build a corpus folder for manual checks and the safety measurements:
    python tests/hostile/corpus.py OUTDIR [--big]
"""

from __future__ import annotations

import functools
import io
import random
import shutil
import struct
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "xlperf-测试"
FORMULA_TEXTS = ['=HYPERLINK("http://example.com","x")', "=cmd|' /C calc'!A0", "+1+2", "-3", "@SUM(1,2)"]
FORM_SHEET_WITH_SPACE = "部门 绩效目标表"  # the form's sheet in the other_sheets case
BIG_TASKS = 10_000
# departments of the readable cases (legacy.xls is the seed form itself: 揭阳市人民政府办公室)
DEPARTMENTS = {
    "good": "揭阳市人民政府办公室（样表）",
    "legacy_xls": "揭阳市人民政府办公室",
    "formula_text": FORMULA_TEXTS[0],
    "long_strings": "长文本测试单位",
    "other_sheets": "多工作表测试单位",
    "macro_xlsm": "宏工作簿测试单位",
    "big_10000_tasks": "万项任务测试局",
}
MACRO_MODULE = b'Attribute VB_Name = "AutoRun"\r\nSub Auto_Open()\r\n    Shell "cmd /c calc.exe"\r\nEnd Sub\r\n'
WORKBOOK_OPEN = b'Private Sub Workbook_Open()\r\n    Shell "cmd /c calc.exe"\r\nEnd Sub\r\n'


@dataclass(frozen=True)
class Case:
    path: Path
    kind: str | None  # expected xlperf error kind, None = must work
    hint: str = ""


def seed_form(department: str | None = None):
    from xlperf.io.readers import load_form

    form = load_form(FIXTURES / "seed.txt")
    if department is not None:
        form.department = department
    return form


def _save(wb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def seed_xlsx(path: Path, form=None) -> Path:
    from xlperf.io.template import build_workbook

    return _save(build_workbook(form or seed_form()), path)


def _rewrite_zip(src: Path, dst: Path, change) -> Path:
    """Copy the zip ``src`` to ``dst`` with ``change(name, data) -> data | None`` applied to each part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def billion_laughs(src: Path, dst: Path, *, padding: int = 0) -> Path:
    """Nested entities in the sheet XML; ``padding`` bytes of comment before the DTD (to get past a
    check that would only look at the first bytes)."""
    noise = random.Random(7).randbytes(padding // 2).hex().encode()  # compresses ~2:1, not 1000:1
    dtd = (b'<?xml version="1.0"?>\n' + (b"<!--" + noise + b"-->\n" if padding else b"")
           + b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                      for i in range(1, 10))
           + b"]>\n")

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
            return dtd + body.replace(b"<sheetData>", b"<sheetData><row r=\"1000\"><c r=\"A1000\" t=\"inlineStr\"><is><t>&lol9;</t></is></c></row>", 1)
        return data

    return _rewrite_zip(src, dst, change)


def _declare_size(path: Path, declared: int, name: bytes = b"xl/worksheets/sheet1.xml") -> Path:
    """Patch the uncompressed size that the central directory records for member ``name``."""
    data = bytearray(path.read_bytes())
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46: pos + 46 + n]) == name:
            struct.pack_into("<I", data, pos + 24, declared)
        pos += 4
    path.write_bytes(bytes(data))
    return path


def declared_bomb(src: Path, dst: Path, declared: int = 4 * 1024**3 - 1) -> Path:
    """A zip whose central directory declares a 4 GB sheet (patched size fields)."""
    shutil.copy(src, dst)
    return _declare_size(dst, declared)


def ratio_bomb(src: Path, dst: Path, size_mb: int = 64) -> Path:
    """A real high-ratio member: a sheet padded with ``size_mb`` MB of whitespace (~1000:1)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                with zout.open(info.filename, "w", force_zip64=True) as fh:
                    fh.write(data[:-len(b"</worksheet>")])
                    chunk = b" " * (1 << 20)
                    for _ in range(size_mb):
                        fh.write(chunk)
                    fh.write(b"</worksheet>")
            else:
                zout.writestr(info.filename, data)
    return dst


def understated_bomb(src: Path, dst: Path, size_mb: int = 64, declared: int = 64 * 1024) -> Path:
    """A real high-ratio member whose central directory understates its size (``declared`` bytes): the
    ratio and total checks pass on the declared numbers; decompression must stop at the declared size."""
    ratio_bomb(src, dst, size_mb)
    return _declare_size(dst, declared)


def far_cell(dst: Path) -> Path:
    """Two cells, A1 and XFD1048576: a 5 KB file whose used range is 17 billion cells."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "部门名称"
    wb.active["XFD1048576"] = "一级指标"
    return _save(wb, dst)


def huge_merge(src: Path, dst: Path) -> Path:
    """The form with one more merged range, A1:XFD1048576 (openpyxl would create every cell of it)."""

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b'<mergeCell ref="A1:K1"', b'<mergeCell ref="A12:XFD1048576"/><mergeCell ref="A1:K1"', 1)
        return data

    return _rewrite_zip(src, dst, change)


ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="绩效目标表">'
    '<table:table-row><table:table-cell office:value-type="string"><text:p>一级指标</text:p></table:table-cell>'
    "</table:table-row>{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
)


def ods_repeat_bomb(dst: Path, rows: int = 20_000, cols: int = 1_000) -> Path:
    """A 1 KB .ods whose one row, repeated ``rows`` times, holds a text cell repeated ``cols`` times."""
    bomb = (f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
            f'table:number-columns-repeated="{cols}" office:value-type="string"><text:p>x</text:p>'
            "</table:table-cell></table:table-row>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", ODS_CONTENT.format(rows=bomb), zipfile.ZIP_DEFLATED)
    return dst


def legacy_far_cell(dst: Path) -> Path:
    """The seed .xls with one text cell of the form's sheet moved to IV65536 (a BIFF LABELSST record
    patched in place: the format's largest range, which python-calamine allocates whole)."""
    data = bytearray((FIXTURES / "seed.xls").read_bytes())
    found, pos = [], 0
    while (pos := data.find(b"\xfd\x00\x0a\x00", pos)) != -1:  # LABELSST, 10 bytes
        found.append(pos)
        pos += 1
    struct.pack_into("<HH", data, found[100] + 4, 0xFFFF, 0x00FF)  # one on the first sheet
    dst.write_bytes(bytes(data))
    return dst


def encrypted(src: Path, dst: Path, password: str = PASSWORD) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as fh, dst.open("wb") as out:
        OOXMLFile(fh).encrypt(password, out)
    return dst


def formula_text_form():
    form = seed_form(DEPARTMENTS["formula_text"])
    form.supervisor = FORMULA_TEXTS[1]
    for ind, text in zip(form.tasks[0].indicators, FORMULA_TEXTS[2:], strict=False):
        ind.name = text
    return form


def with_other_sheets(dst: Path) -> Path:
    """The form on a sheet whose name holds a space, after a notes sheet, beside an empty sheet."""
    from xlperf.io.template import build_workbook

    wb = build_workbook(seed_form(DEPARTMENTS["other_sheets"]))
    wb["绩效目标表"].title = FORM_SHEET_WITH_SPACE
    notes = wb.create_sheet("填表说明", 0)
    notes["A1"] = "本表由各部门填报，金额单位：万元。"
    wb.create_sheet("Sheet 空白")
    return _save(wb, dst)


def macro_workbook(dst: Path) -> Path:
    """An .xlsm holding the form and a VBA project that would run on opening (``Auto_Open`` in a
    standard module, ``Workbook_Open`` in ThisWorkbook), built with xlperf's own VBA writer."""
    from xlperf.addin import build as addin
    from xlperf.addin import package as pkg
    from xlperf.addin.ovba import WORKBOOK_BASE, VbaModule, document_module_source
    from xlperf.io.template import build_workbook

    buf = io.BytesIO()
    build_workbook(seed_form(DEPARTMENTS["macro_xlsm"])).save(buf)
    modules = [
        VbaModule("ThisWorkbook", "document", document_module_source("ThisWorkbook", WORKBOOK_BASE) + WORKBOOK_OPEN),
        VbaModule("AutoRun", "standard", MACRO_MODULE),
    ]
    ribbon = b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon/></customUI>'
    data = addin.make_macro_package(pkg.read_parts(buf.getvalue()), addin.MacroSources(modules, ribbon),
                                    "Hostile", pkg.CT_WORKBOOK_XLSM)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)
    return dst


@functools.lru_cache(maxsize=2)
def big_form(n_tasks: int = BIG_TASKS):
    """A synthetic form with ``n_tasks`` tasks (3-6 indicators each, about 45,000 indicator rows)."""
    from tests import synth

    return synth.make_form(0, seed=7, tasks=n_tasks, indicators=(3, 6), department=DEPARTMENTS["big_10000_tasks"])


def big_workbook(dst: Path, n_tasks: int = BIG_TASKS) -> Path:
    """Written with tests/synth.py (fastxlsx, about a second); openpyxl's merge_cells is quadratic."""
    from tests import synth

    dst.parent.mkdir(parents=True, exist_ok=True)
    return synth.write_workbook(dst, big_form(n_tasks))


def build(root: Path, *, big: bool = False) -> dict[str, Case]:
    root.mkdir(parents=True, exist_ok=True)
    good = seed_xlsx(root / "好的 表格" / "揭阳 政府办.xlsx", seed_form(DEPARTMENTS["good"]))
    cases: dict[str, Case] = {"good": Case(good, None)}
    data = good.read_bytes()
    (root / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    cases["truncated"] = Case(root / "truncated.xlsx", "unreadable", "损坏")
    (root / "renamed_text.xlsx").write_text((FIXTURES / "seed.txt").read_text("utf-8"), encoding="utf-8")
    cases["renamed_text"] = Case(root / "renamed_text.xlsx", "unreadable", "扩展名")
    (root / "empty.xlsx").write_bytes(b"")
    cases["empty"] = Case(root / "empty.xlsx", "unreadable", "文件为空")
    (root / "folder.xlsx").mkdir(exist_ok=True)
    cases["folder"] = Case(root / "folder.xlsx", "unreadable", "文件夹")
    cases["encrypted"] = Case(encrypted(good, root / "encrypted.xlsx"), "encrypted", "文件已加密")
    shutil.copy(FIXTURES / "seed.xls", root / "legacy.xls")
    cases["legacy_xls"] = Case(root / "legacy.xls", None)
    shutil.copy(FIXTURES / "seed.xls", root / "wps.et")
    cases["wps_et"] = Case(root / "wps.et", "unsupported", "另存为 .xlsx")
    cases["billion_laughs"] = Case(billion_laughs(good, root / "billion_laughs.xlsx"), "unsafe", "实体")
    cases["billion_laughs_late"] = Case(billion_laughs(good, root / "billion_laughs_late.xlsx", padding=1_500_000),
                                        "unsafe", "实体")
    cases["declared_bomb"] = Case(declared_bomb(good, root / "declared_bomb.xlsx"), "unsafe", "拒绝处理")
    cases["ratio_bomb"] = Case(ratio_bomb(good, root / "ratio_bomb.xlsx"), "unsafe", "压缩炸弹")
    cases["understated_bomb"] = Case(understated_bomb(good, root / "understated_bomb.xlsx"), "unreadable", "无法解压")
    cases["far_cell"] = Case(far_cell(root / "far_cell.xlsx"), "unsafe", "单元格范围过大")
    cases["huge_merge"] = Case(huge_merge(good, root / "huge_merge.xlsx"), "unsafe", "单元格范围过大")
    cases["ods_repeat_bomb"] = Case(ods_repeat_bomb(root / "ods_repeat_bomb.ods"), "unsafe", "单元格范围过大")
    cases["legacy_far_cell"] = Case(legacy_far_cell(root / "legacy_far_cell.xls"), "unsafe", "单元格范围过大")
    cases["encrypted_bomb"] = Case(encrypted(cases["billion_laughs"].path, root / "encrypted_bomb.xlsx"),
                                   "encrypted", "文件已加密")  # with --password: 实体
    (root / "garbage.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    cases["garbage_zip"] = Case(root / "garbage.xlsx", "unreadable", "损坏")
    cases["formula_text"] = Case(seed_xlsx(root / "formula_text.xlsx", formula_text_form()), None)
    long_form = seed_form(DEPARTMENTS["long_strings"])
    long_form.overall_goal = "长" * 40_000 + "\x07控制字符"
    cases["long_strings"] = Case(seed_xlsx(root / "long_strings.xlsx", long_form), None)
    cases["other_sheets"] = Case(with_other_sheets(root / "多个 工作表.xlsx"), None)
    import openpyxl

    from xlperf.core.grid import Grid

    wb = openpyxl.Workbook()
    wb.active.title = "不是表"
    for r, row in enumerate(Grid.from_rows([["姓名", "电话"], ["张三", "123"]]).rows(), start=1):
        for c, v in enumerate(row, start=1):
            wb.active.cell(r, c, v)
    cases["not_a_form"] = Case(_save(wb, root / "通讯录.xlsx"), "not-a-form", "不是绩效目标表")
    cases["macro_xlsm"] = Case(macro_workbook(root / "宏 工作簿.xlsm"), None)
    if big:
        cases["big_10000_tasks"] = Case(big_workbook(root / "大表 一万项任务.xlsx"), None)
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for name, case in build(out, big="--big" in sys.argv).items():
        print(f"{name:16s} {case.kind or 'ok':12s} {case.path}")
