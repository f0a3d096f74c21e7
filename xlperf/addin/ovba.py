"""[MS-OVBA] writer: compression, the ``dir`` stream, ``PROJECT``, ``PROJECTwm`` and ``_VBA_PROJECT``.

The project is written *source only*: ``_VBA_PROJECT`` is the 7-byte header with version 0xFFFF and no
performance cache, and every module stream holds nothing but its compressed source (MODULEOFFSET 0), so
Office compiles the modules from source when the file is opened. xlwings' own
``quickstart_addin_ribbon.xlam`` is built the same way; the record sequence written here mirrors it.

Everything is deterministic: the project ID is derived from the project name, the CMG/DPB/GC
"encryption" uses a fixed seed, and the compressor makes the same choices for the same input.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import XlperfError
from .cfb import CfbStorage, CfbStream, write_compound_file

ModuleKind = Literal["standard", "class", "document"]

CODEPAGE = 1252
LCID = 0x0409
#: ``CC 61 FF FF 00 01 00``: reserved 0x61CC, version 0xFFFF (no p-code), reserved 0x00, reserved 0x0001.
VBA_PROJECT_SOURCE_ONLY = bytes.fromhex("CC61FFFF000100")

#: The Office object library (IRibbonControl lives there), as xlwings' ribbon add-in references it.
OFFICE_LIBID = (
    "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    "C:\\Program Files (x86)\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#"
    "Microsoft Office 16.0 Object Library"
)

#: ``VB_Base`` class IDs of the document/class modules Excel writes.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

DEFAULT_SEED = 0x5D


class VbaSourceError(XlperfError):
    """A VBA source file cannot go into the project as it is (encoding, line endings, name)."""

    kind = "vba-source"


@dataclass(frozen=True)
class VbaModule:
    """One module: its name, kind and source text exactly as it is stored in the module stream."""

    name: str
    kind: ModuleKind
    source: bytes


@dataclass(frozen=True)
class Reference:
    """A registered type-library reference (REFERENCENAME + REFERENCEREGISTERED)."""

    name: str
    libid: str


OFFICE_REFERENCE = Reference("Office", OFFICE_LIBID)


# --------------------------------------------------------------------------------------------------
# Compression (MS-OVBA 2.4.1)
# --------------------------------------------------------------------------------------------------

_CHUNK = 4096
_MAX_CANDIDATES = 64


def _copy_token_bits(position: int) -> int:
    """Number of offset bits of a CopyToken at ``position`` bytes into the decompressed chunk."""
    bits = 4
    while (1 << bits) < position:
        bits += 1
    return bits


def _compress_chunk(chunk: bytes) -> bytes:
    n = len(chunk)
    body = bytearray()
    index: dict[bytes, list[int]] = {}
    indexed = 0  # positions below this are in ``index``
    pos = 0
    while pos < n:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            while indexed < pos:
                if indexed + 3 <= n:
                    index.setdefault(chunk[indexed : indexed + 3], []).append(indexed)
                indexed += 1
            best_len = 0
            best_off = 0
            if pos > 0 and pos + 3 <= n:
                bits = _copy_token_bits(pos)
                max_len = min((0xFFFF >> bits) + 3, n - pos)
                candidates = index.get(chunk[pos : pos + 3], ())
                for cand in reversed(candidates[-_MAX_CANDIDATES:]):
                    if best_len and (
                        best_len >= max_len or chunk[cand + best_len] != chunk[pos + best_len]
                    ):
                        continue
                    length = 3
                    while length < max_len and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == max_len:
                            break
            if best_len >= 3:
                bits = _copy_token_bits(pos)
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                body += struct.pack("<H", token)
                flags |= 1 << bit
                pos += best_len
            else:
                body.append(chunk[pos])
                pos += 1
        body[flag_at] = flags
    if len(body) > _CHUNK:
        # Raw chunk: exactly 4096 bytes follow, padded with zeros per MS-OVBA 2.4.1.3.10.
        return struct.pack("<H", 0x3FFF) + chunk.ljust(_CHUNK, b"\x00")
    return struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + bytes(body)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data[start : start + _CHUNK])
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (used by the tests and for diagnostics)."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at {pos}")
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:
            out += data[pos : pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if flags & (1 << bit):
                    token = struct.unpack_from("<H", data, pos)[0]
                    pos += 2
                    bits = _copy_token_bits(len(out) - start)
                    length = (token & (0xFFFF >> bits)) + 3
                    offset = (token >> (16 - bits)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(data[pos])
                    pos += 1
    return bytes(out)


# --------------------------------------------------------------------------------------------------
# PROJECT stream "encryption" (MS-OVBA 2.4.3)
# --------------------------------------------------------------------------------------------------


def encrypt_data(data: bytes, project_id: str, seed: int = DEFAULT_SEED) -> str:
    """Data Encryption of [MS-OVBA] 2.4.3.2 with a fixed seed; returns the upper-case hex text."""
    version = 2
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unencrypted1 = proj_key
    encrypted1 = out[2]
    encrypted2 = out[1]
    ignored = bytes((seed & 6) // 2)
    payload = ignored + struct.pack("<I", len(data)) + data
    for byte in payload:
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    return out.hex().upper()


def decrypt_data(text: str, project_id: str | None = None) -> bytes:
    """Inverse of :func:`encrypt_data`; checks the version byte and, if given, the project key."""
    raw = bytes.fromhex(text)
    seed = raw[0]
    if raw[1] ^ seed != 2:
        raise ValueError("bad version in encrypted PROJECT value")
    proj_key = raw[2] ^ seed
    if project_id is not None and proj_key != sum(project_id.encode("ascii")) & 0xFF:
        raise ValueError("project key does not match the project ID")
    unencrypted1, encrypted1, encrypted2 = proj_key, raw[2], raw[1]
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    data = bytes(plain[ignored + 4 :])
    if len(data) != length:
        raise ValueError("length mismatch in encrypted PROJECT value")
    return data


# --------------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------------


def _mbcs(text: str) -> bytes:
    return text.encode("cp1252")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _rec(rec_id: int, data: bytes = b"") -> bytes:
    return struct.pack("<HI", rec_id, len(data)) + data


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def dir_stream(
    project_name: str,
    modules: Sequence[VbaModule],
    references: Sequence[Reference] = (OFFICE_REFERENCE,),
    *,
    version: tuple[int, int] = (1, 0),
) -> bytes:
    """The uncompressed ``dir`` stream: PROJECTINFORMATION, PROJECTREFERENCES, PROJECTMODULES."""
    out = bytearray()
    out += _rec(0x0001, _u32(1))  # PROJECTSYSKIND: 32-bit Windows, as in xlwings' add-in
    out += _rec(0x0002, _u32(LCID))  # PROJECTLCID
    out += _rec(0x0014, _u32(LCID))  # PROJECTLCIDINVOKE
    out += _rec(0x0003, _u16(CODEPAGE))  # PROJECTCODEPAGE
    out += _rec(0x0004, _mbcs(project_name))  # PROJECTNAME
    out += _rec(0x0005) + _rec(0x0040)  # PROJECTDOCSTRING (+ Unicode)
    out += _rec(0x0006) + _rec(0x003D)  # PROJECTHELPFILEPATH (+ second path)
    out += _rec(0x0007, _u32(0))  # PROJECTHELPCONTEXT
    out += _rec(0x0008, _u32(0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, version[0], version[1])  # PROJECTVERSION
    out += _rec(0x000C) + _rec(0x003C)  # PROJECTCONSTANTS (+ Unicode)
    for ref in references:
        out += _rec(0x0016, _mbcs(ref.name)) + _rec(0x003E, _utf16(ref.name))  # REFERENCENAME
        libid = _mbcs(ref.libid)
        out += _rec(0x000D, _u32(len(libid)) + libid + _u32(0) + _u16(0))  # REFERENCEREGISTERED
    out += _rec(0x000F, _u16(len(modules)))  # PROJECTMODULES
    out += _rec(0x0013, _u16(0xFFFF))  # PROJECTCOOKIE
    for mod in modules:
        out += _rec(0x0019, _mbcs(mod.name)) + _rec(0x0047, _utf16(mod.name))  # MODULENAME (+ Unicode)
        out += _rec(0x001A, _mbcs(mod.name)) + _rec(0x0032, _utf16(mod.name))  # MODULESTREAMNAME
        out += _rec(0x001C) + _rec(0x0048)  # MODULEDOCSTRING (+ Unicode)
        out += _rec(0x0031, _u32(0))  # MODULEOFFSET: source only
        out += _rec(0x001E, _u32(0))  # MODULEHELPCONTEXT
        out += _rec(0x002C, _u16(0xFFFF))  # MODULECOOKIE
        out += _rec(0x0021 if mod.kind == "standard" else 0x0022)  # MODULETYPE
        out += _rec(0x002B)  # terminator
    out += _rec(0x0010)  # dir terminator
    return bytes(out)


def project_id_for(project_name: str) -> str:
    """A fixed GUID per project name, in the ``{...}`` upper-case form of the PROJECT stream."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"xlperf:vba-project:{project_name}")).upper() + "}"


def project_stream(
    project_name: str, modules: Sequence[VbaModule], project_id: str, *, seed: int = DEFAULT_SEED
) -> bytes:
    """The ``PROJECT`` stream text (MBCS, CRLF), with an unprotected, visible project."""
    lines = [f'ID="{project_id}"']
    for mod in modules:
        if mod.kind == "document":
            lines.append(f"Document={mod.name}/&H00000000")
        elif mod.kind == "class":
            lines.append(f"Class={mod.name}")
        else:
            lines.append(f"Module={mod.name}")
    cmg = encrypt_data(_u32(0), project_id, seed)  # ProjectProtectionState: none
    dpb = encrypt_data(b"\x00", project_id, seed)  # ProjectPassword: none
    gc = encrypt_data(b"\xff", project_id, seed)  # ProjectVisibilityState: visible
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{cmg}"',
        f'DPB="{dpb}"',
        f'GC="{gc}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{mod.name}=0, 0, 0, 0, C" for mod in modules]
    return _mbcs("\r\n".join(lines) + "\r\n\r\n")


def projectwm_stream(modules: Sequence[VbaModule]) -> bytes:
    """``PROJECTwm``: each module name in MBCS and UTF-16, then a 0x0000 terminator."""
    out = bytearray()
    for mod in modules:
        out += _mbcs(mod.name) + b"\x00" + _utf16(mod.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


# --------------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------------


def check_source(name: str, source: bytes) -> None:
    """Refuse sources that would not round-trip: non-ASCII, bare CR/LF, missing VB_Name, no final CRLF."""
    where = f"VBA 模块 {name}"
    try:
        source.decode("ascii")
    except UnicodeDecodeError as exc:
        raise VbaSourceError(
            f"{where} 含非 ASCII 字符（第 {exc.start} 字节）；VBA 源码须为纯 ASCII，中文请放在功能区 XML 或 Python 中"
        ) from None
    if source.replace(b"\r\n", b"").count(b"\n") or source.replace(b"\r\n", b"").count(b"\r"):
        raise VbaSourceError(f"{where} 的换行不是 CRLF（可能被 git 的 autocrlf 改过）；请恢复为 CRLF 换行")
    if not source.endswith(b"\r\n"):
        raise VbaSourceError(f"{where} 须以 CRLF 结尾")
    first = source.split(b"\r\n", 1)[0]
    if first != f'Attribute VB_Name = "{name}"'.encode("ascii"):
        raise VbaSourceError(f'{where} 的第一行须为 Attribute VB_Name = "{name}"')


def document_module_source(name: str, base: str = WORKSHEET_BASE) -> bytes:
    """The stream text Excel writes for an empty document module (``ThisWorkbook`` or a sheet)."""
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def vba_project_bin(
    project_name: str,
    modules: Sequence[VbaModule],
    references: Sequence[Reference] = (OFFICE_REFERENCE,),
    *,
    seed: int = DEFAULT_SEED,
) -> bytes:
    """The complete ``vbaProject.bin`` (an MS-CFB compound file) for ``modules``."""
    names = [m.name for m in modules]
    if len({n.upper() for n in names}) != len(names):
        raise VbaSourceError(f"VBA 模块名重复：{names}")
    for mod in modules:
        if not mod.name.isascii() or not mod.name.replace("_", "a").isalnum() or len(mod.name) > 31:
            raise VbaSourceError(f"VBA 模块名无效：{mod.name!r}")
        check_source(mod.name, mod.source)
    project_id = project_id_for(project_name)
    vba = CfbStorage(
        "VBA",
        [
            CfbStream("_VBA_PROJECT", VBA_PROJECT_SOURCE_ONLY),
            CfbStream("dir", compress(dir_stream(project_name, modules, references))),
            *(CfbStream(m.name, compress(m.source)) for m in modules),
        ],
    )
    root = [
        vba,
        CfbStream("PROJECT", project_stream(project_name, modules, project_id, seed=seed)),
        CfbStream("PROJECTwm", projectwm_stream(modules)),
    ]
    return write_compound_file(root)
