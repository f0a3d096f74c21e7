"""Time ``xlperf consolidate`` end to end on N generated department workbooks. Prints numbers; not a test.

    python benchmarks/bench_consolidate.py 1000 --size seed          # the issue-16 run (everything below)
    python benchmarks/bench_consolidate.py 10000 --size seed --mem   # memory stays flat?
    python benchmarks/bench_consolidate.py 1000 --skip-pandas        # quicker: no pandas loop

One run prints, over the same files:
* **floor**: python-calamine merely reading every sheet of every file (``CalamineWorkbook.from_path`` +
  ``to_python``), in this process: CPU ms per file;
* **xlperf, one worker**: ``xlperf consolidate DIR -o OUT.xlsx -q --jobs 1`` in a fresh interpreter
  (start-up, imports, discovery, safety checks, read, parse, validate, write): wall, CPU of the process
  tree, CPU ms per file, peak memory; then its **phases** in-process (a worker's read / parse / validate / rows,
  the parent's collect (results spooled, detail rows encoded) / write, CPU ms per file, on up to 1,000 files). The commands import from compiled bytecode, as an
  installed package does (compiled once into a temporary ``PYTHONPYCACHEPREFIX``, never into the checkout);
* **xlperf, all cores**: the same command with the default ``--jobs`` (one worker per core);
* **pandas loop**: ``pandas.read_excel(engine="openpyxl")`` over every sheet of every file, concatenated and
  written with ``DataFrame.to_excel``;
* **ratios**: one worker's CPU per file against the floor; the pandas loop's wall time against xlperf on
  all cores.

Peak memory is the sum of the resident sizes of the process and its workers, sampled every 20 ms from
/proc (``ru_maxrss`` elsewhere). Sizes: ``realistic`` (10–40 tasks × 3–8 indicators, ~150 indicator rows
per form) or ``seed`` (like the seed form: 10 tasks × 3–6 indicators, ~45 indicator rows). Workbooks are
generated once into ``--dir`` (default ``/tmp/xlperf-bench/<size>-<N>-s<seed>``) and reused.
Targets (issue 16, 2-core machine, seed size): one worker ≤ 3 ms CPU per form (≤ 4× the floor),
1,000 forms ≤ 2 s wall on 2 cores, ≥ 10× the pandas loop, peak memory < 300 MB and flat to 10,000.
Other processes on the machine change the numbers: the load average is printed with each of them, and
``--repeat`` keeps the best of several runs.
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


def cli_env() -> dict[str, str]:
    """The command's environment: an installed package imports from compiled bytecode (pip compiles
    it), so this run does too, even where PYTHONDONTWRITEBYTECODE is set, without writing __pycache__
    into the checkout (as benchmarks/bench_excel.py does)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "xlperf-bench-pycache")
    return env


def run_cli(args: list[str]) -> dict[str, float]:
    """Run a command; wall, CPU (children) and peak tree RSS in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
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


def floor(paths: list[Path]) -> tuple[float, float]:
    """python-calamine reading every sheet of every file: (wall s, CPU s) in this process."""
    import python_calamine as pc

    w0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        wb = pc.CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
        wb.close()
    return time.perf_counter() - w0, time.process_time() - c0


def pandas_loop(paths: list[Path], out: Path) -> tuple[float, float]:
    """(wall s, CPU s) of the plain pandas loop."""
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    frames = []
    for p in paths:
        for name, df in pd.read_excel(p, sheet_name=None, header=None, engine="openpyxl").items():
            df.insert(0, "source", f"{p.name}#{name}")
            frames.append(df)
    pd.concat(frames, ignore_index=True).to_excel(out, index=False)
    return time.perf_counter() - t0, time.process_time() - c0


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def phases(paths: list[Path]) -> dict[str, float]:
    """CPU ms per file and phase, in-process, one thread (where the time goes). A worker's phases file by
    file as a worker goes (nothing of a file is kept once its rows are made, so they do not pay for a
    heap of 1,000 parsed forms): read, parse, validate, rows (a form's summary rows). Then the parent's:
    collect (each file's result added to the consolidation: spooled, its detail rows encoded as sheet
    XML) and write (the summary workbook from those)."""
    from xlperf.consolidation import Consolidation, _form_result, process_file
    from xlperf.consolidation.worker import _validator
    from xlperf.core.parse import parse_grid
    from xlperf.io.readers import read_grids
    from xlperf.settings import load_settings

    validate = _validator()[0]
    config = load_settings(paths[0]).config
    cpu = time.thread_time
    t_read = t_parse = t_val = t_rows = 0.0
    for p in paths:
        t0 = cpu()
        grids = read_grids(p)
        t1 = cpu()
        forms = [parse_grid(g) for g in grids]
        t2 = cpu()
        reports = [validate(f, config=config) for f in forms] if validate else [None] * len(forms)
        t3 = cpu()
        for f, r in zip(forms, reports, strict=True):
            _form_result(f, r, "x")
        t4 = cpu()
        t_read, t_parse, t_val, t_rows = t_read + t1 - t0, t_parse + t2 - t1, t_val + t3 - t2, t_rows + t4 - t3
    results = [process_file(p, str(p), validate, config) for p in paths]
    cons = Consolidation()
    t = cpu()
    for p, res in zip(paths, results, strict=True):
        cons._add_file(res, p, res.display, None)
    t_collect = cpu() - t
    with tempfile.TemporaryDirectory() as d:
        t = cpu()
        cons.to_excel(Path(d) / "o.xlsx")
        t_write = cpu() - t
    cons.close()
    n = len(paths)
    return {"read": t_read / n * 1000, "parse": t_parse / n * 1000, "validate": t_val / n * 1000,
            "rows": t_rows / n * 1000, "collect": t_collect / n * 1000, "write": t_write / n * 1000}


def best_of(cmd: list[str], repeat: int, key: str) -> dict[str, float]:
    """The run with the least ``key`` ("cpu" or "wall") of ``repeat`` runs."""
    best = None
    for _ in range(max(1, repeat)):
        r = run_cli(cmd)
        if best is None or r[key] < best[key]:
            best = r
    assert best is not None
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=1000, help="number of workbooks (default 1000)")
    ap.add_argument("--size", choices=sorted(SIZES), default="seed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="where the generated workbooks live (reused between runs)")
    ap.add_argument("--jobs", type=int, default=None, help="workers of the all-cores run (default: one per core)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each measurement; the least CPU (one worker, floor) or wall (all cores) is kept")
    ap.add_argument("--skip-pandas", action="store_true", help="leave out the pandas loop (it takes ~30 s)")
    ap.add_argument("--pandas-compare", action="store_true", help=argparse.SUPPRESS)  # the default now
    ap.add_argument("--mem", action="store_true", help="report memory per workbook too (always measured)")
    ap.add_argument("--phases-files", type=int, default=1000, help="files the in-process phases use (default 1000)")
    args = ap.parse_args()

    folder = args.dir or Path(tempfile.gettempdir()) / "xlperf-bench" / f"{args.size}-{args.n}-s{args.seed}"
    paths = ensure_inputs(args.n, args.size, args.seed, folder)
    n = len(paths)
    n_bytes = sum(p.stat().st_size for p in paths)
    print(f"inputs: {n} workbooks, {n_bytes / 1e6:.1f} MB, size {args.size}; cpus {os.cpu_count()}; {load()}",
          flush=True)
    floor(paths[:50])  # warm the page cache and the import
    fl = min((floor(paths) for _ in range(max(1, args.repeat))), key=lambda x: x[1])
    floor_ms = fl[1] / n * 1000
    print(f"floor (python-calamine reads every sheet): {fl[0]:.2f} s wall, {floor_ms:.2f} ms CPU per file; {load()}",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "汇总.xlsx"
        base = [sys.executable, "-m", "xlperf", "consolidate", str(folder), "-o", str(out), "-q"]
        subprocess.run([sys.executable, "-m", "xlperf", "consolidate", str(paths[0]), "-o", str(Path(tmp) / "w.xlsx"),
                        "-q"], env=cli_env(), capture_output=True, check=False)  # compiles the bytecode first
        one = best_of(base + ["--jobs", "1"], args.repeat, "cpu")
        one_ms = one["cpu"] / n * 1000
        print(f"xlperf consolidate, one worker: {one['wall']:.2f} s wall, CPU {one['cpu']:.2f} s = {one_ms:.2f} ms "
              f"per file, peak memory {one['peak_mb']:.0f} MB, exit {one['code']}; {load()}", flush=True)
        ph = phases(paths[:args.phases_files])
        print("  phases in-process (CPU ms per file): worker " + ", ".join(f"{k} {ph[k]:.2f}" for k in
                                                                      ("read", "parse", "validate", "rows"))
              + "; parent " + ", ".join(f"{k} {ph[k]:.2f}" for k in ("collect", "write"))
              + f"; total {sum(ph.values()):.2f}; {load()}", flush=True)
        allc = best_of(base + (["--jobs", str(args.jobs)] if args.jobs else []), args.repeat, "wall")
        out_mb = out.stat().st_size / 1e6
        print(f"xlperf consolidate, all cores ({args.jobs or os.cpu_count()} workers): {allc['wall']:.2f} s wall, "
              f"{n / allc['wall']:.0f} files/s, CPU {allc['cpu']:.2f} s, peak memory {allc['peak_mb']:.0f} MB "
              f"(process tree; largest single process {allc['maxrss_mb']:.0f} MB), output {out_mb:.1f} MB, "
              f"exit {allc['code']}; {load()}", flush=True)
        if args.mem:
            print(f"memory: {allc['peak_mb']:.0f} MB peak for {n} workbooks "
                  f"({allc['peak_mb'] * 1024 / n:.1f} KB per workbook)")
        pd_wall = None
        if not args.skip_pandas:
            print(f"pandas loop running ...; {load()}", flush=True)
            pd_wall, pd_cpu = pandas_loop(paths, Path(tmp) / "pandas.xlsx")
            print(f"pandas read_excel(openpyxl) loop + to_excel: {pd_wall:.2f} s wall, CPU {pd_cpu:.2f} s, "
                  f"{n / pd_wall:.0f} files/s; {load()}")
    print(f"ratios: one worker {one_ms / floor_ms:.1f}x the floor ({one_ms:.2f} / {floor_ms:.2f} ms CPU per file; "
          f"target <= 4x and <= 3 ms)"
          + (f"; xlperf on all cores {pd_wall / allc['wall']:.1f}x faster than the pandas loop (target >= 10x)"
             if pd_wall else "")
          + f"; all cores {allc['wall']:.2f} s wall for {n} files, peak {allc['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
