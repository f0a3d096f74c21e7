"""``xlperf serve`` over loopback: the guards (token, Host, Origin, size, address) and every endpoint's
answer equal to what the command line does with the same workbook."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.wps_snapshot import sheet_snapshot
from xlperf import service
from xlperf.cli import main
from xlperf.io.books import FileBook
from xlperf.io.snapshot import edit_json


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[service.Service]:
    home = tmp_path_factory.mktemp("serve-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("XLPERF_HOME", str(home))
    s = service.start(0)
    yield s
    s.stop()
    mp.undo()


def call(svc: service.Service, method: str, path: str, body: Any = None, *, token: str | None = "ok",
         headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection(service.HOST, svc.port, timeout=60)
    h = {"Content-Type": "application/json"}
    if token == "ok":
        h["X-Xlperf-Token"] = svc.token
    elif token is not None:
        h["X-Xlperf-Token"] = token
    h.update(headers or {})
    data = raw if raw is not None else (None if body is None else json.dumps(body, ensure_ascii=False).encode())
    conn.request(method, path, body=data, headers=h)
    resp = conn.getresponse()
    text = resp.read()
    conn.close()
    try:
        payload = json.loads(text) if text else None
    except json.JSONDecodeError:
        payload = text
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload


# -- guards -----------------------------------------------------------------------------------------


def test_health_needs_the_token(svc: service.Service) -> None:
    from xlperf import __version__

    status, _, body = call(svc, "GET", "/api/health")
    assert status == 200 and body["version"] == __version__
    assert call(svc, "GET", "/api/health", token=None)[0] == 401
    assert call(svc, "GET", "/api/health", token="x" * 43)[0] == 401
    assert call(svc, "POST", "/api/validate", {"sheet": "a"}, token=None)[0] == 401


def test_token_is_in_the_users_folder_and_private(svc: service.Service) -> None:
    path = service.token_path()
    assert path.read_text().strip() == svc.token and len(svc.token) >= 40
    assert path.stat().st_mode & 0o077 == 0
    assert service.load_token() == svc.token  # stable across starts: the installed add-in keeps it


def test_host_and_origin_are_checked(svc: service.Service) -> None:
    status, _, body = call(svc, "GET", "/api/health", headers={"Host": f"attacker.example:{svc.port}"})
    assert status == 403 and "Host" in body["error"]
    assert call(svc, "GET", "/api/health", headers={"Host": "127.0.0.1:1"})[0] == 403
    status, headers, _ = call(svc, "GET", "/api/health", headers={"Origin": "http://attacker.example"})
    assert status == 403 and "access-control-allow-origin" not in headers
    for origin in ("null", svc.url):
        status, headers, _ = call(svc, "GET", "/api/health", headers={"Origin": origin})
        assert status == 200 and headers["access-control-allow-origin"] == origin  # echoed, never "*"


def test_preflight_answers_allowed_origins_only(svc: service.Service) -> None:
    status, headers, _ = call(svc, "OPTIONS", "/api/validate", token=None,
                              headers={"Origin": "null", "Access-Control-Request-Method": "POST",
                                       "Access-Control-Request-Headers": "content-type,x-xlperf-token"})
    assert status == 204 and headers["access-control-allow-origin"] == "null"
    assert "X-Xlperf-Token" in headers["access-control-allow-headers"]
    assert call(svc, "OPTIONS", "/api/validate", token=None, headers={"Origin": "http://evil.example"})[0] == 403


def test_request_size_is_bounded(svc: service.Service) -> None:
    conn = http.client.HTTPConnection(service.HOST, svc.port, timeout=30)
    conn.putrequest("POST", "/api/validate")
    conn.putheader("X-Xlperf-Token", svc.token)
    conn.putheader("Content-Length", str(service.MAX_BODY + 1))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413 and "过大" in json.loads(resp.read())["error"]
    conn.close()


def test_bad_requests_are_one_chinese_line(svc: service.Service) -> None:
    status, _, body = call(svc, "POST", "/api/validate", raw=b"{not json")
    assert status == 400 and body == {"error": "请求内容不是 JSON"}
    status, _, body = call(svc, "POST", "/api/validate", raw=b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and body == {"error": "请求内容不是 JSON"}
    status, _, body = call(svc, "POST", "/api/validate", {"sheet": "表", "cells": {"not-a-cell": 1}})
    assert status == 400 and body["error"].startswith("工作表快照格式不正确") and "Traceback" not in body["error"]
    status, _, body = call(svc, "POST", "/api/validate", {"sheet": "表", "cells": {"A1": "你好"}})
    assert status == 400 and "不是绩效目标表" in body["error"]
    status, _, body = call(svc, "POST", "/api/consolidate", {"paths": "x"})
    assert status == 400 and "paths" in body["error"]


def _outside_address() -> str | None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") else addr


def test_listens_on_loopback_only(svc: service.Service) -> None:
    assert svc.server.servers[0].sockets[0].getsockname()[0] == "127.0.0.1"
    addr = _outside_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError):
        socket.create_connection((addr, svc.port), timeout=3).close()


def test_serve_command_refuses_a_port_in_use(svc: service.Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", str(svc.port)]) == 2
    assert "端口可能已被占用" in capsys.readouterr().err


# -- every endpoint plans what the command line does ----------------------------------------------------


def _cli_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    main(args)
    return json.loads(capsys.readouterr().out)


def cli_edits(monkeypatch: pytest.MonkeyPatch, run: Any) -> list[dict[str, Any]]:
    """The edits the file adapter applies when the command line runs, serialised as the service
    serialises its plan."""
    seen: list[dict[str, Any]] = []
    original = FileBook.apply

    def record(self: FileBook, name: str, edits: Any, merges: Any = ()) -> None:
        seen.extend(edit_json(e, name) for e in edits)
        original(self, name, edits, merges)

    monkeypatch.setattr(FileBook, "apply", record)
    run()
    monkeypatch.setattr(FileBook, "apply", original)
    return seen


def test_validate_equals_the_command_line(svc: service.Service, seed_xlsx: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    status, _, body = call(svc, "POST", "/api/validate", sheet_snapshot(seed_xlsx))
    assert status == 200, body
    cli = _cli_json(["validate", str(seed_xlsx), "--format", "json"], capsys)["files"][0]["issues"]
    assert cli, "the seed has problems"
    assert {(i["code"], i["cell"]) for i in body["issues"]} == {(i["code"], i["cell"]) for i in cli}
    assert [{k: i[k] for k in ("code", "severity", "cell", "message")} for i in body["issues"]] == \
        [{k: i[k] for k in ("code", "severity", "cell", "message")} for i in cli]
    edits = cli_edits(monkeypatch, lambda: main(["validate", "--mark", str(seed_xlsx), "-o",
                                                 str(tmp_path / "m.xlsx")]))
    assert body["edits"] == edits and {e["op"] for e in edits} >= {"SetFill", "SetNote", "WriteTable"}


def test_unmark_after_marking_equals_the_command_line(svc: service.Service, seed_xlsx: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    marked = tmp_path / "marked.xlsx"
    main(["validate", "--mark", str(seed_xlsx), "-o", str(marked)])
    status, _, body = call(svc, "POST", "/api/unmark", sheet_snapshot(marked, "绩效目标表"))
    assert status == 200, body
    edits = cli_edits(monkeypatch, lambda: main(["validate", "--unmark", str(marked), "-o",
                                                 str(tmp_path / "clear.xlsx")]))
    assert body["edits"] == edits and body["cleared"] > 0
    assert {e["op"] for e in edits} >= {"SetFill", "SetNote", "DeleteSheet"}


def without_sums(seed_xlsx: Path, tmp_path: Path) -> Path:
    """The seed with its SUM formulas typed over as numbers (what auto-sum is for)."""
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["绩效目标表"]
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("=SUM"):
                cell.value = 1
    out = tmp_path / "nosum.xlsx"
    wb.save(out)
    return out


def test_autosum_equals_the_command_line(svc: service.Service, seed_xlsx: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    seed_xlsx = without_sums(seed_xlsx, tmp_path)
    status, _, body = call(svc, "POST", "/api/autosum", sheet_snapshot(seed_xlsx))
    assert status == 200, body
    edits = cli_edits(monkeypatch, lambda: main(["autosum", str(seed_xlsx), "-o", str(tmp_path / "a.xlsx")]))
    assert body["edits"] == edits and any(e["op"] == "SetFormula" for e in edits)


def test_indicators_equal_the_command_line(svc: service.Service, seed_xlsx: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from xlperf.core.parse import parse_grid
    from xlperf.workbook import form_sheet

    with FileBook(seed_xlsx) as book:
        form = parse_grid(form_sheet(book).grid)
    task = form.tasks[1]
    snap = sheet_snapshot(seed_xlsx) | {"selection": f"B{task.row + 1}", "options": {"type": "会议"}}
    status, _, body = call(svc, "POST", "/api/indicators", snap)
    assert status == 200, body
    edits = cli_edits(monkeypatch, lambda: main(["indicators", "insert", str(seed_xlsx), "--task", str(task.seq),
                                                 "--type", "会议", "-o", str(tmp_path / "i.xlsx")]))
    assert body["edits"] == edits and any(e["op"] == "InsertRows" for e in edits)
    assert body["type"] == "会议" and "会议" in body["message"]


def test_consolidate_takes_paths_and_leaves_inputs_alone(svc: service.Service, seed_xlsx: Path, tmp_path: Path) -> None:
    other = tmp_path / "b" / "seed2.xlsx"
    other.parent.mkdir()
    other.write_bytes(seed_xlsx.read_bytes())
    before = [p.read_bytes() for p in (seed_xlsx, other)]
    status, _, body = call(svc, "POST", "/api/consolidate", {"paths": [str(seed_xlsx), str(other)]})
    assert status == 200, body
    # the same department twice: the second file is skipped, as the command line and the button skip it
    assert body["files"] == 1 and len(body["skipped"]) == 1 and "XC001" in body["skipped"][0]
    out = Path(body["output"])
    assert out.parent == seed_xlsx.parent and out.exists()
    assert [p.read_bytes() for p in (seed_xlsx, other)] == before
    cli = tmp_path / "cli.xlsx"  # the same summary as the command line's, sheet by sheet, cell by cell
    main(["consolidate", str(seed_xlsx), str(other), "-o", str(cli)])
    ours, theirs = openpyxl.load_workbook(out), openpyxl.load_workbook(cli)
    assert ours.sheetnames == theirs.sheetnames
    for name in ours.sheetnames:
        assert list(ours[name].iter_rows(values_only=True)) == list(theirs[name].iter_rows(values_only=True)), name


def test_new_form_writes_the_blank_template(svc: service.Service) -> None:
    status, _, body = call(svc, "POST", "/api/new", {})
    assert status == 200 and Path(body["path"]).exists()


def test_the_serve_command_answers_on_its_port(tmp_path: Path) -> None:
    """``xlperf serve --port N`` as a user starts it: health with the token on 127.0.0.1:N, 401 without."""
    import os
    import subprocess
    import sys
    import time

    with service.bind(0) as sock:
        port = sock.getsockname()[1]
    env = dict(os.environ, XLPERF_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen([sys.executable, "-m", "xlperf", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        token_file = tmp_path / "home" / service.TOKEN_NAME
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection(service.HOST, port, timeout=5)
                conn.request("GET", "/api/health", headers={"X-Xlperf-Token": token_file.read_text().strip()})
                status = conn.getresponse().status
                conn.close()
                break
            except (OSError, FileNotFoundError):
                time.sleep(0.1)
        assert status == 200, proc.stderr.read() if proc.poll() is not None else "no answer"
        conn = http.client.HTTPConnection(service.HOST, port, timeout=5)
        conn.request("GET", "/api/health")
        assert conn.getresponse().status == 401
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert f"127.0.0.1:{port}" in proc.stdout.read()


def test_department_level_form_equals_the_command_line(svc: service.Service, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The form family through the WPS page: a Fujian-like department-level form is validated and
    auto-summed as the command line does it (its own totals: 项目支出 = Σ 履职目标, 资金总额)."""
    src = tmp_path / "fj.xlsx"
    assert main(["import", str(Path(__file__).parent / "fixtures" / "family" / "fujian_2019_dept_overall.txt"),
                 "-o", str(src)]) == 0
    capsys.readouterr()
    status, _, body = call(svc, "POST", "/api/validate", sheet_snapshot(src))
    assert status == 200, body
    cli = _cli_json(["validate", str(src), "--format", "json"], capsys)["files"][0]["issues"]
    assert [(i["code"], i["cell"]) for i in body["issues"]] == [(i["code"], i["cell"]) for i in cli] == [("XP108", "C5")]
    status, _, body = call(svc, "POST", "/api/autosum", sheet_snapshot(src))
    assert status == 200, body
    edits = cli_edits(monkeypatch, lambda: main(["autosum", str(src), "-o", str(tmp_path / "a.xlsx")]))
    assert body["edits"] == edits and [e["op"] for e in edits] == ["SetFormula", "SetFormula"]
