"""Hostile inputs, round 2 (issue 18): every spelling of every guard, small files that explode.

Each case (tests/hostile/round2.py) goes through parse, validate and autosum in one real process (a
native abort would kill it: the test sees the signal) and through consolidate with a legitimate form
beside it. Asserted for each: exit 2 with one Chinese line naming the reason (or the right result for
the legitimate respelled form), no traceback, no death by signal, under 5 s per command and 500 MB for
the whole process, inputs byte-identical, no stray files, and the consolidation still writes its
summary listing each refused file as 跳过 with its reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import round2
from tests.hostile.test_round1 import assert_one_line

ROOT = Path(__file__).resolve().parents[2]

DRIVER = r"""
import contextlib, io, json, resource, sys, time
from pathlib import Path
from xlperf.cli import main
files, outdir = json.loads(sys.argv[1]), Path(sys.argv[2])
report = {}
for name, path in files.items():
    res = {}
    for cmd, args in (("parse", ["parse", path, "--json"]), ("validate", ["validate", path]),
                      ("autosum", ["autosum", path, "-o", str(outdir / (name + ".xlsx"))])):
        out, err = io.StringIO(), io.StringIO()
        t = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        res[cmd] = {"code": code, "out": out.getvalue(), "err": err.getvalue(), "s": time.perf_counter() - t}
    report[name] = res
try:  # VmHWM: this process's own peak since exec (ru_maxrss would carry the parent's size over on Linux)
    with open("/proc/self/status") as fh:
        report["_peak_mb"] = int(next(ln.split()[1] for ln in fh if ln.startswith("VmHWM:"))) / 1024
except OSError:
    report["_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)
print(json.dumps(report))
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return round2.build(tmp_path_factory.mktemp("round2") / "第二轮 语料")


@pytest.fixture(scope="module")
def corpus_state(cases):
    folder = next(iter(cases.values())).path.parent
    return folder, {p.name: sha(p) for p in folder.iterdir()}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def report(cases, corpus_state, tmp_path_factory):
    outdir = tmp_path_factory.mktemp("round2-out")
    files = {name: str(c.path) for name, c in cases.items()}
    r = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(files), str(outdir)], capture_output=True,
                       text=True, timeout=600, env=_env(), cwd=ROOT)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])  # negative: killed by a signal
    return json.loads(r.stdout), outdir


NAMES = ([f"far_{s}" for s in round2.FAR_STYLES] + ["far_positional"] + [f"merge_{s}" for s in round2.MERGE_STYLES]
         + ["sheet_named_dat", "sheet_part_case", "shared_expansion", "rich_text_runs", "shared_runs",
            "legacy_stream_case", "binary_workbook", "binary_as_xlsx", "deep_nesting", "bad_shared_index", "merge_whole_columns",
            "merge_whole_rows", "merge_whole_column_letters", "unused_parts",
            "respelled_seed"])


@pytest.mark.parametrize("name", NAMES)
def test_every_command_answers_in_one_line(cases, report, name):
    data, outdir = report
    case = cases[name]
    res = data[name]
    for cmd, r in res.items():
        assert r["s"] < 5, (cmd, r["s"])
        assert "Traceback" not in r["err"] + r["out"]
    if case.kind is None:  # the legitimate form in another spelling: read as the canonical one is
        assert res["parse"]["code"] == 0 and res["validate"]["code"] == 1 and res["autosum"]["code"] == 0
        return
    assert res["parse"]["code"] == 2 and res["parse"]["out"] == ""
    assert assert_one_line(res["parse"]["err"], case.hint).startswith("错误：")
    assert res["validate"]["code"] == 2
    assert res["validate"]["out"].strip() == "共 1 个文件；1 个文件无法处理"
    assert_one_line(res["validate"]["err"], case.hint)
    assert res["autosum"]["code"] == 2
    hint = "旧版 .xls 文件只能读取" if case.path.suffix == ".xls" else case.hint
    assert_one_line(res["autosum"]["err"], hint)
    assert not (outdir / f"{name}.xlsx").exists()


def test_the_process_stays_small(report):
    assert report[0]["_peak_mb"] < 500


def test_the_respelled_form_reads_as_the_canonical_one(cases, tmp_path):
    from tests.hostile import corpus as hc
    from xlperf.io.readers import load_form, read_grids

    canonical = hc.seed_xlsx(tmp_path / "seed.xlsx")
    respelled = cases["respelled_seed"].path
    for engine in ("fast", "openpyxl"):
        a, b = load_form(respelled, engine=engine).model_dump(), load_form(canonical, engine=engine).model_dump()
        assert {**a, "source": None} == {**b, "source": None}
    fa, fb = read_grids(respelled)[0], read_grids(canonical)[0]
    assert (fa.values, fa.formulas, fa.merges, fa.formats) == (fb.values, fb.formulas, fb.merges, fb.formats)
    assert fb.formulas  # (the seed's 项目支出 is a SUM)


def test_the_parse_scan_finds_what_the_pattern_scan_finds(tmp_path):
    """On canonical sheets (the seed, openpyxl with percent formats, fastxlsx), the parse that reads other spellings
    finds the same formulas and percent-styled cells as the regular expressions."""
    import zipfile

    import openpyxl

    from tests.hostile import corpus as hc
    from tests.synth import make_form, write_workbook
    from xlperf.io import readers, xmlguard

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"] = 0.95, "=A1*2", "=SUM(A1:B1)"
    ws["A1"].number_format = "0.0%"
    ws["D2"] = 0.5
    ws["D2"].number_format = "0%"
    wb.save(tmp_path / "percent.xlsx")
    paths = [hc.seed_xlsx(tmp_path / "seed.xlsx"), tmp_path / "percent.xlsx",
             write_workbook(tmp_path / "synth.xlsx", make_form(3, tasks=12, indicators=(2, 5)))]
    checked = 0
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            percent = readers.percent_styles(zf)
            for part in readers.workbook_info(zf).parts.values():
                data = zf.read(part)
                if xmlguard.fast(data) is None:
                    continue
                found = readers.scan_sheet(zf, part, percent)
                assert xmlguard.scan_cells(data, percent) == found, (path, part)
                checked += bool(found[0] or found[1])
    assert checked >= 3


def test_consolidation_with_every_case_writes_its_summary(cases, corpus_state, tmp_path):
    folder, before = corpus_state
    out = tmp_path / "汇总.xlsx"
    js = tmp_path / "汇总.json"
    r = subprocess.run([sys.executable, "-m", "xlperf", "consolidate", str(folder), "-o", str(out), "--json", str(js)],
                       capture_output=True, text=True, timeout=300, env=_env(), cwd=ROOT)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and out.is_file()
    files = {Path(f["文件"]).name: f for f in json.loads(js.read_text("utf-8"))["files"]}
    for _name, case in cases.items():
        row = files[case.path.name]
        if case.kind is None:
            assert row["状态"] == "成功", row
        else:
            assert row["状态"] == "跳过" and case.hint in row["原因"], row
    assert {p.name: sha(p) for p in folder.iterdir()} == before  # inputs untouched, nothing added
