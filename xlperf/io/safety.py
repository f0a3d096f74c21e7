"""Guards run before any parser sees a file: size caps, zip bombs, XML entity expansion, encryption.

Everything here reads the zip directory, then streams each XML part once through zlib, 1 MB at a
time and never kept (sizes counted, DTDs searched), so a hostile file is rejected quickly with
bounded memory before any parser sees it.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import struct
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import (
    EncryptedFileError,
    UnreadableFileError,
    UnsafeFileError,
    UnsupportedFormatError,
)
from . import xmlguard
from .xmlguard import Counts


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
_XML_SPACE = b" \t\r\n"
# the text of all cells of a workbook once shared strings are expanded (python-calamine copies a shared
# string into every cell that uses it: one 32,000-character string used by 100,000 cells is 3 GB)
MAX_SHEET_TEXT = env_limit("XLPERF_MAX_SHEET_TEXT_MB", 32, high=100_000) * 1_000_000
MAX_RUNS = xmlguard.MAX_RUNS
# members never read as XML by any reader (pictures, embedded binaries): not parsed
_BINARY_EXTS = (".png", ".jpeg", ".jpg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin", ".wdp",
                ".jfif", ".ico", ".pdf", ".mp3", ".mp4", ".wav", ".avi", ".mov", ".svgz", ".odttf", ".fntdata")


_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what Path.exists takes for "not there"


def sniff(path: Path) -> str:
    """'zip', 'ole', 'text' or 'empty' from the file's first bytes. Raises for missing/dirs."""
    try:
        mode = os.stat(path).st_mode  # (one stat: what Path.exists, is_dir and stat would each ask)
    except OSError as exc:
        if exc.errno not in _MISSING and getattr(exc, "winerror", None) not in (21, 123, 1921):
            # (as Path.exists: anything else is raised)
            raise
        if path.is_symlink():
            raise UnreadableFileError("符号链接无法解析（链接循环，或指向的文件不存在）", path=str(path)) from None
        raise UnreadableFileError("文件不存在", path=str(path)) from None
    except ValueError:  # as Path.exists: a name the system cannot take (a NUL in it)
        raise UnreadableFileError("文件不存在", path=str(path)) from None
    if stat.S_ISDIR(mode):
        raise UnreadableFileError("这是一个文件夹，不是工作簿文件", path=str(path))
    if not stat.S_ISREG(mode):  # a FIFO or a device: opening it would block
        raise UnreadableFileError("不是普通文件（可能是管道或设备文件）", path=str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # (no file object for eight bytes)
        try:
            head = os.read(fd, 8)
        finally:
            os.close(fd)
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
_IN_MEMORY = 8 << 20  # files up to this size are read into memory once (the zip directory and every member)
_KEEP_PART = 1 << 20  # parts up to this size are kept once inflated (CheckedZip.checked) ...
_KEEP_TOTAL = 8 << 20  # ... up to this much per workbook


class CheckedZip(zipfile.ZipFile):
    """A zip that passed :func:`check_zip`. ``checked`` holds the bytes of the small XML parts the check
    inflated in full (size and CRC verified), so that the reader does not inflate them a second time."""

    checked: dict[str, bytes]
    whole: bytes | None  # the file's bytes when check_zip read it whole (what the readers then read)
    guarded: dict[str, Counts | None]  # every member the guard read: what it asks the readers to build
    uncounted: set[str]  # members no relationship points at: streamed (sizes, DTD), not counted


def formula_tags(zf: zipfile.ZipFile, name: str) -> tuple[int, ...] | None:
    """Where ``<f`` stands in the bytes :func:`read_checked` gives for ``name``, when the guard found
    them in those very bytes (a part it kept); None otherwise (then the reader searches)."""
    kept = getattr(zf, "checked", None)
    counts = getattr(zf, "guarded", {}).get(name)
    if kept is None or name not in kept or counts is None:
        return None
    return counts.formula_tags


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
    whole = None
    try:
        if data is None:  # a file up to _IN_MEMORY is read once (one open); members are sliced out of it
            whole = _small_file(path)
            if whole is not None:
                data = io.BytesIO(whole)
        zf = CheckedZip(data if data is not None else path)
        zf.checked = {}
        zf.whole = whole
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
    zf.guarded = {}
    zf.uncounted = set()
    try:
        # relationships first: they say which parts a reader decodes (the others are only streamed)
        decoded: frozenset[str] | None = None
        for info in sorted(infos, key=lambda i: not i.filename.lower().endswith(".rels")):
            if guarded_member(info.filename):
                if decoded is None and not info.filename.lower().endswith(".rels"):
                    decoded = decoded_parts(zf)
                count = decoded is None or info.filename.lower() in decoded
                keep = info.file_size <= _KEEP_PART and kept + info.file_size <= _KEEP_TOTAL
                seen, counts = _check_member(zf, info, path, cap - actual, zf.checked if keep else None, count=count)
                actual += seen
                zf.guarded[info.filename] = counts
                if not count:
                    zf.uncounted.add(info.filename)
                if keep:
                    kept += info.file_size
        if any(i.filename.lower() == "xl/workbook.bin" for i in infos):
            # python-calamine reads a binary workbook (.xlsb) with its own reader, whose cells no XML guard
            # sees (one record at column 4,000,000,000 aborts the process): not read at all
            raise UnsupportedFormatError(XLSB_REFUSED, path=str(path))
        check_expansion(zf, path)
    except BaseException:
        zf.close()
        raise
    return zf


def _small_file(path: Path) -> bytes | None:
    """The bytes of the file at ``path`` when it holds at most :data:`_IN_MEMORY` bytes, else None."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > _IN_MEMORY:
            return None
        data = fh.read(size + 1)  # (until the end or one byte more; a buffer of the file's size, not the limit's)
        if len(data) > size:  # grown since: read from the file, as a large one
            return None
    return data


def guarded_member(name: str) -> bool:
    """Every member a reader may decode as XML, whatever its name (a sheet can be called anything its
    relationship says): all but pictures and embedded binaries, and the ``mimetype`` of an .ods."""
    low = name.lower()
    return not low.endswith(_BINARY_EXTS) and low != "mimetype" and not low.endswith("/")


# parts the readers open by their name, not through a relationship (python-calamine, openpyxl, .ods)
_FIXED_PARTS = frozenset({"xl/workbook.xml", "xl/sharedstrings.xml", "xl/styles.xml", "content.xml", "styles.xml",
                          "[content_types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"})


def decoded_parts(zf: zipfile.ZipFile) -> frozenset[str] | None:
    """The members (lower case) a reader may decode: the targets of every relationship, resolved every
    way a reader resolves them (from the relationship's folder, from ``xl/``, from the root), and the
    parts read by their fixed names. ``None`` when a relationships part cannot be parsed (then every
    member is counted)."""
    try:
        rels = tuple((name.lower(), read_checked(zf, name)) for name in zf.namelist() if name.lower().endswith(".rels"))
    except KeyError:
        return None
    if sum(len(data) for _, data in rels) > 64 * 1024:  # (copies of one template share their relationships)
        return _decoded_parts(rels)
    hit = _DECODED.get(rels)
    if hit is None:
        if len(_DECODED) >= 64:
            _DECODED.clear()
        hit = _DECODED[rels] = _decoded_parts(rels)
    return hit


_DECODED: dict[tuple[tuple[str, bytes], ...], frozenset[str] | None] = {}


def _decoded_parts(rels: tuple[tuple[str, bytes], ...]) -> frozenset[str] | None:
    import posixpath
    from xml.etree.ElementTree import ParseError, fromstring

    out = set(_FIXED_PARTS)
    for low, data in rels:
        try:
            root = fromstring(data)
        except (ParseError, ValueError):
            return None
        folder = posixpath.dirname(posixpath.dirname(low))  # D/_rels/N.rels: relative to D
        for el in root.iter():
            target = el.get("Target")
            if target is None or (el.get("TargetMode") or "").lower() == "external":
                continue
            t = target.replace("\\", "/").lower()
            out.add(t.lstrip("/"))
            out.add(posixpath.normpath(posixpath.join(folder, t)).lstrip("/"))
            out.add(posixpath.normpath("xl/" + t).lstrip("/"))
    return frozenset(out)


def guard_part(zf: zipfile.ZipFile, name: str, path: Path) -> None:
    """Count one more member (a sheet that :func:`check_zip` did not take for XML by its name, or did
    not count because no relationship it read pointed there)."""
    guarded = getattr(zf, "guarded", None)
    if guarded is None or (name in guarded and name not in zf.uncounted):
        return
    zf.uncounted.discard(name)
    info = zf.getinfo(name)
    seen, counts = _check_member(zf, info, path, MAX_UNCOMPRESSED, None)
    guarded[name] = counts
    check_expansion(zf, path)


def _check_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int,
                  keep: dict[str, bytes] | None = None, *, count: bool = True) -> tuple[int, Counts | None]:
    """Stream-decompress one part: reject a DTD in its prolog, a total beyond the cap, and what
    :mod:`xlperf.io.xmlguard` counts beyond the limits (the used range, cells, runs; ``content.xml`` of
    an .ods: its repeated rows and cells).

    zipfile stops at the declared size and then fails the CRC check, so a member that lies about its
    size is reported as corrupt before any other parser reads it (a small part inflated in one go by
    :func:`_inflate_raw` the same way). Returns the bytes seen and the part's counts. ``keep``: where
    to put the part's bytes when it was read whole in one chunk."""
    seen = 0
    limit = min(info.file_size, budget)
    guard: _OdsExtent | _PartGuard | _Uncounted
    try:
        raw = _raw_member(zf, info)
        memo_key = None
        if raw is not None:
            memo_key = (info.filename, count, info.compress_type, info.file_size, info.CRC, MAX_SHEET_CELLS, MAX_RUNS,
                        xmlguard.MAX_SCAN_WORK, raw)
            hit = _MEMBERS.get(memo_key)
            if hit is not None:  # the very same bytes passed every check below before: the same verdict
                if info.file_size > limit:
                    raise UnsafeFileError(
                        f"疑似压缩炸弹：{info.filename} 实际解压大小超过声明大小或上限，拒绝处理", path=str(path))
                data, counts = hit
                try:
                    _MEMBERS.move_to_end(memo_key)
                except KeyError:  # (another thread let it go meanwhile)
                    pass
                if keep is not None:
                    keep[info.filename] = data
                return info.file_size, _copy(counts)
        if not count:
            guard = _Uncounted()  # no reader decodes it: sizes and DTD only
        elif info.filename == "content.xml":
            guard = _OdsExtent(info.filename, path)
        else:
            guard = _PartGuard(zf, info, path)
        prolog = _Prolog()
        data = None if raw is None else _inflate_raw(info, raw)
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
            guard.feed(chunk, buf)
            tail = chunk[-32:]
            seen += len(chunk)
            if seen > limit:
                break
            n += 1
            last = chunk
        else:
            counts = guard.close()
            if keep is not None and n == 1 and seen == info.file_size:
                keep[info.filename] = last
            if memo_key is not None and data is not None and seen == info.file_size:
                _remember(memo_key, data, _copy(counts))
    except (UnsafeFileError, UnreadableFileError):
        raise
    except Exception as exc:  # zlib.error, BadZipFile (CRC mismatch: data longer than declared), EOFError
        raise UnreadableFileError(f"文件已损坏（{info.filename} 无法解压）", path=str(path)) from exc
    if seen > limit:
        raise UnsafeFileError(
            f"疑似压缩炸弹：{info.filename} 实际解压大小超过声明大小或上限，拒绝处理", path=str(path)
        )
    return seen, counts


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member inflated :data:`_CHUNK` bytes at a time by zipfile (which stops at the declared size
    and checks the CRC at the end)."""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


# members that passed _check_member, by their compressed bytes (and declared size, CRC, name and the limits
# in force): the copies of one template a batch is made of share most of their parts (styles, workbook,
# relationships, document properties), and the same bytes always inflate to the same part and counts.
# Least recently used first out, bounded by the bytes held.
_MEMBERS: OrderedDict[tuple[Any, ...], tuple[bytes, Counts | None]] = OrderedDict()
_MEMBERS_LOCK = threading.Lock()
_MEMBERS_BYTES = [0]
_MEMO_MEMBER = 256 * 1024  # members up to this size (inflated) are remembered, from the second time on ...
_MEMO_TOTAL = 4 << 20  # ... up to this much in all
_SEEN: set[tuple[Any, ...]] = set()  # members met once (by name, size and CRC)


def _copy(counts: Counts | None) -> Counts | None:
    """A copy of ``counts`` (check_expansion replaces what it recounts on the copy a workbook holds)."""
    if counts is None:
        return None
    new = object.__new__(Counts)
    new.__dict__.update(counts.__dict__)
    return new


def _remember(key: tuple[Any, ...], data: bytes, counts: Counts | None) -> None:
    size = len(data) + len(key[-1])
    if size > _MEMO_MEMBER:
        return
    seen = key[:5]  # (name, counted, method, size, CRC): a part met once is not kept (a form's own sheet)
    with _MEMBERS_LOCK:
        if seen not in _SEEN:
            if len(_SEEN) >= 4096:
                _SEEN.clear()
            _SEEN.add(seen)
            return
        if key in _MEMBERS:
            return
        _MEMBERS[key] = (data, counts)
        _MEMBERS_BYTES[0] += size
        while _MEMBERS_BYTES[0] > _MEMO_TOTAL and _MEMBERS:
            old, (old_data, _) = _MEMBERS.popitem(last=False)
            _MEMBERS_BYTES[0] -= len(old_data) + len(old[-1])


def _raw_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The compressed bytes of a small stored or deflated member (its local header checked), to inflate in one
    go with :func:`_inflate_raw` as ``zf.read`` would (at most its declared size, the CRC checked); ``None``
    for anything else (large, encrypted, other methods, flags zipfile refuses): those go through zipfile."""
    if (info.file_size >= _CHUNK or info.compress_size > _CHUNK or info.flag_bits & 0x61
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or zf.fp is None):
        return None
    fp = zf.fp
    at = info.header_offset
    whole = getattr(zf, "whole", None)
    if whole is not None:  # the file's bytes, read once by check_zip: slices
        head = whole[at:at + 30]
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local file header")
        flags, name_len, extra_len = _LOCAL_HEADER.unpack_from(head, 6)[0], *_NAME_EXTRA.unpack_from(head, 26)
        name = whole[at + 30:at + 30 + name_len]
        start = at + 30 + name_len + extra_len
        raw = whole[start:start + info.compress_size]
    elif isinstance(fp, io.BytesIO):  # the whole file in memory: slices, not reads
        buf = fp.getbuffer()
        try:
            head = bytes(buf[at:at + 30])
            if len(head) != 30 or head[:4] != b"PK\x03\x04":
                raise zipfile.BadZipFile("bad local file header")
            flags, name_len, extra_len = struct.unpack_from("<H", head, 6)[0], *struct.unpack_from("<HH", head, 26)
            name = bytes(buf[at + 30:at + 30 + name_len])
            start = at + 30 + name_len + extra_len
            raw = bytes(buf[start:start + info.compress_size])
        finally:
            buf.release()
    else:
        fp.seek(at)
        head = fp.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local file header")
        flags, name_len, extra_len = struct.unpack_from("<H", head, 6)[0], *struct.unpack_from("<HH", head, 26)
        name = fp.read(name_len)
        fp.seek(extra_len, 1)
        raw = fp.read(info.compress_size)
    if name.isascii():  # (every encoding a zip name may have agrees on ASCII)
        name_str = name.decode("ascii")
    else:
        name_str = name.decode("utf-8") if flags & 0x800 else name.decode(zf.metadata_encoding or "cp437")
    if name_str != info.orig_filename:
        raise zipfile.BadZipFile(f"file name in directory {info.orig_filename!r} and header {name!r} differ")
    return raw


_LOCAL_HEADER, _NAME_EXTRA = struct.Struct("<H"), struct.Struct("<HH")


def _inflate_raw(info: zipfile.ZipInfo, raw: bytes) -> bytes:
    """The member of ``raw`` (from :func:`_raw_member`) inflated: at most its declared size, the CRC checked."""
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


def _too_big(part: str, path: Path, rows: int, cols: int) -> UnsafeFileError:
    from ..core.grid import a1

    if rows * cols >= xmlguard._HUGE:
        corner = "超出 Excel 的最大范围"
    else:
        corner = f"A1:{a1(rows - 1, cols - 1)}"
    return UnsafeFileError(
        f"{part} 的单元格范围过大（{corner}，约 {rows * cols:,} 个单元格，上限 "
        f"{MAX_SHEET_CELLS:,}，可用 XLPERF_MAX_SHEET_CELLS 调整），疑似恶意文件，拒绝处理", path=str(path))


class _Uncounted:
    def feed(self, chunk: bytes, buf: bytes) -> None:
        pass

    def close(self) -> None:
        return None


class _PartGuard:
    """The counts of one OOXML part (:mod:`xlperf.io.xmlguard`): the fast proof on a part read in one
    piece (or chunk by chunk, :class:`xmlguard.ChunkProof`, for a part over 1 MB), else expat; then the
    limits."""

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
        self.zf, self.info, self.part, self.path = zf, info, info.filename, path
        self.first = True
        self.whole: bytes | None = None
        self.proof: xmlguard.ChunkProof | None = None  # (a part in several chunks only)
        self.hits = 0  # "<f" seen in the chunks (the formula scan's work grows with them)
        self.tail = b""

    def feed(self, chunk: bytes, buf: bytes) -> None:
        if self.first and len(chunk) == self.info.file_size:
            self.whole = chunk  # the part in one piece: this is the only call
            self.first = False
            return
        self.first = False
        if self.proof is None:
            self.proof = xmlguard.ChunkProof(MAX_SHEET_CELLS)
        self.proof.feed(chunk, buf)
        self.hits += chunk.count(b"<f") + (self.tail.endswith(b"<") and chunk.startswith(b"f"))
        self.tail = chunk[-1:]

    def close(self) -> xmlguard.Counts | None:
        if self.whole is not None:
            counts = xmlguard.fast(self.whole)
            canonical = counts is not None
            if counts is None or not self._within(counts):
                counts = exact_counts(self.whole, self.part, self.path)
        elif self.first:
            counts, canonical = xmlguard.Counts(), True  # an empty part
        else:
            assert self.proof is not None
            canonical = self.proof.spelled
            counts = self.proof.counts()
            if counts is None or not self._within(counts):
                counts = self._streamed_model()
        if counts is not None:
            counts.canonical = canonical
            check_counts(counts, self.part, self.path)
            if counts.cells:  # a sheet (or a part that may be read as one): the formula scan's work
                data = self.whole
                hits: int | None = None
                if data is not None:  # (the reader's formula scan starts from the same places)
                    counts.formula_tags = xmlguard.formula_tags(data)
                    hits = len(counts.formula_tags)
                elif self.hits * self.info.file_size > xmlguard.MAX_SCAN_WORK:
                    data = self.zf.read(self.info)
                work = xmlguard.scan_work(data, hits) if data is not None else self.hits * self.info.file_size
                if work > xmlguard.MAX_SCAN_WORK:
                    raise UnsafeFileError(f"{self.part} 的结构会让公式扫描反复读取（超过 {xmlguard.MAX_SCAN_WORK:,} "
                                          "字节），疑似恶意文件，拒绝处理", path=str(self.path))
        return counts

    def _streamed_model(self) -> xmlguard.Counts | None:
        """The model over the part inflated again chunk by chunk (bounded memory)."""
        model = self._model()
        try:
            for chunk in _chunks(self.zf, self.info):
                model.feed(chunk)
            model.feed(b"", True)
            return model.counts
        except xmlguard.ModelError:
            return exact_counts(self.zf.read(self.info), self.part, self.path)
        except xmlguard.DtdError:
            raise self._dtd() from None

    def _model(self) -> xmlguard.Model:
        return _new_model(self.part, self.path)

    def _dtd(self) -> UnsafeFileError:
        return UnsafeFileError(f"{self.part} 含有 DTD/实体声明（可能是 XML 炸弹），拒绝处理", path=str(self.path))

    @staticmethod
    def _within(counts: xmlguard.Counts) -> bool:
        return (counts.rows * counts.cols <= MAX_SHEET_CELLS and counts.cells <= MAX_SHEET_CELLS
                and counts.runs <= MAX_RUNS)


def _new_model(part: str, path: Path) -> xmlguard.Model:
    def over(what: str, a: int, b: int) -> None:
        if what == "cells":
            raise UnsafeFileError(f"{part} 的单元格超过 {MAX_SHEET_CELLS:,} 个（可用 XLPERF_MAX_SHEET_CELLS 调整），"
                                  "疑似恶意文件，拒绝处理", path=str(path))
        raise _too_big(part, path, a, b)

    return xmlguard.Model(cap_cells=MAX_SHEET_CELLS, cap_extent=MAX_SHEET_CELLS, on_extent=over)


def exact_counts(data: bytes, part: str, path: Path) -> xmlguard.Counts | None:
    """The model's counts of a part held whole. A part expat cannot read as it stands is read once more
    the way a lenient reader would (another declared encoding recoded; characters XML does not allow,
    and bytes that are not UTF-8, replaced); ``None`` for a VML drawing that is still not XML (no reader
    takes cells from one); refused as corrupt otherwise."""
    attempts = [data]
    recoded = xmlguard.recode(data)
    if recoded is not None:
        attempts.append(recoded)
    attempts.append(data.translate(_CONTROL_TO_SPACE).decode("utf-8", "replace").encode("utf-8"))
    for attempt in attempts:
        model = _new_model(part, path)
        try:
            model.feed(attempt, True)
            return model.counts
        except xmlguard.ModelError:
            continue
        except xmlguard.DtdError:
            raise UnsafeFileError(f"{part} 含有 DTD/实体声明（可能是 XML 炸弹），拒绝处理", path=str(path)) from None
    if part.lower().endswith(".vml"):
        return None
    raise UnreadableFileError(f"文件已损坏（{part} 不是合法的 XML）", path=str(path))


_CONTROL_TO_SPACE = bytes.maketrans(bytes(c for c in range(32) if c not in (9, 10, 13)), b" " * 29)


def check_counts(counts: xmlguard.Counts, part: str, path: Path) -> None:
    """Refuse a part whose counts (a bound that failed is recounted exactly first) are beyond a limit."""
    if counts.rows * counts.cols > MAX_SHEET_CELLS:
        raise _too_big(part, path, counts.rows, counts.cols)
    if counts.cells > MAX_SHEET_CELLS:
        raise UnsafeFileError(f"{part} 的单元格超过 {MAX_SHEET_CELLS:,} 个（可用 XLPERF_MAX_SHEET_CELLS 调整），"
                              "疑似恶意文件，拒绝处理", path=str(path))
    if counts.runs > MAX_RUNS:
        raise UnsafeFileError(f"{part} 中一段格式文本有 {counts.runs:,} 个格式片段（Excel 一个单元格最多 "
                              f"{MAX_RUNS:,} 个字符），疑似恶意文件，拒绝处理", path=str(path))


def spelled_otherwise(zf: zipfile.ZipFile, part: str) -> bool:
    """True when the guard found ``part`` spelled otherwise than the canonical subset (its cells are then
    read by a parse, :func:`xmlguard.scan_cells`, not by the readers' regular expressions)."""
    counts = getattr(zf, "guarded", {}).get(part)
    return counts is not None and not counts.canonical


def _part_bytes(zf: zipfile.ZipFile, name: str) -> bytes:
    return read_checked(zf, name)


def check_expansion(zf: zipfile.ZipFile, path: Path) -> None:
    """Refuse a workbook whose cells, once their shared strings are copied into them, hold more than
    :data:`MAX_SHEET_TEXT` characters. From the bounds first, counted exactly when they are not enough."""
    guarded: dict[str, xmlguard.Counts | None] = getattr(zf, "guarded", {})
    sheets = {n: c for n, c in guarded.items() if c is not None and c.shared_cells}
    tables = {n: c for n, c in guarded.items() if c is not None and c.longest_string}
    if not sheets or not tables:
        return
    longest = max(c.longest_string for c in tables.values())
    if sum(c.shared_cells for c in sheets.values()) * longest <= MAX_SHEET_TEXT:
        return
    for name in list(tables) + list(sheets):
        counts = guarded[name]
        if counts is None or counts.exact:
            continue
        if name not in tables:  # a sheet: only its shared-string references are needed (a lighter pass)
            refs = xmlguard.fast_shared_refs(_part_bytes(zf, name)) if counts.canonical else None
            if refs is None:
                refs = xmlguard.shared_refs(_chunks(zf, zf.getinfo(name)))
            if refs is not None:
                counts.shared_refs = refs
                continue
        exact = exact_counts(_part_bytes(zf, name), name, path)
        if exact is not None:
            exact.canonical = counts.canonical
        guarded[name] = exact
    sizes: list[int] = []
    for name in tables:
        strings = (guarded[name] or xmlguard.Counts()).strings or []
        if len(strings) > len(sizes):
            sizes += [0] * (len(strings) - len(sizes))
        for i, n in enumerate(strings):
            sizes[i] = max(sizes[i], n)
    total = 0
    for name in sheets:
        refs = (guarded[name] or xmlguard.Counts()).shared_refs or {}
        total += sum(sizes[i] * k for i, k in refs.items() if i < len(sizes))
    if total > MAX_SHEET_TEXT:
        raise UnsafeFileError(
            f"共享字符串复制到各单元格后文本过大（约 {total:,} 个字符，上限 {MAX_SHEET_TEXT:,}，可用 "
            "XLPERF_MAX_SHEET_TEXT_MB 调整），疑似恶意文件，拒绝处理", path=str(path))


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
        self.parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.row = self.row_repeat = self.col = self.cell_repeat = 0
        self.in_cell = self.cell_filled = self.row_filled = False
        self.row_last_col = self.max_row = self.max_col = 0

    def feed(self, chunk: bytes, buf: bytes) -> None:
        self.parser.Parse(chunk, False)

    def close(self) -> None:
        self.parser.Parse(b"", True)

    def _doctype(self, *args: object) -> None:
        raise UnsafeFileError(f"{self.part} 含有 DTD/实体声明（可能是 XML 炸弹），拒绝处理", path=str(self.path))

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
    Every stream python-calamine may take for the workbook is measured: ``Workbook`` or ``Book`` in any
    letter case (it finds ``WORKBOOK`` too). A compound file this reader cannot follow is left to
    python-calamine (it reports it as corrupt)."""
    for stream in _cfb_streams(data, ("WORKBOOK", "BOOK")):
        _check_biff(stream, path)


def _check_biff(stream: bytes, path: Path) -> None:
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
            # a new sheet (or the globals); a chart's BOF inside a sheet does not end the sheet's cells
            if size < 4 or unpack("<H", stream, body + 2)[0] in (0x0005, 0x0010):
                sheet += 1
                rows = cols = 0
        else:
            continue
        if rows * cols > MAX_SHEET_CELLS:
            raise _too_big(f"工作表 {max(sheet, 1)}", path, rows, cols)


def _cfb_streams(data: bytes, names: tuple[str, ...]) -> list[bytes]:
    """Every stream of an MS-CFB (OLE) compound file whose name is one of ``names`` (upper case; compared
    without case), in directory order; none when the file cannot be followed."""
    try:
        if len(data) < 512 or data[:8] != OLE_MAGIC:
            return []
        ssz = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        mini_ssz = 1 << struct.unpack_from("<H", data, 0x20)[0]
        n_fat, first_dir, cutoff, first_mini, _n_mini, first_difat, n_difat = struct.unpack_from(
            "<I I 4x I I I I I", data, 0x2C)
        if ssz not in (512, 4096) or n_fat > len(data) // ssz + 1:
            return []
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
            return []
        found: list[bytes] = []
        root_start, root_size = struct.unpack_from("<I", entries[0], 0x74)[0], struct.unpack_from("<Q", entries[0], 0x78)[0]
        for e in entries:
            name_len = struct.unpack_from("<H", e, 0x40)[0]
            name = e[:max(0, name_len - 2)].decode("utf-16-le", "replace")
            if e[0x42] != 2 or name.upper() not in names:
                continue
            start, size = struct.unpack_from("<I", e, 0x74)[0], struct.unpack_from("<Q", e, 0x78)[0]
            if size >= cutoff:
                found.append(b"".join(sector(i) for i in chain(start, fat, fat_n))[:size])
                continue
            mini_fat = b"".join(sector(i) for i in chain(first_mini, fat, fat_n))
            mini_stream = b"".join(sector(i) for i in chain(root_start, fat, fat_n))[:root_size]
            found.append(b"".join(mini_stream[i * mini_ssz:(i + 1) * mini_ssz]
                                  for i in chain(start, mini_fat, len(mini_fat) // 4))[:size])
        return found
    except (struct.error, IndexError, ValueError):
        return []


XLSB_REFUSED = "不支持 .xlsb 二进制工作簿，请在 Excel 中另存为 .xlsx"


def check_extension(path: Path) -> None:
    ext = path.suffix.lower()
    if ext == ".xlsb":
        raise UnsupportedFormatError(XLSB_REFUSED, path=str(path))
    if ext in (".et", ".ett"):
        raise UnsupportedFormatError("WPS .et 格式不受支持，请在 WPS 中另存为 .xlsx", path=str(path))
    if ext in (".numbers", ".pdf", ".doc", ".docx", ".wps"):
        raise UnsupportedFormatError(f"不支持 {ext} 文件，请另存为 .xlsx", path=str(path))
