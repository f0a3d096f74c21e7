"""Guards run before any parser sees a file: size caps, zip bombs, XML entity expansion, encryption.

Everything here reads the zip directory, then streams each XML part once through zlib, 1 MB at a
time and never kept (sizes counted, DTDs searched), so a hostile file is rejected quickly with
bounded memory before any parser sees it.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import (
    EncryptedFileError,
    UnreadableFileError,
    UnsafeFileError,
    UnsupportedFormatError,
)


def env_limit(name: str, default: int, *, low: int = 1, high: int = 10**12) -> int:
    """A limit set by an environment variable: a whole number in [low, high], else one clear error
    (a typo in a limit must not silently become no limit, nor a traceback)."""
    from ..errors import XlperfError

    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise XlperfError(f"环境变量 {name} 应为 {low}～{high} 之间的整数（现为 {raw!r}）；删除它即使用默认值 {default}")
    return value


MAX_UNCOMPRESSED = env_limit("XLPERF_MAX_UNCOMPRESSED_MB", 300, low=0, high=1_000_000) * 1024 * 1024
MAX_RATIO = 200  # per member; real sheet XML compresses 10-30x
MAX_ENTRIES = 10_000
MAX_TEXT_BYTES = 50 * 1024 * 1024
# cells in one sheet's used range (A1 to its farthest cell): the readers build it densely (calamine
# allocates every cell of it, openpyxl walks it), so two cells at A1 and XFD1048576 in a 5 KB file would
# otherwise ask for 17 billion cells (python-calamine aborts the whole process). 2 million cells are
# about 180,000 rows of the form's 11 columns; reading that many costs about 100-600 MB.
MAX_SHEET_CELLS = env_limit("XLPERF_MAX_SHEET_CELLS", 2_000_000, high=10**10)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DTD_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# the row and the column letters of every cell (<c r="B5">) and row (<row r="5">) reference, and the
# far corner of the ranges that make readers create cells (merges, notes, hyperlinks; not <dimension>,
# which no reader trusts, nor autoFilter); text can hold such characters only in theory
_ROW_REF_RE = re.compile(rb' r="[A-Z]{0,3}([0-9]{1,9})"')
_COL_REF_RE = re.compile(rb' r="([A-Z]{1,3})[0-9]')
_RANGE_REF_RE = re.compile(rb'(?<!dimension)(?<!autoFilter) ref="(?:[A-Z]{1,3}[0-9]{1,9}:)?([A-Z]{1,3})([0-9]{1,9})"')
# _RANGE_REF_RE as a scan that starts with a literal (the regex engine then jumps from one ' ref="' to
# the next instead of trying two lookbehinds at every byte; eight times faster): the element name
# before each match ('dimension', 'autoFilter') is looked at by the caller
_ANY_RANGE_RE = re.compile(rb' ref="(?:[A-Z]{1,3}[0-9]{1,9}:)?([A-Z]{1,3})([0-9]{1,9})"')
_XML_SPACE = b" \t\r\n"
# does a part reach beyond A1:Z9999? a cell or row reference with a row of five digits or more, or a
# column of two letters or more (what _ROW_REF_RE / _COL_REF_RE would find beyond that corner); found as
# plain substrings once capital letters are folded to "A" and digits to "0" (one C pass, no regex):
# ' r="' + [A-Z]{0,3} + [0-9]{5} and ' r="' + [A-Z]{2}
_SHAPE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"A" * 26 + b"0" * 10)
_DEEP_ROWS = tuple(b' r="' + b"A" * k + b"00000" for k in range(4))
_WIDE_COLS = b' r="AA'
_SMALL_ROWS, _SMALL_COLS = 9999, 26
# the ranges _RANGE_REF_RE leaves out, found the same way as all ranges are (by literal prefixes)
_SKIPPED_RANGE_RES = tuple(re.compile(name + rb' ref="(?:[A-Z]{1,3}[0-9]{1,9}:)?([A-Z]{1,3})([0-9]{1,9})"')
                           for name in (b"dimension", b"autoFilter"))


def sniff(path: Path) -> str:
    """'zip', 'ole', 'text' or 'empty' from the file's first bytes. Raises for missing/dirs."""
    if not path.exists():
        if path.is_symlink():
            raise UnreadableFileError("符号链接无法解析（链接循环，或指向的文件不存在）", path=str(path))
        raise UnreadableFileError("文件不存在", path=str(path))
    if path.is_dir():
        raise UnreadableFileError("这是一个文件夹，不是工作簿文件", path=str(path))
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device: opening it would block
            raise UnreadableFileError("不是普通文件（可能是管道或设备文件）", path=str(path))
    except OSError as exc:
        raise UnreadableFileError(f"无法读取文件（{exc.strerror or exc}）", path=str(path)) from exc
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UnreadableFileError(f"无法读取文件（{exc.strerror or exc}）", path=str(path)) from exc
    if not head:
        raise UnreadableFileError("文件为空（0 字节）", path=str(path))
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head == OLE_MAGIC:
        return "ole"
    return "text"


_CHUNK = 1 << 20  # parts are inflated this much at a time
_KEEP_PART = 1 << 20  # parts up to this size are kept once inflated (CheckedZip.checked) ...
_KEEP_TOTAL = 8 << 20  # ... up to this much per workbook


class CheckedZip(zipfile.ZipFile):
    """A zip that passed :func:`check_zip`. ``checked`` holds the bytes of the small XML parts the check
    inflated in full (size and CRC verified), so that the reader does not inflate them a second time."""

    checked: dict[str, bytes]


def read_checked(zf: zipfile.ZipFile, name: str) -> bytes:
    """The bytes of member ``name``: those :func:`check_zip` kept, else read from the zip."""
    kept = getattr(zf, "checked", None)
    if kept is not None and name in kept:
        return kept[name]
    return zf.read(name)


def check_zip(path: Path, *, max_uncompressed: int | None = None, data: IO[bytes] | None = None) -> zipfile.ZipFile:
    """Open a zip after checking the declared sizes and streaming every XML part (DTDs, real sizes,
    used ranges). ``data``: the zip in memory (a decrypted workbook); ``path`` then only names it."""
    cap = MAX_UNCOMPRESSED if max_uncompressed is None else max_uncompressed
    try:
        zf = CheckedZip(data if data is not None else path)
        zf.checked = {}
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnreadableFileError("文件已损坏（不是完整的 xlsx 压缩包）", path=str(path)) from exc
    if len(infos) > MAX_ENTRIES:
        raise UnsafeFileError(f"压缩包内文件过多（{len(infos)} 个），拒绝处理", path=str(path))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise UnsafeFileError(
                f"疑似压缩炸弹：{info.filename} 压缩比 {info.file_size // max(info.compress_size, 1)}:1，拒绝处理",
                path=str(path),
            )
    if total > cap:
        raise UnsafeFileError(
            f"解压后大小 {total // (1024 * 1024)} MB 超过上限 {cap // (1024 * 1024)} MB，拒绝处理",
            path=str(path),
        )
    actual = 0
    kept = 0
    try:
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")) and not info.filename.startswith(
                ("xl/theme/", "xl/printerSettings/")
            ):
                keep = info.file_size <= _KEEP_PART and kept + info.file_size <= _KEEP_TOTAL
                actual += _check_member(zf, info, path, cap - actual, zf.checked if keep else None)
                if keep:
                    kept += info.file_size
    except BaseException:
        zf.close()
        raise
    return zf


def _check_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int,
                  keep: dict[str, bytes] | None = None) -> int:
    """Stream-decompress one XML part: reject a DTD in its prolog, a total beyond the cap and a used
    range beyond :data:`MAX_SHEET_CELLS` (``content.xml`` of an .ods: its repeated rows and cells).

    zipfile stops at the declared size and then fails the CRC check, so a member that lies about its
    size is reported as corrupt before any other parser reads it (a small part inflated in one go by
    :func:`_inflate_whole` the same way). Returns the bytes seen. ``keep``: where to put the part's
    bytes when it was read whole in one chunk."""
    seen = 0
    limit = min(info.file_size, budget)
    extent = _OdsExtent(info.filename, path) if info.filename == "content.xml" else _Extent(info.filename, path)
    prolog = _Prolog()
    try:
        data = _inflate_whole(zf, info)
        if data is not None:  # the same checks as on the first (and only) chunk below, in the same order
            chunks = [data]
        else:
            chunks = _chunks(zf, info)
        tail = b""
        n = 0
        # a DTD can only stand in the prolog, before the root element (every XML parser refuses one
        # after it); the prolog is walked token by token (comments and processing instructions of any
        # length skipped whole), and a part whose start is not plain XML is searched throughout
        for chunk in chunks:
            buf = tail + chunk
            if prolog.dtd(chunk, buf):
                raise UnsafeFileError(f"{info.filename} 含有 DTD/实体声明（可能是 XML 炸弹），拒绝处理", path=str(path))
            extent.feed(chunk, buf)
            tail = chunk[-32:]
            seen += len(chunk)
            if seen > limit:
                break
            n += 1
            last = chunk
        else:
            extent.close()
            if keep is not None and n == 1 and seen == info.file_size:
                keep[info.filename] = last
    except UnsafeFileError:
        raise
    except Exception as exc:  # zlib.error, BadZipFile (CRC mismatch: data longer than declared), EOFError
        raise UnreadableFileError(f"文件已损坏（{info.filename} 无法解压）", path=str(path)) from exc
    if seen > limit:
        raise UnsafeFileError(
            f"疑似压缩炸弹：{info.filename} 实际解压大小超过声明大小或上限，拒绝处理", path=str(path)
        )
    return seen


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member inflated :data:`_CHUNK` bytes at a time by zipfile (which stops at the declared size
    and checks the CRC at the end)."""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _inflate_whole(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """A small stored or deflated member inflated in one go, as ``zf.read`` would give it: at most its
    declared size, the local header and the CRC checked (``BadZipFile`` otherwise). ``None`` for anything
    else (large, encrypted, other methods, flags zipfile refuses): those go through zipfile."""
    if (info.file_size >= _CHUNK or info.compress_size > _CHUNK or info.flag_bits & 0x61
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or zf.fp is None):
        return None
    fp = zf.fp
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    flags, name_len, extra_len = struct.unpack_from("<H", head, 6)[0], *struct.unpack_from("<HH", head, 26)
    name = fp.read(name_len)
    name_str = name.decode("utf-8") if flags & 0x800 else name.decode(zf.metadata_encoding or "cp437")
    if name_str != info.orig_filename:
        raise zipfile.BadZipFile(f"file name in directory {info.orig_filename!r} and header {name!r} differ")
    fp.seek(extra_len, 1)
    raw = fp.read(info.compress_size)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        data = zlib.decompressobj(-15).decompress(raw, info.file_size) if info.file_size else b""
    else:
        data = raw[:info.file_size]
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 or size for {info.filename}")
    return data


class _Prolog:
    """Finds a DTD in a part streamed chunk by chunk: ``dtd(chunk, buf)`` is True when one is there.

    Until the root element starts, the prolog is read token by token: white space, the XML
    declaration and processing instructions (``<?...?>``), comments (``<!--...-->``); any other
    ``<!`` there is a DTD (the only other markup a prolog can hold) and refused. Once the root element
    starts nothing more is searched: a ``<!DOCTYPE`` after it is not a DTD to any XML parser, only a
    well-formedness error. Anything unexpected before the root (a byte-order mark other than UTF-8's,
    UTF-16 text, stray characters) makes the whole part searched for ``<!DOCTYPE``/``<!ENTITY``, as
    every part used to be."""

    __slots__ = ("state", "carry", "first")

    def __init__(self) -> None:
        self.state = "top"  # top | comment | pi | root (done) | all (search everything)
        self.carry = b""
        self.first = True

    def dtd(self, chunk: bytes, buf: bytes) -> bool:
        if self.state == "root":
            return False
        if self.state == "all":
            return _DTD_RE.search(buf) is not None
        data = self.carry + chunk
        self.carry = b""
        if self.first:
            if len(data) < 3 and b"\xef\xbb\xbf".startswith(data):
                self.carry = data
                return False
            self.first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        pos, n = 0, len(data)
        while pos < n:
            if self.state == "comment" or self.state == "pi":
                end = data.find(b"-->" if self.state == "comment" else b"?>", pos)
                if end < 0:
                    self.carry = data[-2:]  # a terminator split across chunks
                    return False
                pos = end + (3 if self.state == "comment" else 2)
                self.state = "top"
                continue
            while pos < n and data[pos] in _XML_SPACE:
                pos += 1
            if pos >= n:
                return False
            if n - pos < 4:
                self.carry = data[pos:]  # too short to tell '<!--' from '<!DO'
                return False
            if data[pos] != 0x3C:  # not '<': not the XML the readers parse; search all of it
                return self._search_all(data)
            nxt = data[pos + 1]
            if data.startswith(b"<!--", pos):
                self.state, pos = "comment", pos + 4
            elif nxt == 0x3F:  # '<?'
                self.state, pos = "pi", pos + 2
            elif nxt == 0x21:  # '<!' other than a comment: <!DOCTYPE (or worse)
                return True
            elif nxt >= 0x80 or chr(nxt).isalpha() or nxt in (0x5F, 0x3A):  # a name: the root element
                self.state = "root"
                return False
            else:  # '<' then something no element name starts with ('<\0': UTF-16): search all of it
                return self._search_all(data)
        return False

    def _search_all(self, data: bytes) -> bool:
        self.state = "all"
        return _DTD_RE.search(data) is not None


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _too_big(part: str, path: Path, rows: int, cols: int) -> UnsafeFileError:
    from ..core.grid import a1

    return UnsafeFileError(
        f"{part} 的单元格范围过大（A1:{a1(rows - 1, cols - 1)}，约 {rows * cols:,} 个单元格，上限 "
        f"{MAX_SHEET_CELLS:,}，可用 XLPERF_MAX_SHEET_CELLS 调整），疑似恶意文件，拒绝处理", path=str(path))


class _Extent:
    """The farthest row and column referenced in an OOXML part (cells, rows, merges, notes, links)."""

    def __init__(self, part: str, path: Path) -> None:
        self.part, self.path = part, path
        self.rows = self.cols = 0
        self.first = True

    def feed(self, chunk: bytes, buf: bytes) -> None:
        whole = self.first and len(chunk) < _CHUNK  # the part in one piece: this is the only call
        self.first = False
        letters: set[bytes] = set()
        far = self._ranges(buf)
        if far:
            letters.update(col for col, _row in far)
            self.rows = max(self.rows, max(int(row) for _col, row in far))
        if b' r="' in buf and not (whole and self._small(buf, letters)):
            rows = _ROW_REF_RE.findall(buf)
            if rows:
                self.rows = max(self.rows, max(map(int, rows)))
            letters.update(_COL_REF_RE.findall(buf))
        if letters:
            self.cols = max(self.cols, max(map(_col_number, letters)))
        if self.rows * self.cols > MAX_SHEET_CELLS:
            raise _too_big(self.part, self.path, self.rows, self.cols)

    @staticmethod
    def _ranges(buf: bytes) -> list[tuple[bytes, bytes]]:
        """The far corners _RANGE_REF_RE finds, by a scan that starts with a literal."""
        if b' ref="' not in buf:
            return []
        far = _ANY_RANGE_RE.findall(buf)
        skipped = [m for rx in _SKIPPED_RANGE_RES for m in rx.findall(buf)]
        if skipped:  # every skipped one is also in ``far``: take each out once
            from collections import Counter

            far = list((Counter(far) - Counter(skipped)).elements())
        return far

    def _small(self, buf: bytes, letters: set[bytes]) -> bool:
        """True when the whole part's cell and row references provably stay within A1:Z9999 and that
        corner together with the ranges is within the cap: the exact maxima cannot exceed it then."""
        cols = max(map(_col_number, letters), default=0)
        if max(self.rows, _SMALL_ROWS) * max(self.cols, cols, _SMALL_COLS) > MAX_SHEET_CELLS:
            return False
        shape = buf.translate(_SHAPE)
        if _WIDE_COLS in shape:
            return False
        return b"00000" not in shape or not any(deep in shape for deep in _DEEP_ROWS)

    def close(self) -> None:
        pass


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


class _OdsExtent:
    """The used range of each table of an .ods ``content.xml``, repeats counted (a row repeated a
    million times with a cell repeated 16,000 times is one line of XML): streamed through expat."""

    def __init__(self, part: str, path: Path) -> None:
        import xml.parsers.expat

        self.part, self.path = part, path
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator="|")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.row = self.row_repeat = self.col = self.cell_repeat = 0
        self.in_cell = self.cell_filled = self.row_filled = False
        self.row_last_col = self.max_row = self.max_col = 0

    def feed(self, chunk: bytes, buf: bytes) -> None:
        self.parser.Parse(chunk, False)

    def close(self) -> None:
        self.parser.Parse(b"", True)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if self.in_cell:
            self.cell_filled = True  # <text:p>, an annotation, ...: the cell holds something
            return
        if name == f"{_TABLE_NS}|table":
            self.row = self.max_row = self.max_col = 0
        elif name == f"{_TABLE_NS}|table-row":
            self.row_repeat = _repeat(attrs.get(f"{_TABLE_NS}|number-rows-repeated"))
            self.col = self.row_last_col = 0
            self.row_filled = False
        elif name in (f"{_TABLE_NS}|table-cell", f"{_TABLE_NS}|covered-table-cell"):
            self.in_cell = True
            self.cell_repeat = _repeat(attrs.get(f"{_TABLE_NS}|number-columns-repeated"))
            self.cell_filled = f"{_OFFICE_NS}|value-type" in attrs

    def _end(self, name: str) -> None:
        if name in (f"{_TABLE_NS}|table-cell", f"{_TABLE_NS}|covered-table-cell"):
            self.in_cell = False
            self.col += self.cell_repeat
            if self.cell_filled:
                self.row_last_col, self.row_filled = self.col, True
        elif name == f"{_TABLE_NS}|table-row" and not self.in_cell:
            self.row += self.row_repeat
            if self.row_filled:
                self.max_row = self.row
                self.max_col = max(self.max_col, self.row_last_col)
                if self.max_row * self.max_col > MAX_SHEET_CELLS:
                    raise _too_big(self.part, self.path, self.max_row, self.max_col)


def _repeat(value: str | None) -> int:
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


def check_ole(path: Path, *, extent: bool = True) -> None:
    """An OLE file is a legacy .xls, or an encrypted xlsx, or a WPS .et. Raise for the last two, and
    (``extent``) for an .xls whose used range is too large to read."""
    with path.open("rb") as fh:
        data = fh.read(1024 * 1024)
    utf16 = "EncryptionInfo".encode("utf-16-le")
    if utf16 in data or "EncryptedPackage".encode("utf-16-le") in data:
        raise EncryptedFileError("文件已加密（有打开密码），请去掉密码后再处理，或使用 --password", path=str(path))
    if path.suffix.lower() in (".et", ".ett"):
        raise UnsupportedFormatError("WPS .et 格式不受支持，请在 WPS 中另存为 .xlsx", path=str(path))
    if extent and path.stat().st_size <= MAX_UNCOMPRESSED:
        check_xls(path.read_bytes(), path)


# -- legacy .xls: the used range of each sheet, from the BIFF records of the Workbook stream -----------

_CELL_RECORDS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x001C}  # row, col first
_MUL_RECORDS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first col, ..., last col
_MERGED_CELLS, _BOF = 0x00E5, 0x0809


def check_xls(data: bytes, path: Path) -> None:
    """Refuse a legacy workbook whose sheets reach beyond :data:`MAX_SHEET_CELLS` (the format allows
    65,536 x 256; python-calamine then allocates every cell: 1.2 GB for cells at A1 and IV65536).
    A compound file this reader cannot follow is left to python-calamine (it reports it as corrupt)."""
    stream = _cfb_stream(data, ("Workbook", "Book"))
    if stream is None:
        return
    rows = cols = 0
    sheet = -1  # the first BOF opens the workbook globals
    pos, n = 0, len(stream)
    unpack = struct.unpack_from
    while pos + 4 <= n:
        rtype, size = unpack("<HH", stream, pos)
        body = pos + 4
        pos = body + size
        if pos > n:
            break
        if rtype in _CELL_RECORDS and size >= 4:
            r, c = unpack("<HH", stream, body)
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        elif rtype in _MUL_RECORDS and size >= 6:
            r = unpack("<H", stream, body)[0]
            rows, cols = max(rows, r + 1), max(cols, unpack("<H", stream, pos - 2)[0] + 1)
        elif rtype == _MERGED_CELLS and size >= 2:
            for k in range(min(unpack("<H", stream, body)[0], (size - 2) // 8)):
                _r0, r1, _c0, c1 = unpack("<HHHH", stream, body + 2 + 8 * k)
                rows, cols = max(rows, r1 + 1), max(cols, c1 + 1)
        elif rtype == _BOF:
            sheet += 1
            rows = cols = 0
        else:
            continue
        if rows * cols > MAX_SHEET_CELLS:
            raise _too_big(f"工作表 {max(sheet, 1)}", path, rows, cols)


def _cfb_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The named stream of an MS-CFB (OLE) compound file, or None when it cannot be followed."""
    try:
        if len(data) < 512 or data[:8] != OLE_MAGIC:
            return None
        ssz = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        mini_ssz = 1 << struct.unpack_from("<H", data, 0x20)[0]
        n_fat, first_dir, cutoff, first_mini, _n_mini, first_difat, n_difat = struct.unpack_from(
            "<I I 4x I I I I I", data, 0x2C)
        if ssz not in (512, 4096) or n_fat > len(data) // ssz + 1:
            return None
        total = len(data) // ssz  # sectors in the file: a chain can never be longer

        def sector(i: int) -> bytes:
            return data[(i + 1) * ssz:(i + 2) * ssz]

        fat_sectors = [x for x in struct.unpack_from("<109I", data, 0x4C) if x < 0xFFFFFFFA]
        d = first_difat
        for _ in range(min(n_difat, total)):
            if d >= 0xFFFFFFFA:
                break
            entries = struct.unpack(f"<{ssz // 4}I", sector(d))
            fat_sectors += [x for x in entries[:-1] if x < 0xFFFFFFFA]
            d = entries[-1]
        fat = b"".join(sector(i) for i in fat_sectors[:n_fat])
        fat_n = len(fat) // 4

        def chain(start: int, table: bytes, count: int) -> list[int]:
            out: list[int] = []
            while start < 0xFFFFFFFA and start < count and len(out) <= count:
                out.append(start)
                start = struct.unpack_from("<I", table, 4 * start)[0]
            return out

        directory = b"".join(sector(i) for i in chain(first_dir, fat, fat_n))
        entries = [directory[k:k + 128] for k in range(0, len(directory) - 127, 128)]
        if not entries:
            return None
        root_start, root_size = struct.unpack_from("<I", entries[0], 0x74)[0], struct.unpack_from("<Q", entries[0], 0x78)[0]
        for e in entries:
            name_len = struct.unpack_from("<H", e, 0x40)[0]
            name = e[:max(0, name_len - 2)].decode("utf-16-le", "replace")
            if e[0x42] != 2 or name not in names:
                continue
            start, size = struct.unpack_from("<I", e, 0x74)[0], struct.unpack_from("<Q", e, 0x78)[0]
            if size >= cutoff:
                return b"".join(sector(i) for i in chain(start, fat, fat_n))[:size]
            mini_fat = b"".join(sector(i) for i in chain(first_mini, fat, fat_n))
            mini_stream = b"".join(sector(i) for i in chain(root_start, fat, fat_n))[:root_size]
            return b"".join(mini_stream[i * mini_ssz:(i + 1) * mini_ssz]
                            for i in chain(start, mini_fat, len(mini_fat) // 4))[:size]
        return None
    except (struct.error, IndexError, ValueError):
        return None


def check_extension(path: Path) -> None:
    ext = path.suffix.lower()
    if ext in (".et", ".ett"):
        raise UnsupportedFormatError("WPS .et 格式不受支持，请在 WPS 中另存为 .xlsx", path=str(path))
    if ext in (".numbers", ".pdf", ".doc", ".docx", ".wps"):
        raise UnsupportedFormatError(f"不支持 {ext} 文件，请另存为 .xlsx", path=str(path))
