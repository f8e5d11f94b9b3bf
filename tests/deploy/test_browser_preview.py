"""Issue 10's Chromium list, the reviewer's side: in real Chromium through ``credx
serve``, a reviewer opens an application and the attachment preview (item 3) is drawn
in the browser's terminal: the cells the websocket brought hold the image's half-blocks,
and a screenshot of exactly that region of the page is a picture, not a blank area."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy.test_download_route import CHROMIUM, CHROMIUM_ARGS, BrowserTab
from deploy.test_upload_route import free_port

HALF_BLOCKS = {"\u2580", "\u2584"}


def preview_cells(screen) -> tuple[int, int, int, int]:
    """The bounding box (x0, y0, x1, y1) of the half-block cells on the pyte screen."""
    found = [
        (x, y)
        for y in range(screen.lines)
        for x, cell in screen.buffer[y].items()
        if cell.data in HALF_BLOCKS
    ]
    assert found, "no half-block cells on the screen"
    xs, ys = [x for x, _ in found], [y for _, y in found]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


@pytest.mark.timeout(180)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
def test_the_reviewer_sees_the_screenshot_in_the_browser(tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    pyte = pytest.importorskip("pyte")
    from PIL import Image, ImageStat

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
                reviewer = BrowserTab(browser, f"http://127.0.0.1:{port}/", pyte)
                reviewer.wait_text("学分兑换 登录")
                reviewer.page.locator("#terminal").click()
                reviewer.keys("rev_zn", "Tab", "demo", "Enter")
                reviewer.wait_text("审核队列", "XF2026-0002")
                reviewer.keys("Enter")
                reviewer.wait_text("审核申请 XF2026-0002", "成绩截图.png")
                screen = reviewer.screen
                end = time.monotonic() + 30
                while not any(
                    c.data in HALF_BLOCKS for row in screen.buffer.values() for c in row.values()
                ):
                    assert time.monotonic() < end, "\n".join(screen.display)
                    reviewer.page.wait_for_timeout(200)
                reviewer.page.wait_for_timeout(1000)  # xterm.js draws the last frame
                x0, y0, x1, y1 = preview_cells(screen)
                assert (x1 - x0) >= 20 and (y1 - y0) >= 5, (x0, y0, x1, y1)
                box = reviewer.page.locator(".xterm-screen").bounding_box()
                cell_w, cell_h = box["width"] / screen.columns, box["height"] / screen.lines
                clip = {
                    "x": box["x"] + x0 * cell_w,
                    "y": box["y"] + y0 * cell_h,
                    "width": (x1 - x0) * cell_w,
                    "height": (y1 - y0) * cell_h,
                }
                shot = reviewer.page.screenshot(clip=clip)
                # The terminal's own background: a blank cell at the right of row 1.
                whole = reviewer.page.screenshot()
                ground_at = (
                    int(box["x"] + box["width"] - 4 * cell_w),
                    int(box["y"] + 1.5 * cell_h),
                )
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    picture = Image.open(io.BytesIO(shot)).convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 20) or []
    spread = ImageStat.Stat(picture).stddev
    assert len(colours) >= 16, len(colours)  # an image, not one flat colour
    assert max(spread) > 10, spread
    ground = Image.open(io.BytesIO(whole)).convert("RGB").getpixel(ground_at)
    pixels = picture.width * picture.height
    off_ground = sum(n for n, colour in colours if colour != ground)
    assert off_ground > pixels * 0.9, (ground, off_ground, pixels)  # drawn all over
