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


STORM_KEYS = ["escape", "f2", "f3", "f4", "f6", "f7", "f9", "enter", "resize"]
"""What the crash of issue 15 was made of: screen changes, language switches, resizes."""
STORM_SIZES = [(40, 12), (80, 24), (120, 40), (100, 30)]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", [15, 1501, 20260301])
async def test_key_storms_leave_the_app_alive_on_a_screen(make, seed) -> None:
    import random

    from textual.screen import Screen

    chooser = random.Random(seed)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        burst(app, [*HAPPY_STUDENT, "tab", *PASSWORD, "enter"])
        await settle(pilot)
        for _ in range(6):
            keys = [chooser.choice(STORM_KEYS) for _ in range(12)]
            for key in keys:
                if key == "resize":
                    await pilot.resize_terminal(*chooser.choice(STORM_SIZES))
                else:
                    burst(app, [key])
            await settle(pilot)
            await pilot.pause(0.05)
            assert app.is_running and app.return_code is None, keys
            assert isinstance(app.screen, Screen) and app.screen.is_mounted, keys
            assert app.screen.query("*"), keys  # something is drawn, not a blank page


ISSUE_STORM = [
    *["escape", "escape", "f4", "f7", "escape", "f3", "f6", "escape", "escape", "f4"],
    *["enter", "f9", "escape", "f2", "f2", "f2", "f2", "f7"],
]
"""The burst after which the app died with ``NoMatches: HeaderTitle`` (issue 15)."""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("username", [HAPPY_STUDENT, "2023110106"])
async def test_the_storm_of_the_issue_then_a_resize(make, username) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        burst(app, [*username, "tab", *PASSWORD, "enter"])
        await settle(pilot)
        burst(app, ISSUE_STORM)
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert app.screen.is_mounted and app.screen.query("Header")
        burst(app, ["f3", "f3", "enter", "enter"])  # the same screen twice in one go
        await settle(pilot)
        assert app.is_running and app.return_code is None
        ids = [screen.id for screen in app.screen_stack if screen.id]
        assert len(ids) == len(set(ids)), ids


@pytest.mark.timeout(60)
@pytest.mark.parametrize("size", SIZES)
async def test_ctrl_q_on_a_filled_in_form_asks_first(make, size) -> None:
    from credx_tui.dialogs.confirm import ConfirmDialog
    from credx_tui.screens.apply import ApplyScreen

    from .conftest import open_exchange
    from .test_journey import pick_target

    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ConfirmDialog)
        assert "确定退出" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("escape")  # 取消: the form stays as it was
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ApplyScreen)
        assert app.screen.target is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("enter")  # 确定
        await settle(pilot)
    assert app.return_code == 0


async def test_ctrl_q_with_nothing_typed_quits_at_once(make) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


def ambiguous_cells(app: CredxApp) -> set[str]:
    """Every East-Asian-ambiguous character in the cells the app draws now."""
    import unicodedata

    found: set[str] = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            found.update(ch for ch in segment.text if unicodedata.east_asian_width(ch) == "A")
    return found


@pytest.mark.timeout(120)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
async def test_no_ambiguous_width_cell_on_any_screen(make, store, lang, size) -> None:
    from .conftest import login
    from .test_journey import pick_target

    app = make(lang=lang)
    seen: dict[str, set[str]] = {}

    async def look(name: str) -> None:
        await settle(pilot)
        seen[name] = ambiguous_cells(app)

    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press(*HAPPY_STUDENT, "tab", *PASSWORD)
        app.notify("toast: " + "x" * 30, timeout=30)
        await look("login with a password typed and a toast")
        await pilot.press("enter")
        await look("portal")
        await pilot.press("f3")
        await look("transcript")
        await pilot.press("escape", "f4")
        await look("exchange")
        await pilot.press("f7")
        await look("apply")
        await pick_target(pilot, "高等数学(2-1)")
        await look("apply with a course")
        await pilot.press("f3")
        await look("hidden courses dialog")
        await pilot.press("escape", "f6")
        await look("attach dialog (file tree)")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("escape")
        app.action_logout()
        await settle(pilot)
        await login(pilot, "rev_zn")
        await look("review queue")
        app.screen.query_one("#queue-status").focus()
        await pilot.press("enter")
        await look("review queue, status filter open")
    # No exemption for anything credx or Textual draws (ux15b item 4: the scrollbars
    # draw whole cells); only the data's own characters (a course named 建筑材料——石膏涂料
    # keeps its name) may be ambiguous.
    import unicodedata

    from .test_english import data_corpus

    data = {ch for ch in data_corpus(store) if unicodedata.east_asian_width(ch) == "A"}
    assert {name: cells - data for name, cells in seen.items() if cells - data} == {}


async def test_a_screen_reopened_while_its_last_copy_is_still_leaving(make) -> None:
    """Escape then Enter in one burst: the trail is popped, and before Textual has
    removed it the Enter pushes a new trail with the same id.  Textual died on the
    duplicate id (CI, session 6); the push now waits for the old copy to go."""
    from credx_tui.screens.exchange import ExchangeScreen
    from credx_tui.screens.trail import TrailScreen

    from .conftest import RETURNED_STUDENT, open_exchange

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        first = app.screen
        assert isinstance(first, TrailScreen)
        app.pop_screen()  # no await: the old trail is still a child of the app
        exchange = app.screen
        assert isinstance(exchange, ExchangeScreen)
        exchange.open_trail(first.application_id)
        exchange.open_trail(first.application_id)  # and a repeat is still dropped
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, TrailScreen) and app.screen is not first
        assert [s.id for s in app.screen_stack].count("trail") == 1
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)


async def test_an_installed_screen_pushed_again_is_not_taken_for_a_leaving_copy(make) -> None:
    """The trainer's Ctrl+T parks pages as installed screens (children of the app on no
    stack) and pushes the same objects back.  The wait for a leaving copy took such a
    page for its own old copy and deferred it; Ctrl+T then died with ScreenStackError
    (benchmarks/trainer.py).  The page is on the stack at once, as Textual puts it."""
    from textual.screen import Screen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        page = Screen(id="parked-page")
        await app.push_screen(page)
        app.install_screen(page, "walk-parked-test")  # parked: kept when popped
        await app.pop_screen()
        await settle(pilot)
        assert page.is_attached and page not in app.screen_stack
        app.uninstall_screen(page)  # as the trainer's _unpark does: still a child of the app
        app.push_screen(page)  # no await: Textual stacks it at once
        assert app.screen is page
        await settle(pilot)
        assert app.screen is page and app.is_running


async def test_a_dialog_closed_in_the_burst_that_opened_it(make) -> None:
    """F3 then Esc in one burst on 申请: the dialog is popped before its own Mount
    handler ran, and that handler's query found no widgets (NoMatches killed the app,
    a key storm under load); a closed screen's callbacks now do nothing."""
    from credx_tui.dialogs.hidden_courses import HiddenCoursesDialog
    from credx_tui.screens.apply import ApplyScreen

    from .conftest import open_exchange

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        apply.action_hidden()  # no await: pushed, not yet mounted ...
        assert isinstance(app.screen, HiddenCoursesDialog)
        app.pop_screen()  # ... and closed at once
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert app.screen is apply
        await pilot.press("f3")  # and it opens again as ever
        await settle(pilot)
        assert isinstance(app.screen, HiddenCoursesDialog)
        assert app.screen.query_one("#hidden-text")


async def test_a_closed_screen_says_nothing_after_its_refresh(make) -> None:
    """An error said on 申请 is toasted after the next refresh unless its line shows
    it; when Esc closed 申请 in between, that callback found no line (NoMatches, a key
    storm under load).  A screen on no stack is ``gone`` and its callbacks do nothing."""
    from credx_tui.screens.apply import ApplyScreen
    from credx_tui.working import gone

    from .conftest import open_exchange

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen) and not gone(apply)
        app.pop_screen()  # no await: its widgets are still there, it is leaving
        assert gone(apply)
        apply._say("【S4】", error=True)
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert not gone(app.screen)
