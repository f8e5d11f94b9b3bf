"""16 colours (issue 15): with TERM=xterm or TERM=screen Rich brings every colour to
the nearest of the 16-colour palette (ColorSystem "standard").  Textual's dark greys
then fell to black: unfocused borders were black on black and the zebra stripes
vanished.  Each screen is rendered headless, every cell's colours are downgraded as the
driver does, and no drawn character may have its background's colour; tables keep two
row backgrounds."""

from __future__ import annotations

import pytest
from rich.color import ColorSystem
from textual.widgets import DataTable, Select

from credx_tui.dialogs.approve_comment import ApproveDialog

from .conftest import HAPPY_STUDENT, login, settle


def downgraded(app) -> list[tuple[int, str, int | None, int | None]]:
    """(row, character, foreground, background) of every cell, in 16 colours."""
    cells = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        for segment in strip:
            style = segment.style
            fg = bg = None
            if style is not None and style.color is not None:
                fg = style.color.downgrade(ColorSystem.STANDARD).number
            if style is not None and style.bgcolor is not None:
                bg = style.bgcolor.downgrade(ColorSystem.STANDARD).number
            cells.extend((y, ch, fg, bg) for ch in segment.text)
    return cells


def invisible(app) -> list[tuple[int, str]]:
    """Drawn characters whose colour is their background's once in 16 colours."""
    return [(y, ch) for y, ch, fg, bg in downgraded(app) if ch.strip() and fg == bg]


def row_backgrounds(app, table: DataTable) -> set[int | None]:
    """The 16-colour backgrounds of the table's body rows (the cursor row left out)."""
    top = table.region.y + 1  # under the header
    rows = range(top, top + min(table.row_count, table.region.height - 1))
    cursor = top + table.cursor_row
    found: set[int | None] = set()
    for y, _, _, bg in downgraded(app):
        if y in rows and y != cursor:
            found.add(bg)
    return found


@pytest.mark.parametrize("term", ["xterm", "screen"])
async def test_borders_and_stripes_survive_16_colours(make, monkeypatch, term) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("COLORTERM", raising=False)
    app = make()
    assert app.console.color_system == "standard"
    seen: dict[str, list[tuple[int, str]]] = {}

    async def look(name: str) -> None:
        await settle(pilot)
        seen[name] = invisible(app)

    async with app.run_test(size=(80, 24)) as pilot:
        await look("login")
        await login(pilot, HAPPY_STUDENT)
        await look("portal")
        await pilot.press("f4")
        await look("exchange")
        await pilot.press("f7")
        await look("apply")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        app.action_logout()
        await settle(pilot)
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-status", Select).value = "all"
        await look("queue, every status")
        table = app.screen.query_one("#queue-table", DataTable)
        assert table.row_count >= 3
        table.focus()
        table.move_cursor(row=0)
        await settle(pilot)
        # Rows 2 and 3 (the cursor on row 1): the stripes are two colours, not one.
        assert len(row_backgrounds(app, table) - {None}) == 2
        app.screen.query_one("#queue-status", Select).focus()
        await pilot.press("enter")
        await look("status filter open")
        await pilot.press("escape")
        table.focus()
        table.move_cursor(row=table.get_row_index("XF2026-0002"))
        await pilot.press("enter")
        await look("decision")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        await look("approve dialog")
    assert {name: cells for name, cells in seen.items() if cells} == {}
