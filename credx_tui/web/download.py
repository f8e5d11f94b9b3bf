"""The download route of ``credx serve`` (issue 10, item 4): ``GET /d/<token>`` hands
the person one document -- their 学业成绩单 PDF, an application form, an attachment --
through a one-time link made in the TUI (SSH or a terminal: the link and its QR code).

Everything is decided by :func:`credx_tui.services.links.fetch_download`: the token,
whose it is, whether that person may still see the document (read as that person
through the services, against the store), and the link is spent only once the document
was made.  A refusal is a small zh/en page (410 used or expired, 403 not theirs, 404
unknown) and changes nothing.  Only GET: a HEAD (a link previewer) must not spend it.
"""

from __future__ import annotations

import asyncio
import html
import urllib.parse
from collections.abc import Callable

from aiohttp import web

from credx_tui.documents.errors import DocumentError
from credx_tui.services import Services
from credx_tui.services.errors import ServiceError
from credx_tui.services.links import Download, LinkRefused, fetch_download
from credx_tui.web.upload import GONE_PAGE, STATUS

CHUNK = 64 * 1024

FAILED_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>无法生成文件 Document not made</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em">
<h1>无法生成文件</h1><p>{zh}</p><p>链接未被使用，可稍后再试。</p>
<h1 lang="en">The document could not be made</h1><p lang="en">{en}</p>
<p lang="en">The link was not spent; try again later.</p>
</body></html>
"""


def _page(template: str, status: int, zh: str, en: str) -> web.Response:
    text = template.format(zh=html.escape(zh), en=html.escape(en))
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def content_disposition(download: Download) -> str:
    """``attachment`` with an ASCII ``filename`` and the real name as UTF-8
    ``filename*`` (RFC 6266 / 5987), so a Chinese name arrives intact."""
    ascii_name = download.ascii_name.replace('"', "").replace("\\", "")
    quoted = urllib.parse.quote(download.filename, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def download_routes(services: Callable[[], Services]) -> Callable[[web.Application], None]:
    """Route callback for :meth:`CredxServer.add_routes`; ``services()`` gives the
    services of the store ``credx serve`` runs on (fresh rules each request)."""

    async def get(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        try:
            download = await asyncio.to_thread(fetch_download, services(), token)
        except LinkRefused as refused:
            return _page(GONE_PAGE, STATUS.get(refused.kind, 400), refused.zh, refused.en)
        except DocumentError as error:
            return _page(FAILED_PAGE, 500, error.zh, error.en)
        except ServiceError as error:
            return _page(GONE_PAGE, 403, error.zh, error.en)
        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": download.media_type,
                "Content-Disposition": content_disposition(download),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
        response.content_length = len(download.data)
        await response.prepare(request)
        view = memoryview(download.data)
        for start in range(0, len(view), CHUNK):
            await response.write(view[start : start + CHUNK])
        await response.write_eof()
        return response

    def register(app: web.Application) -> None:
        app.router.add_get("/d/{token}", get, allow_head=False)

    return register
