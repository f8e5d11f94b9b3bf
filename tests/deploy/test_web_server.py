"""CredxServer in-process (no root needed): an idle session is ended with its process,
the session limit refuses the websocket itself, and other features can add routes."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from credx_tui.cli import main
from credx_tui.web.server import CredxServer

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def started(server: CredxServer) -> web.AppRunner:
    runner = web.AppRunner(await server._make_app())
    await runner.setup()
    await web.TCPSite(runner, server.host, server.port).start()
    return runner


async def first_bytes(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Wait until credx drew something (it started)."""
    got = 0
    while got < 500:
        message = await asyncio.wait_for(ws.receive(), 20)
        assert message.type == aiohttp.WSMsgType.BINARY or message.type == aiohttp.WSMsgType.TEXT
        if message.type == aiohttp.WSMsgType.BINARY:
            got += len(message.data)


async def test_idle_session_ends_with_its_process(tmp_path: Path) -> None:
    db = tmp_path / "db"
    assert main(["demo", "--db", str(db)]) == 0
    port = free_port()
    server = CredxServer(
        [sys.executable, "-m", "credx_tui.cli", "--db", str(db)],
        port=port,
        max_sessions=1,
        idle_timeout=15.0,  # generous: a machine at load 15 once took over 6 s to draw
    )

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"{len(server.sessions)} session(s)")

    server.add_routes(lambda app: app.router.add_get("/hello", hello))
    runner = await started(server)
    try:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                await first_bytes(ws)
                [session] = server.sessions.values()
                process = session.service._process
                # The limit holds for the websocket too, not only the page.
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await client.ws_connect(f"http://127.0.0.1:{port}/ws")
                assert refused.value.status == 503
                async with client.get(f"http://127.0.0.1:{port}/") as page:
                    assert page.status == 503 and "当前在线人数已满" in await page.text()
                async with client.get(f"http://127.0.0.1:{port}/hello") as hi:
                    assert await hi.text() == "1 session(s)"
                # Typing keeps it alive past the timeout...
                for _ in range(3):
                    await ws.send_json(["stdin", "2"])
                    last_key = time.monotonic()
                    await asyncio.sleep(0.8)
                assert process.returncode is None
                # ...then nothing: the server closes the socket and ends credx (bounded,
                # generous; no upper bound on when: a busy machine's timers run late).
                deadline = last_key + 120
                while not ws.closed:
                    assert time.monotonic() < deadline, "the idle session was never closed"
                    message = await asyncio.wait_for(ws.receive(), 60)
                    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                        break
                assert time.monotonic() - last_key > 14.9  # not before the idle timeout
            await asyncio.wait_for(process.wait(), 30)  # bounded, generous: a busy CI
            assert not server.sessions
    finally:
        await runner.cleanup()
