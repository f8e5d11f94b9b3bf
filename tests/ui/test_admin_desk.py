"""The 教务处 desk (issue 12, item 4): an admin logs in, sees the store's figures,
switches figure with the real keys, exports what is shown (read back with openpyxl)."""

from __future__ import annotations

import unicodedata

import openpyxl
import pytest
from textual.widgets import DataTable, Input

from credx_tui.screens.admin_desk import AdminDeskScreen, AsciiPlot
from credx_tui.screens.review_queue import ReviewQueueScreen
from tests.ui.conftest import SIZES, login, settle


def table_rows(app) -> list[list[str]]:
    grid = app.screen.query_one("#desk-table", DataTable)
    return [[str(c) for c in grid.get_row_at(r)] for r in range(grid.row_count)]


def store_counts(store) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for college in store.colleges():
        row = counts.setdefault(college, {})
        for app in store.applications(college):
            row[app.status.value] = row.get(app.status.value, 0) + 1
    return counts


@pytest.mark.parametrize("size", SIZES)
async def test_admin_sees_the_figures_switches_and_exports(make, store, tmp_path, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "admin")
        assert isinstance(app.screen, AdminDeskScreen)
        header = [str(c.label) for c in app.screen.query_one(DataTable).columns.values()]
        rows = table_rows(app)
        expected = store_counts(store)
        assert [r[1] for r in rows] == sorted(expected)
        for row in rows:
            by_status = dict(zip(header[2:6], row[2:6], strict=True))
            assert {k: int(v) for k, v in by_status.items() if int(v)} == expected[row[1]]
        # Down twice: the most exchanged courses (the demo's two approved ones).
        app.screen.query_one("#desk-figures").focus()
        await pilot.press("down", "down")
        await settle(pilot)
        assert app.screen.current == 2
        courses = table_rows(app)
        approved = [
            a
            for c in store.colleges()
            for a in store.applications(c)
            if a.status.value == "审核通过"
        ]
        assert sorted(r[1] for r in courses) == sorted({a.target for a in approved})
        chart = app.screen.query_one(AsciiPlot)
        drawn = chart.render().plain
        assert drawn.strip() and not {ch for ch in drawn if unicodedata.east_asian_width(ch) == "A"}
        out = tmp_path / f"courses-{size[0]}.xlsx"
        app.screen.query_one("#desk-path", Input).value = str(out)
        await pilot.press("ctrl+e")
        await settle(pilot)
        ws = openpyxl.load_workbook(out).active
        values = [list(r) for r in ws.iter_rows(values_only=True)]
        assert values[0][0].startswith("示范职业技术学院")
        assert [str(v[1]) for v in values[3:]] == [r[1] for r in courses]
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ReviewQueueScreen)


async def test_export_to_a_bad_path_says_so_and_writes_nothing(make, tmp_path):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "admin")
        app.screen.query_one("#desk-path", Input).value = str(tmp_path / "nope" / "x.xlsx")
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, AdminDeskScreen)
        assert not (tmp_path / "nope").exists()
        assert any("不存在" in str(n.message) for n in app._notifications)


async def test_f5_reads_a_decision_made_elsewhere(make, store, services):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "admin")
        before = {r[1]: r for r in table_rows(app)}
        reviewer = services.actor_for("rev_zn")
        [item] = services.queue(reviewer)
        services.approve(reviewer, item.application.id, expected_revision=item.application.revision)
        await pilot.press("f5")
        await settle(pilot)
        after = {r[1]: r for r in table_rows(app)}
        college = item.application.college
        assert int(after[college][3]) == int(before[college][3]) - 1  # 审核中
        assert int(after[college][4]) == int(before[college][4]) + 1  # 审核通过
