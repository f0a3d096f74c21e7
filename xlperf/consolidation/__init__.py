"""Consolidate many department workbooks into one summary workbook, fast and with flat memory.

Pipeline (``consolidate(paths)``):

1. discover the inputs (files and folders, recursive; Office lock files ``~$…`` and hidden files are
   listed as 忽略; the output file itself and xlperf summaries are never read back as inputs);
2. workers read, parse and validate the files and turn each form into compact rows: forked worker
   processes on Linux for big batches (parsing and the rules are pure Python, so threads only
   overlap the parts python-calamine and zlib run without the GIL), a thread pool otherwise. A
   bounded number of files is in flight and results are consumed in input order, so memory does not
   grow with the number of files and the output is deterministic. A worker that dies does not stop
   the batch (the rest is finished in the parent);
3. per form, the row tuples for 任务明细 / 指标明细 / 校验问题 arrive ``marshal``-serialised and are
   appended to temporary spool files; only one small row per department and per file stays in
   memory;
4. ``to_excel`` streams the summary with :mod:`xlperf.io.fastxlsx` (text always as text, totals as
   live ``SUM`` formulas with cached values, native charts), atomically.

Per-file problems (corrupt, encrypted, not a form, unexpected exceptions) never stop the batch: the
file is listed in 文件清单 as 跳过 with the reason. The same department twice (same name and year)
is reported (XC001) and ``on_duplicate`` decides: ``error`` (default; the later one is not counted and the
run reports an error), ``keep-last`` or ``keep-both`` (each reported as a warning).

pandas is imported only when a DataFrame is asked for (``Consolidation.departments`` etc.).

Modules: :mod:`.discover` (the inputs), :mod:`.worker` (per-file work and the pool), :mod:`.result`
(:class:`Consolidation` and its views and exports), :mod:`.summary` (the summary workbook),
:mod:`.schema` (statuses, sheets, columns), :mod:`.rules` (the XC0xx batch-level rules, registered with
:mod:`xlperf.core.rules`). This module holds the orchestration, :func:`consolidate`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import XlperfError
from .discover import LISTED_EXTS, SUMMARY_REASON, WORKBOOK_EXTS, discover
from .discover import _display as _display
from .discover import _ignore_reason as _ignore_reason
from .discover import _looks_like_summary as _looks_like_summary
from .result import Consolidation, FileRecord
from .result import _Spool as _Spool
from .schema import (
    CHART_SHEET,
    DEPT_COLS,
    DEPT_MONEY,
    DEPT_SHEET,
    DEPT_SUM_FROM,
    DEPT_SUM_TO,
    FILE_COLS,
    FILE_SHEET,
    IGNORED,
    IND_COLS,
    IND_SHEET,
    ISSUE_COLS,
    ISSUE_SHEET,
    OK,
    SEVERITY_ZH,
    SKIPPED,
    SUMMARY_SHEETS,
    TASK_COLS,
    TASK_MONEY,
    TASK_SHEET,
    IssueRow,
)
from .summary import TOP_DEPARTMENTS, write_summary
from .worker import FileReport, FormRows, process_file
from .worker import _form_result as _form_result  # benchmarks/bench_consolidate.py
from .worker import _ordered_map as _ordered_map
from .worker import _run_inline as _run_inline
from .worker import _validator as _validator
from .worker import _work as _work

if TYPE_CHECKING:  # pragma: no cover
    from ..core.config import Config

# from this many files on, forked worker processes (Linux): they start in milliseconds, use every core, and
# a native crash reading a hostile file takes down only the worker (the file is listed as 跳过)
PROCESS_MIN_FILES = 2
SPAWN_MIN_FILES = 40


def auto_executor(files: int) -> str:
    """Worker processes or threads for ``files`` inputs. Processes keep a native crash reading one
    file from ending the batch (threads do not) and use every core. On Linux they are forked: they
    start in milliseconds with everything imported, from ``PROCESS_MIN_FILES`` files on — but only
    when this process runs no other thread (forking one that does, a notebook or an add-in server, is
    not safe). Elsewhere (Windows, macOS) they are spawned: each is a fresh interpreter importing
    xlperf again (about a second on a slow office PC), worth it from ``SPAWN_MIN_FILES`` files on, and
    only when this process is a Python interpreter that can start another (``sys.executable``)."""
    import threading

    if sys.platform.startswith("linux"):
        return "process" if files >= PROCESS_MIN_FILES and threading.active_count() == 1 else "thread"
    from pathlib import PureWindowsPath  # both separators

    exe = PureWindowsPath(sys.executable or "").name.lower()
    return "process" if files >= SPAWN_MIN_FILES and exe.startswith("python") else "thread"
ON_DUPLICATE = ("error", "keep-last", "keep-both")
EXECUTORS = ("auto", "process", "thread", "serial")

__all__ = [
    "CHART_SHEET", "DEPT_COLS", "DEPT_MONEY", "DEPT_SHEET", "DEPT_SUM_FROM", "DEPT_SUM_TO", "EXECUTORS",
    "FILE_COLS", "FILE_SHEET", "IGNORED", "IND_COLS", "IND_SHEET", "ISSUE_COLS", "ISSUE_SHEET", "LISTED_EXTS", "OK",
    "ON_DUPLICATE", "PROCESS_MIN_FILES", "SPAWN_MIN_FILES", "SEVERITY_ZH", "SKIPPED", "SUMMARY_REASON", "SUMMARY_SHEETS", "TASK_COLS",
    "TASK_MONEY", "TASK_SHEET", "TOP_DEPARTMENTS", "WORKBOOK_EXTS", "Consolidation", "FileRecord", "FileReport",
    "FormRows", "IssueRow", "consolidate", "discover", "process_file", "write_summary",
]


def consolidate(paths: str | Path | Iterable[str | Path], *, jobs: int | None = None, on_duplicate: str = "error",
                progress: bool = False, exclude: Iterable[str | Path] = (), executor: str = "auto",
                config: Config | None = None, excel: bool = True) -> Consolidation:
    """Read every workbook under ``paths`` and consolidate the forms. See the module docstring.

    ``jobs``: parallel workers (default and cap: CPU count). ``executor``: "auto" (worker processes
    for batches of ``PROCESS_MIN_FILES`` files or more on Linux, ``SPAWN_MIN_FILES`` elsewhere, else
    threads: :func:`auto_executor`), "process",
    "thread" or "serial". With worker processes a native crash reading one file is contained: that
    file is listed as 跳过 and the batch goes on; in threads or serially it would end the process.
    Parsing is pure Python, so threads only overlap the parts python-calamine and zlib run without
    the GIL; processes use every core (measured: see ``benchmarks/bench_consolidate.py``).
    ``config``: the validation settings every form is checked with (``validate(form, config=config)``:
    thresholds, severity overrides, ``select``/``ignore``); ``None`` for the settings the command line
    would use (:func:`xlperf.settings.load_settings` beside the first input; ``Config()`` for the
    defaults alone). They apply to the
    XP rules only; the XC0xx issues of the consolidation itself are always reported.
    ``excel``: encode the summary workbook's detail rows while the files are read, on the core the
    workers leave free, so that :meth:`Consolidation.to_excel` then only copies them (``False`` when
    only DataFrames, CSV or JSON are wanted; ``to_excel`` still works, writing them itself).

    The result holds temporary files: use it as a context manager (``with consolidate(...) as c:``) or
    call :meth:`Consolidation.close`. Raises :class:`XlperfError` only when nothing can be done (no
    input found, bad option); whatever is raised, no temporary file is left open.
    """
    from ..core.config import Config

    if on_duplicate not in ON_DUPLICATE:
        raise XlperfError(f"--on-duplicate 只能是 {'、'.join(ON_DUPLICATE)}（收到 {on_duplicate!r}）")
    if executor not in EXECUTORS:
        raise XlperfError(f"executor 只能是 auto、process、thread 或 serial（收到 {executor!r}）")
    if config is not None and not isinstance(config, Config):
        raise TypeError(f"config must be an xlperf.core.config.Config or None, not {type(config).__name__}")
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    inputs = discover(paths, exclude=exclude)
    if not inputs:
        raise XlperfError("没有找到可汇总的工作簿（.xlsx .xlsm .xls .ods）")
    if all(r is not None and r.startswith("!") for _, r in inputs):
        raise XlperfError("输入的文件或文件夹都不存在：" + "、".join(str(p) for p, _ in inputs[:5]))
    if config is None:
        from ..settings import load_settings

        config = load_settings(paths[0]).config  # inputs were found, so paths is not empty
    validate, note = _validator()
    cpus = os.cpu_count() or 1
    jobs = max(1, min(jobs, cpus) if jobs is not None else cpus)  # more workers than cores only cost memory
    cwd, dirs = _cwd(), {}
    work = [(str(p), _display(p, cwd, dirs)) for p, r in inputs if r is None]
    if executor == "auto":
        executor = auto_executor(len(work))
    from ..core.parse import parse_grid  # noqa: F401  - imported before the workers fork
    from ..io.readers import read_grids  # noqa: F401

    cons = Consolidation(on_duplicate, excel=excel)
    try:
        cons.validated = validate is not None
        if note:
            cons.notes.append(note)
        _collect(cons, inputs, _ordered_map(work, jobs, validate is not None, executor, config), progress)
        cons._cross_check()
    except BaseException:  # an interrupt, a full disk: the spools go with the half-built result
        cons.close()
        raise
    return cons


def _cwd() -> Path | None:
    """The resolved working directory (None when it cannot be: each path then asks for itself)."""
    try:
        return Path.cwd().resolve()
    except (OSError, RuntimeError):
        return None


def _collect(cons: Consolidation, inputs: list[tuple[Path, str | None]], results: Iterator[FileReport],
             progress: bool) -> None:
    """Add every input to ``cons`` in input order (the worked ones from ``results``)."""
    bar = None
    try:
        if progress:
            try:
                from tqdm import tqdm

                bar = tqdm(total=len(inputs), unit="个文件", desc="汇总", file=sys.stderr, leave=False)
            except Exception:  # pragma: no cover - tqdm missing
                bar = None
        for p, reason in inputs:
            if reason is not None:
                cons._add_file(None, p, _display(p), reason)
            else:
                res = next(results)
                cons._add_file(res, p, res.display, None)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        close = getattr(results, "close", None)
        if close is not None:
            close()
