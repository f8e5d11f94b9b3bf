"""An app left alone uses no CPU (tests/deploy/test_hangup.py measures it under 1% of a
core): the full garbage collection that runs while nobody types (credx_tui/heap.py)
runs once after something happened (a key, a click, a store change), not every
``FULL_EVERY`` seconds for as long as the terminal stays open.  A run found an idle
portal at 1.2% of a core from that collection alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from credx_tui import heap
from credx_tui.app import CredxApp

from .conftest import SIZES


@pytest.mark.parametrize("size", SIZES)
async def test_an_idle_app_collects_once_then_waits_for_work(
    make: Callable[..., CredxApp], monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    ran: list[float] = []

    def collect(idle_for: float) -> bool:
        ran.append(idle_for)
        return True

    monkeypatch.setattr(heap, "collect_if_idle", collect)
    app = make()
    async with app.run_test(size=size) as pilot:
        app._last_activity = app.idle_clock() - 60  # nobody has typed for a minute
        app._collect_when_idle()
        assert len(ran) == 1, "the first idle look collects what start-up left"
        for _ in range(3):
            app._collect_when_idle()
        assert len(ran) == 1, "nothing happened since: no collection, no CPU"
        await pilot.press("tab")  # someone works
        app._last_activity = app.idle_clock() - 60
        app._collect_when_idle()
        assert len(ran) == 2, "after work, the next idle look collects again"
