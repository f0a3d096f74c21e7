"""Guards by construction (issue 18): the counts come from a real parse, so a different spelling of the
same cells gives the same answer; the fast path never answers below the parse.

* the model (expat) places the cells of every spelling where python-calamine puts them (checked against
  python-calamine itself on small sheets), merges included;
* on thousands of generated spellings, :func:`xlperf.io.xmlguard.fast` either declines or gives bounds
  at or above the model's counts, and it does not decline the canonical spelling (so it is the path the
  ordinary file takes);
* a far cell in any spelling is refused by ``check_zip``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.hostile import corpus as hc
from tests.hostile import spelling as sp
from xlperf.errors import UnsafeFileError
from xlperf.io import safety, xmlguard

FAR = [(0, 0), (1_048_575, 16_383)]  # A1 and XFD1048576
SMALL = [(1, 1), (3, 2), (3, 5), (6, 0)]


def model(data: bytes) -> xmlguard.Counts:
    counts = safety.exact_counts(data, "sheet", Path("x"))
    assert counts is not None
    return counts


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    return hc.seed_xlsx(tmp_path_factory.mktemp("seed") / "seed.xlsx")


@pytest.fixture
def no_caps(monkeypatch):
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", 10**30)


STYLES = {**sp.STYLES, "positional": sp.Style(no_r=frozenset({1, 2})),
          "positional_no_row_r": sp.Style(no_r=frozenset({0, 2, 3}), row_r=False)}


@pytest.mark.parametrize("name", list(STYLES))
def test_the_model_places_cells_as_the_reader_does(name, seed, tmp_path, no_caps):
    import python_calamine as pc

    style = STYLES[name]
    merges = [(0, 0, 2, 7)]
    data = sp.sheet_xml(SMALL, style, merges)
    counts = model(data)
    assert (counts.rows, counts.cols) == sp.expected(SMALL, style, merges)
    assert counts.cells == len(SMALL)
    # python-calamine itself, where it reads the spelling at all (not character references, not UTF-16)
    path = sp.workbook_with_sheet(seed, tmp_path / f"{name}.xlsx", sp.sheet_xml(SMALL, style))
    wb = pc.CalamineWorkbook.from_path(str(path))
    try:
        rows = wb.get_sheet_by_name(wb.sheet_names[0]).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - python-calamine refuses this spelling: nothing is built
        assert style.charref, name
        return
    if rows or not style.encoding.startswith("utf-16"):
        assert (len(rows), max(map(len, rows))) == sp.expected(SMALL, style)


@pytest.mark.parametrize("name", list(STYLES))
def test_a_far_cell_is_found_in_every_spelling(name, no_caps):
    style = STYLES[name]
    counts = model(sp.sheet_xml(FAR, style))
    rows, cols = sp.expected(FAR, style)
    assert (counts.rows, counts.cols) == (rows, cols)
    if not style.no_r:
        assert (rows, cols) == (1_048_576, 16_384)
    fast = xmlguard.fast(sp.sheet_xml(FAR, style))
    assert fast is None  # never proved small


@pytest.mark.parametrize("name", list(STYLES))
def test_a_far_merge_is_found_in_every_spelling(name, no_caps):
    style = STYLES[name]
    merges = [(11, 0, 1_048_575, 16_383)]
    counts = model(sp.sheet_xml(SMALL, style, merges))
    assert (counts.rows, counts.cols) == (1_048_576, 16_384)
    assert xmlguard.fast(sp.sheet_xml(SMALL, style, merges)) is None


def test_the_canonical_spelling_takes_the_fast_path(seed):
    import zipfile

    assert xmlguard.fast(sp.sheet_xml(SMALL, sp.Style(), [(0, 0, 2, 7)])) is not None
    with zipfile.ZipFile(seed) as zf:  # what openpyxl writes
        for name in zf.namelist():
            assert xmlguard.fast(zf.read(name)) is not None, name


def _cells(rnd: random.Random) -> list[tuple[int, int]]:
    n = rnd.randint(0, 8)
    big = rnd.random() < 0.3
    return [(rnd.randint(0, 1_048_575 if big else 40), rnd.randint(0, 16_383 if big else 30)) for _ in range(n)]


def test_fast_is_never_below_the_model(no_caps):
    """The differential test: 3,000 generated spellings (cells, merges, styles at random)."""
    rnd = random.Random(18)
    used = declined = 0
    for _ in range(3000):
        cells = _cells(rnd)
        spread = rnd.choice([5, 5, 5000])
        merges = [(r, c, r + rnd.randint(0, spread), c + rnd.randint(0, spread // 10)) for r, c in _cells(rnd)[:2]]
        style = sp.random_style(rnd, len(cells)) if rnd.random() < 0.7 else sp.Style()
        data = sp.sheet_xml(cells, style, merges)
        exact = model(data)
        assert (exact.rows, exact.cols) == sp.expected(cells, style, merges), (cells, style, merges)
        fast = xmlguard.fast(data)
        if fast is None:
            declined += 1
            continue
        used += 1
        assert fast.rows >= exact.rows and fast.cols >= exact.cols, (cells, style, merges)
        assert fast.cells >= exact.cells and fast.shared_cells >= exact.shared_cells
        assert fast.runs >= exact.runs and fast.longest_string >= exact.longest_string
    assert used > 100 and declined > 1000  # both paths were exercised


def test_rich_text_and_shared_strings_bounds(no_caps):
    """Runs and the longest shared string: fast's bounds are at or above the model's."""
    rnd = random.Random(7)
    for _ in range(300):
        sis = []
        for _ in range(rnd.randint(1, 6)):
            runs = rnd.randint(0, 5)
            text = "长" * rnd.randint(0, 50)
            if runs:
                body = "".join(f"<r><rPr><b/></rPr><t>{text}</t></r>" for _ in range(runs))
            else:
                body = f"<t>{text}</t>"
            sis.append(f"<si>{body}</si>")
        data = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{sp.MAIN_NS}">{"".join(sis)}</sst>').encode()
        exact, fast = model(data), xmlguard.fast(data)
        assert fast is not None
        assert fast.runs >= exact.runs and fast.longest_string >= exact.longest_string
        assert len(exact.strings or []) == len(sis)


@pytest.mark.parametrize("name", list(STYLES))
def test_check_zip_refuses_a_far_cell_in_every_spelling(name, seed, tmp_path):
    style = STYLES[name]
    path = sp.workbook_with_sheet(seed, tmp_path / "far.xlsx", sp.sheet_xml(FAR, style))
    if style.no_r and sp.expected(FAR, style)[0] * sp.expected(FAR, style)[1] <= safety.MAX_SHEET_CELLS:
        safety.check_zip(path).close()
        return
    with pytest.raises(UnsafeFileError, match="单元格范围过大"):
        safety.check_zip(path).close()


def test_a_dtd_in_utf16_is_refused(seed, tmp_path):
    """The prolog search reads ASCII; the parse refuses a DTD in any encoding."""
    xml = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
           f'<worksheet xmlns="{sp.MAIN_NS}"><sheetData/></worksheet>').encode("utf-16")
    path = sp.workbook_with_sheet(seed, tmp_path / "dtd16.xlsx", xml)
    with pytest.raises(UnsafeFileError, match="DTD"):
        safety.check_zip(path).close()


def test_shared_string_references_counted_fast_or_by_the_parse(no_caps):
    """The C-speed count of a sheet's shared-string references equals the parse's, or declines."""
    rnd = random.Random(5)
    fast_used = 0
    for _ in range(1500):
        cells = _cells(rnd)
        style = sp.random_style(rnd, len(cells)) if rnd.random() < 0.6 else sp.Style()
        data = sp.sheet_xml(cells, style).decode(style.encoding)
        typed = f"t{style.eq}{style.quote}n{style.quote}"
        sep = "<" + style.prefix + "c"
        data = sep.join(part.replace(typed, f"t{style.eq}{style.quote}s{style.quote}", 1) if rnd.random() < 0.6
                        else part for part in data.split(sep))
        raw = data.encode(style.encoding)
        exact = model(raw).shared_refs  # (the model recodes what expat cannot read: GB18030)
        light = xmlguard.shared_refs([raw])
        assert light is None or light == exact, (cells, style)
        fast = xmlguard.fast_shared_refs(raw)
        if fast is not None:
            fast_used += 1
            assert fast == exact, (cells, style)
    assert fast_used > 200
