"""The browser front door (issue 9, item 3; issue 17) in Debian's real Chromium.

``credx serve`` runs as a throw-away service account on a demo store it owns, on a free
loopback port.  Playwright drives /usr/bin/chromium (never a downloaded browser).  The
terminal is drawn by xterm.js on a canvas, so the test reads the screen from the very
bytes the browser received on the websocket, fed to a terminal emulator (pyte): what
the browser shows, not what the server meant to send."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest

from tests.deploy.conftest import alive, credx_pids, proc_cpu_seconds, wait_for

playwright_api = pytest.importorskip("playwright.sync_api")
pyte = pytest.importorskip("pyte")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serving:
    """A running ``credx serve`` of the service account."""

    def __init__(self, account, store: Path, credx: Path, *extra: str) -> None:
        self.account, self.store = account, store
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = store.parent / f"serve-{self.port}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    *("runuser", "-u", account.name, "--", str(credx), "--db", str(store)),
                    *("serve", "--port", str(self.port), *extra),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd="/",
            )

        def up() -> bool:
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return True
            except urllib.error.HTTPError:
                return True
            except OSError:
                assert self.proc.poll() is None, self.log.read_text()
                return False

        wait_for(up, 30, "credx serve to answer")

    def sessions(self) -> list[int]:
        """Pids of the session processes (credx_tui.cli run by the server)."""
        return [
            pid
            for pid in credx_pids(self.account.uid, str(self.store))
            if pid != self.proc.pid and b"serve" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def serving(service_store, system_credx) -> Iterator[callable]:
    started: list[Serving] = []

    def start(*extra: str) -> Serving:
        account, store = service_store
        server = Serving(account, store, system_credx, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """One browser context with the credx page, and the screen its terminal shows."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.screen: pyte.Screen | None = None
        self.stream: pyte.ByteStream | None = None
        self.page.on("websocket", self._websocket)
        self.response = self.page.goto(url)

    def _websocket(self, ws) -> None:
        query = parse_qs(urlparse(ws.url).query)
        width, height = int(query["width"][0]), int(query["height"][0])
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, bytes) and self.stream is not None:
            self.stream.feed(payload)

    def text(self) -> str:
        return "\n".join(self.screen.display) if self.screen is not None else ""

    def wait_text(self, *needles: str, timeout: float = 30) -> str:
        """Wait until the terminal shows every one of ``needles``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.text()
            if all(n in shown for n in needles):
                return shown
            self.page.wait_for_timeout(100)  # lets Playwright deliver the frames
        raise AssertionError(f"{needles} never shown; the terminal:\n{self.text()}")

    def keys(self, *keys: str) -> None:
        """Type text or press a named key (``"F8"``, ``"Enter"``) into the terminal."""
        for key in keys:
            if len(key) > 1 and (key[0] == "F" or key in ("Enter", "Tab", "Escape")):
                self.page.keyboard.press(key)
            else:
                self.page.keyboard.type(key)
            self.page.wait_for_timeout(300)

    def log_in(self, user: str, password: str = "demo") -> None:
        self.wait_text("学分兑换 登录")
        self.page.locator("#terminal").click()
        self.keys(user, "Tab", password, "Enter")


def test_student_and_reviewer_in_two_browsers(serving, browser) -> None:
    server = serving()
    student = Tab(browser, server.url)
    student.log_in("2023110102")
    student.wait_text("信息查询", "学分兑换")
    student.keys("F4")
    student.wait_text("申请结果", "审核中")

    reviewer = Tab(browser, server.url)
    reviewer.log_in("rev_zn")
    reviewer.wait_text("审核队列", "2023110102", "待我审核 1")
    reviewer.keys("Enter")
    reviewer.wait_text("审核申请 XF2026-0002")
    reviewer.keys("F8")
    reviewer.wait_text("确定")
    reviewer.keys("Enter")
    reviewer.wait_text("已审核通过：XF2026-0002")

    student.keys("F5")  # refresh (the screen is live too): the other browser's decision
    shown = student.wait_text("虚拟化技术    审核通过")
    [row] = [line for line in shown.splitlines() if "查看" in line]
    assert "虚拟化技术" in row and "审核通过" in row and "审核中" not in row
    assert len(server.sessions()) == 2

    # The tab closes: its credx process is gone within 3 s (issue 17).
    pid = max(server.sessions())
    reviewer.context.close()
    student.context.close()
    wait_for(lambda: not server.sessions(), 3, "the session processes to end")
    assert not alive(pid)


def test_session_limit_idle_cpu_and_tab_close(serving, browser) -> None:
    server = serving("--max-sessions", "1")
    first = Tab(browser, server.url)
    first.wait_text("学分兑换 登录")
    [pid] = wait_for(server.sessions, 10, "the session process")

    second = Tab(browser, server.url)
    assert second.response.status == 503
    body = second.page.inner_text("body")
    assert "当前在线人数已满" in body and "All sessions are in use" in body
    second.page.wait_for_timeout(1000)
    assert server.sessions() == [pid], "the session over the limit started a process"

    # An idle session process (login screen, browser open) uses no measurable CPU.
    before, start = proc_cpu_seconds(pid), time.monotonic()
    first.page.wait_for_timeout(10_000)
    share = (proc_cpu_seconds(pid) - before) / (time.monotonic() - start)
    assert share < 0.01, f"idle session process used {share:.1%} of a core"

    first.context.close()
    closed = time.monotonic()
    while alive(pid) and time.monotonic() - closed < 30:  # bounded, generous: a busy CI
        time.sleep(0.05)
    assert not alive(pid), "the session's credx outlived its closed tab by 30 s"
    # The place is free again.
    second.page.reload()
    second.wait_text("学分兑换 登录")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data") and value:
                self.urls.append(value)


def test_nothing_from_another_host_and_no_listing(serving, browser) -> None:
    server = serving()
    with urllib.request.urlopen(server.url, timeout=5) as r:
        page = r.read().decode()
    links = _Links()
    links.feed(page)
    assert links.urls, "the page names no script or style at all?"
    for url in links.urls:
        parsed = urlparse(url)
        if parsed.scheme == "data":  # inline, no request at all
            continue
        assert not parsed.scheme and not parsed.netloc, f"{url} is not relative"
    for url in links.urls:  # and they are all there
        if url.startswith("data:"):
            continue
        with urllib.request.urlopen(urljoin(server.url, url), timeout=5) as r:
            assert r.status == 200, url
            if url.endswith(".css"):
                css = r.read().decode()
                for ref in css.split("url(")[1:]:
                    target = ref.split(")", 1)[0].strip("'\" ")
                    assert not urlparse(target).netloc and not target.startswith("//"), target

    for folder in ("static/", "static/js/", "static/css/", "assets/", "assets/fonts/"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urljoin(server.url, folder), timeout=5)
        assert refused.value.code in (403, 404), folder

    tab = Tab(browser, server.url)
    tab.wait_text("学分兑换 登录")
    tab.page.wait_for_timeout(500)
    origin = f"127.0.0.1:{server.port}"
    foreign = [u for u in tab.requests if urlparse(u).netloc not in (origin, "")]
    assert not foreign, f"the page asked another host: {foreign}"
    fonts = [u for u in tab.requests if u.endswith(".ttf")]
    assert fonts, "the page's own font was not loaded"
    tab.context.close()
