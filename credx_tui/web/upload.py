"""The upload page of ``credx serve`` (issue 10, item 1; S4): ``GET /u/<token>`` is a
small phone page (zh with English) that posts each chosen file on its own, ``POST
/u/<token>`` takes one file.

The body is read as a stream and never past the rules' ``attachments.max_bytes`` + 1
bytes: an over-long body (a declared length or a chunked body that does not end) is
answered 413 and the connection is closed, so a phone cannot fill the server's memory.
Everything else is decided by :func:`credx_tui.services.links.accept_upload` (token,
owner, application, content), so the page changes nothing the TUI would refuse; a
refusal is a 4xx with a zh and an en message and changes nothing.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Callable

from aiohttp import web

from credx_tui.services import BadAttachment, DuplicateAttachment, Services
from credx_tui.services.errors import ServiceError
from credx_tui.services.links import LinkRefused, accept_upload, upload_target

STATUS = {"used": 410, "expired": 410, "foreign": 403, "unknown": 404, "closed": 409}
"""HTTP status of each :class:`LinkRefused` kind (``unconfigured`` never reaches here)."""
CHUNK = 64 * 1024

PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>上传附件 Upload</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em}}
li{{margin:.4em 0}} .bad{{color:#a00}} .ok{{color:#060}} input{{font-size:1.1em}}</style>
</head><body>
<h1>上传成绩截图 <small lang="en">Upload grade screenshots</small></h1>
<p>申请 {app}：可选多个文件，每个不超过 {mb} MB，共最多 {count} 个（图片或 PDF）。</p>
<p lang="en">Application {app}: choose one or more files, at most {mb} MB each,
{count} in all (images or PDF). This link is valid 15 minutes.</p>
<input id="files" type="file" multiple accept="image/*,application/pdf">
<ul id="list"></ul>
<script>
const APP = {app_js};
const MAX = {max_bytes};
const list = document.getElementById("list");
document.getElementById("files").addEventListener("change", async (e) => {{
  for (const f of e.target.files) {{
    const li = document.createElement("li");
    li.textContent = f.name + " …";
    list.appendChild(li);
    if (f.size > MAX) {{  // the server would drop the connection: say why here
      li.textContent = "✗ " + f.name + "：超过 {mb} MB 上限 / over the {mb} MB limit";
      li.className = "bad";
      continue;
    }}
    try {{
      const r = await fetch(location.pathname + "?app=" + encodeURIComponent(APP) + "&name=" + encodeURIComponent(f.name),
                            {{method: "POST", body: f}});
      const j = await r.json();
      li.textContent = j.ok ? "✓ " + j.name + " 已收到 received" : "✗ " + f.name + "：" + j.zh + " / " + j.en;
      li.className = j.ok ? "ok" : "bad";
    }} catch (err) {{
      li.textContent = "✗ " + f.name + "：上传失败 upload failed";
      li.className = "bad";
    }}
  }}
  e.target.value = "";
}});
</script>
</body></html>
"""

CLOSED_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>申请已不能添加附件 Application closed</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em">
<h1>申请已不能添加附件</h1><p>{zh}</p><p>如需补交，请等待审核结果；被退回后可在 credx 中重新生成上传链接。</p>
<h1 lang="en">This application takes no more files</h1><p lang="en">{en}</p>
<p lang="en">Once it is returned, make a new upload link in credx.</p>
</body></html>
"""

GONE_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>链接不可用 Link not usable</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em">
<h1>链接不可用</h1><p>{zh}</p><h1 lang="en">This link cannot be used</h1><p lang="en">{en}</p>
</body></html>
"""


def _refusal(status: int, zh: str, en: str) -> web.Response:
    return web.json_response({"ok": False, "zh": zh, "en": en}, status=status)


async def _too_big(request: web.Request, response: web.Response) -> web.Response:
    """Send the 413 and drop the connection at once: aiohttp would otherwise go on
    reading (and discarding) the rest of the body for up to 10 s of lingering, and an
    endless body would keep the connection busy."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    if request.transport is not None:
        request.transport.close()
    return response


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it is longer than ``limit`` (read at most limit+1 bytes)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    parts: list[bytes] = []
    got = 0
    while got <= limit:
        chunk = await request.content.read(min(CHUNK, limit + 1 - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return None if got > limit else b"".join(parts)


def upload_routes(services: Callable[[], Services]) -> Callable[[web.Application], None]:
    """Route callback for :meth:`CredxServer.add_routes`; ``services()`` gives the
    services of the store ``credx serve`` runs on (fresh rules each request)."""

    async def page(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        current = services()
        try:
            _actor, record = await asyncio.to_thread(upload_target, current, token)
        except LinkRefused as refused:
            page_text = CLOSED_PAGE if refused.kind == "closed" else GONE_PAGE
            text = page_text.format(zh=html.escape(refused.zh), en=html.escape(refused.en))
            return web.Response(
                status=STATUS.get(refused.kind, 400), text=text, content_type="text/html"
            )
        limits = current.rules.attachments
        text = PAGE.format(
            app=html.escape(record.application_id),
            app_js=json.dumps(record.application_id).replace("<", "\\u003c"),
            mb=round(limits.max_bytes / 1024 / 1024, 1),
            count=limits.max_count,
            max_bytes=limits.max_bytes,
        )
        response = web.Response(text=text, content_type="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
        return response

    async def post(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        current = services()
        limit = current.rules.attachments.max_bytes
        payload = await _read_limited(request, limit)
        if payload is None:
            mb = round(limit / 1024 / 1024, 1)
            refusal = _refusal(
                413,
                f"文件超过 {mb} MB 上限（S4），未保存",
                f"the file is over the {mb} MB limit (S4); nothing was stored",
            )
            return await _too_big(request, refusal)
        name = request.query.get("name", "upload")
        app_id = request.query.get("app")  # the page's application: must be the link's
        try:
            att = await asyncio.to_thread(accept_upload, current, token, payload, name, app_id)
        except LinkRefused as refused:
            return _refusal(STATUS.get(refused.kind, 400), refused.zh, refused.en)
        except DuplicateAttachment as same:  # already there: nothing to send again
            return _refusal(409, same.zh, same.en)
        except BadAttachment as bad:
            return _refusal(415, bad.zh, bad.en)
        except ServiceError as error:
            return _refusal(403, error.zh, error.en)
        return web.json_response({"ok": True, "name": att.filename, "sha256": att.sha256})

    def register(app: web.Application) -> None:
        app.router.add_get("/u/{token}", page)
        app.router.add_post("/u/{token}", post)

    return register
