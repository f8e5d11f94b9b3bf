"""S1 and S5 on screen: the 学业成绩单 with its 打印 dialog, 兑换 after approval, and
another terminal's change shown on refresh; user data never becomes markup."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.screens.transcript import TranscriptScreen
from credx_tui.widgets.plain import PlainCheckbox
from policy.models import Status

from .conftest import (
    APPROVED_STUDENT,
    HAPPY_STUDENT,
    RETURNED_STUDENT,
    SIZES,
    UNDER_REVIEW_STUDENT,
    actor,
    login,
    open_exchange,
    palette_lists,
    screen_text,
    settle,
    until,
)


@pytest.mark.parametrize("size", SIZES)
async def test_transcript_and_print_to_file(make, tmp_path, size):
    """S1: terms with 学期平均学分绩点, 以下空白, totals; 打印 writes a file and shows it."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        shown = screen_text(app)
        for words in (
            "学业成绩单",
            "学期平均学分绩点",
            "以下空白",
            "已获得学分",
            "等级考试成绩",
            "高等数学(2-1)",
        ):
            assert words in shown
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PrintDialog)
        app.screen.query_one("#a3", PlainCheckbox).focus()
        await pilot.press("space")  # A3 打印: 补考 and 重修 too
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        [printed] = list((tmp_path / "prints").glob("*.txt"))
        # One folder, then the names (issue 15: a path no longer takes four lines).
        shown = screen_text(app).replace("\n", "")
        assert f"{printed.parent}/" in shown and printed.name in shown
        text = printed.read_text(encoding="utf-8")
        assert "补考" in text and "以下空白" in text and "江浩宇" in text


async def test_print_passing_only_hides_failing_grades(make, tmp_path):
    """The guide's option: failing grades are left out of the printed transcript."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        app.screen.query_one("#passed-only", PlainCheckbox).focus()
        await pilot.press("space", "f6")
        await settle(pilot)
        [printed] = list((tmp_path / "prints").glob("*.txt"))
        text = printed.read_text(encoding="utf-8")
        assert "高等数学(2-1)" not in text  # failed after 补考
        assert "程序设计基础" in text


@pytest.mark.parametrize("size", SIZES)
async def test_approved_exchange_shows_on_transcript(make, services, size):
    """S5: after approval the course shows the rules file's 兑换 and counts."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, APPROVED_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        shown = screen_text(app)
        line = next(x for x in shown.splitlines() if "高等数学(2-1)" in x)
        assert services.rules.exchange_record.result in line


@pytest.mark.parametrize("size", SIZES)
async def test_reviewer_decision_in_another_terminal_shows_on_refresh(make, services, size):
    """Another terminal's change shows without restarting: F5, or coming back."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        assert "审核中" in screen_text(app)
        [pending] = services.applications(actor(services, UNDER_REVIEW_STUDENT))
        reviewer = services.login("rev_zn", "demo").actor
        services.approve(reviewer, pending.id, expected_revision=pending.revision)
        await pilot.press("f5")
        await settle(pilot)
        assert "审核通过" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        assert "审核通过" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
    assert (
        services.application(actor(services, UNDER_REVIEW_STUDENT), pending.id).status
        == Status.APPROVED
    )


async def test_user_data_is_not_markup(make, services):
    """A note with [b] in it is shown literally in 申请结果 and 流程跟踪."""
    student = actor(services, HAPPY_STUDENT)
    target = next(v.code for v in services.verdicts(student) if v.exchangeable)
    services.save(student, target, [], note="[b]粗体[/b] [red]x")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        table = app.screen.query_one(DataTable)
        assert "[b]粗体[/b] [red]x" in [str(c) for c in table.get_row_at(0)]
        await pilot.press("enter")
        await settle(pilot)
        assert "[b]粗体[/b] [red]x" in screen_text(app)


async def test_command_palette_is_localized_with_our_commands(make):
    """Ctrl+P: our commands (学分兑换, 学生成绩总表打印) and Textual's, in Chinese."""
    from textual.command import CommandInput, CommandPalette

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert str(app.screen.query_one(CommandInput).placeholder) == "搜索命令"
        commands = {c.title for c in app.get_system_commands(app.screen_stack[-2])}
        assert {"学分兑换", "学生成绩总表打印", "主题", "退出", "切换语言"} <= commands
        await pilot.press(*"学分兑换")
        await until(pilot, lambda: palette_lists(app, "学分兑换"), what="the palette's hit")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)


async def test_notices_of_decisions_since_the_last_visit(make, services):
    """Portal home: a decision made while the student was away is announced."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, UNDER_REVIEW_STUDENT)
        assert "第一次登录" in screen_text(app)
        await pilot.press("f10")  # 注销
        await settle(pilot)
        [pending] = services.applications(actor(services, UNDER_REVIEW_STUDENT))
        services.approve(
            services.login("rev_zn", "demo").actor, pending.id, expected_revision=pending.revision
        )
        await login(pilot, UNDER_REVIEW_STUDENT)
        shown = screen_text(app)
        assert "自上次登录以来的审核结果" in shown
        assert "审核通过" in shown and "rev_zn" in shown


async def test_applications_are_paged_fifteen_a_page(make, services, store):
    """S3: 15 rows a page; Ctrl+F and Ctrl+B turn the pages."""
    student = actor(services, RETURNED_STUDENT)
    [returned] = services.applications(student)
    # Test setup straight into the store: 16 more returned applications.
    with store.hot(returned.college, returned.student_id) as tx:
        for i in range(16):
            tx.put_application(returned.model_copy(update={"id": f"OLD-{i:02d}"}))
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 15
        assert "第 1 页  共 2 页" in screen_text(app)
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert table.row_count == 2
        assert "第 2 页  共 2 页" in screen_text(app)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert table.row_count == 15
