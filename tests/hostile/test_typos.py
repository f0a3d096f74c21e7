"""Hostile inputs: typos are errors (unknown rule codes, bad environment values, absurd sizes and
--jobs, pasted text Excel would not write) with one Chinese line, never a silent default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.helpers import ROOT, one_line_error, run
from tests.synth import make_form, write_workbook
from xlperf.cli import main

# -- typos are errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [["--select", "XPl01"], ["--select", ",,,"], ["--ignore", "XP"],
                                  ["--severity", "XP999=info"], ["--select", "XC9"]])
def test_rule_code_typos_are_errors(flag: list[str]) -> None:
    """Regression: a typo in --select/--ignore switched every rule off and reported the form clean, exit 0."""
    text = one_line_error(run("validate", "tests/fixtures/seed.txt", *flag))
    assert "规则代码" in text and "xlperf rules" in text


def test_rule_code_prefixes_and_all_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tests/fixtures/seed.txt", "--select", "xp4,XP30", "--ignore", "XP412"]) == 1
    assert main(["validate", "tests/fixtures/seed.txt", "--select", "ALL"]) == 1


def test_config_file_code_typos_are_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "xlperf.toml"
    cfg.write_text('ignore = ["XP4O1"]\n', encoding="utf-8")  # letter O, not zero
    text = one_line_error(run("validate", "tests/fixtures/seed.txt", "--config", str(cfg)))
    assert "XP4O1" in text


@pytest.mark.parametrize(("name", "value"), [("XLPERF_MAX_SHEET_CELLS", "lots"), ("XLPERF_MAX_SHEET_CELLS", "-5"),
                                             ("XLPERF_MAX_UNCOMPRESSED_MB", "3e2")])
def test_bad_environment_values_are_one_line(name: str, value: str) -> None:
    text = one_line_error(run("validate", "tests/fixtures/seed.txt", env={name: value}))
    assert name in text


@pytest.mark.parametrize("args", [["--rows", "0"], ["--tasks", "-1"], ["--tasks", "100000"], ["--year", "26"]])
def test_new_refuses_absurd_sizes(tmp_path: Path, args: list[str]) -> None:
    one_line_error(run("new", "-o", str(tmp_path / "n.xlsx"), *args))
    assert not (tmp_path / "n.xlsx").exists()


def test_jobs_are_capped_at_the_cpu_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlperf.consolidation as cons

    seen: list[int] = []
    real = cons._ordered_map

    def spy(items, jobs, *a, **kw):  # type: ignore[no-untyped-def]
        seen.append(jobs)
        return real(items, jobs, *a, **kw)

    monkeypatch.setattr(cons, "_ordered_map", spy)
    p = write_workbook(tmp_path / "a.xlsx", make_form(1, tasks=2, indicators=3))
    with cons.consolidate([p], jobs=1000, executor="serial"):
        pass
    assert seen == [os.cpu_count() or 1]


def test_pasted_text_that_excel_would_not_write(tmp_path: Path) -> None:
    """An unterminated quote is read as typed; a field beyond Excel's 32,767 characters is refused in one
    line; neither stops the other files of ``validate a b c``."""
    from xlperf.io.readers import read_text

    grid = read_text('部门名称\t"揭阳\n主管部门\t市政府\n')
    assert grid.values[(0, 1)] == '"揭阳' and grid.values[(1, 1)] == "市政府"
    big = tmp_path / "big.txt"
    big.write_text("部门名称\t" + "长" * 200_000 + "\n", encoding="utf-8")
    quote = tmp_path / "quote.txt"
    quote.write_text((ROOT / "tests/fixtures/seed.txt").read_text(encoding="utf-8").replace("揭阳市人民政府办公室",
                                                                                           '"揭阳市人民政府办公室', 1),
                     encoding="utf-8")
    r = run("validate", str(big), str(quote), "tests/fixtures/seed.txt")
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    assert "32,767" in r.stdout + r.stderr and r.stdout.count("XP401") >= 2  # the other two were checked
