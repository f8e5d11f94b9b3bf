"""Issue 15 (ux15b, item 1): two attachments with the same content (the same SHA-256).

A store written before the services refused it (or a hand-edited one) may hold an
application whose attachment list names the same bytes twice; the reviewer's decision
screen keyed its table rows by SHA-256 and crashed with DuplicateKey.  It now lists
every attachment the application holds, at 80x24 and 120x40, and F4 opens the one the
cursor is on.  New duplicates are refused by the services (tests/services/
test_same_content_attachments.py)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from credx_tui.screens.attachment_viewer import AttachmentViewerScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen

from .conftest import HAPPY_STUDENT, SIZES, actor, settle
from .test_attachment_preview import open_decision_of, screenshot_png
from .test_reviewer import submit_suggested


def twice_the_same(services, tmp_path) -> str:
    """A submitted application of HAPPY_STUDENT whose two attachments share their bytes
    (written into the store as an older credx could have)."""
    app = submit_suggested(
        services, HAPPY_STUDENT, "高等数学(2-1)", screenshot_png(tmp_path / "成绩.png")
    )
    first = app.attachments[0]
    second = first.model_copy(update={"filename": "成绩-副本.png"})
    student = services.student(actor(services, HAPPY_STUDENT))
    with services.store.hot(student.college, student.id) as tx:
        stored = tx.application(app.id)
        tx.put_application(stored.model_copy(update={"attachments": [first, second]}))
    return app.id


@pytest.mark.parametrize("size", SIZES)
async def test_decision_screen_lists_two_attachments_of_the_same_content(
    make, services, tmp_path, size
):
    twice_the_same(services, tmp_path)
    app = make()
    async with app.run_test(size=size) as pilot:
        screen = await open_decision_of(pilot, HAPPY_STUDENT)
        assert isinstance(screen, ReviewDecisionScreen)
        table = screen.query_one("#decision-attachments", DataTable)
        assert table.row_count == 2
        names = [str(table.get_row_at(i)[0]) for i in range(2)]
        assert names == ["成绩.png", "成绩-副本.png"]
        table.focus()
        table.move_cursor(row=1)
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, AttachmentViewerScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # F6/F7 away and back rebuilds the table: still no crash, still two rows
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert app.screen.query_one("#decision-attachments", DataTable).row_count == 2
