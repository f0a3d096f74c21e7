"""``xlperf validate`` / ``xlperf rules`` end to end (in-process), config files, and the generated docs."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from xlperf.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = Path(__file__).parent / "rule_cases" / "_base.tsv"


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty directory so that no xlperf.toml / pyproject.toml is picked up implicitly."""
    monkeypatch.chdir(tmp_path)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def clean_form(tmp_path: Path) -> Path:
    p = tmp_path / "clean.txt"
    p.write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    return p


def test_text_output_reads_like_a_linter(capsys, seed_txt: Path) -> None:
    code, out, _ = run(capsys, "validate", str(seed_txt))
    assert code == 1
    lines = out.splitlines()
    assert any(re.match(rf"^{re.escape(str(seed_txt))}:粘贴文本!J43: XP401 错误 对比符号为空", ln) for ln in lines)
    assert any("XP203 警告 [*]" in ln for ln in lines)
    assert lines[-1].startswith("共 1 个文件：3 个错误，")
    assert "--fix" in lines[-1]


def test_json_output(capsys, seed_txt: Path) -> None:
    code, out, _ = run(capsys, "validate", str(seed_txt), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    (f,) = doc["files"]
    assert f["path"] == str(seed_txt) and f["department"] == "揭阳市人民政府办公室"
    assert f["errors"] == 3 and f["warnings"] == 33
    for i in f["issues"]:
        assert set(i) == {"code", "severity", "sheet", "cell", "task", "indicator", "message"}
    xp401 = [i for i in f["issues"] if i["code"] == "XP401"]
    assert xp401 == [{"code": "XP401", "severity": "error", "sheet": "粘贴文本", "cell": "J43", "task": 7,
                      "indicator": "接待服务水平", "message": xp401[0]["message"]}]
    assert any(i["task"] is None or isinstance(i["task"], int) for i in f["issues"])


def test_exit_codes_select_ignore_strict(capsys, seed_txt: Path, tmp_path: Path) -> None:
    assert run(capsys, "validate", str(clean_form(tmp_path)))[0] == 0
    code, out, _ = run(capsys, "validate", str(seed_txt), "--select", "XP2", "--format", "json")
    assert code == 0  # only warnings
    assert {i["code"][:3] for i in json.loads(out)["files"][0]["issues"]} == {"XP2"}
    assert run(capsys, "validate", str(seed_txt), "--select", "XP2", "--strict")[0] == 1
    code, out, _ = run(capsys, "validate", str(seed_txt), "--ignore", "XP3,XP401", "--format", "json")
    assert code == 0
    codes = {i["code"] for i in json.loads(out)["files"][0]["issues"]}
    assert not any(c.startswith("XP3") for c in codes) and "XP401" not in codes and "XP203" in codes
    code, out, _ = run(capsys, "validate", str(seed_txt), "--select", "XP305", "--severity", "XP305=error")
    assert code == 1 and "XP305 错误" in out


def test_unreadable_file_is_reported_and_others_still_validated(capsys, seed_txt: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    missing = tmp_path / "missing.xlsx"
    code, out, _ = run(capsys, "validate", str(bad), str(seed_txt), str(missing), "--format", "json")
    assert code == 2
    files = json.loads(out)["files"]
    assert [f["path"] for f in files] == [str(bad), str(seed_txt), str(missing)]
    assert set(files[0]) == {"path", "error"} and files[0]["error"]
    assert files[1]["errors"] == 3
    assert "error" in files[2]
    code, out, err = run(capsys, "validate", str(bad), str(seed_txt))
    assert code == 2
    assert re.search(rf"^{re.escape(str(bad))}: 错误：", err, re.M) and str(bad) not in out
    assert "XP401" in out and out.splitlines()[-1].endswith("；1 个文件无法处理")


def test_config_file(capsys, seed_txt: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text('[tool.xlperf]\nmin-indicators = 7\nignore = ["XP412"]\n\n[tool.xlperf.severity]\nXP303 = "warning"\n',
                   encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(seed_txt), "--config", str(cfg), "--format", "json")
    issues = json.loads(out)["files"][0]["issues"]
    assert code == 1  # XP401 is still an error
    assert {i["task"] for i in issues if i["code"] == "XP306"} == set(range(1, 11))
    assert not any(i["code"] == "XP412" for i in issues)
    assert {i["severity"] for i in issues if i["code"] == "XP303"} == {"warning"}
    # the flag beats the file; a pyproject.toml beside the workbook is read implicitly
    beside = tmp_path / "seed.txt"
    shutil.copy(seed_txt, beside)
    code, out, _ = run(capsys, "validate", str(beside), "--min-indicators", "3", "--format", "json")
    issues = json.loads(out)["files"][0]["issues"]
    assert not any(i["code"] == "XP306" for i in issues) and not any(i["code"] == "XP412" for i in issues)
    # ... and so is one in a parent folder, while the working directory's is not
    sub = tmp_path / "二级单位" / "办公室"
    sub.mkdir(parents=True)
    shutil.copy(seed_txt, sub / "seed.txt")
    code, out, _ = run(capsys, "validate", str(sub / "seed.txt"), "--format", "json")
    issues = json.loads(out)["files"][0]["issues"]
    assert {i["task"] for i in issues if i["code"] == "XP306"} == set(range(1, 11))
    code, out, _ = run(capsys, "validate", str(seed_txt), "--format", "json")
    assert any(i["code"] == "XP412" for i in json.loads(out)["files"][0]["issues"])


def test_bad_config_is_a_clear_error(capsys, seed_txt: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "x.toml"
    cfg.write_text("min-indicatorz = 3\n", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(seed_txt), "--config", str(cfg))
    assert code == 2 and "未知的配置项：min-indicatorz" in err
    cfg.write_text('[xlperf.severity]\nXP305 = "fatal"\n', encoding="utf-8")
    code, _, err = run(capsys, "validate", str(seed_txt), "--config", str(cfg))
    assert code == 2 and "XP305" in err


def test_write_options_need_a_write_action(capsys, seed_txt: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "validate", str(seed_txt), "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "--mark" in err
    code, _, err = run(capsys, "validate", str(seed_txt), "--mark", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "xlperf import" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_rules_command(capsys) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("XP101  错误")
    assert any(re.match(r"^XP203  警告 .*\[可修复\]$", ln) for ln in lines)
    assert any(ln.startswith("XP307  提示") for ln in lines)
    assert not any(re.search(r"\b(error|warning|info)\b", ln) for ln in lines)
    code, out, _ = run(capsys, "rules", "XP401", "--format", "json")
    (r,) = json.loads(out)
    assert r["code"] == "XP401" and r["severity"] == "error" and r["title"] == "对比符号为空" and r["doc"]
    assert run(capsys, "rules", "XP999")[0] == 2


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_rules_doc", ROOT / "scripts" / "gen_rules_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rules_doc_is_up_to_date() -> None:
    mod = _gen_module()
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == mod.render(), (
        "docs/rules.md is stale: run python scripts/gen_rules_doc.py")


def test_rules_doc_config_example_loads(tmp_path: Path) -> None:
    from xlperf.core.config import Config
    from xlperf.core.issues import Severity

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    p = tmp_path / "pyproject.toml"
    p.write_text(block, encoding="utf-8")
    cfg = Config.from_toml(p)
    assert cfg.min_indicators == 3 and cfg.ignore == ("XP412",) and cfg.severity == {"XP305": Severity.INFO}


def test_console_and_notes_speak_chinese(capsys, seed_txt: Path, tmp_path: Path) -> None:
    import openpyxl

    src = tmp_path / "seed.xlsx"
    assert main(["import", str(seed_txt), "-o", str(src)]) == 0
    capsys.readouterr()
    out_path = tmp_path / "marked.xlsx"
    code, out, _ = run(capsys, "validate", str(src), "--mark", "-o", str(out_path))
    assert code == 1
    assert not re.search(r"XP\d{3} (error|warning|info)\b", out)
    wb = openpyxl.load_workbook(out_path)
    notes = [c.comment.text for row in wb["绩效目标表"].iter_rows() for c in row if c.comment]
    assert notes and not any(re.search(r"\b(error|warning|info)\b", n) for n in notes)
    report = list(wb["校验结果"].iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in report} <= {"错误", "警告", "提示"}
    # the count said is the count marked: one bookkeeping row per marked cell, each with its note
    said = int(re.search(r"标注 (\d+) 个单元格", out).group(1))
    assert said == len(notes) == wb["_xlperf_marks"].max_row - 1
    # the JSON keeps the English severity values scripts read
    code, out, _ = run(capsys, "validate", str(src), "--format", "json")
    assert {i["severity"] for f in json.loads(out)["files"] for i in f["issues"]} <= {"error", "warning", "info"}


def test_unmark_gives_no_verdict(capsys, seed_txt: Path, tmp_path: Path) -> None:
    src = tmp_path / "seed.xlsx"
    assert main(["import", str(seed_txt), "-o", str(src)]) == 0
    assert main(["validate", str(src), "--mark", "-o", str(tmp_path / "m.xlsx")]) == 1
    capsys.readouterr()
    code, out, _ = run(capsys, "validate", str(tmp_path / "m.xlsx"), "--unmark", "-o", str(tmp_path / "u.xlsx"))
    assert code == 0 and "未发现问题" not in out and "未重新校验" in out.splitlines()[-1]


def test_folders_and_patterns_are_expanded(capsys, seed_txt: Path, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "表格"
    (folder / "下级").mkdir(parents=True)
    for p in (folder / "a.xlsx", folder / "下级" / "b.xlsx"):
        assert main(["import", str(seed_txt), "-o", str(p)]) == 0
    (folder / "~$a.xlsx").write_bytes(b"lock")
    capsys.readouterr()
    code, out, err = run(capsys, "validate", str(folder), "--format", "json")
    assert code == 1 and err == ""
    assert sorted(Path(f["path"]).name for f in json.loads(out)["files"]) == ["a.xlsx", "b.xlsx"]
    monkeypatch.chdir(folder)
    code, out, _ = run(capsys, "validate", "*.xlsx", "--json")  # as Windows passes it: unexpanded
    assert code == 1 and [f["path"] for f in json.loads(out)["files"]] == ["a.xlsx"]
    code, out, err = run(capsys, "validate", "*.xls")
    assert code == 2 and "*.xls: 错误：" in err


def test_json_is_one_flag_everywhere(capsys, seed_txt: Path) -> None:
    for argv in (["parse", str(seed_txt)], ["config"], ["indicators", "detect", str(seed_txt)],
                 ["rules", "XP401"], ["validate", str(seed_txt)]):
        code_a, out_a, _ = run(capsys, *argv, "--format", "json")
        code_b, out_b, _ = run(capsys, *argv, "--json")
        assert code_a == code_b and json.loads(out_a) == json.loads(out_b), argv


def test_default_output_never_replaces_another(capsys, seed_txt: Path, tmp_path: Path) -> None:
    src = tmp_path / "seed.xlsx"
    assert main(["import", str(seed_txt), "-o", str(src)]) == 0
    assert main(["validate", str(src), "--mark"]) == 1
    first = tmp_path / "seed.xlperf.xlsx"
    before = first.read_bytes()
    capsys.readouterr()
    assert main(["autosum", str(src)]) in (0, 1)
    out = capsys.readouterr().out
    assert first.read_bytes() == before
    assert str(tmp_path / "seed.xlperf-2.xlsx") in out and (tmp_path / "seed.xlperf-2.xlsx").is_file()


def test_modifying_commands_speak_json(capsys, seed_txt: Path, tmp_path: Path) -> None:
    src = tmp_path / "seed.xlsx"
    assert main(["import", str(seed_txt), "-o", str(src)]) == 0
    import openpyxl

    wb = openpyxl.load_workbook(src)
    wb.active["C6"] = 1  # a typed total: autosum turns it into the formula
    wb.save(src)
    capsys.readouterr()
    code, out, _ = run(capsys, "autosum", str(src), "--dry-run", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["dry_run"] and data["output"] is None
    assert [(c["cell"], c["old"], c["new"]) for c in data["changes"]] == [("C6", 1, "=SUM(E10:E52)")]
    assert data["changes"][0]["value"] == pytest.approx(1359.1)
    code, out, _ = run(capsys, "indicators", "insert", str(src), "--task", "1", "--dry-run", "--json")
    data = json.loads(out)
    assert code == 0 and data["task"] == 1 and data["rows"] and data["output"] is None
    assert not list(tmp_path.glob("*.xlperf*.xlsx"))
