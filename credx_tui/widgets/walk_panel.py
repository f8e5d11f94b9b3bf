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
from textual.message import Message
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


class WalkPanel(Vertical):
    """The panel beside the real screens (CSS: ``split: right``)."""

    class Ready(Message):
        """The panel is mounted and waits for its first :class:`WalkView`."""

    def __init__(self) -> None:
        super().__init__(id="walk-panel")

    def on_mount(self) -> None:
        self.post_message(self.Ready())

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

    def show(self, view: WalkView) -> None:
        """Draw ``view`` (scenario texts are data: never markup)."""
        # The refresh timer may fire while the panel is mounted but its children are not
        # (yet, or any more: a language switch recomposes the screens); Ready redraws.
        if not self.is_mounted:
            return
        with contextlib.suppress(NoMatches):
            self._draw(view)

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
        echo.display = view.echo_on
