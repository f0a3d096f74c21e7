"""Time ``xlperf consolidate`` end to end on N generated department workbooks. Prints numbers; not a test.

    python benchmarks/bench_consolidate.py 1000 --pandas-compare      # the issue's target run
    python benchmarks/bench_consolidate.py 10000 --mem                 # memory stays flat?
    python benchmarks/bench_consolidate.py 1000 --size seed --jobs 1   # seed-sized forms, one worker

What is measured
* ``xlperf consolidate DIR -o OUT.xlsx -q`` in a fresh interpreter (start-up, imports, discovery, read,
  parse, validate, write): wall time, CPU time of the process tree, and peak memory (the sum of the
  resident sizes of the process and its worker processes, sampled every 20 ms from /proc; falls back
  to ``ru_maxrss`` elsewhere);
* with ``--pandas-compare``, in the same run: a plain loop of ``pandas.read_excel(engine="openpyxl")``
  over the same files, concatenated and written with ``DataFrame.to_excel``; and the ratio;
* ``--phases``: the same work in-process, split into read / parse / validate / write (CPU seconds).

Sizes: ``realistic`` (the issue's generator: 10–40 tasks × 3–8 indicators, ~150 indicator rows per
form) or ``seed`` (like the seed form: 10 tasks × 3–6 indicators, ~45 indicator rows).
Workbooks are generated once into ``--dir`` (default ``/tmp/xlperf-bench/<size>-<N>``) and reused.
Targets (issue 5, 2-core machine): 1,000 seed-sized workbooks in ≤ 3 s with < 300 MB, ≥ 10× the
pandas loop, memory flat up to 10,000 workbooks. Other processes on the machine change the numbers:
the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {"realistic": ((10, 40), (3, 8)), "seed": (10, (3, 6))}


def ensure_inputs(n: int, size: str, seed: int, folder: Path) -> list[Path]:
    import hashlib

    import tests.synth
    from tests.synth import generate

    version = hashlib.sha256(Path(tests.synth.__file__).read_bytes()).hexdigest()[:12]
    marker = folder / f".complete-{n}-{size}-{seed}-{version}"
    if marker.exists():
        return sorted(folder.rglob("*.xlsx"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.rglob("*.xlsx"), *folder.glob(".complete-*")]:
        old.unlink()
    tasks, inds = SIZES[size]
    t0 = time.perf_counter()
    paths = generate(folder, n, seed=seed, tasks=tasks, indicators=inds, subdirs=max(1, n // 500))
    print(f"generated {n} workbooks in {time.perf_counter() - t0:.1f} s ({size})", flush=True)
    marker.write_text("ok")
    return paths


def _tree_rss_kb(pid: int) -> int:
    """Resident memory (KB) of ``pid`` and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_cli(args: list[str]) -> dict[str, float]:
    """Run a command; wall, CPU (children) and peak tree RSS in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    linux = Path("/proc").is_dir()

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    if linux:
        th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if linux:
        th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode("utf-8", "replace"))
        raise SystemExit(f"command failed with exit code {proc.returncode}: {' '.join(args)}")
    maxrss_mb = after.ru_maxrss / 1024  # largest single child process
    return {"wall": wall, "cpu": cpu, "peak_mb": (peak[0] / 1024) if peak[0] else maxrss_mb,
            "maxrss_mb": maxrss_mb, "code": proc.returncode}


def pandas_loop(paths: list[Path], out: Path) -> float:
    import pandas as pd

    t0 = time.perf_counter()
    frames = []
    for p in paths:
        for name, df in pd.read_excel(p, sheet_name=None, header=None, engine="openpyxl").items():
            df.insert(0, "source", f"{p.name}#{name}")
            frames.append(df)
    pd.concat(frames, ignore_index=True).to_excel(out, index=False)
    return time.perf_counter() - t0


def phases(paths: list[Path]) -> None:
    """CPU seconds per phase, in-process, one thread (where the time goes)."""
    from xlperf.consolidation import _form_result, consolidate
    from xlperf.core.parse import parse_grid
    from xlperf.io.readers import read_grids

    try:
        from xlperf.validation import validate
    except ImportError:
        validate = None
    cpu = time.thread_time
    t = cpu()
    grids = [read_grids(p) for p in paths]
    t_read = cpu() - t
    t = cpu()
    forms = [parse_grid(g) for gs in grids for g in gs]
    t_parse = cpu() - t
    del grids
    t = cpu()
    reports = [validate(f) for f in forms] if validate else [None] * len(forms)
    t_val = cpu() - t
    t = cpu()
    for f, r in zip(forms, reports, strict=True):
        _form_result(f, r, "x")
    t_rows = cpu() - t
    del forms, reports
    cons = consolidate(paths, jobs=1, executor="serial")
    with tempfile.TemporaryDirectory() as d:
        t = cpu()
        cons.to_excel(Path(d) / "o.xlsx")
        t_write = cpu() - t
    cons.close()
    n = len(paths)
    print(f"phases (CPU, one thread) per file: read {t_read / n * 1000:.2f} ms, parse {t_parse / n * 1000:.2f} ms, "
          f"validate {t_val / n * 1000:.2f} ms, rows {t_rows / n * 1000:.2f} ms, write {t_write / n * 1000:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=1000, help="number of workbooks (default 1000)")
    ap.add_argument("--size", choices=sorted(SIZES), default="realistic")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="where the generated workbooks live (reused between runs)")
    ap.add_argument("--jobs", type=int, default=None, help="xlperf consolidate --jobs")
    ap.add_argument("--repeat", type=int, default=1, help="run xlperf consolidate this many times (best is kept)")
    ap.add_argument("--pandas-compare", action="store_true", help="also time the pandas read_excel/to_excel loop")
    ap.add_argument("--mem", action="store_true", help="report peak memory prominently (always measured)")
    ap.add_argument("--phases", action="store_true", help="CPU time per phase, in-process (uses up to 500 files)")
    args = ap.parse_args()

    folder = args.dir or Path(tempfile.gettempdir()) / "xlperf-bench" / f"{args.size}-{args.n}-s{args.seed}"
    paths = ensure_inputs(args.n, args.size, args.seed, folder)
    n_bytes = sum(p.stat().st_size for p in paths)
    print(f"inputs: {len(paths)} workbooks, {n_bytes / 1e6:.1f} MB, size {args.size}; cpus {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "汇总.xlsx"
        cmd = [sys.executable, "-m", "xlperf", "consolidate", str(folder), "-o", str(out), "-q"]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        best = None
        for _ in range(max(1, args.repeat)):
            r = run_cli(cmd)
            if best is None or r["wall"] < best["wall"]:
                best = r
        assert best is not None
        out_mb = out.stat().st_size / 1e6
        print(f"xlperf consolidate: {best['wall']:.2f} s wall, {len(paths) / best['wall']:.0f} files/s, "
              f"CPU {best['cpu']:.2f} s, peak memory {best['peak_mb']:.0f} MB (process tree; largest single process "
              f"{best['maxrss_mb']:.0f} MB), output {out_mb:.1f} MB, exit {best['code']}", flush=True)
        if args.mem:
            print(f"memory: {best['peak_mb']:.0f} MB peak for {len(paths)} workbooks "
                  f"({best['peak_mb'] * 1024 / len(paths):.1f} KB per workbook)")
        if args.phases:
            phases(paths[:500])
        if args.pandas_compare:
            print(f"load average {os.getloadavg()[0]:.2f}; pandas loop running ...", flush=True)
            pd_time = pandas_loop(paths, Path(tmp) / "pandas.xlsx")
            print(f"pandas read_excel(openpyxl) loop + to_excel: {pd_time:.2f} s, {len(paths) / pd_time:.0f} files/s")
            print(f"ratio: xlperf is {pd_time / best['wall']:.1f}x faster than the pandas loop")


if __name__ == "__main__":
    main()
