"""The part of the UI base that a dialog stands on (issue 14): ``CredxHost`` (what a
screen or dialog may ask of the app, without importing it), ``Localized`` (texts and
bindings in the app's language) and ``CredxDialog[T]`` (a modal dialog that
``dismiss()``es a ``T``).

:mod:`credx_tui.ui` adds ``CredxScreen`` on top and opens the link dialogs
(``widgets/download_link.py``, ``widgets/upload_link.py``) from it; those dialogs
stand on this module, never on ``ui``, so the two never import each other (an
import-linter contract in pyproject.toml keeps it so)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from textual.screen import ModalScreen

from credx_tui.i18n import t
from credx_tui.localize import localize_bindings, localize_textual

if TYPE_CHECKING:
    from textual import Logger
    from textual.await_complete import AwaitComplete
    from textual.binding import BindingsMap
    from textual.geometry import Size
    from textual.screen import Screen
    from textual.signal import Signal
    from textual.theme import Theme
    from textual.widget import Widget

    from credx_tui.services import Actor, Services
    from credx_tui.settings import Settings


class CredxHost(Protocol):
    """What screens and dialogs use of the app (``credx_tui.app.CredxApp`` is one).

    A protocol rather than the class: the app imports every screen, so a screen that
    imported the app would close an import circle."""

    settings: Settings
    print_dir: Path
    actor: Actor | None
    last_seen: datetime | None

    @property
    def services(self) -> Services:
        """The use cases, once built (see :attr:`services_ready`)."""
        ...

    @property
    def services_ready(self) -> bool:
        """Whether the services are built: ``credx`` builds them after drawing the login
        screen (issue 13, item 4), the tests hand them built."""
        ...

    def wait_for_services(self) -> Services:
        """The services, waiting for their build (in a thread worker only)."""
        ...

    @property
    def download_links(self) -> bool:
        """Whether a document may leave as a one-time download link."""
        ...

    @property
    def lang(self) -> str:
        """The UI language now (``zh`` or ``en``)."""
        ...

    @property
    def local_files(self) -> bool:
        """Whether files on this machine are the person's own (they may browse them)."""
        ...

    def signed_in(self, actor: Actor, last_seen: datetime | None) -> None:
        """A login succeeded: remember who and go to their first screen."""
        ...

    def action_logout(self) -> None:
        """Log out and go back to the login screen."""
        ...

    def open_transcript(self) -> None:
        """Show 学生成绩总表."""
        ...

    def open_exchange(self) -> None:
        """Show 学分兑换."""
        ...


class ModeHost(CredxHost, Protocol):
    """What a mode (:class:`credx_tui.mode.AppMode`, the trainer's
    ``credx_tui.training.ui.TrainerMode``) and the palette's way into the trainer
    (``credx_tui.training.launch``) use of the app: the screens' part, and the part of
    Textual's ``App`` they drive (the stack, the theme, the header, notifications).

    A protocol rather than ``credx_tui.app.CredxApp``: the app is the composition
    root and imports the trainer's mode, so the mode standing on the app's class would
    close an import circle (issue 14).  Textual's methods are declared by name with
    their arguments left to Textual."""

    sub_title: str
    theme: str
    _thread_id: int
    """Textual's own: the thread the app runs in (a store write from another thread
    reaches the trainer's panel through ``call_from_thread``)."""
    _bindings: BindingsMap
    """Textual's own: the app's bindings, the trainer's among them as localized."""

    def t(self, key: str, /, **values: object) -> str:
        """The message ``key`` in the UI language."""
        ...

    @property
    def screen(self) -> Screen[Any]:
        """The screen on top of the stack."""
        ...

    @property
    def screen_stack(self) -> list[Screen[Any]]:
        """The screens of the current stack, bottom first."""
        ...

    @property
    def size(self) -> Size:
        """The terminal's size."""
        ...

    @property
    def focused(self) -> Widget | None:
        """The widget with the focus."""
        ...

    @property
    def is_running(self) -> bool:
        """Whether the app has started and not closed."""
        ...

    @property
    def log(self) -> Logger:
        """Textual's log."""
        ...

    @property
    def screen_change_signal(self) -> Signal[Screen[Any]]:
        """Published when the screen on top changes."""
        ...

    def notify(self, *args: Any, **kwargs: Any) -> None:
        """A toast (Textual's ``App.notify``)."""
        ...

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        """Textual's ``App.push_screen``."""
        ...

    def pop_screen(self) -> AwaitComplete:
        """Textual's ``App.pop_screen``."""
        ...

    def install_screen(self, *args: Any, **kwargs: Any) -> Any:
        """Textual's ``App.install_screen``."""
        ...

    def uninstall_screen(self, *args: Any, **kwargs: Any) -> Any:
        """Textual's ``App.uninstall_screen``."""
        ...

    def register_theme(self, theme: Theme) -> None:
        """Textual's ``App.register_theme``."""
        ...

    def call_later(self, *args: Any, **kwargs: Any) -> bool:
        """Textual's ``App.call_later``."""
        ...

    def call_from_thread(self, *args: Any, **kwargs: Any) -> Any:
        """Textual's ``App.call_from_thread``."""
        ...

    def batch_update(self) -> AbstractContextManager[None]:
        """Textual's ``App.batch_update``."""
        ...

    def suspend(self) -> AbstractContextManager[None]:
        """Textual's ``App.suspend``."""
        ...


class Localized:
    """Mixin of screens and dialogs: ``self.t`` and bindings in the app's language."""

    @property
    def credx(self) -> CredxHost:
        """The app, typed by what screens use of it."""
        return cast("CredxHost", self.app)  # type: ignore[attr-defined]

    @property
    def lang(self) -> str:
        """The UI language now."""
        return self.credx.lang

    def t(self, key: str, /, **values: object) -> str:
        """The message ``key`` in the UI language."""
        return t(key, self.lang, **values)

    def localize(self) -> None:
        """Put the footer texts and tooltips in the UI language."""
        localize_bindings(self._bindings, self.lang)  # type: ignore[attr-defined]
        localize_textual(self, self.lang)
        self.refresh_bindings()  # type: ignore[attr-defined]

    async def language_changed(self) -> None:
        """Redraw in the new language (state lives on the screen, not in widgets)."""
        self.localize()
        await self.recompose()  # type: ignore[attr-defined]
        localize_textual(self, self.lang)  # the freshly composed Selects
        self.after_recompose()

    def after_recompose(self) -> None:
        """Fill the freshly composed widgets again (override)."""


ResultType = TypeVar("ResultType")


class CredxDialog(Localized, ModalScreen[ResultType]):
    """A modal dialog of credx: texts in the app's language; ``dismiss()`` gives the
    caller a ``ResultType`` (e.g. ``CredxDialog[bool]`` for yes or no)."""


__all__ = ["CredxDialog", "CredxHost", "Localized", "ModeHost", "ResultType"]
