"""The palette's 培训模式 (issue 14): when the trainer cannot start or stops with an
error, the app says why instead of flashing the terminal and coming back silently.

The app is suspended in a real terminal; Pilot's headless driver cannot suspend, so
``suspend`` is a no-op here, while ``credx train`` itself runs as a real process."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from credx_tui.app import CredxApp
from credx_tui.training import launch
from tests.ui.conftest import HAPPY_STUDENT, login, palette_lists, settle, until


def _messages(app: CredxApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _run_palette_train(pilot, app: CredxApp, words: str) -> None:
    """Ctrl+P, the command's name, Enter: as a trainer at the lab terminal would."""
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*words)
    await until(pilot, lambda: palette_lists(app, words), what=f"the palette lists {words!r}")
    await pilot.press("enter")
    await settle(pilot)


@pytest.fixture
def suspendable(monkeypatch: pytest.MonkeyPatch) -> Callable[[CredxApp], None]:
    """Let the headless app 'suspend' (a terminal's driver would hand it over)."""

    def allow(app: CredxApp) -> None:
        @contextlib.contextmanager
        def suspend() -> Iterator[None]:
            yield

        monkeypatch.setattr(app, "suspend", suspend)

    return allow


@pytest.mark.parametrize(
    "lang,words,said", [("zh", "培训模式", "重新安装"), ("en", "Trainer", "reinstall")]
)
async def test_missing_package_data_is_said_before_anything_starts(
    make, monkeypatch, tmp_path: Path, lang: str, words: str, said: str
) -> None:
    """An install without the shipped scenarios: the palette names the missing folder."""
    empty = tmp_path / "scenarios"
    empty.mkdir()
    monkeypatch.setattr(launch, "SCENARIO_DIR", empty)
    started: list[list[str]] = []
    monkeypatch.setattr(launch.subprocess, "run", lambda cmd, **kw: started.append(cmd))
    app = make(lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await _run_palette_train(pilot, app, words)
        await until(pilot, lambda: _messages(app), what="a message of the palette")
        messages = _messages(app)
        assert any(str(empty) in m and said in m for m in messages), messages
        assert started == []  # the terminal was never handed over


async def test_a_refusal_of_credx_train_is_shown_in_the_app(make, monkeypatch, suspendable) -> None:
    """The real ``credx train`` refuses an unknown scenario; its message reaches the app."""
    real = launch.train_command
    monkeypatch.setattr(
        launch,
        "train_command",
        lambda app, error_file=None: [*real(app, error_file), "--scenario", "no-such-scenario"],
    )
    app = make(lang="en")
    suspendable(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await _run_palette_train(pilot, app, "Trainer")
        await until(pilot, lambda: _messages(app), what="the trainer's message", timeout=60)
        messages = _messages(app)
        assert any(
            "Trainer mode stopped (exit code 1)" in m and "no-such-scenario" in m for m in messages
        ), messages


async def test_a_crash_without_a_message_is_still_said(make, monkeypatch, suspendable) -> None:
    """A trainer that dies before it can say why: the exit code and what to do."""
    monkeypatch.setattr(
        launch,
        "train_command",
        lambda app, error_file=None: [sys.executable, "-c", "raise SystemExit(3)"],
    )
    app = make(lang="zh")
    suspendable(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await _run_palette_train(pilot, app, "培训模式")
        await until(pilot, lambda: _messages(app), what="the trainer's message", timeout=60)
        messages = _messages(app)
        assert any("退出码 3" in m and "credx train" in m for m in messages), messages


async def test_quitting_the_trainer_says_nothing(
    make, monkeypatch, suspendable, tmp_path: Path
) -> None:
    """A trainer that ended as asked (exit 0) brings the app back without a message."""
    ran = tmp_path / "ran"
    script = f"open({str(ran)!r}, 'w').close()"
    monkeypatch.setattr(
        launch, "train_command", lambda app, error_file=None: [sys.executable, "-c", script]
    )
    app = make(lang="zh")
    suspendable(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await _run_palette_train(pilot, app, "培训模式")
        # subprocess.run holds the event loop: once the file is seen, the launch is over
        await until(pilot, ran.exists, what="the trainer ran", timeout=60)
        assert _messages(app) == []
