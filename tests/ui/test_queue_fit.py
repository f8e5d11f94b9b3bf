"""The reviewer's queue and decision screen for newcomers (issue 15, Reviewers): at
80x24 every column up to 审核环节 is seen whole, a cut name always carries the ASCII
mark ``~`` (after switching to 全部状态 and after every refilter), and F6/F7 open the
next application at its top, not where the previous one was scrolled to."""

from __future__ import annotations

import re

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, Select

from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.review_queue import ReviewQueueScreen
from policy.models import ApplicationSummary

from .conftest import SIZES, login, settle

LONG_NAME = "欧阳思思远远"
LONG_COURSE = "全国职业院校技能大赛云计算应用赛项集训"


def screen_lines(app) -> list[str]:
    """What the terminal shows, one string per row."""
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


def lengthen(store, app_id: str) -> None:
    """Give one application a long student and course name (as real data may have)."""
    app = next(a for c in store.colleges() for a in store.applications(c) if a.id == app_id)
    summary = (app.summary or ApplicationSummary()).model_copy(
        update={"student_name": LONG_NAME, "course_name": LONG_COURSE}
    )
    with store.hot(app.college, app.student_id) as tx:
        tx.put_application(app.model_copy(update={"summary": summary}))


def assert_whole_or_marked(app, size) -> None:
    """Every queue row shows the long name whole or cut with ``~``, and at 80 columns
    the header up to 审核环节 is whole on screen."""
    lines = screen_lines(app)
    row = next(line for line in lines if "2023110105" in line)
    if size[0] < 100:
        assert LONG_NAME not in row and "欧阳思~" in row
        assert "全国职业院校~" in row
        header = next(line for line in lines if "提交日期" in line)
        # The row ends with the step: no next column peeks in cut (sideways scroll).
        assert header.rstrip().endswith("审核环节")
        for line in lines:
            if "2023110102" in line:  # 审核中: its step is seen whole
                assert "二级学院审核" in line
        assert all(cell.startswith("26-") for cell in _dates(app))
    else:
        assert LONG_NAME in row or "~" in row
        assert LONG_COURSE in row or "~" in row
    # Whatever the width: the last thing a row shows at the right edge is a whole value
    # of that row or a value cut with the mark, never a value cut silently.
    table = app.screen.query_one("#queue-table", DataTable)
    for r in range(table.row_count):
        values = [str(c) for c in table.get_row_at(r)]
        line = next((x for x in lines if values[1] in x), None)
        if line is None:
            continue  # scrolled out of view
        tail = re.split(r"\s{2,}", line.strip())[-1]
        assert tail in values or tail.endswith("~"), (tail, values)
    assert not any(chr(0x2026) in line for line in lines)  # no ellipsis glyph


def _dates(app) -> list[str]:
    table = app.screen.query_one("#queue-table", DataTable)
    return [str(table.get_row_at(r)[0]) for r in range(table.row_count)]


@pytest.mark.parametrize("size", SIZES)
async def test_names_cut_with_a_mark_after_any_filter(make, store, size) -> None:
    lengthen(store, "XF2026-0001")
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "rev_zn")
        assert isinstance(app.screen, ReviewQueueScreen)
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        assert_whole_or_marked(app, size)
        assert any("2023110102" in line for line in screen_lines(app))
        # Refilters: by text, back to nothing, by major, by status and back.
        search = app.screen.query_one("#queue-search", Input)
        for value in ("2023", "0105", ""):
            search.value = value
            await settle(pilot)
            assert_whole_or_marked(app, size)
        app.screen.query_one("#queue-status", Select).value = "审核通过"
        await settle(pilot)
        assert_whole_or_marked(app, size)
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        assert_whole_or_marked(app, size)


async def test_a_resize_lays_the_queue_out_again(make, store) -> None:
    lengthen(store, "XF2026-0001")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        assert any(LONG_NAME in line for line in screen_lines(app))
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert_whole_or_marked(app, (80, 24))


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_next_and_previous_open_at_the_top(make, lang) -> None:
    app = make(lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        table = app.screen.query_one("#queue-table", DataTable)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewDecisionScreen)
        body = screen.query_one("#decision-body", VerticalScroll)
        first = screen.application_id
        for key, other in (("f7", "f6"), ("f6", "f7")):
            body.focus()
            await pilot.press("end")
            await settle(pilot)
            assert body.scroll_y > 0  # the trail, at the bottom
            await pilot.press(key if screen.application_id == first else other)
            await settle(pilot)
            assert screen.application_id != first or key == "f6"
            assert body.scroll_y == 0
            assert screen.application_id in str(screen.query_one("#decision-title").render())
