"""The result of a consolidation: :class:`Consolidation` (the 文件清单 records in memory, the detail rows
in temporary spool files), its DataFrame views and its CSV/JSON/Excel output."""

from __future__ import annotations

import io
import json
import marshal
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .schema import (
    DEPT_COLS,
    DEPT_MONEY,
    DEPT_SHEET,
    FILE_COLS,
    FILE_SHEET,
    IGNORED,
    IND_COLS,
    IND_SHEET,
    ISSUE_COLS,
    ISSUE_SEVERITY,
    ISSUE_SHEET,
    OK,
    PROJECT_COLS,
    PROJECT_MONEY,
    PROJECT_SHEET,
    SEVERITY_ZH,
    SKIPPED,
    TASK_COLS,
    TASK_MONEY,
    TASK_SHEET,
    IssueRow,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..io.fastxlsx import DeflatedPart, RowEncoder
    from .worker import FileReport


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
    project: bool = False  # a project form (项目汇总), not a department


def _where(row: list[Any]) -> str:
    return f"{row[14]}［{row[15]}］"


def _dept_to_spool(row: list[Any]) -> tuple:
    return tuple(None if v is None else str(v) if i in DEPT_MONEY else v for i, v in enumerate(row))


def _dept_from_spool(row: tuple) -> list[Any]:
    return [None if v is None else Decimal(v) if i in DEPT_MONEY else v for i, v in enumerate(row)]


def _f(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


class _Spool:
    """Append-only temporary file of row blocks: ``[length][form id][marshal(list of row tuples)]``.

    With an ``encoder`` (:class:`~xlperf.io.fastxlsx.RowEncoder`) each block is also made into sheet XML
    as it arrives, so that the summary workbook only copies it: numbered and deflated in ``deflated``
    (:class:`~xlperf.io.fastxlsx.DeflatedRows`) when ``final`` (the rows that stay are known as they
    come: a block appended with ``included=False`` is left out there), else kept in ``encoded`` (a spool
    of ``marshal(list of row texts)``, numbered when written)."""

    def __init__(self, encoder: RowEncoder | None = None, *, final: bool = False) -> None:
        from ..io.fastxlsx import DeflatedRows

        self._fh: IO[bytes] = tempfile.TemporaryFile(prefix="xlperf-spool-")
        self.rows = 0
        self.encoder = encoder
        self.encoded: _Spool | None = None
        self.deflated: DeflatedRows | None = None
        try:
            if encoder is not None and final:
                self.deflated = DeflatedRows()
            elif encoder is not None:
                self.encoded = _Spool()
        except BaseException:
            self._fh.close()
            raise

    def append(self, form_id: int, rows: list[tuple]) -> None:
        if rows:
            self.append_blob(form_id, marshal.dumps(rows), len(rows), rows)

    def append_blob(self, form_id: int, blob: bytes, count: int, rows: list[tuple] | None = None, *,
                    included: bool = True) -> None:
        """Append a block of ``count`` rows, ``blob`` their ``marshal.dumps`` (``rows`` the rows
        themselves, when at hand); ``included``: whether they stay in the summary's sheet."""
        if count:
            self._fh.write(len(blob).to_bytes(4, "little") + form_id.to_bytes(4, "little", signed=True))
            self._fh.write(blob)
            self.rows += count
            if self.encoder is None:
                return
            if self.deflated is not None:
                if included:
                    self.deflated.add(self.encoder.encode(marshal.loads(blob) if rows is None else rows))
            elif self.encoded is not None:
                text = self.encoder.encode(marshal.loads(blob) if rows is None else rows)
                self.encoded.append_blob(form_id, marshal.dumps(text), count)

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

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:
        """Close (and so delete) the file(s); closing again does nothing."""
        self._fh.close()
        if self.encoded is not None:
            self.encoded.close()
        if self.deflated is not None:
            self.deflated.close()


# --------------------------------------------------------------------------------------------- result
class Consolidation:
    """The consolidated data. Tables as pandas DataFrames (columns as in the summary sheets):
    ``departments``, ``tasks``, ``indicators``, ``issues``, ``files`` (the objects behind the last one:
    ``file_records``); ``to_excel(path)``,
    ``to_json(path)``, ``to_csv(dir)``. Amounts are in 万元; ``totals`` holds exact Decimal sums.

    Detail rows live in temporary spool files until :meth:`close` (a context manager: ``with``; or
    garbage collection). :meth:`close` may be called more than once.
    """

    def __init__(self, on_duplicate: str = "error", *, excel: bool = True) -> None:
        from ..io.fastxlsx import RowEncoder, SharedStrings
        from .summary import _NOTE_COL, MONEY_FORMAT, NOTE_FORMAT, TOP_FORMAT, detail_styles, note_height

        self.on_duplicate = on_duplicate
        self.file_records: list[FileRecord] = []  # 文件清单 as objects; ``files`` is the DataFrame
        self._depts: list[_Dept] = []
        self._excluded: set[int] = set()
        self._frames: dict[str, Any] = {}
        self.notes: list[str] = []
        self.validated = False
        self._index: dict[tuple[str, int | None], tuple[int, str]] = {}  # key -> (form id, where)
        self._projects: list[tuple[int, list[Any]]] = []  # (form id, 项目汇总 row): one small row per project
        self._late_warnings: dict[int, int] = {}  # form id -> warnings found after its row was spooled (XC004)
        # excel: the detail rows are encoded as sheet XML while the files are read (to_excel copies them),
        # numbered and deflated too unless a later form can still replace an earlier one (keep-last)
        self.strings = SharedStrings() if excel else None
        styles = detail_styles(MONEY_FORMAT, NOTE_FORMAT, TOP_FORMAT)
        encoders = [None] + [RowEncoder(styles[name], self.strings,
                                        height=(_NOTE_COL, note_height) if name == ISSUE_SHEET else None)
                             if self.strings is not None else None
                             for name in (TASK_SHEET, IND_SHEET, ISSUE_SHEET)] + [None, None]
        final = on_duplicate != "keep-last"
        spools: list[_Spool] = []
        try:
            for enc in encoders:
                spools.append(_Spool(enc, final=final))
        except BaseException:  # no temporary file left open when one cannot be created
            for s in spools:
                s.close()
            raise
        # per form, its indicators counted by (一级, 二级) (the 图表 sheet's source); per department form,
        # its 部门汇总 row as first made and its tasks' / duty projects' names (XC004's, once all are in)
        self._dept_rows, self._tasks, self._inds, self._issues, self._categories, self._links = spools

    @property
    def _spools(self) -> tuple[_Spool, ...]:
        return (self._dept_rows, self._tasks, self._inds, self._issues, self._categories, self._links)

    def _add_indicators(self, form_id: int, blob: bytes, count: int, *, included: bool = True) -> None:
        """A form's 指标明细 rows, and their count by (一级, 二级)."""
        if not count:
            return
        rows = marshal.loads(blob)
        self._inds.append_blob(form_id, blob, count, rows, included=included)
        self._categories.append(form_id, list(Counter((r[4] or "（空）", r[5] or "（空）") for r in rows).items()))

    # ------------------------------------------------------------------------------------------ build
    def _add_file(self, res: FileReport | None, path: Path, display: str, ignored: str | None) -> None:
        rec = FileRecord(index=len(self.file_records) + 1, path=display)
        self.file_records.append(rec)
        if ignored is not None:
            rec.status, rec.reason = (SKIPPED, ignored[1:]) if ignored.startswith("!") else (IGNORED, ignored)
            return
        assert res is not None
        rec.status, rec.reason = res.status, res.reason
        if res.issues:
            self._issues.append(-1, res.issues)
            rec.errors += sum(1 for i in res.issues if i[ISSUE_SEVERITY] == SEVERITY_ZH["error"])
        for fr in res.forms:
            form_id = len(self._depts)
            dept = _Dept(form_id, rec.index, n_tasks=fr.n_tasks, n_indicators=fr.n_indicators,
                         project=fr.project is not None)
            if fr.project is not None:  # a project form: 项目汇总, its indicators and issues
                self._depts.append(dept)
                self._projects.append((form_id, fr.project))
                self._add_indicators(form_id, fr.indicators, fr.n_indicators)
                self._issues.append_blob(form_id, fr.issues, fr.n_issues)
                rec.forms += 1
                rec.indicators += fr.n_indicators
                rec.errors += fr.errors
                rec.warnings += fr.warnings
                rec.departments.append(fr.project[2] or fr.project[1] or "")
                rec.form_ids.append(form_id)
                continue
            if fr.key is not None:
                self._links.append(form_id, [(_dept_to_spool(fr.dept), fr.links)])
            dup_issue = self._check_duplicate(dept, fr.key, fr.dept)
            self._depts.append(dept)
            self._tasks.append_blob(form_id, fr.tasks, fr.n_tasks, included=dept.included)
            self._add_indicators(form_id, fr.indicators, fr.n_indicators, included=dept.included)
            self._issues.append_blob(form_id, fr.issues, fr.n_issues)
            if dup_issue is not None:
                self._issues.append(form_id, [dup_issue])
                if dup_issue[ISSUE_SEVERITY] == SEVERITY_ZH["error"]:
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

    def _check_duplicate(self, dept: _Dept, key: tuple[str, int | None] | None, row: list[Any]) -> IssueRow | None:
        """XC001 when ``key`` (department, year) was seen before; applies ``on_duplicate``."""
        if key is None:
            return None
        hit = self._index.get(key)
        if hit is None:
            self._index[key] = (dept.form_id, _where(row))
            return None
        from ..core.issues import Severity
        from .rules import duplicate_department, issue

        prev_id, prev_where = hit
        prev = self._depts[prev_id]
        message = duplicate_department(row[0], key[1], prev_where, self.on_duplicate)
        if self.on_duplicate == "keep-last":
            prev.included = False
            self._excluded.add(prev.form_id)
            self._index[key] = (dept.form_id, _where(row))
            self._refresh_status(self.file_records[prev.file_index - 1])
        elif self.on_duplicate == "error":
            dept.included = False
            self._excluded.add(dept.form_id)
        # kept (keep-last, keep-both): a warning; left out (error): the rule's default severity
        severity = None if self.on_duplicate == "error" else Severity.WARNING
        return issue(duplicate_department, message, display=row[14], sheet=row[15], department=row[0],
                     severity=severity)

    def _refresh_status(self, rec: FileRecord) -> None:
        """A file whose forms were all left out as duplicates is 跳过 (not a failure: the duplicate is
        reported in 校验问题, as an error under ``--on-duplicate error``)."""
        if rec.status == IGNORED or not rec.form_ids:
            return
        excluded = [i for i in rec.form_ids if not self._depts[i].included]
        if not excluded:
            return
        from .rules import code_of, duplicate_department

        why = ("同名部门已由后出现的表替换" if self.on_duplicate == "keep-last" else "重复部门") + \
            f"，未计入汇总（见 校验问题 {code_of(duplicate_department)}）"
        if len(excluded) == len(rec.form_ids):
            rec.status, rec.reason = SKIPPED, why
        else:
            rec.reason = f"{len(excluded)} 张表：{why}"

    # ------------------------------------------------------------------------------------------ views
    @property
    def included_departments(self) -> Iterator[list[Any]]:
        """The 部门汇总 rows of the consolidated forms (amounts as Decimal), streamed from the spool."""
        late = self._late_warnings
        for form_id, rows in self._dept_rows.blocks():
            if form_id not in self._excluded:
                for r in rows:
                    row = _dept_from_spool(r)
                    if form_id in late:  # XC004, found once every form was in
                        row[13] = (row[13] or 0) + late[form_id]
                    yield row

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
        out = {
            "files": len(self.file_records), "ok": st[OK], "skipped": st[SKIPPED], "ignored": st[IGNORED],
            "departments": sum(1 for d in depts if not d.project), "tasks": sum(d.n_tasks for d in depts),
            "indicators": sum(d.n_indicators for d in depts),
            "errors": sum(f.errors for f in self.file_records), "warnings": sum(f.warnings for f in self.file_records),
        }
        if self._projects:
            out["projects"] = len(self._projects)
        return out

    @property
    def exit_code(self) -> int:
        """0 all good; 1 some files could not be consolidated (unreadable, not a form, missing) or the
        validator (or an unwanted duplicate) reported errors."""
        failed = any(f.status == SKIPPED and not f.form_ids for f in self.file_records)
        return 1 if failed or self.counts["errors"] else 0

    def project_rows(self) -> Iterator[list[Any]]:
        """The 项目汇总 rows (amounts as Decimal)."""
        for _form_id, row in self._projects:
            yield row

    def _cross_check(self) -> None:
        """XC004: a department form and that department's project forms (same name as the projects'
        实施单位 or 主管部门, same year) must agree: Σ 年度资金总额 = 项目支出, every project a task, every
        task a project."""
        if not self._projects or not self._links.rows:
            return
        from ..core.text import squash
        from .rules import department_projects_differ, issue

        def same(a: str, b: str) -> bool:
            return bool(a) and bool(b) and (a == b or a in b or b in a)

        for form_id, ((spooled, links),) in self._links.blocks():
            row = _dept_from_spool(spooled)
            if not self._depts[form_id].included or not row[0]:
                continue
            name, year = squash(row[0]), row[2]
            mine = [p for _i, p in self._projects
                    if name in (squash(p[2]), squash(p[1])) and (year is None or p[3] is None or p[3] == year)]
            if not mine:
                continue
            cases: list[tuple[str, dict[str, Any]]] = []
            funds = [p[4] for p in mine]
            if row[6] is not None and all(f is not None for f in funds):
                total = sum(funds, Decimal(0))
                if total.quantize(Decimal("0.01")) != Decimal(row[6]).quantize(Decimal("0.01")):
                    from ..core.rules.common import amount

                    cases.append(("funds", {"projects": len(mine), "funds": amount(total),
                                            "project_spending": amount(Decimal(row[6]))}))
            keys = [squash(x) for x in links]
            names = [squash(p[0]) for p in mine]
            cases += [("no_task", {"name": p[0]}) for p, k in zip(mine, names, strict=True)
                      if p[0] and not any(same(k, t) for t in keys)]
            cases += [("no_project", {"name": t}) for t, k in zip(links, keys, strict=True)
                      if not any(same(k, n) for n in names)]
            found = [issue(department_projects_differ, department_projects_differ(row[0], case, **kw),
                           display=row[14], sheet=row[15], department=row[0]) for case, kw in cases]
            if found:
                self._issues.append(form_id, found)
                rec = self.file_records[self._depts[form_id].file_index - 1]
                rec.warnings += len(found)
                self._late_warnings[form_id] = len(found)  # the department's 部门汇总 row is spooled already

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
        out: Counter[tuple[str, str]] = Counter()
        for form_id, items in self._categories.blocks():
            if form_id not in self._excluded:
                for key, k in items:
                    out[key] += k
        return out

    def _detail(self, sheet: str) -> _Spool:
        """The spool of the detail ``sheet`` (任务明细, 指标明细, 校验问题)."""
        return {TASK_SHEET: self._tasks, IND_SHEET: self._inds, ISSUE_SHEET: self._issues}[sheet]

    def encoded_rows(self, sheet: str) -> Iterator[list[str]] | None:
        """The rows of the detail ``sheet`` (任务明细, 指标明细, 校验问题) as sheet XML, encoded as they
        arrived (:class:`~xlperf.io.fastxlsx.RowEncoder`, strings in :attr:`strings`), in blocks (a
        form's); ``None`` when they were not (``excel=False``). The same rows as :meth:`task_rows` etc."""
        spool = self._detail(sheet).encoded
        if spool is None:
            return None
        skip = self._excluded if sheet != ISSUE_SHEET else ()

        def rows(spool: _Spool = spool) -> Iterator[list[str]]:
            for form_id, texts in spool.blocks():
                if form_id not in skip:
                    yield texts

        return rows()

    def deflated_rows(self, sheet: str, compresslevel: int) -> list[DeflatedPart] | None:
        """The rows of the detail ``sheet`` numbered and deflated as they arrived at ``compresslevel``
        (:class:`~xlperf.io.fastxlsx.DeflatedRows`), one part per sheet they fill; ``None`` when they
        were not (``excel=False``, ``keep-last``, another level). The same rows as :meth:`task_rows` etc."""
        rows = self._detail(sheet).deflated
        if rows is None or rows.compresslevel != compresslevel:
            return None
        return rows.parts()

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
    def projects(self) -> Any:
        return self._frame("projects", PROJECT_COLS,
                           ([_f(v) if i in PROJECT_MONEY else v for i, v in enumerate(r)] for r in self.project_rows()),
                           PROJECT_MONEY)

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
        from ..io.xlsx import atomic_write
        from . import write_summary  # looked up on the package at call time (tests replace it there)

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
            *([(PROJECT_SHEET, PROJECT_COLS, self.project_rows())] if self._projects else []),
            (TASK_SHEET, TASK_COLS, self.task_rows()),
            (IND_SHEET, IND_COLS, self.indicator_rows()),
            (ISSUE_SHEET, ISSUE_COLS, self.issue_rows()),
            (FILE_SHEET, FILE_COLS, (f.row() for f in self.file_records)),
        ]
        from ..io.xlsx import atomic_write

        for name, cols, rows in tables:
            p = d / f"{name}.csv"

            def write(tmp: Path, cols: list[str] = cols, rows: Iterable[Any] = rows) -> None:
                with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(cols)
                    for r in rows:
                        w.writerow([_csv_cell(v) for v in r])

            atomic_write(p, write)  # a failure midway leaves the earlier file (or none), never half of one
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
        if self._projects:
            yield "projects", recs(PROJECT_COLS, self.project_rows()), True
        yield "issues", recs(ISSUE_COLS, self.issue_rows()), True
        if details:
            yield "tasks", recs(TASK_COLS, self.task_rows()), True
            yield "indicators", recs(IND_COLS, self.indicator_rows()), True

    def to_json_dict(self, *, details: bool = False) -> dict[str, Any]:
        """summary (counts, exact totals), notes, files, departments, issues (+ tasks, indicators)."""
        return {k: list(v) if stream else v for k, v, stream in self._json_sections(details)}

    def write_json(self, fh: Any, *, details: bool = False) -> None:
        """Write :meth:`to_json_dict` as JSON to the text stream ``fh``, streamed (memory stays flat)."""
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

    def to_json(self, path: str | Path, *, details: bool = False) -> Path:
        """Write :meth:`to_json_dict` as UTF-8 JSON, streamed (memory stays flat) and atomically."""
        from ..io.xlsx import atomic_write

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as fh:
                self.write_json(fh, details=details)

        target = Path(path)
        atomic_write(target, write)
        return target

    # ------------------------------------------------------------------------------------------ resources
    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run (the detail rows are gone)."""
        return all(s.closed for s in self._spools)

    def close(self) -> None:
        """Delete the spool files and drop the cached DataFrames. Idempotent."""
        for s in self._spools:
            s.close()
        self._frames.clear()

    def __enter__(self) -> Consolidation:
        return self

    def __exit__(self, *exc: object) -> None:
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
