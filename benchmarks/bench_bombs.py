"""Time and peak memory of rejecting hostile workbooks with ``parse`` and ``consolidate``.

Issue 7 acceptance: the entity-expansion and zip-bomb cases finish in under 2 s each with peak memory
under 200 MB. Every measurement runs ``xlperf.cli.main`` (what ``python -m xlperf`` runs) in a fresh
Python process: the wall time is taken by this script around the whole child (interpreter start and
imports included); the peak resident memory is the child's ``ru_maxrss`` (from ``os.wait4``: that
child only). Linux carries the parent's resident size into a child's ``ru_maxrss`` (fork + exec), so
this script stays small: it imports nothing of xlperf and builds the corpus in a subprocess. The
child's ``VmHWM`` (its own peak since exec, from /proc) is printed beside it as a cross-check.
Baselines: the interpreter with xlperf's CLI loaded, and the same commands on a good form.

Cases (tests/hostile/corpus.py, plus a 1 GB bomb generated here; then tests/hostile/round2.py):
  billion_laughs    a sheet XML with nested entity declarations (10^9 "lol"s if expanded)
  billion_laughs_late  the same after a 1.5 MB comment (past any look at the first bytes only)
  declared_bomb     an 11 KB zip whose directory declares a 4 GB sheet
  ratio_bomb        64 MB of real sheet data at ~1000:1
  ratio_bomb_1gb    1 GB of real sheet data in a 1 MB file
  understated_bomb  64 MB of real data declared as 64 KB (decompression must stop at the declaration)
  far_cell          cells at A1 and XFD1048576: a used range of 17 billion cells in a 5 KB file
  huge_merge        the form plus a merged range A12:XFD1048576
  ods_repeat_bomb   a 1 KB .ods: a row repeated 20,000 times holding a text cell repeated 1,000 times
  legacy_far_cell   the seed .xls with one cell moved to IV65536 (65,536 x 256 cells)
  far_*             far_cell spelled otherwise: single quotes, line breaks and tabs around "=", character
                    references, a namespace prefix, UTF-16, GB18030, 16,385 cells without r in one row
  merge_ref_dollar  huge_merge as $A$12:$XFD$1048576
  sheet_named_dat   far_cell in a sheet part called s.dat
  shared_expansion  one 30,000-character shared string used by 3,000 cells (90 million characters)
  rich_text_runs    an inline rich text of 4,000 runs (the sheet scan's work grows with runs x length)
  shared_runs       a shared string of 40,000 runs
  legacy_stream_case  legacy_far_cell with its stream called WORKBOOK

Usage: python benchmarks/bench_bombs.py [--repeat 3] [--keep DIR]
Exit code 1 when a bomb takes 2 s or more, or 200 MB or more, or is not rejected.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 2.0
LIMIT_MB = 200.0
BOMBS = ["billion_laughs", "billion_laughs_late", "declared_bomb", "ratio_bomb", "ratio_bomb_1gb", "understated_bomb",
         "far_cell", "huge_merge", "ods_repeat_bomb", "legacy_far_cell",
         # round 2 (issue 18, tests/hostile/round2.py): the same limits whatever the spelling
         "far_single_quotes", "far_newlines_tabs", "far_charref", "far_prefix", "far_utf16", "far_gb18030",
         "far_positional", "merge_ref_dollar", "sheet_named_dat", "shared_expansion", "rich_text_runs",
         "shared_runs", "legacy_stream_case"]

BUILD = """
import json, sys
from pathlib import Path
from tests.hostile import corpus as hc
from tests.hostile import round2
work = Path(sys.argv[1])
cases = {name: str(c.path) for name, c in hc.build(work / "corpus").items()}
cases.update({name: str(c.path) for name, c in round2.build(work / "round2").items() if c.kind})
cases["ratio_bomb_1gb"] = str(hc.ratio_bomb(Path(cases["good"]), work / "ratio_bomb_1gb.xlsx", size_mb=1024))
print(json.dumps(cases))
"""

# the child: xlperf's CLI on argv (or, without arguments, just load it); then its own peak RSS
CHILD = """
import sys
if len(sys.argv) > 1:
    from xlperf.cli import main
    code = main(sys.argv[1:])
else:
    import xlperf.cli
    xlperf.cli.build_parser()
    code = 0
with open("/proc/self/status") as fh:
    hwm = next((ln.split()[1] for ln in fh if ln.startswith("VmHWM:")), "0")
print("VmHWM", hwm, file=sys.stderr)
sys.exit(code)
"""


def measure(args: list[str], cwd: Path) -> tuple[int, float, float, float, str]:
    """(exit code, wall s, ru_maxrss MB, VmHWM MB, last message line) of one child running ``args``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    hwm = next((int(ln.split()[1]) / 1024 for ln in lines if ln.startswith("VmHWM ")), float("nan"))
    messages = [ln for ln in lines if not ln.startswith("VmHWM ")]
    return code, wall, usage.ru_maxrss / 1024, hwm, (messages[-1] if messages else "")


def run(case: str, command: str, path: str, work: Path, repeat: int) -> dict:
    args = {
        "parse": ["parse", path],
        "consolidate": ["consolidate", path, "-o", str(work / "汇总.xlsx"), "--jobs", "1"],
        "startup": [],
    }[command]
    runs = [measure(args, work) for _ in range(repeat)]
    return {"case": case, "command": command, "code": runs[-1][0], "wall": min(r[1] for r in runs),
            "wall_max": max(r[1] for r in runs), "rss": max(r[2] for r in runs), "hwm": max(r[3] for r in runs),
            "message": runs[-1][4]}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best and worst time, highest memory)")
    ap.add_argument("--keep", metavar="DIR", help="build the corpus in DIR and keep it")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="xlperf-bombs-")
    work = Path(args.keep) if args.keep else Path(tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    built = subprocess.run([sys.executable, "-c", BUILD, str(work)], cwd=ROOT, capture_output=True, text=True,
                           check=True)
    cases: dict[str, str] = json.loads(built.stdout.strip().splitlines()[-1])
    print(f"corpus built in {time.perf_counter() - t0:.1f} s in {work}")
    for name in BOMBS:
        p = Path(cases[name])
        declared = "(not a zip)"
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                declared = f"{sum(i.file_size for i in zf.infolist()) / 2**20:7.0f} MB declared"
        print(f"  {name:19s} {p.stat().st_size / 1024:7.0f} KB on disk, {declared}")

    rows = [run("(interpreter + xlperf)", "startup", "", work, args.repeat)]
    for command in ("parse", "consolidate"):
        rows.append(run("good (baseline)", command, cases["good"], work, args.repeat))
        rows += [run(name, command, cases[name], work, args.repeat) for name in BOMBS]

    print()
    print(f"{'case':23s} {'command':12s} {'exit':>4s} {'best s':>7s} {'worst s':>7s} {'maxrss MB':>9s} "
          f"{'VmHWM MB':>8s}  verdict  message")
    failed = False
    for r in rows:
        bomb = r["case"] in BOMBS
        expected_code = 2 if r["command"] == "parse" else 1  # consolidate: listed as skipped, exit 1
        ok = r["wall_max"] < LIMIT_S and r["rss"] < LIMIT_MB and r["code"] == expected_code
        failed |= bomb and not ok
        verdict = ("ok" if ok else "FAIL") if bomb else ""
        msg = r["message"].replace(str(work) + os.sep, "").strip()[:60]
        print(f"{r['case']:23s} {r['command']:12s} {r['code']:4d} {r['wall']:7.2f} {r['wall_max']:7.2f} "
              f"{r['rss']:9.1f} {r['hwm']:8.1f}  {verdict:7s}  {msg}")
    print(f"\nacceptance (every bomb rejected, slowest of {args.repeat} runs under {LIMIT_S:g} s, peak RSS under "
          f"{LIMIT_MB:g} MB): {'FAIL' if failed else 'pass'}")
    if tmp is not None:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
