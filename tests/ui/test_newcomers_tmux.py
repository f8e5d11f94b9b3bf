"""Issue 15 in a real terminal: credx in tmux, keys sent as one write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(90)

SOCKET = f"credx-newcomers-{os.getpid()}"
CREDX = Path(sys.executable).with_name("credx")


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """A tmux command on this test's own server."""
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check
    )


def pane(session: str) -> str:
    """The visible text of the pane."""
    return tmux("capture-pane", "-p", "-t", session, check=False).stdout


def wait_pane(session: str, text: str, timeout: float = 30) -> str:
    """Wait until the pane shows ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = pane(session)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never shown; the pane:\n{pane(session)}")


@pytest.fixture
def credx_in_tmux(tmp_path: Path) -> Iterator[str]:
    """credx on a fresh demo store in a detached 80x24 tmux session."""
    if shutil.which("tmux") is None or not CREDX.exists():
        pytest.skip("needs tmux and the credx script")
    db = tmp_path / "db"
    subprocess.run([str(CREDX), "--db", str(db), "demo"], check=True, capture_output=True)
    tmux(
        "new-session", "-d", "-s", "nc", "-x", "80", "-y", "24",
        "env", "TERM=xterm-256color", "LANG=C.UTF-8", str(CREDX), "--db", str(db),
    )  # fmt: skip
    try:
        yield "nc"
    finally:
        tmux("kill-server", check=False)


def test_login_typed_as_one_write_keeps_the_tab(credx_in_tmux: str) -> None:
    session = credx_in_tmux
    wait_pane(session, "学分兑换 登录")
    tmux("send-keys", "-t", session, "-l", "2018110101\tdemo")
    shown = wait_pane(session, "2018110101")
    time.sleep(0.5)
    shown = pane(session)
    assert "2018110101demo" not in shown
    assert "demo" not in shown  # the password is masked, never shown in clear
    tmux("send-keys", "-t", session, "Enter")
    wait_pane(session, "信息查询")
