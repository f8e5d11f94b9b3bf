"""The credx app: composition root (``make_app``), the App class and ``run_app``.

The CLI, the tests and the snapshot apps all build the app through :func:`make_app`
(style.md, 2).  Screens get the services from the app and never open the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os

# Kitty's keyboard protocol reports an input method's committed phrase as one escape
# sequence carrying every code point; Textual's parser gives up on sequences longer
# than 32 bytes and replays the bytes as keystrokes, so a phrase of six or more hanzi
# typed through a real IME arrives as garbage.  Without the protocol the terminal sends
# plain UTF-8, which arrives whole.  Textual reads this variable when it is imported.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")

import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual import constants, events
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.content import Content
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header
from textual.widgets._header import HeaderTitle
from textual.widgets._toast import Toast

from credx_tui import terminal_safety
from credx_tui.i18n import CATALOGUE, LANGS, t
from credx_tui.localize import bind, localize_bindings
from credx_tui.mode import AppMode
from credx_tui.screens.registry import screen_class
from credx_tui.settings import Settings
from credx_tui.startup import ServicesBuild, StartFailed
from credx_tui.store import StoreError
from credx_tui.terminal_answers import AnswerFilter
from credx_tui.widgets import footer, glyphs, line_breaking, overlay_cuts

if TYPE_CHECKING:
    from textual.timer import Timer

    from credx_tui.live_screen import StoreChanged
    from credx_tui.services import Actor, Services, SessionEnded
    from credx_tui.store import Store
    from credx_tui.training.session import Training
    from credx_tui.watch import StoreWatcher
    from policy.rules import Rules

# When textual was imported before us (a test run), the variable came too late; the
# driver reads the constant at start-up, so set it as well.
constants.DISABLE_KITTY_KEY = os.environ.get("TEXTUAL_DISABLE_KITTY_KEY") == "1"  # type: ignore[misc]  # Textual's Final, set on purpose


def _safe_header_mount(header: Header, _: events.Mount) -> None:
    """Textual's Header updates its HeaderTitle from a title watcher that only forgives
    a missing screen; F2 (a new title) racing a screen change or a recompose ran it on a
    Header whose HeaderTitle was already gone, and the app died with ``NoMatches``
    (issue 15).  The same watchers, forgiving that too: the next compose draws it."""

    async def set_title() -> None:
        with contextlib.suppress(NoScreen, NoMatches):
            header.query_one(HeaderTitle).update(header.format_title())

    header.watch(header.app, "title", set_title)
    header.watch(header.app, "sub_title", set_title)
    header.watch(header.screen, "title", set_title)
    header.watch(header.screen, "sub_title", set_title)


Header._on_mount = _safe_header_mount  # type: ignore[method-assign, assignment]
glyphs.install()  # no East-Asian-ambiguous glyph of Textual's own (issue 15)
line_breaking.install()  # no line begins with 。 or ） nor ends with （ (issue 15)
footer.install()  # every footer key whole, on a second row when needed (issue 15)
overlay_cuts.install()  # a toast over Chinese text keeps its characters (issue 15)


ACTIVITY_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
"""What counts as someone being at the terminal, for the idle timeout."""


def default_print_dir() -> Path:
    """Where printed transcripts go: ``~/credx-prints``."""
    return Path.home() / "credx-prints"


class LocalizedPalette(CommandPalette):
    """Textual's command palette, saying 'No matches found' in the UI language.

    Textual 8.2.8 adds that line from a closure with a literal text; this is its
    ``_start_no_matches_countdown`` with the text from the catalogue (textual is
    pinned in pyproject.toml, and tests/ui/test_english.py looks at the line)."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        from rich.align import Align
        from rich.text import Text as RichText
        from textual.command import CommandList
        from textual.widgets.option_list import Option

        self._stop_no_matches_countdown()
        lang = getattr(self.app, "lang", "zh")

        def _show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(RichText(t("textual.no_matches", lang), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)


FEW_COLOURS = ("standard", "windows")
"""Rich's names of the 16-colour systems (TERM=xterm, TERM=screen, a Windows console):
Textual's shades of grey all fall to black there."""


TOAST_LINES = 5
"""A toast is a few lines; the screen that raised it holds the whole message."""
TOAST_SECONDS: dict[str, float] = {"information": 5.0, "warning": 7.0, "error": 8.0}
"""How long a toast of each severity stays, at most."""


def toast_cells(screen_width: int) -> int:
    """Text cells of a toast on a screen ``screen_width`` wide: under half of it (the
    toast's padding adds two), never more than 48."""
    return max(16, min(48, screen_width // 2 - 4))


def toast_text(message: str, width: int) -> str:
    """``message`` broken into lines of at most ``width`` cells (paths after a ``/``),
    cut to :data:`TOAST_LINES` lines with ``...`` when longer."""
    from credx_tui.linebreak import wrap

    lines = wrap(message, width)
    if len(lines) > TOAST_LINES:
        last = lines[TOAST_LINES - 1]
        while last and cell_len(last) + 3 > width:
            last = last[:-1]
        lines = [*lines[: TOAST_LINES - 1], last + "..."]
    return "\n".join(lines)


def _toast_render(toast: Toast) -> Content:
    """Textual's Toast.render, with a plain message broken by :func:`toast_text` at
    the width the screen allows (the notification itself is left whole)."""
    note = toast._notification
    if note.markup or note.title:
        return _textual_toast_render(toast)
    return Content(toast_text(note.message, toast_cells(toast.app.size.width)))


_textual_toast_render = Toast.render
Toast.render = _toast_render  # type: ignore[method-assign, assignment]


class CredxApp(App[int]):
    """学分兑换 for students: login, portal, transcript, 学分兑换, apply, 流程跟踪."""

    CSS_PATH = "app.tcss"
    TITLE = CATALOGUE["app.title"][0]
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (App types it so; ClassVar here fails mypy)
        (0, "-narrow"),
        (100, "-wide"),
    ]
    """Screens under 100 columns (the lab's 80x24) get ``-narrow``: the compact layouts
    of issue 15 (app.tcss) switch on it; the trainer's panel uses the same classes."""
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012 (App types it so; ClassVar here fails mypy)
        (0, "-short"),
        (30, "-tall"),
    ]
    """Screens under 30 rows get ``-short``: margins go, previews fold away."""
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f2", "switch_lang", "lang", priority=True),
        bind("ctrl+p", "command_palette", "palette", priority=True, show=False),
        bind("ctrl+q", "quit", "quit", priority=True),
        # Tab and Shift+Tab move focus here, while the app takes the key off its queue:
        # as the screen's (non-priority) binding the keys typed after a Tab in one burst
        # (a paste, typing ahead, a slow SSH link) were already queued to the old field,
        # and the password landed in clear in the 学号 field (issue 15).
        bind("tab", "focus_next", "focus_next", show=False, priority=True),
        bind("shift+tab", "focus_previous", "focus_previous", show=False, priority=True),
    ]

    lang: reactive[str] = reactive("zh", init=False)
    """UI language, ``zh`` or ``en``; F2 switches it live."""

    def __init__(
        self,
        settings: Settings,
        services: Services | ServicesBuild,
        print_dir: Path | None = None,
        actor: Actor | None = None,
        idle_timeout: float | None = None,
        idle_clock: Callable[[], float] = time.monotonic,
        mode: AppMode | None = None,
    ) -> None:
        terminal_safety.install()  # no control character reaches the terminal (issue 11)
        super().__init__()
        self.settings = settings
        """What this run was started with."""
        self._services: Services | None = None
        self.services_build: ServicesBuild | None = (
            services if isinstance(services, ServicesBuild) else None
        )
        """What builds the services when the app was handed that instead of built ones
        (``credx``: issue 13, item 4); None when they came built (the tests)."""
        self.print_dir = print_dir or default_print_dir()
        """Folder for printed transcripts."""
        self.actor: Actor | None = actor
        """The signed-in student (None on the login screen)."""
        self.last_seen: datetime | None = None
        """When the student was last here, for the notices of the portal."""
        self.set_reactive(CredxApp.lang, settings.lang if settings.lang in LANGS else "zh")
        self._idle_timeout_given = idle_timeout
        self.idle_timeout = idle_timeout if idle_timeout is not None else 15 * 60.0
        """Seconds without a key or a click before a signed-in session logs out (the
        rules' ``session.idle_timeout_minutes`` once the services are there)."""
        self.idle_clock = idle_clock
        """The clock of the idle timeout (injectable for tests)."""
        self.idle_check_every = max(0.05, min(5.0, self.idle_timeout / 6))
        """Seconds between two looks at the idle clock (set before the app runs)."""
        self._last_activity = idle_clock()
        self._worked = True
        """Whether anything happened (a key, a click, a store change) since the last full
        garbage collection: an app left alone collects once, then uses no CPU."""
        self._closing = False
        """Set when the app unmounts: a login still waiting for the services gives up."""
        if self.services_build is None:
            self._adopt(services)  # type: ignore[arg-type]  # built Services
        self._started = time.monotonic()
        self.store_watcher: StoreWatcher | None = None
        """The one thread following the store's files (None: not started or off)."""
        self.watch_terminal = False
        """Exit when the terminal goes away (issue 17); set by :func:`run_app` for a
        real terminal or browser, left off under Pilot."""
        self.answers: AnswerFilter[events.Key] = AnswerFilter(
            character=lambda key: key.character,
            time=lambda key: key.time,
            alt=lambda key: key.key.startswith("alt+"),
        )
        """Keeps the terminal's answers, handed on as keys, out of every field (issue 15)."""
        self._answers_timer: Timer | None = None
        self.mode = mode if mode is not None else AppMode()
        """What the app runs as: the plain app, or the trainer (issue 14)."""
        for binding in self.mode.bindings():
            self._bindings._add_binding(binding)
        self.mode.attach(self)
        localize_bindings(self._bindings, self.lang)
        self.title = t("app.title", self.lang)
        if self.console.color_system in FEW_COLOURS:
            # app.tcss's -colors16 block: borders and zebra stripes the 16-colour
            # palette keeps apart (issue 15: TERM=xterm, TERM=screen over SSH).
            self.add_class("-colors16")

    # -- the services, built or being built (issue 13, item 4) ---------------------

    @property
    def services(self) -> Services:
        """The use cases; the only way to the data.  Asked for only once they are
        there: the login screen waits for them in a worker (:attr:`services_ready`)."""
        if self._services is None:
            raise RuntimeError("the services are still being built (issue 13: wait in a worker)")
        return self._services

    @property
    def services_ready(self) -> bool:
        """Whether the services are built (the login screen may read the rules)."""
        return self._services is not None

    def wait_for_services(self) -> Services:
        """The services, waiting for their build if it is still running: call it in a
        thread worker, never on the event loop.  Raises :class:`StartFailed` when the
        build failed (the store unreadable, its rules not loading)."""
        build = self.services_build
        if self._services is not None or build is None:
            return self.services
        # In slices: a login waiting for a build that hangs (a dead network store) must
        # not keep the app from quitting (its worker thread is joined at exit).
        while not build.done:
            if self._closing:
                raise StartFailed("程序正在退出", "credx is quitting")
            with contextlib.suppress(StartFailed):
                return build.wait(0.2)
        return build.wait()

    def _adopt(self, services: Services) -> None:
        """Take built services: the idle timeout of their rules, and their word that a
        session ended (from any thread)."""
        self._services = services
        if self._idle_timeout_given is None:
            self.idle_timeout = services.rules.session.idle_timeout_minutes * 60.0
            self.idle_check_every = max(0.05, min(5.0, self.idle_timeout / 6))
        services.on_session_ended = self._session_ended_anywhere

    def _start_build(self) -> None:
        threading.Thread(target=self._build_services, name="credx-services", daemon=True).start()

    def _build_services(self) -> None:
        """In its thread after the first paint: build, then hand the result to the event
        loop.  A daemon thread rather than one of Textual's workers: those are joined
        when the app ends, and Ctrl+Q during a build that hangs must still quit."""
        build = self.services_build
        assert build is not None
        build.run()
        if not self._closing:
            with contextlib.suppress(RuntimeError):  # the app ended meanwhile
                self.call_from_thread(self._services_built)

    def _services_built(self) -> None:
        """On the event loop: what waited for the services starts (the idle clock, the
        network-store warning, the store watcher); the login screen shows the college,
        or why the store could not be opened."""
        build = self.services_build
        assert build is not None
        if build.services is not None and self._services is None:
            self._adopt(build.services)
            self._services_started()
        if self.settle_heap:
            # Start-up is over only now: the collector's full pass and freeze (heap.py)
            # take in the services' objects too, and no longer delay the first paint.
            from credx_tui.heap import settle

            self.call_after_refresh(settle)
        from credx_tui.screens.login import LoginScreen

        for screen in self.screen_stack:
            if isinstance(screen, LoginScreen):
                screen.services_built(build.failure)

    def _services_started(self) -> None:
        """What runs once the services are there (at mount when they came built)."""
        self._warn_network_store()
        self.set_interval(self.idle_check_every, self._check_idle)
        self._watch_store()

    @property
    def download_links(self) -> bool:
        """Whether a document may leave as a one-time download link (issue 10, item 4):
        not from the trainer's sandbox, whose store ``credx serve`` does not serve."""
        return self.mode.download_links

    async def action_mode(self, name: str) -> None:
        """A key of the mode (``mode('NAME')``): the mode's ``action_NAME``."""
        result = getattr(self.mode, f"action_{name}")()
        if inspect.isawaitable(result):
            await result

    # -- toasts (issue 15) ---------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast in the bottom-right corner, kept small (issue 15): drawn at most
        :func:`toast_cells` wide (under half the screen) and :data:`TOAST_LINES`
        lines, broken as Chinese is set and long paths after a ``/``
        (:func:`_toast_render`), and shown for at most :data:`TOAST_SECONDS` of its
        severity.  The notification keeps its message whole."""
        limit = TOAST_SECONDS.get(severity, 6.0)
        timeout = limit if timeout is None else min(timeout, limit)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- start ------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        # A damaged or unreadable store file stops credx with the message naming the
        # file (architecture.md, "Store"), never with a traceback over the screen.
        if isinstance(error, StoreError):  # (credx_tui.store imports no model for this)
            from policy.text import for_terminal

            self.exit(return_code=1, message=f"credx: {for_terminal(str(error))}")
            return
        super()._handle_exception(error)

    def on_mount(self) -> None:
        self.mode.mounted()
        if self.watch_terminal:
            from credx_tui.hangup import watch_terminal

            watch_terminal(self.terminal_gone)

        if self.actor is not None:
            self.push_screen(self._home_screen(self.actor) or screen_class("portal")())
        else:
            self.push_screen(screen_class("login")())
        if self._services is not None:
            self._services_started()

    # -- live screens (issue 13, item 3) ------------------------------------------

    def _watch_store(self) -> None:
        """Follow the store's files in one thread, so that every screen showing what
        another process changed shows it without a key press (credx_tui.live_screen)."""
        from credx_tui.live_screen import start_watching

        start_watching(self)

    def live_paths(self) -> set[str]:
        """Store files the app itself depends on beyond its screens' (the stat fallback
        looks only at what someone shows); the mode's (the trainer's walk panel)."""
        return self.mode.live_paths()

    def on_store_changed(self, message: StoreChanged) -> None:
        """The watcher saw the store change: tell the screens that can be seen."""
        from credx_tui.live_screen import forward

        self._worked = True
        forward(self, message)
        self.mode.store_changed(message)

    def on_unmount(self) -> None:
        self._closing = True
        self.mode.unmounted()
        if self.store_watcher is not None:  # (none before the services were built)
            from credx_tui.live_screen import stop_watching

            stop_watching(self)

    def on_resize(self) -> None:
        self.mode.resized()

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header's title: the mode's (the trainer's sandbox notice) or Textual's."""
        formatted = self.mode.format_title(title, sub_title)
        return formatted if formatted is not None else super().format_title(title, sub_title)

    def terminal_gone(self, status: int) -> None:
        """The terminal hung up (SIGHUP, SIGTERM, the pty or the pipe closed): leave at
        once with ``status``; unsaved work is dropped, as when the window is closed."""
        self.exit(status)

    def _home_screen(self, actor: Actor) -> Screen | None:
        """Reviewers start at the review queue (issue 4), admins at the 教务处 desk
        (issue 12; F7 opens the queue); students at the portal (None: the default)."""
        from policy.models import Role

        if actor.role == Role.STUDENT:
            return None
        if actor.role == Role.ADMIN:
            from credx_tui.screens.admin_desk import AdminDeskScreen

            return AdminDeskScreen()
        return screen_class("review_queue")()

    def _warn_network_store(self) -> None:
        """A store on NFS, SMB, sshfs ...: file locks cannot be trusted; say so."""
        from credx_tui.mounts import network_filesystem

        if not hasattr(self.services.store, "root"):
            return  # a PostgreSQL store: the database, not a folder, holds the data
        fstype = network_filesystem(self.settings.db)
        if fstype is not None:
            message = self.t("warn.network_fs", path=str(self.settings.db), fstype=fstype)
            self.log.warning(message)
            self.notify(message, severity="warning", timeout=60, markup=False)

    settle_heap = False
    """Set by :func:`run_app` (a real session, not a test): once the first screen is
    drawn, tune the garbage collector (:mod:`credx_tui.heap`)."""

    def on_ready(self) -> None:
        self.log.info(f"credx ready in {time.monotonic() - self._started:.3f}s")
        if self._services is None and self.services_build is not None:
            # Once the login screen is on the terminal: the store, the models, the rules.
            self.call_after_refresh(self._start_build)
        if self.settle_heap:
            from credx_tui.heap import IDLE_BEFORE_FULL, settle

            if self._services is not None:  # else once they are built (_services_built)
                self.call_after_refresh(settle)
            self.set_interval(IDLE_BEFORE_FULL, self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        """The full garbage collection, while nobody types (:mod:`credx_tui.heap`), once
        after something happened: an app left alone must use no CPU at all."""
        from credx_tui.heap import collect_if_idle

        if self._worked and collect_if_idle(self.idle_clock() - self._last_activity):
            self._worked = False

    def t(self, key: str, /, **values: object) -> str:
        """The message ``key`` in the UI language."""
        return t(key, self.lang, **values)

    @property
    def local_files(self) -> bool:
        """Whether 申请 offers the path picker (F6): only a workstation install, never
        in the browser (credx_tui/doors.py; elsewhere Ctrl+U's upload link)."""
        return self.settings.local_files and not self.is_web

    # -- session ----------------------------------------------------------------

    def signed_in(self, actor: Actor, last_seen: datetime | None) -> None:
        """A student logged in: show the portal."""
        self.actor = actor
        self.last_seen = last_seen
        self.push_screen(self._home_screen(actor) or screen_class("portal")())

    def action_logout(self) -> None:
        """Back to the login screen, forgetting the student, with every field of the
        login screen empty: the next person at a lab terminal sees nothing of the last."""
        from credx_tui.screens.login import LoginScreen

        self.actor = None
        self.last_seen = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        for screen in self.screen_stack:
            if isinstance(screen, LoginScreen):
                screen.clear()

    # -- sessions checked, not trusted (issue 9) ---------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY_EVENTS):
            self._last_activity = self.idle_clock()
            self._worked = True
        if isinstance(event, events.Key) and not event.is_forwarded:
            for key in self.answers.offer(event):
                await self._act_on_key(key)
            self._time_answers()
            return
        if isinstance(event, (events.MouseDown, events.Paste)) and not event.is_forwarded:
            for key in self.answers.flush():  # what was typed goes in before the click
                await self._act_on_key(key)
            self._time_answers()
        await super().on_event(event)

    async def _act_on_key(self, event: events.Key) -> None:
        """A key that is not part of an answer of the terminal: to the mode, then to
        the bindings and the focused widget."""
        if self.mode.key(event):
            return
        await super().on_event(event)

    def _time_answers(self) -> None:
        """Let held keys through once no answer of the terminal came of them."""
        if self._answers_timer is not None:
            self._answers_timer.stop()
            self._answers_timer = None
        due = self.answers.due()
        if due is not None:
            wait = max(0.0, due - time.monotonic())
            self._answers_timer = self.set_timer(wait, self._answers_due, name="answers")

    async def _answers_due(self) -> None:
        self._answers_timer = None
        # A stopped timer's call may already be queued: expire looks at the time itself.
        for key in self.answers.expire(time.monotonic() + 0.005):
            await self._act_on_key(key)
        self._time_answers()

    def _check_idle(self) -> None:
        """Log a signed-in session out after the college's idle timeout (rules
        ``session.idle_timeout_minutes``)."""
        if self.actor is None or self.mode.keeps_session:
            self._last_activity = self.idle_clock()
            return
        if self.idle_clock() - self._last_activity >= self.idle_timeout:
            self.action_logout()
            self.notify(self.t("session.idle"), severity="warning", timeout=30, markup=False)

    def _session_ended_anywhere(self, error: SessionEnded) -> None:
        """The services refused the session (from any thread): back to the login."""
        if not self.is_running:
            return
        if self._thread_id == threading.get_ident():
            self.call_later(self.end_session, error)
        else:
            self.call_from_thread(self.call_later, self.end_session, error)

    def end_session(self, error: SessionEnded) -> None:
        """The account was disabled or changed: say so and show the login screen."""
        if self.actor is None:
            return
        self.action_logout()
        self.notify(
            self.t("session.ended", reason=error.text(self.lang)),
            severity="error",
            timeout=30,
            markup=False,
        )

    # -- errors: never a traceback with local variables on screen ---------------

    def _fatal_error(self) -> None:
        """An unexpected error: exit with one short line, not Textual's traceback with
        the local variables of every frame (they held account documents)."""
        error = sys.exc_info()[1]
        kind = type(error).__name__ if error is not None else "error"
        self.bell()
        self._exit_renderables.append(
            f"credx: internal error ({kind}); nothing more was written. "
            "Please tell the administrator the time it happened."
        )
        self._close_messages_no_wait()

    # -- quitting ---------------------------------------------------------------

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, asking first when a screen holds unsaved work (a filled-in 申请
        form), as Esc does there (issue 15)."""
        from credx_tui.dialogs.confirm import ConfirmDialog
        from credx_tui.ui import CredxScreen

        unsaved = any(
            isinstance(screen, CredxScreen) and screen.unsaved_changes()
            for screen in self.screen_stack
        )
        if not unsaved or isinstance(self.screen, ConfirmDialog):
            await super().action_quit()
            return

        def chosen(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(ConfirmDialog(self.t("app.quit_unsaved")), chosen)

    # -- screen changes in a burst of keys (issue 15) ---------------------------

    def push_screen(self, screen, callback=None, wait_for_dismiss=False, *, mode=None):
        """Push ``screen``, unless a screen of the same id is already on the stack.

        In a burst (F3 F3, Enter Enter) the second key reaches the old screen before
        the first one's screen is shown, and Textual died on the duplicate id; the
        second push is a repeat of the first, so it is dropped."""
        if (
            isinstance(screen, Screen)
            and screen.id is not None
            and any(shown.id == screen.id for shown in self.screen_stack)
        ):
            self.log.info(f"push of {screen.id!r} dropped: already on the stack")
            future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        if isinstance(screen, Screen) and screen.id is not None and self._leaving(screen):
            # Escape then Enter in one burst: the old copy was popped but Textual has
            # not yet removed it from the app, and a second widget with its id would
            # kill the app (DuplicateIds).  Push once the old copy is gone.
            self.log.info(f"push of {screen.id!r} deferred: the last copy is leaving")
            deferred: asyncio.Future[object] = asyncio.get_running_loop().create_future()

            def again() -> None:
                self.push_screen(screen, callback, wait_for_dismiss, mode=mode)
                if not deferred.done():
                    deferred.set_result(None)

            self.call_after_refresh(again)
            return deferred
        pushed = super().push_screen(screen, callback, wait_for_dismiss, mode=mode)
        if isinstance(screen, Screen):
            self.mode.screen_pushed(screen)
        return pushed

    def _leaving(self, screen: Screen) -> bool:
        """Another screen of this one's id is still a child of the app though on no
        stack: popped, and its removal not yet done.  The screen itself is not counted:
        an installed screen (the trainer's parked pages, issue 15) is a child of the
        app on no stack, and pushing it again is what installing it is for."""
        # App.get_child_by_id looks in the current screen, not among the app's own
        # children (the screens), so they are walked here.
        # An installed copy never leaves: waiting for it would wait for ever.
        leaving = [
            child
            for child in self._nodes
            if child.id == screen.id
            and child is not screen
            and not (isinstance(child, Screen) and self.is_screen_installed(child))
        ]
        return bool(leaving) and all(
            child not in stack for child in leaving for stack in self._screen_stacks.values()
        )

    # -- language ---------------------------------------------------------------

    def action_switch_lang(self) -> None:
        """F2: Chinese <-> English, live."""
        self.lang = "en" if self.lang == "zh" else "zh"

    async def watch_lang(self, lang: str) -> None:
        from credx_tui.ui import Localized

        localize_bindings(self._bindings, lang)
        self.title = t("app.title", lang)
        for screen in list(self.screen_stack):
            if isinstance(screen, Localized):
                await screen.language_changed()
        self.refresh_bindings()
        self.mode.lang_changed(lang)
        self.notify(t("lang.switched", lang), timeout=2)

    # -- command palette --------------------------------------------------------

    def action_command_palette(self) -> None:
        """Ctrl+P: the command palette, with a localized prompt."""
        if self.use_command_palette and not self.screen.has_class("--textual-command-palette"):
            self.push_screen(
                LocalizedPalette(id="--command-palette", placeholder=self.t("palette.placeholder"))
            )

    def action_help_quit(self) -> None:
        """Ctrl+C: Textual's hint that Ctrl+Q quits, in the UI language (issue 15)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    self.t("textual.help_quit", key=key),
                    title=self.t("textual.help_quit.title"),
                    markup=False,
                )
                return

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The mode's commands, ours, then Textual's own ones, all in the UI language."""
        from credx_tui.ui import CredxScreen
        from policy.models import Role

        yield from self.mode.commands(screen)
        if (
            self.actor is not None
            and self.actor.role == Role.STUDENT
            and isinstance(screen, CredxScreen)
        ):
            yield SystemCommand(
                self.t("cmd.transcript"), self.t("cmd.transcript.help"), self.open_transcript
            )
            yield SystemCommand(
                self.t("cmd.exchange"), self.t("cmd.exchange.help"), self.open_exchange
            )
            yield SystemCommand(self.t("cmd.logout"), self.t("cmd.logout.help"), self.action_logout)
        if (
            self.actor is not None
            and self.actor.role != Role.STUDENT
            and isinstance(screen, CredxScreen)
        ):
            yield SystemCommand(self.t("cmd.queue"), self.t("cmd.queue.help"), self.open_queue)
            if len(self.screen_stack) > 2 and self.screen_stack[1].id == "login":
                yield SystemCommand(
                    self.t("cmd.logout"), self.t("cmd.logout.help"), self.action_logout
                )
        yield SystemCommand(self.t("cmd.lang"), self.t("cmd.lang.help"), self.action_switch_lang)
        if self.mode.offers_training:  # not from inside the trainer
            from credx_tui.training.launch import start_training

            yield SystemCommand(
                self.t("cmd.train"), self.t("cmd.train.help"), lambda: start_training(self)
            )
        yield SystemCommand(self.t("cmd.theme"), self.t("cmd.theme.help"), self.action_change_theme)
        if screen.query("HelpPanel"):
            yield SystemCommand(
                self.t("cmd.keys"), self.t("cmd.keys.help"), self.action_hide_help_panel
            )
        else:
            yield SystemCommand(
                self.t("cmd.keys"), self.t("cmd.keys.help"), self.action_show_help_panel
            )
        yield SystemCommand(
            self.t("cmd.screenshot"),
            self.t("cmd.screenshot.help"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )
        yield SystemCommand(self.t("cmd.quit"), self.t("cmd.quit.help"), self.action_quit)

    def open_queue(self) -> None:
        """审核队列: back to the reviewer's queue (the screen under every other one)."""
        while len(self.screen_stack) > 2 and not isinstance(
            self.screen, screen_class("review_queue")
        ):
            self.pop_screen()

    def action_open_transcript(self) -> None:
        """F3: 信息查询 -> 学生成绩总表打印."""
        self.open_transcript()

    def action_open_exchange(self) -> None:
        """F4: 报名申请 -> 学分兑换."""
        self.open_exchange()

    def open_transcript(self) -> None:
        """信息查询 -> 学生成绩总表打印."""
        self.push_screen(screen_class("transcript")())

    def open_exchange(self) -> None:
        """报名申请 -> 学分兑换."""
        self.push_screen(screen_class("exchange")())


def make_app(
    settings: Settings,
    services: Services | ServicesBuild,
    print_dir: Path | None = None,
    actor: Actor | None = None,
    training: Training | None = None,
) -> CredxApp:
    """The composition root: the CLI, the tests and the snapshots build the app here.

    With ``training`` it is the app in the trainer's mode on that session's sandbox
    (issue 5): ``services`` must then be the sandbox's (the trainer never gets the
    real store), and prints go to the sandbox's folder.

    ``services`` may be a :class:`ServicesBuild` (``credx``'s login screen: they are
    built in a worker after the first paint, issue 13); tests hand built ones."""
    if training is None:
        return CredxApp(settings, services, print_dir=print_dir, actor=actor)
    from credx_tui.training.ui import TrainerMode

    if isinstance(services, ServicesBuild) or services.store is not training.sandbox.store:
        raise ValueError("the trainer's app runs on its sandbox's services only")
    return CredxApp(
        settings,
        services,
        print_dir=print_dir or training.sandbox.folder / "prints",
        mode=TrainerMode(training),
    )


def run_app(
    settings: Settings,
    store: Store | None,
    rules: Rules | None,
    os_user: bool = False,
    services: Services | ServicesBuild | None = None,
) -> int:
    """Run the app on a store; with ``os_user`` the operating-system account logs in
    (sshd already authenticated it).  Returns the exit code: non-zero when the app
    ended with an error.

    ``services`` may be a :class:`ServicesBuild`: the login screen is drawn first and
    the services built behind it (issue 13, item 4); a trusted login needs them before
    the app, so it builds them here."""
    if services is None:
        from credx_tui.services import make_services

        assert store is not None and rules is not None
        services = make_services(store, rules)
    actor: Actor | None = None
    if os_user:
        from credx_tui.services import LoginFailed

        if isinstance(services, ServicesBuild):
            services.run()
            try:
                services = services.wait()
            except StartFailed as exc:
                print(f"credx: {exc.text(settings.lang)}", file=sys.stderr)
                return 1
        # settings.os_user is the credx account the CLI found for the OS user in the
        # administrator's mapping file (credx_tui/os_users.py); never $USER.
        if not settings.os_user:
            print("credx: --os-user: no credx account bound to this OS user", file=sys.stderr)
            return 1
        try:
            actor = services.trusted_login(settings.os_user, via="os-user").actor
        except LoginFailed as exc:
            print(f"credx: {exc.text(settings.lang)}", file=sys.stderr)
            return 1
    app = make_app(settings, services, actor=actor)
    app.watch_terminal = True
    app.settle_heap = True
    result = app.run()
    return app.return_code or result or 0


if TYPE_CHECKING:
    from credx_tui.ui import CredxHost

    def _hosts_the_screens(app: CredxApp) -> CredxHost:
        """Never called: mypy checks here that the app gives screens and dialogs all
        that :class:`credx_tui.ui.CredxHost` promises them."""
        return app
