"""Issue 7: every command answers every bad input with one clear line and exit 2, never a traceback,
keeps working on the good ones, writes nothing when it fails, lets no formula and no macro through.

The corpus is generated once per session (tests/hostile/corpus.py) in a folder whose name holds
Chinese characters and a space; outputs go to such folders too. The CLI runs in-process
(``xlperf.cli.main``); one test checks a real process. Timings are measured by
``benchmarks/bench_bombs.py``, not here.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.hostile import corpus as hc
from xlperf.cli import main
from xlperf.errors import (
    EncryptedFileError,
    NotAFormError,
    UnreadableFileError,
    UnsafeFileError,
    UnsupportedFormatError,
    WriteRefusedError,
    XlperfError,
)

# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "绩效 语料"


@pytest.fixture(scope="session")
def cases(corpus_dir) -> dict[str, hc.Case]:
    """The corpus. Never written into by the tests (the consolidation test reads the whole folder)."""
    return hc.build(corpus_dir)


@pytest.fixture(scope="session")
def big(tmp_path_factory) -> Path:
    """The 10,000-task workbook (about 45,000 indicator rows), generated once."""
    return hc.big_workbook(tmp_path_factory.mktemp("big") / "大表 目录" / "一万项 任务.xlsx")


@pytest.fixture
def outdir(tmp_path) -> Path:
    d = tmp_path / "输出 目录"
    d.mkdir()
    return d


def run_cli(args: list[object], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ expectations

READABLE = ["good", "legacy_xls", "formula_text", "long_strings", "other_sheets", "macro_xlsm"]
FAILING = ["truncated", "renamed_text", "empty", "folder", "encrypted", "wps_et", "billion_laughs",
           "billion_laughs_late", "declared_bomb", "ratio_bomb", "understated_bomb", "far_cell", "huge_merge",
           "ods_repeat_bomb", "legacy_far_cell", "encrypted_bomb", "garbage_zip", "not_a_form"]
ALL = READABLE + FAILING
WRITABLE = [n for n in READABLE if n != "legacy_xls"]  # modifying commands refuse the legacy .xls

ERROR_CLASSES: dict[str, type[XlperfError]] = {
    "unreadable": UnreadableFileError,
    "encrypted": EncryptedFileError,
    "unsupported": UnsupportedFormatError,
    "unsafe": UnsafeFileError,
    "not-a-form": NotAFormError,
}
LEGACY_WRITE = ("unsupported", "旧版 .xls 文件只能读取，不能直接修改")
ODS_WRITE = ("unsupported", ".ods 文件只能读取，不能直接修改")


def write_expectation(case: hc.Case, name: str) -> tuple[str, str]:
    """(error kind, message fragment) of a modifying command on a case that cannot be modified."""
    if name == "legacy_xls":
        return LEGACY_WRITE
    if case.path.suffix == ".ods":
        return ODS_WRITE
    if case.path.suffix == ".xls":
        return LEGACY_WRITE
    assert case.kind is not None
    return case.kind, case.hint


_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_one_line(text: str, hint: str) -> str:
    """``text`` is one Chinese line holding ``hint``; returns it."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, text
    assert hint in lines[0], lines[0]
    assert _CJK.search(lines[0]), lines[0]
    assert "Traceback" not in text
    return lines[0]


def assert_nothing_written(outdir: Path) -> None:
    """No output, no temporary file, no backup: the output folder is still empty."""
    assert list(outdir.iterdir()) == []


PAYLOADS = ("HYPERLINK", "cmd|", "+1+2", "-3", "@SUM")
_CELL_RE = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_T_RE = re.compile(rb"<t\b[^>]*>([^<]*)</t>")


def _texts(xml: bytes) -> str:
    return html.unescape(b"".join(_T_RE.findall(xml)).decode("utf-8"))


def assert_safe_output(path: Path, *, with_openpyxl: bool = True) -> dict[str, set[str]]:
    """An output workbook: plain .xlsx (no VBA project, no ribbon, no macro content type), no formula
    holding a payload, every formula-like text stored as a text cell (shared or inline string).
    Checked in the sheet XML (and, for small files, through openpyxl's data_type: 's', never 'f').
    Returns {sheet: formula-like texts found as text}."""
    from xlperf.io.readers import _sheet_paths

    found: dict[str, set[str]] = {}
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert not [n for n in names if "vbaproject" in n.lower() or n.lower().startswith("customui")], names
        assert "macroEnabled" not in zf.read("[Content_Types].xml").decode("utf-8")
        shared = []
        if "xl/sharedStrings.xml" in names:
            shared = [_texts(si) for si in re.findall(rb"<si>(.*?)</si>", zf.read("xl/sharedStrings.xml"), re.S)]
        for sheet, part in _sheet_paths(zf).items():
            for attrs, body in _CELL_RE.findall(zf.read(part)):
                body = body or b""
                if b"<f" in body:
                    m = re.search(rb"<f\b[^>]*>([^<]*)</f>", body)  # (<f .../>: a shared formula's follower)
                    formula = html.unescape(m.group(1).decode("utf-8")) if m else ""
                    assert not any(p in formula for p in PAYLOADS), (path.name, sheet, formula)
                    continue
                t = re.search(rb'\bt="([^"]*)"', attrs)
                kind = t.group(1) if t else b"n"
                if kind == b"s":
                    value = shared[int(re.search(rb"<v>([^<]*)</v>", body).group(1))]
                elif kind == b"inlineStr":
                    value = _texts(body)
                else:
                    continue
                if value in hc.FORMULA_TEXTS:
                    found.setdefault(sheet, set()).add(value)
    if with_openpyxl:
        wb = openpyxl.load_workbook(path)
        seen: dict[str, set[str]] = {}
        for ws in wb:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        assert not any(p in str(c.value) for p in PAYLOADS), (ws.title, c.coordinate, c.value)
                    elif isinstance(c.value, str) and c.value in hc.FORMULA_TEXTS:
                        assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                        seen.setdefault(ws.title, set()).add(c.value)
        assert seen == found
    return found


# ------------------------------------------------------------------------------------------ parse


@pytest.mark.parametrize("name", ALL)
def test_parse(cases, capsys, name):
    case = cases[name]
    code, out, err = run_cli(["parse", case.path, "--json"], capsys)
    if case.kind is None:
        assert (code, err) == (0, "")
        assert json.loads(out)["department"] == hc.DEPARTMENTS[name]
    else:
        assert code == 2 and out == ""
        line = assert_one_line(err, case.hint)
        assert line.startswith("错误：")


def test_parse_sheet_name_with_space(cases, capsys):
    code, out, err = run_cli(["parse", cases["other_sheets"].path, "--sheet", hc.FORM_SHEET_WITH_SPACE], capsys)
    assert code == 0, err
    assert f"[{hc.FORM_SHEET_WITH_SPACE}]" in out and "任务 10 项" in out


def test_encrypted_with_password(cases, capsys):
    path = cases["encrypted"].path
    code, out, err = run_cli(["parse", path, "--password", hc.PASSWORD], capsys)
    assert code == 0, err
    assert hc.DEPARTMENTS["good"] in out
    code, out, err = run_cli(["parse", path, "--password", "wrong"], capsys)
    assert code == 2
    assert_one_line(err, "密码不正确")
    code, out, err = run_cli(["validate", path, "--password", hc.PASSWORD], capsys)
    assert code == 1 and err == ""
    assert re.match(r"共 1 个文件：\d+ 个错误", out.strip().splitlines()[-1])


def test_encrypted_bomb_checked_after_decryption(cases, capsys):
    """The decrypted workbook goes through the same checks (here: entity declarations)."""
    path = cases["encrypted_bomb"].path
    code, out, err = run_cli(["parse", path, "--password", hc.PASSWORD], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "实体")
    code, out, err = run_cli(["validate", path, "--password", hc.PASSWORD], capsys)
    assert code == 2 and out.strip() == "共 1 个文件；1 个文件无法处理"
    assert_one_line(err, "实体")


# ------------------------------------------------------------------------------------------ validate


@pytest.mark.parametrize("name", ALL)
def test_validate(cases, capsys, name):
    case = cases[name]
    code, out, err = run_cli(["validate", case.path], capsys)
    lines = out.strip().splitlines()
    if case.kind is None:
        assert err == ""
        assert code == 1  # the seed's three errors are in every readable case
        assert re.match(r"共 1 个文件：\d+ 个错误", lines[-1]), lines[-1]
    else:
        assert code == 2
        assert lines == ["共 1 个文件；1 个文件无法处理"]  # the failure itself is on stderr
        assert assert_one_line(err, case.hint).startswith(f"{case.path}: 错误：")


def test_validate_batch_goes_on(cases, capsys):
    """In a batch, the unreadable files are reported and the others are still checked."""
    files = [cases[n].path for n in ("good", "truncated", "formula_text", "billion_laughs", "legacy_xls")]
    code, out, err = run_cli(["validate", "--format", "json", *files], capsys)
    assert code == 2 and err == ""
    entries = {e["path"]: e for e in json.loads(out)["files"]}
    assert [Path(p) for p in entries] == files
    assert "损坏" in entries[str(files[1])]["error"] and "实体" in entries[str(files[3])]["error"]
    for p in (files[0], files[2], files[4]):
        assert not entries[str(p)].get("error") and entries[str(p)]["issues"]


# ------------------------------------------------------------------------------------------ modifying commands

COMMANDS = {
    "mark": lambda src, out: ["validate", "--mark", src, "-o", out],
    "autosum": lambda src, out: ["autosum", src, "-o", out],
    "insert": lambda src, out: ["indicators", "insert", src, "--task", "1", "-o", out],
}
OK_CODES = {"mark": 1, "autosum": 0, "insert": 0}  # validate --mark: 1 = problems found (and marked)


def check_refused(cmd: str, code: int, out: str, err: str, path: Path, hint: str) -> None:
    assert code == 2
    if cmd == "mark":  # validate reports each failed file on stderr and carries on; the total on stdout
        assert out.strip() == "共 1 个文件；1 个文件无法处理"
        assert assert_one_line(err, hint).startswith(f"{path}: 错误：")
    else:
        assert out == ""
        assert assert_one_line(err, hint).startswith(f"错误：{path}: ")


@pytest.mark.parametrize("cmd", list(COMMANDS))
@pytest.mark.parametrize("name", ALL)
def test_modifying_command(cases, capsys, outdir, cmd, name):
    case = cases[name]
    out_path = outdir / f"{name} 结果.xlsx"
    before = sha(case.path) if case.path.is_file() else None
    code, out, err = run_cli(COMMANDS[cmd](case.path, out_path), capsys)
    if name in WRITABLE:
        assert code == OK_CODES[cmd], out + err
        assert "Traceback" not in err
        assert f"{out_path}" in out
        assert [p.name for p in outdir.iterdir()] == [out_path.name]  # no temporary file left beside it
        assert_safe_output(out_path)
        assert openpyxl.load_workbook(out_path, read_only=True).sheetnames  # a workbook openpyxl opens
    else:
        kind, hint = write_expectation(case, name)
        check_refused(cmd, code, out, err, case.path, hint)
        assert_nothing_written(outdir)
    if before is not None:
        assert sha(case.path) == before  # the input is never touched


def _api():
    from xlperf.editing import autosum, insert_indicators
    from xlperf.io.readers import load_form
    from xlperf.validation import mark_file, validate

    return {
        "load_form": lambda p, out: load_form(p),
        "validate": lambda p, out: validate(p),
        "mark_file": lambda p, out: mark_file(p, out),
        "autosum": lambda p, out: autosum(p, out),
        "insert_indicators": lambda p, out: insert_indicators(p, 1, out=out),
    }


FUNCTIONS = ["load_form", "validate", "mark_file", "autosum", "insert_indicators"]


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize("name", FAILING + ["legacy_xls"])
def test_api_error_class(cases, outdir, func, name):
    """The Python API raises exactly the error class of the case, with a one-line Chinese message."""
    case = cases[name]
    writes = func in ("mark_file", "autosum", "insert_indicators")
    call = _api()[func]
    if not writes and name == "legacy_xls":
        call(case.path, None)  # read: works
        return
    kind, hint = write_expectation(case, name) if writes else (case.kind, case.hint)
    with pytest.raises(XlperfError) as info:
        call(case.path, outdir / "结果.xlsx")
    exc = info.value
    assert type(exc) is ERROR_CLASSES[kind] and exc.kind == kind
    assert_one_line(exc.message, hint)
    assert exc.path == str(case.path)
    assert_nothing_written(outdir)


def test_encrypted_modifying_message_has_no_password_hint(cases, capsys, outdir):
    """Modifying commands have no --password (they would write the workbook back unencrypted)."""
    code, out, err = run_cli(["autosum", cases["encrypted"].path, "-o", outdir / "x.xlsx"], capsys)
    assert code == 2
    assert "--password" not in assert_one_line(err, "去掉密码")


# ------------------------------------------------------------------------------------------ formula-like text


def test_formula_text_read_as_text(cases):
    from xlperf.io.readers import load_form

    form = load_form(cases["formula_text"].path)
    assert form.department == hc.FORMULA_TEXTS[0]
    assert form.supervisor == hc.FORMULA_TEXTS[1]
    assert [i.name for i in form.tasks[0].indicators] == hc.FORMULA_TEXTS[2:]


@pytest.mark.parametrize("cmd", ["mark", "fix", "autosum", "insert"])
def test_formula_text_stays_text_in_every_output(cases, capsys, outdir, cmd):
    src = cases["formula_text"].path
    out_path = outdir / "公式 文本.xlsx"
    args = ["validate", "--fix", "--mark", src, "-o", out_path] if cmd == "fix" else COMMANDS[cmd](src, out_path)
    code, out, err = run_cli(args, capsys)
    assert code in (0, 1), err
    found = assert_safe_output(out_path)
    assert found["绩效目标表"] == set(hc.FORMULA_TEXTS)  # all five still there, as text
    if cmd == "mark":  # (--fix repairs the issue on that indicator)
        assert "@SUM(1,2)" in found["校验结果"]  # the 指标 column of the issue list


def test_formula_text_in_csv_export_is_neutralised(cases, capsys, outdir):
    """CSV has no cell types: the consolidation's CSV export prefixes formula-like text with '."""
    code, out, err = run_cli(["consolidate", cases["formula_text"].path, "-o", outdir / "汇总.xlsx",
                              "--csv", outdir / "csv 表", "-q"], capsys)
    assert code == 1, err  # the seed's errors
    text = "".join(p.read_text("utf-8-sig") for p in (outdir / "csv 表").glob("*.csv"))
    assert "'=HYPERLINK" in text and "'=cmd|" in text
    assert not re.search(r"(^|,)\"?=", text, re.M)


# ------------------------------------------------------------------------------------------ other sheets, long text


def test_other_sheets_and_spaces_in_names(cases, capsys, outdir):
    from xlperf.io.readers import load_form

    path = cases["other_sheets"].path
    form = load_form(path)
    assert form.sheet == hc.FORM_SHEET_WITH_SPACE and len(form.tasks) == 10
    out_path = outdir / "标注 结果.xlsx"
    code, out, err = run_cli(["validate", "--mark", path, "--sheet", hc.FORM_SHEET_WITH_SPACE, "-o", out_path],
                             capsys)
    assert code == 1, err
    wb = openpyxl.load_workbook(out_path)
    assert wb.sheetnames[:2] == ["填表说明", hc.FORM_SHEET_WITH_SPACE]
    assert wb["填表说明"]["A1"].value == "本表由各部门填报，金额单位：万元。"  # the other sheets are kept
    places = [r[3] for r in wb["校验结果"].iter_rows(min_row=2, values_only=True)]
    assert places and all(p.startswith(f"{hc.FORM_SHEET_WITH_SPACE}!") for p in places)


def test_long_strings_survive(cases, capsys, outdir):
    from xlperf.io.readers import load_form

    out_path = outdir / "长 文本.xlsx"
    code, out, err = run_cli(["autosum", cases["long_strings"].path, "-o", out_path], capsys)
    assert code == 0, err
    goal = load_form(out_path).overall_goal
    assert goal is not None and goal.startswith("长" * 1000) and len(goal) <= 32767  # Excel's cell limit


# ------------------------------------------------------------------------------------------ macros


@pytest.fixture
def no_spawn(monkeypatch):
    """Reading a macro workbook must not start anything."""

    def refuse(*a, **k):
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr("os.system", refuse)
    monkeypatch.setattr("os.execv", refuse)


def test_macro_workbook_holds_auto_open_vba(cases):
    import olefile

    from xlperf.addin.ovba import decompress

    with zipfile.ZipFile(cases["macro_xlsm"].path) as zf:
        assert "macroEnabled" in zf.read("[Content_Types].xml").decode()
        ole = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
    assert b"Sub Auto_Open()" in decompress(ole.openstream("VBA/AutoRun").read())
    assert b"Sub Workbook_Open()" in decompress(ole.openstream("VBA/ThisWorkbook").read())


def test_macro_read_without_running(cases, capsys, no_spawn):
    path = cases["macro_xlsm"].path
    before = sha(path)
    code, out, err = run_cli(["parse", path, "--json"], capsys)
    assert code == 0 and json.loads(out)["department"] == hc.DEPARTMENTS["macro_xlsm"]
    code, out, err = run_cli(["validate", path], capsys)
    assert code == 1 and err == ""
    code, out, err = run_cli(["parse", path, "--engine", "openpyxl"], capsys)
    assert code == 0, err
    assert sha(path) == before


@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_macro_never_copied_into_outputs(cases, capsys, tmp_path, no_spawn, cmd):
    src = tmp_path / "宏 副本.xlsm"
    shutil.copy(cases["macro_xlsm"].path, src)
    before = sha(src)
    # -o OUT.xlsx
    out_path = tmp_path / "输出.xlsx"
    code, out, err = run_cli(COMMANDS[cmd](src, out_path), capsys)
    assert code == OK_CODES[cmd], err
    assert_safe_output(out_path)
    assert "VBA 宏 不会保留在输出文件中" in err
    # the default output NAME.xlperf.xlsx
    args = COMMANDS[cmd](src, out_path)[:-2]
    code, out, err = run_cli(args, capsys)
    assert code == OK_CODES[cmd], err
    assert_safe_output(tmp_path / "宏 副本.xlperf.xlsx")
    # -o OUT.xlsm is refused
    code, out, err = run_cli(COMMANDS[cmd](src, tmp_path / "输出.xlsm"), capsys)
    assert code == 2 and not (tmp_path / "输出.xlsm").exists()
    assert "输出文件须为 .xlsx" in out + err
    assert sha(src) == before


@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_macro_in_place_refused(cases, capsys, tmp_path, cmd):
    """In place, an .xlsm would lose its VBA (xlperf never writes macros): refused, file untouched, no backup."""
    src = tmp_path / "宏 原位.xlsm"
    shutil.copy(cases["macro_xlsm"].path, src)
    # make autosum have something to do: 项目支出 as a number instead of its SUM
    if cmd == "autosum":
        _literal_project(src)
    before = sha(src)
    args = [a for a in COMMANDS[cmd](src, "x")[:-2]] + ["--in-place"]
    code, out, err = run_cli(args, capsys)
    assert code == 2
    check_refused(cmd, code, out, err, src, "VBA 宏")
    assert sha(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


def _literal_project(path: Path) -> None:
    """Replace the 项目支出 SUM by a number, at the zip level (keeps every other part as it is)."""
    tmp = path.with_name("tmp.zip")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<c r="C6"([^>]*?)(?: t="[^"]*")?><f>[^<]*</f>(?:<v>[^<]*</v>|<v ?/>)?</c>',
                                  rb'<c r="C6"\1><v>1</v></c>', data)
                assert n == 1
            zout.writestr(info, data)
    tmp.replace(path)


# ------------------------------------------------------------------------------------------ output paths


@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_unwritable_output_is_one_line(cases, capsys, outdir, cmd):
    src = cases["good"].path
    blocker = outdir / "是文件.xlsx"
    blocker.write_bytes(b"x")
    for target, hint in ((blocker / "下一级.xlsx", "路径中有同名文件"), (outdir, "文件夹")):
        code, out, err = run_cli(COMMANDS[cmd](src, target), capsys)
        assert code == 2
        text = out + err
        assert "Traceback" not in text and hint in text
    assert [p.name for p in outdir.iterdir()] == [blocker.name]


# ------------------------------------------------------------------------------------------ consolidation

SKIPPED = {  # file (relative to the corpus folder) -> reason fragment
    "truncated.xlsx": "文件已损坏",
    "renamed_text.xlsx": "扩展名是 .xlsx，但内容不是工作簿",
    "empty.xlsx": "文件为空",
    "encrypted.xlsx": "文件已加密",
    "wps.et": "另存为 .xlsx",
    "billion_laughs.xlsx": "实体",
    "billion_laughs_late.xlsx": "实体",
    "declared_bomb.xlsx": "拒绝处理",
    "ratio_bomb.xlsx": "压缩炸弹",
    "understated_bomb.xlsx": "无法解压",
    "far_cell.xlsx": "单元格范围过大",
    "huge_merge.xlsx": "单元格范围过大",
    "ods_repeat_bomb.ods": "单元格范围过大",
    "legacy_far_cell.xls": "单元格范围过大",
    "encrypted_bomb.xlsx": "文件已加密",
    "garbage.xlsx": "文件已损坏",
    "通讯录.xlsx": "不是绩效目标表",
}


def test_consolidate_whole_corpus(cases, big, corpus_dir, capsys, outdir):
    """The whole folder and the 10,000-task workbook (the batch is where its size matters; it is read,
    parsed and validated here): the bad files are listed as skipped with their reason, every form is
    consolidated, the totals add up, and the summary holds no formula."""
    from xlperf.io.readers import load_form

    out_path = outdir / "汇总 结果.xlsx"
    code, out, err = run_cli(["consolidate", corpus_dir, big.parent, "-o", out_path, "--json",
                              outdir / "汇总.json"], capsys)
    assert code == 1  # files were skipped (and the seed's errors)
    assert "Traceback" not in err
    data = json.loads((outdir / "汇总.json").read_text("utf-8"))

    def rel(shown: str) -> str:  # shown relative to the working directory, else absolute
        p = Path(shown).resolve()
        return str(p.relative_to(corpus_dir)) if p.is_relative_to(corpus_dir) else p.name

    files = {rel(f["文件"]): f for f in data["files"]}
    skipped = {k: f["原因"] for k, f in files.items() if f["状态"] == "跳过"}
    assert set(skipped) == set(SKIPPED), skipped  # the folder named folder.xlsx holds nothing: not listed
    for name, reason in skipped.items():
        assert SKIPPED[name] in reason and "\n" not in reason, (name, reason)
        assert any(ln.startswith("  跳过 ") and ln.endswith(f"{name}：{reason}") for ln in err.splitlines())
    ok = {k for k, f in files.items() if f["状态"] == "成功"}
    readable = {str(cases[n].path.relative_to(corpus_dir)) for n in READABLE}
    assert ok == readable | {big.name}
    assert len(files) == len(SKIPPED) + len(ok)

    # the 10,000-task workbook: read, parsed and validated (a clean synthetic form: warnings only)
    big_row = files[big.name]
    assert (big_row["任务数"], big_row["指标数"]) == (hc.BIG_TASKS, hc.big_form().indicator_count)
    assert big_row["错误数"] == 0 and big_row["警告数"] > 0

    depts = {d["部门名称"]: d for d in data["departments"]}
    assert set(depts) == set(hc.DEPARTMENTS.values())
    # totals: the sum of the inputs as parsed (the big one from its generator)
    expected = sum((load_form(cases[n].path).budget.project for n in READABLE), Decimal(0))
    expected += hc.big_form().budget.project
    assert Decimal(str(data["summary"]["totals"]["项目支出"])) == expected
    assert data["summary"]["tasks"] == sum(d["任务数"] for d in depts.values())

    found = assert_safe_output(out_path, with_openpyxl=False)  # 45,000 rows: the XML check only
    assert {hc.FORMULA_TEXTS[0], hc.FORMULA_TEXTS[1]} <= found["部门汇总"]
    assert set(hc.FORMULA_TEXTS[2:]) <= found["指标明细"]


def test_consolidate_explicit_inputs(cases, capsys, outdir):
    """Named files: a WPS file, a folder named like a workbook (searched: empty), a missing file."""
    missing = cases["good"].path.parent / "不存在 的.xlsx"
    out_path = outdir / "汇总.xlsx"
    code, out, err = run_cli(["consolidate", cases["good"].path, cases["wps_et"].path, cases["folder"].path,
                              missing, cases["macro_xlsm"].path, "-o", out_path, "--json", outdir / "j.json"],
                             capsys)
    assert code == 1
    files = {Path(f["文件"]).name: (f["状态"], f["原因"]) for f in json.loads((outdir / "j.json").read_text())["files"]}
    assert files["wps.et"][0] == "跳过" and "另存为 .xlsx" in files["wps.et"][1]
    assert files[missing.name][0] == "跳过" and "不存在" in files[missing.name][1]
    assert files[cases["good"].path.name] == ("成功", "") and files[cases["macro_xlsm"].path.name] == ("成功", "")
    assert len(files) == 4
    assert_safe_output(out_path)


def test_consolidate_nothing_usable(cases, capsys, outdir):
    code, out, err = run_cli(["consolidate", outdir / "无", "-o", outdir / "汇总.xlsx"], capsys)
    assert code == 2
    assert_one_line(err, "不存在")
    assert_nothing_written(outdir)


# ------------------------------------------------------------------------------------------ misc


def test_real_process_prints_no_traceback(cases):
    r = subprocess.run([sys.executable, "-m", "xlperf", "parse", str(cases["truncated"].path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "损坏" in r.stderr


@pytest.mark.parametrize("name", ["billion_laughs", "billion_laughs_late", "declared_bomb", "ratio_bomb", "far_cell",
                                  "huge_merge", "ods_repeat_bomb"])
def test_bombs_rejected_before_parsing(cases, name):
    """Rejected by the safety checks (the measured time and memory: benchmarks/bench_bombs.py)."""
    from xlperf.io.readers import read_grids

    t0 = time.perf_counter()
    with pytest.raises(UnsafeFileError):
        read_grids(cases[name].path)
    assert time.perf_counter() - t0 < 10  # only catches a hang; the script measures the real time


def test_zip_cap_is_configurable(cases, monkeypatch):
    """XLPERF_MAX_UNCOMPRESSED_MB (read at import) sets the cap; check_zip also takes it directly."""
    from xlperf.io import safety

    with pytest.raises(UnsafeFileError, match="超过上限"):
        safety.check_zip(cases["good"].path, max_uncompressed=1024).close()
    safety.check_zip(cases["good"].path).close()
    r = subprocess.run([sys.executable, "-m", "xlperf", "parse", str(cases["good"].path)], capture_output=True,
                       text=True, env={**__import__("os").environ, "XLPERF_MAX_UNCOMPRESSED_MB": "0"})
    assert r.returncode == 2 and "超过上限 0 MB" in r.stderr


def test_write_refused_is_a_clean_error(cases, capsys, outdir):
    """-o and --in-place together; -o onto the input itself."""
    src = cases["good"].path
    code, out, err = run_cli(["autosum", src, "-o", src], capsys)
    assert code == 2
    assert_one_line(err, "输出文件与输入文件相同")
    with pytest.raises(WriteRefusedError):
        from xlperf.editing import autosum

        autosum(src, out=outdir / "x.xlsx", in_place=True)
    assert_nothing_written(outdir)


def test_memoised_merge_borders_match_openpyxl(cases, tmp_path):
    """open_workbook memoises openpyxl's merged-cell border arithmetic (the 10,000-task load went from
    75 s to 15 s): every cell gets the same border, protection and type as with plain openpyxl."""
    import copy

    from tests import synth
    from xlperf.io.readers import open_workbook

    path = synth.write_workbook(tmp_path / "s.xlsx", synth.make_form(1, tasks=30, indicators=(1, 6)))
    for p in (cases["good"].path, cases["other_sheets"].path, path):
        plain, ours = openpyxl.load_workbook(p, rich_text=False), open_workbook(p)
        assert plain.worksheets[0].merged_cells.ranges or plain.worksheets[1].merged_cells.ranges
        for a, b in zip(plain.worksheets, ours.worksheets, strict=True):
            assert set(a._cells) == set(b._cells)
            for k, ca in a._cells.items():
                cb = b._cells[k]
                assert type(ca) is type(cb)
                assert copy.copy(ca.border) == copy.copy(cb.border), (p.name, k)
                assert copy.copy(ca.protection) == copy.copy(cb.protection)
