"""The file adapters of :class:`xlperf.workbook.Workbook`.

* :class:`FastBook`: any workbook (``.xlsx .xlsm .xls .ods``; ``.xlsb`` is refused by the safety check)
  read with python-calamine, plus one scan of each sheet's XML for formulas and percent-formatted cells;
  read-only, fast;
* :class:`FileBook`: an ``.xlsx``/``.xlsm`` loaded with openpyxl, for the features that change the
  workbook; its :meth:`~FileBook.save` writes ``-o OUT``, ``NAME.xlperf.xlsx`` or, in place, the input
  itself after a backup (refusing files whose parts openpyxl would drop);
* :class:`TextBook`: tab-separated text as copied out of Excel; read-only.

:func:`open_book` picks one. Every file goes through :mod:`xlperf.io.safety` before any parser sees it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.edits import Edit
from ..core.grid import Grid, MergedRange
from ..errors import UnreadableFileError, UnsupportedFormatError
from ..workbook import SheetInfo
from .readers import TEXT_EXTS, ZIP_EXTS


class _Base:
    label: str
    path: Path | None
    writable = False
    read_only_reason = "只能读取，不能修改"

    def styles(self, name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        return {}

    def header(self, name: str) -> list[Any]:
        if name not in [s.name for s in self.sheets()]:  # type: ignore[attr-defined]
            return []
        return first_row(self.grid(name))  # type: ignore[attr-defined]

    def apply(self, name: str, edits: Sequence[Edit], merges: Sequence[Any] = ()) -> None:
        if edits:
            raise UnsupportedFormatError(self.read_only_reason, path=self.label)

    def backup(self) -> Path | None:
        return None

    def save(self) -> Path | None:
        return None

    def close(self) -> None:
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def first_row(grid: Grid) -> list[Any]:
    """Row 1 of a grid, A to its last filled column."""
    cols = [c for r, c in grid.values if r == 0]
    return [grid.get(0, c) for c in range(max(cols) + 1)] if cols else []


class TextBook(_Base):
    """Text pasted out of Excel: one sheet, 粘贴文本."""

    read_only_reason = "粘贴文本不能直接修改；请先用 xlperf import 转为 .xlsx"

    def __init__(self, source: str | Path, *, label: str | None = None) -> None:
        from .readers import read_text

        self.path = source if isinstance(source, Path) else None
        self.label = label or (str(source) if isinstance(source, Path) else "粘贴文本")
        self._grid = read_text(source)

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(self._grid.sheet, active=True)]

    def grid(self, name: str) -> Grid:
        return self._grid

    def table(self, name: str) -> list[list[Any]]:
        return []


@lru_cache(maxsize=8192)
def _merged_range(r0: int, c0: int, r1: int, c1: int) -> MergedRange:
    """A merged block (immutable, so shared): the forms of a batch repeat the same blocks."""
    return MergedRange(r0, c0, r1, c1)


class FastBook(_Base):
    """A workbook read with python-calamine; sheets are read when asked for."""

    read_only_reason = "只读方式打开的工作簿不能修改"

    def __init__(self, path: str | Path, *, password: str | None = None, _kind: str | None = None) -> None:
        from . import readers

        self.path = Path(path)
        self.label = str(path)
        self._wb, self._zf = readers._open_calamine(self.path, password, _kind)
        if self._wb is None:  # not a workbook at all
            raise UnreadableFileError("不是可识别的工作簿", path=self.label)
        try:
            names = list(self._wb.sheet_names)
            hidden = {m.name for m in self._wb.sheets_metadata if str(m.visible) != "SheetVisibleEnum.Visible"}
            self._parts: dict[str, str] = {}
            self._percent: frozenset[int] = frozenset()
            active = None
            if self._zf is not None:
                info = readers.workbook_info(self._zf)
                self._parts = info.parts
                active = info.active
                self._percent = readers.percent_styles(self._zf)
            visible = [n for n in names if n not in hidden]
            if active is None or active >= len(names) or names[active] in hidden:
                active_name = visible[0] if visible else None
            else:
                active_name = names[active]
            self._sheets = [SheetInfo(n, hidden=n in hidden, active=n == active_name) for n in names]
        except BaseException:
            self.close()
            raise

    def sheets(self) -> list[SheetInfo]:
        return list(self._sheets)

    def grid(self, name: str) -> Grid:
        from .readers import _calamine_error, scan_sheet

        try:
            sh = self._wb.get_sheet_by_name(name)
            rows = sh.to_python(skip_empty_area=False) if sh.height else []
            merges = [_merged_range(a[0], a[1], b[0], b[1]) for a, b in (sh.merged_cell_ranges or [])]
        except Exception as exc:
            raise _calamine_error(exc, self.path) from exc
        formulas: dict[tuple[int, int], str] = {}
        formats: dict[tuple[int, int], str] = {}
        if self._zf is not None and name in self._parts:
            formulas, percent = scan_sheet(self._zf, self._parts[name], self._percent)
            formats = {k: "0%" for k in percent}
        return Grid.read_rows(rows, sheet=name, formulas=formulas, merges=merges, formats=formats, source=self.label)

    def table(self, name: str) -> list[list[Any]]:
        if name not in [s.name for s in self._sheets]:
            return []
        rows = [list(r) for r in self.grid(name).rows()]
        return [r for r in rows[1:] if any(v not in (None, "") for v in r)]

    def close(self) -> None:
        wb, zf = getattr(self, "_wb", None), getattr(self, "_zf", None)
        self._wb = self._zf = None
        if wb is not None:
            wb.close()
        if zf is not None:
            zf.close()


class FileBook(_Base):
    """An ``.xlsx``/``.xlsm`` loaded with openpyxl, to be changed and saved.

    ``out`` (``-o``), ``in_place`` (the input itself, after a backup) or by default
    ``NAME.xlperf.xlsx`` beside the input. Outputs are plain ``.xlsx`` (never a macro project)."""

    writable = True

    def __init__(self, path: str | Path, *, out: str | Path | None = None, in_place: bool = False,
                 lock: bool = True) -> None:
        from .readers import open_workbook
        from .xlsx import resolve_output

        self.path = Path(path)
        self.label = str(path)
        self._lock: WriteLock | None = None
        if not self.path.exists():
            raise UnreadableFileError("文件不存在", path=self.label)
        if self.path.suffix.lower() in TEXT_EXTS:
            raise UnsupportedFormatError(TextBook.read_only_reason, path=self.label)
        self.target, self.replaces = resolve_output(self.path, out, in_place)
        if lock:  # before reading: a second writer must not read what the first is about to replace
            self._lock = WriteLock(self.target)
        try:
            # never keep_vba: outputs are .xlsx and must not carry a macro project
            self.wb = open_workbook(self.path)
        except BaseException:
            self.close()
            raise
        self._backup: Path | None = None

    def sheets(self) -> list[SheetInfo]:
        active = self.wb.active.title if self.wb.worksheets else None
        return [SheetInfo(ws.title, hidden=ws.sheet_state != "visible", active=ws.title == active)
                for ws in self.wb.worksheets]

    def grid(self, name: str) -> Grid:
        from .readers import grid_from_worksheet

        return grid_from_worksheet(self.wb[name], source=self.label)

    def styles(self, name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        from .xlsx import fill_spec

        if name not in self.wb.sheetnames:
            return {}
        ws = self.wb[name]
        out = {}
        for r, c in cells:
            if r < 0 or c < 0:
                continue
            cell = ws._cells.get((r + 1, c + 1))  # never create cells just to look at them
            if cell is None:
                out[(r, c)] = ("", None, None)
                continue
            note = cell.comment
            out[(r, c)] = (fill_spec(cell), note.text if note else None, note.author if note else None)
        return out

    def table(self, name: str) -> list[list[Any]]:
        if name not in self.wb.sheetnames:
            return []
        ws = self.wb[name]
        return [list(r) for r in ws.iter_rows(min_row=2, values_only=True) if any(v not in (None, "") for v in r)]

    def apply(self, name: str, edits: Sequence[Edit], merges: Sequence[Any] = ()) -> None:
        from .xlsx import apply_edits

        ws = self.wb[name] if name in self.wb.sheetnames else self.wb.active
        apply_edits(self.wb, ws, edits)

    def backup(self) -> Path | None:
        """In place: refuse what cannot be rewritten without loss, then copy the input beside itself."""
        from .xlsx import backup_path, check_rewrite

        check_rewrite(self.path, self.replaces)
        if not self.replaces:
            return None
        self._backup = backup_path(self.path.parent, self.path.name)
        shutil.copy2(self.path, self._backup)
        return self._backup

    def save(self) -> Path | None:
        from .xlsx import save_workbook

        try:
            save_workbook(self.wb, self.target, source=self.path, in_place=self.replaces, backup=False)
        except BaseException:
            if self._backup is not None:  # the original was not replaced: its copy is not needed
                self._backup.unlink(missing_ok=True)
                self._backup = None
            raise
        return self.target

    def close(self) -> None:
        wb = getattr(self, "wb", None)
        if wb is not None:
            wb.close()
        lock, self._lock = getattr(self, "_lock", None), None
        if lock is not None:
            lock.release()


class WriteLock:
    """One xlperf writer per output file at a time: ``.~NAME.xlperf-lock`` beside it, created
    exclusively. A second writer is refused with a clear message (two in-place writers would otherwise
    both report success while one update is lost). A lock left by a process that is gone, or older
    than an hour, is taken over."""

    STALE_SECONDS = 3600

    def __init__(self, target: Path) -> None:
        import json
        import os
        import time

        from ..errors import WriteRefusedError

        self.path = target.with_name(f".~{target.name}.xlperf-lock")
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                raise WriteRefusedError(f"另一个 xlperf 正在写入 {target.name}，请等它完成后再试"
                                        f"（若确认没有在运行，可删除锁文件 {self.path.name}）", path=str(target)) from None
            except OSError:
                self.path = None  # type: ignore[assignment]  # a read-only folder: the save will say so
                return
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"pid": os.getpid(), "time": time.time()}, fh)
            return
        raise WriteRefusedError(f"无法锁定 {target.name}，请稍后再试", path=str(target))

    def _stale(self) -> bool:
        import json
        import os
        import time

        try:
            info = json.loads(self.path.read_text(encoding="utf-8"))
            pid, when = int(info["pid"]), float(info["time"])
        except (OSError, ValueError, KeyError, TypeError):
            try:  # unreadable: judge by its age
                return time.time() - self.path.stat().st_mtime > self.STALE_SECONDS
            except OSError:
                return True
        if time.time() - when > self.STALE_SECONDS:
            return True
        if os.name == "posix":
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
        return False

    def release(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None  # type: ignore[assignment]


def open_book(path: str | Path, *, write: bool = False, out: str | Path | None = None, in_place: bool = False,
              password: str | None = None, engine: str = "fast") -> Any:
    """The adapter for ``path``: :class:`FileBook` to change it (``write``), else :class:`TextBook` for
    text, :class:`FileBook` for ``engine="openpyxl"`` (``.xlsx .xlsm`` only), :class:`FastBook` otherwise."""
    p = Path(path)
    if write:
        return FileBook(p, out=out, in_place=in_place)
    from . import safety

    kind = safety.sniff(p)  # missing files, folders, empty files: a clear error
    safety.check_extension(p)
    if kind == "text":
        if p.suffix.lower() in ZIP_EXTS + (".xls", ".xlsb"):
            raise UnreadableFileError(f"扩展名是 {p.suffix}，但内容不是工作簿（可能是改了扩展名的文本文件）", path=str(p))
        return TextBook(p)
    if engine == "openpyxl" and p.suffix.lower() in (".xlsx", ".xlsm") and not password:
        return FileBook(p, lock=False)
    return FastBook(p, password=password, _kind=kind)  # (sniffed and its extension checked just above)


__all__ = ["TEXT_EXTS", "ZIP_EXTS", "FastBook", "FileBook", "TextBook", "open_book"]
