"""Time parsing one seed-sized .xlsx with each reader. Prints numbers; not a test.

Usage: python benchmarks/bench_parse.py [--repeat 200]
Aim (issue 2): under 5 ms per file with the fast reader on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xlperf.core.parse import parse_grid  # noqa: E402
from xlperf.io.readers import load_form, read_grids  # noqa: E402
from xlperf.io.template import build_workbook  # noqa: E402


def timeit(fn, repeat: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    seed = load_form(ROOT / "tests" / "fixtures" / "seed.txt")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.xlsx"
        build_workbook(seed).save(path)
        print(f"file: {path.stat().st_size} bytes, {len(seed.tasks)} tasks, {seed.indicator_count} indicators")
        rows = [
            ("fast reader (calamine + formula scan)", lambda: read_grids(path)),
            ("fast reader + parse", lambda: load_form(path)),
            ("parse only (grid -> Form)", (lambda g=read_grids(path)[0]: parse_grid(g))),
            ("openpyxl reader + parse", lambda: load_form(path, engine="openpyxl")),
        ]
        for name, fn in rows:
            n = args.repeat if "openpyxl" not in name else max(10, args.repeat // 10)
            t = timeit(fn, n)
            print(f"{name:42s} median {statistics.median(t):7.2f} ms   p90 {sorted(t)[int(len(t) * 0.9)]:7.2f} ms   (n={n})")


if __name__ == "__main__":
    main()
