"""The snapshot adapter of :class:`xlperf.workbook.Workbook`: a sheet as the WPS add-in reads it.

The WPS 表格 add-in (``xlperf/addin/wps/``) reads the active sheet's used range in one call and sends
it to ``xlperf serve`` as JSON (:class:`Snapshot`)::

    {"sheet": "Sheet1", "cells": {"A1": "部门整体支出绩效目标表", "E10": 120, ...},
     "formulas": {"C6": "=SUM(E10:E52)"}, "merges": ["A10:A12"], "formats": {"K12": "0%"},
     "fills": {"B3": "FFC7CE"}, "notes": {"B3": "..."},
     "sheets": [{"name": "Sheet1", "active": true}, {"name": "_xlperf_marks", "hidden": true}],
     "tables": {"_xlperf_marks": [[...], ...]}, "others": {"表2": {"fills": {}, "notes": {}}}}

``cells`` are ``Range.Value2`` (numbers, text, booleans; a date is its serial number, read back as a
date where its number format is a date format); ``formats`` the number formats of the numeric cells.
The grid is built by :meth:`Grid.read <xlperf.core.grid.Grid.read>`, as every reader's is.

:class:`SnapshotBook` never changes anything: :meth:`~SnapshotBook.apply` records the edit list, and
:func:`plan_json` serialises it for the page, which applies it with the ET object model exactly as
:class:`xlperf.excel.LiveWriter` applies it with xlwings (values and formulas, fills, notes, rows,
merges, sheets).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core.edits import (
    DeleteSheet,
    Edit,
    InsertRows,
    Merge,
    RestoreFill,
    SetFill,
    SetFormula,
    SetNote,
    SetValue,
    Unmerge,
    WriteTable,
)
from ..core.grid import Grid, MergedRange, a1, parse_a1
from ..errors import UnreadableFileError, XlperfError
from ..workbook import SheetInfo

MAX_CELLS = 1_000_000  # a snapshot beyond this is formatting run down whole columns, not a form
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
_EPOCH = _dt.datetime(1899, 12, 30)
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')

Scalar = str | bool | int | float | None


class SheetInfoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=31)
    hidden: bool = False
    active: bool = False


class Styles(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fills: dict[str, str] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)


def _check_refs(refs: Iterable[str]) -> None:
    for ref in refs:
        r, c = parse_a1(ref)  # ValueError: pydantic turns it into a validation error
        if r >= MAX_ROWS or c >= MAX_COLS:
            raise ValueError(f"cell outside the sheet: {ref}")


class Snapshot(BaseModel):
    """One sheet as the page read it, plus what marking needs (fills, notes, the bookkeeping table)."""

    model_config = ConfigDict(extra="forbid")

    sheet: str = Field(min_length=1, max_length=31)
    cells: dict[str, Scalar] = Field(default_factory=dict)
    formulas: dict[str, str] = Field(default_factory=dict)
    merges: list[str] = Field(default_factory=list)
    formats: dict[str, str] = Field(default_factory=dict)
    fills: dict[str, str] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)
    sheets: list[SheetInfoIn] = Field(default_factory=list)
    tables: dict[str, list[list[Scalar]]] = Field(default_factory=dict)
    others: dict[str, Styles] = Field(default_factory=dict)
    book: str = Field(default="WPS 工作簿", max_length=260)
    path: str | None = Field(default=None, max_length=4096)
    selection: str | None = None  # the selected cell (A1), for 插入标准指标

    @field_validator("cells", "formulas", "formats", "fills", "notes")
    @classmethod
    def _refs(cls, v: dict[str, Any]) -> dict[str, Any]:
        if len(v) > MAX_CELLS:
            raise ValueError(f"more than {MAX_CELLS} cells")
        _check_refs(v)
        return v

    @field_validator("merges")
    @classmethod
    def _merges(cls, v: list[str]) -> list[str]:
        for ref in v:
            start, _, end = ref.partition(":")
            _check_refs([start, end or start])
        return v

    @field_validator("selection")
    @classmethod
    def _selection(cls, v: str | None) -> str | None:
        if v:
            _check_refs([v.split(":")[0]])
        return v

    @classmethod
    def parse(cls, data: Any) -> Snapshot:
        """A snapshot from decoded JSON; anything malformed is one Chinese line."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise XlperfError(f"工作表快照格式不正确（{where}：{first.get('msg')}）") from None


def is_date_format(number_format: str | None) -> bool:
    """Whether a number format shows its number as a date (``yyyy-mm-dd``, ``yyyy"年"m"月"d"日"``)."""
    if not number_format or number_format == "General":
        return False
    bare = _QUOTED.sub("", number_format).lower()
    return bool(re.search(r"[yd]", bare) or re.search(r"m.*[/-]|[/-].*m", bare))


def _merge(ref: str) -> MergedRange:
    start, _, end = ref.partition(":")
    r0, c0 = parse_a1(start)
    r1, c1 = parse_a1(end or start)
    return MergedRange(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))


class SnapshotBook:
    """A :class:`Snapshot` as a :class:`~xlperf.workbook.Workbook` whose :meth:`apply` records the plan."""

    writable = True
    replaces = True

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.label = snapshot.book
        self.path: Path | None = Path(snapshot.path) if snapshot.path and Path(snapshot.path).is_absolute() else None
        self.plan: list[tuple[str, Edit]] = []  # (sheet the edit list was applied to, edit)
        names = [s.name for s in snapshot.sheets]
        if snapshot.sheet not in names:
            infos = [SheetInfo(snapshot.sheet, active=True)] + [SheetInfo(s.name, s.hidden) for s in snapshot.sheets]
        else:
            infos = [SheetInfo(s.name, s.hidden, s.name == snapshot.sheet) for s in snapshot.sheets]
        self._sheets = infos
        self._grid: Grid | None = None

    def sheets(self) -> list[SheetInfo]:
        return list(self._sheets)

    def grid(self, name: str) -> Grid:
        snap = self.snapshot
        if name != snap.sheet:
            raise UnreadableFileError(f"快照只有当前工作表「{snap.sheet}」，没有「{name}」", path=self.label)
        if self._grid is None:
            formats = {parse_a1(k): f for k, f in snap.formats.items()}
            values: dict[tuple[int, int], Any] = {}
            for ref, v in snap.cells.items():
                key = parse_a1(ref)
                if isinstance(v, (int, float)) and not isinstance(v, bool) and is_date_format(formats.get(key)):
                    try:
                        v = _EPOCH + _dt.timedelta(days=float(v))
                    except (OverflowError, ValueError):
                        pass
                values[key] = v
            formulas = {parse_a1(k): f for k, f in snap.formulas.items() if f.startswith("=")}
            self._grid = Grid.read(values, sheet=snap.sheet, formulas=formulas,
                                   merges=[_merge(m) for m in snap.merges], formats=formats, source=self.label)
        return self._grid

    def styles(self, name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        snap = self.snapshot
        if name == snap.sheet:
            fills, notes = snap.fills, snap.notes
        elif name in snap.others:
            fills, notes = snap.others[name].fills, snap.others[name].notes
        else:
            return {}
        out = {}
        for r, c in cells:
            if r < 0 or c < 0:
                continue
            ref = a1(r, c)
            out[(r, c)] = (fills.get(ref, ""), notes.get(ref), None)
        return out

    def table(self, name: str) -> list[list[Any]]:
        rows = self.snapshot.tables.get(name) or []
        return [list(r) for r in rows[1:] if any(v not in (None, "") for v in r)]

    def header(self, name: str) -> list[Any]:
        """The page sends the first row of xlperf's own sheets (校验结果, the bookkeeping sheet) in ``tables``."""
        if name == self.snapshot.sheet:
            from .books import first_row

            return first_row(self.grid(name))
        rows = self.snapshot.tables.get(name) or []
        return list(rows[0]) if rows else []

    def apply(self, name: str, edits: Sequence[Edit], merges: Sequence[Any] = ()) -> None:
        self.plan.extend((name, e) for e in edits)

    def backup(self) -> Path | None:
        return None  # the page keeps the copy: WPS saves it before applying the plan

    def save(self) -> Path | None:
        return None

    def close(self) -> None:
        pass

    @property
    def edits(self) -> list[Edit]:
        return [e for _, e in self.plan]


# -- the plan, serialised for the page ------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, _dt.datetime):
        return (value - _EPOCH).total_seconds() / 86400
    if isinstance(value, _dt.date):
        return (_dt.datetime.combine(value, _dt.time()) - _EPOCH).days
    return value


def _typed(value: Any) -> Any:
    """What the page assigns to ``Range.Value2`` so that the cell holds ``value`` (text never a formula):
    the rule of :func:`xlperf.excel.literal`."""
    from ..excel import literal

    return _json_value(literal(value))


def edit_json(edit: Edit, sheet: str) -> dict[str, Any]:
    """One edit as the page applies it: ``op``, the sheet (``sheet`` for the form's own), A1 addresses,
    and for values what to assign (``input``)."""
    from ..excel import _fill_color

    if isinstance(edit, SetValue):
        fmt = edit.number_format
        if fmt is None and isinstance(edit.value, _dt.date):
            fmt = "yyyy-mm-dd"
        return {"op": "SetValue", "sheet": edit.sheet or sheet, "cell": a1(edit.row, edit.col),
                "value": _json_value(edit.value), "input": _typed(edit.value), "number_format": fmt}
    if isinstance(edit, SetFormula):
        return {"op": "SetFormula", "sheet": edit.sheet or sheet, "cell": a1(edit.row, edit.col), "formula": edit.formula}
    if isinstance(edit, (SetFill, RestoreFill)):
        spec = edit.color if isinstance(edit, SetFill) else edit.spec
        color = _fill_color(spec)
        return {"op": "SetFill", "sheet": edit.sheet or sheet, "cell": a1(edit.row, edit.col),
                "color": color[1:] if color else None}
    if isinstance(edit, SetNote):
        return {"op": "SetNote", "sheet": edit.sheet or sheet, "cell": a1(edit.row, edit.col), "text": edit.text}
    if isinstance(edit, InsertRows):
        return {"op": "InsertRows", "sheet": edit.sheet or sheet, "row": edit.row + 1, "count": edit.count,
                "style_from": None if edit.style_from is None else edit.style_from + 1}
    if isinstance(edit, (Merge, Unmerge)):
        return {"op": type(edit).__name__, "sheet": edit.sheet or sheet,
                "range": f"{a1(edit.r0, edit.c0)}:{a1(edit.r1, edit.c1)}"}
    if isinstance(edit, WriteTable):
        width = max([len(edit.header)] + [len(r) for r in edit.rows])
        rows = [list(edit.header) + [None] * (width - len(edit.header))]
        rows += [list(r) + [None] * (width - len(r)) for r in edit.rows]
        return {"op": "WriteTable", "sheet": edit.sheet, "header": len(edit.header), "rows": [[_json_value(v) for v in r] for r in rows],
                "input": [[_typed(v) for v in r] for r in rows], "hidden": edit.hidden, "widths": edit.widths,
                "links": [{"cell": a1(i + 1, c), "target": t, "text": str(edit.rows[i][c])}
                          for (i, c), t in sorted(edit.links.items())]}
    if isinstance(edit, DeleteSheet):
        return {"op": "DeleteSheet", "sheet": edit.sheet}
    raise TypeError(f"no serialisation for {type(edit).__name__}")  # pragma: no cover - a new edit type


def plan_json(book: SnapshotBook) -> list[dict[str, Any]]:
    """The recorded edit plan, in order, as JSON-ready dicts."""
    return [edit_json(e, name) for name, e in book.plan]


__all__ = ["Snapshot", "SnapshotBook", "edit_json", "is_date_format", "plan_json"]
