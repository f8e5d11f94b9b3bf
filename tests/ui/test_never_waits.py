"""The UI never waits on the store (issue 13, item 2): a SECOND PROCESS holds the
student's bucket lock while the student submits; the screen says it is working, Esc
and scrolling still answer, and the submit completes once the lock is released.

(That no store lock is ever taken on the event loop is proved by every UI test:
tests/ui/conftest.py ``no_lock_on_loop``.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.containers import VerticalScroll

from credx_tui.dialogs.confirm import ConfirmDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.store import files
from policy.models import Status
from tests.ui.conftest import (
    HAPPY_STUDENT,
    PASSWORD,
    SIZES,
    actor,
    attach_shot,
    open_exchange,
    screen_text,
    settle,
    until,
)
from tests.ui.test_journey import pick_target

WORKER = Path(__file__).with_name("live_worker.py")


@pytest.mark.parametrize("size", SIZES)
async def test_a_held_lock_leaves_the_screen_responsive(
    make, services, store, size, tmp_path, monkeypatch
):
    # The save waits for the lock while the test presses its keys: on a busy machine
    # those take longer than the store's 10 s "store busy" limit, which is not what is
    # tested here (tests/services test it); the lock is released below in any case.
    monkeypatch.setattr(files, "LOCK_TIMEOUT", 300.0)
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("f4")  # the suggested offer
        await settle(pilot)
        await attach_shot(pilot, tmp_path)
        screen = app.screen
        assert isinstance(screen, ApplyScreen)

        holder = subprocess.Popen(
            [sys.executable, str(WORKER), "hold", str(store.root), HAPPY_STUDENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdin is not None
            assert holder.stdout.readline().split() == ["held"]
            await pilot.press("f8")  # save, then submit: both wait for the lock
            await until(pilot, lambda: "正在保存" in screen_text(app), what="正在保存")
            assert app.screen is screen
            assert "正在保存" in screen_text(app)  # the screen says it is working
            # A second write is refused while the first waits, and said so.
            await pilot.press("f7")
            await pilot.pause()
            assert any("请稍候" in n.message for n in app._notifications)

            # Scrolling answers (the body scrolls to its end at 80x24) ...
            body = screen.query_one("#apply-body", VerticalScroll)
            body.focus()
            await pilot.press("end")
            await pilot.wait_for_animation()
            assert body.scroll_y == body.max_scroll_y
            if size == (80, 24):
                assert body.max_scroll_y > 0
            await pilot.press("home")
            await pilot.wait_for_animation()
            assert body.scroll_y == 0
            # ... and so does Esc: it asks before dropping the unsaved offer; Esc again
            # keeps it.  All while the other process still holds the lock.
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            assert holder.poll() is None
            assert services.applications(actor(services, HAPPY_STUDENT)) == []

            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.stdout.readline().split()[:1] == ["released"]
        finally:
            if holder.poll() is None:
                holder.kill()
            holder.wait(timeout=10)
        await settle(pilot)
        # The submit completed once the lock was released: back on 学分兑换.
        await until(pilot, lambda: isinstance(app.screen, ExchangeScreen), what=lambda: app.screen)
        assert isinstance(app.screen, ExchangeScreen)
        assert "审核中" in screen_text(app)
        assert not screen.working and not screen.is_attached
    apps = services.applications(actor(services, HAPPY_STUDENT))
    assert [a.status for a in apps] == [Status.UNDER_REVIEW]


async def test_the_hook_catches_a_lock_taken_on_the_event_loop(make, services, no_lock_on_loop):
    """The check every UI test makes can fail: a login (the account's lock) run by the
    app on its event loop is recorded; the same call from the test's own coroutine
    (setting up or reading back the store) is not the app's and is not."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        services.login(HAPPY_STUDENT, PASSWORD)  # the test's coroutine: excused
        assert no_lock_on_loop.found == []
        app.call_later(services.login, HAPPY_STUDENT, PASSWORD)  # the app's loop
        await pilot.pause()
        await pilot.pause()
        assert len(no_lock_on_loop.found) == 1
        assert "accounts-" in no_lock_on_loop.found[0]
        assert "on the UI thread" in no_lock_on_loop.found[0]
        no_lock_on_loop.found.clear()  # this test's own deliberate lock: not a failure
