"""Issue 15, wording and numbers: 提交日期, 已提交 against 已重新提交, the returned
header, the 申请学年 taken at submit (Pilot, real keys)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Select

from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.review_queue import ReviewQueueScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.services import make_services
from policy.models import Status, Term

from .conftest import (
    HAPPY_STUDENT,
    RETURNED_STUDENT,
    SIZES,
    actor,
    login,
    open_exchange,
    screen_text,
    settle,
)


def toasts(app) -> str:
    """The notifications the app is showing, newest last."""
    return "\n".join(str(n.message) for n in app._notifications)


@pytest.mark.parametrize("size", SIZES)
async def test_queue_date_is_the_submission_not_the_last_change(make, size) -> None:
    """XF2026-0001 was submitted 03-02 and approved 03-04: 提交日期 reads 03-02."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "rev_zn")
        assert isinstance(app.screen, ReviewQueueScreen)
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        table = app.screen.query_one("#queue-table", DataTable)
        row = [str(c) for c in table.get_row("XF2026-0001")]
        # 80 columns: the short form, so the queue fits whole (issue 15).
        assert row[0] == ("26-03-02" if size[0] < 100 else "2026-03-02")
        assert not any("03-04" in str(cell) for cell in row)


def test_submitted_at_set_on_first_submit_and_kept_on_resubmission(store, rules) -> None:
    now = [datetime(2026, 7, 10, 2, tzinfo=UTC)]
    services = make_services(store, rules, clock=lambda: now[0])
    me = actor(services, HAPPY_STUDENT)
    code = next(
        r.code for r in services.dossier(me).transcript.records if r.name == "高等数学(2-1)"
    )
    offer = services.suggest(me, code)
    assert offer is not None
    draft = services.save(
        me, code, offer.offer.sources, attachments=[services.attach(me, DEMO_SCREENSHOT)]
    )
    assert draft.submitted_at is None
    now[0] = datetime(2026, 9, 1, 2, tzinfo=UTC)
    first = services.submit(me, draft.id)
    assert first.submitted_at == now[0]
    reviewer = actor(services, "rev_zn")
    now[0] = datetime(2026, 9, 3, 2, tzinfo=UTC)
    services.return_(reviewer, first.id, "缺少补考成绩截图", expected_revision=first.revision)
    now[0] = datetime(2026, 10, 5, 2, tzinfo=UTC)
    again = services.submit(me, first.id)
    assert again.submitted_at == datetime(2026, 9, 1, 2, tzinfo=UTC)
    assert again.updated_at == now[0]


@pytest.mark.parametrize("size", SIZES)
async def test_first_submit_says_submitted_resubmit_says_again(make, store, rules, size) -> None:
    """A draft's first F8 says 已提交 and takes today's 申请学年 (saved in the spring
    term, submitted in the autumn); a returned one's F8 says 已重新提交."""
    now = [datetime(2026, 7, 10, 2, tzinfo=UTC)]  # 2025-2026, 第2学期
    services = make_services(store, rules, clock=lambda: now[0])
    me = actor(services, HAPPY_STUDENT)
    code = next(
        r.code for r in services.dossier(me).transcript.records if r.name == "高等数学(2-1)"
    )
    offer = services.suggest(me, code)
    assert offer is not None
    draft = services.save(
        me, code, offer.offer.sources, attachments=[services.attach(me, DEMO_SCREENSHOT)]
    )
    assert draft.term == Term(year="2025-2026", semester=2)
    now[0] = datetime(2026, 9, 1, 2, tzinfo=UTC)  # 2026-2027, 第1学期
    app = make(svc=services)
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        await pilot.press("f8")
        await settle(pilot)
        assert f"已提交：{draft.id}" in toasts(app)
        assert "已重新提交" not in toasts(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "2026-2027" in screen_text(app)
    submitted = services.application(me, draft.id)
    assert submitted.status == Status.UNDER_REVIEW
    assert submitted.term == Term(year="2026-2027", semester=1)
    assert submitted.submitted_at == now[0]

    again = make(svc=services, lang="en")
    async with again.run_test(size=size) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(again.screen, TrailScreen)
        await pilot.press("f8")
        await settle(pilot)
        assert "Submitted again: XF2026-0003" in toasts(again)
    back = services.application(actor(services, RETURNED_STUDENT), "XF2026-0003")
    assert back.status == Status.UNDER_REVIEW
    assert back.term == Term(year="2025-2026", semester=2)  # kept from its first submit


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_returned_header_says_it_can_be_resubmitted(make, lang) -> None:
    app = make(lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        table = app.screen.query_one("#queue-table", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("XF2026-0003"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        shown = screen_text(app)
        assert "流程已结束" not in shown and "process ended" not in shown
        if lang == "zh":
            assert "被退回" in shown and "可修改后重新提交" in shown
        else:
            assert "Returned" in shown and "resubmit" in shown
