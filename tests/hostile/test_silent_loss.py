"""Hostile inputs: no silent loss (own sheets by marker, parts openpyxl drops, concurrent writers)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.hostile.helpers import one_line_error, run

# -- no silent loss ---------------------------------------------------------------------------------------------


def test_a_sheet_the_user_named_校验结果_is_kept(seed_xlsx: Path, tmp_path: Path) -> None:
    """Regression: ``--mark`` replaced and ``--unmark`` deleted a sheet the user had named 校验结果;
    xlperf's own report is recognised by its header and bookkeeping, never by the name alone."""
    from tests import xlwings_double as xd
    from xlperf import excel
    from xlperf.validation import clear_marks, mark_file

    wb = openpyxl.load_workbook(seed_xlsx)
    mine = wb.create_sheet("校验结果")
    mine["A1"], mine["B2"] = "处室自查记录", "已于 3 月 5 日复核"
    own = tmp_path / "own.xlsx"
    wb.save(own)
    marked, cleared = tmp_path / "marked.xlsx", tmp_path / "cleared.xlsx"
    mark_file(own, marked)
    again = tmp_path / "again.xlsx"
    mark_file(marked, again)
    for path in (marked, again):
        wb2 = openpyxl.load_workbook(path)
        assert wb2["校验结果"]["B2"].value == "已于 3 月 5 日复核"
        assert wb2["校验结果（xlperf）"]["A1"].value == "序号"
    clear_marks(again, cleared)
    wb3 = openpyxl.load_workbook(cleared)
    assert "校验结果（xlperf）" not in wb3.sheetnames and wb3["校验结果"]["B2"].value == "已于 3 月 5 日复核"
    # nothing of xlperf's in the original: --unmark leaves it alone
    assert clear_marks(own, tmp_path / "x.xlsx").target is None
    # the ribbon, the same
    book = xd.FakeBook(own)
    excel.validate_button(book=book)
    assert book.wb["校验结果"]["B2"].value == "已于 3 月 5 日复核" and "校验结果（xlperf）" in book.wb.sheetnames
    excel.clear_marks_button(book=book)
    assert "校验结果" in book.wb.sheetnames and "校验结果（xlperf）" not in book.wb.sheetnames


def _inject(src: Path, dst: Path, parts: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


PARTS = {
    "threaded comments": {"xl/threadedComments/threadedComment1.xml":
                          b'<?xml version="1.0"?><ThreadedComments xmlns="http://schemas.microsoft.com/office/'
                          b'spreadsheetml/2018/threadedcomments"/>'},
    "data connections": {"xl/connections.xml": b'<?xml version="1.0"?><connections xmlns="http://schemas.'
                                              b'openxmlformats.org/spreadsheetml/2006/main"/>'},
    "custom XML": {"customXml/item1.xml": b'<?xml version="1.0"?><root>budget</root>'},
    "custom XML, other case": {"CustomXml/Item1.xml": b'<?xml version="1.0"?><root>budget</root>'},
}


@pytest.mark.parametrize("kind", [*PARTS, "rich text"])
def test_in_place_refuses_what_openpyxl_would_drop(seed_xlsx: Path, tmp_path: Path, kind: str) -> None:
    """Regression: ``--in-place`` rewrote without a word a workbook whose rich text, threaded comments,
    data connections or custom XML openpyxl drops. Each part is first shown to be lost by a round trip."""
    import zipfile

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from xlperf.io.xlsx import lossy_parts

    path = tmp_path / "in.xlsx"
    if kind == "rich text":
        wb = openpyxl.load_workbook(seed_xlsx, rich_text=True)
        wb.active["B7"] = CellRichText(["年度目标：", TextBlock(InlineFont(b=True, color="FF0000"), "重点保障")])
        wb.save(path)
    else:
        _inject(seed_xlsx, path, PARTS[kind])
    # openpyxl really loses it
    rt = tmp_path / "roundtrip.xlsx"
    openpyxl.load_workbook(path).save(rt)
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(rt) as b:
        if kind == "rich text":  # the runs' formatting (inline or shared strings) is gone

            def runs(z: zipfile.ZipFile) -> bool:
                return any(b"<rPr" in z.read(n) for n in z.namelist() if n.startswith(("xl/worksheets/", "xl/sharedS")))

            assert runs(a) and not runs(b)
        else:
            assert not set(PARTS[kind]) & set(b.namelist())
    assert lossy_parts(path)
    before = path.read_bytes()
    r = run("validate", "--mark", "--in-place", str(path))
    text = one_line_error(r)
    assert "拒绝原位改写" in text and path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".bak-" in p.name]


def test_two_writers_at_once_are_serialised(seed_xlsx: Path, tmp_path: Path) -> None:
    """Regression: two in-place writers at once lost one update while both reported success. While one
    holds the file, the other is refused in one line; a lock left by a dead process is taken over."""
    import json

    from xlperf.io.books import WriteLock

    path = tmp_path / "表.xlsx"
    path.write_bytes(seed_xlsx.read_bytes())
    before = path.read_bytes()
    held = WriteLock(path)
    try:
        text = one_line_error(run("validate", "--mark", "--in-place", str(path)))
        assert "正在写入" in text and path.read_bytes() == before
    finally:
        held.release()
    assert run("validate", "--mark", "--in-place", str(path)).returncode == 1 and path.read_bytes() != before
    # a lock whose process is gone
    stale = path.with_name(f".~{path.name}.xlperf-lock")
    stale.write_text(json.dumps({"pid": 2**22 + 12345, "time": 0}), encoding="utf-8")
    assert run("autosum", str(path), "--in-place").returncode in (0, 1)
    assert not stale.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".xlperf-lock")]
