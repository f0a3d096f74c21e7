"""Start-up and button cost of the live Excel layer (issue 6). Prints numbers; not a test.

1. xlperf's own import time on the validate button's path, in a fresh interpreter where xlwings is
   already imported (aim: 0.15 s or less), and the first validation there (what a first click adds
   when the Python server starts). Also the time of ``import xlwings`` itself, for scale. Imports
   run from compiled bytecode, as in an installed package (the first run, which compiles, is dropped).
2. The validate button's Python work on the seed in a warm interpreter (aim: 50 ms or less), split
   into reading the sheet, the core (parse, rules, marks) and applying the edits, against the
   openpyxl-backed xlwings double of ``tests/xlwings_double.py``. The double's time stands in for
   Excel's; the number of xlwings calls is what the real cost scales with. The backup copy
   (``Workbook.SaveCopyAs``, Excel's own work) is left out.

Usage: python benchmarks/bench_excel.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMPORT_PATH = """
import json, sys, time
t0 = time.perf_counter()
import xlwings
t1 = time.perf_counter()
before = set(sys.modules)
import xlperf.excel as x
from xlperf.core.parse import parse_grid
from xlperf.validation import validate_form
from xlperf.core.marks import plan_marks, read_marks
from xlperf.core.rules import run_rules
from xlperf.core.grid import Grid, MergedRange, parse_a1
from xlperf.core.edits import SetValue
x.literal("x")
t2 = time.perf_counter()
data = json.loads(sys.argv[1])
grid = Grid(sheet=data["sheet"], values={(r, c): v for r, c, v in data["values"]},
            formulas={(r, c): v for r, c, v in data["formulas"]}, merges=[MergedRange(*m) for m in data["merges"]])
t3 = time.perf_counter()
report = validate_form(parse_grid(grid))
edits = plan_marks(grid, report, [], {})
t4 = time.perf_counter()
new = set(sys.modules) - before
heavy = sorted(m for m in ("pandas", "numpy", "openpyxl", "pydantic", "xlsxwriter", "python_calamine") if m in new)
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {t4 - t3:.4f} {len([m for m in new if m.startswith('xlperf')])} "
      f"{','.join(heavy) or '-'}")
"""


def import_times(repeat: int) -> None:
    import json

    from xlperf.io.readers import read_text

    g = read_text(ROOT / "tests" / "fixtures" / "seed.txt")
    arg = json.dumps({"sheet": g.sheet, "values": [[r, c, v] for (r, c), v in g.values.items()],
                      "formulas": [[r, c, v] for (r, c), v in g.formulas.items()],
                      "merges": [[m.r0, m.c0, m.r1, m.c1] for m in g.merges]}, ensure_ascii=False)
    # An installed package imports from compiled bytecode (pip compiles it); make sure this run does
    # too, even where PYTHONDONTWRITEBYTECODE is set, without writing __pycache__ into the checkout.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "xlperf-bench-pycache")
    xw, own, first, heavy, count = [], [], [], "", 0
    for i in range(repeat + 1):
        out = subprocess.run([sys.executable, "-c", IMPORT_PATH, arg], capture_output=True, text=True,
                             check=True, cwd=ROOT, env=env).stdout.split()
        if not i:  # the first run compiles the bytecode
            continue
        xw.append(float(out[0]))
        own.append(float(out[1]))
        first.append(float(out[2]))
        count, heavy = int(out[3]), out[4]
    print(f"import xlwings                          median {statistics.median(xw) * 1000:7.1f} ms "
          f"(min {min(xw) * 1000:.1f})")
    print(f"xlperf on the validate path, after it   median {statistics.median(own) * 1000:7.1f} ms "
          f"(min {min(own) * 1000:.1f}); {count} xlperf modules; newly imported heavy packages: {heavy}")
    print(f"first validate in that interpreter      median {statistics.median(first) * 1000:7.1f} ms "
          f"(min {min(first) * 1000:.1f}) (core only: parse, rules, marks plan)")


def button(repeat: int) -> None:
    from tests import xlwings_double as xd
    from xlperf import excel
    from xlperf.core.grid import parse_a1
    from xlperf.core.marks import BOOK_SHEET, plan_marks, read_marks
    from xlperf.core.parse import parse_grid
    from xlperf.io.readers import load_form
    from xlperf.io.template import build_workbook
    from xlperf.validation import validate_form
    from xlperf.workbook import form_sheet

    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.xlsx"
        build_workbook(load_form(ROOT / "tests" / "fixtures" / "seed.txt")).save(seed)
        phases: dict[str, list[float]] = {"read": [], "core": [], "write": [], "total": []}
        calls: dict[str, int] = {}
        for i in range(repeat + 1):
            path = Path(tmp) / f"b{i}.xlsx"
            shutil.copy(seed, path)
            book = xd.FakeBook(path)
            app = book.app
            t0 = time.perf_counter()
            live = excel.LiveBook(book)
            fs = form_sheet(live)
            sheet, grid = fs.name, fs.grid
            previous = live.table(BOOK_SHEET)
            n_read = app.calls
            t1 = time.perf_counter()
            form = parse_grid(grid)
            report = validate_form(form)
            cells = {i.position for i in report.issues if i.cell}
            cells |= {parse_a1(m.cell) for m in read_marks(previous) if m.sheet == sheet}
            styles_calls = app.calls
            edits = plan_marks(grid, report, previous, live.styles(sheet, cells))
            n_styles = app.calls - styles_calls
            t2 = time.perf_counter()
            live.apply(sheet, edits, grid.merges)
            t3 = time.perf_counter()
            if i:  # the first round warms up
                for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                    phases[k].append(v * 1000)
            calls = {"read": n_read, "styles": n_styles, "write": app.calls - n_read - n_styles,
                     "total": app.calls}
        issues = len(report.issues)
    print(f"validate button on the seed ({issues} issues, {len(edits)} edits), warm, median of {repeat}:")
    for k, v in phases.items():
        print(f"  {k:<6} {statistics.median(v):7.1f} ms   (min {min(v):.1f})")
    print(f"  xlwings calls: read {calls['read']}, cell styles {calls['styles']}, write {calls['write']}, "
          f"total {calls['total']}")
    print("  (read and write include the openpyxl double standing in for Excel)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    import_times(max(3, args.repeat // 4))
    button(args.repeat)


if __name__ == "__main__":
    main()
