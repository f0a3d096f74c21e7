"""The streamed safety scan (issue 16): the DTD search walks the prolog only, the used-range search
runs two literal scans; neither may miss what the full searches found."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from tests.hostile import corpus as hc
from xlperf.errors import UnsafeFileError
from xlperf.io import safety
from xlperf.io.safety import _Extent, _Prolog, check_zip


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


def _full_search(buf: bytes) -> tuple[int, int]:
    """The used range by the three original full searches (the reference)."""
    rows = max(map(int, safety._ROW_REF_RE.findall(buf)), default=0)
    letters = set(safety._COL_REF_RE.findall(buf))
    for col, row in safety._RANGE_REF_RE.findall(buf):
        letters.add(col)
        rows = max(rows, int(row))
    return rows, max(map(safety._col_number, letters), default=0)


@pytest.mark.parametrize("cap", [0, 1, 30, 260_000, 2_000_000])
def test_extent_decides_like_the_full_searches(monkeypatch, cap):
    """Refused exactly when the full searches' corner is beyond the cap, and then with that corner."""
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", cap)
    rnd = random.Random(16)
    atoms = [b' r="', b' ref="', b"A", b"Z", b"AA", b"XFD", b"ABCD", b"1", b"0", b"9999", b"99999", b"9999999999",
             b'"', b":", b"dimension", b"autoFilter", b"<c", b"x", b" ", b"12"]
    for _ in range(5_000):
        buf = b"".join(rnd.choice(atoms) for _ in range(rnd.randint(1, 14)))
        rows, cols = _full_search(buf)
        e = _Extent("x", Path("x"))
        if rows * cols > cap:
            with pytest.raises(UnsafeFileError):
                e.feed(buf, buf)
            assert (e.rows, e.cols) == (rows, cols), buf
        else:
            e.feed(buf, buf)


def test_extent_in_chunks_is_exact(monkeypatch):
    """A part read in several chunks is measured exactly, chunk by chunk."""
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", 10 ** 30)
    part = b'<row r="3"><c r="B3"/></row>' + b" " * safety._CHUNK + b'<c r="AC17"/><mergeCell ref="A1:D40"/>'
    e = _Extent("x", Path("x"))
    for i in range(0, len(part), safety._CHUNK):
        chunk = part[i:i + safety._CHUNK]
        e.feed(chunk, chunk)
    assert (e.rows, e.cols) == (40, 29)


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
