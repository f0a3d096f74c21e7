"""The streamed safety scan (issue 16): the DTD search walks the prolog only and may not miss a DTD; the
used-range count (issue 18: a real parse, tests/hostile/test_spelling.py) is the same in chunks."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from tests.hostile import corpus as hc
from xlperf.errors import UnsafeFileError
from xlperf.io import safety
from xlperf.io.safety import _Prolog, check_zip


def _stream(data: bytes, size: int) -> bool:
    p, tail = _Prolog(), b""
    for i in range(0, len(data), size):
        chunk = data[i:i + size]
        buf = tail + chunk
        if p.dtd(chunk, buf):
            return True
        tail = buf[-32:]
    return False


PROLOGS = {
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><r/>': True,
    b'<?xml version="1.0"?>\n<!-- <a --> <!DOCTYPE x><r/>': True,  # an element-like text in a comment
    b'\xef\xbb\xbf<?xml version="1.0"?><!--x--><?pi <r> ?><!doctype x><r/>': True,  # BOM, PI holding '<r>'
    b'  \r\n<!---->\n<!ENTITY x "y"><r/>': True,
    b"<?xml?><!--" + b"x" * 5000 + b"--><!DOCTYPE a><r/>": True,  # a long comment before the DTD
    b"junk <!DOCTYPE x><r/>": True,  # not XML the readers parse: searched throughout
    b"<\x00?\x00<!ENTITY": True,  # UTF-16-like start: searched throughout
    b'<?xml version="1.0"?><r><!DOCTYPE x></r>': False,  # after the root: no parser takes it as a DTD
    b'<?xml version="1.0"?><worksheet xmlns="a"><c r="A1"/></worksheet>': False,
}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 1 << 20])
def test_prolog_finds_every_dtd(size):
    for data, expected in PROLOGS.items():
        assert _stream(data, size) is expected, (data, size)


def test_the_model_in_chunks_is_the_model_whole(monkeypatch):
    """A part read in several chunks (parts over 1 MB are streamed) is counted exactly as when whole,
    whatever byte a chunk boundary falls on."""
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", 10 ** 30)
    part = (b'<worksheet><sheetData><row r="3"><c r="B3"/></row>' + b"<row>" + b"<c/>" * 50_000 + b"</row>"
            + b'<row r="17"><c r = \'AC17\'/></row></sheetData><mergeCells><mergeCell ref="A1:D40"/></mergeCells>'
            + b"</worksheet>")
    whole = safety.exact_counts(part, "x", Path("x"))
    assert whole is not None and (whole.rows, whole.cols, whole.cells) == (40, 50_000, 50_002)
    for size in (7, 4096, safety._CHUNK):
        m = safety._new_model("x", Path("x"))
        for i in range(0, len(part), size):
            m.feed(part[i:i + size])
        m.feed(b"", True)
        assert (m.counts.rows, m.counts.cols, m.counts.cells) == (whole.rows, whole.cols, whole.cells)


def test_a_streamed_part_is_refused_with_its_corner(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", 1000)
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + b'<row r="1"><c r="A1"/></row>' + random.Random(1).randbytes(safety._CHUNK).hex().encode().join(
                 [b"<!--", b"-->"])
             + b"<row r='5000'><c r='K5000'/></row></sheetData></worksheet>")
    with pytest.raises(UnsafeFileError, match="A1:K5000"):
        check_zip(_workbook(tmp_path, sheet))


def _workbook(tmp_path: Path, sheet: bytes) -> Path:
    src = hc.seed_xlsx(tmp_path / "seed.xlsx")
    dst = tmp_path / "x.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info)
            zout.writestr(info.filename, data)
    return dst


def test_the_plain_workbook_passes(tmp_path):
    check_zip(_workbook(tmp_path, zipfile.ZipFile(hc.seed_xlsx(tmp_path / "s.xlsx")).read("xl/worksheets/sheet1.xml"))).close()


def test_dtd_behind_a_comment_holding_markup_is_refused(tmp_path):
    sheet = (b'<?xml version="1.0"?><!-- <worksheet> --><?x <y> ?>'
             b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    with pytest.raises(UnsafeFileError, match="DTD"):
        check_zip(_workbook(tmp_path, sheet))


def _big_canonical(rows: int, tail: bytes = b"") -> bytes:
    body = b"".join(b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c><c r="K%d" s="1"><v>1</v></c></row>' % (r, r, r, r)
                    for r in range(1, rows + 1))
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>' + body + tail + b"</sheetData></worksheet>")


def _zip_with_sheet(tmp_path: Path, sheet: bytes) -> Path:
    return _workbook(tmp_path, sheet)


def test_a_big_canonical_sheet_is_proved_in_chunks(tmp_path):
    """A sheet over 1 MB in the canonical spelling is proved chunk by chunk (no parse): its counts are
    bounds, not the model's."""
    sheet = _big_canonical(30_000)
    assert len(sheet) > 2 * safety._CHUNK
    with check_zip(_zip_with_sheet(tmp_path, sheet)) as zf:
        counts = zf.guarded["xl/worksheets/sheet1.xml"]
    assert counts is not None and counts.canonical and not counts.exact
    assert counts.rows * counts.cols <= safety.MAX_SHEET_CELLS and counts.cells >= 60_000


@pytest.mark.parametrize("where", ["chunk_boundary", "end"])
def test_a_far_cell_cut_by_a_chunk_boundary_is_found(tmp_path, where):
    """A cell spelled otherwise, cut by the 1 MB boundary of the stream or in the last bytes of the part."""
    far = b"<c r='XFD1048576'/>"
    if where == "end":
        sheet = _big_canonical(30_000)[:-len(b"</worksheet>")] + b"<x>" + far + b"</x></worksheet>"
    else:
        sheet = _big_canonical(30_000)
        cut = safety._CHUNK - 4  # '<c r' before the boundary, "='XFD…" after it
        at = sheet.rfind(b"</row>", 0, cut) + len(b"</row>")
        sheet = sheet[:at] + b" " * (cut - at) + far + sheet[at:]
    with pytest.raises(UnsafeFileError, match="单元格范围过大"):
        check_zip(_zip_with_sheet(tmp_path, sheet)).close()


def test_chunk_proof_never_below_the_model_on_boundaries():
    """Every cut of a small canonical part into two chunks: the proof holds or declines, never less."""
    from xlperf.io import xmlguard

    part = _big_canonical(3, tail=b'<row r="9"><c r="B9"/></row>')
    model = safety.exact_counts(part, "x", Path("x"))
    for cut in range(1, len(part)):
        proof = xmlguard.ChunkProof(safety.MAX_SHEET_CELLS)
        proof.feed(part[:cut], part[:cut])
        proof.feed(part[cut:], part[max(0, cut - 32):])
        counts = proof.counts()
        if counts is not None:
            assert counts.rows >= model.rows and counts.cols >= model.cols and counts.cells >= model.cells, cut


def test_an_empty_part_holds_nothing():
    from xlperf.io import xmlguard

    for data in (b"", b"  \r\n"):
        counts = xmlguard.fast(data)
        assert counts is not None and (counts.rows, counts.cols, counts.cells) == (0, 0, 0)
