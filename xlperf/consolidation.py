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
is reported and ``on_duplicate`` decides: ``error`` (default; the later one is not counted and the
run reports an error), ``keep-last`` or ``keep-both`` (each reported as a warning).

pandas is imported only when a DataFrame is asked for (``Consolidation.departments`` etc.).
"""

from __future__ import annotations

import heapq
import importlib
import importlib.util
import io
import json
import marshal
import os
import sys
import tempfile
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import NotAFormError, XlperfError

WORKBOOK_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
# also picked up in folders, to be listed as 跳过 with the reason (另存为 .xlsx), never silently left out
LISTED_EXTS = WORKBOOK_EXTS + (".et", ".ett")
PROCESS_MIN_FILES = 64  # below this, starting worker processes costs more than it saves
TOP_DEPARTMENTS = 30  # departments shown in the 图表 sheet's 项目支出 chart
ON_DUPLICATE = ("error", "keep-last", "keep-both")

OK, SKIPPED, IGNORED = "成功", "跳过", "忽略"
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}

# sheet names and columns of the summary workbook (also the DataFrame columns)
DEPT_SHEET, TASK_SHEET, IND_SHEET, ISSUE_SHEET, FILE_SHEET, CHART_SHEET = (
    "部门汇总", "任务明细", "指标明细", "校验问题", "文件清单", "图表")
DEPT_COLS = ["部门名称", "主管部门", "年度", "财政供养人员数", "下属单位数", "基本支出", "项目支出", "支出合计",
             "财政拨款", "其他资金", "任务数", "指标数", "错误数", "警告数", "来源文件", "工作表"]
DEPT_MONEY = {5, 6, 7, 8, 9}
DEPT_SUM_FROM = 3  # 财政供养人员数 .. 警告数 get a SUM in the totals row
DEPT_SUM_TO = 13
TASK_COLS = ["部门名称", "年度", "序号", "年度工作任务", "主要实施内容", "任务来源", "拟投入金额", "指标数",
             "来源文件", "工作表", "单元格"]
TASK_MONEY = {6}
IND_COLS = ["部门名称", "年度", "任务序号", "年度工作任务", "一级指标", "二级指标", "指标名称", "是否核心指标",
            "对比符号", "指标值", "计量单位", "来源文件", "工作表", "单元格"]
ISSUE_COLS = ["来源文件", "工作表", "单元格", "部门名称", "级别", "代码", "说明", "任务", "指标"]
FILE_COLS = ["序号", "文件", "状态", "原因", "表单数", "任务数", "指标数", "错误数", "警告数", "部门名称"]

_WIDTHS = {
    DEPT_SHEET: [30, 14, 7, 10, 8, 13, 13, 13, 13, 12, 7, 7, 7, 7, 40, 14],
    TASK_SHEET: [30, 7, 6, 30, 50, 14, 13, 7, 40, 14, 8],
    IND_SHEET: [30, 7, 8, 30, 11, 16, 26, 8, 8, 11, 9, 40, 14, 8],
    ISSUE_SHEET: [40, 14, 8, 30, 6, 9, 60, 24, 24],
    FILE_SHEET: [6, 50, 7, 60, 7, 7, 7, 7, 7, 30],
}
_SUMMARY_SHEETS = {DEPT_SHEET, FILE_SHEET, IND_SHEET}


# --------------------------------------------------------------------------------------------- records
@dataclass(slots=True)
class FileRecord:
    """One input as listed in 文件清单."""

    index: int
    path: str
    status: str = OK
    reason: str = ""
    forms: int = 0
    tasks: int = 0
    indicators: int = 0
    errors: int = 0
    warnings: int = 0
    departments: list[str] = field(default_factory=list)
    form_ids: list[int] = field(default_factory=list, repr=False)

    def row(self) -> list[Any]:
        return [self.index, self.path, self.status, self.reason, self.forms, self.tasks, self.indicators,
                self.errors, self.warnings, "、".join(d for d in self.departments if d)]


@dataclass(slots=True)
class _Dept:
    """What stays in memory per form (its 部门汇总 row is spooled): a few ints."""

    form_id: int
    file_index: int
    included: bool = True
    n_tasks: int = 0
    n_indicators: int = 0


def _where(row: list[Any]) -> str:
    return f"{row[14]}［{row[15]}］"


def _dept_to_spool(row: list[Any]) -> tuple:
    return tuple(None if v is None else str(v) if i in DEPT_MONEY else v for i, v in enumerate(row))


def _dept_from_spool(row: tuple) -> list[Any]:
    return [None if v is None else Decimal(v) if i in DEPT_MONEY else v for i, v in enumerate(row)]


@dataclass
class _FormResult:
    """One form's rows, serialised by the worker (``marshal``) so that the parent only copies bytes."""

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


@dataclass
class _FileResult:
    path: Path
    display: str
    status: str = OK
    reason: str = ""
    forms: list[_FormResult] = field(default_factory=list)
    issues: list[tuple] = field(default_factory=list)  # file-level issues (sheets that failed)


class _Spool:
    """Append-only temporary file of row blocks: ``[length][form id][marshal(list of row tuples)]``."""

    def __init__(self) -> None:
        self._fh = tempfile.TemporaryFile(prefix="xlperf-spool-")
        self.rows = 0

    def append(self, form_id: int, rows: list[tuple]) -> None:
        if rows:
            self.append_blob(form_id, marshal.dumps(rows), len(rows))

    def append_blob(self, form_id: int, blob: bytes, count: int) -> None:
        if count:
            self._fh.write(len(blob).to_bytes(4, "little") + form_id.to_bytes(4, "little", signed=True))
            self._fh.write(blob)
            self.rows += count

    def blocks(self) -> Iterator[tuple[int, list[tuple]]]:
        self._fh.flush()
        end = self._fh.tell()
        with open(self._fh.fileno(), "rb", closefd=False, buffering=1 << 20) as fh:
            fh.seek(0)
            pos = 0
            while pos < end:
                head = fh.read(8)
                n = int.from_bytes(head[:4], "little")
                yield int.from_bytes(head[4:], "little", signed=True), marshal.loads(fh.read(n))
                pos += 8 + n
        self._fh.seek(0, io.SEEK_END)

    def close(self) -> None:
        self._fh.close()


# --------------------------------------------------------------------------------------------- discovery
def discover(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> list[tuple[Path, str | None]]:
    """The input files in order, each with ``None`` or the reason it is ignored (lock/hidden file).

    Folders are searched recursively for .xlsx .xlsm .xls .ods, and WPS .et (to be listed as skipped
    with the reason; hidden folders are skipped); a file named explicitly is taken whatever its
    extension. Paths that do not exist are returned with
    their reason too (``不存在``), as ``(path, "!…")``: the caller lists them as 跳过.
    """
    excluded = set()
    for p in exclude:
        try:
            excluded.add(Path(p).resolve())
        except OSError:
            pass
    seen: set[Path] = set()
    out: list[tuple[Path, str | None]] = []

    def add(p: Path, reason: str | None) -> None:
        try:
            key = p.resolve()
        except OSError:
            key = p.absolute()
        if key in seen or key in excluded:
            return
        seen.add(key)
        out.append((p, reason))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if name.lower().endswith(LISTED_EXTS):
                        found.append(Path(root) / name)
            for f in sorted(found, key=lambda x: str(x)):
                add(f, _ignore_reason(f))
        elif p.exists():
            reason = _ignore_reason(p)
            add(p, reason if reason and p.name.startswith("~$") else None)
        else:
            add(p, "!文件或文件夹不存在")
    return out


def _ignore_reason(p: Path) -> str | None:
    if p.name.startswith("~$"):
        return "Office 临时锁文件（工作簿在 Excel/WPS 中打开时产生），已忽略"
    if p.name.startswith("."):
        return "隐藏文件，已忽略"
    return None


# --------------------------------------------------------------------------------------------- per file
def _validator() -> tuple[Callable[[Any], Any] | None, str | None]:
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


def _form_result(form: Any, report: Any, display: str) -> _FormResult:
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
        for i in t.indicators:
            v = i.value
            value = float(v) if isinstance(v, Decimal) else v
            core = None if i.core is None else ("是" if i.core else "否")
            inds.append((dept, year, seq, t.name, i.level1, i.level2, i.name, core, i.op, value, i.unit,
                         display, sheet, i.cells.get("name")))
        n_ind += len(t.indicators)
    issues: list[tuple] = []
    errors = warnings = 0
    for iss in getattr(report, "issues", None) or ():
        sev = getattr(iss, "severity", "error")
        sev = getattr(sev, "value", sev)
        if sev == "error":
            errors += 1
        elif sev == "warning":
            warnings += 1
        issues.append((display, getattr(iss, "sheet", None) or sheet, getattr(iss, "cell", None), dept,
                       SEVERITY_ZH.get(str(sev), str(sev)), _s(getattr(iss, "code", None)),
                       _s(getattr(iss, "message", None)), _s(getattr(iss, "task", None)),
                       _issue_text(getattr(iss, "indicator", None))))
    row = [dept, form.supervisor, year, form.staff_count, form.subunit_count, b.basic, b.project, total,
           b.fiscal, b.other, len(form.tasks), n_ind, errors, warnings, display, sheet]
    key = None
    if dept:
        from .core.text import squash

        key = (squash(dept), year)
    return _FormResult(row, key, marshal.dumps(tasks), len(tasks), marshal.dumps(inds), len(inds),
                       marshal.dumps(issues), len(issues), errors, warnings)


def _looks_like_summary(path: Path) -> bool:
    """An xlperf summary (big, with 部门汇总 and 文件清单 sheets), checked before reading it whole."""
    try:
        if path.stat().st_size < 2_000_000 or not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as zf:
            wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        return all(f'name="{s}"' in wb for s in _SUMMARY_SHEETS)
    except Exception:
        return False


_SUMMARY_REASON = "这是 xlperf 生成的汇总文件（含 部门汇总/文件清单 工作表），不作为输入"


def process_file(path: Path, display: str, validate: Callable[[Any], Any] | None) -> _FileResult:
    """Read, parse and validate one workbook. Never raises: problems become the file's reason."""
    from .core.parse import parse_grid
    from .io.readers import read_grids

    res = _FileResult(path, display)
    try:
        if _looks_like_summary(path):
            res.status, res.reason = SKIPPED, _SUMMARY_REASON
            return res
        grids = read_grids(path)
        if _SUMMARY_SHEETS <= {g.sheet for g in grids}:
            res.status, res.reason = SKIPPED, _SUMMARY_REASON
            return res
        not_forms: list[str] = []
        for g in grids:
            try:
                form = parse_grid(g)
            except NotAFormError as exc:
                not_forms.append(f"{g.sheet}：{exc.message}")
                continue
            except Exception as exc:
                msg = f"工作表无法解析（{type(exc).__name__}: {exc}）"
                not_forms.append(f"{g.sheet}：{msg}")
                res.issues.append((display, g.sheet, None, None, "错误", "XC002", msg, None, None))
                continue
            form.source = str(path)
            report = None
            if validate is not None:
                try:
                    report = validate(form)
                except Exception as exc:
                    res.issues.append((display, g.sheet, None, form.department, "错误", "XC003",
                                       f"校验时出错（{type(exc).__name__}: {exc}），该表未完成校验", None, None))
            res.forms.append(_form_result(form, report, display))
        if not res.forms:
            res.status = SKIPPED
            if not grids:
                res.reason = "工作簿中没有工作表"
            elif len(not_forms) == 1:
                res.reason = not_forms[0].split("：", 1)[1]
            else:
                res.reason = "没有找到绩效目标表（" + "；".join(not_forms[:5]) + ("；…" if len(not_forms) > 5 else "") + "）"
    except XlperfError as exc:
        res.status, res.reason = SKIPPED, exc.message
        res.forms.clear()
    except MemoryError:
        res.status, res.reason = SKIPPED, "文件过大，内存不足，无法读取"
        res.forms.clear()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # never a traceback (pyo3's PanicException is a BaseException)
        res.status, res.reason = SKIPPED, f"无法读取（{type(exc).__name__}: {exc}）"
        res.forms.clear()
    return res


_WORKER_VALIDATE: list[Any] = []


def _work(items: list[tuple[str, str]], validate: bool) -> list[_FileResult]:
    """Worker entry point (threads and processes): process files ``(path, display)`` in order."""
    fn = None
    if validate:
        if not _WORKER_VALIDATE:
            _WORKER_VALIDATE.append(_validator()[0])
        fn = _WORKER_VALIDATE[0]
    return [process_file(Path(p), d, fn) for p, d in items]


def _run_inline(chunks: Iterable[list[tuple[str, str]]], validate: bool) -> Iterator[_FileResult]:
    for chunk in chunks:
        yield from _work(chunk, validate)


def _ordered_map(items: list[tuple[str, str]], jobs: int, validate: bool, executor: str) -> Iterator[_FileResult]:
    """Results of ``_work`` over ``items`` in input order, with a bounded number of chunks in flight
    (memory stays flat however many files there are). ``executor``: "process", "thread" or "serial".

    The pool is started (and the first chunks submitted) before this returns, so worker processes are
    forked before the caller starts any thread (a progress bar)."""
    if jobs <= 1 or len(items) <= 1 or executor == "serial":
        return _run_inline(([it] for it in items), validate)
    size = max(1, min(16, len(items) // (jobs * 8))) if executor == "process" else 1
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    window = 2 * jobs if executor == "process" else 4 * jobs
    try:
        if executor == "process":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
            ex: Any = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
        else:
            ex = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="xlperf-read")
        it = iter(chunks)
        pending: deque[tuple[list[tuple[str, str]], Any]] = deque()
        for chunk in it:
            pending.append((chunk, ex.submit(_work, chunk, validate)))
            if len(pending) >= window:
                break
    except (OSError, ImportError, NotImplementedError, RuntimeError):  # no processes here (some sandboxes)
        return _ordered_map(items, jobs, validate, "thread" if executor == "process" else "serial")
    return _drain(ex, it, pending, validate)


def _drain(ex: Any, it: Iterator[list[tuple[str, str]]], pending: deque[tuple[list[tuple[str, str]], Any]],
           validate: bool) -> Iterator[_FileResult]:
    broken = False
    try:
        while pending:
            chunk, fut = pending.popleft()
            try:
                results = fut.result()
            except Exception:  # a broken pool (a worker died): finish the batch in this process
                broken = True
                results = _work(chunk, validate)
            if not broken:
                nxt = next(it, None)
                if nxt is not None:
                    try:
                        pending.append((nxt, ex.submit(_work, nxt, validate)))
                    except Exception:
                        broken = True
                        pending.append((nxt, None))
            yield from results
            if broken:
                rest = [c for c, _ in pending] + list(it)
                pending.clear()
                yield from _run_inline(rest, validate)
                break
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------------------------- result
class Consolidation:
    """The consolidated data. Tables as pandas DataFrames (columns as in the summary sheets):
    ``departments``, ``tasks``, ``indicators``, ``issues``, ``files`` (the objects behind the last one:
    ``file_records``); ``to_excel(path)``,
    ``to_json(path)``, ``to_csv(dir)``. Amounts are in 万元; ``totals`` holds exact Decimal sums.

    Detail rows live in temporary spool files until :meth:`close` (or garbage collection).
    """

    def __init__(self, on_duplicate: str = "error") -> None:
        self.on_duplicate = on_duplicate
        self.file_records: list[FileRecord] = []  # 文件清单 as objects; ``files`` is the DataFrame
        self._depts: list[_Dept] = []
        self._dept_rows = _Spool()
        self._tasks = _Spool()
        self._inds = _Spool()
        self._issues = _Spool()
        self._excluded: set[int] = set()
        self._frames: dict[str, Any] = {}
        self.notes: list[str] = []
        self.validated = False
        self._index: dict[tuple[str, int | None], tuple[int, str]] = {}  # key -> (form id, where)

    # ------------------------------------------------------------------------------------------ build
    def _add_file(self, res: _FileResult | None, path: Path, display: str, ignored: str | None) -> None:
        rec = FileRecord(index=len(self.file_records) + 1, path=display)
        self.file_records.append(rec)
        if ignored is not None:
            rec.status, rec.reason = (SKIPPED, ignored[1:]) if ignored.startswith("!") else (IGNORED, ignored)
            return
        assert res is not None
        rec.status, rec.reason = res.status, res.reason
        if res.issues:
            self._issues.append(-1, res.issues)
            rec.errors += sum(1 for i in res.issues if i[4] == "错误")
        for fr in res.forms:
            form_id = len(self._depts)
            dept = _Dept(form_id, rec.index, n_tasks=fr.n_tasks, n_indicators=fr.n_indicators)
            dup_issue = self._check_duplicate(dept, fr.key, fr.dept)
            self._depts.append(dept)
            self._tasks.append_blob(form_id, fr.tasks, fr.n_tasks)
            self._inds.append_blob(form_id, fr.indicators, fr.n_indicators)
            self._issues.append_blob(form_id, fr.issues, fr.n_issues)
            if dup_issue is not None:
                self._issues.append(form_id, [dup_issue])
                if dup_issue[4] == "错误":
                    fr.errors += 1
                else:
                    fr.warnings += 1
                fr.dept[12], fr.dept[13] = fr.errors, fr.warnings
            self._dept_rows.append(form_id, [_dept_to_spool(fr.dept)])
            rec.forms += 1
            rec.tasks += fr.n_tasks
            rec.indicators += fr.n_indicators
            rec.errors += fr.errors
            rec.warnings += fr.warnings
            rec.departments.append(fr.dept[0] or "")
            rec.form_ids.append(form_id)
        self._refresh_status(rec)

    def _check_duplicate(self, dept: _Dept, key: tuple[str, int | None] | None, row: list[Any]) -> tuple | None:
        if key is None:
            return None
        hit = self._index.get(key)
        if hit is None:
            self._index[key] = (dept.form_id, _where(row))
            return None
        prev_id, prev_where = hit
        prev = self._depts[prev_id]
        name = row[0]
        year = f"{key[1]}年" if key[1] is not None else "年度不明"
        loc = (row[14], row[15], None, name)
        if self.on_duplicate == "keep-last":
            prev.included = False
            self._excluded.add(prev.form_id)
            self._index[key] = (dept.form_id, _where(row))
            self._refresh_status(self.file_records[prev.file_index - 1])
            return (*loc, "警告", "XC001",
                    f"部门「{name}」（{year}）重复：以本表为准，{prev_where} 中的同名部门未计入汇总"
                    "（--on-duplicate keep-last）", None, None)
        if self.on_duplicate == "keep-both":
            return (*loc, "警告", "XC001",
                    f"部门「{name}」（{year}）重复出现（另见 {prev_where}），两者均已计入汇总"
                    "（--on-duplicate keep-both），合计中该部门被计算两次", None, None)
        dept.included = False
        self._excluded.add(dept.form_id)
        return (*loc, "错误", "XC001",
                f"部门「{name}」（{year}）重复：已在 {prev_where} 中汇总，本表未计入"
                "（可用 --on-duplicate keep-last 或 keep-both）", None, None)

    def _refresh_status(self, rec: FileRecord) -> None:
        """A file whose forms were all left out as duplicates is 跳过 (not a failure: the duplicate is
        reported in 校验问题, as an error under ``--on-duplicate error``)."""
        if rec.status == IGNORED or not rec.form_ids:
            return
        excluded = [i for i in rec.form_ids if not self._depts[i].included]
        why = ("同名部门已由后出现的表替换" if self.on_duplicate == "keep-last" else "重复部门") + \
            "，未计入汇总（见 校验问题 XC001）"
        if len(excluded) == len(rec.form_ids):
            rec.status, rec.reason = SKIPPED, why
        elif excluded:
            rec.reason = f"{len(excluded)} 张表：{why}"

    # ------------------------------------------------------------------------------------------ views
    @property
    def included_departments(self) -> Iterator[list[Any]]:
        """The 部门汇总 rows of the consolidated forms (amounts as Decimal), streamed from the spool."""
        for form_id, rows in self._dept_rows.blocks():
            if form_id not in self._excluded:
                for r in rows:
                    yield _dept_from_spool(r)

    @property
    def totals(self) -> dict[str, Decimal]:
        """Exact sums over the consolidated departments (万元): 基本支出, 项目支出, 支出合计, 财政拨款, 其他资金."""
        out = {DEPT_COLS[c]: Decimal(0) for c in sorted(DEPT_MONEY)}
        for r in self.included_departments:
            for c in DEPT_MONEY:
                if r[c] is not None:
                    out[DEPT_COLS[c]] += r[c]
        return out

    @property
    def counts(self) -> dict[str, int]:
        st = Counter(f.status for f in self.file_records)
        depts = [d for d in self._depts if d.included]
        return {
            "files": len(self.file_records), "ok": st[OK], "skipped": st[SKIPPED], "ignored": st[IGNORED],
            "departments": len(depts), "tasks": sum(d.n_tasks for d in depts),
            "indicators": sum(d.n_indicators for d in depts),
            "errors": sum(f.errors for f in self.file_records), "warnings": sum(f.warnings for f in self.file_records),
        }

    @property
    def exit_code(self) -> int:
        """0 all good; 1 some files could not be consolidated (unreadable, not a form, missing) or the
        validator (or an unwanted duplicate) reported errors."""
        failed = any(f.status == SKIPPED and not f.form_ids for f in self.file_records)
        return 1 if failed or self.counts["errors"] else 0

    def task_rows(self) -> Iterator[tuple]:
        for form_id, rows in self._tasks.blocks():
            if form_id not in self._excluded:
                yield from rows

    def indicator_rows(self) -> Iterator[tuple]:
        for form_id, rows in self._inds.blocks():
            if form_id not in self._excluded:
                yield from rows

    def issue_rows(self) -> Iterator[tuple]:
        for _form_id, rows in self._issues.blocks():
            yield from rows

    def category_counts(self) -> Counter[tuple[str, str]]:
        """Indicators per (一级指标, 二级指标) over the consolidated forms (the 图表 sheet's source)."""
        return Counter((r[4] or "（空）", r[5] or "（空）") for r in self.indicator_rows())

    def _frame(self, name: str, cols: list[str], rows: Iterable[Any], money: Iterable[int] = ()) -> Any:
        if name not in self._frames:
            import pandas as pd

            df = pd.DataFrame([list(r) for r in rows], columns=cols)
            for c in money:
                df[cols[c]] = pd.to_numeric(df[cols[c]], errors="coerce").astype("float64")
            self._frames[name] = df
        return self._frames[name]

    @property
    def departments(self) -> Any:
        return self._frame("departments", DEPT_COLS,
                           ([_f(v) if i in DEPT_MONEY else v for i, v in enumerate(r)] for r in self.included_departments),
                           DEPT_MONEY)

    @property
    def tasks(self) -> Any:
        return self._frame("tasks", TASK_COLS, self.task_rows(), TASK_MONEY)

    @property
    def indicators(self) -> Any:
        return self._frame("indicators", IND_COLS, self.indicator_rows())

    @property
    def issues(self) -> Any:
        return self._frame("issues", ISSUE_COLS, self.issue_rows())

    @property
    def files(self) -> Any:
        return self._frame("files", FILE_COLS, (f.row() for f in self.file_records))

    # ------------------------------------------------------------------------------------------ output
    def to_excel(self, path: str | Path, *, compresslevel: int = 1) -> Path:
        """Write the summary workbook atomically (temporary file, then rename)."""
        from .io.xlsx import atomic_write

        target = Path(path)
        atomic_write(target, lambda tmp: write_summary(self, tmp, compresslevel=compresslevel))
        return target

    def to_csv(self, directory: str | Path) -> list[Path]:
        """One UTF-8 (with BOM, for Excel) CSV per table. Text that a spreadsheet would take for a formula
        (starting with = + - @) gets a leading apostrophe."""
        import csv

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        out = []
        tables = [
            (DEPT_SHEET, DEPT_COLS, self.included_departments),
            (TASK_SHEET, TASK_COLS, self.task_rows()),
            (IND_SHEET, IND_COLS, self.indicator_rows()),
            (ISSUE_SHEET, ISSUE_COLS, self.issue_rows()),
            (FILE_SHEET, FILE_COLS, (f.row() for f in self.file_records)),
        ]
        for name, cols, rows in tables:
            p = d / f"{name}.csv"
            with p.open("w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                for r in rows:
                    w.writerow([_csv_cell(v) for v in r])
            out.append(p)
        return out

    def _json_sections(self, details: bool) -> Iterator[tuple[str, Any, bool]]:
        """(key, value, is_stream) in output order; streamed sections are iterables of records."""
        def recs(cols: list[str], rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
            for row in rows:
                yield {c: _json_value(v) for c, v in zip(cols, row, strict=False)}

        yield "summary", {**self.counts, "totals": {k: _json_value(v) for k, v in self.totals.items()},
                          "validated": self.validated, "on_duplicate": self.on_duplicate}, False
        yield "notes", list(self.notes), False
        yield "files", recs(FILE_COLS, (f.row() for f in self.file_records)), True
        yield "departments", recs(DEPT_COLS, self.included_departments), True
        yield "issues", recs(ISSUE_COLS, self.issue_rows()), True
        if details:
            yield "tasks", recs(TASK_COLS, self.task_rows()), True
            yield "indicators", recs(IND_COLS, self.indicator_rows()), True

    def to_json_dict(self, *, details: bool = False) -> dict[str, Any]:
        """summary (counts, exact totals), notes, files, departments, issues (+ tasks, indicators)."""
        return {k: list(v) if stream else v for k, v, stream in self._json_sections(details)}

    def to_json(self, path: str | Path, *, details: bool = False) -> Path:
        """Write :meth:`to_json_dict` as UTF-8 JSON, streamed (memory stays flat) and atomically."""
        from .io.xlsx import atomic_write

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write("{")
                for i, (key, value, stream) in enumerate(self._json_sections(details)):
                    fh.write(("," if i else "") + "\n" + json.dumps(key) + ": ")
                    if not stream:
                        fh.write(json.dumps(value, ensure_ascii=False))
                        continue
                    fh.write("[")
                    for k, rec in enumerate(value):
                        fh.write(("," if k else "") + "\n  " + json.dumps(rec, ensure_ascii=False))
                    fh.write("]")
                fh.write("\n}\n")

        target = Path(path)
        atomic_write(target, write)
        return target

    def close(self) -> None:
        for s in (self._tasks, self._inds, self._issues):
            s.close()
        self._frames.clear()

    def __enter__(self) -> Consolidation:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        c = self.counts
        return (f"<Consolidation files={c['files']} departments={c['departments']} tasks={c['tasks']} "
                f"indicators={c['indicators']} errors={c['errors']} warnings={c['warnings']}>")



def _csv_cell(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    if isinstance(v, Decimal):
        return format(v, "f")
    return v


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def consolidate(paths: str | Path | Iterable[str | Path], *, jobs: int | None = None, on_duplicate: str = "error",
                progress: bool = False, exclude: Iterable[str | Path] = (), executor: str = "auto") -> Consolidation:
    """Read every workbook under ``paths`` and consolidate the forms. See the module docstring.

    ``jobs``: parallel workers (default: CPU count). ``executor``: "auto" (forked worker processes on
    Linux for batches of ``PROCESS_MIN_FILES`` files or more, else threads), "process", "thread" or
    "serial".
    Parsing is pure Python, so threads only overlap the parts python-calamine and zlib run without
    the GIL; processes use every core (measured: see ``benchmarks/bench_consolidate.py``).

    Raises :class:`XlperfError` only when nothing can be done (no input found, bad option).
    """
    if on_duplicate not in ON_DUPLICATE:
        raise XlperfError(f"--on-duplicate 只能是 {'、'.join(ON_DUPLICATE)}（收到 {on_duplicate!r}）")
    if isinstance(paths, (str, Path)):
        paths = [paths]
    inputs = discover(paths, exclude=exclude)
    if not inputs:
        raise XlperfError("没有找到可汇总的工作簿（.xlsx .xlsm .xls .ods）")
    if all(r is not None and r.startswith("!") for _, r in inputs):
        raise XlperfError("输入的文件或文件夹都不存在：" + "、".join(str(p) for p, _ in inputs[:5]))
    validate, note = _validator()
    cons = Consolidation(on_duplicate)
    cons.validated = validate is not None
    if note:
        cons.notes.append(note)
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    if executor not in ("auto", "process", "thread", "serial"):
        raise XlperfError(f"executor 只能是 auto、process、thread 或 serial（收到 {executor!r}）")
    work = [(str(p), _display(p)) for p, r in inputs if r is None]
    if executor == "auto":
        # worker processes are forked (Linux): they start in milliseconds with everything imported. Where
        # only "spawn" exists (Windows, macOS) each worker would re-import xlperf: threads there.
        # Forking a process that runs other threads (a notebook, an add-in server) is not safe: threads there.
        import threading

        big = jobs > 1 and len(work) >= PROCESS_MIN_FILES
        alone = threading.active_count() == 1
        executor = "process" if big and alone and sys.platform.startswith("linux") else "thread"
    from .core.parse import parse_grid  # noqa: F401  - imported before the workers fork
    from .io.readers import read_grids  # noqa: F401
    results = _ordered_map(work, jobs, validate is not None, executor)
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(inputs), unit="个文件", desc="汇总", file=sys.stderr, leave=False)
        except Exception:  # pragma: no cover - tqdm missing
            bar = None
    try:
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
    return cons


def _display(p: Path) -> str:
    """The path as shown in the summary: relative to the working directory when below it."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


# --------------------------------------------------------------------------------------------- writing
def write_summary(cons: Consolidation, path: Path, *, compresslevel: int = 1) -> None:
    """Stream the summary workbook to ``path`` (not atomic: ``Consolidation.to_excel`` is)."""
    from .core.grid import col_letter
    from .io.fastxlsx import MAX_ROWS, BarChart, Formula, Series, Workbook, ref

    with Workbook(path, compresslevel=compresslevel) as wb:
        head = wb.add_format(bold=True, fill="DDEBF7", border=True, halign="center", valign="center", wrap=True)
        money = wb.add_format(num_fmt="#,##0.00")
        integer = wb.add_format(num_fmt="#,##0")
        total_label = wb.add_format(bold=True, fill="FFF2CC", border=True)
        total_money = wb.add_format(bold=True, fill="FFF2CC", border=True, num_fmt="#,##0.00")
        total_int = wb.add_format(bold=True, fill="FFF2CC", border=True, num_fmt="#,##0")
        note = wb.add_format(italic=True, font_color="595959")
        title = wb.add_format(bold=True, font_size=13)
        bad = wb.add_format(font_color="C00000")

        # 部门汇总 (streamed from the spool; totals and the top departments for the chart on the way)
        n = sum(1 for d in cons._depts if d.included)
        notes = ["说明：金额单位为万元；合计行为 SUM 公式；支出合计 = 表中的部门预算支出合计，没有时为 基本支出 + 项目支出。"]
        dup = {"error": "同一部门（名称和年度相同）重复出现时，只计入第一次出现的表，其余列为错误（XC001）。",
               "keep-last": "同一部门重复出现时，以最后出现的表为准（XC001 警告）。",
               "keep-both": "同一部门重复出现时，各表均计入合计（XC001 警告）。"}[cons.on_duplicate]
        notes.append("说明：" + dup)
        notes += [f"说明：{x}" for x in cons.notes]
        ws = wb.add_sheet(DEPT_SHEET, widths=_WIDTHS[DEPT_SHEET], freeze=(1, 1),
                          dimension=(n + 3 + len(notes), len(DEPT_COLS)))
        ws.write_row(DEPT_COLS, head, height=30)
        styles = [money if i in DEPT_MONEY else integer if 3 <= i <= 13 and i != 2 else 0 for i in range(len(DEPT_COLS))]
        sums = {c: Decimal(0) for c in range(DEPT_SUM_FROM, DEPT_SUM_TO + 1)}
        top: list[tuple] = []  # min-heap of the TOP_DEPARTMENTS largest 项目支出
        for k, r in enumerate(cons.included_departments):
            ws.write_row(r, styles)
            for c in sums:
                v = r[c]
                if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
                    sums[c] += v
            heapq.heappush(top, (r[6] or Decimal(0), -k, r[0] or "（未填部门名称）", r[5] or Decimal(0)))
            if len(top) > TOP_DEPARTMENTS:
                heapq.heappop(top)
        if n:
            ws.set_autofilter(0, 0, n, len(DEPT_COLS) - 1)
        tot: list[Any] = ["合计"] + [None] * (len(DEPT_COLS) - 1)
        tot_styles = [total_label] * len(DEPT_COLS)
        for c, total in sums.items():
            letter = col_letter(c)
            tot[c] = Formula(f"SUM({letter}2:{letter}{n + 1})", total) if n else 0
            tot_styles[c] = total_money if c in DEPT_MONEY else total_int
        tot[1] = f"{n} 个部门"
        ws.write_row(tot, tot_styles)
        ws.skip_rows(1)
        for x in notes:
            ws.write_row([x], note)
        top.sort(reverse=True)

        # 任务明细 / 指标明细 / 校验问题 (split over several sheets beyond Excel's row limit)
        def detail(name: str, cols: list[str], rows: Iterable[tuple], styles: list[int], total: int) -> None:
            part = 1
            sheet = None
            count = 0

            def open_sheet(title: str) -> Any:
                n = min(total - count, MAX_ROWS - 1)
                s = wb.add_sheet(title, widths=_WIDTHS[name], freeze=(1, 1), dimension=(n + 1, len(cols)))
                s.write_row(cols, head, height=30)
                return s

            sheet = open_sheet(name)
            for row in rows:
                if sheet.rows >= MAX_ROWS:
                    sheet.set_autofilter(0, 0, sheet.rows - 1, len(cols) - 1)
                    part += 1
                    sheet = open_sheet(f"{name}{part}")
                sheet.write_row(row, styles)
                count += 1
            if sheet.rows > 1:
                sheet.set_autofilter(0, 0, sheet.rows - 1, len(cols) - 1)

        included = [d for d in cons._depts if d.included]
        counts: Counter[tuple[str, str]] = Counter()  # indicators per (一级, 二级), for the 图表 sheet

        def counted(rows: Iterable[tuple]) -> Iterator[tuple]:
            for r in rows:
                counts[(r[4] or "（空）", r[5] or "（空）")] += 1
                yield r

        detail(TASK_SHEET, TASK_COLS, cons.task_rows(), [money if i in TASK_MONEY else 0 for i in range(len(TASK_COLS))],
               sum(d.n_tasks for d in included))
        detail(IND_SHEET, IND_COLS, counted(cons.indicator_rows()), [0] * len(IND_COLS),
               sum(d.n_indicators for d in included))
        detail(ISSUE_SHEET, ISSUE_COLS, cons.issue_rows(), [0] * len(ISSUE_COLS), cons._issues.rows)

        # 文件清单
        ws = wb.add_sheet(FILE_SHEET, widths=_WIDTHS[FILE_SHEET], freeze=(1, 0),
                          dimension=(len(cons.file_records) + 1, len(FILE_COLS)))
        ws.write_row(FILE_COLS, head, height=30)
        for f in cons.file_records:
            ws.write_row(f.row(), [0, 0, bad if f.status == SKIPPED else 0] + [0] * (len(FILE_COLS) - 3))
        if cons.file_records:
            ws.set_autofilter(0, 0, len(cons.file_records), len(FILE_COLS) - 1)

        # 图表: small source tables on the left, native charts on the right
        ws = wb.add_sheet(CHART_SHEET, widths=[30, 14, 14, 10, 4], selected=False)
        shown = top  # (项目支出, -order, name, 基本支出), largest first
        more = n - len(shown)
        ws.write_row([f"项目支出（万元）：前 {len(shown)} 个部门" if more else "项目支出（万元）：各部门"], title)
        ws.write_row(["部门名称", "项目支出", "基本支出"], head)
        r0 = ws.rows
        for project, _k, name, basic in shown:
            ws.write_row([name, project, basic], [0, money, money])
        r1 = ws.rows - 1  # the chart shows the departments, not the 其他 row below them
        if more:
            ws.write_row([f"其他 {more} 个部门", sums[6] - sum((t[0] for t in shown), Decimal(0)),
                          sums[5] - sum((t[3] for t in shown), Decimal(0))], [0, money, money])
        charts: list[tuple[BarChart, int]] = []
        if r1 >= r0:
            charts.append((BarChart(
                "各部门项目支出（万元）",
                [Series("项目支出", ref(CHART_SHEET, r0, 1, r1, 1), ref(CHART_SHEET, r0, 0, r1, 0),
                        name_ref=ref(CHART_SHEET, r0 - 1, 1), value_cache=[float(t[0]) for t in shown],
                        category_cache=[t[2] for t in shown], color="4472C4")],
                horizontal=True, number_format="#,##0"), max(18, (r1 - r0 + 1) + 4)))
        ws.skip_rows(1)
        by1: Counter[str] = Counter()
        for (l1, _l2), k in counts.items():
            by1[l1] += k
        ws.write_row(["指标数：按一级指标"], title)
        ws.write_row(["一级指标", "指标数"], head)
        a0 = ws.rows
        l1_rows = by1.most_common(12)
        for l1, k in l1_rows:
            ws.write_row([l1, k], [0, integer])
        a1_ = ws.rows - 1
        if l1_rows:
            charts.append((BarChart(
                "指标数（按一级指标）",
                [Series("指标数", ref(CHART_SHEET, a0, 1, a1_, 1), ref(CHART_SHEET, a0, 0, a1_, 0),
                        name_ref=ref(CHART_SHEET, a0 - 1, 1), value_cache=[float(k) for _, k in l1_rows],
                        category_cache=[l1 for l1, _ in l1_rows], color="70AD47")]), 18))
        ws.skip_rows(1)
        ws.write_row(["指标数：按一级/二级指标"], title)
        ws.write_row(["一级/二级指标", "指标数", "一级指标", "二级指标"], head)
        b0 = ws.rows
        l2_rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(l2_rows) > 30:
            rest_n = sum(k for _, k in l2_rows[29:])
            l2_rows = l2_rows[:29] + [(("其他", "其他"), rest_n)]
        labels = []
        for (l1, l2), k in l2_rows:
            label = f"{l1}／{l2}" if (l1, l2) != ("其他", "其他") else "其他"
            labels.append(label)
            ws.write_row([label, k, l1, l2], [0, integer, 0, 0])
        b1 = ws.rows - 1
        if l2_rows:
            charts.append((BarChart(
                "指标数（按一级/二级指标）",
                [Series("指标数", ref(CHART_SHEET, b0, 1, b1, 1), ref(CHART_SHEET, b0, 0, b1, 0),
                        name_ref=ref(CHART_SHEET, b0 - 1, 1), value_cache=[float(k) for _, k in l2_rows],
                        category_cache=labels, color="ED7D31")], horizontal=True), max(18, len(l2_rows) + 4)))
        row = 0
        for chart, height in charts:
            ws.add_chart(chart, row, 5, row + height, 15)
            row += height + 1
