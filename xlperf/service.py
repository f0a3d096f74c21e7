"""``xlperf serve``: the local HTTP service the WPS 表格 add-in calls (a fourth way in).

One user, one machine: the service listens on 127.0.0.1 only, and every request must carry the
user's token (``X-Xlperf-Token``, kept in :func:`token_path`; else 401). ``Host`` must name the
loopback address and the port (against DNS rebinding), ``Origin``, when sent, must be the service
itself or ``null`` (the add-in's page loaded from its folder by WPS); allowed origins are echoed, never
a wildcard. Request bodies are bounded (:data:`MAX_BODY`).

Each endpoint turns a sheet snapshot (:class:`xlperf.io.snapshot.Snapshot`) into a
:class:`~xlperf.io.snapshot.SnapshotBook`, calls the same feature the command line and the Excel
buttons call (:mod:`xlperf.features`, :mod:`xlperf.consolidation`) and answers the issues and the
edit plan the feature made (:func:`~xlperf.io.snapshot.plan_json`); the page applies the plan.

============================  ===================================================  ================
endpoint                      feature                                              button
============================  ===================================================  ================
``GET  /api/health``          version                                              关于
``POST /api/validate``        :func:`xlperf.features.validate.rewrite` (mark)      校验
``POST /api/unmark``          :func:`xlperf.features.validate.unmark`              清除标记
``POST /api/autosum``         :func:`xlperf.features.autosum.autosum`              自动求和
``POST /api/indicators``      :func:`xlperf.features.indicators.insert`            插入标准指标
``POST /api/consolidate``     :func:`xlperf.consolidation.consolidate` (paths)     合并部门表
``POST /api/new``             :func:`xlperf.features.new.write_form`               新建表格
``POST /api/doctor``          :func:`xlperf.addin.doctor.run_checks`               自检
============================  ===================================================  ================
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .commands.serve import DEFAULT_PORT  # one value, defined where the command line reads it
from .errors import XlperfError

HOST = "127.0.0.1"
MAX_BODY = 32 * 1024 * 1024  # a form's snapshot is well under 1 MB; a whole-column used range is not
TOKEN_HEADER = "x-xlperf-token"
TOKEN_NAME = "serve-token"


def token_path() -> Path:
    from .settings import home

    return home() / TOKEN_NAME


def load_token(*, renew: bool = False) -> str:
    """The user's token (made once, readable by the user only; ``renew`` makes a new one)."""
    path = token_path()
    if not renew:
        try:
            token = path.read_text(encoding="ascii").strip()
            if len(token) >= 32:
                return token
        except (OSError, UnicodeDecodeError):
            pass
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    tmp.replace(path)
    return token


# -- the endpoints ----------------------------------------------------------------------------------


def _options(data: dict[str, Any]) -> dict[str, Any]:
    opts = data.pop("options", None) or {}
    if not isinstance(opts, dict):
        raise XlperfError("options 须为对象")
    return opts


def _book(data: dict[str, Any]) -> Any:
    from .io.snapshot import Snapshot, SnapshotBook

    return SnapshotBook(Snapshot.parse(data))


def _config(book: Any) -> Any:
    from .settings import load_settings

    return load_settings(book.path).config


def _plan(book: Any) -> dict[str, Any]:
    """The recorded plan for the page, and where the page saves a copy of the workbook before applying
    it (``~/.xlperf/backups``, as for a workbook open in Excel)."""
    from .io.snapshot import plan_json
    from .io.xlsx import backup_path
    from .settings import home

    edits = plan_json(book)
    backup = None
    if edits:
        folder = home() / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        backup = str(backup_path(folder, Path(book.label).name or "WPS 工作簿.xlsx"))
    return {"edits": edits, "backup": backup}


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """校验: the issues of the snapshot's form and (``mark``, default on) the marking plan."""
    from .features.validate import rewrite
    opts = _options(data)
    book = _book(data)
    res = rewrite(book, sheet=book.snapshot.sheet, config=_config(book), mark=bool(opts.get("mark", True)),
                  fix=bool(opts.get("fix", False)))
    report = res.report
    assert report is not None
    if report.issues:
        message = (f"「{res.sheet}」发现 {len(report.issues)} 个问题：错误 {len(report.errors)}，"
                   f"警告 {len(report.warnings)}，提示 {len(report.infos)}")
    else:
        message = f"「{res.sheet}」未发现问题"
    return {"sheet": res.sheet, "issues": report.to_dict()["issues"], "message": message,
            "fixes": len(res.fixes), **_plan(book)}


def unmark(data: dict[str, Any]) -> dict[str, Any]:
    from .features.validate import unmark as clear
    _options(data)
    book = _book(data)
    res = clear(book)
    message = "没有 xlperf 的标记需要清除" if res.sheet is None else f"已清除 {res.cleared} 个单元格的标记和「校验结果」工作表"
    return {"cleared": res.cleared, "message": message, **_plan(book)}


def autosum(data: dict[str, Any]) -> dict[str, Any]:
    from .features.autosum import autosum as run
    opts = _options(data)
    book = _book(data)
    res = run(book, sheet=book.snapshot.sheet, balance=bool(opts.get("balance", False)))
    message = f"已写入 {len(res.changes)} 个求和公式" if res.changes else "金额公式已是最新，未做修改"
    return {"changes": [c.describe() for c in res.changes], "messages": [m.describe() for m in res.messages],
            "ok": res.ok, "message": message, **_plan(book)}


def indicators(data: dict[str, Any]) -> dict[str, Any]:
    from .core.grid import parse_a1
    from .core.indicators import load_library
    from .features.indicators import at_row, insert
    opts = _options(data)
    book = _book(data)
    sel = book.snapshot.selection
    row = parse_a1(sel.split(":")[0])[0] if sel else None
    res = insert(book, at_row(row), load_library(), type=str(opts.get("type") or "") or None,
                 sheet=book.snapshot.sheet)
    if not res.plan.edits:
        message = f"{res.label}已有「{res.type}」的全部标准指标，未做修改"
    else:
        message = f"已在{res.label}下插入「{res.type}」{'（自动识别）' if res.guess else ''}的 {len(res.added)} 条指标"
        if res.needs_value:
            message += f"，有 {len(res.needs_value)} 条指标的年度指标值需要填写（已标黄）"
    return {"type": res.type, "task": res.label, "added": len(res.added), "skipped": res.skipped,
            "message": message, **_plan(book)}


def consolidate(data: dict[str, Any]) -> dict[str, Any]:
    """合并部门表: the summary workbook of the given files, beside the first one (the inputs are only read)."""
    from .features.consolidate import summary_beside

    paths = data.get("paths")
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        raise XlperfError("paths 须为文件路径的列表")
    if len(paths) > 5000:
        raise XlperfError("一次最多汇总 5000 个文件")
    res = summary_beside(paths)
    return {"output": str(res.output), "files": res.files, "forms": res.forms, "skipped": res.skipped,
            "message": res.message}


def new_form(data: dict[str, Any]) -> dict[str, Any]:
    from .features.new import write_form
    from .settings import home

    path = write_form(home() / "templates" / "部门整体支出绩效目标表.xlsx")
    return {"path": str(path), "message": "已新建空白绩效目标表"}


def doctor(data: dict[str, Any]) -> dict[str, Any]:
    """The checks of ``xlperf doctor`` for the workbook at ``data["path"]`` (its settings), as lines."""
    from .addin.doctor import describe, run_checks

    path = data.get("path")
    checks = run_checks(workbook=Path(path) if isinstance(path, str) and path else None)
    return {"checks": [c.to_dict() for c in checks], "message": "\n".join(describe(checks))}


ENDPOINTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "/api/doctor": doctor,
    "/api/validate": validate,
    "/api/unmark": unmark,
    "/api/autosum": autosum,
    "/api/indicators": indicators,
    "/api/consolidate": consolidate,
    "/api/new": new_form,
}


# -- the application --------------------------------------------------------------------------------


def _log_error(exc: BaseException) -> Path | None:
    from .excel import _log_error as log

    return log(exc)


def create_app(token: str, port: int, *, extra_origins: tuple[str, ...] = ()) -> Any:
    """The Starlette application for a service on 127.0.0.1:``port`` accepting ``token``."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from . import __version__

    hosts = {f"{HOST}:{port}", f"localhost:{port}"}
    origins = {f"http://{HOST}:{port}", f"http://localhost:{port}", "null", *extra_origins}
    expected = token.encode("ascii")

    def answer(status: int, body: dict[str, Any], origin: str | None = None) -> Response:
        resp = JSONResponse(body, status_code=status)
        if origin:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Vary"] = "Origin"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    async def guard(request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
        host = request.headers.get("host", "")
        if host not in hosts:
            return answer(403, {"error": "拒绝访问：Host 不是本机服务地址"})
        origin = request.headers.get("origin")
        if origin is not None and origin not in origins:
            return answer(403, {"error": "拒绝访问：来源（Origin）不被允许"})
        if request.method == "OPTIONS":  # a CORS preflight carries no token and runs nothing
            resp = Response(status_code=204)
            if origin:
                resp.headers.update({
                    "Access-Control-Allow-Origin": origin, "Vary": "Origin",
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Content-Type, X-Xlperf-Token",
                    "Access-Control-Max-Age": "600"})
            return resp
        sent = request.headers.get(TOKEN_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(sent, expected):
            return answer(401, {"error": "未授权：缺少或错误的 X-Xlperf-Token"}, origin)
        try:
            resp = await handler(request)
        except XlperfError as exc:
            return answer(400, {"error": exc.message}, origin)
        except Exception as exc:  # noqa: BLE001 - a caller never sees a traceback
            log = _log_error(exc)
            return answer(500, {"error": "xlperf 服务内部错误" + (f"，记录见 {log}" if log else "")}, origin)
        if origin:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Vary"] = "Origin"
        return resp

    async def read_json(request: Request) -> dict[str, Any]:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            raise _TooLarge()
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise _TooLarge()
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # nesting too deep is not JSON we take
            raise XlperfError("请求内容不是 JSON") from None
        if not isinstance(data, dict):
            raise XlperfError("请求内容须为 JSON 对象")
        return data

    def endpoint(work: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            async def inner(request: Request) -> Response:
                try:
                    data = await read_json(request)
                except _TooLarge:
                    return answer(413, {"error": f"请求过大（上限 {MAX_BODY // (1024 * 1024)} MB）"})
                return answer(200, await run_in_threadpool(work, data))

            return await guard(request, inner)

        return handle

    async def health(request: Request) -> Response:
        async def inner(request: Request) -> Response:
            return answer(200, {"name": "xlperf", "version": __version__})

        return await guard(request, inner)

    routes = [Route("/api/health", health, methods=["GET", "OPTIONS"])]
    routes += [Route(path, endpoint(work), methods=["POST", "OPTIONS"]) for path, work in ENDPOINTS.items()]
    return Starlette(routes=routes)


class _TooLarge(Exception):
    pass


class Service:
    """A running service: ``port``, ``token``, ``stop()``. Started by :func:`start`."""

    def __init__(self, server: Any, thread: threading.Thread | None, port: int, token: str) -> None:
        self.server, self.thread, self.port, self.token = server, thread, port, token

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port); a port in use is one Chinese line."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise XlperfError(f"无法在 {HOST}:{port} 上启动服务（{exc.strerror or exc}）；"
                          "端口可能已被占用（xlperf serve 已在运行？），可用 --port 换一个") from None
    sock.listen(64)
    return sock


def _server(sock: socket.socket, token: str) -> Any:
    import uvicorn

    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(token, port), log_level="warning", access_log=False,
                            limit_concurrency=32, timeout_keep_alive=5, server_header=False)
    return uvicorn.Server(config)


def start(port: int = 0, token: str | None = None) -> Service:
    """Start the service in a background thread (tests, embedding); returns once it listens."""
    sock = bind(port)
    token = token or load_token()
    server = _server(sock, token)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="xlperf-serve")
    thread.start()
    import time

    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        server.should_exit = True
        raise XlperfError("xlperf 服务未能启动")
    return Service(server, thread, sock.getsockname()[1], token)


def run(port: int = DEFAULT_PORT, *, renew_token: bool = False, announce: Callable[[str], None] = print) -> None:
    """Serve in the foreground until interrupted (``xlperf serve``)."""
    sock = bind(port)
    token = load_token(renew=renew_token)
    server = _server(sock, token)
    announce(f"xlperf 服务：http://{HOST}:{sock.getsockname()[1]}（仅本机；令牌见 {token_path()}；Ctrl+C 停止）")
    server.run(sockets=[sock])


__all__ = ["DEFAULT_PORT", "ENDPOINTS", "HOST", "MAX_BODY", "Service", "create_app", "load_token", "run", "start",
           "token_path"]
