"""``credx serve``: the browser front door (issue 9, item 3; issue 17).

Built on textual-serve's :class:`textual_serve.server.Server` (each websocket runs one
credx process that speaks Textual's web driver protocol on its stdin and stdout), with
what a college's server needs on top:

- **a session limit**: at most ``max_sessions`` credx processes at once; the next
  browser gets a plain page saying so (zh and en) and no process is started, also when
  it opens the websocket directly;
- **idle sessions end**: a session without a key press or click for ``idle_timeout``
  seconds (the rules' ``session.idle_timeout_minutes``) is closed and its process ended;
- **the process ends with the websocket**: when the tab closes (or the network drops and
  the heartbeat notices), the credx process is asked to quit, its stdin is closed (credx
  watches it, credx_tui/hangup.py), then SIGTERM, then SIGKILL; it is gone within a
  second either way.  The command runs with ``exec`` so the pid textual-serve holds is
  credx itself, not a shell that would swallow the signal;
- **no directory listing** anywhere, and **nothing from another host**: the page
  template and its font ship with credx (``credx_tui/web/templates``, ``static``); the
  default template of textual-serve loads a font from a foreign host, which students in
  mainland China cannot reach.

Other features add HTTP routes without editing this module::

    server = CredxServer(command, ...)
    server.add_routes(lambda app: app.router.add_get("/upload", handler))

Every callback gets the :class:`aiohttp.web.Application` before it starts and may add
routes, middlewares or startup hooks; ``server.sessions`` gives the live sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("credx.serve")

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
"""credx's own page template (no foreign host)."""
STATIC = HERE / "static"
"""credx's own static files: the page's font and style."""
TEXTUAL_STATIC = Path(textual_serve.__file__).parent / "static"
"""textual-serve's terminal (xterm.js bundle and its CSS), served without listing."""

QUIT_GRACE = 0.4
"""Seconds a session's process gets to quit on its own before SIGTERM, then SIGKILL."""

FULL_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>当前在线人数已满</h1>
<p>学分兑换系统同时最多服务 {limit} 个会话，现在已满。请稍后刷新本页再试。</p>
<h1 lang="en">All sessions are in use</h1>
<p lang="en">credx serves at most {limit} sessions at a time and all are in use.
Please reload this page in a few minutes.</p>
</body></html>
"""

RouteCallback = Callable[[web.Application], None]
"""Gets the aiohttp application before it starts (see :meth:`CredxServer.add_routes`)."""


@dataclass
class Session:
    """One browser tab: its websocket and its credx process."""

    websocket: web.WebSocketResponse
    service: AppService
    started: float = field(default_factory=time.monotonic)
    last_input: float = field(default_factory=time.monotonic)
    """When the person last pressed a key or clicked (the idle clock)."""

    @property
    def pid(self) -> int | None:
        """The credx process's id, once started."""
        process = self.service._process
        return process.pid if process is not None else None


class CredxServer(Server):
    """textual-serve's server with a session limit, idle timeout, process clean-up,
    credx's own page and an extension point for more routes (module doc)."""

    def __init__(
        self,
        command: list[str],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        title: str = "credx 学分兑换",
        public_url: str | None = None,
        max_sessions: int = 200,
        idle_timeout: float = 15 * 60,
    ) -> None:
        import shlex

        # `exec`: the shell textual-serve starts is replaced by credx, so the process
        # textual-serve holds (and signals) is credx itself.
        super().__init__(
            "exec " + shlex.join(command),
            host=host,
            port=port,
            title=title,
            public_url=public_url,
            statics_path=TEXTUAL_STATIC,
            templates_path=TEMPLATES,
        )
        self.max_sessions = max_sessions
        """Concurrent sessions allowed; the next browser gets :data:`FULL_PAGE`."""
        self.idle_timeout = idle_timeout
        """Seconds without input after which a session is ended."""
        self.sessions: dict[str, Session] = {}
        """The live sessions by id."""
        self._route_callbacks: list[RouteCallback] = []
        self._pending = 0  # websockets accepted whose process is not counted yet

    # -- extension point -----------------------------------------------------------

    def add_routes(self, callback: RouteCallback) -> None:
        """Register ``callback(app)``, called with the aiohttp application before the
        server starts, to add routes (e.g. upload and download pages), middlewares or
        hooks.  Routes must not use ``/``, ``/ws``, ``/static`` or ``/assets``."""
        self._route_callbacks.append(callback)

    # -- the application -----------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
                web.static("/assets", STATIC, show_index=False, name="assets"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        for callback in self._route_callbacks:
            callback(app)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Say where it serves (the CLI printed the warning already)."""
        log.info("credx serve on %s (at most %d sessions)", self.public_url, self.max_sessions)

    async def on_shutdown(self, app: web.Application) -> None:
        """Server stopping: end every session's process."""
        await asyncio.gather(
            *(self._end(s, close_socket=True) for s in list(self.sessions.values()))
        )

    def _full(self) -> bool:
        return len(self.sessions) + self._pending >= self.max_sessions

    def _full_response(self) -> web.Response:
        page = FULL_PAGE.format(title=html.escape(self.title), limit=self.max_sessions)
        return web.Response(
            status=503, text=page, content_type="text/html", headers={"Retry-After": "60"}
        )

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page with the terminal, or :data:`FULL_PAGE` when the limit is reached."""
        if self._full():
            return self._full_response()
        font_size = to_int(request.query.get("fontsize", "16"), 16)
        context: dict[str, Any] = {
            "font_size": max(8, min(font_size, 40)),
            "title": self.title,
            # Relative: the page works behind any proxy, and names no other host.
            "static": "static/",
            "assets": "assets/",
            "websocket_path": "ws",
        }
        response = aiohttp_jinja2.render_template("credx_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'"
        )
        return response

    # -- sessions ------------------------------------------------------------------

    # textual-serve types its handler as returning the WebSocketResponse; an aiohttp
    # handler may answer with any response, as this one does when the server is full.
    async def handle_websocket(  # type: ignore[override]
        self, request: web.Request
    ) -> web.StreamResponse:
        """One session: start credx, pass messages both ways, end it with the socket."""
        if self._full():
            return self._full_response()
        self._pending += 1
        websocket = web.WebSocketResponse(heartbeat=15)
        width = max(20, min(to_int(request.query.get("width", "80"), 80), 500))
        height = max(10, min(to_int(request.query.get("height", "24"), 24), 200))
        session: Session | None = None
        idle_task: asyncio.Task[None] | None = None
        try:
            await websocket.prepare(request)

            async def close() -> None:  # AppService awaits it for nothing
                await websocket.close()

            service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            session = Session(websocket, service)
            self.sessions[service.app_service_id] = session
            self._pending -= 1
            await service.start(width, height)
            log.info("session %s started, pid %s", service.app_service_id[:8], session.pid)
            idle_task = asyncio.create_task(self._watch_idle(session))
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            pass
        except Exception as error:
            log.exception(error)
        finally:
            if session is None:
                self._pending -= 1
            else:
                if idle_task is not None:
                    idle_task.cancel()
                await self._end(session, close_socket=True)
        return websocket

    async def _process_messages(  # type: ignore[override]
        self, websocket: web.WebSocketResponse, session: Session
    ) -> None:
        """textual-serve's message loop, with the idle clock and no assert on input."""
        service = session.service
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind = envelope[0]
            except (ValueError, IndexError, KeyError, TypeError):
                continue
            if kind == "stdin" and isinstance(envelope[1], str):
                session.last_input = time.monotonic()
                await service.send_bytes(envelope[1].encode("utf-8"))
            elif kind == "resize" and isinstance(envelope[1], dict):
                size = envelope[1]
                await service.set_terminal_size(
                    to_int(str(size.get("width", 80)), 80), to_int(str(size.get("height", 24)), 24)
                )
            elif kind == "ping":
                await websocket.send_json(["pong", envelope[1]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                session.last_input = time.monotonic()
                await service.focus()

    async def _watch_idle(self, session: Session) -> None:
        """End the session once nobody touched it for :attr:`idle_timeout` seconds."""
        while True:
            left = session.last_input + self.idle_timeout - time.monotonic()
            if left <= 0:
                log.info("session %s idle, ended", session.service.app_service_id[:8])
                with contextlib.suppress(Exception):
                    await session.websocket.close(code=4000, message=b"idle timeout")
                return
            await asyncio.sleep(left)

    async def _end(self, session: Session, close_socket: bool) -> None:
        """Stop the session's process for good and forget the session (idempotent)."""
        if self.sessions.pop(session.service.app_service_id, None) is None:
            return
        service = session.service
        with contextlib.suppress(Exception):
            await self.download_manager.cancel_app_downloads(app_service_id=service.app_service_id)
        process = service._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(Exception):
                await service.send_meta({"type": "quit"})
            with contextlib.suppress(Exception):
                if service._stdin is not None:
                    service._stdin.close()
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, sig)
                try:
                    await asyncio.wait_for(process.wait(), QUIT_GRACE)
                    break
                except TimeoutError:
                    continue
        if service._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(service._task, 2)
            service._task = None
        if close_socket:
            with contextlib.suppress(Exception):
                await session.websocket.close()
        log.info("session %s ended", service.app_service_id[:8])
