"""What the readers will build from one XML part, counted from a real parse (issue 18).

The limits on a workbook (cells in a sheet's used range, cells, shared-string expansion, rich-text runs,
the sheet-XML scan's work) are enforced on these counts, never on how the XML happens to be spelled.

* :class:`Model` is the reference: an expat pass that places every cell as python-calamine does (its
  ``r`` attribute, else the next position in its row; rows by their ``r``, else the next row), takes
  every range the readers turn into cells (merges, links, notes, tables; not ``dimension`` or
  ``autoFilter``), counts cells, the runs of every rich text, the text of every shared string and the
  shared strings each sheet refers to. Attribute quotes and white space, namespace prefixes, character
  references, CDATA and comments, UTF-16 and other encodings are the parser's business, so none of them
  changes the answer. A DTD is refused (no entity is ever expanded).
* :func:`fast` proves, at C speed, that a part is in a canonical subset for which the limits provably
  hold (every cell tag spelled ``<c r="A1"``, one letter, one to four digits, so that no row matters;
  every range ``ref="…"`` within Z9999; UTF-8; no prefixed cell or row tags). It returns bounds that are
  never below the model's counts, or ``None`` when it cannot prove them: then the model runs.
  ``tests/hostile/test_spelling.py`` checks fast ⊑ model on generated spellings.
"""

from __future__ import annotations

import functools
import re
import xml.parsers.expat
from collections import Counter
from dataclasses import dataclass

# the canonical subset (see the module docstring); each search finds what it cannot prove
_BAD_CELL = re.compile(rb'<c(?! r="[A-Z][0-9]{1,4}")(?![^\s/>])')  # (the test a cell passes first)
_PREFIXED = re.compile(rb':(?:c|row)[\s/>]')
_BAD_REF = re.compile(rb'ref(?:(?<=[\t\n\r]ref)\s*=|(?<= ref)(?:\s+=|=(?!"(?:[A-Z][0-9]{1,4}:)?[A-Z][0-9]{1,4}")))')
_DECL = re.compile(rb'<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')
_ENCODING = re.compile(rb'encoding\s*=\s*["\']([^"\']*)')
_SI_AFTER = frozenset(b" \t\n\r\x0b\x0c/>")  # what may follow a tag's name


def _si_tags(data: bytes) -> int:
    """2 when ``data`` holds ``si>`` (a shared-string item's tag as :func:`fast` splits on it), 1 when it
    holds a tag of one spelled otherwise only (``<si >``, ``</x:si\n>``: ``<``, ``/`` or a prefix's ``:``
    before, white space, ``/`` or ``>`` after; text holds no ``<``, and a tag cut at the end counts), else 0.
    One pass over the occurrences of ``si``."""
    n = len(data)
    other = 0
    for m in _SI.finditer(data):  # (the regular expression finds "si" faster than bytes.find)
        i = m.start()
        after = data[i + 2] if i + 2 < n else None
        if after == 0x3E:  # ">"
            return 2
        if not other and i > 0 and data[i - 1] in b"<:/" and (after is None or after in _SI_AFTER):
            other = 1
    return other


_SI = re.compile(rb"si")  # (occurrences of "si" cannot overlap: every one is found, as by bytes.find)


FAST_ROWS, FAST_COLS = 10_000, 26  # what the canonical subset allows (rows: up to 9999, then the next one)

_CELL_REF = re.compile(r"\s*([A-Za-z]*)([0-9]+)\s*")
_ROW_REF = re.compile(r"\s*([0-9]+)\s*")
_RANGE_PART = re.compile(r"\$?([A-Za-z]{1,7})\$?([0-9]{1,12})")
_HUGE = 10**12
MAX_RUNS = 32_767  # runs of one rich text: Excel holds at most 32,767 characters in a cell  # a reference with more digits or letters than any reader takes: beyond every limit
_NO_RANGE = frozenset({"dimension", "autoFilter"})


@dataclass
class Counts:
    """What one part asks the readers to build (a bound, from :func:`fast`; exact, from :class:`Model`)."""

    rows: int = 0  # the used range: A1 to (rows, cols)
    cols: int = 0
    cells: int = 0  # cell elements
    shared_cells: int = 0  # cells of type "s" (a shared-string index)
    shared_refs: Counter[int] | None = None  # how often each index is used (the model only)
    strings: list[int] | None = None  # characters of each shared string (the model only)
    longest_string: int = 0  # characters of the longest shared string (a bound from fast)
    runs: int = 0  # the most runs in one rich text
    exact: bool = False
    canonical: bool = False  # spelled as fast() proves it (the readers' regular expressions read it)
    formula_tags: tuple[int, ...] | None = None  # where "<f" stands in the part (a part read whole only)


def _col_number(letters: str) -> int:
    if len(letters) > 7:
        return _HUGE
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 12 else _HUGE


def utf8_declared(data: bytes) -> bool:
    """True when the part is UTF-8 by its first bytes: no byte-order mark but UTF-8's, no NUL (UTF-16
    without a mark), no declared encoding other than UTF-8."""
    head = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"\x00" in head[:64]:
        return False
    if head.startswith(b"<?xml"):
        end = head.find(b"?>", 0, 400)
        m = _ENCODING.search(head, 0, end if end != -1 else 400)
        return m is None or m.group(1).lower() in (b"utf-8", b"utf8")
    return head.lstrip(b" \t\r\n")[:1] == b"<"


def fast(data: bytes) -> Counts | None:
    """Bounds for a part in the canonical subset, or None. Cost: four C-level searches of a sheet part,
    a few substring tests of any other."""
    if not data.strip():
        return Counts(canonical=True)  # an empty part: nothing for any reader to build
    if not utf8_declared(data):
        return None
    has_cells, has_refs = b"<c" in data, b"ref" in data
    if ((has_cells and _BAD_CELL.search(data)) or (b":" in data and _PREFIXED.search(data))
            or (has_refs and _BAD_REF.search(data))):
        return None
    # bounds from the size: a cell element takes at least 11 bytes (<c r="A1"/>), a run 7 (<r></r>)
    cells = len(data) // 11 if has_cells and b"<c " in data else 0
    used = cells or has_refs
    counts = Counts(rows=FAST_ROWS if used else 0, cols=FAST_COLS if used else 0,
                    cells=cells, shared_cells=cells, runs=len(data) // 7, canonical=True)
    if counts.runs > MAX_RUNS:
        counts.runs = data.count(b"<r>") + data.count(b"<r ") + data.count(b":r>") + data.count(b":r ")
    si = _si_tags(data)
    if si == 2:
        # a shared string's text is at most the bytes between two consecutive ends of one (whatever their
        # spelling, the chunks cover the part)
        counts.longest_string = max(map(len, data.split(b"</si>")))
    elif si:  # string items, none of whose tags ends in "si>" (<si >, </si\n>): the part bounds each one
        counts.longest_string = len(data)
    return counts


_BAD_CELL_WIDE = re.compile(rb'<c(?! r="[A-Z][0-9]{1,7}")(?![^\s/>])')
_BAD_REF_WIDE = re.compile(
    rb'ref(?:(?<=[\t\n\r]ref)\s*=|(?<= ref)(?:\s+=|=(?!"(?:[A-Z][0-9]{1,7}:)?[A-Z][0-9]{1,7}")))')


def _greater(n: int) -> bytes:
    """A regular expression for the decimal numbers above ``n`` (leading zeros count as digits: only
    ever more, never fewer, matches)."""
    digits = str(n)
    alts = [f"[0-9]{{{len(digits) + 1},}}"]
    for i, ch in enumerate(digits):
        if ch != "9":
            alts.append(f"{digits[:i]}[{int(ch) + 1}-9][0-9]{{{len(digits) - i - 1}}}")
    return ("(?:" + "|".join(alts) + ")").encode()


@functools.lru_cache(maxsize=8)
def _beyond(rows: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Cells and range corners in a row beyond ``rows`` (canonical spelling: one column letter)."""
    gt = _greater(rows)
    return (re.compile(rb'<c r="[A-Z]' + gt + rb'"'),
            re.compile(rb' ref="(?:[A-Z][0-9]{1,7}:)?[A-Z]' + gt + rb'[:"]'))


class ChunkProof:
    """:func:`fast` for a part streamed in chunks (parts over 1 MB: a big form's sheet), so that a big
    canonical sheet is not parsed element by element: every cell spelled ``<c r="A123456"`` (one letter),
    every range canonical, and no cell or corner beyond the row that keeps 26 columns within ``cap``.
    ``spelled``: the canonical spelling held (the readers' regular expressions read the part); ``counts()``:
    the bounds, or None (then the model counts the part). A chunk boundary inside a tag can only make a
    check fail (the chunks are searched with the 32 bytes before them)."""

    def __init__(self, cap: int) -> None:
        self.rows = max(1, cap // FAST_COLS)
        self.spelled = self.ok = True
        self.first = True
        self.end = b""
        self.cells = self.runs = self.chunks = 0

    def feed(self, chunk: bytes, buf: bytes) -> None:
        if not self.spelled:
            return
        if (self.first and not utf8_declared(buf)) or self._bad(buf):
            self.spelled = self.ok = False
            return
        self.first = False
        self.end = buf[-48:]
        if self.ok:
            cells, refs = _beyond(self.rows)
            if _si_tags(buf) or cells.search(buf) or refs.search(buf):
                self.ok = False  # (shared strings in a streamed part: counted by the model)
        self.cells += chunk.count(b"<c ")
        self.runs += chunk.count(b"<r>") + chunk.count(b"<r ") + chunk.count(b":r>") + chunk.count(b":r ")
        self.chunks += 1

    @staticmethod
    def _bad(buf: bytes, final: bool = False) -> bool:
        """A tag the canonical spelling does not allow; one cut by the end of the chunk (within its last
        24 bytes) is looked at with the next chunk, which starts 32 bytes earlier (or in ``counts``)."""
        for rx in (_BAD_CELL_WIDE, _PREFIXED, _BAD_REF_WIDE):
            m = rx.search(buf)
            if m is not None and (final or m.start() < len(buf) - 24):
                return True
        return False

    def counts(self) -> Counts | None:
        if self.spelled and self._bad(self.end, final=True):
            self.spelled = self.ok = False
        if not (self.spelled and self.ok) or self.runs + self.chunks > MAX_RUNS:
            return None
        cells = self.cells + self.chunks  # a cell tag split by a chunk boundary is counted in neither
        return Counts(rows=self.rows, cols=FAST_COLS if cells else 0, cells=cells, shared_cells=cells,
                      runs=self.runs + self.chunks, canonical=True)


class ModelError(Exception):
    """The part is not XML expat can read (the message is expat's)."""


class DtdError(Exception):
    """The part declares a DTD (no entity is ever expanded)."""


class _Placement:
    """An expat parse that places each ``<c>`` the way python-calamine does: by its ``r``, otherwise in
    the column after the previous cell of the row; a ``<row>`` without ``r`` follows the previous
    row. One placement for :class:`Model` (the limits) and :class:`_CellScan` (formulas, styles), so
    what the guard counts and what the scan finds are the same cells."""

    def __init__(self) -> None:
        self.row = self.col = 0
        p = self.parser = xml.parsers.expat.ParserCreate()
        p.buffer_text = True
        p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._doctype

    def _doctype(self, *args) -> None:
        raise DtdError()

    def _cell(self, attrs: dict[str, str]) -> tuple[int, int]:
        """The 0-based (row, column) of a ``<c>`` with ``attrs``; the next cell of the row follows it."""
        ref = attrs.get("r")
        m = _CELL_REF.fullmatch(ref) if ref is not None else None
        if m is not None:
            row = _number(m.group(2)) - 1
            col = _col_number(m.group(1)) - 1 if m.group(1) else self.col
        else:
            row, col = self.row, self.col
        self.col = col + 1
        return row, col

    def _row_start(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        m = _ROW_REF.fullmatch(ref) if ref is not None else None
        if m is not None:
            self.row = _number(m.group(1)) - 1
        self.col = 0  # (a row without cells makes no reader create any: only its cells count)

    def _row_end(self) -> None:
        self.row += 1
        self.col = 0


class Model(_Placement):
    """The reference count of one part, fed in chunks (see the module docstring)."""

    def __init__(self, *, cap_cells: int, cap_extent: int, on_extent) -> None:
        self.counts = Counts(shared_refs=Counter(), strings=[], exact=True)
        self.cap_cells, self.cap_extent, self.on_extent = cap_cells, cap_extent, on_extent
        super().__init__()
        p = self.parser
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._text
        self.in_si = self.in_text = 0
        self.runs = 0  # runs of the current rich text
        self.string = 0  # characters of the current shared string
        self.value: list[str] | None = None  # the <v> of a cell of type "s"
        self.shared_cell = False

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except (xml.parsers.expat.ExpatError, ValueError) as exc:  # ValueError: a multi-byte encoding
            raise ModelError(str(exc)) from exc

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(":")[2]
        c = self.counts
        if name == "c":
            row, col = self._cell(attrs)
            c.cells += 1
            self._extent(row + 1, col + 1)
            if c.cells > self.cap_cells:
                self.on_extent("cells", c.cells, 0)
            self.shared_cell = attrs.get("t") == "s"
            if self.shared_cell:
                c.shared_cells += 1
        elif name == "row":
            self._row_start(attrs)
        elif name == "v" and self.shared_cell:
            self.value = []
        elif name in ("si", "is"):
            self.in_si += 1
            self.runs = self.string = 0
        elif name == "r" and self.in_si:
            self.runs += 1
            c.runs = max(c.runs, self.runs)
        if name not in _NO_RANGE:
            ref = attrs.get("ref")
            if ref is not None:
                for m in _RANGE_PART.finditer(ref):
                    self._extent(_number(m.group(2)), _col_number(m.group(1)))

    def _end(self, tag: str) -> None:
        name = tag.rpartition(":")[2]
        if name == "row":
            self._row_end()
        elif name == "c":
            self.shared_cell = False
        elif name == "v" and self.value is not None:
            text = "".join(self.value).strip()
            self.value = None
            if text.isdigit() and len(text) < 10:
                self.counts.shared_refs[int(text)] += 1  # type: ignore[index]
        elif name in ("si", "is") and self.in_si:
            self.in_si -= 1
            if tag.endswith("si"):
                self.counts.strings.append(self.string)  # type: ignore[union-attr]
                self.counts.longest_string = max(self.counts.longest_string, self.string)

    def _text(self, text: str) -> None:
        if self.value is not None:
            self.value.append(text)
        elif self.in_si:
            self.string += len(text)

    def _extent(self, rows: int, cols: int) -> None:
        c = self.counts
        if rows > c.rows or cols > c.cols:
            c.rows, c.cols = max(c.rows, rows), max(c.cols, cols)
            if c.rows * c.cols > self.cap_extent:
                self.on_extent("extent", c.rows, c.cols)


def recode(data: bytes) -> bytes | None:
    """A part in an encoding expat does not know (GB18030, Big5 …: what some generators declare) as
    UTF-8 without its declaration, or None when Python cannot decode it either."""
    head = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    m = _DECL.match(head[:200])
    if m is None:
        return None
    try:
        text = head.decode(m.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError, ValueError):
        return None
    return text[text.index("?>") + 2:].encode("utf-8") if "?>" in text else None


_F_TAG = re.compile(rb"<f")


def formula_tags(data: bytes) -> tuple[int, ...]:
    """Where ``<f`` stands in ``data``: the places ``readers._formula_scan`` starts from (one search, found
    once for the guard's :func:`scan_work` and the scan itself)."""
    return tuple(m.start() for m in _F_TAG.finditer(data))


def scan_work(data: bytes, hits: int | None = None) -> int:
    """The work (bytes looked at) of ``readers._formula_scan`` on a sheet part: for each ``<f`` it looks
    back to the cell that holds it and, when that cell holds an inline string, across the string. A bound
    (hits x size) when that is small enough, else counted the way the scan works, stopping as soon as
    it passes :data:`MAX_SCAN_WORK` (so that counting never costs more than that). ``hits``: the ``<f``
    of the part when already counted."""
    if hits is None:
        hits = data.count(b"<f")
    if hits == 0 or hits * len(data) <= MAX_SCAN_WORK:
        return hits * len(data)
    work = 0
    pos = data.find(b"<f")
    while pos != -1:
        start = data.rfind(b"<c ", 0, pos)
        work += pos - max(start, 0)
        if start != -1:
            close = data.find(b">", start, pos)
            if close != -1 and data.startswith(b"<is>", close + 1):
                end, line = data.find(b"</is>", close), data.find(b"\n", close)
                stops = [x for x in (end, line) if x != -1]
                work += (min(stops) if stops else len(data)) - close
        if work > MAX_SCAN_WORK:
            break
        pos = data.find(b"<f", pos + 2)
    return work


MAX_SCAN_WORK = 50_000_000  # about half a second of the sheet scan's regular expressions


class _CellScan(_Placement):
    """Formulas and styled cells of a sheet in any spelling, placed as :class:`Model` places cells."""

    def __init__(self, percent: frozenset[int]) -> None:
        super().__init__()
        self.percent = percent
        self.formulas: dict[tuple[int, int], str] = {}
        self.styled: set[tuple[int, int]] = set()
        self.pos: tuple[int, int] | None = None
        self.text: list[str] | None = None
        p = self.parser
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(":")[2]
        if name == "c":
            self.pos = self._cell(attrs)
            style = attrs.get("s", "").strip()
            if self.percent and style.isdigit() and int(style) in self.percent:
                self.styled.add(self.pos)
        elif name == "row":
            self._row_start(attrs)
        elif name == "f" and self.pos is not None:
            self.text = []

    def _end(self, tag: str) -> None:
        name = tag.rpartition(":")[2]
        if name == "f" and self.text is not None:
            text = "".join(self.text)
            if text and self.pos is not None:
                self.formulas[self.pos] = "=" + text
            self.text = None
        elif name == "c":
            self.pos = None
        elif name == "row":
            self._row_end()

    def _chars(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)


def scan_cells(data: bytes, percent: frozenset[int] = frozenset()
               ) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """The formulas and the percent-styled cells of a sheet part in any spelling (what
    ``readers.scan_sheet`` finds in the canonical one), by a parse; nothing for a part that is not XML
    (the guard has refused those already)."""
    for attempt in (data, recode(data)):
        if attempt is None:
            continue
        scan = _CellScan(percent)
        try:
            scan.parser.Parse(attempt, True)
        except (xml.parsers.expat.ExpatError, ValueError, DtdError):
            continue
        return scan.formulas, scan.styled
    return {}, set()


def shared_refs(chunks) -> Counter[int] | None:
    """How often each shared-string index is used by the cells of a sheet (what :class:`Model` counts,
    by a lighter pass: only cells and values are looked at); None when expat cannot read the part."""
    refs: Counter[int] = Counter()
    state = {"shared": False, "value": None}

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(":")[2]
        if name == "c":
            state["shared"] = attrs.get("t") == "s"
        elif name == "v" and state["shared"]:
            state["value"] = []

    def end(tag: str) -> None:
        value = state["value"]
        if value is not None and tag.rpartition(":")[2] == "v":
            text = "".join(value).strip()
            state["value"] = None
            if text.isdigit() and len(text) < 10:
                refs[int(text)] += 1

    def chars(text: str) -> None:
        if state["value"] is not None:
            state["value"].append(text)

    p = xml.parsers.expat.ParserCreate()
    p.buffer_text = True
    p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.StartDoctypeDeclHandler = lambda *a: (_ for _ in ()).throw(DtdError())
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    try:
        for chunk in chunks:
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except (xml.parsers.expat.ExpatError, ValueError, DtdError):
        return None
    return refs


_SHARED_CELL = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"[^>]*? t="s"[^>/]*><v>([0-9]{1,9})</v>')
# any other spelling of a type attribute: white space around "=", another quote, a reference in the
# value, a tab or line break before it (two searches with a literal start: fast)
_TYPE_SPACED = re.compile(rb"t[ \t\n\r]+=")
_TYPE_ODD = re.compile(rb't=(?:(?<=[\t\n\r]t=)|[^"]|"&)')


def fast_shared_refs(data: bytes) -> Counter[int] | None:
    """:func:`shared_refs` at C speed for a sheet whose shared-string cells are all spelled
    ``<c r="A1" … t="s"><v>7</v>``: every ``t="s"`` in the part is one of them and no type attribute is
    spelled otherwise; None when that cannot be shown (then the parse counts)."""
    if not utf8_declared(data) or _TYPE_SPACED.search(data) or _TYPE_ODD.search(data):
        return None
    found = _SHARED_CELL.findall(data)
    if len(found) != data.count(b' t="s"'):
        return None
    return Counter(map(int, found))
