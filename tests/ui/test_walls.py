"""Sessions checked, not trusted, in the app (issue 9, items 4, 5, 7, 8), with the demo
college and the real keys at 80x24 and 120x40: a disabled or changed account ends the
open session at its next action, an idle session logs out, logging out empties the login
screen, a reviewer sees that the rules changed since submission, and a disk that refuses
a write is a message on the screen the reviewer was on."""

from __future__ import annotations

import errno
import os

import pytest
from textual.widgets import DataTable, Input

from credx_tui.screens.login import LoginScreen
from credx_tui.screens.portal import PortalScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.review_queue import ReviewQueueScreen
from credx_tui.services import make_services
from credx_tui.store.admin import put_rules
from policy.models import Role, Status
from policy.rules import DEFAULT_RULES_PATH

from .conftest import HAPPY_STUDENT, SIZES, login, screen_text, settle, until

ZN_UNDER_REVIEW = "XF2026-0002"


def notes(app) -> list[str]:
    """The notifications shown now."""
    return [str(n.message) for n in app._notifications]


def login_fields(app) -> tuple[str, str, str]:
    screen = app.screen
    assert isinstance(screen, LoginScreen)
    return (
        screen.query_one("#username", Input).value,
        screen.query_one("#password", Input).value,
        screen.message,
    )


async def open_decision(pilot) -> ReviewDecisionScreen:
    await login(pilot, "rev_zn")
    assert isinstance(pilot.app.screen, ReviewQueueScreen)
    pilot.app.screen.query_one("#queue-table", DataTable).focus()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewDecisionScreen)
    return pilot.app.screen


@pytest.mark.parametrize("size", SIZES)
async def test_disabled_reviewer_is_sent_to_login_at_the_next_action(make, services, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_decision(pilot)
        account = services.store.account("rev_zn")
        assert account is not None
        with services.store.account_tx("rev_zn") as tx:  # `credx user disable rev_zn`
            tx.put(account.model_copy(update={"disabled": True}))
        await pilot.press("f8")  # approve: the next action
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.actor is None
        assert any("账号已停用" in n for n in notes(app))
        assert login_fields(app) == ("", "", "")
    student = services.actor_for("2023110102")
    assert services.application(student, ZN_UNDER_REVIEW).status == Status.UNDER_REVIEW


@pytest.mark.parametrize("size", SIZES)
async def test_changed_college_ends_the_session(make, services, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        assert isinstance(app.screen, PortalScreen)
        account = services.store.account(HAPPY_STUDENT)
        assert account is not None
        with services.store.account_tx(HAPPY_STUDENT) as tx:
            tx.put(account.model_copy(update={"role": Role.REVIEWER, "colleges": ["某学院"]}))
        await pilot.press("f4")  # open 学分兑换: reads the student's data
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert any("角色或学院已变更" in n for n in notes(app))


@pytest.mark.parametrize("size", SIZES)
async def test_f10_logout_empties_the_login_screen(make, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT, "wrong")  # leaves a message and the 学号
        assert login_fields(app)[0] == HAPPY_STUDENT and login_fields(app)[2]
        await login(pilot, HAPPY_STUDENT)
        assert isinstance(app.screen, PortalScreen)
        await pilot.press("f10")
        await settle(pilot)
        assert login_fields(app) == ("", "", "")
        assert HAPPY_STUDENT not in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_idle_session_logs_out_to_an_empty_login(store, services, tmp_path, size):
    from credx_tui.app import make_app
    from credx_tui.settings import Settings

    now = [1000.0]
    app = make_app(Settings(db=store.root), services, print_dir=tmp_path / "prints")
    app.idle_timeout = 60.0
    app.idle_clock = lambda: now[0]
    app.idle_check_every = 0.05
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        assert isinstance(app.screen, PortalScreen)
        now[0] += 59
        await pilot.pause(0.3)
        assert isinstance(app.screen, PortalScreen)  # not yet
        await pilot.press("f3")  # a key: the clock starts again
        await settle(pilot)
        now[0] += 59
        await pilot.pause(0.3)
        assert app.actor is not None
        now[0] += 2
        await until(pilot, lambda: app.actor is None, what="the idle logout")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen), what="the login")
        assert isinstance(app.screen, LoginScreen)
        assert login_fields(app) == ("", "", "")
        assert any("长时间未操作" in n for n in notes(app))


def test_idle_timeout_comes_from_the_rules(make, services) -> None:
    app = make()
    assert app.idle_timeout == services.rules.session.idle_timeout_minutes * 60 == 15 * 60


@pytest.mark.parametrize("size", SIZES)
async def test_reviewer_sees_the_rules_changed_since_submission(make, store, size):
    """Item 5: an application records the stored rules version; a newer one is said."""
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    put_rules(store, text, "test v1")
    services = make_services(store)
    assert services.rules_version == 1
    student = services.actor_for("2023110102")
    [app_] = [a for a in services.applications(student) if a.id == ZN_UNDER_REVIEW]
    with store.hot(app_.college, app_.student_id) as tx:
        tx.put_application(app_.model_copy(update={"rules_version": 1}))
    put_rules(store, text.replace("default = 1.0", "default = 1.0\n# v2"), "test v2")
    app = make(svc=services)
    async with app.run_test(size=size) as pilot:
        await open_decision(pilot)
        shown = screen_text(app)
        assert services.rules_version == 2  # followed the store without a restart
        assert "规则在提交后已更新（提交时第 1 版，现为第 2 版）" in shown


@pytest.mark.parametrize("size", SIZES)
async def test_disk_full_is_a_message_and_the_screen_stays(make, services, monkeypatch, size):
    """Item 8: ENOSPC on the approval's write: one message naming the file, the app
    keeps running on the decision screen, nothing was written."""
    app = make()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if os.fstat(fd).st_size > 0 and not os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    async with app.run_test(size=size) as pilot:
        await open_decision(pilot)
        monkeypatch.setattr(os, "fsync", full)
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert app.is_running
        shown = notes(app)
        assert any("磁盘已满" in n and ".json" in n for n in shown), shown
    student = services.actor_for("2023110102")
    assert services.application(student, ZN_UNDER_REVIEW).status == Status.UNDER_REVIEW
