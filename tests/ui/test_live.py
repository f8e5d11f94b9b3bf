"""Live screens (issue 13, item 3): a change made by a SECOND PROCESS (a real credx
process writing through the services, ``live_worker.py``) appears on the first app's
screen without a key press (the 2 s target is measured by benchmarks/live.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.review_queue import ReviewQueueScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.screens.transcript import TranscriptScreen
from policy.models import Account, ReviewAction, Role
from tests.ui.conftest import (
    HAPPY_STUDENT,
    SIZES,
    UNDER_REVIEW_STUDENT,
    login,
    open_exchange,
    screen_text,
    settle,
)
from tests.ui.test_reviewer import open_first, open_queue, row_keys

WORKER = Path(__file__).with_name("live_worker.py")
WITHIN = 20.0
"""How long a test waits, without a key press, for the other process's commit to show.

Generous on purpose: these tests prove the screen changes *by itself*; how fast it
changes (the issue 13 target of 2 s) is measured by ``make bench`` (benchmarks/live.py),
never by a timed assertion that a loaded CI machine could miss."""
ZN_UNDER_REVIEW = "XF2026-0002"
"""周雨桐's 虚拟化技术, waiting for rev_zn."""


def other_process(root: Path, *args: str) -> float:
    """Run one write in a second credx process; when (monotonic) it was committed."""
    done = subprocess.run(
        [sys.executable, str(WORKER), args[0], str(root), *args[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    words = done.stdout.split()
    assert words[:1] == ["done"], done.stdout + done.stderr
    return float(words[1])


async def shown_within(pilot: Pilot, seen, committed: float) -> bool:
    """Wait (without a key) until ``seen()`` holds, at most WITHIN seconds after the
    other process's commit, or after the app got its event loop back if that is later
    (the test's blocking ``subprocess.run`` held it while the process wound down)."""
    began = max(committed, time.monotonic())
    while time.monotonic() - began < WITHIN:
        if seen():
            return True
        await pilot.pause(0.02)
    return seen()


@pytest.mark.parametrize("size", SIZES)
async def test_student_sees_the_return_and_its_reason(make, store, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrailScreen)
        assert "审核中" in screen_text(app)
        assert screen.check_action("withdraw", ()) is True
        # The re-read runs in a thread worker, never on the UI's event loop (item 2).
        threads: list[bool] = []
        trail = app.services.trail

        def recorded(*args, **kwargs):
            threads.append(threading.current_thread() is threading.main_thread())
            return trail(*args, **kwargs)

        app.services.trail = recorded  # type: ignore[method-assign]
        reason = "请补充补考成绩截图"
        committed = other_process(store.root, "return", "rev_zn", ZN_UNDER_REVIEW, reason)
        assert await shown_within(pilot, lambda: reason in screen_text(app), committed)
        assert threads and not any(threads)
        shown = screen_text(app)
        assert "退回原因：" + reason in shown and "被退回" in shown
        # 撤回 is no longer offered; F7 修改 and F8 重新提交 are.
        assert screen.check_action("withdraw", ()) is False
        assert screen.check_action("resubmit", ()) is True
        await pilot.pause()
        footer = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "withdraw" not in footer and "resubmit" in footer


@pytest.mark.parametrize("size", SIZES)
async def test_student_list_follows_a_decision(make, store, size):
    """学分兑换's 申请结果 turns 审核中 into 审核通过 by itself, the cursor kept."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        screen = app.screen
        assert isinstance(screen, ExchangeScreen)
        before = screen.current_id()
        table = screen.query_one("#applications", DataTable)

        def status() -> str:
            return str(table.get_cell(ZN_UNDER_REVIEW, "status"))

        assert status().startswith("审核中")  # with its step (R11)
        committed = other_process(store.root, "approve", "rev_zn", ZN_UNDER_REVIEW)
        assert await shown_within(pilot, lambda: status() == "审核通过", committed)
        assert screen.current_id() == before


@pytest.mark.parametrize("size", SIZES)
async def test_reviewer_sees_a_new_application_join_and_a_withdrawn_one_leave(make, store, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewQueueScreen)
        assert row_keys(app) == [ZN_UNDER_REVIEW]
        assert "江浩宇" not in screen_text(app)
        committed = other_process(store.root, "submit", HAPPY_STUDENT, "高等数学(2-1)")
        assert await shown_within(pilot, lambda: "江浩宇" in screen_text(app), committed)
        keys = row_keys(app)
        assert len(keys) == 2 and keys[0] == ZN_UNDER_REVIEW  # oldest first, cursor kept
        assert app.screen.query_one("#queue-table", DataTable).cursor_row == 0
        assert "审核中 2" in screen_text(app)
        joined = keys[1]
        committed = other_process(store.root, "withdraw", HAPPY_STUDENT, joined)
        assert await shown_within(pilot, lambda: row_keys(app) == [ZN_UNDER_REVIEW], committed)
        assert "江浩宇" not in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_two_reviewers_the_other_decides_while_this_one_looks(make, store, services, size):
    """ "已被他人处理" the moment the other reviewer decides, and no approve/return."""
    services.add_account(
        services.actor_for("admin"),
        Account(
            username="rev_zn2",
            role=Role.REVIEWER,
            display_name="第二审核人",
            password_hash="-",
            colleges=["智能制造学院"],
        ),
        "demo",
    )
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        screen = await open_first(pilot)
        assert screen.check_action("approve", ()) and screen.check_action("return", ())
        committed = other_process(store.root, "approve", "rev_zn2", ZN_UNDER_REVIEW)
        assert await shown_within(pilot, lambda: "已被他人处理" in screen_text(app), committed)
        shown = screen_text(app)
        assert "rev_zn2" in shown and "审核通过" in shown
        assert not screen.check_action("approve", ())
        assert not screen.check_action("return", ())
        await pilot.pause()
        enabled = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "approve" not in enabled and "return" not in enabled
        await pilot.press("f8")  # not offered: nothing happens, nothing is written
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
    events = services.trail(services.actor_for(UNDER_REVIEW_STUDENT), ZN_UNDER_REVIEW)
    decided = [e for e in events if e.action in (ReviewAction.APPROVE, ReviewAction.RETURN)]
    assert [(e.action, e.actor) for e in decided] == [(ReviewAction.APPROVE, "rev_zn2")]


async def test_decision_screen_says_when_the_student_withdrew(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        screen = await open_first(pilot)
        committed = other_process(store.root, "withdraw", UNDER_REVIEW_STUDENT, ZN_UNDER_REVIEW)
        assert await shown_within(pilot, lambda: "已不在队列中" in screen_text(app), committed)
        assert not screen.check_action("approve", ())


async def test_trainer_panel_follows_the_sandbox_without_polling(tmp_path):
    """The walk panel's 【等待】 turns 【完成】 when the step's application appears,
    written by another process on the sandbox, with no timer polling the store; and
    still after a sandbox reset (which puts a new store folder in place)."""
    from credx_tui.app import CredxApp, make_app
    from credx_tui.settings import Settings
    from credx_tui.training.sandbox import Sandbox
    from credx_tui.training.session import Training, find_scenario
    from credx_tui.training.ui import TrainerMode
    from policy.rules import load_rules

    def panel(app: CredxApp) -> str:
        screen = app.mode.walk_screen()
        if screen is None:
            return ""
        return "\n".join(str(s.render()) for s in screen.query("WalkPanel Static"))

    rules = load_rules()
    with Sandbox(rules) as sandbox:
        scenario, _ = find_scenario("guide-example")
        step = next(i for i, s in enumerate(scenario.steps) if s.id == "apply-math")
        training = Training(scenario, rules, sandbox=sandbox)
        app = make_app(Settings(db=sandbox.root), training.services, training=training)
        assert isinstance(app.mode, TrainerMode)
        training.walk.index = step
        async with app.run_test(size=(100, 30)) as pilot:
            assert await shown_within(pilot, lambda: "【等待】" in panel(app), time.monotonic())
            assert not [t for t in app._timers if getattr(t, "name", "") == "walk-refresh"]
            committed = other_process(sandbox.root, "submit", HAPPY_STUDENT, "高等数学(2-1)")
            assert await shown_within(pilot, lambda: "【完成】" in panel(app), committed)
            await pilot.press("ctrl+o")  # reset: the sandbox's folder is replaced
            await pilot.pause()
            training.walk.index = step
            app.mode.refresh_walk()
            assert "【等待】" in panel(app)
            committed = other_process(sandbox.root, "submit", HAPPY_STUDENT, "高等数学(2-1)")
            assert await shown_within(pilot, lambda: "【完成】" in panel(app), committed)


async def test_transcript_shows_an_approval_made_elsewhere(make, store, rules):
    """学生成绩总表: the course paid for turns into the college's exchange result (S5)
    when a reviewer approves in another process."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        before = screen_text(app)
        committed = other_process(store.root, "approve", "rev_zn", ZN_UNDER_REVIEW)
        assert await shown_within(pilot, lambda: screen_text(app) != before, committed)
        result = rules.exchange_record.result
        assert before.count(result) < screen_text(app).count(result)


@pytest.mark.parametrize("backend", ["stat"])
async def test_without_inotify_the_stat_fallback_keeps_the_queue_live(
    make, store, monkeypatch, backend
):
    """Where inotify is missing or refused: a stat of the queue's hot files every 0.5 s."""
    monkeypatch.setenv("CREDX_WATCH", backend)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        assert app.store_watcher is not None and app.store_watcher.backend == "stat"
        committed = other_process(store.root, "submit", HAPPY_STUDENT, "高等数学(2-1)")
        assert await shown_within(pilot, lambda: "江浩宇" in screen_text(app), committed)
        assert len(row_keys(app)) == 2


@pytest.mark.parametrize("size", SIZES)
async def test_a_term_update_imported_elsewhere_reaches_the_open_transcript(
    make, store, tmp_path, size
):
    """The registrar runs a real ``credx import`` (another process) of the term's
    grades with a 重修 result of 江浩宇's 高等数学(2-1): his open 学生成绩总表 shows it
    without a key press."""
    import openpyxl

    grades = [
        [
            "学年",
            "学期",
            "学号",
            "姓名",
            "课程代码",
            "课程名称",
            "课程性质",
            "学分",
            "成绩",
            "考试性质",
        ],
        ["2019-2020", 1, HAPPY_STUDENT, "江浩宇", "G0101", "高等数学(2-1)", "必修", 4, 93, "重修"],
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "成绩"
    for row in grades:
        sheet.append(row)
    update = tmp_path / "term.xlsx"
    book.save(update)
    credx = Path(sys.executable).with_name("credx")
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        before = screen_text(app)
        done = subprocess.run(
            [str(credx), "import", "--db", str(store.root), str(update)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        committed = time.monotonic()
        assert await shown_within(pilot, lambda: screen_text(app) != before, committed)
        await settle(pilot)
        after = screen_text(app)
        assert before.count("93") < after.count("93")
        assert isinstance(app.screen, TranscriptScreen)
