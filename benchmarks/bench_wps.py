"""Cost of the WPS way in (issue 17). Prints numbers; not a test.

1. ``POST /api/validate`` (mark) on the seed's snapshot over loopback: the service's whole answer
   (parse the JSON, read the grid, rules, marking plan, serialise), median of ``--repeat`` calls.
2. The page in headless Chromium against the fake ET object model (tests/wps/fake_et.js): the number
   of object-model calls one 校验 makes on the seed (what WPS's own cost scales with), and the wall time
   of the whole browser run (start, read, service, apply) for scale.

Usage: python benchmarks/bench_wps.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xlperf-bench-wps-"))
    os.environ["XLPERF_HOME"] = str(tmp / "home")
    from tests.conftest import SEED_TXT
    from tests.wps_snapshot import sheet_snapshot
    from xlperf import service
    from xlperf.io.readers import load_form
    from xlperf.io.template import build_workbook

    seed = tmp / "seed.xlsx"
    build_workbook(load_form(SEED_TXT)).save(seed)
    snap = json.dumps(sheet_snapshot(seed), ensure_ascii=False).encode()
    svc = service.start(0)
    times = []
    for _ in range(args.repeat):
        conn = http.client.HTTPConnection(service.HOST, svc.port)
        t0 = time.perf_counter()
        conn.request("POST", "/api/validate", body=snap,
                     headers={"X-Xlperf-Token": svc.token, "Content-Type": "application/json"})
        body = conn.getresponse().read()
        times.append(time.perf_counter() - t0)
        conn.close()
    answer = json.loads(body)
    print(f"snapshot {len(snap) / 1024:.0f} KB, answer {len(body) / 1024:.0f} KB: "
          f"{len(answer['issues'])} issues, {len(answer['edits'])} edits")
    print(f"POST /api/validate: median {statistics.median(times) * 1000:.1f} ms over {args.repeat} calls")
    from tests import test_wps_page as page

    if page.chromium() is None:
        print("chromium not installed: page not measured")
    else:
        t0 = time.perf_counter()
        out = page.press(tmp, svc, seed, page.VALIDATE)
        wall = time.perf_counter() - t0
        print(f"page 校验 in headless Chromium: {out['fake']['calls']} ET calls, whole run {wall:.2f} s")
    svc.stop()


if __name__ == "__main__":
    main()
