"""SVG snapshots of the main screens at a fixed size, fixed clock, no cursor blink
(pinned Textual 8.2.8).  Update with ``pytest --snapshot-update tests/ui``."""

from __future__ import annotations

from textual.widgets import Input

from credx_tui.services import make_services

from .conftest import FIXED_NOW, HAPPY_STUDENT, RETURNED_STUDENT, login, settle

SIZE = (120, 40)


def _app(make, store, rules):
    return make(svc=make_services(store, rules, clock=lambda: FIXED_NOW))


async def _steady(pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)


def test_login_snapshot(snap_compare, make, store, rules):
    assert snap_compare(_app(make, store, rules), terminal_size=SIZE, run_before=_steady)


def test_portal_snapshot(snap_compare, make, store, rules):
    async def go(pilot):
        await login(pilot, HAPPY_STUDENT)
        await _steady(pilot)

    assert snap_compare(_app(make, store, rules), terminal_size=SIZE, run_before=go)


def test_transcript_snapshot(snap_compare, make, store, rules):
    async def go(pilot):
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await _steady(pilot)

    assert snap_compare(_app(make, store, rules), terminal_size=SIZE, run_before=go)


def test_exchange_page_snapshot(snap_compare, make, store, rules):
    async def go(pilot):
        await login(pilot, RETURNED_STUDENT)
        await pilot.press("f4")
        await _steady(pilot)

    assert snap_compare(_app(make, store, rules), terminal_size=SIZE, run_before=go)


def test_exchange_page_80x24_snapshot(snap_compare, make, store, rules):
    async def go(pilot):
        await login(pilot, RETURNED_STUDENT)
        await pilot.press("f4")
        await _steady(pilot)

    assert snap_compare(_app(make, store, rules), terminal_size=(80, 24), run_before=go)
