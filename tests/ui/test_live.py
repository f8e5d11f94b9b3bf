"""Live screens (issue 13, item 3): a change made by a SECOND PROCESS (a real credx
process writing through the services, ``live_worker.py``) appears on the first app's
screen within 2 s, without a key press."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from credx_tui.screens.trail import TrailScreen
from tests.ui.conftest import SIZES, UNDER_REVIEW_STUDENT, open_exchange, screen_text, settle

WORKER = Path(__file__).with_name("live_worker.py")
WITHIN = 2.0
"""Seconds from the other process's commit to the screen showing it (issue 13)."""
ZN_UNDER_REVIEW = "XF2026-0002"
"""周雨桐's 虚拟化技术, waiting for rev_zn."""


def other_process(root: Path, *args: str) -> float:
    """Run one write in a second credx process; when (monotonic) it was committed."""
    done = subprocess.run(
        [sys.executable, str(WORKER), args[0], str(root), *args[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    words = done.stdout.split()
    assert words[:1] == ["done"], done.stdout + done.stderr
    return float(words[1])


async def shown_within(pilot: Pilot, seen, committed: float) -> bool:
    """Wait (without a key) until ``seen()`` holds, at most WITHIN seconds after the
    other process's commit."""
    while time.monotonic() - committed < WITHIN:
        if seen():
            return True
        await pilot.pause(0.02)
    return seen()


@pytest.mark.parametrize("size", SIZES)
async def test_student_sees_the_return_and_its_reason(make, store, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrailScreen)
        assert "审核中" in screen_text(app)
        assert screen.check_action("withdraw", ()) is True
        reason = "请补充补考成绩截图"
        committed = other_process(store.root, "return", "rev_zn", ZN_UNDER_REVIEW, reason)
        assert await shown_within(pilot, lambda: reason in screen_text(app), committed)
        shown = screen_text(app)
        assert "退回原因：" + reason in shown and "被退回" in shown
        # 撤回 is no longer offered; F7 修改 and F8 重新提交 are.
        assert screen.check_action("withdraw", ()) is False
        assert screen.check_action("resubmit", ()) is True
        await pilot.pause()
        footer = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "withdraw" not in footer and "resubmit" in footer
