"""``credx serve`` hands a person their documents through a one-time link (issue 10,
item 4): a real server process on loopback, fetched with http.client.  A good link
gives the PDF with its Chinese name (``filename*``) once; a spent, an expired, an
unknown link, an upload link and a reviewer's link for an application no longer in
their colleges get a small zh/en page and spend nothing."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from deploy.test_upload_route import served  # noqa: F401 - the fixture (and sys.path)

from service_college import OTHER_COLLEGE, STUDENT, login, shot  # isort: skip

from credx_tui.services.links import make_download_link, make_upload_link
from policy.models import SourceKind, SourceRef

pytestmark = pytest.mark.timeout(90)

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")


def get(port: int, token: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, f"/d/{token}")
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def refused(port: int, token: str, code: int) -> str:
    status, headers, body = get(port, token)
    text = body.decode()
    assert status == code, text
    assert headers["Content-Type"].startswith("text/html")
    assert "链接不可用" in text and "cannot be used" in text and "%PDF" not in text
    return text


def test_a_download_link_gives_the_document_once(served) -> None:  # noqa: F811
    services, port = served
    me = login(services, STUDENT)

    link = make_download_link(services, me, "transcript")
    # A HEAD (a chat app previewing the link) is not a download and spends nothing.
    assert get(port, link.token, "HEAD")[0] == 405
    status, headers, body = get(port, link.token)
    assert status == 200 and body.startswith(b"%PDF") and body.rstrip().endswith(b"%%EOF")
    assert headers["Content-Type"] == "application/pdf"
    assert int(headers["Content-Length"]) == len(body)
    disposition = headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="transcript-{STUDENT}.pdf"')
    quoted = disposition.split("filename*=UTF-8''")[1]
    assert urllib.parse.unquote(quoted) == f"学业成绩单-{STUDENT}.pdf"
    assert headers["Cache-Control"] == "no-store"

    # Used once: 410, a zh/en page.
    refused(port, link.token, 410)

    # Expired: made 16 minutes ago by an injected clock.
    real = services.clock
    services.clock = lambda: real() - timedelta(minutes=16)
    old = make_download_link(services, me, "transcript")
    services.clock = real
    assert "过期" in refused(port, old.token, 410)

    # Unknown, and an upload link presented here: nothing given.
    refused(port, link.token[:-3] + "zzz", 404)
    draft = services.save(me, "M1", [G1, G2], attachments=shot(services, me))
    refused(port, make_upload_link(services, me, draft.id).token, 403)

    # A reviewer's link for an application no longer in their colleges (moved since):
    # 403, and the link is not spent.
    services.submit(me, draft.id)
    rev = login(services, "rev")
    theirs = make_download_link(services, rev, f"application:{draft.id}")
    with services.store.account_tx("rev") as tx:
        account = tx.get("rev")
        tx.put(account.model_copy(update={"colleges": [OTHER_COLLEGE]}))
    assert "无权" in refused(port, theirs.token, 403)
    with services.store.account_tx("rev") as tx:
        tx.put(account)
    status, headers, body = get(port, theirs.token)
    assert status == 200 and body.startswith(b"%PDF")
    assert f"application-{draft.id}.pdf" in headers["Content-Disposition"]

    # An attachment keeps its type and name.
    sha = services.application(me, draft.id).attachments[0].sha256
    status, headers, body = get(
        port, make_download_link(services, me, f"attachment:{draft.id}:{sha}").token
    )
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert body == services.attachment_bytes(me, draft.id, sha)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert services.store.verify() == []


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.mark.timeout(180)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
def test_the_browser_downloads_the_printed_transcript(tmp_path: Path) -> None:
    """In real Chromium through ``credx serve``: the student logs in, prints the
    学业成绩单 (打印, then 打印 in the dialog) and the browser receives it as a download
    (``deliver_binary``) whose bytes are a PDF."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    pyte = pytest.importorskip("pyte")
    from deploy.test_upload_route import free_port

    store = tmp_path / "db"
    cli = [sys.executable, "-m", "credx_tui.cli", "--db", str(store)]
    subprocess.run([*cli, "demo"], check=True, capture_output=True, timeout=120)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "credx serve did not answer"
                time.sleep(0.2)
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                student = BrowserTab(browser, f"http://127.0.0.1:{port}/", pyte)
                student.log_in("2018110101")
                student.keys("F3")
                student.wait_text("学业成绩单")
                student.keys("F6")
                student.wait_text("A3")
                with student.page.expect_download(timeout=60000) as info:
                    student.keys("F6")
                pdf = Path(info.value.path()).read_bytes()
                pdf_name = info.value.suggested_filename

                # The student's own attachment, F3 on their 流程跟踪.
                other = BrowserTab(browser, f"http://127.0.0.1:{port}/", pyte)
                other.log_in("2023110102")
                other.keys("F4")
                other.wait_text("申请结果", "审核中")
                other.keys("Enter")
                other.wait_text("流程跟踪", "成绩截图.png")
                with other.page.expect_download(timeout=60000) as info:
                    other.keys("F3")
                png = Path(info.value.path()).read_bytes()
                png_name = info.value.suggested_filename
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf_name == "学业成绩单-2018110101.pdf"
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png_name == "成绩截图.png"


class BrowserTab:
    """One browser context on credx serve; the terminal read back from the websocket's
    bytes with pyte (as tests/deploy/test_browser_door.py does)."""

    def __init__(self, browser, url: str, pyte) -> None:
        self.pyte = pyte
        self.screen = None
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.page = context.new_page()
        self.page.on("websocket", self._websocket)
        self.page.goto(url)

    def _websocket(self, ws) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(ws.url).query)
        self.screen = self.pyte.Screen(int(query["width"][0]), int(query["height"][0]))
        stream = self.pyte.ByteStream(self.screen)
        ws.on("framereceived", lambda b: stream.feed(b) if isinstance(b, bytes) else None)

    def wait_text(self, *needles: str) -> None:
        shown = ""
        end = time.monotonic() + 60
        while time.monotonic() < end:
            shown = "\n".join(self.screen.display) if self.screen else ""
            if all(n in shown for n in needles):
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{needles} never shown:\n{shown}")

    def keys(self, *names: str) -> None:
        for key in names:
            if (key[0] == "F" and len(key) > 1) or key in ("Enter", "Tab"):
                self.page.keyboard.press(key)
            else:
                self.page.keyboard.type(key)
            self.page.wait_for_timeout(300)

    def log_in(self, user: str) -> None:
        self.wait_text("学分兑换 登录")
        self.page.locator("#terminal").click()
        self.keys(user, "Tab", "demo", "Enter")
        self.wait_text("信息查询")
