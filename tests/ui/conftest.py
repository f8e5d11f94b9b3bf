"""Fixtures of the UI tests: a fresh demo college per test, the app built by the
composition root, and helpers that press the real keys."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import traceback
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from credx_tui.app import CredxApp, make_app
from credx_tui.services import Actor, Services, make_services
from credx_tui.services.loading import load_demo
from credx_tui.settings import Settings
from credx_tui.store import Store, files
from credx_tui.working import WORK_GROUP
from policy.rules import Rules, load_rules

SIZES = [(80, 24), (120, 40)]
"""Every journey test runs at the lab terminal's 80x24 and at projector size."""

FIXED_NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
"""The clock of the snapshot tests (10:00 in China)."""

HAPPY_STUDENT = "2018110101"
"""江浩宇: the seed's transcript, 高等数学(2-1) and 英语(2-2) failed after 补考."""
RETURNED_STUDENT = "2023110106"
"""马骏: XF2026-0003 (计算机应用基础) 被退回."""
UNDER_REVIEW_STUDENT = "2023110102"
"""周雨桐: XF2026-0002 审核中."""
APPROVED_STUDENT = "2023110105"
"""孙嘉怡: XF2026-0001 (高等数学(2-1)) 审核通过."""
PASSWORD = "demo"


@pytest.fixture(autouse=True)
def truecolor(monkeypatch: pytest.MonkeyPatch) -> None:
    """UI tests run in a truecolor terminal whatever TERM the machine has: the app styles
    a 16-colour terminal differently (app.tcss -colors16), and the snapshots are drawn
    in truecolor; tests/ui/test_colours16.py sets TERM=xterm itself."""
    monkeypatch.setenv("COLORTERM", "truecolor")


LOCK_ON_LOOP_ALLOWED: dict[str, str] = {}
"""Store locks the app may still take on its event loop (issue 13, item 2), by the
credx function that takes them (``module:function`` of the innermost credx_tui frame
outside the store and services) and why.  Empty: every lock is taken in a thread."""


class LockOnLoop:
    """Records every store lock the running app takes on its event loop (the main
    thread), where a blocking ``flock`` would freeze the screen (issue 13, item 2).

    The test's own coroutine (it runs on the same loop: a test may set up or read back
    the store through the services) is not the app: the tasks that entered
    ``run_test`` are excused."""

    def __init__(self) -> None:
        self.tests: set[asyncio.Task[object]] = set()
        self.running = 0
        self.found: list[str] = []

    def __call__(self, lock_path: object) -> None:
        if threading.current_thread() is not threading.main_thread() or not self.running:
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return  # no loop running: not the app
        if task is None or task in self.tests:
            return
        stack = traceback.extract_stack()[:-1]
        where = next(
            (
                f"{f.filename.split('credx_tui/')[-1].removesuffix('.py').replace('/', '.')}"
                f":{f.name}"
                for f in reversed(stack)
                if "credx_tui/" in f.filename
                and "credx_tui/store/" not in f.filename
                and "credx_tui/services/" not in f.filename
            ),
            "?",
        )
        if where in LOCK_ON_LOOP_ALLOWED:
            return
        lines = "".join(traceback.format_list(stack[-12:]))
        self.found.append(f"{lock_path} taken on the UI thread by {where}:\n{lines}")


@pytest.fixture(autouse=True)
def no_lock_on_loop(monkeypatch: pytest.MonkeyPatch) -> object:
    """Every UI test proves that the app takes no store lock on its event loop."""
    from textual.app import App

    watch = LockOnLoop()
    original = App.run_test

    @contextlib.asynccontextmanager
    async def run_test(self: App, *args: object, **kwargs: object) -> AsyncIterator[Pilot]:
        task = asyncio.current_task()
        if task is not None:
            watch.tests.add(task)
        watch.running += 1
        try:
            async with original(self, *args, **kwargs) as pilot:  # type: ignore[arg-type]
                yield pilot
        finally:
            watch.running -= 1

    monkeypatch.setattr(App, "run_test", run_test)
    monkeypatch.setattr(files, "LOCK_HOOKS", [*files.LOCK_HOOKS, watch])
    yield watch
    if watch.found:
        pytest.fail("store lock taken on the event loop:\n" + "\n".join(watch.found[:5]))


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The bundled default rules."""
    return load_rules()


@pytest.fixture
def store(tmp_path: Path, rules: Rules) -> Store:
    """A fresh demo college in ``tmp_path/db``."""
    demo, _ = load_demo(tmp_path / "db", rules)
    return demo


@pytest.fixture
def services(store: Store, rules: Rules) -> Services:
    """Services over the demo store (real clock)."""
    return make_services(store, rules)


@pytest.fixture
def make(store: Store, services: Services, tmp_path: Path) -> Callable[..., CredxApp]:
    """Build the app as the CLI does, printing into ``tmp_path/prints``."""

    def build(lang: str = "zh", svc: Services | None = None) -> CredxApp:
        return make_app(
            Settings(db=store.root, lang=lang), svc or services, print_dir=tmp_path / "prints"
        )

    return build


def actor(services: Services, username: str) -> Actor:
    """An actor for reading back what the store holds (a fresh login)."""
    return services.actor_for(username)


SETTLED = {"exchange-load", WORK_GROUP}
"""The worker groups ``settle`` waits for."""


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the screen catch up."""
    await pilot.pause()
    # Only our loaders and the service calls moved off the event loop (issue 13):
    # DirectoryTree keeps a worker waiting for folders to expand.  A call's result may
    # start the next (save, then submit): a few rounds, each waiting for real work.
    for _ in range(10):
        ours = [w for w in pilot.app.workers if w.group in SETTLED and not w.is_finished]
        if not ours:
            break
        for worker in ours:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()
    await pilot.pause()


async def until(
    pilot: Pilot,
    predicate: Callable[[], object],
    timeout: float = 20.0,
    what: str | Callable[[], object] = "",
    step: float = 0.05,
) -> None:
    """Let the app run until ``predicate()`` holds, for what happens asynchronously (a
    refit after layout, a timer, a worker, a subprocess): a fixed pause is too short on
    a busy machine (CI: 2 cores, 2 workers), and this returns as soon as it holds.
    Fails after ``timeout`` seconds, naming what was awaited (``what``, or what it
    returns when called: the state at the end, e.g. the screen's rows)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            said = what() if callable(what) else what
            pytest.fail(f"not within {timeout:g} s: {said or predicate!r}")
        await pilot.pause(step)
    await pilot.pause()


def palette_lists(app: CredxApp, words: str) -> bool:
    """The command palette is open and its first hit is the command ``words``: it
    searches in a worker, and Enter before its list shows does nothing."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(app.screen, CommandPalette):
        return False
    hits = app.screen.query_one(CommandList)
    return hits.option_count > 0 and words in str(hits.get_option_at_index(0).prompt)


async def login(pilot: Pilot, username: str, password: str = PASSWORD) -> None:
    """Type the 学号 and password on the login screen, as a student would (after a
    failure the student goes back to the 学号 field: focus and clear it)."""
    from textual.widgets import Input

    field = pilot.app.screen.query_one("#username", Input)
    field.value = ""
    field.focus()
    await pilot.pause()
    await pilot.press(*username, "enter")
    await pilot.press(*password, "enter")
    await settle(pilot)


async def open_exchange(pilot: Pilot, username: str) -> None:
    """Log in as a student and open 学分兑换 (F4 on the portal), as the student would."""
    await login(pilot, username)
    await pilot.press("f4")
    await settle(pilot)


def screen_text(app: CredxApp) -> str:
    """Everything the current screen shows, as plain text (Static contents and
    table cells), for assertions on what the student reads."""
    from textual.widgets import DataTable, OptionList, Static

    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, DataTable):
            parts.extend(str(c.label) for c in widget.columns.values())
            for row in range(widget.row_count):
                parts.extend(str(cell) for cell in widget.get_row_at(row))
        elif isinstance(widget, OptionList):
            parts.extend(str(o.prompt) for o in widget.options)
    return "\n".join(parts)


async def attach_shot(pilot: Pilot, folder: Path, name: str = "shot.png") -> Path:
    """S4 on the apply screen: F6, the path of a real PNG (Pillow) typed into the
    dialog, Enter; the services check and store it."""
    import io

    from PIL import Image
    from textual.widgets import Input

    path = folder / name
    if not path.exists():
        out = io.BytesIO()
        Image.new("RGB", (16, 16), "white").save(out, format="PNG")
        path.write_bytes(out.getvalue())
    await pilot.press("f6")
    await settle(pilot)
    pilot.app.screen.query_one("#attach-path", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return path
