"""Issue 15, the students' items (stu15): pressing the real keys at 80x24 and
120x40, in zh and en, asserting on what the screen shows and the store holds."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from credx_tui.dialogs.submit_warning import SubmitWarningDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.exchange import ExchangeScreen
from policy.models import Status

from .conftest import SIZES, actor, attach_shot, login, screen_text, settle
from .test_journey import pick_target

LANG_SIZES = [(lang, size) for lang in ("zh", "en") for size in SIZES]
"""Every student test runs in both languages at both sizes."""

R7_STUDENT = "2023110101"
"""林书远: 数据库应用基础 failed after 补考; paying it with 专业拓展课 warns (R7)."""


async def open_apply(pilot, username: str) -> None:
    """Log in, F4 学分兑换, F7 申请, as the student would."""
    await login(pilot, username)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApplyScreen)


def visible(app) -> str:
    """What the terminal shows now (the compositor's lines), not what widgets hold."""
    return "\n".join(line.text for line in app.screen._compositor.render_update(full=True).lines)  # type: ignore[union-attr]


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_submit_with_a_warning_on_screen_asks_first(make, services, tmp_path, lang, size):
    """Item 8: with the R7 warning showing, F8 opens a dialog that names it; Esc sends
    nothing; 仍要提交 submits."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, R7_STUDENT)
        await pick_target(pilot, "数据库应用基础")
        await pilot.press("enter")  # tick one 专业拓展课 source
        await settle(pilot)
        await attach_shot(pilot, tmp_path)
        assert "【R7】" in screen_text(app) or "R7" in screen_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SubmitWarningDialog)
        said = str(app.screen.query_one("#submit-warning-text").render())
        assert "R7" in said
        assert ("以免无法毕业" in said) if lang == "zh" else ("graduat" in said)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        mine = services.applications(actor(services, R7_STUDENT))
        assert not any(a.status == Status.UNDER_REVIEW for a in mine)
        # Enter out of habit goes back too: the focus is on 返回修改.
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SubmitWarningDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pilot.press("f8")
        await settle(pilot)
        app.screen.query_one("#submit-anyway", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
    mine = services.applications(actor(services, R7_STUDENT))
    assert [a.status for a in mine if a.status == Status.UNDER_REVIEW] == [Status.UNDER_REVIEW]
