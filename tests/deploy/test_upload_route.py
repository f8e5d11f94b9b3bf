"""``credx serve`` takes a student's grade screenshots from a phone (issue 10, item 1;
S4): a real server process on loopback, files posted with http.client.  Only the good
PNG is stored; a fake PNG, an over-long body (declared or endless chunked), a spent, a
foreign and an expired token are refused with a zh/en answer and change nothing."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from service_college import OTHER_STUDENT, STUDENT, login, make_store, png_bytes

from credx_tui.services import make_services
from credx_tui.services.links import make_upload_link
from credx_tui.store.admin import put_rules
from policy.models import SourceKind, SourceRef
from policy.rules import DEFAULT_RULES_PATH

pytestmark = pytest.mark.timeout(90)

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, token: str, body, name: str = "shot.png", app: str | None = None):
    """POST ``body`` (bytes, or an iterable sent chunked) to the upload route."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    query = f"?name={urllib.parse.quote(name)}" + (f"&app={app}" if app else "")
    try:
        if isinstance(body, bytes):
            conn.request("POST", f"/u/{token}{query}", body=body)
        else:
            conn.request("POST", f"/u/{token}{query}", body=body, encode_chunked=True)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture
def served(tmp_path: Path):
    store = make_store(tmp_path / "db")
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    text = text.replace("max_count = 5", "max_count = 1")
    text = text.replace('public_url = ""', 'public_url = "http://127.0.0.1/"')
    assert "max_count = 1" in text
    put_rules(store, text, "test")
    services = make_services(store)
    assert services.rules.attachments.max_count == 1
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "credx_tui.cli",
            "serve",
            "--db",
            str(store.root),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/u/nothing", timeout=2)
        except urllib.error.HTTPError as answer:
            assert answer.code == 404
            break
        except OSError:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "credx serve did not answer"
            time.sleep(0.2)
    yield services, port
    proc.terminate()
    proc.wait(10)


def test_only_the_good_screenshot_is_stored(served) -> None:
    services, port = served
    me = login(services, STUDENT)
    draft = services.save(me, "M1", [G1, G2])
    link = make_upload_link(services, me, draft.id)

    page = urllib.request.urlopen(link.url.replace("127.0.0.1/", f"127.0.0.1:{port}/"))
    text = page.read().decode()
    assert "上传成绩截图" in text and "Upload" in text and 'type="file" multiple' in text

    # A text file with a PNG header: refused by content, nothing stored.
    status, answer = post(port, link.token, b"\x89PNG\r\n\x1a\nnot an image at all", "a.png")
    assert status == 415 and not answer["ok"] and answer["zh"] and answer["en"]

    # 6 MB declared: 413 with zh/en, answered before the body is sent at all.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", f"/u/{link.token}?name=big.png")
    conn.putheader("Content-Length", str(6 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    assert response.status == 413 and "MB" in answer["zh"] and "limit" in answer["en"]

    # An endless chunked body: refused, the connection closes, nothing hangs.
    sent = [0]

    def endless():
        for _ in range(100_000):  # 6 GB: far beyond anything the server may read
            sent[0] += 1
            yield b"\0" * 65536

    try:
        status, answer = post(port, link.token, endless())
        assert status == 413
    except (ConnectionError, BrokenPipeError, http.client.HTTPException):
        pass  # the server closed the connection while we still wrote: also a refusal
    # 5 MB read plus the loopback socket buffers (about 140 chunks of 64 KiB here):
    # the server stopped reading at the limit.
    assert sent[0] < 400

    # Another student's token presented for this application: foreign.
    other = login(services, OTHER_STUDENT)
    their = services.save(other, "M1", [G1, G2])
    their_link = make_upload_link(services, other, their.id)
    status, answer = post(port, their_link.token, png_bytes("x"), app=draft.id)
    assert status == 403 and answer["zh"] and answer["en"]

    # The good PNG on the same link: the refusals above spent nothing.
    good = png_bytes("good")
    status, answer = post(port, link.token, good, "成绩截图.png", app=draft.id)
    assert status == 200 and answer["ok"] and answer["name"] == "成绩截图.png"
    assert answer["sha256"] == answer_sha(good)
    # Reused after max_count (1 here): used.
    status, answer = post(port, link.token, png_bytes("again"))
    assert status == 410 and answer["zh"] and answer["en"]

    # An expired token: made 16 minutes ago by an injected clock.
    real = services.clock
    services.clock = lambda: real() - timedelta(minutes=16)
    old = make_upload_link(services, me, draft.id)
    services.clock = real
    status, answer = post(port, old.token, png_bytes("y"))
    assert status == 410 and "过期" in answer["zh"] and "expired" in answer["en"]

    # Opening a spent or an unknown link gives a plain zh/en page, not the form.
    for token, code in ((link.token, 410), (link.token[:-3] + "zzz", 404)):
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/u/{token}", timeout=10)
        body = gone.value.read().decode()
        assert gone.value.code == code and "链接不可用" in body and "cannot be used" in body
        assert 'type="file"' not in body

    attachments = services.application(me, draft.id).attachments
    assert [a.sha256 for a in attachments] == [answer_sha(good)]
    assert not services.application(other, their.id).attachments


def test_a_closed_application_gets_409_and_keeps_everything(served) -> None:
    """Issue 10, item 4: a link made for a draft that was submitted since (审核中), and
    later approved (审核通过): the page is a zh/en 409 without the form, a POST is
    refused 409 with zh/en, and the store does not change."""
    from service_college import shot

    services, port = served
    me = login(services, STUDENT)
    draft = services.save(me, "M1", [G1, G2], attachments=shot(services, me))
    link = make_upload_link(services, me, draft.id)
    services.submit(me, draft.id)
    hot = services.store.hot_path(draft.college, STUDENT)
    late = png_bytes("late")

    def refused_everything(status_zh: str) -> None:
        before = hot.read_bytes()
        with pytest.raises(urllib.error.HTTPError) as closed:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/u/{link.token}", timeout=10)
        body = closed.value.read().decode()
        assert closed.value.code == 409, body
        assert "申请已不能添加附件" in body and "takes no more files" in body
        assert status_zh in body and 'type="file"' not in body
        status, answer = post(port, link.token, late, "late.png", app=draft.id)
        assert status == 409 and status_zh in answer["zh"] and "no longer" in answer["en"]
        assert hot.read_bytes() == before
        assert not services.store.attachment_path(answer_sha(late)).exists()

    refused_everything("审核中")
    rev = login(services, "rev")
    for _ in range(5):
        app = services.application(rev, draft.id)
        if app.status.value != "审核中":
            break
        services.approve(rev, draft.id, expected_revision=app.revision)
    assert services.application(me, draft.id).status.value == "审核通过"
    refused_everything("审核通过")
    assert len(services.application(me, draft.id).attachments) == 1


def answer_sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
def test_a_phone_uploads_through_the_page(served, tmp_path: Path) -> None:
    """In real Chromium at a phone's width: the page posts each chosen file and lists
    the server's answer; a too-big file is named as such; the good one is stored."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    services, port = served
    me = login(services, STUDENT)
    draft = services.save(me, "M1", [G1, G2])
    link = make_upload_link(services, me, draft.id)
    good = tmp_path / "成绩截图.png"
    good.write_bytes(png_bytes("phone"))
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\njust text")
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (6 * 1024 * 1024))
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"http://127.0.0.1:{port}/u/{link.token}")
            page.set_input_files("#files", [str(fake), str(big), str(good)])
            page.wait_for_function("document.querySelectorAll('#list li').length == 3")
            page.wait_for_function(
                "[...document.querySelectorAll('#list li')].every(li => li.className)",
                timeout=15000,
            )
            items = page.locator("#list li").all_inner_texts()
        finally:
            browser.close()
    assert items[0].startswith("✗ fake.png")
    assert items[1].startswith("✗ big.png") and "MB" in items[1]
    assert items[2].startswith("✓ 成绩截图.png") and "received" in items[2]
    attachments = services.application(me, draft.id).attachments
    assert [a.filename for a in attachments] == ["成绩截图.png"]
