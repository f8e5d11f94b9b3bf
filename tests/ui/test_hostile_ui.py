"""Issue 11 at the screens: a FIFO, a device or a file name full of escape sequences
chosen in the 申请 attach dialog is refused or cleaned without freezing the app, and no
control character ever reaches the terminal (Textual passes ESC through by itself)."""

from __future__ import annotations

import os

import pytest
from textual.widgets import Input, Static

from credx_tui.screens.apply import ApplyScreen
from credx_tui.terminal_safety import translate_table

from .conftest import HAPPY_STUDENT, SIZES, open_exchange, screen_text, settle
from .test_journey import _png, pick_target


@pytest.mark.timeout(60)
@pytest.mark.parametrize("size", SIZES)
async def test_fifo_device_and_escape_names_in_the_attach_dialog(make, tmp_path, size):
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    evil = tmp_path / "\x1b]0;owned\x07shot.png"
    evil.write_bytes(_png(b"evil"))
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        for path, expected in (
            (fifo, "不是普通文件"),
            ("/dev/zero", "不是普通文件"),
            (evil, "已添加附件"),
        ):
            await pilot.press("f6")
            await settle(pilot)
            app.screen.query_one("#attach-path", Input).value = str(path)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ApplyScreen)
            shown = screen_text(app)
            assert expected in shown
            assert "\x1b" not in shown and "\x07" not in shown
        assert "_]0;owned_shot.png" in screen_text(app)


async def test_control_characters_are_drawn_visibly_never_sent(make) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.mount(Static("看\x1b]0;owned\x07\x9b31m\u202e完", id="probe", markup=False))
        await pilot.pause()
        probe = app.screen.query_one("#probe", Static)
        text = "".join(
            s.text for strip in probe.render_lines(probe.region.reset_offset) for s in strip
        )
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
        assert "\u241b" in text  # ESC shown as its control picture
    assert all(len(v) == 1 for v in translate_table().values())  # one cell each
