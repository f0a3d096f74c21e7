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
