"""The per-file work of a consolidation: read, parse and validate one workbook into a :class:`FileReport`,
and the machinery that runs it over many files in worker processes or threads, in input order, with a
bounded number of files in flight.

Everything here crosses process boundaries (workers are forked, or spawned off Linux; their arguments and results are
pickled), so the arguments are plain values (paths as ``str``, a :class:`~xlperf.core.config.Config`)
and the results plain dataclasses whose detail rows are already ``marshal``-serialised.
"""

from __future__ import annotations

import importlib
import importlib.util
import marshal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotAFormError, XlperfError
from .discover import SUMMARY_REASON, _looks_like_summary
from .schema import OK, SKIPPED, SUMMARY_SHEETS, IssueRow, issue_row

if TYPE_CHECKING:  # pragma: no cover
    from ..core.config import Config

Validate = Callable[..., Any]  # xlperf.validation.validate: (form, *, config) -> Report
WorkItem = tuple[str, str]  # (path, display)


@dataclass(slots=True)
class FormRows:
    """One form's rows, serialised by the worker (``marshal``) so that the parent only copies bytes.

    ``dept`` is the form's 部门汇总 row (``DEPT_COLS``; amounts as Decimal); ``key`` the (squashed
    name, year) duplicates are recognised by, ``None`` without a department name. ``tasks``,
    ``indicators`` and ``issues`` are ``marshal.dumps`` of lists of row tuples (``TASK_COLS``,
    ``IND_COLS``, ``ISSUE_COLS``) with their row counts; ``errors``/``warnings`` count the validator's
    issues of the form.
    """

    dept: list[Any]
    key: tuple[str, int | None] | None
    tasks: bytes
    n_tasks: int
    indicators: bytes
    n_indicators: int
    issues: bytes
    n_issues: int
    errors: int
    warnings: int
    project: list[Any] | None = None  # a project form's 项目汇总 row (PROJECT_COLS); it has no 部门汇总 row
    links: list[str] = field(default_factory=list)  # the names of a department form's tasks / duty projects


@dataclass(slots=True)
class FileReport:
    """What the work on one input file produced (picklable: it comes back from worker processes).

    ``status`` is ``OK`` or ``SKIPPED`` with the ``reason`` (as listed in 文件清单); ``forms`` the rows
    of each form found, in sheet order; ``issues`` the file-level 校验问题 rows that belong to no
    consolidated form (a sheet that could not be parsed, XC002; a form whose validation crashed, XC003).
    """

    path: Path
    display: str
    status: str = OK
    reason: str = ""
    forms: list[FormRows] = field(default_factory=list)
    issues: list[IssueRow] = field(default_factory=list)

    def skip(self, reason: str) -> FileReport:
        """Mark the file 跳过 for ``reason``; nothing of it is consolidated."""
        self.status, self.reason = SKIPPED, reason
        self.forms.clear()
        return self


# --------------------------------------------------------------------------------------------- one file
def _validator() -> tuple[Validate | None, str | None]:
    try:
        if importlib.util.find_spec("xlperf.validation") is None:
            return None, "校验模块（xlperf.validation）尚不可用：本次汇总未执行校验，错误数和警告数均为 0"
        mod = importlib.import_module("xlperf.validation")
        return mod.validate, None
    except Exception as exc:  # a broken validator must not stop the consolidation
        return None, f"校验模块无法加载（{type(exc).__name__}: {exc}）：本次汇总未执行校验"


def _f(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


def _s(v: Any) -> Any:
    """A cell value for the spool: str/int/float/None; labels of objects as text."""
    if v is None or isinstance(v, (str, int, float)):
        return v
    if isinstance(v, Decimal):
        return float(v)
    return str(v)


def _issue_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    for attr in ("label", "name"):
        x = getattr(v, attr, None)
        if isinstance(x, str):
            return x
    return str(v)


def _indicator_row(dept: Any, year: Any, seq: Any, task: Any, i: Any, display: str, sheet: Any) -> tuple:
    """One 指标明细 row (IND_COLS) of indicator ``i`` under ``task``."""
    v = i.value
    value = float(v) if isinstance(v, Decimal) else v
    core = None if i.core is None else ("是" if i.core else "否")
    return (dept, year, seq, task, i.level1, i.level2, i.name, core, i.op, value, i.unit, display, sheet,
            i.cells.get("name"))


def _form_result(form: Any, report: Any, display: str) -> FormRows:
    """The rows of ``form`` and of its validation ``report`` (``None``: not validated)."""
    b = form.budget
    dept = form.department
    year = form.year
    sheet = form.sheet
    total = b.total
    if total is None and (b.basic is not None or b.project is not None):
        total = (b.basic or Decimal(0)) + (b.project or Decimal(0))
    tasks: list[tuple] = []
    inds: list[tuple] = []
    n_ind = 0
    for t in form.tasks:
        seq = t.seq if isinstance(t.seq, (int, str)) or t.seq is None else str(t.seq)
        tasks.append((dept, year, seq, t.name, t.content, t.source, _f(t.amount), len(t.indicators),
                      display, sheet, t.cells.get("name") or t.cells.get("seq")))
        inds += [_indicator_row(dept, year, seq, t.name, i, display, sheet) for i in t.indicators]
        n_ind += len(t.indicators)
    if form.indicators:  # a form without tasks: its own indicators, the task left empty (a project's: its name)
        owner = (form.implementer or form.supervisor) if form.project_name else dept
        inds += [_indicator_row(owner, year, None, form.project_name, i, display, sheet) for i in form.indicators]
        n_ind += len(form.indicators)
    issues: list[IssueRow] = []
    errors = warnings = 0
    for iss in getattr(report, "issues", None) or ():
        sev = getattr(iss, "severity", "error")
        sev = getattr(sev, "value", sev)
        if sev == "error":
            errors += 1
        elif sev == "warning":
            warnings += 1
        issues.append(issue_row(display, getattr(iss, "sheet", None) or sheet, getattr(iss, "cell", None), dept,
                                str(sev), _s(getattr(iss, "code", None)), _s(getattr(iss, "message", None)),
                                _s(getattr(iss, "task", None)), _issue_text(getattr(iss, "indicator", None))))
    row = [dept, form.supervisor, year, form.staff_count, form.subunit_count, b.basic, b.project, total,
           b.fiscal, b.other, len(form.tasks), n_ind, errors, warnings, display, sheet]
    key = None
    project = None
    if form.kind in ("project", "application"):
        project = [form.project_name, form.supervisor, form.implementer, year, b.total, b.fiscal, b.other, n_ind,
                   errors, warnings, display, sheet]
    elif dept:
        from ..core.text import squash

        key = (squash(dept), year)
    links = [t.name for t in form.tasks if t.name] + [d.project for d in form.duties if d.project]
    return FormRows(row, key, marshal.dumps(tasks), len(tasks), marshal.dumps(inds), len(inds),
                    marshal.dumps(issues), len(issues), errors, warnings, project, links)


def process_file(path: Path, display: str, validate: Validate | None, config: Config | None = None) -> FileReport:
    """Read, parse and validate (``validate(form, config=config)``) one workbook. Never raises: problems
    become the file's reason, or file-level issues (XC002, XC003)."""
    from ..core.parse import parse_grid
    from ..io.books import open_book
    from ..workbook import candidate_sheets, no_form_error

    res = FileReport(path, display)
    try:
        if _looks_like_summary(path):
            return res.skip(SUMMARY_REASON)
        with open_book(path) as book:
            if SUMMARY_SHEETS <= {s.name for s in book.sheets()}:
                return res.skip(SUMMARY_REASON)
            not_forms: list[tuple[str, BaseException]] = []
            for name in candidate_sheets(book, active_first=False):  # the sheets every way in looks at
                g = book.grid(name)
                try:
                    form = parse_grid(g)
                except NotAFormError as exc:
                    not_forms.append((name, exc))
                    continue
                except Exception as exc:
                    from .rules import issue, sheet_unparseable

                    msg = sheet_unparseable(exc)
                    not_forms.append((name, XlperfError(msg)))
                    res.issues.append(issue(sheet_unparseable, msg, display=display, sheet=name, department=None))
                    continue
                form.source = str(path)
                report = None
                if validate is not None:
                    try:
                        report = validate(form, config=config)
                    except Exception as exc:
                        from .rules import issue, validation_crashed

                        res.issues.append(issue(validation_crashed, validation_crashed(exc), display=display,
                                                sheet=name, department=form.department))
                res.forms.append(_form_result(form, report, display))
        if not res.forms:
            res.status = SKIPPED
            res.reason = no_form_error(not_forms).message
    except XlperfError as exc:
        res.skip(exc.message)
    except MemoryError:
        res.skip("文件过大，内存不足，无法读取")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # never a traceback (pyo3's PanicException is a BaseException)
        res.skip(f"无法读取（{type(exc).__name__}: {exc}）")
    return res


# --------------------------------------------------------------------------------------------- many files
def _worker_started() -> None:
    """In a worker process: the objects it inherited (a forked worker: all of the parent's) are left out of
    garbage collection, which would otherwise walk them, and so copy their memory pages, again and
    again; and the young generation is collected less often (a form makes thousands of short-lived
    objects, hardly any of them in cycles)."""
    import gc

    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def warm() -> None:
    """Import and load now what reading, parsing and validating a first file would (python-calamine, the
    XML parser, the rules with their framework and the kinds of form), so that worker processes forked
    after this start with it instead of each loading it again (about 25 ms apiece). Touches no input."""
    import xml.etree.ElementTree  # noqa: F401

    import python_calamine  # noqa: F401

    from ..core import cells, parse_family  # noqa: F401
    from ..core.framework import default_framework
    from ..core.kinds import default_kinds
    from ..core.rules import all_rules
    from ..io import books  # noqa: F401

    all_rules(batch=True)
    default_framework()
    default_kinds()


def _work(items: list[WorkItem], validate: bool, config: Config | None = None) -> list[FileReport]:
    """Worker entry point (threads and processes): process files ``(path, display)`` in order."""
    fn = _validator()[0] if validate else None
    return [process_file(Path(p), d, fn, config) for p, d in items]


def _run_inline(chunks: Iterable[list[WorkItem]], validate: bool, config: Config | None = None) -> Iterator[FileReport]:
    for chunk in chunks:
        yield from _work(chunk, validate, config)


def _chunks(items: list[WorkItem], jobs: int) -> list[list[WorkItem]]:
    """``items`` in consecutive chunks for worker processes: up to 16 files each while many remain (one
    round trip and one pickle per chunk), smaller towards the end, so that no worker is left alone
    with a long last chunk while the others wait."""
    out, i, n = [], 0, len(items)
    while i < n:
        size = max(1, min(16, (n - i) // (jobs * 8)))
        out.append(items[i:i + size])
        i += size
    return out


def _ordered_map(items: list[WorkItem], jobs: int, validate: bool, executor: str,
                 config: Config | None = None) -> Iterator[FileReport]:
    """Results of ``_work`` over ``items`` in input order, with a bounded number of chunks in flight
    (memory stays flat however many files there are). ``executor``: "process", "thread" or "serial".

    The pool is started (and the first chunks submitted) before this returns, so worker processes are
    forked before the caller starts any thread (a progress bar)."""
    if executor == "serial" or not items or (executor != "process" and (jobs <= 1 or len(items) <= 1)):
        return _run_inline(([it] for it in items), validate, config)
    chunks = _chunks(items, jobs) if executor == "process" else [[it] for it in items]
    window = 2 * jobs if executor == "process" else 4 * jobs
    try:
        if executor == "process":
            from concurrent.futures import ProcessPoolExecutor

            ctx = mp_context()
            if ctx.get_start_method() == "fork":  # forked workers inherit it (spawned ones load it themselves)
                try:
                    warm()
                except Exception:  # noqa: S110 - only a head start: each worker loads what it lacks
                    pass
            ex: Any = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_started)
        else:
            ex = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="xlperf-read")
        it = iter(chunks)
        pending: deque[tuple[list[WorkItem], Any]] = deque()
        for chunk in it:
            pending.append((chunk, ex.submit(_work, chunk, validate, config)))
            if len(pending) >= window:
                break
    except (OSError, ImportError, NotImplementedError, RuntimeError):  # no processes here (some sandboxes)
        return _ordered_map(items, jobs, validate, "thread" if executor == "process" else "serial", config)
    return _drain(ex, it, pending, validate, config)


def _drain(ex: Any, it: Iterator[list[WorkItem]], pending: deque[tuple[list[WorkItem], Any]],
           validate: bool, config: Config | None = None) -> Iterator[FileReport]:
    """Results in input order. When a worker process dies (a native crash reading a hostile file
    takes down the process that reads it, never this one) or does not answer within
    :data:`ISOLATED_TIMEOUT` per file, the pool is given up: the files of the chunks in flight are read
    again one by one, each in a fresh process of its own (:func:`_isolated`), so that only the file that
    kills (or hangs) its reader is listed as 跳过; the rest go on in a new pool."""
    broken = False
    try:
        while pending:
            chunk, fut = pending.popleft()
            try:
                # a worker that never answers is treated as a dead one (its files are then read alone,
                # each with the bound of _isolated): the batch always finishes
                results = fut.result(timeout=ISOLATED_TIMEOUT * len(chunk)) if fut is not None else None
            except Exception:  # a broken pool (a worker died), or no answer within the bound
                broken = True
                results = None
            if results is None:
                results = [_isolated(item, validate, config) for item in chunk]
            if not broken:
                nxt = next(it, None)
                if nxt is not None:
                    try:
                        pending.append((nxt, ex.submit(_work, nxt, validate, config)))
                    except Exception:
                        broken = True
                        pending.append((nxt, None))
            yield from results
            if broken:
                rest = [c for c, _ in pending]
                pending.clear()
                for proc in list((getattr(ex, "_processes", None) or {}).values()):
                    proc.kill()  # a survivor of the broken pool may be stuck on a hostile file too
                ex.shutdown(wait=False, cancel_futures=True)
                for c in rest:  # in flight when the worker died: one at a time, each alone
                    yield from (_isolated(item, validate, config) for item in c)
                remaining = [item for c in it for item in c]
                if remaining:  # the others in a new pool
                    yield from _ordered_map(remaining, max(1, getattr(ex, "_max_workers", 1)), validate,
                                            "process", config)
                break
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


ISOLATED_TIMEOUT = 300  # seconds one file may take in its own process before it is given up


def mp_context() -> Any:
    """How worker processes start: forked on Linux (in milliseconds, everything already imported);
    elsewhere (Windows, macOS) spawned, each a fresh interpreter that imports xlperf again."""
    import multiprocessing

    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _child(conn: Any, item: WorkItem, validate: bool, config: Config | None) -> None:
    try:
        conn.send(_work([item], validate, config)[0])
    finally:
        conn.close()


def _isolated(item: WorkItem, validate: bool, config: Config | None = None) -> FileReport:
    """One file read in a fresh process: its report, or 跳过 with the reason when the process dies
    (a native crash, the memory allocator aborting) or does not finish in :data:`ISOLATED_TIMEOUT`."""
    path, display = item
    ctx = mp_context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, item, validate, config), daemon=True)
    try:
        proc.start()
    except (OSError, RuntimeError):  # no processes here: read it here, as before
        recv.close()
        send.close()
        return _work([item], validate, config)[0]
    send.close()
    why: str | None = None
    try:
        if recv.poll(ISOLATED_TIMEOUT):
            try:
                return recv.recv()
            except (EOFError, OSError):  # the process died before it could answer
                proc.join(10)
        else:
            why = f"读取时超过 {ISOLATED_TIMEOUT} 秒未完成，已放弃"
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if why is None:
        code = proc.exitcode
        sig = f"信号 {-code}" if code is not None and code < 0 else f"退出码 {code}"
        why = f"读取该文件的进程异常退出（{sig}）：文件可能已损坏或被改造过，其余文件照常汇总"
    return FileReport(Path(path), display).skip(why)
