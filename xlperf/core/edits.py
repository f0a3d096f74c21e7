"""What the core asks an adapter to do to a sheet: a list of small, plain edits.

The file adapter (:mod:`xlperf.io.xlsx`, openpyxl) and the live adapter (:mod:`xlperf.excel`,
xlwings) both apply the same list, so no logic is duplicated per adapter. Edits are applied in order;
coordinates (0-based) refer to the sheet as it is when the edit is applied (after earlier
``InsertRows``). ``sheet=None`` means the form's own sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .grid import a1


@dataclass(frozen=True)
class Edit:
    def describe(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__


@dataclass(frozen=True)
class SetValue(Edit):
    """Write a literal value. Text is always written as text, never as a formula."""

    row: int
    col: int
    value: Any
    old: Any = None
    sheet: str | None = None
    number_format: str | None = None

    def describe(self) -> str:
        return f"{a1(self.row, self.col)}: {self.old!r} -> {self.value!r}"


@dataclass(frozen=True)
class SetFormula(Edit):
    """Write a live formula (with leading ``=``)."""

    row: int
    col: int
    formula: str
    old: Any = None
    sheet: str | None = None

    def describe(self) -> str:
        return f"{a1(self.row, self.col)}: {self.old!r} -> {self.formula}"


@dataclass(frozen=True)
class InsertRows(Edit):
    """Insert ``count`` empty rows before ``row``; everything at or below moves down, references,
    merges, data validations and the print area follow. New rows copy the style of ``style_from``."""

    row: int
    count: int
    style_from: int | None = None
    sheet: str | None = None

    def describe(self) -> str:
        return f"在第 {self.row + 1} 行前插入 {self.count} 行"


@dataclass(frozen=True)
class Merge(Edit):
    r0: int
    c0: int
    r1: int
    c1: int
    sheet: str | None = None

    def describe(self) -> str:
        return f"合并 {a1(self.r0, self.c0)}:{a1(self.r1, self.c1)}"


@dataclass(frozen=True)
class Unmerge(Edit):
    r0: int
    c0: int
    r1: int
    c1: int
    sheet: str | None = None

    def describe(self) -> str:
        return f"取消合并 {a1(self.r0, self.c0)}:{a1(self.r1, self.c1)}"


@dataclass(frozen=True)
class SetFill(Edit):
    """Solid fill with an RGB hex colour (``"FFC7CE"``), or ``None`` to remove the fill."""

    row: int
    col: int
    color: str | None
    sheet: str | None = None

    def describe(self) -> str:
        return f"{a1(self.row, self.col)}: 填充 {self.color or '无'}"


@dataclass(frozen=True)
class RestoreFill(Edit):
    """Put back a fill recorded as an ``xml:<fill>`` descriptor (see :mod:`xlperf.core.marks`); an
    adapter that cannot read the descriptor removes the fill."""

    row: int
    col: int
    spec: str
    sheet: str | None = None

    def describe(self) -> str:
        return f"{a1(self.row, self.col)}: 恢复原填充"


@dataclass(frozen=True)
class SetNote(Edit):
    """Cell note (comment) text, or ``None`` to remove it."""

    row: int
    col: int
    text: str | None
    author: str = "xlperf"
    sheet: str | None = None

    def describe(self) -> str:
        return f"{a1(self.row, self.col)}: 批注 {self.text!r}"


@dataclass(frozen=True)
class WriteTable(Edit):
    """Replace the content of ``sheet`` (created if missing) with a header row and rows.

    ``links`` maps (row index in ``rows``, column) to an internal target such as ``"'表'!E12"``.
    ``hidden`` hides the sheet (used for xlperf's own bookkeeping).
    """

    sheet: str
    header: list[str]
    rows: list[list[Any]]
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: bool = False
    widths: list[float] | None = None

    def describe(self) -> str:
        return f"工作表「{self.sheet}」：{len(self.rows)} 行"


@dataclass(frozen=True)
class DeleteSheet(Edit):
    sheet: str

    def describe(self) -> str:
        return f"删除工作表「{self.sheet}」"


def describe(edits: list[Edit]) -> list[str]:
    return [e.describe() for e in edits]
