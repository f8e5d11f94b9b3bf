"""The reviewer's queue while it loads (issue 13): it says 正在读取 / Loading, never a
false "共 0" or "没有符合条件的申请", and the rows and counts appear once the store has
answered.  The load is held back by a real gate (the service call waits on an event),
so what a reviewer sees on a big college for a moment is on screen for the test."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable

from credx_tui.screens.review_queue import ReviewQueueScreen
from credx_tui.services import Services

from .conftest import SIZES, login, screen_text, settle

WORDS = {
    "zh": ("正在读取", ("共 0", "没有符合条件的申请"), "共 "),
    "en": ("Loading", ("0 in all", "No application matches"), " in all"),
}


class HeldQueue(Services):
    """Services whose queue answers only when the test lets it."""

    gate: threading.Event

    def queue(self, *args, **kwargs):  # type: ignore[override]
        assert self.gate.wait(30), "the test never released the queue"
        return super().queue(*args, **kwargs)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_queue_says_it_is_loading_not_zero(make, services: Services, size, lang) -> None:
    held = HeldQueue(services.store, services.rules)
    held.gate = threading.Event()
    loading, false_words, counted = WORDS[lang]
    app = make(lang=lang, svc=held)
    async with app.run_test(size=size) as pilot:
        try:
            await login(pilot, "rev_zn")
            assert isinstance(app.screen, ReviewQueueScreen)
            for _ in range(3):
                await pilot.pause(0.05)
                shown = screen_text(app)
                assert loading in shown
                assert not any(word in shown for word in false_words), shown
            assert app.screen.query_one("#queue-table", DataTable).row_count == 0
        finally:
            held.gate.set()
        for _ in range(100):
            await settle(pilot)
            if app.screen.query_one("#queue-table", DataTable).row_count:
                break
            await pilot.pause(0.05)
        shown = screen_text(app)
        assert loading not in shown
        assert counted in shown
        assert app.screen.query_one("#queue-table", DataTable).row_count > 0
