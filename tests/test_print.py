"""What xlperf writes prints: rendered by LibreOffice to PDF, every page carries its sheet's running
title and table header, and no sheet is wider than one page (its first and last column labels are on
every page of it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import lo_convert, needs_libreoffice
from xlperf.cli import main

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="poppler-utils (pdftotext) is not installed: apt-get install -y poppler-utils")


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = text.split("\f")
    return out[:-1] if out and not out[-1].strip() else out


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


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
