"""The live Excel layer (``xlperf.excel``) against a test double of xlwings backed by openpyxl.

The double (``tests/xlwings_double.py``) parses assigned strings as Excel does, ignores writes into
merged cells and refuses multi-area addresses of 255 characters or more, so these tests check what
the real Excel would make of the calls. Each button's result is compared with the command line's
output for the same workbook.
"""

from __future__ import annotations

import hashlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwings
import xlwings.main

import xlperf
from tests import xlwings_double as xd
from xlperf import excel
from xlperf.core.edits import DeleteSheet, InsertRows, Merge, SetFill, SetValue, Unmerge
from xlperf.io.rows import insert_rows
from xlperf.validation import clear_marks, mark_file


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xlperf-home"
    monkeypatch.setenv("XLPERF_HOME", str(home))
    return home


def _fill(cell: Any) -> str | None:
    f = cell.fill
    if f is not None and f.fill_type == "solid" and f.fgColor.type == "rgb":
        return f.fgColor.rgb[-6:].upper()
    return None


def _value(cell: Any) -> Any:
    v = cell.value
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return (v, "f" if cell.data_type == "f" else "s" if isinstance(v, str) else "n")


def snapshot(path_or_wb: Path | Any) -> dict[str, Any]:
    """What a clerk sees in a workbook: sheets, values (text vs formula), merges, fills, notes, links."""
    wb = openpyxl.load_workbook(path_or_wb) if isinstance(path_or_wb, Path) else path_or_wb
    out: dict[str, Any] = {"sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets]}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                entry = {}
                if c.value not in (None, ""):
                    entry["value"] = _value(c)
                if _fill(c):
                    entry["fill"] = _fill(c)
                if c.comment is not None:
                    entry["note"] = c.comment.text
                if c.hyperlink is not None:
                    entry["link"] = c.hyperlink.location or (c.hyperlink.target or "").removeprefix("#")
                if entry:
                    cells[c.coordinate] = entry
        out[ws.title] = {"cells": cells, "merges": sorted(str(m) for m in ws.merged_cells.ranges)}
    return out


def _diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    lines = []
    if a["sheets"] != b["sheets"]:
        lines.append(f"sheets: {a['sheets']} != {b['sheets']}")
    for name, _ in a["sheets"]:
        if name not in b:
            continue
        if a[name]["merges"] != b[name]["merges"]:
            lines.append(f"{name} merges: {set(a[name]['merges']) ^ set(b[name]['merges'])}")
        ca, cb = a[name]["cells"], b[name]["cells"]
        for ref in sorted(set(ca) | set(cb)):
            if ca.get(ref) != cb.get(ref):
                lines.append(f"{name}!{ref}: {ca.get(ref)} != {cb.get(ref)}")
    return lines


def live_book(src: Path, tmp_path: Path, name: str = "live.xlsx") -> xd.FakeBook:
    path = tmp_path / name
    shutil.copy(src, path)
    return xd.FakeBook(path)


def _task_rows(path: Path, seq: int) -> tuple[str, int]:
    from xlperf.io.readers import load_form

    form = load_form(path)
    task = next(t for t in form.tasks if str(t.seq) == str(seq))
    return form.sheet, task.row + 1


# -- the buttons produce what the command line produces -------------------------------------------------


def test_validate_button_marks_like_the_command_line(seed_xlsx: Path, tmp_path: Path) -> None:
    cli = tmp_path / "cli.xlsx"
    result = mark_file(seed_xlsx, cli)
    assert result.report.issues
    book = live_book(seed_xlsx, tmp_path)
    message = excel.validate_button(book=book)
    assert not _diff(snapshot(cli), snapshot(book.wb))
    assert book.app.alerts == [(message, excel.TITLE, "info")]
    assert f"发现 {len(result.report.issues)} 个问题" in message and "校验结果" in message
    assert book.app.writes_while_on == []  # every write happened with screen updating off
    assert book.app.state["screen_updating"] is True and book.app.status_history[-1] is False
    # a copy of the workbook as it was before
    assert len(book.copies) == 1 and not _diff(snapshot(book.copies[0]), snapshot(seed_xlsx))


def test_validate_twice_equals_once_and_clear_restores(seed_xlsx: Path, tmp_path: Path) -> None:
    # the clerk's own fill and note on a cell that will be marked
    report = xlperf.validate(seed_xlsx)
    issue = next(i for i in report.errors if i.cell)
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb[issue.sheet or wb.sheetnames[0]]
    ws[issue.cell].fill = openpyxl.styles.PatternFill("solid", start_color="00B050", end_color="00B050")
    ws[issue.cell].comment = openpyxl.comments.Comment("我的批注", "clerk")
    own = tmp_path / "own.xlsx"
    wb.save(own)

    book = live_book(own, tmp_path)
    excel.validate_button(book=book)
    once = snapshot(book.wb)
    excel.validate_button(book=book)
    assert not _diff(once, snapshot(book.wb))
    assert once[ws.title]["cells"][issue.cell]["note"].endswith("原批注：\n我的批注")

    excel.clear_marks_button(book=book)
    cleared = snapshot(book.wb)
    assert not _diff(snapshot(own), cleared)
    assert cleared[ws.title]["cells"][issue.cell] == {"value": _value(ws[issue.cell]), "fill": "00B050",
                                                         "note": "我的批注"} or \
        cleared[ws.title]["cells"][issue.cell].get("fill") == "00B050"
    # and the command line clears the same way
    marked = tmp_path / "marked.xlsx"
    mark_file(own, marked)
    clear_marks(marked, tmp_path / "cli-cleared.xlsx")
    assert not _diff(snapshot(tmp_path / "cli-cleared.xlsx"), cleared)
    assert "没有 xlperf 的标记" in excel.clear_marks_button(book=book)


def test_autosum_button_like_the_command_line(seed_xlsx: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb.active
    ws["C6"] = 1359.1  # 项目支出 typed as a number, as the clerk's original had it
    insert_rows(wb, ws, 6, 1, style_from=5)  # and a totals row under the budget block
    ws["B7"], ws["C7"], ws["F7"], ws["G7"] = "部门预算支出合计", 5152.21, "收入合计", 5152.21
    typed = tmp_path / "typed.xlsx"
    wb.save(typed)
    cli = tmp_path / "cli.xlsx"
    res = xlperf.autosum(typed, cli)
    assert len(res.changes) >= 2
    book = live_book(typed, tmp_path)
    message = excel.autosum_button(book=book)
    assert not _diff(snapshot(cli), snapshot(book.wb))
    assert f"已写入 {len(res.changes)} 个求和公式" in message and str(book.copies[0]) in message
    # nothing left to do the second time: no write, no backup
    again = excel.autosum_button(book=book)
    assert "未做修改" in again and len(book.copies) == 1


@pytest.mark.parametrize("task_type", ["", "办公经费"])
def test_insert_button_like_the_command_line(seed_xlsx: Path, tmp_path: Path, task_type: str) -> None:
    cli = tmp_path / "cli.xlsx"
    res = xlperf.insert_indicators(seed_xlsx, 1, type=task_type or None, out=cli)
    assert res.added
    book = live_book(seed_xlsx, tmp_path)
    sheet, row = _task_rows(seed_xlsx, 1)
    book.select(sheet, f"H{row + 1}")  # any cell of the task's rows
    message = excel.insert_indicators_button(task_type, book=book)
    assert not _diff(snapshot(cli), snapshot(book.wb)), _diff(snapshot(cli), snapshot(book.wb))[:10]
    assert f"插入「{res.type}」" in message and f"{len(res.added)} 条指标" in message
    assert ("自动识别" in message) == (task_type == "")


def test_insert_button_says_when_it_fell_back(seed_xlsx: Path, tmp_path: Path) -> None:
    """A task name nothing recognises gets the fallback type, and the message says so."""
    wb = openpyxl.load_workbook(seed_xlsx)
    sheet, row = _task_rows(seed_xlsx, 1)
    wb[sheet][f"B{row}"].value, wb[sheet][f"C{row}"].value = "综合事务", "做好相关保障"
    odd = tmp_path / "odd.xlsx"
    wb.save(odd)
    book = live_book(odd, tmp_path)
    book.select(sheet, f"H{row}")
    message = excel.insert_indicators_button("", book=book)
    assert "插入「专项业务」（自动识别）" in message and "使用了兜底类型「专项业务」" in message


def test_insert_button_uses_the_selected_task_even_when_numbers_repeat(seed_xlsx: Path, tmp_path: Path) -> None:
    """Regression: with two tasks numbered 1 and the selection on the second, the rows went under the
    first (the task was looked up again by its 序号) while the message named the second."""
    from xlperf.io.readers import load_form

    wb = openpyxl.load_workbook(seed_xlsx)
    form = load_form(seed_xlsx)
    first, second, third = form.tasks[:3]
    ws = wb[form.sheet]
    ws.cell(second.row + 1, 1).value = 1  # 序号 typed twice
    twice = tmp_path / "twice.xlsx"
    wb.save(twice)
    book = live_book(twice, tmp_path)
    book.select(form.sheet, f"H{second.row + 2}")
    message = excel.insert_indicators_button("办公经费", book=book)
    assert f"「{second.name}」" in message and f"「{first.name}」" not in message
    after = load_form(_saved(book, tmp_path))
    a1_, a2, a3 = after.tasks[:3]
    assert (a1_.name, a2.name) == (first.name, second.name)
    assert len(a1_.indicators) == len(first.indicators)  # the first task is untouched
    assert len(a2.indicators) > len(second.indicators)  # the rows went under the selected one
    assert a3.row - a2.row == len(a2.indicators) and a3.name == third.name


def _saved(book: xd.FakeBook, tmp_path: Path) -> Path:
    out = tmp_path / f"saved-{len(list(tmp_path.glob('saved-*')))}.xlsx"
    book.wb.save(out)
    return out


def test_insert_button_needs_a_selected_task(seed_xlsx: Path, tmp_path: Path) -> None:
    book = live_book(seed_xlsx, tmp_path)
    book.select(book.wb.sheetnames[0], "A1")
    before = snapshot(book.wb)
    message = excel.insert_indicators_button("", book=book)
    assert "请先选中要插入指标的任务" in message and book.app.alerts[-1][2] == "critical"
    assert not _diff(before, snapshot(book.wb)) and book.copies == []


def test_insert_button_unknown_type(seed_xlsx: Path, tmp_path: Path) -> None:
    book = live_book(seed_xlsx, tmp_path)
    sheet, row = _task_rows(seed_xlsx, 1)
    book.select(sheet, f"B{row}")
    message = excel.insert_indicators_button("没有这种类型", book=book)
    assert message.startswith("插入标准指标未完成：") and "Traceback" not in message


# -- writing: text stays text, batches stay under Excel's limits ----------------------------------------


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"点我\")", "=cmd|' /C calc'!A0", "+1+2", "-A1",
                                  "@SUM(A1)", "001", "2024年1月", "TRUE", "50%", "'引号", "1/2"])
def test_text_is_written_as_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "表"
    wb.save(path)
    book = xd.FakeBook(path)
    sheet = book.sheets[0]
    excel.LiveWriter(book, sheet).apply([SetValue(0, 0, text), SetValue(0, 1, "中文" + text), SetValue(1, 0, 12.5)])
    ws = book.wb["表"]
    assert (ws["A1"].value, ws["A1"].data_type) == (text, "s")
    assert (ws["B1"].value, ws["B1"].data_type) == ("中文" + text, "s")
    assert ws["A2"].value == 12.5


def test_many_fills_are_chunked_and_batched(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    openpyxl.Workbook().save(path)
    book = xd.FakeBook(path)
    sheet = book.sheets[0]
    cells = [(r, c) for r in range(0, 200, 2) for c in range(0, 9, 2)]  # 500 scattered cells
    edits = [SetFill(r, c, "FFC7CE") for r, c in cells] + [SetFill(0, 0, None)]
    calls = book.app.calls
    excel.LiveWriter(book, sheet).apply(edits)
    ws = book.wb.active
    assert all(_fill(ws.cell(r + 1, c + 1)) == "FFC7CE" for r, c in cells[1:])
    assert _fill(ws["A1"]) is None  # the later edit of a cell wins
    color_sets = [u for u in xd.USED if u[1] == "color" and u[2] == "set"]
    assert color_sets and book.app.calls - calls < 60  # ~2 calls per chunk, not one per cell
    assert all(len(a) < 255 for a in excel.chunk_addresses(excel.__dict__["_fill_color"] and
                                                            [f"AB{n}" for n in range(1000)]))


def test_values_go_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    openpyxl.Workbook().save(path)
    book = xd.FakeBook(path)
    edits = [SetValue(r, c, f"v{r}-{c}" if c else r) for r in range(50) for c in range(6)]
    xd.USED.clear()
    excel.LiveWriter(book, book.sheets[0]).apply(edits)
    writes = [u for u in xd.USED if u[1] == "value" and u[2] == "set"]
    assert len(writes) == 1 and len(writes[0][3][0]) == 50
    assert book.wb.active["C50"].value == "v49-2" and book.wb.active["A50"].value == 49


def test_read_grid_matches_the_file_reader(seed_xlsx: Path) -> None:
    from xlperf.io.readers import grid_from_worksheet

    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb.worksheets[0]
    ws["K30"] = 0.95
    ws["K30"].number_format = "0%"
    wb.save(seed_xlsx)
    expected = grid_from_worksheet(openpyxl.load_workbook(seed_xlsx).worksheets[0])
    book = xd.FakeBook(seed_xlsx)
    grid, probe = excel.read_grid(book.sheets[0])
    assert grid.values == expected.values and grid.formulas == expected.formulas
    assert grid.values[(29, 10)] == "95%"
    excel.probe_task_anchors(grid, xlperf.parse(seed_xlsx), probe)
    missed = set(expected.merges) - set(grid.merges)
    assert set(grid.merges) <= set(expected.merges)
    # only blocks holding nothing are not looked for outside the task cells: they change no result
    assert all(not any(m.contains(r, c) for r, c in set(grid.values) | set(grid.formulas)) for m in missed)
    assert len(missed) <= 1
    assert len(probe.asked) < len(grid.values) / 2  # only some cells are asked about merges


# -- errors never become tracebacks ---------------------------------------------------------------------


def test_not_a_form(tmp_path: Path) -> None:
    path = tmp_path / "购物清单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["苹果", 3])
    wb.save(path)
    book = xd.FakeBook(path)
    message = excel.validate_button(book=book)
    assert message.startswith("校验未完成：") and "绩效目标表" in message
    assert book.app.alerts[-1][2] == "critical" and book.copies == []


def test_internal_error_is_logged_not_shown(seed_xlsx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            _home: Path) -> None:
    import xlperf.core.autosum

    def boom(*a: Any, **k: Any) -> None:
        raise RuntimeError("模拟故障")

    monkeypatch.setattr(xlperf.core.autosum, "analyse_autosum", boom)
    book = live_book(seed_xlsx, tmp_path)
    message = excel.autosum_button(book=book)
    assert "内部错误" in message and "RuntimeError: 模拟故障" in message and "Traceback" not in message
    logs = list((_home / "logs").glob("xlperf-error-*.txt"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text(encoding="utf-8")
    assert str(logs[0]) in message
    assert book.app.status_history[-1] is False


def test_backups_are_kept_and_pruned(seed_xlsx: Path, tmp_path: Path, _home: Path) -> None:
    book = live_book(seed_xlsx, tmp_path)
    live = excel.LiveBook(book)
    for _ in range(excel.KEEP_BACKUPS + 3):
        live.backup()
    kept = list((_home / "backups").iterdir())
    assert len(kept) == excel.KEEP_BACKUPS and all(p.name.startswith("live.") for p in kept)


# -- the other buttons -----------------------------------------------------------------------------------


def test_new_form_button(seed_xlsx: Path, tmp_path: Path) -> None:
    book = live_book(seed_xlsx, tmp_path)
    assert excel.new_form_button(book=book) is None  # a new window is the answer, no message box
    (kind, path), = book.app.opened
    assert kind == "template" and path.exists()
    form = xlperf.parse(path)  # a blank form in the official layout
    assert form.layout is not None and not form.department
    assert all(not t.name for t in form.tasks)


def test_consolidate_button_reads_inputs_only(seed_xlsx: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "甲 单位.xlsx", tmp_path / "乙单位.xlsx"
    shutil.copy(seed_xlsx, a)
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.worksheets[0]["B2"] = "另一个部门"
    wb.save(b)
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b, bad)}
    book = live_book(seed_xlsx, tmp_path)
    message = excel.consolidate_button([str(a), str(b), str(bad)], book=book)
    (kind, out), = book.app.opened
    assert kind == "open" and out.exists() and out.parent == tmp_path
    assert "部门汇总" in openpyxl.load_workbook(out, read_only=True).sheetnames
    assert "坏文件.xlsx" in message and "未汇总 1 个文件" in message
    assert digest == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b, bad)}


def test_about_button(tmp_path: Path, seed_xlsx: Path) -> None:
    book = live_book(seed_xlsx, tmp_path)
    message = excel.about_button(book=book)
    assert f"xlperf {xlperf.__version__}" in message and sys.executable in message
    assert f"xlwings {xlwings.__version__}" in message


# -- the xlwings surface the live layer uses exists, with compatible signatures ----------------------------

REAL = {
    "App": xlwings.App, "Book": xlwings.Book, "Books": xlwings.main.Books, "Sheet": xlwings.Sheet,
    "Sheets": xlwings.main.Sheets, "Range": xlwings.Range, "Note": xlwings.main.Note, "Font": xlwings.main.Font,
}


def test_every_xlwings_member_used_exists_with_a_compatible_signature(seed_xlsx: Path, tmp_path: Path) -> None:
    xd.USED.clear()
    book = live_book(seed_xlsx, tmp_path)
    sheet, row = _task_rows(seed_xlsx, 1)
    excel.validate_button(book=book)
    excel.validate_button(book=book)
    excel.autosum_button(book=book)
    book.select(sheet, f"B{row}")
    excel.insert_indicators_button("", book=book)
    excel.clear_marks_button(book=book)
    excel.about_button(book=book)
    excel.new_form_button(book=book)
    excel.consolidate_button([str(seed_xlsx)], book=book)
    # rows styled after a row that is neither just above nor just below (copy + paste formats)
    excel.LiveWriter(book, book.sheets[0]).apply([InsertRows(12, 2, style_from=9), Merge(12, 0, 13, 0),
                                                  Unmerge(12, 0, 13, 0), DeleteSheet("没有这个表")])
    assert all("内部错误" not in a[0] and "未完成" not in a[0] for a in book.app.alerts), book.app.alerts
    used = {(cls, attr, kind) for cls, attr, kind, _, _ in xd.USED}
    assert {("Range", "merge_area", "get"), ("Range", "add_note", "call"), ("App", "properties", "call"),
            ("Range", "insert", "call"), ("Sheets", "add", "call"), ("Range", "paste", "call"),
            ("Range", "merge", "call"), ("Range", "unmerge", "call")} <= used
    problems = []
    for cls, attr, kind, args, kwargs in xd.USED:
        real = REAL[cls]
        member = inspect.getattr_static(real, attr, None)
        if member is None:
            problems.append(f"{cls}.{attr} does not exist in xlwings {xlwings.__version__}")
        elif kind in ("get", "set"):
            if not isinstance(member, property):
                problems.append(f"{cls}.{attr} is not a property")
            elif kind == "set" and member.fset is None:
                problems.append(f"{cls}.{attr} is read-only")
        else:
            func = inspect.unwrap(member)
            try:
                inspect.signature(func).bind(None, *args, **kwargs)
            except TypeError as exc:
                problems.append(f"{cls}.{attr}{args}{kwargs}: {exc}")
    assert not problems, sorted(set(problems))
    # the double's own signatures match too (so that the recorded calls mean what they say)
    for cls in REAL:
        fake = {"App": xd.FakeApp, "Book": xd.FakeBook, "Books": xd.FakeBooks, "Sheet": xd.FakeSheet,
                "Sheets": xd.FakeSheets, "Range": xd.FakeRange, "Note": xd.FakeNote, "Font": xd.FakeFont}[cls]
        for attr in {a for c, a, _ in used if c == cls}:
            assert inspect.getattr_static(fake, attr, None) is not None


def test_importing_the_live_layer_is_light() -> None:
    code = ("import sys, xlperf.excel; heavy = [m for m in ('xlwings', 'pandas', 'numpy', 'openpyxl', "
            "'pydantic', 'xlperf.core.parse') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_huge_used_range_is_refused_before_reading(seed_xlsx: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    wb.active.cell(700_000, 11).number_format = "0.00"  # formatting run far down a column
    path = tmp_path / "long.xlsx"
    wb.save(path)
    book = xd.FakeBook(path)
    xd.USED.clear()
    message = excel.validate_button(book=book)
    assert "已用区域过大" in message and "700000 行" in message
    assert not any(u[1] == "value" for u in xd.USED)  # refused before the big read


def test_consolidate_output_falls_back_when_the_folder_is_read_only(seed_xlsx: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   _home: Path) -> None:
    import xlperf.consolidation as consolidation

    real = consolidation.write_summary
    targets: list[Path] = []

    def write(cons: Any, path: Path, **kw: Any) -> None:
        targets.append(path)
        if path.parent == seed_xlsx.parent:
            raise PermissionError(13, "只读", str(path))
        real(cons, path, **kw)

    monkeypatch.setattr(consolidation, "write_summary", write)
    book = xd.FakeBook(seed_xlsx)
    message = excel.consolidate_button([str(seed_xlsx)], book=book)
    # written atomically (a temporary file renamed into place), in xlperf's own folder the second time
    assert len(targets) == 2 and targets[1].parent == _home / "汇总"
    [out] = (_home / "汇总").glob("部门汇总-*.xlsx")
    assert not [p for p in (_home / "汇总").iterdir() if p.name.endswith(".tmp")]
    assert not list(seed_xlsx.parent.glob(".部门汇总-*"))  # nothing left behind in the read-only folder
    assert str(out) in message and book.app.opened == [("open", out)]


@pytest.mark.parametrize("style_from", [None, 11, 12, 5])
def test_insert_rows_like_the_file_adapter(seed_xlsx: Path, tmp_path: Path, style_from: int | None) -> None:
    from xlperf.io.xlsx import apply_edits

    edits = [InsertRows(12, 3, style_from=style_from), SetValue(12, 7, "新指标"), Merge(12, 5, 14, 5)]
    wb = openpyxl.load_workbook(seed_xlsx)
    apply_edits(wb, wb.worksheets[0], edits)
    book = live_book(seed_xlsx, tmp_path)
    excel.LiveWriter(book, book.sheets[0]).apply(edits)
    assert not _diff(snapshot(wb), snapshot(book.wb))
    # the new rows carry the same styles (Excel's copy origin, or copy + paste formats); without
    # style_from Excel still copies the row above while the file adapter leaves them plain (no plan does that)
    if style_from is None:
        return
    ws_live, ws_cli = book.wb.worksheets[0], wb.worksheets[0]
    for r in (13, 14, 15):
        for c in range(6, 12):
            for side in ("left", "right", "top", "bottom"):
                assert getattr(ws_live.cell(r, c).border, side).style == getattr(ws_cli.cell(r, c).border, side).style
            assert ws_live.cell(r, c).alignment.wrap_text == ws_cli.cell(r, c).alignment.wrap_text


def test_doctor_button(tmp_path: Path, seed_xlsx: Path) -> None:
    book = live_book(seed_xlsx, tmp_path)
    message = excel.doctor_button(book=book)
    assert "xlwings 版本" in message and "备份文件夹可写" in message and "共 5 项" in message
    assert book.app.alerts and "内部错误" not in book.app.alerts[-1][0]
