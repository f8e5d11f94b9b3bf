"""Issue 10, item 5: the reviewer sees everything the student wrote (the 备注 on the
decision screen) and writes too (an optional 审核意见 on approval), which the student
reads in 流程跟踪 and on the application form.  Real keys at 80x24 and 120x40."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from credx_tui.dialogs.approve_comment import ApproveDialog
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.services import BadText
from policy.models import ReviewAction, Status

from .conftest import SIZES, UNDER_REVIEW_STUDENT, actor, login, open_exchange, screen_text, settle
from .test_print_pdf import cjk_font, pdf_text, printed  # noqa: F401 (the font fixture)

ZN_UNDER_REVIEW = "XF2026-0002"
NOTE = "虚拟化技术，技能大赛省赛二等奖及集训学分"
"""周雨桐's 备注 on XF2026-0002 in the demo data."""
COMMENT = "材料齐全同意兑换ok"


async def open_decision(pilot) -> ReviewDecisionScreen:
    await login(pilot, "rev_zn")
    pilot.app.screen.query_one("#queue-table", DataTable).focus()
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewDecisionScreen)
    return screen


@pytest.mark.parametrize("size", SIZES)
async def test_reviewer_reads_the_note_and_approves_with_a_comment(make, services, tmp_path, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_decision(pilot)
        assert f"学生备注：{NOTE}" in screen_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        assert ZN_UNDER_REVIEW in screen_text(app)
        await pilot.press(*COMMENT, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        shown = screen_text(app)
        assert "已审核通过：XF2026-0002" in shown
        assert COMMENT in shown  # the decision screen's own 流程跟踪
    student = actor(services, UNDER_REVIEW_STUDENT)
    assert services.application(student, ZN_UNDER_REVIEW).status == Status.APPROVED
    [approval] = [
        e for e in services.trail(student, ZN_UNDER_REVIEW) if e.action == ReviewAction.APPROVE
    ]
    assert approval.comment == COMMENT and approval.reason == ""

    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        assert isinstance(app.screen, ExchangeScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        assert f"审核意见（rev_zn）：{COMMENT}" in screen_text(app)
        await pilot.press("ctrl+e")
        await printed(pilot)
    [pdf] = list((tmp_path / "prints").glob(f"application-{ZN_UNDER_REVIEW}-*.pdf"))
    text = pdf_text(pdf)
    assert not text or text.count(COMMENT) == 2  # the trail and 二级学院审核意见


async def test_approve_without_a_comment_and_cancel(make, services):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_decision(pilot)
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("escape")  # 取消: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        student = actor(services, UNDER_REVIEW_STUDENT)
        assert services.application(student, ZN_UNDER_REVIEW).status == Status.UNDER_REVIEW
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("enter")  # no comment: approved as before
        await settle(pilot)
        assert "已审核通过：XF2026-0002" in screen_text(app)
    [approval] = [
        e for e in services.trail(student, ZN_UNDER_REVIEW) if e.action == ReviewAction.APPROVE
    ]
    assert approval.comment == ""


def test_a_comment_goes_through_the_text_gate(services):
    reviewer = actor(services, "rev_zn")
    app = services.application(reviewer, ZN_UNDER_REVIEW)
    with pytest.raises(BadText) as refused:
        services.approve(
            reviewer, app.id, expected_revision=app.revision, comment="ok\x1b]0;pwned\x07"
        )
    assert "审核意见" in refused.value.zh
    with pytest.raises(BadText):
        services.approve(reviewer, app.id, expected_revision=app.revision, comment="x" * 501)
    assert services.application(reviewer, app.id).status == Status.UNDER_REVIEW
