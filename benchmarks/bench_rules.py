"""Time parsing (grid -> Form) and validation (Form -> Report) in-process over N generated department
workbooks. Prints numbers; not a test.

    python benchmarks/bench_rules.py 1000            # parse and validate, CPU ms per file
    python benchmarks/bench_rules.py 1000 --digest   # also a digest of every parse JSON and report JSON

The workbooks are those of ``benchmarks/bench_consolidate.py`` (``--size seed``, generated once into
``/tmp/xlperf-bench/seed-N-s1`` and reused); they are read once (not timed), then every grid is parsed
and every form validated ``--repeat`` times; the best pass is printed, in CPU ms per file
(``time.thread_time``). Targets (issue 16, seed size): parse ≤ 0.45 ms, validate ≤ 0.55 ms per file.
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
    grids = [g for p in paths for g in read_grids(p)]
    n = len(paths)
    cpu = time.thread_time
    best_parse = best_val = float("inf")
    h = hashlib.sha256()
    issues = indicators = 0
    for k in range(max(1, args.repeat)):
        gc.collect()
        t_parse = t_val = 0.0
        for g in grids:  # file by file, as a worker goes (nothing kept)
            t0 = cpu()
            form = parse_grid(g)
            t1 = cpu()
            report = validate(form)
            t2 = cpu()
            t_parse, t_val = t_parse + t1 - t0, t_val + t2 - t1
            if k == 0:
                issues, indicators = issues + len(report.issues), indicators + form.indicator_count
                if args.digest:
                    h.update(json.dumps(form.to_json_dict(), ensure_ascii=False, sort_keys=True, default=str).encode())
                    h.update(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True, default=str).encode())
        best_parse, best_val = min(best_parse, t_parse), min(best_val, t_val)
    print(f"{n} files, {len(grids)} sheets, {indicators} indicators, {issues} issues")
    print(f"parse    {best_parse / n * 1000:6.3f} ms/file  (target 0.45)")
    print(f"validate {best_val / n * 1000:6.3f} ms/file  (target 0.55)")
    if args.digest:
        print(f"digest   {h.hexdigest()}")


if __name__ == "__main__":
    main()
