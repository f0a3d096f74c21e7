"""Rewrite the snapshots of ``xlperf validate --format json`` (tests/snapshots/*.json).

Run: python scripts/update_snapshots.py [PYTEST ARGS...]

Runs tests/test_snapshots.py with XLPERF_UPDATE_SNAPSHOTS=1, which makes the test write each snapshot
instead of comparing it and delete snapshot files that no longer belong to a fixture, then prints how
many snapshots were created, changed, unchanged and deleted. Review the result with ``git diff
tests/snapshots``. Extra arguments go to pytest (e.g. ``-k XP401``); the orphan clean-up only runs when
its test is selected. Exits with pytest's exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots"
TEST = ROOT / "tests" / "test_snapshots.py"


def contents() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(SNAPSHOTS.glob("*.json"))}


def main(argv: list[str]) -> int:
    before = contents()
    env = dict(os.environ, XLPERF_UPDATE_SNAPSHOTS="1")
    rc = subprocess.run([sys.executable, "-m", "pytest", str(TEST), *argv], cwd=ROOT, env=env).returncode
    after = contents()
    created = sorted(set(after) - set(before))
    deleted = sorted(set(before) - set(after))
    changed = sorted(n for n in set(before) & set(after) if before[n] != after[n])
    unchanged = len(set(before) & set(after)) - len(changed)
    for label, names in (("created", created), ("changed", changed), ("deleted", deleted)):
        for n in names:
            print(f"  {label}: tests/snapshots/{n}")
    print(f"snapshots: {len(created)} created, {len(changed)} changed, {unchanged} unchanged, "
          f"{len(deleted)} deleted ({len(after)} in tests/snapshots)")
    if rc != 0:
        print(f"pytest failed (exit {rc}): the snapshots may be incomplete", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
