"""Time the read phase of a consolidation on N generated department workbooks. Prints numbers; not a test.

    python benchmarks/bench_read.py 1000 --size seed        # the issue-16 read target (<= 0.8 ms per file)
    python benchmarks/bench_read.py 1000 --profile           # where the time goes (cProfile, by own time)

The read phase is what ``xlperf/consolidation/worker.py:process_file`` does before parsing: ``open_book``
(the safety checks, python-calamine, the workbook's parts), ``book.sheets()``, ``candidate_sheets`` and
``book.grid(name)``; plus the layout finding the parser calls (``find_table``, ``find_header_fields``,
``find_title``). CPU per file (``time.thread_time``), in this process, best of ``--repeat`` runs, with the
split: open (checks and calamine), grid, layout. The floor is python-calamine alone reading the same
sheets (``from_path`` + ``get_sheet_by_name`` + ``to_python``). The workbooks are the ones
``benchmarks/bench_consolidate.py`` generates (and reuses) in ``/tmp/xlperf-bench/<size>-<N>-s<seed>``.
Other processes on the machine change the numbers: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(path: Path) -> tuple[float, float, float]:
    """(open, grid, layout) CPU seconds of one file."""
    from xlperf.core.layout import find_header_fields, find_table, find_title
    from xlperf.errors import NotAFormError
    from xlperf.io.books import open_book
    from xlperf.workbook import candidate_sheets

    cpu = time.thread_time
    t0 = cpu()
    with open_book(path) as book:
        {s.name for s in book.sheets()}
        names = candidate_sheets(book, active_first=False)
        t1 = cpu()
        grids = [book.grid(n) for n in names]
        t2 = cpu()
    for g in grids:
        try:
            layout = find_table(g)
        except NotAFormError:
            continue
        find_header_fields(g, layout.header_row)
        find_title(g, layout.header_row)
    t3 = cpu()
    return t1 - t0, t2 - t1, t3 - t2


def run(paths: list[Path]) -> tuple[float, float, float]:
    o = g = la = 0.0
    for p in paths:
        a, b, c = one(p)
        o, g, la = o + a, g + b, la + c
    n = len(paths)
    return o / n * 1000, g / n * 1000, la / n * 1000


def floor(paths: list[Path]) -> float:
    import python_calamine as pc

    t = time.thread_time()
    for p in paths:
        wb = pc.CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        wb.close()
    return (time.thread_time() - t) / len(paths) * 1000


def main() -> None:
    from benchmarks.bench_consolidate import SIZES, ensure_inputs, load

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=1000, help="number of workbooks (default 1000)")
    ap.add_argument("--size", choices=sorted(SIZES), default="seed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="where the generated workbooks live (reused between runs)")
    ap.add_argument("--repeat", type=int, default=3, help="runs; the least CPU is kept")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one run instead")
    args = ap.parse_args()

    folder = args.dir or Path(tempfile.gettempdir()) / "xlperf-bench" / f"{args.size}-{args.n}-s{args.seed}"
    paths = ensure_inputs(args.n, args.size, args.seed, folder)
    one(paths[0])  # imports, first-use caches
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(run, paths)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    fl = min(floor(paths) for _ in range(max(1, args.repeat)))
    print(f"floor (python-calamine reads the same sheets): {fl:.3f} ms CPU per file; {load()}", flush=True)
    best = min((run(paths) for _ in range(max(1, args.repeat))), key=sum)
    print(f"read phase: {sum(best):.3f} ms CPU per file (open {best[0]:.3f}, grid {best[1]:.3f}, layout "
          f"{best[2]:.3f}); {sum(best) / fl:.1f}x the floor; target <= 0.8 ms; {len(paths)} files; {load()}")
    print(f"the worker's read (open + grid, what bench_consolidate's phases call read): {best[0] + best[1]:.3f} ms "
          f"CPU per file; {(best[0] + best[1]) / fl:.1f}x the floor; target <= 1.0 ms")


if __name__ == "__main__":
    main()
