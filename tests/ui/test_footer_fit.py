"""Issue 15 (ux15b item 3): every key a screen offers is on its footer, whole, at
80x24 in Chinese and in English.

申请 offers up to ten keys; at 80 columns its one-line footer was cut at "f2 Engl".
Every screen and dialog a student or a reviewer reaches is walked at 80x24 in both
languages, with every key on (a course picked and a file attached on 申请; a decision
with a previous and a next application), and no footer key may be cut by the edge
of the screen (the footer takes a second row when one is not enough)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select
from textual.widgets._footer import FooterKey

from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen

from .conftest import APPROVED_STUDENT, HAPPY_STUDENT, attach_shot, login, settle
from .test_english import footer_fits
from .test_journey import pick_target

NARROW = (80, 24)


def footer_keys(app) -> list[str]:
    """The footer keys of the screen on top, as ``key label``."""
    return [
        f"{k.key_display} {k.description}"
        for k in app.screen.query(FooterKey)
        if not k.has_class("-command-palette")
    ]


def unseen(app) -> list[str]:
    """Keys cut by the screen's edge, and keys drawn outside the screen's rows."""
    cut = footer_fits(app)
    for key in app.screen.query(FooterKey):
        if key.region.width and not (0 <= key.region.y < app.size.height):
            cut.append(f"{key.key_display} {key.description} (row {key.region.y})")
    return cut


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_every_footer_key_is_whole_at_80x24(make, tmp_path, lang) -> None:
    app = make(lang=lang)
    cut: dict[str, list[str]] = {}
    shown: dict[str, list[str]] = {}

    async def look(name: str) -> None:
        await settle(pilot)
        cut[name] = unseen(app)
        shown[name] = footer_keys(app)

    async with app.run_test(size=NARROW) as pilot:
        await look("login")
        await login(pilot, HAPPY_STUDENT)
        await look("portal")
        await pilot.press("f3")
        await look("transcript")
        await pilot.press("f6")
        await look("print options dialog")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f4")
        await look("exchange")
        await pilot.press("f7")
        await look("apply")
        assert isinstance(app.screen, ApplyScreen)
        await pick_target(pilot, "高等数学(2-1)")
        await look("apply with a course")
        await pilot.press("f6")
        await look("attach dialog")
        await pilot.press("escape")
        await settle(pilot)
        await attach_shot(pilot, tmp_path)
        await look("apply with a course and a file (every key)")
        assert {"f6", "ctrl+r", "ctrl+u", "f7", "f8", "f3", "f4", "escape"} <= {
            k.key for k in app.screen.query(FooterKey)
        }
        await pilot.press("f3")
        await look("hidden courses dialog")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f8")  # 提交: the confirmation or the submitted message
        await look("after submit")
        app.action_logout()
        await settle(pilot)
        await login(pilot, APPROVED_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await look("trail")
        await pilot.press("f4")
        await look("attachment viewer (student)")
        app.action_logout()
        await settle(pilot)
        await login(pilot, "rev_zn")
        await look("queue")
        app.screen.query_one("#queue-status", Select).value = "all"
        await look("queue, every status")
        table = app.screen.query_one("#queue-table", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("XF2026-0003"))  # the middle one
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        await look("decision (previous and next)")
        await pilot.press("f7")
        await look("decision, under review")
        await pilot.press("f4")
        await look("attachment viewer (reviewer)")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f8")
        await look("approve dialog")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f9")
        await look("return dialog")
    screens = [name for name in shown if "dialog" not in name and name != "after submit"]
    assert [name for name in screens if name != "login" and not shown[name]] == []
    bad = {name: keys for name, keys in cut.items() if keys}
    assert bad == {}, f"{bad!r}"
