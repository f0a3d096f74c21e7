"""What xlperf writes prints: rendered by LibreOffice to PDF, every page carries its sheet's running
title and table header, and no sheet is wider than one page (its first and last column labels are on
every page of it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SEED_TXT, lo_convert, needs_libreoffice
from xlperf.cli import main

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="poppler-utils (pdftotext) is not installed: apt-get install -y poppler-utils")


def pages(pdf: Path, mode: str = "-layout") -> list[str]:
    """The text of each page: ``-layout`` keeps lines as printed, ``-raw`` keeps each cell's wrapped lines
    together."""
    text = subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = text.split("\f")
    return out[:-1] if out and not out[-1].strip() else out


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def text_lines_on_pages(pdf: Path, tmp: Path) -> list[list[tuple[str, float, float]]]:
    """Per page, each printed line of text: (text without spaces, top, bottom) in points."""
    import xml.etree.ElementTree as ET

    html = tmp / (pdf.stem + ".bbox.html")
    subprocess.run(["pdftotext", "-bbox-layout", str(pdf), str(html)], check=True, capture_output=True)
    text = re.sub(r"<!DOCTYPE[^>]*>", "", html.read_text(encoding="utf-8"))
    root = ET.fromstring(text.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    out = []
    for page in root.iter("page"):
        lines = []
        for line in page.iter("line"):
            words = "".join(w.text or "" for w in line.iter("word"))
            lines.append((squashed(words), float(line.get("yMin")), float(line.get("yMax"))))
        out.append(lines)
    return out


def assert_tasks_not_clipped(pdf: Path, tmp: Path, tasks: list) -> None:
    """The wrapped 主要实施内容 of each task ends above the next task's first line on the page: text that
    does not fit its merged cell runs into the next task's rows (LibreOffice still prints it, clipped)."""
    for lines in text_lines_on_pages(pdf, tmp):
        spans = []
        for t in tasks:
            content = squashed(t.content or "")
            mine = [(top, bottom) for text, top, bottom in lines if len(text) >= 6 and text in content]
            if mine:
                spans.append((t.seq, min(a for a, _ in mine), max(b for _, b in mine)))
        for (seq, _top, bottom), (nxt, top, _b) in zip(spans, spans[1:], strict=False):
            assert bottom <= top + 0.5, f"task {seq}: 主要实施内容 runs into task {nxt} (clipped when printed)"


#: per summary sheet: labels of its first and last columns (short ones: wrapped headers split words)
EDGES = {"部门汇总": ("部门名称", "工作表"), "任务明细": ("部门名称", "单元格"), "指标明细": ("部门名称", "单元格"),
         "校验问题": ("来源文件", "指标"), "文件清单": ("序号", "部门名称")}


@needs_libreoffice
@needs_pdftotext
def test_summary_of_40_departments_prints(tmp_path: Path) -> None:
    from tests.synth import generate

    generate(tmp_path / "forms", 40)
    out = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(tmp_path / "forms"), "-o", str(out), "-q", "-j", "1"]) in (0, 1)
    printed = pages(lo_convert(out, tmp_path / "pdf", "pdf", timeout=300))
    assert 0 < len(printed) < 200  # was 599 before the page setup (columns cut across pages)
    seen = set()
    for n, page in enumerate(printed, start=1):
        m = re.search(r"部门整体支出绩效目标汇总—(\S+?)(单位：万元|$)", squashed(page.splitlines()[0] if page.strip() else ""))
        assert m, f"page {n} has no running title: {page[:200]!r}"
        sheet = m.group(1)
        seen.add(sheet)
        assert f"第{n}页，共{len(printed)}页" in squashed(page), f"page {n}: no page number"
        if sheet in EDGES:
            first, last = EDGES[sheet]
            flat = squashed(page)
            assert first in flat and last in flat, f"page {n} ({sheet}): header row missing or cut"
    assert set(EDGES) | {"图表"} <= seen


@needs_libreoffice
@needs_pdftotext
def test_seed_form_prints_in_three_pages_with_its_header(tmp_path: Path) -> None:
    from xlperf.core.text import text_lines
    from xlperf.io.template import WIDTHS

    out = tmp_path / "seed.xlsx"
    assert main(["import", str(SEED_TXT), "-o", str(out)]) == 0
    marked = tmp_path / "marked.xlsx"
    assert main(["validate", str(out), "--mark", "-o", str(marked)]) == 1
    pdf = lo_convert(out, tmp_path / "pdf", "pdf")
    printed = pages(pdf)
    assert len(printed) <= 3
    for n, page in enumerate(printed, start=1):
        flat = squashed(page)
        assert "年度工作任务" in flat and "年度指标值" in flat, f"page {n}: the task table header is missing"
        assert f"第{n}页，共{len(printed)}页" in flat
    raw = [squashed(p) for p in pages(pdf, "-raw")]
    flat = "".join(raw)
    # every task's 主要实施内容 is printed whole (no clipped merged cell), each task on one page
    import openpyxl

    from xlperf.io.readers import load_form

    form = load_form(SEED_TXT)
    for t in form.tasks:
        assert squashed(t.content or "") in flat, f"task {t.seq}: 主要实施内容 clipped"
        assert sum(squashed(t.content or "") in p for p in raw) == 1
    assert_tasks_not_clipped(pdf, tmp_path, form.tasks)
    ws = openpyxl.load_workbook(out).active
    assert ws["C5"].number_format == ws["C6"].number_format == "0.00" and "1359.10" in flat and "3793.11" in flat
    assert text_lines("部门名称", WIDTHS[0]) == 1 and text_lines("基本信息", WIDTHS[0]) == 1
    # 校验结果: landscape, one page wide, its header row on every page
    # (LibreOffice's export of the whole workbook may end with one empty page after a long 校验结果: known,
    # left out here, see the closing note of issue 12)
    printed_all = [p for p in pages(lo_convert(marked, tmp_path / "pdf2", "pdf")) if p.strip()]
    report = [p for p in printed_all if "校验结果" in p.splitlines()[0]]
    assert report
    for page in report:
        flat = squashed(page)
        assert "序号" in flat and "说明" in flat


@needs_libreoffice
@needs_pdftotext
def test_the_clipping_check_can_fail(tmp_path: Path) -> None:
    """Rows left at the default height (as before): the check sees the content run into the next task."""
    import openpyxl

    from xlperf.io.readers import load_form

    out = tmp_path / "seed.xlsx"
    assert main(["import", str(SEED_TXT), "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    for dim in wb.active.row_dimensions.values():
        dim.height = None
    wb.save(out)
    with pytest.raises(AssertionError, match="clipped"):
        assert_tasks_not_clipped(lo_convert(out, tmp_path / "pdf", "pdf"), tmp_path, load_form(SEED_TXT).tasks)


@needs_libreoffice
@needs_pdftotext
def test_summary_issue_notes_print_whole(tmp_path: Path) -> None:
    """校验问题's 说明 wraps in its column: every message is on paper whole (it used to be cut off at the
    column's edge), and the sheet still prints one page wide."""
    import openpyxl

    from tests.synth import generate

    generate(tmp_path / "forms", 6, seed=5, tasks=4, indicators=3)
    out = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(tmp_path / "forms"), "-o", str(out), "-q", "-j", "1"]) in (0, 1)
    ws = openpyxl.load_workbook(out)["校验问题"]
    head = [c.value for c in ws[1]]
    col = head.index("说明") + 1
    notes = [ws.cell(r, col).value for r in range(2, ws.max_row + 1)]
    assert len(notes) > 20 and max(map(len, notes)) > 60  # messages longer than the column is wide
    assert all(ws.cell(r, col).alignment.wrap_text for r in range(2, ws.max_row + 1))
    pdf = lo_convert(out, tmp_path / "pdf", "pdf", timeout=300)
    flat = "".join(squashed(p) for p in pages(pdf, "-raw"))
    cut = [n for n in notes if squashed(n) not in flat]
    assert not cut, f"{len(cut)} of {len(notes)} messages not printed whole, e.g. {cut[0]!r}"
    for page in pages(pdf):
        if "校验问题" in page.splitlines()[0]:
            assert "来源文件" in squashed(page) and "指标" in squashed(page)  # one page wide
