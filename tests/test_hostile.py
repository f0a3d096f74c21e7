"""Issue 7: every command answers every bad input with one clear line and exit 2, never a traceback,
and keeps working on the good ones. The corpus is generated (tests/hostile/corpus.py)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import corpus as hc
from xlperf.cli import main


@pytest.fixture(scope="session")
def cases(tmp_path_factory) -> dict[str, hc.Case]:
    return hc.build(tmp_path_factory.mktemp("hostile"))


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_clean_failure(code: int, err: str, case: hc.Case) -> None:
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert case.hint in lines[0], lines[0]
    assert "Traceback" not in err


CASE_NAMES = [
    "good", "truncated", "renamed_text", "empty", "folder", "encrypted", "legacy_xls", "wps_et",
    "billion_laughs", "declared_bomb", "ratio_bomb", "garbage_zip", "formula_text", "long_strings",
    "other_sheets", "not_a_form",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_parse(cases, capsys, name):
    case = cases[name]
    code, out, err = run_cli(["parse", case.path, "--json"], capsys)
    if case.kind is None:
        assert code == 0, err
        assert '"department"' in out
    else:
        assert_clean_failure(code, err, case)


def test_encrypted_with_password(cases, capsys):
    code, out, err = run_cli(["parse", cases["encrypted"].path, "--password", hc.PASSWORD], capsys)
    assert code == 0, err
    assert "揭阳市人民政府办公室" in out
    code, out, err = run_cli(["parse", cases["encrypted"].path, "--password", "wrong"], capsys)
    assert code == 2 and "密码不正确" in err


def test_formula_text_stays_text(cases):
    from xlperf.io.readers import load_form

    form = load_form(cases["formula_text"].path)
    assert form.department == hc.FORMULA_TEXTS[0]
    assert form.supervisor == hc.FORMULA_TEXTS[1]
    assert [i.name for i in form.tasks[0].indicators] == hc.FORMULA_TEXTS[2:]


def test_other_sheets_and_spaces_in_names(cases):
    from xlperf.io.readers import load_form

    form = load_form(cases["other_sheets"].path)
    assert form.sheet == "绩效目标表" and len(form.tasks) == 10


def test_real_process_prints_no_traceback(cases):
    r = subprocess.run([sys.executable, "-m", "xlperf", "parse", str(cases["truncated"].path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "损坏" in r.stderr


@pytest.mark.parametrize("name", ["billion_laughs", "declared_bomb", "ratio_bomb"])
def test_bombs_rejected_fast(cases, name):
    """Rejected before any parser runs (the measured numbers are in benchmarks/bench_safety.py)."""
    from xlperf.errors import UnsafeFileError
    from xlperf.io.readers import read_grids

    t0 = time.perf_counter()
    with pytest.raises(UnsafeFileError):
        read_grids(cases[name].path)
    assert time.perf_counter() - t0 < 5  # generous bound for slow CI; the script measures the real time


def test_ten_thousand_tasks(tmp_path):
    from xlperf.io.readers import load_form

    path = hc.seed_xlsx(tmp_path / "big.xlsx", hc.big_form(10_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    form = load_form(path)
    assert len(form.tasks) == 10_000
    assert form.indicator_count == sum(len(t.indicators) for t in hc.big_form(10_000).tasks)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 1024


def test_paths_are_never_modified(cases):
    good: Path = cases["good"].path
    before = good.read_bytes()
    from xlperf.io.readers import load_form

    load_form(good)
    assert good.read_bytes() == before
