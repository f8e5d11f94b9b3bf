"""The trainer's guided-walk panel, split off the right edge of every screen.

It only draws a :class:`WalkView` the trainer app computes: the sandbox banner, the
step, what to do and why, the rules, whether the step is done, the last refusal, the
trainer's keys and the key echo.  Every text comes from the catalogue or the scenario."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Static


@dataclass(frozen=True)
class WalkView:
    """What the panel shows, already in the UI language."""

    banner: str
    scenario: str
    position: str
    title: str
    role: str
    text: str
    rules: str
    state: str
    done: bool
    message: str = ""
    message_is_error: bool = False
    keys: str = ""
    echo: str = ""
    echo_on: bool = True
    large: bool = False
    """Large-text mode: the step alone (title, text, state), bold and double-spaced."""


class WalkPanel(Vertical):
    """The panel beside the real screens (CSS: ``split: right``).

    It is composed together with the screen it sits on, already drawn (``view``), so the
    screen's first layout is for the width left beside the panel: no frame is laid out
    for the whole terminal and then cut by the panel.  Like Textual's own help panel it
    is a system widget, so a screen's recompose (a language switch) keeps it."""

    DEFAULT_CLASSES = "-textual-system"

    def __init__(self, view: WalkView | None = None, width: int = 34) -> None:
        super().__init__(id="walk-panel")
        self._view = view
        self._drawn: WalkView | None = None
        self.styles.width = width

    def set_width(self, width: int) -> None:
        """Make the panel ``width`` cells wide, and keep the screen's toasts left of it.

        Textual's toast rack lies over the whole screen on its own layer, docked and
        1fr wide (a margin does not narrow a docked 1fr widget): padding on its right
        keeps the right-aligned toasts off the panel."""
        from textual.widgets._toast import ToastRack

        self.styles.width = width
        if self.parent is not None:
            for rack in self.parent.query_children(ToastRack):
                rack.styles.padding = (0, width, 0, 0)

    def compose(self) -> ComposeResult:
        yield Static("", id="walk-banner", markup=False)
        yield Static("", id="walk-scenario", markup=False)
        yield Static("", id="walk-position", markup=False)
        with VerticalScroll(id="walk-body"):
            yield Static("", id="walk-title", markup=False)
            yield Static("", id="walk-role", markup=False)
            yield Static("", id="walk-text", markup=False)
            yield Static("", id="walk-rules", markup=False)
        yield Static("", id="walk-state", markup=False)
        yield Static("", id="walk-message", markup=False)
        yield Static("", id="walk-keys", markup=False)
        yield Static("", id="walk-echo", markup=False)

    def on_mount(self) -> None:
        self.set_width(int(self.styles.width.value) if self.styles.width else 34)
        if self._view is not None:
            self._draw(self._view)
            self._drawn = self._view

    def show(self, view: WalkView) -> None:
        """Draw ``view`` (scenario texts are data: never markup)."""
        self._view = view
        if not self.is_mounted or view == self._drawn:
            return  # drawn on mount; an unchanged view is not drawn again (no repaint)
        with contextlib.suppress(NoMatches):
            self._draw(view)
            self._drawn = view

    def _draw(self, view: WalkView) -> None:
        self.query_one("#walk-banner", Static).update(view.banner)
        self.query_one("#walk-scenario", Static).update(view.scenario)
        self.query_one("#walk-position", Static).update(view.position)
        self.query_one("#walk-title", Static).update(Text(view.title, style="bold"))
        self.query_one("#walk-role", Static).update(view.role)
        self.query_one("#walk-text", Static).update(view.text)
        rules = self.query_one("#walk-rules", Static)
        rules.update(view.rules)
        rules.display = bool(view.rules)
        state = self.query_one("#walk-state", Static)
        state.update(view.state)
        state.set_class(view.done, "-done")
        state.set_class(not view.done, "-waiting")
        message = self.query_one("#walk-message", Static)
        message.update(view.message)
        message.display = bool(view.message)
        message.set_class(view.message_is_error, "-error")
        self.query_one("#walk-keys", Static).update(view.keys)
        echo = self.query_one("#walk-echo", Static)
        echo.update(view.echo)
        echo.display = view.echo_on and not view.large
        self.set_class(view.large, "-large")
        for name in ("#walk-scenario", "#walk-role", "#walk-keys"):
            self.query_one(name).display = not view.large
        if view.large:
            rules.display = False
