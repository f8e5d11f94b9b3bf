"""Issue 15 (ux15b item 6): what a student or a reviewer tripped over at 80x24 after the
footer and glyph work, each seen in tmux first and held here.

- a toast over the 申请 buttons lost characters (``请  传相关成绩的截  作为``) where a
  button's edge fell inside one of its double-width characters;
- 申请's errors were toasted over 保存/提交 though their own line showed them;
- the student header cut a major in two (``专业 云计算技术应`` / ``用``);
- a long certificate title on the decision screen ran back to the left margin;
- after F2 the queue's next column peeked in at the right edge."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable
from textual.widgets._toast import Toast

from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.widgets.student_header import student_header
from credx_tui.widgets.text_table import text_table

from .conftest import HAPPY_STUDENT, SIZES, login, settle, until
from .test_english import drawn
from .test_journey import pick_target

NARROW = (80, 24)


async def open_apply_with_course(pilot) -> ApplyScreen:
    await login(pilot, HAPPY_STUDENT)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    await pick_target(pilot, "高等数学(2-1)")
    await pilot.press("f4")  # the suggested offer
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApplyScreen)
    return pilot.app.screen


@pytest.mark.parametrize("size", SIZES)
async def test_a_toast_over_the_buttons_keeps_every_character(make, size) -> None:
    app = make()
    async with app.run_test(size=size, notifications=True) as pilot:
        await open_apply_with_course(pilot)
        said = "【S4】提交前请上传相关成绩的截图作为附件（至少一个）"
        for shift in range(3):  # the toast's columns move: some edge falls inside it
            app.clear_notifications()
            app.notify("x" * shift + said, timeout=30)
            # the toast is mounted and laid out after a refresh or two
            await until(pilot, lambda: _toast_text(app) is not None, what="the toast")
            await until(pilot, lambda: said in (_toast_text(app) or ""), what=lambda: drawn(app))
            assert said in (_toast_text(app) or ""), (shift, drawn(app))


def _toast_text(app) -> str | None:
    """The characters drawn inside the one toast's cells (None: no toast laid out)."""
    toasts = list(app.screen.query(Toast))
    if len(toasts) != 1 or not toasts[0].region.area:
        return None
    region = toasts[0].region
    rows = drawn(app)[region.y : region.bottom]
    inside = "".join(
        row[region.x : region.right].strip()
        if cell_len(row) == len(row)
        else _cells(row, region.x, region.right)
        for row in rows
    )
    return inside.replace(" ", "")


def _cells(row: str, start: int, end: int) -> str:
    """The characters of ``row`` that sit in cells ``start``..``end``."""
    out, x = [], 0
    for ch in row:
        if start <= x < end:
            out.append(ch)
        x += cell_len(ch)
    return "".join(out).strip()


async def test_an_error_on_apply_is_said_once_on_its_line(make) -> None:
    """F8 without a screenshot: 【S4】 said on 申请's message line; no toast covers the
    保存/提交 buttons at 80x24 (the line shows it whole)."""
    app = make()
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        screen = await open_apply_with_course(pilot)
        app.clear_notifications()
        await pilot.press("f8")
        await settle(pilot)
        assert "【S4】" in screen.message
        await until(
            pilot, lambda: any(screen.message in row for row in drawn(app)), what=lambda: drawn(app)
        )
        assert list(app.screen.query(Toast)) == []
        assert any(screen.message in row for row in drawn(app))


def test_the_student_header_starts_a_field_on_the_next_line_whole(services) -> None:
    student = services.student(services.actor_for(HAPPY_STUDENT))
    for width in (40, 60, 78, 118):
        lines = student_header(student, "zh", width=width).plain.split("\n")
        assert all(cell_len(line) <= width for line in lines), lines
        assert any(f"专业 {student.major}" in line for line in lines), lines
    assert "\n" not in student_header(student, "zh").plain  # no width: one line


def test_a_long_last_cell_wraps_under_its_column() -> None:
    title = "全国职业院校技能大赛云计算应用赛项省赛二等奖"
    text = text_table(["类别", "来源"], [["获奖证书", title]], width=30).plain
    lines = text.split("\n")
    start = lines[0].index("来源")
    assert all(cell_len(line) <= 30 for line in lines), lines
    assert all(line[:start].strip() == "" for line in lines[2:]), lines
    assert "".join(line.strip() for line in lines[1:]).endswith(title)


async def test_the_decision_wraps_a_long_source_title_under_its_column(make) -> None:
    app = make()
    async with app.run_test(size=NARROW) as pilot:
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-table", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        rows = drawn(app)
        head = next(i for i, row in enumerate(rows) if "来源" in row and "类别" in row)
        column = _column(rows[head], "来源")
        following = rows[head + 2]  # under 获奖证书's line: the rest of its title
        assert _column(following, following.strip()[0]) == column, rows[head : head + 4]


def _column(row: str, text: str) -> int:
    """The cell column where ``text`` begins in ``row``."""
    return cell_len(row[: row.index(text)])


async def test_the_queue_refits_after_f2(make) -> None:
    """zh after en: the step column ends the row; nothing of the credits column shows."""
    app = make(lang="en")
    async with app.run_test(size=NARROW) as pilot:
        await login(pilot, "rev_zn")
        await pilot.press("f2")
        await settle(pilot)

        def row() -> str:
            return next((r for r in drawn(app) if "2023110102" in r), "")

        # the refit to the new language's headers follows the layout (call_after_refresh)
        await until(pilot, lambda: row().rstrip().endswith("二级学院审核"), what=row)
        assert row().rstrip().endswith("二级学院审核"), row()


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_trail_at_80_columns_ends_with_a_whole_column(make, lang) -> None:
    """流程跟踪 at 80x24: the 原因 fills the width up to 操作人, kept whole; 审核环节 and
    the status scroll sideways and never peek in cut at the right edge (also after F2,
    which lays the screen out anew)."""
    from credx_tui.screens.trail import TrailScreen

    from .conftest import RETURNED_STUDENT, open_exchange

    app = make(lang=lang)
    async with app.run_test(size=NARROW) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        for _ in range(2):  # as opened, then in the other language
            await until(pilot, lambda: _trail_fitted(app), what=lambda: drawn(app))
            rows = [r for r in drawn(app) if "rev_zn" in r or "2023110106" in r]
            assert len(rows) == 3, drawn(app)
            for row in rows:
                assert row.rstrip().endswith(("rev_zn", "2023110106")), row
                assert "二级" not in row and "Sec" not in row, row
            await pilot.press("f2")
            await settle(pilot)


def _trail_fitted(app) -> bool:
    """The trail's three rows end with the 操作人 column, the next one not peeking in."""
    rows = [r for r in drawn(app) if "rev_zn" in r or "2023110106" in r]
    return len(rows) == 3 and all(
        row.rstrip().endswith(("rev_zn", "2023110106")) and "二级" not in row and "Sec" not in row
        for row in rows
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_queue_filter_says_its_whole_hint_at_80_columns(make, lang) -> None:
    """The reviewer's filter box at 80x24 shows its whole placeholder in both languages
    (the English one was cut after "student ID or")."""
    from credx_tui.i18n import t

    app = make(lang=lang)
    async with app.run_test(size=NARROW) as pilot:
        await login(pilot, "rev_zn")
        await settle(pilot)
        hint = t("queue.search.placeholder", lang)
        await until(pilot, lambda: any(hint in row for row in drawn(app)), what=lambda: drawn(app))
        assert any(hint in row for row in drawn(app)), drawn(app)[:8]
