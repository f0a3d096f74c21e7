"""Snapshot tests of the full ``xlperf validate --format json FILE`` output, as ruff and insta do.

Every fixture - each case of each rule in ``tests/rule_cases/*.toml``, the seed (text, legacy .xls and
rebuilt .xlsx) and every ``tests/fixtures/examples/*.txt`` - is run through the real command line
(in-process, ``xlperf.cli.main``, all rules) and its output, exit code included, is compared with the
stored ``tests/snapshots/<name>.json``. A change of a message, a location or a count therefore shows in
review as a diff of a stored file.

Paths in the output are stable: the command runs in a fresh empty directory (so no ``xlperf.toml`` or
``pyproject.toml`` is picked up implicitly) holding a copy of the fixture under a relative name such as
``fixtures/seed.txt`` or ``rule_cases/XP401-fail-symbol_blank_seed_task_7.tsv``.

Refresh after an intended change::

    python scripts/update_snapshots.py

(which runs this file with ``XLPERF_UPDATE_SNAPSHOTS=1``: snapshots are then written instead of compared,
and snapshot files that no longer belong to a fixture are deleted). Without it a missing, changed or
orphaned snapshot fails the test: nothing is created silently in CI.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from xlperf.cli import main

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
CASES_DIR = TESTS / "rule_cases"
SNAPSHOTS = TESTS / "snapshots"
UPDATE_ENV = "XLPERF_UPDATE_SNAPSHOTS"
REFRESH = "python scripts/update_snapshots.py"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


# -- rule cases as forms (the same construction as tests/test_rules.py) --------------------------------

BASE_LINES = (CASES_DIR / "_base.tsv").read_text(encoding="utf-8").splitlines()
TABLE_AT = next(i for i, ln in enumerate(BASE_LINES) if ln.startswith("序号\t"))
BASE_HEADER = "\n".join(BASE_LINES[:TABLE_AT])
BASE_TABLE = "\n".join(BASE_LINES[TABLE_AT:TABLE_AT + 2])
BASE_TASKS = "\n".join(BASE_LINES[TABLE_AT + 2:])


def form_text(case: dict[str, Any]) -> str:
    parts = [case.get("header", BASE_HEADER), case.get("table", BASE_TABLE), case.get("tasks", BASE_TASKS)]
    return "\n".join(p.strip("\n") for p in parts) + "\n"


_SYMBOLS = {"≥": " ge ", "≤": " le ", ">": " gt ", "<": " lt ", "=": " eq ", "%": " pct ", "+": " plus "}


def sanitize(name: str) -> str:
    """A case name as a portable file-name part: comparison symbols spelt out, anything else that is not a
    letter, digit, ``.`` or ``-`` folded into ``_`` (``"≥ 90%"`` -> ``ge_90_pct``)."""
    for sym, word in _SYMBOLS.items():
        name = name.replace(sym, word)
    return re.sub(r"[^\w.-]+", "_", name).strip("._-") or "case"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_text(mapping: dict[str, Any]) -> str:
    """A case's ``config`` table as the top level of an ``xlperf.toml`` (checked to read back equal)."""
    text = "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in mapping.items())
    assert tomllib.loads(text) == mapping, text
    return text


# -- the fixtures -----------------------------------------------------------------------------------------

Prepare = Callable[[Path, pytest.FixtureRequest], list[str]]


@dataclass(frozen=True)
class Fixture:
    name: str  # the snapshot is tests/snapshots/<name>.json
    prepare: Prepare  # writes the input into the (empty, current) directory; returns the FILE arguments


def _copy(src: Path) -> Prepare:
    def prepare(cwd: Path, request: pytest.FixtureRequest) -> list[str]:
        rel = src.relative_to(TESTS)
        (cwd / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, cwd / rel)
        return [rel.as_posix()]

    return prepare


def _rule_case(name: str, case: dict[str, Any]) -> Prepare:
    def prepare(cwd: Path, request: pytest.FixtureRequest) -> list[str]:
        (cwd / "rule_cases").mkdir()
        form = f"rule_cases/{name}.tsv"
        (cwd / form).write_bytes(form_text(case).encode("utf-8"))
        args = [form]
        if "config" in case:
            cfg = f"rule_cases/{name}.toml"
            (cwd / cfg).write_bytes(toml_text(case["config"]).encode("utf-8"))
            args += ["--config", cfg]
        return args

    return prepare


def _seed_xlsx(cwd: Path, request: pytest.FixtureRequest) -> list[str]:
    path: Path = request.getfixturevalue("seed_xlsx")  # tests/conftest.py: built in tmp_path (= cwd)
    return [path.relative_to(cwd).as_posix()]


def collect() -> list[Fixture]:
    out: list[Fixture] = []
    for f in sorted(CASES_DIR.glob("XP*.toml")):
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        for kind in ("fail", "pass"):
            for case in data.get(kind, []):
                name = f"{f.stem}-{kind}-{sanitize(case['name'])}"
                out.append(Fixture(name, _rule_case(name, case)))
    out.append(Fixture("seed-txt", _copy(FIXTURES / "seed.txt")))
    out.append(Fixture("seed-xls", _copy(FIXTURES / "seed.xls")))
    out.append(Fixture("seed-xlsx", _seed_xlsx))
    for p in sorted((FIXTURES / "examples").glob("*.txt")):
        out.append(Fixture(f"example-{sanitize(p.stem)}", _copy(p)))
    return out


ALL = collect()


def test_snapshot_names_are_unique() -> None:
    names = [f.name.casefold() for f in ALL]  # case-insensitive file systems too
    dups = sorted({n for n in names if names.count(n) > 1})
    assert not dups, f"two fixtures share a snapshot name (rename a case): {dups}"


# -- running and comparing ----------------------------------------------------------------------------------


def render(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``xlperf ARGS`` in-process; its exit code, stdout (parsed as the JSON it must be) and stderr as
    the snapshot text."""
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    try:
        output = json.loads(out)
    except json.JSONDecodeError:
        pytest.fail(f"xlperf {' '.join(args)} (exit {code}) did not print JSON:\n{out}\nstderr:\n{err}")
    doc = {"command": ["xlperf", *args], "exit_code": code, "output": output, "stderr": err}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def check(name: str, new: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    rel = path.relative_to(TESTS.parent).as_posix()
    if updating():
        SNAPSHOTS.mkdir(exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != new:
            path.write_bytes(new.encode("utf-8"))
        return
    if not path.is_file():
        pytest.fail(f"no snapshot {rel}; create it with: {REFRESH}\nthe output is:\n{new}", pytrace=False)
    old = path.read_text(encoding="utf-8")
    if old != new:
        diff = "".join(difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=f"{rel} (stored)", tofile=f"{rel} (new output)"))
        pytest.fail(f"the output differs from the snapshot {rel}:\n{diff}\n"
                    f"If the change is intended, refresh the snapshots with: {REFRESH}", pytrace=False)


@pytest.mark.parametrize("fixture", ALL, ids=[f.name for f in ALL])
def test_validate_json_snapshot(fixture: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    monkeypatch.chdir(tmp_path)
    files = fixture.prepare(tmp_path, request)
    assert not (tmp_path / "xlperf.toml").exists() and not (tmp_path / "pyproject.toml").exists()
    check(fixture.name, render(["validate", "--format", "json", *files], capsys))


def test_no_orphan_snapshots() -> None:
    expected = {f"{f.name}.json" for f in ALL}
    orphans = sorted(p for p in SNAPSHOTS.glob("*.json") if p.name not in expected)
    if updating():
        for p in orphans:
            p.unlink()
        return
    if orphans:
        pytest.fail(f"snapshot files without a fixture: {[p.name for p in orphans]}; delete them with: {REFRESH}",
                    pytrace=False)
