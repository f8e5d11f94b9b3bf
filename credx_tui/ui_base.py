"""The part of the UI base that a dialog stands on (issue 14): ``CredxHost`` (what a
screen or dialog may ask of the app, without importing it), ``Localized`` (texts and
bindings in the app's language) and ``CredxDialog[T]`` (a modal dialog that
``dismiss()``es a ``T``).

:mod:`credx_tui.ui` adds ``CredxScreen`` on top and opens the link dialogs
(``widgets/download_link.py``, ``widgets/upload_link.py``) from it; those dialogs
stand on this module, never on ``ui``, so the two never import each other (an
import-linter contract in pyproject.toml keeps it so)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from textual.screen import ModalScreen

from credx_tui.i18n import t
from credx_tui.localize import localize_bindings, localize_textual

if TYPE_CHECKING:
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


__all__ = ["CredxDialog", "CredxHost", "Localized", "ResultType"]
