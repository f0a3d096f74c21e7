"""The shared-string expansion limit holds however the string items' tags are spelled (issue 16).

The fast proof (:func:`xlperf.io.xmlguard.fast`) bounds the longest shared string by the bytes between two
ends of one (``</si>``); a table whose tags never end in ``si>`` (``<si >…</si >``, ``</x:si\\n>``: white
space before ``>`` is well-formed XML, and python-calamine reads it) held no string at all to that proof,
so one 30,000-character string used by 3,000 cells (90 million characters once copied into them) was read.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from tests.hostile import corpus as hc
from tests.hostile import round2
from xlperf.errors import UnsafeFileError
from xlperf.io import safety
from xlperf.io.readers import read_grids

SST = "xl/sharedStrings.xml"


def _respelled(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, change(data) if info.filename == SST else data)
    return dst


SPELLINGS = {
    "space": lambda d: d.replace(b"<si>", b"<si >").replace(b"</si>", b"</si >"),
    "newline": lambda d: d.replace(b"<si>", b"<si\n>").replace(b"</si>", b"</si\r\n>"),
    "prefix": lambda d: (d.replace(b"<sst xmlns=", b"<x:sst xmlns:x=").replace(b"</sst>", b"</x:sst>")
                         .replace(b"<si>", b"<x:si >").replace(b"</si>", b"</x:si\t>")
                         .replace(b"<t>", b"<x:t>").replace(b"</t>", b"</x:t>")),
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_shared_expansion_is_refused_in_any_spelling(tmp_path, spelling):
    seed = hc.seed_xlsx(tmp_path / "seed.xlsx")
    plain = round2.shared_string_expansion(seed, tmp_path / "plain.xlsx")
    bomb = _respelled(plain, tmp_path / f"{spelling}.xlsx", SPELLINGS[spelling])
    with zipfile.ZipFile(bomb) as zf:
        assert b"si>" not in zf.read(SST)  # (what the proof used to look for)
    with pytest.raises(UnsafeFileError, match="文本过大"):
        read_grids(bomb)


def test_a_streamed_table_spelled_otherwise_is_counted(tmp_path, monkeypatch):
    """A shared-strings part over 1 MB (streamed in chunks) with such tags is counted by the parse."""
    monkeypatch.setattr(safety, "MAX_SHEET_TEXT", 20_000_000)
    seed = hc.seed_xlsx(tmp_path / "seed.xlsx")
    plain = round2.shared_string_expansion(seed, tmp_path / "plain.xlsx", length=10, cells=100)
    rng = random.Random(16)
    text = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(400_000)).encode()  # (not a ratio bomb)

    def big(data: bytes) -> bytes:
        start, end = data.index(b"<t>") + 3, data.index(b"</t>")
        return SPELLINGS["space"](data[:start] + text + data[end:])

    bomb = _respelled(plain, tmp_path / "big.xlsx", big)
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo(SST).file_size > safety._CHUNK
    with pytest.raises(UnsafeFileError, match="文本过大"):
        read_grids(bomb)


def test_a_form_with_spaced_tags_still_reads(tmp_path):
    """Spelling alone is no reason to refuse: a form's strings with spaced tags read as before."""
    from tests.synth import generate

    form = generate(tmp_path / "in", 1, seed=3)[0]
    with zipfile.ZipFile(form) as zf:
        assert b"<si>" in zf.read(SST)
    spaced = _respelled(form, tmp_path / "spaced.xlsx", SPELLINGS["space"])
    assert [g.values for g in read_grids(spaced)] == [g.values for g in read_grids(form)]
