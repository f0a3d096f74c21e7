"""A small, deterministic [MS-CFB] compound file writer (version 3, 512-byte sectors).

Only what ``vbaProject.bin`` needs: storages and streams, no timestamps, no CLSIDs, no DIFAT sectors
(at most 109 FAT sectors, i.e. files up to about 6.8 MB). Directory entries are numbered in pre-order
of the given tree; siblings form a balanced red-black tree ordered as MS-CFB 2.6.4 requires (shorter
names first, then by upper-case code points), so readers that search the tree find every entry.

Layout, in sector order: FAT, MiniFAT, directory, mini stream, then each large stream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
MAX_HEADER_FAT = 109

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass(frozen=True)
class CfbStream:
    name: str
    data: bytes


@dataclass(frozen=True)
class CfbStorage:
    name: str
    children: list[CfbStream | CfbStorage] = field(default_factory=list)


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    return (len(name.encode("utf-16-le")) // 2, name.upper())


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _flatten(children: list[CfbStream | CfbStorage]) -> list[_Entry]:
    entries = [_Entry("Root Entry", _ROOT)]

    def add(parent: int, items: list[CfbStream | CfbStorage]) -> None:
        seen: set[str] = set()
        for item in items:
            if not 0 < len(item.name) <= 31 or any(c in item.name for c in "/\\:!"):
                raise ValueError(f"invalid compound file entry name: {item.name!r}")
            if item.name.upper() in seen:
                raise ValueError(f"duplicate compound file entry name: {item.name!r}")
            seen.add(item.name.upper())
            idx = len(entries)
            if isinstance(item, CfbStorage):
                entries.append(_Entry(item.name, _STORAGE))
                entries[parent].children.append(idx)
                add(idx, item.children)
            else:
                entries.append(_Entry(item.name, _STREAM, data=item.data))
                entries[parent].children.append(idx)

    add(0, children)
    return entries


def _build_tree(entries: list[_Entry], members: list[int]) -> int:
    """Link ``members`` into a balanced red-black tree; returns the root index."""
    if not members:
        return NOSTREAM
    ordered = sorted(members, key=lambda i: _sort_key(entries[i].name))
    depth: dict[int, int] = {}

    def build(lo: int, hi: int, d: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = ordered[mid]
        depth[node] = d
        entries[node].left = build(lo, mid, d + 1)
        entries[node].right = build(mid + 1, hi, d + 1)
        return node

    root = build(0, len(ordered), 0)
    n = len(ordered)
    perfect = (n + 1) & n == 0
    deepest = max(depth.values())
    for node, d in depth.items():
        # All levels above the last are full; a partial last level is coloured red so that every
        # path from the root to a leaf crosses the same number of black nodes.
        entries[node].color = _RED if (not perfect and d == deepest) else _BLACK
    return root


def _dir_entry(e: _Entry) -> bytes:
    if e.kind == 0:
        return b"\x00" * 64 + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + b"\x00" * 48
    name = e.name.encode("utf-16-le") + b"\x00\x00"
    entry = (
        name.ljust(64, b"\x00")
        + struct.pack("<HBBIII", len(name), e.kind, e.color, e.left, e.right, e.child)
        + b"\x00" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + struct.pack("<QQ", 0, 0)  # creation / modification time
        + struct.pack("<IQ", e.start, e.size)
    )
    if len(entry) != 128:
        raise AssertionError("directory entry is not 128 bytes")
    return entry


def write_compound_file(children: list[CfbStream | CfbStorage]) -> bytes:
    """Serialise the tree under the root storage into compound-file bytes."""
    entries = _flatten(children)
    for idx, entry in enumerate(entries):
        if entry.kind in (_ROOT, _STORAGE):
            entry.child = _build_tree(entries, entry.children)
        if idx == 0:
            entry.color = _BLACK

    # Mini stream: every stream shorter than the cutoff, each padded to 64 bytes.
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != _STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            entry.start = ENDOFCHAIN
        elif entry.size < MINI_CUTOFF:
            first = len(minifat)
            count = _ceil_div(entry.size, MINI_SECTOR)
            minifat += [first + k + 1 for k in range(count - 1)] + [ENDOFCHAIN]
            entry.start = first
            mini += entry.data.ljust(count * MINI_SECTOR, b"\x00")
        else:
            big.append(entry)

    n_minifat = _ceil_div(len(minifat) * 4, SECTOR)
    n_dir = _ceil_div(len(entries), SECTOR // 128)
    n_mini = _ceil_div(len(mini), SECTOR)
    n_big = [_ceil_div(len(e.data), SECTOR) for e in big]
    n_other = n_minifat + n_dir + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_other:
        n_fat += 1
    if n_fat > MAX_HEADER_FAT:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat: list[int] = [FATSECT] * n_fat
    next_sector = n_fat

    def chain(count: int) -> int:
        nonlocal next_sector
        if count == 0:
            return ENDOFCHAIN
        first = next_sector
        fat.extend([first + k + 1 for k in range(count - 1)] + [ENDOFCHAIN])
        next_sector += count
        return first

    first_minifat = chain(n_minifat)
    first_dir = chain(n_dir)
    entries[0].start = chain(n_mini)
    entries[0].size = len(mini)
    for entry, count in zip(big, n_big, strict=True):
        entry.start = chain(count)
    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))

    header = bytearray()
    header += bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIII", 0, n_fat, first_dir, 0, MINI_CUTOFF)
    header += struct.pack("<IIII", first_minifat, n_minifat, ENDOFCHAIN, 0)
    difat = list(range(n_fat)) + [FREESECT] * (MAX_HEADER_FAT - n_fat)
    header += struct.pack(f"<{MAX_HEADER_FAT}I", *difat)
    assert len(header) == SECTOR

    def pad(data: bytes | bytearray, sectors: int) -> bytes:
        return bytes(data).ljust(sectors * SECTOR, b"\x00")

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    out += minifat_bytes + struct.pack("<I", FREESECT) * (n_minifat * SECTOR // 4 - len(minifat))
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(_Entry("", 0)) * (n_dir * (SECTOR // 128) - len(entries))
    out += directory
    out += pad(mini, n_mini)
    for entry, count in zip(big, n_big, strict=True):
        out += pad(entry.data, count)
    if len(out) != SECTOR * (1 + next_sector):
        raise AssertionError("compound file layout is inconsistent")
    return bytes(out)
