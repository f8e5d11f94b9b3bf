"""Issue 15: what newcomers tripped on, at the screens (Pilot, real keys)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from textual import events
from textual.widgets import Input

from credx_tui.app import CredxApp

from .conftest import HAPPY_STUDENT, PASSWORD, SIZES, settle


def burst(app: CredxApp, keys: Iterable[str]) -> None:
    """Queue ``keys`` to the app in one go, as a paste, typing ahead or a slow SSH link
    delivers them: no key waits for the one before it to be handled (``pilot.press``
    waits for the app to idle after every key, which hides the race)."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        char = {"tab": "\t", "shift+tab": None}.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)


@pytest.mark.parametrize("size", SIZES)
async def test_tab_in_one_burst_moves_to_the_password(make, size) -> None:
    app = make()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        burst(app, [*HAPPY_STUDENT, "tab", *PASSWORD])
        await settle(pilot)
        assert app.screen.query_one("#username", Input).value == HAPPY_STUDENT
        assert app.screen.query_one("#password", Input).value == PASSWORD
        burst(app, ["shift+tab", *"9"])
        await settle(pilot)
        assert app.screen.query_one("#username", Input).value == HAPPY_STUDENT + "9"
        assert app.screen.query_one("#password", Input).value == PASSWORD


async def test_tab_pressed_in_one_go_then_enter_logs_in(make) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*HAPPY_STUDENT, "tab", *PASSWORD, "enter")
        await settle(pilot)
        assert app.screen.id != "login"
        assert app.actor is not None and app.actor.username == HAPPY_STUDENT
