"""The WPS add-in's page in a real headless Chromium (Debian's ``chromium``), against the real service and
a fake ET object model (tests/wps/fake_et.js) that holds the workbook's cells: after a button is pressed,
the fake's workbook is compared cell by cell with the file the command line writes for the same input,
as tests/xlwings_double.py does for Excel."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.test_parity import comparable, variant
from tests.test_service import without_sums
from xlperf import service
from xlperf.addin import wps_addin
from xlperf.cli import main
from xlperf.core.grid import a1

HERE = Path(__file__).parent / "wps"
EPOCH = dt.datetime(1899, 12, 30)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


pytestmark = pytest.mark.skipif(
    chromium() is None, reason="Debian's chromium is not installed (apt-get install -y chromium): the WPS page is not tested")


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[service.Service]:
    mp = pytest.MonkeyPatch()
    mp.setenv("XLPERF_HOME", str(tmp_path_factory.mktemp("wps-home")))
    s = service.start(0)
    yield s
    s.stop()
    mp.undo()


# -- the workbook as the fake holds it, and as the command line wrote it --------------------------------


def _value2(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return (v - EPOCH).total_seconds() / 86400
    if isinstance(v, dt.date):
        return float((dt.datetime.combine(v, dt.time()) - EPOCH).days)
    return v


def book_state(path: Path) -> dict[str, Any]:
    """Every sheet of a workbook file: values, formulas, solid fills, notes, merges, visibility, links."""
    from xlperf.io.xlsx import fill_spec

    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        cells: dict[str, dict[str, Any]] = {}
        links = []
        for row in ws.iter_rows():
            for cell in row:
                f = cell.value if cell.data_type == "f" else None
                v = None if f is not None else _value2(cell.value)
                spec = fill_spec(cell)
                fill = spec if re.fullmatch(r"[0-9A-F]{6}", spec) else None
                note = cell.comment.text if cell.comment is not None else None
                if v is None and f is None and fill is None and note is None:
                    continue
                entry: dict[str, Any] = {"v": v, "f": f, "fill": fill, "note": note}
                if isinstance(v, (int, float)) and not isinstance(v, bool) and cell.number_format != "General":
                    entry["fmt"] = cell.number_format
                cells[a1(cell.row - 1, cell.column - 1)] = entry
                if cell.hyperlink is not None:
                    target = cell.hyperlink.location or (cell.hyperlink.target or "")
                    links.append({"cell": cell.coordinate, "target": target.lstrip("#"), "text": str(cell.value)})
        sheets.append({"name": ws.title, "visible": -1 if ws.sheet_state == "visible" else 0, "cells": cells,
                       "merges": sorted(str(m) for m in ws.merged_cells.ranges), "links": links})
    state = {"active": wb.active.title, "sheets": sheets, "book": path.name, "fullName": str(path)}
    wb.close()
    return state


def comparable_book(state: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for s in state["sheets"]:
        cells = {}
        for ref, c in s["cells"].items():
            v = c["v"]
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            cells[ref] = (v, c["f"], c["fill"], c["note"])
        out[s["name"]] = {"visible": s["visible"], "cells": cells, "merges": sorted(s["merges"]),
                          "links": sorted((x["cell"], x["target"], x["text"]) for x in s["links"])}
    return {"order": [s["name"] for s in state["sheets"]], "sheets": out}


def assert_same_book(fake: dict[str, Any], path: Path) -> None:
    want, got = comparable_book(book_state(path)), comparable_book(fake)
    assert got["order"] == want["order"]
    for name in want["order"]:
        w, g = want["sheets"][name], got["sheets"][name]
        diff = {ref: (g["cells"].get(ref), w["cells"].get(ref)) for ref in set(w["cells"]) | set(g["cells"])
                if g["cells"].get(ref) != w["cells"].get(ref)}
        assert not diff, f"sheet {name}: cells differ (page, command line): {dict(sorted(diff.items())[:8])}"
        assert g["merges"] == w["merges"], f"sheet {name}: merges differ"
        assert g["visible"] == w["visible"] and g["links"] == w["links"], f"sheet {name}"


# -- running the page -------------------------------------------------------------------------------------


def run_page(tmp_path: Path, svc: service.Service, state: dict[str, Any], steps: list[dict[str, Any]], *,
             snapshot: bool = False, port: int | None = None) -> dict[str, Any]:
    folder = tmp_path / f"addin-{uuid.uuid4().hex[:8]}"
    wps_addin.build(folder, port=port or svc.port, token=svc.token)
    for name in ("fake_et.js", "harness.html"):
        shutil.copyfile(HERE / name, folder / name)
    (folder / "state.js").write_text(
        f"var FAKE_STATE = {json.dumps(state, ensure_ascii=False)};\nvar FAKE_STEPS = {json.dumps(steps, ensure_ascii=False)};\n"
        f"var FAKE_SNAPSHOT = {json.dumps(snapshot)};\n", encoding="utf-8")
    profile = tmp_path / f"chromium-{uuid.uuid4().hex[:8]}"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--virtual-time-budget=60000", "--dump-dom", (folder / "harness.html").as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    m = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"no result from the page: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    out = json.loads(html.unescape(m.group(1)))
    assert "error" not in out, out.get("error")
    return out


def press(tmp_path: Path, svc: service.Service, path: Path, *steps: dict[str, Any], sheet: str = "绩效目标表",
          **kw: Any) -> dict[str, Any]:
    state = book_state(path)
    state["active"] = sheet
    return run_page(tmp_path, svc, state, list(steps), **kw)


VALIDATE = {"id": "xlperfValidate"}
CLEAR = {"id": "xlperfClearMarks"}
AUTOSUM = {"id": "xlperfAutosum"}


# -- the tests --------------------------------------------------------------------------------------------


def test_every_ribbon_callback_and_button_has_its_function(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    from xlperf.addin import ribbon

    out = press(tmp_path, svc, seed_xlsx)
    assert out["loaded"] is True
    for name in ribbon.callbacks(ribbon.wps_xml()):
        assert out["callbacks"][name] == "function", name
    ids = {b.id for b in ribbon.load_spec().buttons()}
    assert set(out["handlers"]) == ids and set(out["handlers"].values()) == {"function"}


def test_validate_marks_as_the_command_line(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    out = press(tmp_path, svc, seed_xlsx, VALIDATE)
    marked = tmp_path / "marked.xlsx"
    main(["validate", "--mark", str(seed_xlsx), "-o", str(marked)])
    fake = out["fake"]
    assert_same_book(fake, marked)
    assert "发现" in fake["alerts"][0] and "Error" not in fake["alerts"][0]
    # a copy was saved before anything was written, and nothing was written with the screen updating
    assert len(fake["copies"]) == 1 and ".bak-" in fake["copies"][0]["path"]
    assert not fake["writesWhileOn"]
    assert fake["restored"] == {"ScreenUpdating": True, "EnableEvents": True, "Calculation": -4105}
    assert fake["active"] == "绩效目标表"
    assert any(isinstance(s, str) and "校验" in s for s in fake["status"]) and fake["status"][-1] is False


def test_validate_twice_then_clear_marks_as_the_command_line(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    out = press(tmp_path, svc, seed_xlsx, VALIDATE, VALIDATE, CLEAR)
    marked = tmp_path / "marked.xlsx"
    cleared = tmp_path / "cleared.xlsx"
    main(["validate", "--mark", str(seed_xlsx), "-o", str(marked)])
    main(["validate", "--unmark", str(marked), "-o", str(cleared)])
    assert_same_book(out["fake"], cleared)
    assert "已清除" in out["fake"]["alerts"][-1]


def test_autosum_as_the_command_line(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    source = without_sums(seed_xlsx, tmp_path)
    out = press(tmp_path, svc, source, AUTOSUM)
    summed = tmp_path / "summed.xlsx"
    main(["autosum", str(source), "-o", str(summed)])
    assert_same_book(out["fake"], summed)
    assert "求和公式" in out["fake"]["alerts"][0]


def test_insert_indicators_under_the_selected_task_as_the_command_line(tmp_path: Path, svc: service.Service,
                                                                       seed_xlsx: Path) -> None:
    from xlperf.core.parse import parse_grid
    from xlperf.io.books import FileBook
    from xlperf.workbook import form_sheet

    with FileBook(seed_xlsx) as book:
        task = parse_grid(form_sheet(book).grid).tasks[1]
    out = press(tmp_path, svc, seed_xlsx,
                {"id": "xlperfIndicatorsType06", "tag": "会议", "select": f"C{task.row + 1}"})
    inserted = tmp_path / "inserted.xlsx"
    main(["indicators", "insert", str(seed_xlsx), "--task", str(task.seq), "--type", "会议", "-o", str(inserted)])
    assert_same_book(out["fake"], inserted)
    assert "会议" in out["fake"]["alerts"][0]


@pytest.mark.parametrize("kind", ["percent", "dates", "merged-blanks"])
def test_the_pages_snapshot_reads_as_the_file_readers(kind: str, tmp_path: Path, svc: service.Service,
                                                      seed_xlsx: Path) -> None:
    from xlperf.io.books import FastBook
    from xlperf.io.snapshot import Snapshot, SnapshotBook
    from xlperf.workbook import form_sheet

    path = variant(kind, seed_xlsx, tmp_path)
    state = book_state(path)
    out = run_page(tmp_path, svc, state, [], snapshot=True)
    with FastBook(path) as fast:
        want = form_sheet(fast).grid
    got = form_sheet(SnapshotBook(Snapshot.parse(out["snapshot"]))).grid
    assert comparable(got) == comparable(want)


def test_without_the_service_one_chinese_message(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    with service.bind(0) as sock:  # a port nobody answers on
        free = sock.getsockname()[1]
    out = press(tmp_path, svc, seed_xlsx, VALIDATE, port=free)
    fake = out["fake"]
    assert fake["alerts"] == [fake["alerts"][0]] and fake["alerts"][0].startswith("校验未完成：无法连接 xlperf 服务")
    assert " at " not in fake["alerts"][0] and not fake["copies"]
    assert comparable_book(fake) == comparable_book(book_state(seed_xlsx) | {"active": "绩效目标表"})


def test_consolidate_opens_the_summary(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    state = book_state(seed_xlsx)
    state["pick"] = [str(seed_xlsx)]
    out = run_page(tmp_path, svc, state, [{"id": "xlperfConsolidate"}])
    opened = out["fake"]["opened"]
    assert len(opened) == 1 and opened[0][0] == "open" and Path(opened[0][1]).exists()
    assert "已汇总 1 个文件" in out["fake"]["alerts"][0]


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    """Indicator names typed as ``=1+1``, ``+86`` and ``001`` reach 校验结果 as the same text through the
    page as through the command line (ET parses what is assigned as if typed)."""
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["绩效目标表"]
    for ref, text in (("H21", "=1+1"), ("H12", "+86"), ("H26", "001")):
        ws[ref].value = text
        ws[ref].data_type = "s"
    source = tmp_path / "hostile.xlsx"
    wb.save(source)
    marked = tmp_path / "marked.xlsx"
    main(["validate", "--mark", str(source), "-o", str(marked)])
    report = {c["v"] for c in next(s for s in book_state(marked)["sheets"] if s["name"] == "校验结果")["cells"].values()}
    assert {"=1+1", "+86", "001"} <= report, "the seed's issues name these indicators"
    out = press(tmp_path, svc, source, VALIDATE)
    assert_same_book(out["fake"], marked)


def test_clear_marks_from_another_sheet(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    """校验 on the form, then 清除标记 with another sheet active: the marked cells of the form sheet are
    read through the snapshot's other sheets, and restored as the command line restores them."""
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.create_sheet("说明")["A1"] = "填表说明：金额单位为万元"
    source = tmp_path / "two-sheets.xlsx"
    wb.save(source)
    marked, repainted, cleared = tmp_path / "marked.xlsx", tmp_path / "repainted.xlsx", tmp_path / "cleared.xlsx"
    main(["validate", "--mark", str(source), "-o", str(marked)])
    wb = openpyxl.load_workbook(marked)
    cell = next(c for row in wb["绩效目标表"].iter_rows() for c in row if c.comment is not None)
    cell.fill = openpyxl.styles.PatternFill(fill_type="solid", start_color="00B050", end_color="00B050")
    wb.save(repainted)
    main(["validate", "--unmark", str(repainted), "-o", str(cleared)])
    paint = {"sheet": "绩效目标表", "cell": cell.coordinate, "bgr": 0x50B000}  # 00B050 as BGR
    out = press(tmp_path, svc, source, VALIDATE, {"paint": paint}, {"id": "xlperfClearMarks", "activate": "说明"})
    assert_same_book(out["fake"], cleared)
    # the colour the user gave the cell after marking is kept, the other marks are gone
    fills = {ref: c["fill"] for s in out["fake"]["sheets"] if s["name"] == "绩效目标表" for ref, c in s["cells"].items()}
    assert fills[cell.coordinate] == "00B050" and "FFC7CE" not in fills.values() and "FFEB9C" not in fills.values()


def test_new_form_and_about(tmp_path: Path, svc: service.Service, seed_xlsx: Path) -> None:
    from xlperf import __version__

    out = press(tmp_path, svc, seed_xlsx, {"id": "xlperfNewForm"}, {"id": "xlperfAbout"})
    fake = out["fake"]
    assert len(fake["opened"]) == 1 and fake["opened"][0][0] == "add" and Path(fake["opened"][0][1]).exists()
    assert fake["alerts"] == [fake["alerts"][-1]] and f"xlperf {__version__}" in fake["alerts"][-1]
