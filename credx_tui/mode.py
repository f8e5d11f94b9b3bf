"""What the app is given to run in a mode (issue 14): the trainer is one.

The app (:class:`credx_tui.app.CredxApp`) holds one :class:`AppMode` and tells it of
its own events: mounted, a screen pushed, a key, a resize, the store watcher's
``StoreChanged``, the language switched.  The mode answers a few questions (its
keys, its palette commands, the header's title, may a session idle out).  The plain
app runs with this base, which does nothing; ``credx train`` gives it the trainer's
mode (``credx_tui.training.ui.TrainerMode``).  A mode is composed with the app, not a
subclass of it, so neither imports the other's module at import time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual import events
    from textual.app import SystemCommand
    from textual.binding import Binding
    from textual.content import Content
    from textual.screen import Screen

    from credx_tui.live_screen import StoreChanged
    from credx_tui.ui_base import ModeHost


class AppMode:
    """The ordinary app's mode: adds nothing.  Subclasses override the hooks."""

    download_links: bool = True
    """Whether a document may leave as a one-time download link (issue 10, item 4)."""
    keeps_session: bool = False
    """Whether a signed-in session stays signed in however long nobody types (the
    college's idle timeout does not apply)."""
    offers_training: bool = True
    """Whether the palette offers to start ``credx train`` (not from inside it)."""

    _app: ModeHost | None = None

    @property
    def app(self) -> ModeHost:
        """The app this mode was given to."""
        if self._app is None:
            raise RuntimeError("the mode was not given to an app yet")
        return self._app

    def attach(self, app: ModeHost) -> None:
        """The app was built with this mode (before it runs)."""
        self._app = app

    def bindings(self) -> Iterable[Binding]:
        """Keys the app adds to its own; their action ``mode('NAME')`` runs the mode's
        ``action_NAME``."""
        return ()

    def mounted(self) -> None:
        """The app is mounted; its first screen is pushed right after."""

    def unmounted(self) -> None:
        """The app is closing."""

    def screen_pushed(self, screen: Screen) -> None:
        """``screen`` was just pushed (not composed yet)."""

    def key(self, event: events.Key) -> bool:
        """A key reached the app, before its bindings and screens see it; True: the
        key is the mode's, the app goes no further with it."""
        return False

    def resized(self) -> None:
        """The terminal's size changed."""

    def store_changed(self, message: StoreChanged) -> None:
        """The store watcher saw the store change (after the screens were told)."""

    def lang_changed(self, lang: str) -> None:
        """The UI language switched to ``lang`` (after the screens redrew)."""

    def live_paths(self) -> set[str]:
        """Store files the mode depends on, for the watcher's stat fallback."""
        return set()

    def commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The mode's palette commands, listed before the app's."""
        return ()

    def format_title(self, title: str, sub_title: str) -> Content | None:
        """The header's title (None: Textual's own)."""
        return None
