"""The review chain as people see it (issue 15, R11), with the real keys at 80x24 and
120x40 in Chinese and English: a step-1 approval leaves the student 审核中 at the next
step (学分兑换 list, 流程跟踪, portal notices), the withdraw hint comes from the rules'
first step, the confirmation names the step decided, and a reviewer who decided one
step is told, instead of being offered F8, that the next is for someone else."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from credx_tui.app import make_app
from credx_tui.dialogs.approve_comment import ApproveDialog
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.portal import PortalScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.services import Services, make_services
from credx_tui.settings import Settings
from policy.models import Account, Role, Status

from .conftest import SIZES, UNDER_REVIEW_STUDENT, actor, login, screen_text, settle
from .test_reviewer import ZN_UNDER_REVIEW, open_first, open_queue, three_step_rules

TEXT = {
    "zh": {
        "confirm_step": "审核环节：教学秘书审核（1/3）",
        "confirm_next": "同意后转入下一环节：教学院长审核",
        "now": "审核中（教学院长审核）",
        "notice": "教学秘书审核同意",
        "hint": "教学秘书审核已同意，不能再撤回",
        "final": "审核通过",
        "twice": "同一人不能审核同一申请的两个环节",
    },
    "en": {
        "confirm_step": "Review step: Teaching secretary (1 of 3)",
        "confirm_next": "On approval it moves on to: Dean of teaching",
        "now": "(Dean of teaching)",
        "notice": "Teaching secretary: approved",
        "hint": "Teaching secretary has approved, so it can no longer be withdrawn",
        "final": "Approved",
        "twice": "one person never decides two steps",
    },
}


@pytest.fixture
def chain(store, tmp_path) -> Services:
    services = make_services(store, three_step_rules(tmp_path))
    services.add_account(
        services.actor_for("admin"),
        Account(
            username="sec_zn",
            role=Role.REVIEWER,
            password_hash="-",
            colleges=["智能制造学院"],
            review_steps=["secretary"],
        ),
        "demo",
    )
    return services


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
async def test_a_step_approval_is_not_the_end(chain, store, tmp_path, size, lang):
    said = TEXT[lang]

    def build():
        return make_app(Settings(db=store.root, lang=lang), chain, print_dir=tmp_path)

    reviewer = build()
    async with reviewer.run_test(size=size) as pilot:
        await open_queue(pilot, "sec_zn")
        await open_first(pilot)
        await pilot.press("f8")
        await settle(pilot)
        dialog = reviewer.screen
        assert isinstance(dialog, ApproveDialog)
        question = str(dialog.query_one("#approve-question").render())
        assert said["confirm_step"] in question and said["confirm_next"] in question
        await pilot.press("enter")
        await settle(pilot)
    me = actor(chain, UNDER_REVIEW_STUDENT)
    decided = chain.application(me, ZN_UNDER_REVIEW)
    assert (decided.status, decided.step) == (Status.UNDER_REVIEW, 1)

    student = build()
    async with student.run_test(size=size) as pilot:
        await login(pilot, UNDER_REVIEW_STUDENT)
        assert isinstance(student.screen, PortalScreen)
        shown = screen_text(student)
        # The notice may be broken over two lines at 80 columns (as Chinese is set).
        flat = "".join(shown.split())
        assert said["notice"].replace(" ", "") in flat and said["now"].replace(" ", "") in flat
        assert said["final"] not in shown  # never "approved" as if it were over
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(student.screen, ExchangeScreen)
        table = student.screen.query_one(DataTable)
        status = str(table.get_row_at(0)[2])  # 审核状态
        assert said["now"] in status and said["final"] not in status
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(student.screen, TrailScreen)
        shown = screen_text(student)
        assert said["now"] in shown and said["hint"] in shown
        assert said["final"] not in shown
        assert not student.screen.check_action("withdraw", ())  # F9 not offered


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
async def test_the_same_reviewer_is_not_offered_a_second_step(chain, store, tmp_path, size, lang):
    me = actor(chain, UNDER_REVIEW_STUDENT)
    app_now = chain.application(me, ZN_UNDER_REVIEW)
    rev = chain.actor_for("rev_zn")  # names no step: may decide any, but one only
    first = chain.approve(rev, ZN_UNDER_REVIEW, expected_revision=app_now.revision)
    app = make_app(Settings(db=store.root, lang=lang), chain, print_dir=tmp_path)
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot, "rev_zn")
        screen = await open_first(pilot)
        assert TEXT[lang]["twice"] in screen_text(app)
        assert not screen.check_action("approve", ())
        assert not screen.check_action("return", ())
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)  # no confirmation offered
    assert chain.application(me, ZN_UNDER_REVIEW).revision == first.revision
