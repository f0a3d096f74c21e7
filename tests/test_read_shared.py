"""What the zip guard hands the fast reader (issue 16, round 2) is what the reader would find itself.

* the places of ``<f`` the guard found in a sheet part (for its bound on the formula scan's work) are
  every place a search of the same bytes finds, and the formulas scanned from them are the formulas a
  search finds;
* python-calamine reads the very bytes :func:`xlperf.io.safety.check_zip` checked: a file replaced
  on disk after the check is not what gets read;
* :func:`xlperf.io.xmlguard._si_tags` (one regular-expression pass) answers as the plain search of
  every ``si`` does.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlperf.io import readers, safety, xmlguard
from xlperf.io.books import FastBook


def _sheet_parts(zf) -> list[str]:
    return sorted(readers.workbook_info(zf).parts.values())


def test_the_guards_formula_places_are_those_a_search_finds(seed_xlsx: Path, tmp_path: Path) -> None:
    from tests.synth import write_workbook
    from xlperf.io.readers import load_form

    uncached = write_workbook(tmp_path / "uncached.xlsx", load_form(seed_xlsx), cached=False)
    looked = 0
    for path in (seed_xlsx, uncached):
        with safety.check_zip(path) as zf:
            for part in _sheet_parts(zf):
                data = safety.read_checked(zf, part)
                tags = safety.formula_tags(zf, part)
                assert tags is not None  # a small canonical sheet: kept, its places found once
                assert list(tags) == [m.start() for m in re.finditer(rb"<f", data)]
                assert readers._formula_scan(data, tags) == readers._formula_scan(data)
                looked += len(tags)
    assert looked  # the uncached form's SUM formulas were among them


def test_no_places_for_a_part_the_guard_did_not_keep(seed_xlsx: Path) -> None:
    with safety.check_zip(seed_xlsx) as zf:
        part = _sheet_parts(zf)[0]
        zf.checked.pop(part)  # (as for a part beyond what is kept: the reader reads and searches it)
        assert safety.formula_tags(zf, part) is None
        formulas, _ = readers.scan_sheet(zf, part)
        assert formulas == readers._formula_scan(zf.read(part))


def test_calamine_reads_the_bytes_that_were_checked(seed_xlsx: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.synth import write_workbook
    from xlperf.io.readers import load_form

    path = tmp_path / "book.xlsx"
    shutil.copy(seed_xlsx, path)
    other = write_workbook(tmp_path / "other.xlsx", load_form(seed_xlsx), sheet_names=["换掉的表"])
    real = readers.check_sheet_entries

    def then_replaced(zf, p):  # the file changes on disk between the check and the read
        real(zf, p)
        shutil.copy(other, path)

    monkeypatch.setattr(readers, "check_sheet_entries", then_replaced)
    with FastBook(path) as book:
        names = [s.name for s in book.sheets()]
    with FastBook(seed_xlsx) as book:
        assert names == [s.name for s in book.sheets()]
    assert "换掉的表" not in names


def _si_tags_plain(data: bytes) -> int:
    """The search :func:`xmlguard._si_tags` replaced (bytes.find from every occurrence on)."""
    n = len(data)
    other = 0
    i = data.find(b"si")
    while i != -1:
        after = data[i + 2] if i + 2 < n else None
        if after == 0x3E:
            return 2
        if not other and i > 0 and data[i - 1] in b"<:/" and (after is None or after in xmlguard._SI_AFTER):
            other = 1
        i = data.find(b"si", i + 1)
    return other


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from([b"s", b"i", b"si", b"<", b"/", b":", b">", b" ", b"\n", b"x", b"<si>", b"</si",
                                 b"ssi", b"sisi"]), max_size=12).map(b"".join))
def test_si_tags_answers_as_the_plain_search(data: bytes) -> None:
    assert xmlguard._si_tags(data) == _si_tags_plain(data)
