"""Trainer mode (issue 5): each shipped scenario walked from start to end with Pilot,
some steps by the real keys and some skipped ahead, with a reset in the middle and the
role switch; assertions on what the panel and the screens show and on what the sandbox
holds.  The real store stays byte-for-byte the same, and a bad scenario file stops
``credx train`` naming file and field."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual.worker import WorkerCancelled

from credx_tui.app import CredxApp, make_app
from credx_tui.cli import main
from credx_tui.dialogs.approve_comment import ApproveDialog
from credx_tui.dialogs.hidden_courses import HiddenCoursesDialog
from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.dialogs.ratio import RatioDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.login import LoginScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.screens.transcript import TranscriptScreen
from credx_tui.services.loading import load_demo
from credx_tui.settings import Settings
from credx_tui.training.sandbox import Sandbox
from credx_tui.training.session import Training, find_scenario
from credx_tui.training.ui import TrainerMode
from credx_tui.widgets.walk_panel import WalkPanel
from policy.models import Role, Status
from policy.rules import load_rules

from .conftest import login, until

RULES = load_rules()
PROJECTOR = (100, 30)
BANNER_ZH = "培训沙盒：所有操作不会影响真实数据"


@pytest.fixture(scope="module")
def sandbox():
    """One sandbox for the module (building one hashes every password); each test
    starts from its reset."""
    with Sandbox(RULES) as box:
        yield box


def trainer(sandbox: Sandbox, scenario_id: str, lang: str = "zh") -> CredxApp:
    """The trainer's app as ``credx train --scenario ID`` builds it, on ``sandbox``."""
    sandbox.reset()
    scenario, _ = find_scenario(scenario_id)
    training = Training(scenario, RULES, sandbox=sandbox)
    app = make_app(Settings(db=sandbox.root, lang=lang), training.services, training=training)
    assert isinstance(app.mode, TrainerMode)
    return app


async def settle(pilot: Pilot) -> None:
    """Let the screens' loaders finish and the panel catch up."""
    await pilot.pause()
    for worker in [w for w in pilot.app.workers if w.group in ("exchange-load", "queue-load")]:
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()
    await pilot.pause()
    pilot.app.mode.refresh_walk()
    await pilot.pause()


async def keys(pilot: Pilot, *pressed: str) -> None:
    await pilot.press(*pressed)
    await settle(pilot)


def panel_text(app: CredxApp) -> str:
    """Everything the walk panel beside the current screen shows."""
    screen = app.mode.walk_screen()
    assert screen is not None
    panel = screen.query_one(WalkPanel)
    return "\n".join(str(s.render()) for s in panel.query(Static) if s.display)


def screen_text(app: CredxApp) -> str:
    """What the real screen shows (its Statics, tables and lists), without the panel."""
    from textual.widgets import DataTable

    parts: list[str] = []
    for widget in app.screen.query("*"):
        if any(isinstance(a, WalkPanel) for a in widget.ancestors_with_self):
            continue
        if isinstance(widget, Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, DataTable):
            for row in range(widget.row_count):
                parts.extend(str(cell) for cell in widget.get_row_at(row))
        elif isinstance(widget, OptionList):
            parts.extend(str(o.prompt) for o in widget.options)
    return "\n".join(parts)


def status_of(app: CredxApp, target: str) -> str | None:
    found = app.mode.walk.application(target)
    return found.status.value if found else None


async def pick_target(pilot: Pilot, name: str) -> None:
    targets = pilot.app.screen.query_one("#targets", OptionList)
    targets.focus()
    await pilot.pause()
    index = next(i for i, o in enumerate(targets.options) if f" {name} " in str(o.prompt))
    targets.highlighted = 0
    await keys(pilot, *(["down"] * index), "enter")


async def test_guide_example_by_keys_and_skips(sandbox: Sandbox) -> None:
    """The guide's example: S1 to S5, the R9 hidden courses and the R8 dialog by the
    real keys, the two applications skipped ahead, the reviewer's approval by keys."""
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        shown = panel_text(app)
        assert BANNER_ZH in shown and "培训沙盒" in app.sub_title
        assert "第 1/11 步" in shown and "【等待】" in shown
        assert app.screen.query_one("#username").has_class("walk-highlight")

        await login(pilot, "2018110101")
        await settle(pilot)
        assert "【完成】" in panel_text(app)
        await keys(pilot, "ctrl+n", "f3")
        assert isinstance(app.screen, TranscriptScreen)
        assert "第 2/11 步  S1" in panel_text(app) and "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n")
        assert "【等待】打开「打印」对话框" in panel_text(app)
        await keys(pilot, "f6")
        assert isinstance(app.screen, PrintDialog) and "print" in app.mode.walk.dialogs_seen
        await keys(pilot, "escape")
        assert "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n", "escape", "f4")
        assert isinstance(app.screen, ExchangeScreen)
        assert "没有符合表中记录" in screen_text(app) and "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n", "f7")
        assert isinstance(app.screen, ApplyScreen)
        assert "R9" in panel_text(app) and "【等待】" in panel_text(app)
        await keys(pilot, "f3")
        assert isinstance(app.screen, HiddenCoursesDialog)
        await keys(pilot, "escape")
        assert "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n")  # R8: one 2-credit elective for a 4-credit course
        await pick_target(pilot, "高等数学(2-1)")
        await keys(pilot, "enter", "f8")
        assert isinstance(app.screen, RatioDialog)
        await keys(pilot, "escape")
        assert "【完成】" in panel_text(app)
        assert status_of(app, "G0101") is None  # the refused offer was never submitted

        await keys(pilot, "ctrl+n", "ctrl+g")  # skip ahead: apply for 高等数学(2-1)
        assert status_of(app, "G0101") == "审核中"
        assert app.mode.walk.step.id == "apply-english" and isinstance(app.screen, ApplyScreen)
        await keys(pilot, "ctrl+g")  # and 英语(2-2); the next step is the reviewer's
        assert status_of(app, "G0202") == "审核中"
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert app.actor is not None and app.actor.username == "rev_zn"
        assert "当前登录：审核人 rev_zn" in panel_text(app)
        assert "高等数学(2-1)" in screen_text(app)

        await keys(pilot, "f8")
        assert isinstance(app.screen, ApproveDialog)
        await keys(pilot, "enter")
        assert status_of(app, "G0101") == "审核通过"
        assert "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n", "ctrl+t")  # role switch: the student's 流程跟踪
        assert isinstance(app.screen, TrailScreen)
        assert app.actor is not None and app.actor.role == Role.STUDENT
        assert "审核通过" in screen_text(app) and "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n", "ctrl+g")  # the last step: the transcript
        assert isinstance(app.screen, TranscriptScreen)
        assert app.mode.walk.at_end and "场景结束" in panel_text(app)
        transcript = screen_text(app)
        math_line = next(line for line in transcript.splitlines() if "高等数学(2-1)" in line)
        assert RULES.exchange_record.result in math_line


async def test_returned_resubmitted_with_reset_and_role_switch(sandbox: Sandbox) -> None:
    app = trainer(sandbox, "returned-resubmitted")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        await keys(pilot, "ctrl+g")
        assert isinstance(app.screen, ExchangeScreen) and "被退回" in screen_text(app)
        await keys(pilot, "ctrl+g")
        assert isinstance(app.screen, TrailScreen) and "截图" in screen_text(app)
        await keys(pilot, "ctrl+g")
        assert isinstance(app.screen, ApplyScreen) and app.screen.application_id is not None
        await keys(pilot, "ctrl+g")
        assert status_of(app, "G0301") == "审核中"
        assert isinstance(app.screen, ReviewDecisionScreen)

        await keys(pilot, "ctrl+o")  # reset in the middle of the walk
        assert isinstance(app.screen, LoginScreen) and app.actor is None
        assert app.mode.walk.index == 0 and "第 1/6 步" in panel_text(app)
        assert "沙盒已重置" in panel_text(app)
        assert app.mode.last_reset_seconds is not None  # its speed: make bench, not here
        assert status_of(app, "G0301") == "被退回"

        await keys(pilot, "ctrl+g", "ctrl+g", "ctrl+g")
        assert isinstance(app.screen, ApplyScreen) and app.mode.walk.step.id == "correct"
        await keys(pilot, "f4", "f8")  # by the keys: the suggested offer, submitted
        assert status_of(app, "G0301") == "审核中"
        assert "【完成】" in panel_text(app)

        await keys(pilot, "ctrl+n")
        assert "本步角色：审核人 rev_zn" in panel_text(app)
        await keys(pilot, "ctrl+t")  # role switch to the reviewer, same application
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert "计算机应用基础" in screen_text(app)
        await keys(pilot, "f8", "enter")
        assert status_of(app, "G0301") == "审核通过"

        await keys(pilot, "ctrl+n", "ctrl+t")  # and back to the student's trail
        assert isinstance(app.screen, TrailScreen)
        trail = screen_text(app)
        assert "退回" in trail and "审核通过" in trail
        assert "【完成】" in panel_text(app) and app.mode.walk.at_end


async def test_extension_r7_in_english_with_a_live_switch(sandbox: Sandbox) -> None:
    app = trainer(sandbox, "extension-r7")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        await keys(pilot, "ctrl+g", "ctrl+g")
        assert isinstance(app.screen, ApplyScreen) and "R7" in panel_text(app)
        await keys(pilot, "f2")  # live: the panel and the screen in English
        shown = panel_text(app)
        assert "Training sandbox: nothing done here affects real data" in shown
        assert "Choose extension credits and read the warning" in shown
        assert "Step 3 of 5" in shown
        await keys(pilot, "ctrl+g")
        assert status_of(app, "YJ23104") == "审核中"
        assert isinstance(app.screen, ReviewDecisionScreen)
        await keys(pilot, "ctrl+g")
        assert status_of(app, "YJ23104") == "被退回"
        assert isinstance(app.screen, TrailScreen)
        assert "R7" in screen_text(app)
        await keys(pilot, "ctrl+g")
        assert "End of the scenario" in panel_text(app)
        assert app.mode.walk.at_end


async def test_a_refused_skip_is_shown_and_does_not_advance(sandbox: Sandbox) -> None:
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        app.mode.walk.index = [s.id for s in app.mode.walk.scenario.steps].index("review")
        await keys(pilot, "ctrl+g")  # approve an application nobody submitted
        assert app.mode.walk.step.id == "review"
        shown = panel_text(app)
        assert "代为完成「review」被拒绝" in shown
        assert app.screen.query_one("#walk-message").has_class("-error")


async def test_panel_layout_at_80x24_and_key_echo(sandbox: Sandbox) -> None:
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(WalkPanel)
        assert panel.region.width == 28 and panel.region.right == 80
        assert panel.region.height == 24
        box = app.screen.query_one("#login-box")
        assert box.region.right <= panel.region.x  # the screen stays beside the panel
        assert "培训沙盒" in panel_text(app)
        await login(pilot, "2018110101")
        await keys(pilot, "f4")
        echo = app.screen.query_one("#walk-echo", Static)
        assert "F4" in str(echo.render()) and "*" in str(echo.render())
        assert "demo" not in str(echo.render())  # the password is masked
        await keys(pilot, "ctrl+l")
        assert not app.screen.query_one("#walk-echo").display
        await keys(pilot, "ctrl+l")
        assert app.screen.query_one("#walk-echo").display


async def test_the_real_store_is_untouched(tmp_path: Path, monkeypatch) -> None:
    real, _ = load_demo(tmp_path / "real", RULES)
    before = {p: p.read_bytes() for p in sorted(real.root.rglob("*")) if p.is_file()}
    monkeypatch.setenv("CREDX_DB", str(real.root))  # even when the real store is the default
    scenario, _ = find_scenario("guide-example")
    training = Training(scenario, RULES)
    try:
        app = make_app(Settings(db=training.sandbox.root), training.services, training=training)
        async with app.run_test(size=PROJECTOR) as pilot:
            await settle(pilot)
            for _ in scenario.steps:
                await keys(pilot, "ctrl+g")
            assert app.mode.walk.at_end
            assert app.mode.walk.application("G0101").status == Status.APPROVED
        assert not str(training.sandbox.root).startswith(str(real.root))
    finally:
        training.close()
    after = {p: p.read_bytes() for p in sorted(real.root.rglob("*")) if p.is_file()}
    assert after == before
    assert not training.sandbox.folder.exists()


def test_train_refuses_a_bad_scenario_naming_file_and_field(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "id='x'\ntitle_zh='a'\ntitle_en='a'\nstudent='1'\nreviewer='r'\n"
        "[[steps]]\nid='one'\nprocedure='S9'\nscreen='login'\ntitle_zh='a'\ntitle_en='a'\n"
        "text_zh='a'\ntext_en='a'\n",
        encoding="utf-8",
    )
    assert main(["train", "--scenario", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "field steps[0] (step one).procedure" in err


def test_train_lists_the_shipped_scenarios(capsys) -> None:
    assert main(["train", "--list", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for scenario_id in ("guide-example", "returned-resubmitted", "extension-r7"):
        assert scenario_id in out


async def test_palette_holds_the_trainer_commands(sandbox: Sandbox) -> None:
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "培训：重置沙盒" in titles and "培训：切换学生/审核人" in titles
        assert "培训场景：被退回后修改并重新提交" in titles
        assert "培训模式（沙盒）" not in titles  # already training
        other = next(c for c in app.get_system_commands(app.screen) if "被退回后修改" in c.title)
        await other.callback()
        await settle(pilot)
        assert app.mode.walk.scenario.id == "returned-resubmitted"
        assert "第 1/6 步" in panel_text(app)


# -- issue 15: the trainer at the projector ------------------------------------------

SIZES_15 = [PROJECTOR, (120, 40)]
"""The trainer's two terminals: the projector's 100x30 and a laptop's 120x40."""


def screen_rows(app: CredxApp) -> list[list[tuple[int, str]]]:
    """The cells the app draws now: per row, (column, character) of each character."""
    from rich.cells import cell_len

    rows: list[list[tuple[int, str]]] = []
    for strip in app.screen._compositor.render_strips():
        x, row = 0, []
        for segment in strip:
            for ch in segment.text:
                row.append((x, ch))
                x += cell_len(ch)
        rows.append(row)
    return rows


def left_of_panel(app: CredxApp) -> list[str]:
    """Each row of the screen as drawn left of the walk panel (what is not covered)."""
    screen = app.mode.walk_screen()
    assert screen is not None
    edge = screen.query_one(WalkPanel).region.x
    return ["".join(ch for x, ch in row if x + cell_len_of(ch) <= edge) for row in screen_rows(app)]


def cell_len_of(ch: str) -> int:
    from rich.cells import cell_len

    return cell_len(ch)


async def skip_to(pilot: Pilot, step_id: str) -> None:
    """Ctrl+G until the walk is at ``step_id``."""
    app = pilot.app
    for _ in app.mode.walk.scenario.steps:
        if app.mode.walk.step.id == step_id:
            return
        await keys(pilot, "ctrl+g")
    assert app.mode.walk.step.id == step_id


@pytest.mark.parametrize("size", SIZES_15)
async def test_transcript_beside_the_panel_lays_out_for_its_width(
    sandbox: Sandbox, size: tuple[int, int]
) -> None:
    """Item 1: after Ctrl+G and after Ctrl+T the transcript is laid out for the width
    beside the panel, so 高等数学(2-1) 显示为兑换 with its 学分 is not cut by the panel."""
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await skip_to(pilot, "result")
        await keys(pilot, "ctrl+g")  # the last step, performed: the transcript
        for how in ("ctrl+g", "ctrl+t twice"):
            assert isinstance(app.screen, TranscriptScreen), how
            rows = left_of_panel(app)
            header = next(r for r in rows if "课程名称" in r)
            assert "学分" in header and "成绩" in header, (how, header)
            math = next(r for r in rows if "高等数学(2-1)" in r)
            assert RULES.exchange_record.result in math and " 4 " in math, (how, math)
            await keys(pilot, "ctrl+t")
            assert app.actor is not None and app.actor.role == Role.REVIEWER
            await keys(pilot, "ctrl+t")


@pytest.mark.parametrize("size", SIZES_15)
async def test_reset_leaves_step_one_waiting(sandbox: Sandbox, size: tuple[int, int]) -> None:
    """Item 2: Ctrl+O from the middle of the walk marks step 1 【等待】, not 【完成】 (the
    portal closed on the way back to the login counted as a visit)."""
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await keys(pilot, "ctrl+g", "ctrl+g", "ctrl+g")
        await keys(pilot, "ctrl+o")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LoginScreen)
                and app.mode.walk.index == 0
                and app.mode.walk_screen() is not None
                and "【等待】" in panel_text(app)
            ),
            what=lambda: (app.screen, app.mode.walk.index),
        )
        assert isinstance(app.screen, LoginScreen) and app.mode.walk.index == 0
        shown = panel_text(app)
        assert "【等待】" in shown and "【完成】" not in shown
        await login(pilot, "2018110101")
        await settle(pilot)
        assert "【完成】" in panel_text(app)  # the trainer's own visit does count


@pytest.mark.parametrize("size", SIZES_15)
async def test_skip_and_switch_paint_only_their_final_screen(
    sandbox: Sandbox, size: tuple[int, int]
) -> None:
    """Item 2: Ctrl+G and Ctrl+T paint no frame of a screen passed on the way (the
    portal, the exchange page) and none of the final screen without its panel."""
    app = trainer(sandbox, "guide-example")
    frames: list[tuple[object, bool]] = []
    original = app._display

    def display(screen, renderable):  # wraps Textual's private hook
        if renderable is not None and not app._batch_count:
            frames.append((screen, any(p.is_mounted for p in screen.query(WalkPanel))))
        return original(screen, renderable)

    app._display = display  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in ["ctrl+g"] * 8 + ["ctrl+t", "ctrl+t"]:
            frames.clear()
            await keys(pilot, key)
            final = app.screen
            assert frames, key  # something was painted
            stray = [(s, panel) for s, panel in frames if s is not final or not panel]
            assert not stray, (key, app.mode.walk.step.id, stray)


async def test_the_panel_follows_the_store_without_a_timer(sandbox: Sandbox) -> None:
    """Item 2: no timer reads the store; a write (here by a worker thread, as a screen's
    would be) redraws the panel."""
    import asyncio

    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        await skip_to(pilot, "apply-math")
        assert "【等待】" in panel_text(app)
        timers = [t for t in app._timers if getattr(t, "name", "") == "walk-refresh"]
        assert not timers
        await asyncio.to_thread(app.mode.walk.perform)  # the services, off the UI thread
        await pilot.pause()
        await pilot.pause()
        assert "【完成】" in panel_text(app)


def rows_in(app: CredxApp, region) -> list[str]:
    """The text drawn inside ``region`` (border included), row by row."""
    return [
        "".join(ch for x, ch in row if region.x <= x < region.right)
        for row in screen_rows(app)[region.y : region.bottom]
    ]


def badly_broken(lines: list[str]) -> list[str]:
    """Lines (border and padding stripped) that begin with punctuation that may not
    begin a line, or end with a bracket that may not end one."""
    from credx_tui.linebreak import NO_END, NO_START

    bad = []
    for line in lines:
        text = line.strip().strip("|").strip()
        if text and (text[0] in NO_START or text[-1] in NO_END):
            bad.append(text)
    return bad


@pytest.mark.parametrize("size", SIZES_15)
async def test_dialogs_and_toasts_stay_beside_the_panel(
    sandbox: Sandbox, size: tuple[int, int]
) -> None:
    """Item 3: the F3 list of hidden courses and the toasts are laid out beside the
    panel, never over it; the panel stays drawn (not under the dialog); and no line
    of the dialog or the panel begins with 。 or ） or ends with （."""
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        await skip_to(pilot, "hidden")
        await keys(pilot, "ctrl+g")  # the hidden step is shown on 申请
        await keys(pilot, "ctrl+y")
        await keys(pilot, "f3")
        assert isinstance(app.screen, HiddenCoursesDialog)
        panel = app.screen.query_one(WalkPanel)
        assert panel.region.right == size[0] and panel.region.height == size[1]
        box = app.screen.query_one("#hidden-dialog")
        assert box.region.right <= panel.region.x
        drawn = rows_in(app, panel.region)
        assert any("不显示的课程及原因" in row for row in drawn)  # the step, not the dialog
        assert not badly_broken(rows_in(app, box.region))
        assert not badly_broken(rows_in(app, panel.region))

        app.notify(
            "已打印：/tmp/credx-train-example/prints/学业成绩单-2018110101-20260401.pdf"
            "，可在打印机上取件。这是一条很长的提示，用来检查提示框的位置。",
            timeout=30,
        )
        from textual.widgets._toast import Toast

        # the toast is mounted and laid out after a refresh or two
        await until(pilot, lambda: [t for t in app.screen.query(Toast) if t.region.area])
        toasts = list(app.screen.query(Toast))
        assert toasts
        for toast in toasts:
            assert toast.region.right <= panel.region.x, toast.region
            assert not badly_broken(rows_in(app, toast.region))

        await keys(pilot, "escape")
        assert isinstance(app.screen, ApplyScreen)
        assert not badly_broken(rows_in(app, app.screen.query_one(WalkPanel).region))


async def test_skipping_the_correction_attaches_the_screenshot(sandbox: Sandbox) -> None:
    """Item 4: Ctrl+G on 修改并重新提交 attaches the sample screenshot; the reviewer's
    screen that follows lists it."""
    app = trainer(sandbox, "returned-resubmitted")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        await skip_to(pilot, "correct")
        await keys(pilot, "ctrl+g")
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert status_of(app, "G0301") == "审核中"
        assert "补考成绩截图.png" in screen_text(app)


# -- item 6: presenter support ----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES_15)
async def test_large_text_and_panel_width_keys(sandbox: Sandbox, size: tuple[int, int]) -> None:
    """Ctrl+K: the panel wide, the step alone, double-spaced and bold; Ctrl+W steps
    the width round; the screen beside is laid out again for what is left."""
    from credx_tui.training.ui import LARGE_WIDTH, PANEL_WIDTHS

    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await keys(pilot, "ctrl+g")  # the transcript
        panel = app.screen.query_one(WalkPanel)
        assert panel.region.width == 34
        await keys(pilot, "ctrl+k")
        await pilot.pause()
        panel = app.screen.query_one(WalkPanel)
        assert panel.region.width == LARGE_WIDTH and panel.has_class("-large")
        for hidden in ("#walk-scenario", "#walk-keys", "#walk-echo", "#walk-rules"):
            assert not panel.query_one(hidden).display, hidden
        text = str(panel.query_one("#walk-text", Static).render())
        assert "\n\n" in text and "高等数学(2-1)" in text.replace("\n", "")
        assert "大字模式：开" in panel_text(app)
        header = next(r for r in left_of_panel(app) if "课程名称" in r)
        assert "学分" in header and "成绩" in header  # laid out for the narrower width

        await keys(pilot, "ctrl+k")  # off again
        widths = []
        for _ in PANEL_WIDTHS:
            await keys(pilot, "ctrl+w")
            await pilot.pause()
            widths.append(app.screen.query_one(WalkPanel).region.width)
        assert widths == [42, 50, 28, 34]
        assert "面板宽度：34 列" in panel_text(app)
        assert "^K 大字" in panel_text(app) and "^W 面板宽度" in panel_text(app)


async def test_large_text_from_the_start(sandbox: Sandbox) -> None:
    app = trainer(sandbox, "guide-example")
    app.mode.large_text = True  # what `credx train --large` sets through the session
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        assert app.screen.query_one(WalkPanel).region.width == 50


def test_train_large_flag_reaches_the_session(monkeypatch) -> None:
    import credx_tui.training.run as run

    seen = {}

    def fake_run(settings: Settings, training: Training) -> int:
        seen["large"] = training.large_text
        return 0

    monkeypatch.setattr(run, "run_trainer", fake_run)
    assert main(["train", "--large"]) == 0
    assert seen == {"large": True}


async def test_presenter_notes_reach_the_state_file_not_the_screen(sandbox: Sandbox) -> None:
    """The step's notes are written for `credx train --notes`, never shown to the class."""
    import json

    from credx_tui.training.notes import STATE_FILE

    app = trainer(sandbox, "guide-example")
    notes = app.mode.walk.scenario.steps[0].notes
    assert notes
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        state = json.loads((sandbox.folder / STATE_FILE).read_text(encoding="utf-8"))
        assert state["n"] == 1 and state["notes"] == notes
        assert notes not in panel_text(app) and notes not in screen_text(app)
        await keys(pilot, "ctrl+g")
        state = json.loads((sandbox.folder / STATE_FILE).read_text(encoding="utf-8"))
        assert state["n"] == 2 and state["notes"] == "" and state["next"] == "打印选项"
        await keys(pilot, "f2")
        state = json.loads((sandbox.folder / STATE_FILE).read_text(encoding="utf-8"))
        assert state["lang"] == "en" and state["title"] == "Check the transcript"


async def test_a_terminal_answer_is_neither_echoed_nor_a_key(sandbox: Sandbox) -> None:
    """Issue 15: tmux's answer to a colour query, handed on as keys by Textual's
    parser, does not show in the key echo, and its closing BEL does not act as
    Ctrl+G (skip ahead): the walk stays on its step."""
    from textual import events
    from textual._xterm_parser import XTermParser

    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        await keys(pilot, "f2")  # a key of the trainer's own, echoed
        step = app.mode.walk.index
        parser = XTermParser()
        answer = [
            event
            for event in [*parser.feed("\x1b]11;rgb:0000/0000/0000\x07"), *parser.feed("")]
            if isinstance(event, events.Key)
        ]
        assert answer[-1].key == "ctrl+g"
        app.screen.query_one("#username").blur()  # nothing typed into the form
        for event in answer:
            app.post_message(event)
        await settle(pilot)
        echo = str(app.screen.query_one("#walk-echo", Static).render())
        assert "F2" in echo
        assert not any(mark in echo for mark in ("rgb", "^G", "]", "/", ";"))
        assert app.mode.walk.index == step


CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
"""Chinese characters and full-width punctuation."""


def data_words(app: CredxApp) -> list[str]:
    """What stays Chinese in English because it is data: the people's names, the
    courses' and the college's names, as the sandbox holds them; and 中文, the F2
    key's label (the language's own name, as the app's footer writes it)."""
    walk = app.mode.walk
    dossier = app.services.dossier(walk.student())
    student, transcript = dossier.student, dossier.transcript
    words = {"中文", student.name, student.college, student.major, student.class_name}
    for entries in (transcript.records, transcript.level_exams, transcript.certificates):
        words.update(entry.name for entry in entries)
    for application in dossier.applications:  # what people wrote and the files they gave
        words.update(a.filename for a in application.attachments)
        words.add(application.note)
        for event in app.services.trail(walk.student(), application.id):
            words.update((event.reason, event.comment))
    return sorted(words, key=len, reverse=True)


def chinese_outside_data(app: CredxApp, text: str) -> list[str]:
    """The Chinese left in ``text`` once the data is taken out (spaces and line
    breaks ignored: a long course name is broken over lines)."""
    text = re.sub(r"\s+", "", text)
    words = [re.sub(r"\s+", "", word) for word in data_words(app)]
    for word in words:
        text = text.replace(word, "")
    # What is left of a name cut to fit a column is part of that name.
    return [run for run in CHINESE.findall(text) if not any(run in word for word in words)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_panel_walks_s1_to_s5_in_english_throughout(sandbox: Sandbox, size) -> None:
    """Issue 15: in English the panel has no Chinese glosses: every step of the
    guide's example (S1, S2, S4, S5) and of the returned application (S3, S5), by
    Ctrl+G, shows only English beside the screen, apart from data (names of people,
    courses, the college) and the F2 key's 中文 (the app's footer writes it so)."""
    app = trainer(sandbox, "guide-example", lang="en")
    seen: list[str] = []
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for then in ("returned-resubmitted", None):
            walk = app.mode.walk
            for _ in walk.scenario.steps:
                seen.append(walk.step.procedure)
                for text in (panel_text(app), screen_text(app)):
                    assert chinese_outside_data(app, text) == [], (walk.step.id, text)
                await keys(pilot, "ctrl+g")
            assert walk.at_end
            if then is not None:
                await app.mode.start_scenario(find_scenario(then)[0])
                await settle(pilot)
    assert {"S1", "S2", "S3", "S4", "S5"} <= set(seen)


async def test_role_switch_keeps_each_side_s_pages_and_their_data_fresh(
    sandbox: Sandbox,
) -> None:
    """Issue 14: Ctrl+T does not rebuild the other role's pages: the student's 流程跟踪
    and the reviewer's decision screen are the same screens when switched back to,
    showing what changed meanwhile (the approval) and in the language chosen
    meanwhile (F2 on the other side).  A reset closes every kept page."""
    app = trainer(sandbox, "guide-example")
    async with app.run_test(size=PROJECTOR) as pilot:
        await settle(pilot)
        await skip_to(pilot, "review")
        await keys(pilot, "ctrl+t")  # the student's side of the same application
        assert isinstance(app.screen, TrailScreen) and app.actor.role == Role.STUDENT
        trail, student_pages = app.screen, list(app.screen_stack)
        assert "审核中" in screen_text(app)
        await keys(pilot, "ctrl+t")  # the reviewer's side: its pages were kept
        decision = app.screen
        assert isinstance(decision, ReviewDecisionScreen)
        assert trail not in app.screen_stack and trail.is_attached  # parked, not closed
        await keys(pilot, "f8", "enter")  # approved by the keys
        assert status_of(app, "G0101") == "审核通过"
        await keys(pilot, "f2", "ctrl+t")  # English, then back to the student
        assert app.screen is trail and list(app.screen_stack) == student_pages
        shown = screen_text(app)
        assert "Approved" in shown and "审核中" not in shown
        await keys(pilot, "ctrl+t")
        assert app.screen is decision
        await keys(pilot, "ctrl+o")
        assert not trail.is_attached and not decision.is_attached
        assert not app._installed_screens
