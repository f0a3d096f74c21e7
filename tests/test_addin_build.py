"""The add-in builder: real files are built and then read back with independent readers
(olevba/olefile from oletools, zipfile, openpyxl) and compared with xlwings' own ribbon add-in.

Line-ending convention: the VBA sources in ``macros/`` are stored with CRLF line endings (VBA's own
form, and the form xlwings ships), ASCII only, in module-stream form (starting with
``Attribute VB_Name``). They go into the project unchanged, so olevba must give them back byte for
byte.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from pathlib import Path

import pytest

olefile = pytest.importorskip("olefile")
olevba = pytest.importorskip("oletools.olevba")

from xlperf.addin import build, ovba  # noqa: E402
from xlperf.addin import package as pkg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MACROS = ROOT / "macros"
TEMPLATE = ROOT / "workbook_templates" / "xlperf_template.xlsx"


def _xlwings_reference() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"


def source_workbook(tmp: Path) -> Path:
    """The real blank-form template if it exists, else a small openpyxl workbook with two sheets."""
    if TEMPLATE.is_file():
        return TEMPLATE
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "绩效目标表"
    wb.active["A1"] = "部门整体支出绩效目标表"
    wb.create_sheet("下拉列表")["A1"] = "产出指标"
    path = tmp / "source.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("addin")
    src = source_workbook(tmp)
    result = build.build_all(tmp / "out", source_workbook=src)
    return {**result.outputs, "source": src, "out": tmp / "out"}


def _vba_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/vbaProject.bin")


def _ole(data: bytes):
    return olefile.OleFileIO(io.BytesIO(data))


def _records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    out = []
    pos = 0
    while pos < len(dir_stream):
        rec_id, size = struct.unpack_from("<HI", dir_stream, pos)
        if rec_id == 0x0009:  # PROJECTVERSION: Reserved=4, then 4 + 2 bytes not counted by it
            size = 6
        out.append((rec_id, dir_stream[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    assert pos == len(dir_stream)
    return out


def _groups(records: list[tuple[int, bytes]]) -> dict[str, list]:
    """Split dir records into the information block, reference groups and module groups."""
    ids = [r for r, _ in records]
    first_ref = ids.index(0x0016) if 0x0016 in ids else ids.index(0x000F)
    first_mod = ids.index(0x000F)
    info = ids[:first_ref]
    refs: list[list[int]] = [[]]
    for rec_id in ids[first_ref:first_mod]:
        refs[-1].append(rec_id)
        if rec_id in (0x000D, 0x000E, 0x0030):  # last record of a registered/project/control reference
            refs.append([])
    refs.pop()
    modules: list[tuple[bytes, list[int]]] = []
    tail = ids[first_mod:]
    head = tail[:2]  # PROJECTMODULES, PROJECTCOOKIE
    current: list[int] = []
    name = b""
    for rec_id, data in records[first_mod + 2 : -1]:
        if rec_id == 0x0019:
            current, name = [], data
        current.append(rec_id)
        if rec_id == 0x002B:
            modules.append((name, current))
            current = []
    assert not current, "records after the last module terminator"
    return {"info": info, "refs": refs, "head": head, "modules": modules, "last": ids[-1:]}


# --------------------------------------------------------------------------------------------------


def test_olevba_extracts_every_module_byte_identical(built: dict[str, Path]) -> None:
    expected = {p.stem: p.read_bytes() for p in MACROS.iterdir() if p.suffix in (".bas", ".cls")}
    assert set(expected) == {"ThisWorkbook", "XlperfRibbon", "xlwings", "Dictionary"}
    for name in (build.XLAM_NAME, build.XLSM_NAME):
        parser = olevba.VBA_Parser(str(built[name]))
        try:
            found = {Path(vf).stem: code for (_f, _s, vf, code) in parser.extract_macros()}
        finally:
            parser.close()
        sheets = {n for n in found if n not in expected}
        assert sheets and all(re.fullmatch(r"Sheet\d+", n) for n in sheets), found.keys()
        for module, source in expected.items():
            assert found[module].encode("cp1252") == source, f"{name}: {module} differs"
        for sheet in sheets:
            assert found[sheet].encode("cp1252") == ovba.document_module_source(sheet)
    assert (MACROS / "ThisWorkbook.cls").read_bytes() == ovba.document_module_source(
        "ThisWorkbook", ovba.WORKBOOK_BASE
    )


def test_sources_are_ascii_crlf() -> None:
    for path in sorted(MACROS.glob("*.*")):
        if path.suffix not in (".bas", ".cls"):
            continue
        data = path.read_bytes()
        assert data.isascii(), path.name
        assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b""), path.name
        assert data.startswith(f'Attribute VB_Name = "{path.stem}"\r\n'.encode()), path.name


def test_two_builds_are_byte_identical(built: dict[str, Path], tmp_path: Path) -> None:
    again = build.build_all(tmp_path, source_workbook=built["source"])
    for name in (build.XLAM_NAME, build.XLSM_NAME):
        assert again.outputs[name].read_bytes() == built[name].read_bytes(), name


def test_committed_outputs_are_current(tmp_path: Path) -> None:
    """workbook_templates/xlperf.xlam and .xlsm are what the current sources build."""
    if not TEMPLATE.is_file():
        pytest.skip("workbook_templates/xlperf_template.xlsx not built yet")
    result = build.build_all(tmp_path, source_workbook=TEMPLATE)
    for name, path in result.outputs.items():
        committed = ROOT / "workbook_templates" / name
        if not committed.is_file():
            pytest.skip(f"{committed.name} not built yet (run xlperf addin build)")
        assert committed.read_bytes() == path.read_bytes(), f"{name} is stale: run xlperf addin build"


def test_dir_stream_has_the_structure_of_xlwings_ribbon_addin(built: dict[str, Path]) -> None:
    ref_ole = _ole(_vba_bin(_xlwings_reference()))
    ref_dir = ovba.decompress(ref_ole.openstream("VBA/dir").read())
    ref = _groups(_records(ref_dir))
    ref_project = ref_ole.openstream("PROJECT").read().decode("cp1252")
    ref_kinds = {}
    for line in ref_project.split("\r\n"):
        key, _, value = line.partition("=")
        if key in ("Document", "Module", "Class"):
            ref_kinds[value.split("/")[0].encode()] = key
    ref_by_kind = {ref_kinds[name]: ids for name, ids in ref["modules"]}
    # xlwings' file: MSForms (a control reference) and Office (a registered reference)
    ref_registered = [g for g in ref["refs"] if 0x000D in g]
    assert len(ref_registered) == 1

    for name in (build.XLAM_NAME, build.XLSM_NAME):
        ole = _ole(_vba_bin(built[name]))
        raw = ole.openstream("VBA/dir").read()
        dir_stream = ovba.decompress(raw)
        # an independent decompressor agrees
        assert bytes(olevba.decompress_stream(bytearray(raw))) == dir_stream
        records = _records(dir_stream)
        ours = _groups(records)
        assert ours["info"] == ref["info"]
        assert ours["refs"] == ref_registered
        assert ours["head"] == ref["head"]
        assert ours["last"] == ref["last"] == [0x0010]
        project = ole.openstream("PROJECT").read().decode("cp1252")
        kinds = {}
        for line in project.split("\r\n"):
            key, _, value = line.partition("=")
            if key in ("Document", "Module", "Class"):
                kinds[value.split("/")[0].encode()] = key
        assert {k.decode() for k in kinds} == {m.decode() for m, _ in ours["modules"]}
        for module, ids in ours["modules"]:
            assert ids == ref_by_kind[kinds[module]], module
        # the same Office library reference as xlwings' add-in
        libids = [data for rec_id, data in records if rec_id == 0x000D]
        ref_libids = [data for rec_id, data in _records(ref_dir) if rec_id == 0x000D]
        assert libids == ref_libids
        # source only: every MODULEOFFSET is 0 and _VBA_PROJECT is the 7-byte header
        assert [struct.unpack("<I", d)[0] for r, d in records if r == 0x0031] == [0] * len(kinds)
        assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
        assert ref_ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
        # one stream per module, nothing else in the VBA storage
        streams = {"/".join(e) for e in ole.listdir()}
        assert streams == {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {
            f"VBA/{m.decode()}" for m in kinds
        }


def test_project_stream_matches_reference(built: dict[str, Path]) -> None:
    def keys(text: str) -> list[str]:
        out = []
        for line in text.split("\r\n"):
            key = line.partition("=")[0]
            if key in ("Document", "Module", "Class"):
                continue
            out.append(key if "=" in line else line)
        return [k for k in out if not k or k.startswith("[") or k.isalnum()]

    ref_ole = _ole(_vba_bin(_xlwings_reference()))
    ref = ref_ole.openstream("PROJECT").read().decode("cp1252")
    ref_id = re.search(r'ID="(\{[^}]+\})"', ref).group(1)
    ref_values = {k: re.search(k + r'="([0-9A-F]+)"', ref).group(1) for k in ("CMG", "DPB", "GC")}
    # our decryption reads xlwings' values as "unprotected, no password, visible"
    assert ovba.decrypt_data(ref_values["CMG"], ref_id) == b"\x00\x00\x00\x00"
    assert ovba.decrypt_data(ref_values["DPB"], ref_id) == b"\x00"
    assert ovba.decrypt_data(ref_values["GC"], ref_id) == b"\xff"
    for name in (build.XLAM_NAME, build.XLSM_NAME):
        ole = _ole(_vba_bin(built[name]))
        text = ole.openstream("PROJECT").read().decode("cp1252")
        assert keys(text)[:7] == keys(ref)[:7]  # ID, Name, HelpContextID, VersionCompatible32, CMG, DPB, GC
        project_id = re.search(r'ID="(\{[^}]+\})"', text).group(1)
        assert ovba.decrypt_data(re.search(r'CMG="(\w+)"', text).group(1), project_id) == b"\x00" * 4
        assert ovba.decrypt_data(re.search(r'DPB="(\w+)"', text).group(1), project_id) == b"\x00"
        assert ovba.decrypt_data(re.search(r'GC="(\w+)"', text).group(1), project_id) == b"\xff"
        assert "[Host Extender Info]" in text and text.endswith("\r\n\r\n")
        wm = ole.openstream("PROJECTwm").read()
        for module in re.findall(r"^(?:Document|Module|Class)=(\w+)", text, re.M):
            assert module.encode() + b"\x00" + module.encode("utf-16-le") + b"\x00\x00" in wm
        assert wm.endswith(b"\x00\x00")


def _check_rb_tree(entries: list, sid: int, lo=None, hi=None) -> int:
    """Black height of the sibling tree at ``sid``; asserts MS-CFB ordering and red-black rules."""
    if sid == olefile.NOSTREAM:
        return 1
    e = entries[sid]
    key = (len(e.name), e.name.upper())
    assert (lo is None or key > lo) and (hi is None or key < hi), f"{e.name} out of order"
    for child in (e.sid_left, e.sid_right):
        if e.color == 0 and child != olefile.NOSTREAM:
            assert entries[child].color == 1, "red node with a red child"
    left = _check_rb_tree(entries, e.sid_left, lo, key)
    right = _check_rb_tree(entries, e.sid_right, key, hi)
    assert left == right, "unequal black heights"
    return left + (1 if e.color == 1 else 0)


def test_compound_file_directory_is_a_valid_red_black_tree(built: dict[str, Path]) -> None:
    for name in (build.XLAM_NAME, build.XLSM_NAME):
        data = _vba_bin(built[name])
        entries = _ole(data).direntries
        for e in entries:
            if e is not None and e.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
                _check_rb_tree(entries, e.sid_child)
                if e.sid_child != olefile.NOSTREAM:
                    assert entries[e.sid_child].color == 1, "tree root must be black"
        assert len(data) % 512 == 0


def test_packages(built: dict[str, Path]) -> None:
    from xlperf.addin.ribbon import excel_xml

    ribbon = excel_xml()  # the build uses exactly the rendering of the ribbon spec
    for name, main_type in (
        (build.XLAM_NAME, pkg.CT_WORKBOOK_XLAM),
        (build.XLSM_NAME, pkg.CT_WORKBOOK_XLSM),
    ):
        with zipfile.ZipFile(built[name]) as zf:
            infos = zf.infolist()
            parts = {i.filename: zf.read(i) for i in infos}
        assert infos[0].filename == "[Content_Types].xml"
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        ct = parts["[Content_Types].xml"].decode()
        assert pkg.override_of(ct, "/xl/workbook.xml") == main_type
        assert pkg.override_of(ct, "/xl/vbaProject.bin") == pkg.CT_VBA_PROJECT
        root_rels = pkg.relationships(parts["_rels/.rels"].decode())
        ui = [r for r in root_rels if r["Type"] == pkg.REL_UI_EXTENSIBILITY]
        assert [r["Target"] for r in ui] == ["customUI/customUI14.xml"]
        assert parts["customUI/customUI14.xml"] == ribbon
        wb_rels = pkg.relationships(parts["xl/_rels/workbook.xml.rels"].decode())
        assert [r["Target"] for r in wb_rels if r["Type"] == pkg.REL_VBA_PROJECT] == ["vbaProject.bin"]
        assert len({r["Id"] for r in wb_rels}) == len(wb_rels)
        # code names in the workbook XML match the document modules of the VBA project
        wb_xml = parts["xl/workbook.xml"].decode()
        assert re.search(r'<workbookPr\b[^>]*\bcodeName="ThisWorkbook"', wb_xml)
        project = _ole(parts["xl/vbaProject.bin"]).openstream("PROJECT").read().decode("cp1252")
        documents = set(re.findall(r"^Document=(\w+)/", project, re.M))
        sheet_names = {
            pkg.sheet_codename(parts[part].decode()) for _n, part in pkg.worksheet_parts(parts, "xl/workbook.xml")
        }
        assert documents == {"ThisWorkbook"} | sheet_names


def test_xlsm_keeps_the_template(built: dict[str, Path]) -> None:
    """Parts the builder does not need to touch are byte-identical; the cells read the same."""
    import openpyxl

    with zipfile.ZipFile(built["source"]) as zf:
        src = {i.filename: zf.read(i) for i in zf.infolist()}
    with zipfile.ZipFile(built[build.XLSM_NAME]) as zf:
        out = {i.filename: zf.read(i) for i in zf.infolist()}
    changed = {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}
    sheets = {part for _n, part in pkg.worksheet_parts(src, "xl/workbook.xml")}
    for part, data in src.items():
        if part not in changed and part not in sheets:
            assert out[part] == data, part
    assert set(out) - set(src) == {"xl/vbaProject.bin", "customUI/customUI14.xml"}
    a = openpyxl.load_workbook(built["source"])
    b = openpyxl.load_workbook(built[build.XLSM_NAME], keep_vba=True)
    assert a.sheetnames == b.sheetnames
    for ws in a.worksheets:
        other = b[ws.title]
        assert [[c.value for c in row] for row in ws.iter_rows()] == [
            [c.value for c in row] for row in other.iter_rows()
        ]
        assert set(map(str, ws.merged_cells.ranges)) == set(map(str, other.merged_cells.ranges))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"abc",
        b"abcabcabc",
        b"x" * 5000,
        bytes(range(256)) * 40,
        (b"Attribute VB_Name = \"M\"\r\n" + b"    RunPython \"import x\"\r\n" * 400),
    ],
    ids=["empty", "one", "three", "repeat", "run", "bytes", "vba"],
)
def test_compression_round_trips_through_oletools(data: bytes) -> None:
    packed = ovba.compress(data)
    assert bytes(olevba.decompress_stream(bytearray(packed))) == data
    assert ovba.decompress(packed) == data


def test_compression_of_incompressible_chunks() -> None:
    data = os.urandom(4096 * 2)  # two full raw chunks
    packed = ovba.compress(data)
    assert len(packed) == 1 + 2 * (2 + 4096)
    assert bytes(olevba.decompress_stream(bytearray(packed))) == data


def test_builder_refuses_lf_sources(tmp_path: Path, built: dict[str, Path]) -> None:
    macros = tmp_path / "macros"
    macros.mkdir()
    for p in MACROS.iterdir():
        (macros / p.name).write_bytes(p.read_bytes())
    bad = macros / "XlperfRibbon.bas"
    bad.write_bytes(bad.read_bytes().replace(b"\r\n", b"\n"))
    with pytest.raises(ovba.VbaSourceError, match="CRLF"):
        build.build_all(tmp_path / "out", source_workbook=built["source"], macros_dir=macros)


def test_cli_build_writes_both_files(tmp_path: Path, built: dict[str, Path], capsys) -> None:
    from xlperf.cli import main

    assert main(["addin", "build", "-o", str(tmp_path), "--template", str(built["source"])]) == 0
    assert (tmp_path / build.XLAM_NAME).read_bytes() == built[build.XLAM_NAME].read_bytes()
    assert "已生成" in capsys.readouterr().out
    assert main(["addin", "build", "-o", str(tmp_path), "--template", str(tmp_path / "missing.xlsx")]) == 2
    assert "错误" in capsys.readouterr().err
