"""Trainer mode in the app (issue 5): the real screens on a sandbox, with the guided
walk's panel split off the right edge of every screen.

:class:`TrainerMode` is the mode the student/reviewer app is given for a
:class:`Training` session (issue 14: a mode, not a subclass of the app): it
signs people in on the sandbox only, follows which screen and dialog is showing (the
app's ``screen_change_signal``, so the screens and dialogs stay as they are), keeps the
panel up to date, highlights the widget a step names, and adds the trainer's keys:
next, previous, skip ahead (the step done in the trainer's place), role switch, reset
and the key echo.  It follows the app's own events (screens pushed and shown,
keys, the store watcher's ``StoreChanged``) and never polls.  Build it through the
composition root,
``make_app(settings, services, training=...)``."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.css.query import QueryError
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Input

from credx_tui.i18n import t
from credx_tui.linebreak import divide_line
from credx_tui.localize import bind
from credx_tui.mode import AppMode
from credx_tui.screens.registry import name_of, names_of
from credx_tui.services import LoginResult, ServiceError
from credx_tui.training.echo import KeyEcho
from credx_tui.training.notes import walk_state, write_state
from credx_tui.training.scenario import Scenario, load_scenario, shipped_scenarios
from credx_tui.training.session import Training
from credx_tui.training.walk import Walk
from credx_tui.ui import CredxScreen, Localized
from credx_tui.widgets.walk_panel import WalkPanel, WalkView
from policy import workflow
from policy.models import ExchangeApplication, Role

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from credx_tui.live_screen import StoreChanged
    from credx_tui.ui_base import ModeHost

PROJECTOR_THEME = Theme(
    name="credx-projector",
    primary="#003A8C",
    secondary="#4A2380",
    accent="#003A8C",
    warning="#8A4600",
    error="#B00020",
    success="#006B2E",
    foreground="#000000",
    background="#FFFFFF",
    surface="#FFFFFF",
    panel="#E6ECF5",
    dark=False,
    variables={
        "footer-key-foreground": "#003A8C",
        "border": "#003A8C",
        "border-blurred": "#5A5A5A",
        "input-selection-background": "#003A8C 30%",
    },
)
"""High-contrast light theme for a projector: black on white, dark accents."""

STUDENT_SIDE = names_of("student", views=True)
"""Student screens the role switch may show (login and apply are steps, not views)."""

HIGHLIGHT = "walk-highlight"
"""CSS class of the widget the current step names."""

PANEL_WIDTHS = (28, 34, 42, 50)
"""The widths the panel can have, in cells (Ctrl+W steps through them)."""

LARGE_WIDTH = 50
"""The panel's least width in large-text mode (Ctrl+K)."""

ECHO_KEYS = 8
"""How many of the last keys the key echo shows."""


def spaced(text: str, width: int) -> str:
    """``text`` broken into lines of ``width`` cells with an empty line between
    them: the large-text mode's double spacing."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        cuts = [0, *divide_line(paragraph, max(width, 8)), len(paragraph)]
        lines += [paragraph[a:b].rstrip() for a, b in itertools.pairwise(cuts)]
    return "\n\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Shown:
    """One screen of the stack the trainer's keys build: the key under which an open
    screen may be kept (None: always built anew), and how to build it."""

    key: tuple[str, ...] | None
    build: Callable[[], Screen]


def _no_action(action: str, parameters: tuple[object, ...]) -> bool | None:
    """``check_action`` of a parked page (:meth:`TrainerMode._unwind`): no key."""
    return None


def key_label(key: str) -> str:
    """A key as the footer writes it: ``ctrl+n`` -> ``^N``, ``f4`` -> ``F4``."""
    *mods, last = key.split("+") if key != "+" else ["+"]
    if len(last) == 1:
        last = last.upper() if mods else last
    else:
        last = {"escape": "Esc", "pageup": "PgUp", "pagedown": "PgDn"}.get(last, last.capitalize())
    caret = "^" if "ctrl" in mods else ""
    mods = [m.capitalize() for m in mods if m != "ctrl"]
    return caret + "+".join([*mods, last])


WALK_KEYS = (
    ("ctrl+n", "walk_next"),
    ("ctrl+y", "walk_previous"),
    ("ctrl+g", "walk_skip"),
    ("ctrl+t", "walk_role"),
    ("ctrl+o", "walk_reset"),
    ("ctrl+k", "walk_large"),
    ("ctrl+w", "walk_width"),
    ("ctrl+l", "walk_echo"),
)
"""The trainer's keys and their binding ids (the footer text and tooltip come from
the catalogue by id: ``key.walk_next`` ...)."""

WALK_BINDINGS = tuple(action for _, action in WALK_KEYS)
"""Binding ids of the trainer's keys, in the order the panel lists them."""


class TrainerMode(AppMode):
    """The mode of ``credx train``: 学分兑换 on a sandbox, with the guided walk beside
    every screen.  The app (:class:`credx_tui.app.CredxApp`) is given it and tells it
    of its own events (:class:`credx_tui.mode.AppMode`)."""

    download_links = False
    """A sandbox's link would name a store ``credx serve`` does not serve."""
    keeps_session = True
    """A class may read a step for long: the idle timeout does not sign anyone out."""
    offers_training = False
    """The palette does not offer to start the trainer from inside it."""

    def __init__(self, training: Training) -> None:
        self.training = training
        """The scenario, its sandbox and the services on it."""
        self.echo_on = True
        """Whether the panel shows the keys the trainer pressed (Ctrl+L)."""
        self.keys_pressed = KeyEcho(ECHO_KEYS)
        """The last keys pressed, as shown by the key echo (without the terminal's
        answers)."""
        self.walk_message: Callable[[str], str] | None = None
        """The last result or refusal of a trainer's key, in a language."""
        self.message_is_error = False
        """Whether :attr:`walk_message` is a refusal (drawn in red)."""
        self.last_reset_seconds: float | None = None
        """How long the last reset took."""
        self._rebuild_depth = 0
        """How deep in :meth:`_rebuilding` (the trainer's keys rebuilding the stack)."""
        self._dressed: weakref.WeakSet[Screen] = weakref.WeakSet()
        """Screens that have their walk panel (composed or mounted)."""
        self.large_text = training.large_text
        """Large-text mode of the panel (Ctrl+K, ``credx train --large``)."""
        self._published: dict[str, object] | None = None
        """The walk's state last written for ``credx train --notes``."""
        self.panel_width_index: int | None = None
        """The trainer's choice of :data:`PANEL_WIDTHS` (None: by the terminal's width)."""
        self._logins: dict[str, LoginResult] = {}
        """The scenario's accounts signed in by the trainer's keys since the last reset."""
        self._parked: dict[str, tuple[list[Screen], str]] = {}
        """Per account, the pages it had open when the role switch left it (kept
        installed, off the stack) and the language they were drawn in (issue 14)."""
        self._relabel: weakref.WeakSet[Screen] = weakref.WeakSet()
        """Pages put back that were drawn in the other language."""

    def attach(self, app: ModeHost) -> None:
        super().attach(app)
        app.register_theme(PROJECTOR_THEME)

    def bindings(self) -> Iterable[Binding]:
        """The trainer's keys, as priority bindings of the app (hidden from the
        footer: the panel lists them)."""
        for key, action in WALK_KEYS:
            yield bind(key, f"mode('{action}')", action, priority=True, show=False)

    @property
    def lang(self) -> str:
        """The app's UI language now."""
        return self.app.lang

    def t(self, key: str, /, **values: object) -> str:
        """The message ``key`` in the UI language."""
        return t(key, self.app.lang, **values)

    @property
    def walk(self) -> Walk:
        """The walk of the session."""
        return self.training.walk

    # -- start ----------------------------------------------------------------------

    def mounted(self) -> None:
        # The app pushes the login screen right after, dressed by screen_pushed below.
        self.app.theme = PROJECTOR_THEME.name
        self.app.sub_title = self.t("walk.sandbox")
        # The app is a Textual DOM node (ModeHost types only what the mode uses of it):
        # the subscription lives as long as the app.
        subscriber = cast("DOMNode", self.app)
        self.app.screen_change_signal.subscribe(subscriber, self._screen_changed)
        # No timer reading the store: the sandbox says when it was written (only this
        # process writes it), and the screens and dialogs come by the signal above.
        self.training.sandbox.store.on_write = self._store_written
        # CredxApp's watcher (issue 13, item 3) also reports the sandbox's changes, a
        # reset included: store_changed below.

    def unmounted(self) -> None:
        if self.training.sandbox.store.on_write == self._store_written:
            self.training.sandbox.store.on_write = None

    def _store_written(self) -> None:
        """The sandbox was written (by a screen, a worker or a skip): redraw the panel
        once the write's caller is done."""
        if not self.app.is_running:
            return
        if self.app._thread_id == threading.get_ident():
            self.app.call_later(self.refresh_walk)
        else:
            with contextlib.suppress(RuntimeError):  # the app is closing
                self.app.call_from_thread(self.app.call_later, self.refresh_walk)

    def store_changed(self, message: StoreChanged) -> None:
        """The sandbox changed (a step done through a screen, Ctrl+G, a reset): is the
        step's expectation met now?  (The app has told the screens already.)"""
        self.refresh_walk()

    def live_paths(self) -> set[str]:
        """The walk panel asks about the scenario's student's applications: with the
        stat fallback, look at every hot file of the (small) sandbox."""
        return {"hot/"}

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header's title with the sandbox notice in bold (Textual's own joins
        them with a dimmed, East-Asian-ambiguous dash)."""
        if not sub_title:
            return Content(title)
        return Content.assemble(Content(title), "  ", (f"[{sub_title}]", "bold"))

    # -- following the screens ------------------------------------------------------

    def _screen_changed(self, screen: Screen) -> None:
        """A screen was pushed, popped or switched: tell the walk.

        Textual delivers this a moment later; a screen that is no longer the one
        showing by then was only passed on the way (an unwind, a reset), and the
        screens the trainer's own keys open on the way do not count as visits
        (Ctrl+O left step 1 marked done by the portal it closed)."""
        from credx_tui.dialogs.hidden_courses import HiddenCoursesDialog
        from credx_tui.dialogs.print_options import PrintDialog
        from credx_tui.dialogs.ratio import RatioDialog

        dialogs = {
            RatioDialog: "ratio",
            HiddenCoursesDialog: "hidden_courses",
            PrintDialog: "print",
        }
        dialog = next((name for kind, name in dialogs.items() if isinstance(screen, kind)), None)
        if dialog is not None:
            self.walk.dialogs_seen.add(dialog)
        elif (
            (name := name_of(screen.id)) is not None
            and screen is self.app.screen
            and not self._rebuild_depth
        ):
            self.walk.screen = name
            self.walk.screens_seen.add(self.walk.screen)
        self.refresh_walk()

    def screen_pushed(self, screen: Screen) -> None:
        """``screen`` gets the walk panel composed into it (issue 15): the screen's
        first layout is already for the width beside the panel.  Dialogs get the panel
        too, so they are laid out beside it (the F3 list, the R8 dialog and the toasts
        never cover the walk) and it stays readable, not dimmed, while they are open."""
        if isinstance(screen, Localized):  # credx's screens and dialogs, not Textual's
            self._dress(screen)

    def _dress(self, screen: Screen) -> None:
        """Give ``screen`` its panel: composed with it when it is not mounted yet (it
        was just pushed, Textual composes it when this handler yields), else mounted."""
        if screen in self._dressed:
            return
        self._dressed.add(screen)
        panel = WalkPanel(self.walk_view(), self.panel_width())
        if screen.is_mounted:
            screen.mount(panel)
        else:
            screen.compose_add_child(panel)

    def panel_width(self) -> int:
        """The panel's width in cells: 28 on a terminal narrower than 100 columns, 34
        from 100 on (the projector), or the trainer's choice (Ctrl+W); at least
        :data:`LARGE_WIDTH` in large-text mode; never more than half the terminal."""
        if self.panel_width_index is None:
            width = PANEL_WIDTHS[0] if self.app.size.width < 100 else PANEL_WIDTHS[1]
        else:
            width = PANEL_WIDTHS[self.panel_width_index]
        if self.large_text:
            width = max(width, LARGE_WIDTH)
        return max(PANEL_WIDTHS[0], min(width, self.app.size.width // 2))

    def _size_panels(self) -> None:
        """Give every panel the width :meth:`panel_width` says."""
        width = self.panel_width()
        for screen in self.app.screen_stack:
            for panel in screen.query(WalkPanel):
                panel.set_width(width)

    def resized(self) -> None:
        self._size_panels()

    def walk_screen(self) -> CredxScreen | None:
        """The topmost credx screen (under a dialog, when one is open)."""
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, CredxScreen):
                return screen
        return None

    def key(self, event: events.Key) -> bool:
        """A key the trainer pressed: into the key echo.  The last key of an answer
        of the terminal (issue 15: tmux's colour answer, handed on as keys) is
        swallowed: its BEL would otherwise act as Ctrl+G and skip a step."""
        focused = self.app.focused
        secret = isinstance(focused, Input) and focused.password and event.is_printable
        answer = self.keys_pressed.add("*" if secret else key_label(event.key), event.character)
        if self.echo_on:
            self.refresh_walk()
        return answer

    # -- the panel ------------------------------------------------------------------

    def _done(self) -> bool:
        try:
            return self.walk.done()
        except ServiceError:
            return False

    def _course(self, code: str) -> str:
        try:
            record = self.app.services.dossier(self.walk.student()).transcript.record(code)
        except ServiceError:
            return code
        return self.t("walk.course", name=record.name, code=code) if record else code

    def _expectation(self) -> str:
        expect = self.walk.step.expect
        if expect.kind == "screen":
            return self.t("walk.expect.screen", screen=self.t(f"walk.screen.{expect.screen}"))
        if expect.kind == "dialog":
            return self.t("walk.expect.dialog", dialog=self.t(f"walk.dialog.{expect.dialog}"))
        if expect.kind == "application":
            status = self.t(f"status.{expect.status}") if expect.status else self.t("walk.any")
            return self.t(
                "walk.expect.application", course=self._course(expect.target or ""), status=status
            )
        return self.t("walk.expect.none")

    def _account(self, role: str) -> str:
        scenario = self.walk.scenario
        return scenario.student if role == "student" else scenario.reviewer

    def walk_view(self) -> WalkView:
        """What the panel shows now, in the UI language."""
        walk, lang = self.walk, self.lang
        step = walk.step
        done = self._done()
        if done:
            state = self.t("walk.done.end" if walk.at_end else "walk.done")
        else:
            state = self.t("walk.waiting", what=self._expectation())
        now = (
            self.t("walk.now.out")
            if self.app.actor is None
            else self.t(
                "walk.now",
                role=self.t(
                    "walk.role.student"
                    if self.app.actor.role == Role.STUDENT
                    else "walk.role.reviewer"
                ),
                account=self.app.actor.username,
            )
        )
        role = self.t(
            "walk.role", role=self.t(f"walk.role.{step.role}"), account=self._account(step.role)
        )
        rules = ""
        if step.rules:
            rules = (
                self.t("walk.rules")
                + "\n"
                + "\n".join(f"{r} {self.t(f'rule.{r}')}" for r in step.rules)
            )
        text = step.body.text(lang)
        if step.highlight:
            text += "\n" + self.t("walk.highlight")
        if self.large_text:
            text = spaced(text, self.panel_width() - 4)
        labels = [f"{key_label(b.key)} {self.t(f'key.{b.id}')}" for b in self._trainer_bindings()]
        pairs = ["  ".join(labels[i : i + 2]) for i in range(0, len(labels), 2)]
        keys = "\n".join([*pairs, self.t("walk.keys.lang")])
        return WalkView(
            banner=self.t("walk.banner"),
            scenario=walk.scenario.title.text(lang),
            position=self.t(
                "walk.position",
                n=walk.index + 1,
                total=len(walk.scenario.steps),
                procedure=step.procedure,
                name=self.t(f"walk.proc.{step.procedure}"),
            ),
            title=step.title.text(lang),
            role=f"{role}\n{now}",
            text=text,
            rules=rules,
            state=state,
            done=done,
            message=self.walk_message(lang) if self.walk_message else "",
            message_is_error=self.message_is_error,
            keys=keys,
            echo=self.t("walk.echo", keys="  ".join(self.keys_pressed.labels())),
            echo_on=self.echo_on,
            large=self.large_text,
        )

    def _trainer_bindings(self) -> list[Binding]:
        """The trainer's bindings as the app holds them now (localized)."""
        found: dict[str, Binding] = {}
        for bindings in self.app._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.id in WALK_BINDINGS:
                    found[binding.id] = binding
        return [found[i] for i in WALK_BINDINGS if i in found]

    def refresh_walk(self) -> None:
        """Draw the panel of the screen showing (and of the credx screen under a
        dialog) and highlight the step's widget."""
        screen = self.walk_screen()
        if screen is None or not screen.is_mounted:
            return
        view = self.walk_view()
        for shown in {screen, self.app.screen}:
            for panel in shown.query(WalkPanel):
                panel.show(view)
        self._highlight(screen)
        self._publish()

    def _publish(self) -> None:
        """Write where the walk is for ``credx train --notes`` when it changed."""
        state = walk_state(self.walk, self.lang)
        if state == self._published:
            return
        try:
            write_state(self.training.sandbox.folder, state)
        except OSError as exc:  # the sandbox's disk: the walk goes on without notes
            self.app.log.warning(f"presenter notes not written: {exc}")
            return
        self._published = state

    def _highlight(self, screen: Screen) -> None:
        for other in self.app.screen_stack:
            if other is not screen:
                other.query(f".{HIGHLIGHT}").remove_class(HIGHLIGHT)
        selector = self.walk.step.highlight
        wanted = []
        if selector:
            try:
                wanted = list(screen.query(selector))
            except QueryError:
                wanted = []
            except Exception:  # a malformed selector in a trainer's scenario
                wanted = []
        for widget in screen.query(f".{HIGHLIGHT}"):
            if widget not in wanted:
                widget.remove_class(HIGHLIGHT)
        for widget in wanted:
            widget.add_class(HIGHLIGHT)

    def _say(self, message: Callable[[str], str] | None, error: bool = False) -> None:
        self.walk_message = message
        self.message_is_error = error
        if message is not None and error:
            self.app.notify(message(self.lang), severity="error", timeout=8, markup=False)
        self.refresh_walk()

    def _refused(self, exc: ServiceError) -> None:
        step_id = self.walk.step.id
        self._say(lambda lang: t("walk.refused", lang, step=step_id, reason=exc.text(lang)), True)

    # -- the trainer's keys -----------------------------------------------------------

    def action_walk_next(self) -> None:
        """Ctrl+N: the next step (the trainer does it, or skips ahead)."""
        self.walk.next()
        self._say(None)

    def action_walk_previous(self) -> None:
        """Ctrl+Y: the previous step."""
        self.walk.previous()
        self._say(None)

    async def action_walk_skip(self) -> None:
        """Ctrl+G: do the step in the trainer's place, then show the next step's screen
        as its role.  A step already done is not done twice."""
        # One frame: the step done in a thread (issue 13: the loop stays free meanwhile)
        # and the next step's screen, nothing painted between (issue 15, item 2).
        with self.app.batch_update():
            walk = self.walk
            step = walk.step
            if step.expect.kind == "none" or not self._done():
                try:  # a write: in a thread, the screen stays live meanwhile (issue 13)
                    await asyncio.to_thread(walk.perform)
                except ServiceError as exc:
                    self._refused(exc)
                    return
            if walk.at_end:
                screen = step.perform.screen if step.perform.action == "open" else step.screen
                await self.show_as(screen or step.screen, step.role)
                self._say(lambda lang: t("walk.end", lang))
                return
            following = walk.next()
            await self.show_as(following.screen, following.role)
            self._say(None)

    async def action_walk_role(self) -> None:
        """Ctrl+T: the same application from the other side, without logging out."""
        to_reviewer = self.app.actor is not None and self.app.actor.role == Role.STUDENT
        app = self.focus_application()
        if to_reviewer:
            role = "reviewer"
            seen = app is not None and workflow.handed_in(app)
            screen = "review_decision" if seen else "review_queue"
        else:
            role = "student"
            step = self.walk.step
            if step.role == "student" and step.screen in STUDENT_SIDE:
                screen = step.screen
            else:
                screen = "trail" if app else "exchange"
        if await self.show_as(screen, role):
            name = self.t(f"walk.role.{role}")
            self._say(lambda lang: t("walk.role.switched", lang, role=t(f"walk.role.{role}", lang)))
            self.app.notify(self.t("walk.role.switched", role=name), timeout=3)

    async def action_walk_reset(self) -> None:
        """Ctrl+O: the sandbox back to its start, the walk at its first step."""
        began = time.perf_counter()
        await self._unwind()
        self.training.reset()
        self._logins.clear()
        self.app.actor = None
        self.app.last_seen = None
        self.walk.screen = "login"
        try:
            self.app.screen.query_one("#username", Input).value = ""
            self.app.screen.query_one("#username", Input).focus()
        except QueryError:
            pass
        self.last_reset_seconds = time.perf_counter() - began
        ms = round(self.last_reset_seconds * 1000)
        self._say(lambda lang: t("walk.reset.done", lang, ms=ms))

    def action_walk_large(self) -> None:
        """Ctrl+K: large-text mode: a wide panel with only the step, double-spaced
        and bold, readable from the back of a room (a terminal has one font size:
        the text cannot grow, the space around it can)."""
        self.large_text = not self.large_text
        self._size_panels()
        self._say(lambda lang: t("walk.large.on" if self.large_text else "walk.large.off", lang))

    def action_walk_width(self) -> None:
        """Ctrl+W: the next panel width of :data:`PANEL_WIDTHS` (round)."""
        now = self.panel_width()
        wider = [i for i, w in enumerate(PANEL_WIDTHS) if w > now]
        self.panel_width_index = wider[0] if wider else 0
        if self.large_text and not wider:
            self.large_text = False  # round again from the narrowest
        self._size_panels()
        width = self.panel_width()
        self._say(lambda lang: t("walk.width.set", lang, width=width))

    def action_walk_echo(self) -> None:
        """Ctrl+L: show or hide the key echo."""
        self.echo_on = not self.echo_on
        self.keys_pressed.clear()
        self.refresh_walk()

    async def start_scenario(self, scenario: Scenario) -> None:
        """Walk another scenario, on a fresh sandbox."""
        await self._unwind()
        self.training.switch(scenario)
        self._logins.clear()
        self.app.actor = None
        self.app.last_seen = None
        self._say(lambda lang: t("walk.scenario.started", lang, title=scenario.title.text(lang)))

    # -- showing a screen as a role -------------------------------------------------

    def focus_target(self) -> str | None:
        """The course the walk is about now: the nearest step, looking back first,
        that names one."""
        steps, index = self.walk.scenario.steps, self.walk.index
        for k in [*range(index, -1, -1), *range(index + 1, len(steps))]:
            target = steps[k].expect.target or steps[k].perform.target
            if target:
                return target
        return None

    def focus_application(self) -> ExchangeApplication | None:
        """The application the walk is about (the role switch shows it from both sides)."""
        try:
            target = self.focus_target()
            if target and (app := self.walk.application(target)) is not None:
                return app
            apps = self.app.services.applications(self.walk.student())
        except ServiceError:
            return None
        return apps[0] if apps else None

    async def _unwind(self, park: bool = False) -> None:
        """Back to the login screen (the one under every other), signed out, in one
        frame: the screens passed on the way are neither painted nor read again.

        With ``park`` the pages of the person signed out are kept for their return
        (:meth:`_unpark`): the role switch shows them again instead of building them
        anew (issue 14: Ctrl+T rebuilt the other role's pages, 1.6 s).  Only the pages
        the walk can name are kept (never the 申请 form, nor a dialog); the others, and
        every kept page when not parking, are closed."""
        actor = self.app.actor
        opened = self.app.screen_stack[2:]
        kept: list[Screen] = []
        if park and actor is not None:
            for shown in opened:
                if self._shown_key(shown) is None:
                    break
                kept.append(shown)
            for shown in kept:
                self.app.install_screen(shown, f"walk-parked-{id(shown)}")
                # A parked page has no keys: a footer redraw still queued for it asks
                # its keys with no one signed in (the page's check_action needs them).
                shown.check_action = _no_action  # type: ignore[method-assign]
            self._parked[actor.username] = (kept, self.app.lang)
        self.app.actor = None  # a screen uncovered on the way has no one to read for
        with self._rebuilding():
            while len(self.app.screen_stack) > 2:
                await self.app.pop_screen()
        if not park:
            await self._drop_parked()

    async def _unpark(self, account: str) -> list[Screen]:
        """Put back the pages ``account`` had open, before it is signed in again: no
        page reads its data on the way (:meth:`_unparked` follows, signed in)."""
        screens, lang = self._parked.pop(account, ([], self.app.lang))
        for shown in screens:
            self.app.uninstall_screen(shown)  # on the stack again: closed as any other
        opening = [self.app.push_screen(shown) for shown in screens]
        for awaited in opening:
            await awaited
        if lang != self.app.lang:
            self._relabel.update(screens)
        return screens

    async def _unparked(self, screens: list[Screen]) -> None:
        """The pages put back, now signed in: their keys again, in today's language,
        their panels at today's width (the caller reads the top page's data)."""
        for shown in screens:
            with contextlib.suppress(AttributeError):
                del shown.check_action  # its own keys again
            if shown in self._relabel and isinstance(shown, Localized):
                await shown.language_changed()
            shown.refresh_bindings()
        self._relabel.clear()
        if screens:
            self._size_panels()

    async def _drop_parked(self) -> None:
        """Close every kept page (a reset, another scenario: they show the old data)."""
        parked, self._parked = self._parked, {}
        for screens, _ in parked.values():
            for shown in screens:
                self.app.uninstall_screen(shown)
                with contextlib.suppress(AttributeError):
                    del shown.check_action
                await shown.remove()

    @contextlib.contextmanager
    def _rebuilding(self) -> Iterator[None]:
        """While the trainer's keys rebuild the screen stack: nothing is painted (no
        flash of the screens passed), and the screens passed do not count as the
        trainer's own visits (:meth:`_screen_changed`)."""
        self._rebuild_depth += 1
        try:
            with self.app.batch_update():
                yield
        finally:
            self._rebuild_depth -= 1

    def _stack_plan(self, screen: str, role: str, app: ExchangeApplication | None) -> list[Shown]:
        """The screens over the login screen that show ``screen`` as ``role``, each
        with the key under which an open one may be kept (None: always built anew)."""
        from credx_tui.screens.apply import ApplyScreen
        from credx_tui.screens.exchange import ExchangeScreen
        from credx_tui.screens.portal import PortalScreen
        from credx_tui.screens.review_decision import ReviewDecisionScreen
        from credx_tui.screens.review_queue import ReviewQueueScreen
        from credx_tui.screens.trail import TrailScreen
        from credx_tui.screens.transcript import TranscriptScreen

        if screen == "login":
            return []
        if role == "reviewer":
            plan = [Shown(("review-queue",), ReviewQueueScreen)]
            if screen == "review_decision" and app is not None and workflow.handed_in(app):
                app_id = app.id
                plan.append(
                    Shown(("review-decision", app_id), lambda: ReviewDecisionScreen([app_id], 0))
                )
            return plan
        plan = [Shown(("portal",), PortalScreen)]
        if screen == "transcript":
            plan.append(Shown(("transcript",), TranscriptScreen))
        elif screen in ("exchange", "apply", "trail"):
            plan.append(Shown(("exchange",), ExchangeScreen))
            if screen == "apply":
                target = self.walk.step.expect.target or self.walk.step.perform.target
                editable = (
                    app
                    if app is not None and app.target == target and workflow.editable(app)
                    else None
                )
                plan.append(Shown(None, lambda: ApplyScreen(editable)))
            elif screen == "trail" and app is not None:
                app_id = app.id
                plan.append(Shown(("trail", app_id), lambda: TrailScreen(app_id)))
        return plan

    @staticmethod
    def _shown_key(screen: Screen) -> tuple[str, ...] | None:
        """The key of an open screen, as :meth:`_stack_plan` names them."""
        if screen.id in ("portal", "transcript", "exchange", "review-queue"):
            return (screen.id,)
        if screen.id in ("trail", "review-decision"):
            return (screen.id, str(getattr(screen, "application_id", "")))
        return None  # the 申请 form (what is typed there is not the walk's) and dialogs

    async def show_as(self, screen: str, role: str) -> bool:
        """Show ``screen`` as the scenario's student or reviewer, signed in on the
        sandbox, with the application of the walk; False when the login was refused.

        Quick and in one frame (issue 15): the screens already open for the same
        person are kept (only those above them are closed and the rest opened), the
        login is not repeated for the person already signed in, and nothing is painted
        until the last screen is there with its panel."""
        account = self._account(role)
        with self._rebuilding():
            restored: list[Screen] = []
            if screen == "login" or self.app.actor is None or self.app.actor.username != account:
                await self._unwind(park=screen != "login")
                if screen == "login":
                    return True
                result = self._logins.get(account)
                if result is None:
                    try:  # the password hash and the account's lock: in a thread (issue 13)
                        result = await asyncio.to_thread(
                            self.app.services.login, account, self.walk.scenario.password
                        )
                    except ServiceError as exc:
                        self._refused(exc)
                        return False
                    # One password check per account and sandbox: a role switch then
                    # takes no scrypt hash (about 0.1 s each).
                    self._logins[account] = result
                restored = await self._unpark(account)  # signed out still: nothing read
                self.app.actor, self.app.last_seen = result.actor, result.last_seen
                await self._unparked(restored)
            plan = self._stack_plan(screen, role, self.focus_application())
            opened = self.app.screen_stack[2:]
            keep = 0
            while (
                keep < min(len(plan), len(opened))
                and plan[keep].key is not None
                and plan[keep].key == self._shown_key(opened[keep])
            ):
                keep += 1
            closing = [self.app.pop_screen() for _ in range(len(self.app.screen_stack) - 2 - keep)]
            for awaited in closing:
                await awaited  # gone, before a screen of the same id comes back
            # Opened one after another before any is awaited: their composing and
            # loading overlap, and (in the batch) only the last is painted.
            opening = [self.app.push_screen(shown.build()) for shown in plan[keep:]]
            for awaited in opening:
                await awaited
            top = self.app.screen
            if not closing and not opening and isinstance(top, CredxScreen):
                top.reload()  # kept as it was, uncovered by nothing: the data may have changed
            name = name_of(top.id)
            if name is not None:
                self.walk.screen = name
                self.walk.screens_seen.add(name)
        self.refresh_walk()
        return True

    # -- language and commands --------------------------------------------------------

    def lang_changed(self, lang: str) -> None:
        self.app.sub_title = t("walk.sandbox", lang)
        self.refresh_walk()  # the panel is a system widget: the screens' recompose keeps it

    def commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The trainer's commands (listed before the app's)."""
        for action in WALK_BINDINGS:
            yield SystemCommand(
                self.t(f"cmd.{action}"),
                self.t(f"key.{action}.tip"),
                getattr(self, f"action_{action}"),
            )
        if self.training.fixture is None:
            for path in shipped_scenarios():
                scenario = load_scenario(path)
                if scenario.id != self.walk.scenario.id:
                    yield SystemCommand(
                        self.t("cmd.walk_scenario", title=scenario.title.text(self.lang)),
                        scenario.summary.text(self.lang),
                        partial(self.start_scenario, scenario),
                    )
