"""Hostile inputs, round 2 (part): bounded work, typos as errors, outputs that never replace inputs,
files found but not read always listed.

Each case runs the real command (in a subprocess where a regression would hang or kill the process,
with a timeout so that a regression fails instead of blocking the run).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.synth import make_form, write_workbook
from xlperf.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xlperf", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=ROOT)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    text = (r.stderr + r.stdout).strip()
    assert "Traceback" not in text, text
    return text


# -- bounded work -----------------------------------------------------------------------------------------


def test_formula_chain_that_doubles_is_linear(tmp_path: Path) -> None:
    """项目支出 refers through a chain of cells each referring twice to the next (2⁶⁰ without
    memoisation): parsed at once, the total evaluated or left to the cached value."""
    from xlperf.core.formula import cell_number
    from xlperf.core.grid import Grid

    n = 60
    grid = Grid(formulas={(i, 0): f"=A{i + 2}+A{i + 2}" for i in range(n)}, values={(n, 0): 1})
    assert cell_number(grid, 0, 0) == Decimal(2**n)
    deep = Grid(formulas={(i, 0): f"=A{i + 2}" for i in range(5000)}, values={(5000, 0): 7, (0, 0): 7})
    assert cell_number(deep, 0, 0) == 7  # too deep to evaluate: the cached value

    form_path = tmp_path / "chain.xlsx"
    write_workbook(form_path, make_form(1, tasks=2, indicators=3))
    wb = openpyxl.load_workbook(form_path)
    ws = wb.active
    ws["C6"] = "=Z1+Z1"
    for i in range(1, n):
        ws[f"Z{i}"] = f"=Z{i + 1}+Z{i + 1}"
    ws[f"Z{n}"] = 1
    wb.save(form_path)
    assert form_path.stat().st_size < 30_000
    r = run("parse", str(form_path), "--json")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("text", ["1E+99999999", "9E+5000", "9" * 5000, "1e308"])
def test_absurd_numbers_are_not_numbers(tmp_path: Path, text: str) -> None:
    """Number-like text with a huge exponent or thousands of digits in a count or an amount cell: not a
    number (no hang, no 5,001-digit figure in the summary, which openpyxl could no longer read)."""
    from xlperf.core.text import split_value, to_decimal, to_int

    assert to_decimal(text) is None and to_int(text) is None
    assert split_value("≥" + text + "人")[1] is None or split_value("≥" + text + "人")[1] < 10**16
    p = tmp_path / "in" / "absurd.xlsx"
    p.parent.mkdir()
    write_workbook(p, make_form(2, tasks=2, indicators=3), text_cells={"C4": text, "E10": text})
    out = tmp_path / "sum.xlsx"
    r = run("consolidate", str(p.parent), "-o", str(out), "-q")
    assert r.returncode in (0, 1), r.stderr
    wb = openpyxl.load_workbook(out, read_only=True)  # still readable
    cells = [c for row in wb["部门汇总"].iter_rows(values_only=True) for c in row]
    assert not any(isinstance(c, (int, float)) and abs(c) > 1e16 for c in cells)


# -- typos are errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [["--select", "XPl01"], ["--select", ",,,"], ["--ignore", "XP"],
                                  ["--severity", "XP999=info"], ["--select", "XC9"]])
def test_rule_code_typos_are_errors(flag: list[str]) -> None:
    """Regression: a typo in --select/--ignore switched every rule off and reported the form clean, exit 0."""
    text = one_line_error(run("validate", "tests/fixtures/seed.txt", *flag))
    assert "规则代码" in text and "xlperf rules" in text


def test_rule_code_prefixes_and_all_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tests/fixtures/seed.txt", "--select", "xp4,XP30", "--ignore", "XP412"]) == 1
    assert main(["validate", "tests/fixtures/seed.txt", "--select", "ALL"]) == 1


def test_config_file_code_typos_are_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "xlperf.toml"
    cfg.write_text('ignore = ["XP4O1"]\n', encoding="utf-8")  # letter O, not zero
    text = one_line_error(run("validate", "tests/fixtures/seed.txt", "--config", str(cfg)))
    assert "XP4O1" in text


@pytest.mark.parametrize(("name", "value"), [("XLPERF_MAX_SHEET_CELLS", "lots"), ("XLPERF_MAX_SHEET_CELLS", "-5"),
                                             ("XLPERF_MAX_UNCOMPRESSED_MB", "3e2")])
def test_bad_environment_values_are_one_line(name: str, value: str) -> None:
    text = one_line_error(run("validate", "tests/fixtures/seed.txt", env={name: value}))
    assert name in text


@pytest.mark.parametrize("args", [["--rows", "0"], ["--tasks", "-1"], ["--tasks", "100000"], ["--year", "26"]])
def test_new_refuses_absurd_sizes(tmp_path: Path, args: list[str]) -> None:
    one_line_error(run("new", "-o", str(tmp_path / "n.xlsx"), *args))
    assert not (tmp_path / "n.xlsx").exists()


def test_jobs_are_capped_at_the_cpu_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf.consolidation as cons

    seen: list[int] = []
    real = cons._ordered_map

    def spy(items, jobs, *a, **kw):  # type: ignore[no-untyped-def]
        seen.append(jobs)
        return real(items, jobs, *a, **kw)

    monkeypatch.setattr(cons, "_ordered_map", spy)
    p = write_workbook(tmp_path / "a.xlsx", make_form(1, tasks=2, indicators=3))
    with cons.consolidate([p], jobs=1000, executor="serial"):
        pass
    assert seen == [os.cpu_count() or 1]


def test_pasted_text_that_excel_would_not_write(tmp_path: Path) -> None:
    """An unterminated quote is read as typed; a field beyond Excel's 32,767 characters is refused in one
    line; neither stops the other files of ``validate a b c``."""
    from xlperf.io.readers import read_text

    grid = read_text('部门名称\t"揭阳\n主管部门\t市政府\n')
    assert grid.values[(0, 1)] == '"揭阳' and grid.values[(1, 1)] == "市政府"
    big = tmp_path / "big.txt"
    big.write_text("部门名称\t" + "长" * 200_000 + "\n", encoding="utf-8")
    quote = tmp_path / "quote.txt"
    quote.write_text((ROOT / "tests/fixtures/seed.txt").read_text(encoding="utf-8").replace("揭阳市人民政府办公室",
                                                                                           '"揭阳市人民政府办公室', 1),
                     encoding="utf-8")
    r = run("validate", str(big), str(quote), "tests/fixtures/seed.txt")
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    assert "32,767" in r.stdout + r.stderr and r.stdout.count("XP401") >= 2  # the other two were checked


# -- outputs never replace inputs; everything found is listed --------------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("case", ["output-is-an-input", "json-is-an-input", "json-is-the-output"])
def test_outputs_never_replace_inputs(tmp_path: Path, case: str) -> None:
    """Regression: ``consolidate DIR -o DIR/dept1.xlsx`` overwrote dept1.xlsx; ``--json`` naming an input
    replaced it with JSON; ``--json`` equal to ``-o`` corrupted the summary."""
    d = tmp_path / "in"
    d.mkdir()
    for i in (1, 2):
        write_workbook(d / f"dept{i}.xlsx", make_form(i, tasks=2, indicators=3))
    before = _digest(d)
    out = tmp_path / "汇总.xlsx"
    args = {"output-is-an-input": ["-o", str(d / "dept1.xlsx")],
            "json-is-an-input": ["-o", str(out), "--json", str(d / "dept2.xlsx")],
            "json-is-the-output": ["-o", str(out), "--json", str(out)]}[case]
    one_line_error(run("consolidate", str(d), *args))
    assert _digest(d) == before and not out.exists()


def test_a_summary_beside_the_inputs_can_be_written_again(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    write_workbook(d / "dept1.xlsx", make_form(1, tasks=2, indicators=3))
    for _ in range(2):
        r = run("consolidate", str(d), "-o", str(d / "汇总.xlsx"), "-q")
        assert r.returncode in (0, 1), r.stderr


def test_files_found_but_not_read_are_listed(tmp_path: Path) -> None:
    """A FIFO named .xlsx (opening it would block), symlink loops, a dangling link and a name that is
    not UTF-8 (from a zip made on Chinese Windows): each listed in 文件清单 with its reason, or read."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs mkfifo and symlinks (POSIX)")
    d = tmp_path / "in"
    d.mkdir()
    write_workbook(d / "ok.xlsx", make_form(1, tasks=2, indicators=3))
    os.mkfifo(d / "pipe.xlsx")
    (d / "a.xlsx").symlink_to(d / "b.xlsx")
    (d / "b.xlsx").symlink_to(d / "a.xlsx")
    (d / "gone.xlsx").symlink_to(d / "nowhere.xlsx")
    gbk = os.fsencode(str(d)) + b"/" + "部门".encode("gbk") + b".xlsx"
    write_workbook(Path(os.fsdecode(gbk)), make_form(2, tasks=2, indicators=3))
    out = tmp_path / "汇总.xlsx"
    r = run("consolidate", str(d), "-o", str(out), "-q", timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    rows = {Path(row[1]).name: (row[2], row[3]) for row in
            openpyxl.load_workbook(out, read_only=True)["文件清单"].iter_rows(min_row=2, values_only=True)}
    assert rows["pipe.xlsx"][0] == "跳过" and "管道" in rows["pipe.xlsx"][1]
    assert rows["a.xlsx"][0] == rows["b.xlsx"][0] == "跳过" and "循环" in rows["a.xlsx"][1]
    assert rows["gone.xlsx"][0] == "跳过" and "不存在" in rows["gone.xlsx"][1]
    assert rows["部门.xlsx"][0] == "成功" and rows["ok.xlsx"][0] == "成功"


# -- no silent loss ---------------------------------------------------------------------------------------------


def test_a_sheet_the_user_named_校验结果_is_kept(seed_xlsx: Path, tmp_path: Path) -> None:
    """Regression: ``--mark`` replaced and ``--unmark`` deleted a sheet the user had named 校验结果;
    xlperf's own report is recognised by its header and bookkeeping, never by the name alone."""
    from tests import xlwings_double as xd
    from xlperf import excel
    from xlperf.validation import clear_marks, mark_file

    wb = openpyxl.load_workbook(seed_xlsx)
    mine = wb.create_sheet("校验结果")
    mine["A1"], mine["B2"] = "处室自查记录", "已于 3 月 5 日复核"
    own = tmp_path / "own.xlsx"
    wb.save(own)
    marked, cleared = tmp_path / "marked.xlsx", tmp_path / "cleared.xlsx"
    mark_file(own, marked)
    again = tmp_path / "again.xlsx"
    mark_file(marked, again)
    for path in (marked, again):
        wb2 = openpyxl.load_workbook(path)
        assert wb2["校验结果"]["B2"].value == "已于 3 月 5 日复核"
        assert wb2["校验结果（xlperf）"]["A1"].value == "序号"
    clear_marks(again, cleared)
    wb3 = openpyxl.load_workbook(cleared)
    assert "校验结果（xlperf）" not in wb3.sheetnames and wb3["校验结果"]["B2"].value == "已于 3 月 5 日复核"
    # nothing of xlperf's in the original: --unmark leaves it alone
    assert clear_marks(own, tmp_path / "x.xlsx").target is None
    # the ribbon, the same
    book = xd.FakeBook(own)
    excel.validate_button(book=book)
    assert book.wb["校验结果"]["B2"].value == "已于 3 月 5 日复核" and "校验结果（xlperf）" in book.wb.sheetnames
    excel.clear_marks_button(book=book)
    assert "校验结果" in book.wb.sheetnames and "校验结果（xlperf）" not in book.wb.sheetnames


def _inject(src: Path, dst: Path, parts: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


PARTS = {
    "threaded comments": {"xl/threadedComments/threadedComment1.xml":
                          b'<?xml version="1.0"?><ThreadedComments xmlns="http://schemas.microsoft.com/office/'
                          b'spreadsheetml/2018/threadedcomments"/>'},
    "data connections": {"xl/connections.xml": b'<?xml version="1.0"?><connections xmlns="http://schemas.'
                                              b'openxmlformats.org/spreadsheetml/2006/main"/>'},
    "custom XML": {"customXml/item1.xml": b'<?xml version="1.0"?><root>budget</root>'},
    "custom XML, other case": {"CustomXml/Item1.xml": b'<?xml version="1.0"?><root>budget</root>'},
}


@pytest.mark.parametrize("kind", [*PARTS, "rich text"])
def test_in_place_refuses_what_openpyxl_would_drop(seed_xlsx: Path, tmp_path: Path, kind: str) -> None:
    """Regression: ``--in-place`` rewrote without a word a workbook whose rich text, threaded comments,
    data connections or custom XML openpyxl drops. Each part is first shown to be lost by a round trip."""
    import zipfile

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from xlperf.io.xlsx import lossy_parts

    path = tmp_path / "in.xlsx"
    if kind == "rich text":
        wb = openpyxl.load_workbook(seed_xlsx, rich_text=True)
        wb.active["B7"] = CellRichText(["年度目标：", TextBlock(InlineFont(b=True, color="FF0000"), "重点保障")])
        wb.save(path)
    else:
        _inject(seed_xlsx, path, PARTS[kind])
    # openpyxl really loses it
    rt = tmp_path / "roundtrip.xlsx"
    openpyxl.load_workbook(path).save(rt)
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(rt) as b:
        if kind == "rich text":  # the runs' formatting (inline or shared strings) is gone

            def runs(z: zipfile.ZipFile) -> bool:
                return any(b"<rPr" in z.read(n) for n in z.namelist() if n.startswith(("xl/worksheets/", "xl/sharedS")))

            assert runs(a) and not runs(b)
        else:
            assert not set(PARTS[kind]) & set(b.namelist())
    assert lossy_parts(path)
    before = path.read_bytes()
    r = run("validate", "--mark", "--in-place", str(path))
    text = one_line_error(r)
    assert "拒绝原位改写" in text and path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".bak-" in p.name]


def test_two_writers_at_once_are_serialised(seed_xlsx: Path, tmp_path: Path) -> None:
    """Regression: two in-place writers at once lost one update while both reported success. While one
    holds the file, the other is refused in one line; a lock left by a dead process is taken over."""
    import json

    from xlperf.io.books import WriteLock

    path = tmp_path / "表.xlsx"
    path.write_bytes(seed_xlsx.read_bytes())
    before = path.read_bytes()
    held = WriteLock(path)
    try:
        text = one_line_error(run("validate", "--mark", "--in-place", str(path)))
        assert "正在写入" in text and path.read_bytes() == before
    finally:
        held.release()
    assert run("validate", "--mark", "--in-place", str(path)).returncode == 1 and path.read_bytes() != before
    # a lock whose process is gone
    stale = path.with_name(f".~{path.name}.xlperf-lock")
    stale.write_text(json.dumps({"pid": 2**22 + 12345, "time": 0}), encoding="utf-8")
    assert run("autosum", str(path), "--in-place").returncode in (0, 1)
    assert not stale.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".xlperf-lock")]


# -- isolation ---------------------------------------------------------------------------------------------------


def test_a_native_crash_reading_one_file_does_not_stop_the_batch(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a native abort while reading one workbook killed ``consolidate`` and no summary was
    written. The file that kills its reader (SIGABRT here, as python-calamine's allocator does) is 跳过
    with the reason; a file whose reading never ends is given up after the bound; the summary is written."""
    if not sys.platform.startswith("linux"):
        pytest.skip("forked worker processes only on Linux")
    import time

    import xlperf.consolidation as mod
    import xlperf.consolidation.worker as worker

    d = tmp_path / "in"
    d.mkdir()
    for i in range(6):
        write_workbook(d / f"dept{i}.xlsx", make_form(i, tasks=2, indicators=3))
    parent = os.getpid()
    real = worker.process_file

    def hostile(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() != parent and path.name == "dept2.xlsx":
            os.abort()
        if os.getpid() != parent and path.name == "dept4.xlsx":
            time.sleep(300)  # never ends within the bound
        assert os.getpid() != parent, "a file was read in the parent process"
        return real(path, *args, **kwargs)

    monkeypatch.setattr(worker, "process_file", hostile)
    monkeypatch.setattr(worker, "ISOLATED_TIMEOUT", 3)
    t0 = time.monotonic()
    with mod.consolidate(d, jobs=2) as cons:  # executor "auto": worker processes
        rows = {Path(f.path).name: (f.status, f.reason) for f in cons.file_records}
        out = cons.to_excel(tmp_path / "汇总.xlsx")
    assert rows["dept2.xlsx"][0] == "跳过" and "信号 6" in rows["dept2.xlsx"][1], rows
    assert rows["dept4.xlsx"][0] == "跳过" and "秒未完成" in rows["dept4.xlsx"][1]
    assert [s for n, (s, _) in sorted(rows.items()) if n not in ("dept2.xlsx", "dept4.xlsx")] == ["成功"] * 4
    assert out.exists() and time.monotonic() - t0 < 40


def test_csv_outputs_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSV export failing midway (disk full) leaves the earlier file whole and no partial or temp file."""
    import csv

    import xlperf.consolidation as mod

    p = write_workbook(tmp_path / "a.xlsx", make_form(1, tasks=3, indicators=3))
    out = tmp_path / "csv"
    with mod.consolidate([p], executor="serial") as cons:
        cons.to_csv(out)
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    real = csv.writer

    class Full:
        def __init__(self, fh):  # type: ignore[no-untyped-def]
            self.w, self.n = real(fh), 0

        def writerow(self, row):  # type: ignore[no-untyped-def]
            self.n += 1
            if self.n > 3:
                raise OSError(28, "No space left on device")
            self.w.writerow(row)

    monkeypatch.setattr(csv, "writer", Full)
    with mod.consolidate([p], executor="serial") as cons, pytest.raises(OSError):
        cons.to_csv(out)
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before


@pytest.mark.parametrize("kind", ["two entries, one part", "1,001 entries"])
def test_sheet_lists_that_repeat_a_part_are_refused(seed_xlsx: Path, tmp_path: Path, kind: str) -> None:
    """Thousands of sheet entries pointing at one part made every reader read it again and again."""
    import zipfile

    def edit(xml: str) -> str:
        if kind == "two entries, one part":
            return xml.replace("</sheets>", '<sheet name="别名" sheetId="90" r:id="rId1"/></sheets>')
        return xml.replace("</sheets>", "".join(f'<sheet name="s{i}" sheetId="{i + 100}" r:id="rIdX{i}"/>'
                                                for i in range(1001)) + "</sheets>")

    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(seed_xlsx) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data.decode()).encode() if info.filename == "xl/workbook.xml" else data)
    for cmd in (["validate", str(path)], ["validate", "--mark", str(path), "-o", str(tmp_path / "o.xlsx")]):
        text = one_line_error(run(*cmd))
        assert "拒绝处理" in text
