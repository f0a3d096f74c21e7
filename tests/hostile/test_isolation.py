"""Hostile inputs: a native crash reading one file does not stop the batch."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.synth import make_form, write_workbook

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
    with mod.consolidate(d, jobs=2, executor="process") as cons:  # worker processes, whatever threads run
        rows = {Path(f.path).name: (f.status, f.reason) for f in cons.file_records}
        out = cons.to_excel(tmp_path / "汇总.xlsx")
    assert rows["dept2.xlsx"][0] == "跳过" and "信号 6" in rows["dept2.xlsx"][1], rows
    assert rows["dept4.xlsx"][0] == "跳过" and "秒未完成" in rows["dept4.xlsx"][1]
    assert [s for n, (s, _) in sorted(rows.items()) if n not in ("dept2.xlsx", "dept4.xlsx")] == ["成功"] * 4
    assert out.exists() and time.monotonic() - t0 < 40


def test_a_worker_that_never_answers_is_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose reading never ends, read after a crash by the replacement pool (not in flight when
    the first worker died): its worker is given up after the bound like a dead one, the batch finishes."""
    if not sys.platform.startswith("linux"):
        pytest.skip("forked worker processes only on Linux")
    import time

    import xlperf.consolidation as mod
    import xlperf.consolidation.worker as worker

    d = tmp_path / "in"
    d.mkdir()
    for i in range(12):
        write_workbook(d / f"dept{i:02d}.xlsx", make_form(i, tasks=2, indicators=3))
    parent = os.getpid()
    real = worker.process_file

    def hostile(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() != parent and path.name == "dept01.xlsx":
            os.abort()
        if os.getpid() != parent and path.name == "dept10.xlsx":
            time.sleep(300)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(worker, "process_file", hostile)
    monkeypatch.setattr(worker, "ISOLATED_TIMEOUT", 3)
    t0 = time.monotonic()
    with mod.consolidate(d, jobs=2, executor="process") as cons:
        rows = {Path(f.path).name: (f.status, f.reason) for f in cons.file_records}
        out = cons.to_excel(tmp_path / "汇总.xlsx")
    assert rows["dept01.xlsx"][0] == "跳过" and "信号 6" in rows["dept01.xlsx"][1], rows
    assert rows["dept10.xlsx"][0] == "跳过" and "秒未完成" in rows["dept10.xlsx"][1], rows
    assert sum(s == "成功" for s, _ in rows.values()) == 10
    assert out.exists() and time.monotonic() - t0 < 60


def _far_span(path: Path) -> None:
    """Two cells, A1 and NTP1000000: a used range of 10 billion cells, inside the highest
    XLPERF_MAX_SHEET_CELLS allows — python-calamine's allocator aborts the process reading it."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.active["A1"] = "部门名称"
    wb.active[f"{get_column_letter(10_000)}1000000"] = "一级指标"
    wb.save(path)


def test_spawned_workers_contain_a_real_native_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows and macOS start worker processes by spawning (a fresh interpreter each): a real abort
    in python-calamine reading one file (the user raised XLPERF_MAX_SHEET_CELLS to its highest) is
    listed as 跳过 and the batch still writes its summary. Spawning is forced here on Linux."""
    import multiprocessing

    import xlperf.consolidation as mod
    import xlperf.consolidation.worker as worker

    d = tmp_path / "in"
    d.mkdir()
    for i in range(4):
        write_workbook(d / f"dept{i}.xlsx", make_form(i, tasks=2, indicators=3))
    _far_span(d / "dept2b.xlsx")
    monkeypatch.setenv("XLPERF_MAX_SHEET_CELLS", str(10**10))  # read by the spawned workers as they start
    monkeypatch.setattr(worker, "mp_context", lambda: multiprocessing.get_context("spawn"))
    with mod.consolidate(d, jobs=2, executor="process") as cons:
        rows = {Path(f.path).name: (f.status, f.reason) for f in cons.file_records}
        out = cons.to_excel(tmp_path / "汇总.xlsx")
    assert rows["dept2b.xlsx"][0] == "跳过" and "进程异常退出" in rows["dept2b.xlsx"][1], rows
    assert [s for n, (s, _) in sorted(rows.items()) if n != "dept2b.xlsx"] == ["成功"] * 4
    assert out.exists() and cons.counts["departments"] == 4


def test_auto_executor_uses_processes_wherever_they_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: off Linux a consolidation always ran in threads, where one native crash ends the
    batch. Spawned processes cost an interpreter start each: used from SPAWN_MIN_FILES files on, and
    only when this process is a Python interpreter (not a host embedding one)."""
    import xlperf.consolidation as mod

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(sys, "executable", r"C:\Python311\pythonw.exe")
    assert mod.auto_executor(mod.SPAWN_MIN_FILES) == "process"
    assert mod.auto_executor(mod.SPAWN_MIN_FILES - 1) == "thread"
    monkeypatch.setattr(sys, "executable", r"C:\Program Files\Microsoft Office\EXCEL.EXE")
    assert mod.auto_executor(1000) == "thread"
    monkeypatch.setattr(sys, "platform", "linux")
    assert mod.auto_executor(mod.PROCESS_MIN_FILES) == "process"
