"""Recall on the expert's list of the seed's problems (tests/fixtures/seed_issues.csv, 68 rows).

``seed_issue_map.csv`` maps each row to the rule code that catches it (``none``: a row the expert lists as
handled correctly, where nothing may be raised; ``not automatable: why``: a judgement no rule makes).
A mapped row is caught when an issue of that code sits on that line of the seed (the seed's rows are its
text lines) and, for a task row, belongs to that task. The test fails when a mapped problem is no longer
caught, and when any issue matches no row (a wrong catch).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import xlperf
from xlperf.core.grid import parse_a1
from xlperf.core.issues import Report
from xlperf.core.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
SEED_ROWS = list(csv.DictReader((FIXTURES / "seed_issues.csv").open(encoding="utf-8")))
MAP_ROWS = list(csv.DictReader((FIXTURES / "seed_issue_map.csv").open(encoding="utf-8")))


def _line(issue) -> int | None:
    return parse_a1(issue.cell)[0] + 1 if issue.cell else None


def _catches(issue, row: dict) -> bool:
    if issue.code != row["rule"] or _line(issue) != int(row["line"]):
        return False
    return row["task"] == "-" or issue.task == int(row["task"])


@pytest.fixture(scope="module")
def report() -> Report:
    return xlperf.validate(FIXTURES / "seed.txt")


def test_map_covers_the_expert_list() -> None:
    assert [(r["line"], r["task"], r["code"]) for r in SEED_ROWS] == [
        (r["line"], r["task"], r["seed_code"]) for r in MAP_ROWS]
    codes = {r.code for r in all_rules()}
    for r in MAP_ROWS:
        assert r["rule"] == "none" or r["rule"] in codes or r["rule"].startswith("not automatable:"), r


def test_every_mapped_problem_is_caught(report: Report) -> None:
    missed = [r for r in MAP_ROWS if re.fullmatch(r"XP\d{3}", r["rule"])
              and not any(_catches(i, r) for i in report.issues)]
    assert missed == []
    problems = [r for r in MAP_ROWS if r["rule"] != "none"]
    caught = [r for r in problems if re.fullmatch(r"XP\d{3}", r["rule"])]
    assert len(problems) == 63 and len(caught) >= 55


def test_no_wrong_catch(report: Report) -> None:
    """Every issue on the seed is one of the expert's problems; a row handled correctly raises nothing."""
    stray = [(i.code, i.cell, i.message) for i in report.issues if not any(_catches(i, r) for r in MAP_ROWS)]
    assert stray == []
    quiet = {int(r["line"]) for r in MAP_ROWS if r["rule"] == "none"}
    assert [(i.code, i.cell) for i in report.issues if _line(i) in quiet] == []


def test_severity_follows_certainty(report: Report) -> None:
    """Errors only where the form is certainly wrong: the expert's three errors and nothing else."""
    errors = sorted((i.code, _line(i)) for i in report.errors)
    assert errors == [("XP303", 38), ("XP303", 52), ("XP401", 43)]


def test_severity_is_the_experts(report: Report) -> None:
    """Each caught problem carries the severity the expert gave it (warn → warning)."""
    words = {"warn": "warning", "info": "info", "error": "error"}
    wrong = []
    for seed, row in zip(SEED_ROWS, MAP_ROWS, strict=True):
        if not re.fullmatch(r"XP\d{3}", row["rule"]):
            continue
        hit = next(i for i in report.issues if _catches(i, row))
        if hit.severity.value != words[seed["severity"]]:
            wrong.append((row["seed_code"], row["rule"], seed["severity"], hit.severity.value))
    assert wrong == []
