"""Atomic writes and backups (issue 7): an in-place rewrite keeps a backup holding the original bytes;
a failure while saving (disk full, Ctrl-C) leaves the original untouched, writes no partial output and
leaves no temporary file and no backup behind. For validate --mark, autosum and indicators insert
(``--in-place`` and ``-o``), and for consolidate."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.writer.excel import ExcelWriter

from tests.hostile import corpus as hc
from xlperf.cli import main
from xlperf.io.xlsx import _umask

IN_PLACE = {
    "mark": ["validate", "--mark", "--in-place"],
    "autosum": ["autosum", "--in-place"],
    "insert": ["indicators", "insert", "--task", "1", "--in-place"],
}
TO_FILE = {
    "mark": ["validate", "--mark", "-o"],
    "autosum": ["autosum", "-o"],
    "insert": ["indicators", "insert", "--task", "1", "-o"],
}
OK_CODES = {"mark": 1, "autosum": 0, "insert": 0}
BACKUP_RE = re.compile(r"部门 绩效表\.bak-\d{8}-\d{6}(-\d+)?\.xlsx")


@pytest.fixture(scope="module")
def form_bytes(tmp_path_factory) -> bytes:
    """The seed form with 项目支出 typed as a number (so autosum has a formula to write)."""
    path = hc.seed_xlsx(tmp_path_factory.mktemp("atomic") / "src.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["绩效目标表"]["C6"] = 1234
    wb.save(path)
    return path.read_bytes()


@pytest.fixture
def form(tmp_path, form_bytes) -> Path:
    folder = tmp_path / "原位 目录"
    folder.mkdir()
    path = folder / "部门 绩效表.xlsx"
    path.write_bytes(form_bytes)
    return path


def run(args: list[object], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def fail_midway(monkeypatch, exc: BaseException) -> list[Path]:
    """Make openpyxl's save fail after the first worksheet is in the (temporary) zip. Returns the
    files it was writing, to check that they were partially written and then removed."""
    original = ExcelWriter.write_worksheet
    written: list[Path] = []

    def write_worksheet(self, ws):
        original(self, ws)
        self._archive.fp.flush()
        written.append(Path(self._archive.filename))
        raise exc

    monkeypatch.setattr(ExcelWriter, "write_worksheet", write_worksheet)
    return written


@pytest.mark.parametrize("cmd", list(IN_PLACE))
def test_in_place_keeps_a_backup_of_the_original(form, form_bytes, capsys, cmd):
    code, out, err = run([*IN_PLACE[cmd], form], capsys)
    assert code == OK_CODES[cmd], out + err
    others = [p for p in form.parent.iterdir() if p != form]
    assert len(others) == 1 and BACKUP_RE.fullmatch(others[0].name), others
    backup = others[0]
    assert backup.read_bytes() == form_bytes
    assert form.read_bytes() != form_bytes
    assert openpyxl.load_workbook(form).sheetnames[0] == "绩效目标表"
    assert f"原文件已备份为 {backup}" in out


@pytest.mark.parametrize("cmd", list(IN_PLACE))
@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_in_place_failure_leaves_the_original(form, form_bytes, capsys, monkeypatch, cmd, exc):
    written = fail_midway(monkeypatch, exc)
    code, out, err = run([*IN_PLACE[cmd], form], capsys)
    assert code == 2
    assert written and written[0].parent == form.parent  # a temporary file beside the target was written
    assert form.read_bytes() == form_bytes
    assert list(form.parent.iterdir()) == [form]  # no temporary file, no backup
    text = out + err
    assert "Traceback" not in text
    assert ("磁盘空间不足" if isinstance(exc, OSError) else "已中断") in text


@pytest.mark.parametrize("cmd", list(TO_FILE))
def test_output_failure_keeps_the_previous_output(form, form_bytes, capsys, monkeypatch, cmd):
    """-o onto an existing (older) output: a failed save leaves that file as it was."""
    target = form.parent / "输出 结果.xlsx"
    target.write_bytes(b"previous output")
    fail_midway(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    code, out, err = run([*TO_FILE[cmd], target, form], capsys)
    assert code == 2 and "磁盘空间不足" in out + err
    assert target.read_bytes() == b"previous output"
    assert form.read_bytes() == form_bytes
    assert sorted(p.name for p in form.parent.iterdir()) == sorted([form.name, target.name])


@pytest.mark.parametrize("cmd", list(TO_FILE))
def test_output_file_is_complete_or_absent(form, capsys, monkeypatch, cmd):
    target = form.parent / "新 输出.xlsx"
    fail_midway(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    code, out, err = run([*TO_FILE[cmd], target, form], capsys)
    assert code == 2 and not target.exists()
    monkeypatch.undo()
    code, out, err = run([*TO_FILE[cmd], target, form], capsys)
    assert code == OK_CODES[cmd]
    assert openpyxl.load_workbook(target).sheetnames[0] == "绩效目标表"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()  # not the temporary file's 0600


def test_in_place_keeps_permissions(form, capsys):
    form.chmod(0o640)
    code, out, err = run([*IN_PLACE["autosum"], form], capsys)
    assert code == 0, err
    assert form.stat().st_mode & 0o777 == 0o640


def test_consolidate_failure_leaves_no_output(form, capsys, monkeypatch):
    import xlperf.consolidation as cons

    target = form.parent / "汇总.xlsx"

    def partial(c, path, **kw):
        Path(path).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cons, "write_summary", partial)
    code, out, err = run(["consolidate", form, "-o", target, "-q"], capsys)
    assert code == 2
    assert "磁盘空间不足" in err and "Traceback" not in err
    assert list(form.parent.iterdir()) == [form]
    target.write_bytes(b"previous summary")
    code, out, err = run(["consolidate", form, "-o", target, "-q"], capsys)
    assert code == 2 and target.read_bytes() == b"previous summary"


def test_backups_never_overwrite_each_other(form, form_bytes, capsys):
    """Two in-place rewrites within the same second: two backups, the first holds the original."""
    run([*IN_PLACE["autosum"], form], capsys)
    after_first = form.read_bytes()
    code, out, err = run([*IN_PLACE["insert"], form], capsys)
    assert code == 0, err
    backups = sorted((p for p in form.parent.iterdir() if p != form), key=lambda p: p.stat().st_mtime_ns)
    assert len(backups) == 2 and all(BACKUP_RE.fullmatch(b.name) for b in backups)
    contents = {b.read_bytes() for b in backups}
    assert contents == {form_bytes, after_first}


def test_refused_in_place_makes_no_backup(tmp_path, capsys):
    """A workbook whose in-place save is refused (its VBA would be lost) gets no backup either."""
    src = hc.macro_workbook(tmp_path / "宏 工作簿.xlsm")
    before = src.read_bytes()
    code, out, err = run(["validate", "--mark", "--in-place", src], capsys)
    assert code == 2 and "拒绝原位改写" in err and src.read_bytes() == before
    assert list(tmp_path.iterdir()) == [src]
