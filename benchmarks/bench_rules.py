"""Time parsing (grid -> Form) and validation (Form -> Report) in-process over N generated department
workbooks. Prints numbers; not a test.

    python benchmarks/bench_rules.py 1000            # parse and validate, CPU ms per file
    python benchmarks/bench_rules.py 1000 --digest   # also a digest of every parse JSON and report JSON

The workbooks are those of ``benchmarks/bench_consolidate.py`` (``--size seed``, generated once into
``/tmp/xlperf-bench/seed-N-s1`` and reused); file by file, as a worker goes, each sheet is read (not
timed), parsed and validated; of ``--repeat`` passes the best is printed, in CPU ms per file
(``time.thread_time``, as ``phases()`` of ``bench_consolidate.py`` measures). Targets (issue 16, seed size): parse ≤ 0.45 ms, validate ≤ 0.55 ms per file.
``--digest`` prints a SHA-256 over the ``parse --json`` and ``validate --format json`` output of every
file, to compare a change against its parent: the digest must not move.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=1000)
    ap.add_argument("--size", default="seed", choices=("seed", "realistic"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--digest", action="store_true")
    args = ap.parse_args()

    from bench_consolidate import ensure_inputs

    from xlperf.core.parse import parse_grid
    from xlperf.io.readers import read_grids
    from xlperf.validation import validate

    folder = args.dir or Path("/tmp/xlperf-bench") / f"{args.size}-{args.n}-s{args.seed}"
    paths = ensure_inputs(args.n, args.size, args.seed, folder)
    n = len(paths)
    cpu = time.thread_time
    best_parse = best_val = float("inf")
    h = hashlib.sha256()
    issues = indicators = 0
    for k in range(max(1, args.repeat)):
        gc.collect()
        t_parse = t_val = 0.0
        sheets = 0
        for p in paths:  # file by file, as a worker goes (the grid just read, nothing kept)
            for g in read_grids(p):
                sheets += 1
                t0 = cpu()
                form = parse_grid(g)
                t1 = cpu()
                report = validate(form)
                t2 = cpu()
                t_parse, t_val = t_parse + t1 - t0, t_val + t2 - t1
                if k:
                    continue
                issues, indicators = issues + len(report.issues), indicators + form.indicator_count
                if args.digest:
                    h.update(json.dumps(form.to_json_dict(), ensure_ascii=False, sort_keys=True, default=str).encode())
                    h.update(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True, default=str).encode())
        best_parse, best_val = min(best_parse, t_parse), min(best_val, t_val)
    print(f"{n} files, {sheets} sheets, {indicators} indicators, {issues} issues")
    print(f"parse    {best_parse / n * 1000:6.3f} ms/file  (target 0.45)")
    print(f"validate {best_val / n * 1000:6.3f} ms/file  (target 0.55)")
    if args.digest:
        print(f"digest   {h.hexdigest()}")


if __name__ == "__main__":
    main()
