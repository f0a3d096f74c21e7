"""Guards run before any parser sees a file: size caps, zip bombs, XML entity expansion, encryption.

Everything here reads the zip directory, then streams each XML part once through zlib, 1 MB at a
time and never kept (sizes counted, DTDs searched), so a hostile file is rejected quickly with
bounded memory before any parser sees it.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from ..errors import (
    EncryptedFileError,
    UnreadableFileError,
    UnsafeFileError,
    UnsupportedFormatError,
)

MAX_UNCOMPRESSED = int(os.environ.get("XLPERF_MAX_UNCOMPRESSED_MB", "300")) * 1024 * 1024
MAX_RATIO = 200  # per member; real sheet XML compresses 10-30x
MAX_ENTRIES = 10_000
MAX_TEXT_BYTES = 50 * 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DTD_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def sniff(path: Path) -> str:
    """'zip', 'ole', 'text' or 'empty' from the file's first bytes. Raises for missing/dirs."""
    if not path.exists():
        raise UnreadableFileError("文件不存在", path=str(path))
    if path.is_dir():
        raise UnreadableFileError("这是一个文件夹，不是工作簿文件", path=str(path))
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


def check_zip(path: Path, *, max_uncompressed: int | None = None) -> zipfile.ZipFile:
    """Open a zip after checking the declared sizes and the XML parts' prologues."""
    cap = MAX_UNCOMPRESSED if max_uncompressed is None else max_uncompressed
    try:
        zf = zipfile.ZipFile(path)
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
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")) and not info.filename.startswith(
            ("xl/theme/", "xl/printerSettings/")
        ):
            actual += _check_member(zf, info, path, cap - actual)
    return zf


def _check_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int) -> int:
    """Stream-decompress one XML part: reject a DTD in its prologue and a total beyond the cap.

    zipfile stops at the declared size and then fails the CRC check, so a member that lies about its
    size is reported as corrupt before any other parser reads it. Returns the bytes seen."""
    seen = 0
    limit = min(info.file_size, budget)
    tail = b""
    try:
        with zf.open(info) as fh:
            # a DTD belongs in the prologue, but comments can push it anywhere: every chunk is searched
            # (with the end of the previous one, for a declaration split across chunks)
            while chunk := fh.read(1 << 20):
                if _DTD_RE.search(tail + chunk):
                    raise UnsafeFileError(
                        f"{info.filename} 含有 DTD/实体声明（可能是 XML 炸弹），拒绝处理", path=str(path))
                tail = chunk[-16:]
                seen += len(chunk)
                if seen > limit:
                    break
    except UnsafeFileError:
        raise
    except Exception as exc:  # zlib.error, BadZipFile (CRC mismatch: data longer than declared), EOFError
        raise UnreadableFileError(f"文件已损坏（{info.filename} 无法解压）", path=str(path)) from exc
    if seen > limit:
        raise UnsafeFileError(
            f"疑似压缩炸弹：{info.filename} 实际解压大小超过声明大小或上限，拒绝处理", path=str(path)
        )
    return seen


def check_ole(path: Path) -> None:
    """An OLE file is a legacy .xls, or an encrypted xlsx, or a WPS .et. Raise for the last two."""
    with path.open("rb") as fh:
        data = fh.read(1024 * 1024)
    utf16 = "EncryptionInfo".encode("utf-16-le")
    if utf16 in data or "EncryptedPackage".encode("utf-16-le") in data:
        raise EncryptedFileError("文件已加密（有打开密码），请去掉密码后再处理，或使用 --password", path=str(path))
    if path.suffix.lower() in (".et", ".ett"):
        raise UnsupportedFormatError("WPS .et 格式不受支持，请在 WPS 中另存为 .xlsx", path=str(path))


def check_extension(path: Path) -> None:
    ext = path.suffix.lower()
    if ext in (".et", ".ett"):
        raise UnsupportedFormatError("WPS .et 格式不受支持，请在 WPS 中另存为 .xlsx", path=str(path))
    if ext in (".numbers", ".pdf", ".doc", ".docx", ".wps"):
        raise UnsupportedFormatError(f"不支持 {ext} 文件，请另存为 .xlsx", path=str(path))
