"""The login screen is drawn before the services exist (issue 13, item 4).

``credx`` hands the app what builds its services (``credx_tui.startup.ServicesBuild``)
instead of built ones; the build runs after the first paint.  These tests hold the
build on an Event they control: the screen takes typing and quits while the build
runs, a login typed faster waits for it and lands on the student's page, and a build
that fails is said on the login screen.  A fresh interpreter proves the login screen
imports neither pydantic, nor a policy model, nor the services."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from credx_tui.app import make_app
from credx_tui.services import Services, make_services
from credx_tui.settings import Settings
from credx_tui.startup import ServicesBuild
from credx_tui.store import Store
from credx_tui.working import WORK_GROUP
from tests.ui.conftest import HAPPY_STUDENT, PASSWORD, SIZES, screen_text, settle, until

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0
"""Longest a gated build waits for its test (a failing test must not hang the run)."""


class Gate:
    """A services factory that blocks until :meth:`open` (bounded by :data:`WAIT`)."""

    def __init__(self, store: Store, idle_minutes: int | None = None) -> None:
        self.store = store
        self.idle_minutes = idle_minutes
        self.entered = threading.Event()
        self.released = threading.Event()

    def __call__(self) -> Services:
        self.entered.set()
        if not self.released.wait(WAIT):
            raise RuntimeError("the test never opened the gate")
        services = make_services(self.store)
        if self.idle_minutes is None:
            return services
        rules = services.rules
        session = rules.session.model_copy(update={"idle_timeout_minutes": self.idle_minutes})
        return make_services(self.store, rules.model_copy(update={"session": session}))

    def open(self) -> None:
        self.released.set()


def _app(store: Store, build: ServicesBuild, tmp_path: Path):  # -> CredxApp
    return make_app(Settings(db=store.root), build, print_dir=tmp_path / "prints")


@pytest.mark.parametrize("size", SIZES)
async def test_login_is_typed_while_the_services_are_built(
    store: Store, tmp_path: Path, size: tuple[int, int]
) -> None:
    gate = Gate(store)
    app = _app(store, ServicesBuild(gate), tmp_path)
    try:
        async with app.run_test(size=size) as pilot:
            await until(pilot, gate.entered.is_set, what="the build never started")
            assert app.screen.id == "login"
            assert not app.services_ready
            await pilot.press(*HAPPY_STUDENT)
            assert app.screen.query_one("#username", Input).value == HAPPY_STUDENT
            await pilot.press("enter", *PASSWORD, "enter")
            # Faster than the build: the screen says it is opening the store, and keeps
            # taking keys (F2 switches the language under the waiting login).
            await until(
                pilot, lambda: "正在打开数据" in screen_text(app), what=lambda: screen_text(app)
            )
            await pilot.press("f2")
            await until(
                pilot,
                lambda: "Opening the store" in screen_text(app),
                what=lambda: screen_text(app),
            )
            assert app.screen.id == "login"
            assert app.screen.query_one("#username", Input).value == HAPPY_STUDENT
            gate.open()
            await until(pilot, lambda: app.screen.id == "portal", what=lambda: screen_text(app))
            await settle(pilot)
            assert app.actor is not None and app.actor.username == HAPPY_STUDENT
            assert HAPPY_STUDENT in screen_text(app)
    finally:
        gate.open()


async def test_the_college_appears_once_built_and_login_is_direct(
    store: Store, tmp_path: Path
) -> None:
    gate = Gate(store, idle_minutes=7)
    app = _app(store, ServicesBuild(gate), tmp_path)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, gate.entered.is_set, what="the build never started")
            college = app.screen.query_one("#login-college")
            assert str(college.render()) == ""
            assert app.store_watcher is None  # it follows the services' store
            gate.open()
            await until(pilot, lambda: app.services_ready, what="services never built")
            await until(pilot, lambda: "示范职业技术学院" in str(college.render()))
            # What waited for the services runs now: the rules' idle timeout, the
            # store watcher of the live screens.
            assert app.idle_timeout == 7 * 60.0
            assert app.store_watcher is not None
            await pilot.press(*HAPPY_STUDENT, "enter", *PASSWORD, "enter")
            await until(pilot, lambda: app.screen.id == "portal", what=lambda: screen_text(app))
            await settle(pilot)
    finally:
        gate.open()


@pytest.mark.parametrize("key", ["ctrl+q", "escape"])
async def test_quit_while_the_services_are_built(store: Store, tmp_path: Path, key: str) -> None:
    """Esc does nothing on the login screen (it is the first screen); Ctrl+Q quits, also
    while a login waits for the build, whose worker gives up instead of holding the
    exit."""
    gate = Gate(store)
    app = _app(store, ServicesBuild(gate), tmp_path)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, gate.entered.is_set, what="the build never started")
            await pilot.press(*HAPPY_STUDENT, "enter", *PASSWORD, "enter")
            await until(
                pilot, lambda: "正在打开数据" in screen_text(app), what=lambda: screen_text(app)
            )
            waiting = [w for w in app.workers if w.group == WORK_GROUP and not w.is_finished]
            assert waiting, "the login does not wait in a worker"
            await pilot.press(key)
            if key == "escape":
                await pilot.pause()
                assert app.screen.id == "login" and app.is_running
                await pilot.press("ctrl+q")
            await until(pilot, lambda: app.return_code is not None, what="no quit")
        # The login's worker ended although the build still holds.
        assert not gate.released.is_set()
        for worker in waiting:
            await until_done(worker)
    finally:
        gate.open()
    assert app.return_code == 0


async def until_done(worker: object) -> None:
    """A worker's thread ended (bounded: a worker stuck on the build fails here)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not worker.is_finished:  # type: ignore[attr-defined]
        assert loop.time() < deadline, "the login's worker still waits for the build"
        await asyncio.sleep(0.05)


def _break_rules(store: Store) -> None:
    """The stored rules no longer load (a version stored past ``credx rules apply``'s
    validation, as a hand edit of rules.json would be)."""
    store.put_rules("[college]\nname = ", "test: broken")


def _unreadable(store: Store) -> None:
    """A store file is damaged: rules.json is no JSON any more."""
    (store.root / "rules.json").write_bytes(b"{ not json")


@pytest.mark.parametrize("damage", [_break_rules, _unreadable], ids=["rules", "marker"])
async def test_a_failed_build_is_said_on_the_login_screen(
    store: Store, tmp_path: Path, damage
) -> None:
    damage(store)
    app = _app(store, ServicesBuild(lambda: make_services(Store(store.root))), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        build = app.services_build
        assert build is not None
        await until(pilot, lambda: build.done, what="the build never ended")
        await until(
            pilot, lambda: "无法打开数据" in screen_text(app), what=lambda: screen_text(app)
        )
        assert "请联系管理员" in screen_text(app)
        assert app.screen.id == "login" and not app.services_ready
        # A login says it again, and the screen still works.
        await pilot.press(*HAPPY_STUDENT, "enter", *PASSWORD, "enter")
        await settle(pilot)
        assert app.screen.id == "login" and app.is_running
        message = str(app.screen.query_one("#login-message").render())
        assert "无法打开数据" in message
        assert app.screen.query_one("#password", Input).value == ""
        await pilot.press("f2")
        await until(
            pilot,
            lambda: "Cannot open the store" in screen_text(app),
            what=lambda: screen_text(app),
        )
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code is not None, what="no quit")


LIGHT_LOGIN = """
import sys

def heavy():
    return " ".join(
        sorted(
            name
            for name in sys.modules
            if name == "pydantic"
            or name.startswith(
                ("pydantic.", "policy.models", "credx_tui.services", "credx_tui.store.store")
            )
        )
    ) or "none"

from credx_tui.app import make_app
from credx_tui.screens.registry import screen_class
from credx_tui.settings import Settings

print("imported:", heavy())
from credx_tui.startup import ServicesBuild

app = make_app(Settings(db=sys.argv[1]), ServicesBuild(lambda: None))
screen = screen_class("login")()
print("built:", heavy())
"""


def test_the_login_screen_imports_no_model_and_no_services(tmp_path: Path) -> None:
    """Importing the app and building it with its login screen loads neither pydantic,
    nor a policy model, nor the services, nor the store's module (on the main branch
    before issue 13's item 4, importing the app alone loaded all of them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = subprocess.run(
        [sys.executable, "-c", LIGHT_LOGIN, str(tmp_path / "db")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.splitlines() == ["imported: none", "built: none"], out.stdout + out.stderr
