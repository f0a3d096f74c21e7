"""New forms: a blank form in the official layout, or a pasted form rebuilt in it. Written once
(``xlperf new``, ``xlperf import``, 新建表格)."""

from __future__ import annotations

from pathlib import Path

from ..core.model import Form

MAX_BLANK_TASKS = 500
MAX_ROWS_PER_TASK = 100


def write_form(target: str | Path, form: Form | None = None, *, blank_tasks: int = 5, rows_per_task: int = 6,
               department: str | None = None, year: int | None = None) -> Path:
    """Write ``form`` (None: a blank form) in the official layout to ``target`` (.xlsx), atomically.
    Refuses an existing folder or another extension; write errors become one-line messages."""
    from ..errors import WriteRefusedError
    from ..io.cached import save_with_values
    from ..io.template import build_workbook
    from ..io.xlsx import atomic_write, write_error

    out = Path(target)
    if not 0 <= blank_tasks <= MAX_BLANK_TASKS:
        raise WriteRefusedError(f"预留任务数应在 0～{MAX_BLANK_TASKS} 之间（现为 {blank_tasks}）")
    if not 1 <= rows_per_task <= MAX_ROWS_PER_TASK:
        raise WriteRefusedError(f"每个任务预留的指标行数应在 1～{MAX_ROWS_PER_TASK} 之间（现为 {rows_per_task}）")
    if year is not None and not 1990 <= year <= 2100:
        raise WriteRefusedError(f"年度应为四位数年份，如 2027（现为 {year}）")
    if out.suffix.lower() != ".xlsx":
        raise WriteRefusedError("输出文件须为 .xlsx", path=str(out))
    if out.is_dir():
        raise WriteRefusedError("输出路径是一个文件夹", path=str(out))
    wb = build_workbook(form, blank_tasks=blank_tasks, rows_per_task=rows_per_task, department=department, year=year)
    try:
        atomic_write(out, lambda tmp: save_with_values(wb, tmp))
    except OSError as exc:
        raise write_error(exc, out) from exc
    return out


def import_text(source: str | Path, target: str | Path) -> Form:
    """Rebuild the form of a pasted-text file (or a workbook) in the official layout at ``target``."""
    from ..io.books import open_book
    from ..workbook import form_sheet

    if Path(target).exists() and Path(source).exists() and Path(target).resolve() == Path(source).resolve():
        from ..errors import WriteRefusedError

        raise WriteRefusedError("输出文件与输入文件相同，请另选输出文件名", path=str(target))
    with open_book(source) as book:
        fs = form_sheet(book)
    form = fs.form
    if form.kind in ("dept_tasks", "project_list"):
        write_form(target, form)
    else:  # a layout the official template does not have: kept as it is, cell for cell
        _write_grid(target, fs.grid)
    return form


def _write_grid(target: str | Path, grid) -> Path:
    from ..errors import WriteRefusedError
    from ..io.cached import save_with_values
    from ..io.template import SHEET, grid_workbook
    from ..io.xlsx import atomic_write, write_error

    out = Path(target)
    if out.suffix.lower() != ".xlsx" or out.is_dir():
        raise WriteRefusedError("输出文件须为 .xlsx 文件", path=str(out))
    wb = grid_workbook(grid, SHEET)
    try:
        atomic_write(out, lambda tmp: save_with_values(wb, tmp))
    except OSError as exc:
        raise write_error(exc, out) from exc
    return out


__all__ = ["import_text", "write_form"]
