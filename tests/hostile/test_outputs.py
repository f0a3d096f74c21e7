"""Hostile inputs: outputs never replace inputs, every file found is listed, CSV exports are atomic."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import openpyxl
import pytest

from tests.hostile.helpers import one_line_error, run
from tests.synth import make_form, write_workbook

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
