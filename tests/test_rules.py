"""Every rule against its data-driven cases (tests/rule_cases/XPnnn.toml), sqlfluff-style.

A case is a small tab-separated form: ``header`` (rows above the task table, default: the base form's),
``table`` (the two table-header rows) and ``tasks`` (the task rows), each defaulting to the base form
in ``tests/rule_cases/_base.tsv``, which is itself clean. A ``[[fail]]`` case must raise the file's
code at exactly ``cells`` (``""`` = an issue without a cell); a ``[[pass]]`` case must not raise it.
``fixed`` lists the cell values after ``plan_fixes``; the fixed sheet must no longer raise the code.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from xlperf.core.config import Config
from xlperf.core.fixes import apply_to_grid, plan_fixes
from xlperf.core.grid import parse_a1
from xlperf.core.issues import Severity
from xlperf.core.rules import all_rules, get_rule
from xlperf.io.readers import read_text
from xlperf.validation import validate

CASES_DIR = Path(__file__).parent / "rule_cases"
BASE_LINES = (CASES_DIR / "_base.tsv").read_text(encoding="utf-8").splitlines()
TABLE_AT = next(i for i, ln in enumerate(BASE_LINES) if ln.startswith("序号\t"))
BASE_HEADER = "\n".join(BASE_LINES[:TABLE_AT])
BASE_TABLE = "\n".join(BASE_LINES[TABLE_AT:TABLE_AT + 2])
BASE_TASKS = "\n".join(BASE_LINES[TABLE_AT + 2:])


def _load() -> list[tuple[str, str, dict]]:
    out = []
    for f in sorted(CASES_DIR.glob("XP*.toml")):
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        for kind in ("fail", "pass"):
            for case in data.get(kind, []):
                out.append((f.stem, kind, case))
    return out


CASES = _load()


def form_text(case: dict) -> str:
    parts = [case.get("header", BASE_HEADER), case.get("table", BASE_TABLE), case.get("tasks", BASE_TASKS)]
    return "\n".join(p.strip("\n") for p in parts) + "\n"


def run(code: str, case: dict):
    grid = read_text(form_text(case))
    cfg = Config.from_mapping(case.get("config", {}))
    return grid, validate(grid, config=cfg, select=[code])


@pytest.mark.parametrize(("code", "kind", "case"), CASES, ids=[f"{c}-{k}-{x['name']}" for c, k, x in CASES])
def test_rule_case(code: str, kind: str, case: dict) -> None:
    grid, report = run(code, case)
    assert {i.code for i in report.issues} <= {code}
    if kind == "pass":
        assert report.issues == [], [i.message for i in report.issues]
        return
    assert report.issues, f"{code} did not fire"
    if "cells" in case:
        assert sorted(i.cell or "" for i in report.issues) == sorted(case["cells"])
    for i in report.issues:
        assert i.severity is get_rule(code).severity
        assert i.message and i.task in (None, 1, 2)
    fixes = plan_fixes(grid, report)
    if case.get("nofix"):
        assert fixes == []
    if "fixed" in case:
        assert get_rule(code).fixable
        assert fixes, "no fix planned"
        fixed = apply_to_grid(grid, fixes)
        for ref, value in case["fixed"].items():
            assert fixed.get(*parse_a1(ref)) == value
        assert {(e.row, e.col) for e in fixes} == {parse_a1(ref) for ref in case["fixed"]}
        after = validate(fixed, config=Config.from_mapping(case.get("config", {})), select=[code])
        assert after.issues == [], [i.message for i in after.issues]


def test_every_rule_has_cases_that_fire_and_pass() -> None:
    codes = {r.code for r in all_rules()}
    files = {p.stem for p in CASES_DIR.glob("XP*.toml")}
    assert files == codes
    kinds = {(c, k) for c, k, _ in CASES}
    for code in codes:
        assert (code, "fail") in kinds and (code, "pass") in kinds, code
    for code in codes:
        if get_rule(code).fixable:
            assert any(c == code and "fixed" in x for c, _, x in CASES), f"{code} has no fix case"


def test_base_form_is_clean() -> None:
    report = validate(read_text(form_text({})))
    assert report.issues == [], [(i.code, i.message) for i in report.issues]


def test_registry_shape() -> None:
    rules = all_rules()
    assert [r.code for r in rules] == sorted(r.code for r in rules)
    required = {f"XP10{i}" for i in range(1, 6)} | {f"XP20{i}" for i in range(1, 8)} | {
        f"XP30{i}" for i in range(1, 10)} | {f"XP4{i:02d}" for i in range(1, 13)}
    assert required <= {r.code for r in rules}
    for r in rules:
        assert r.title and r.doc, r.code
        assert r.family in ("budget", "framework", "completeness", "values")
    fixable = {r.code for r in rules if r.fixable}
    assert {"XP203", "XP204", "XP411"} <= fixable
    sev = {r.code: r.severity for r in rules}
    assert sev["XP101"] is Severity.ERROR and sev["XP105"] is Severity.WARNING and sev["XP307"] is Severity.INFO
    assert sev["XP412"] is Severity.INFO and sev["XP408"] is Severity.WARNING


def test_registry_refuses_bad_rules() -> None:
    from xlperf.core.rules import rule

    with pytest.raises(ValueError, match="docstring"):
        rule("XP999", Severity.INFO)(lambda ctx: iter(()))
    with pytest.raises(ValueError, match="twice"):

        def dup(ctx):
            """dup"""
            return iter(())

        rule("XP401", Severity.INFO)(dup)
    with pytest.raises(ValueError, match="XP123"):

        def bad(ctx):
            """bad"""
            return iter(())

        rule("E401", Severity.INFO)(bad)


def test_severity_override_and_ignore() -> None:
    text = form_text({"tasks": "\n".join(BASE_TASKS.splitlines()[:4])})  # no satisfaction -> XP305
    grid = read_text(text)
    assert [i.severity for i in validate(grid).by_code("XP305")] == [Severity.WARNING]
    cfg = Config.from_mapping({"severity": {"XP305": "info"}})
    assert [i.severity for i in validate(grid, config=cfg).by_code("XP305")] == [Severity.INFO]
    assert validate(grid, ignore=["XP3"]).by_code("XP305") == []
    assert validate(grid, config=Config.from_mapping({"ignore": ["XP305"]})).by_code("XP305") == []
    assert [i.code for i in validate(grid, select=["XP305"]).issues] == ["XP305"]


def test_real_world_examples_validate_or_are_refused() -> None:
    """The bundled real-world snippets either validate (ex01, a project-target layout) or are refused as
    not being a form: never a crash."""
    from xlperf.errors import NotAFormError

    examples = sorted((Path(__file__).parent / "fixtures" / "examples").glob("*.txt"))
    validated = 0
    for path in examples:
        try:
            report = validate(path)
        except NotAFormError:
            continue
        validated += 1
        assert report.path == str(path)
        assert all(i.code.startswith("XP") and i.message for i in report.issues)
    assert 1 <= validated < len(examples)


def test_every_message_says_what_to_write_instead() -> None:
    """Every message of every firing case says what is wrong and what to write instead, with an example:
    an 应 (请, 可, 一般设为, 现行名称为) followed by a quoted form (「…」) or an example (如 …)."""
    import re

    vague = []
    for code, kind, case in CASES:
        if kind != "fail":
            continue
        _grid, report = run(code, case)
        for i in report.issues:
            if not re.search(r"(应|请|可|一般设为|现行名称为).*(「|如)", i.message):
                vague.append((code, i.message))
    assert vague == []


def test_review_vocabulary_is_data_validated_on_load() -> None:
    """The judgement rules' words come from xlperf/data/vocabulary.toml; a broken file is refused."""
    import pydantic

    from xlperf.core.vocabulary import Vocabulary, default_vocabulary

    voc = default_vocabulary()
    assert "节约" in voc.saving_words and "在编" in voc.input_words
    data = voc.model_dump()
    with pytest.raises(pydantic.ValidationError, match="正则表达式无效"):
        Vocabulary.model_validate({**data, "vague": "(未闭合"})
    with pytest.raises(pydantic.ValidationError):
        Vocabulary.model_validate({**data, "unknown_list": ["x"]})
    with pytest.raises(pydantic.ValidationError):
        Vocabulary.model_validate({**data, "input_words": []})
