"""Issue 10's upload path end to end with real processes (Tests, first item): ``credx
serve`` on loopback and the student's credx in tmux at 80x24.  The student opens 申请,
picks the course and presses Ctrl+U (the draft is saved first); the test reads the
link from the pane (as text, and from the QR code's colours through a real decoder, as a
phone would), then posts with http.client: a PNG header on a text file, a 6 MB file, an
endless chunked body, another student's token, the good PNG, the spent token again and
an expired token (injected clock).  Only the good PNG is stored, and the pane shows it
without a key press; a save afterwards keeps it."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from tests.deploy.conftest import send_keys, tmux, wait_for, wait_screen
from tests.ui.qr_cells import decode_modules

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from service_college import OTHER_STUDENT, STUDENT, login, make_store, png_bytes

from credx_tui.services import make_services
from credx_tui.services.links import make_upload_link
from credx_tui.store.admin import put_rules
from deploy.test_upload_route import G1, G2, answer_sha, free_port, post
from policy.rules import DEFAULT_RULES_PATH

pytestmark = pytest.mark.timeout(150)

SGR = re.compile(r"\x1b\[([0-9;]*)m|(.)")
HALF_BLOCK = "\u2580"
TOKEN_LENGTH = 17 + 43


def _dark(colour: tuple[str, ...] | None) -> bool:
    """Whether a colour as tmux wrote it (``5;N`` or ``2;R;G;B``; None: the default)
    is dark: the QR's black modules."""
    if colour is None:
        return False
    if colour[0] == "5":
        n = int(colour[1])
        if n < 16:
            return n in (0, 8)
        if n >= 232:
            return n < 244
        n -= 16
        return sum((n // 36, n // 6 % 6, n % 6)) < 8
    return sum(int(c) for c in colour[1:4]) < 384


def qr_from_pane(session: str) -> str:
    """Decode the QR code the pane shows, from tmux's cells and colours."""
    text = tmux("capture-pane", "-p", "-e", "-t", session, check=False).stdout
    rows: list[list[bool]] = []
    for line in text.splitlines():
        fg: tuple[str, ...] | None = None
        bg: tuple[str, ...] | None = None
        run: list[tuple[bool, bool]] = []
        best: list[tuple[bool, bool]] = []
        for match in SGR.finditer(line):
            if match.group(2) is None:
                codes = (match.group(1) or "0").split(";")
                i = 0
                while i < len(codes):
                    code = codes[i]
                    if code in ("38", "48"):
                        size = 3 if codes[i + 1] == "5" else 5
                        value = tuple(codes[i + 1 : i + size - 1 + 1])
                        if code == "38":
                            fg = value
                        else:
                            bg = value
                        i += size
                        continue
                    if code == "0":
                        fg = bg = None
                    elif code == "39":
                        fg = None
                    elif code == "49":
                        bg = None
                    i += 1
                continue
            if match.group(2) == HALF_BLOCK:
                run.append((_dark(fg), _dark(bg)))
            else:
                best = max(best, run, key=len)
                run = []
        best = max(best, run, key=len)
        if len(best) >= 21:
            rows.append([top for top, _ in best])
            rows.append([bottom for _, bottom in best])
    return decode_modules(rows)


def link_from_pane(screen: str) -> str:
    """The upload link as the dialog prints it, wrapped over several lines."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if "http://127.0.0.1:" in line:
            col = line.index("http://")
            url = line[col:].rstrip(" |")
            for follow in lines[i + 1 :]:
                if len(url.rsplit("/", 1)[1]) >= TOKEN_LENGTH:
                    break
                url += follow[col:].rstrip(" |")
            return url
    raise AssertionError(f"no link on the pane:\n{screen}")


@pytest.fixture
def college(tmp_path: Path):
    """The test college, its rules with this port's public_url and one file per link,
    and credx serve on it."""
    port = free_port()
    store = make_store(tmp_path / "db")
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    text = text.replace("max_count = 5", "max_count = 1")
    text = text.replace('public_url = ""', f'public_url = "http://127.0.0.1:{port}/"')
    put_rules(store, text, "test")
    services = make_services(store)
    log = (tmp_path / "serve.log").open("wb")
    cli = [sys.executable, "-m", "credx_tui.cli", "--db", str(store.root)]
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], stdout=log, stderr=log)

    def up() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/u/x", timeout=2)
        except urllib.error.HTTPError:
            return True
        except OSError:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
        return False

    try:
        wait_for(up, 30, "credx serve to answer")
        yield services, port, cli
    finally:
        server.terminate()
        server.wait(10)


def test_a_phone_upload_reaches_the_terminal(college, tmux_server) -> None:
    services, port, cli = college
    session = "up10e2e"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", " ".join(cli))
    wait_screen(session, "学分兑换 登录")
    tmux("send-keys", "-t", session, "-l", f"{STUDENT}\tpw")
    send_keys(session, "Enter")
    wait_screen(session, "信息查询")
    send_keys(session, "F4")
    wait_screen(session, "申请结果")
    send_keys(session, "F7")
    wait_screen(session, "拟兑换课程")
    send_keys(session, "Enter")  # the first course offered
    wait_screen(session, "(*) 高等数学(2-1)")
    time.sleep(0.5)
    send_keys(session, "Enter")  # tick two 2-credit electives
    wait_screen(session, "[x] 书法鉴赏")
    send_keys(session, "Down", "Enter")
    wait_screen(session, "：满足兑换比例")
    send_keys(session, "C-u")  # saves the draft, then the link
    screen = wait_screen(session, "用手机上传附件")
    assert "等待上传" in screen

    url = link_from_pane(screen)
    assert url.startswith(f"http://127.0.0.1:{port}/u/")
    assert qr_from_pane(session) == url  # what a phone scanning the terminal gets
    token = url.rsplit("/", 1)[1]
    me = login(services, STUDENT)
    [draft] = services.applications(me)
    assert draft.status.value == "无流程" and draft.attachments == []

    # A text file with a PNG header.
    status, answer = post(port, token, b"\x89PNG\r\n\x1a\njust some text", "fake.png")
    assert status == 415 and answer["zh"] and answer["en"]

    # A 6 MB file (over max_bytes, 5 MB), then an endless chunked body: both cut off
    # at the limit (413, or the connection dropped while we still wrote), nothing hangs.
    sent = [0]

    def endless():
        for _ in range(100_000):  # 6 GB: far beyond anything the server may read
            sent[0] += 1
            yield b"\0" * 65536

    for body in (b"\0" * (6 * 1024 * 1024), endless()):
        try:
            status, answer = post(port, token, body, "big.png")
            assert status == 413 and "MB" in answer["zh"]
        except (ConnectionError, http.client.HTTPException):
            pass
    # 5 MB read plus the loopback socket buffers (test_upload_route.py: about 140 chunks
    # of 64 KiB): the server stopped reading at the limit (no time bound: a busy machine).
    assert sent[0] < 400

    # Another student's token, presented for this draft.
    other = login(services, OTHER_STUDENT)
    theirs = services.save(other, "M1", [G1, G2])
    status, answer = post(
        port, make_upload_link(services, other, theirs.id).token, png_bytes("x"), app=draft.id
    )
    assert status == 403

    # The good screenshot: stored, and shown by the TUI without a key press.
    good = png_bytes("good")
    status, answer = post(port, token, good, "成绩截图.png", app=draft.id)
    assert status == 200 and answer["ok"] and answer["sha256"] == answer_sha(good)
    wait_screen(session, "已收到：成绩截图.png", timeout=10)

    # The spent token again, and an expired one (made 16 minutes ago).
    status, answer = post(port, token, png_bytes("again"), "again.png")
    assert status == 410
    real = services.clock
    services.clock = lambda: real() - timedelta(minutes=16)
    old = make_upload_link(services, me, draft.id)
    services.clock = real
    status, answer = post(port, old.token, png_bytes("late"), "late.png")
    assert status == 410 and "expired" in answer["en"]

    stored = services.application(me, draft.id).attachments
    assert [(a.filename, a.sha256) for a in stored] == [("成绩截图.png", answer_sha(good))]
    assert not services.application(other, theirs.id).attachments

    # Back on 申请 the file is listed; a save (F7) keeps it.
    send_keys(session, "Escape")
    screen = wait_screen(session, "成绩截图.png  image/png")
    assert "【S4】" not in screen
    saved = services.application(me, draft.id).revision
    send_keys(session, "F7")
    wait_for(lambda: services.application(me, draft.id).revision > saved, 10, "the save to land")
    assert [a.sha256 for a in services.application(me, draft.id).attachments] == [answer_sha(good)]
