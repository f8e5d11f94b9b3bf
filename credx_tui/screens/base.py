"""What every credx screen shares: the catalogue, localized bindings, the signed-in
actor, refresh on resume and one way of showing a service's refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from credx_tui.i18n import t
from credx_tui.localize import localize_bindings
from credx_tui.services import Actor, ServiceError, Services

if TYPE_CHECKING:
    from credx_tui.app import CredxApp


class Localized:
    """Mixin of screens and dialogs: ``self.t`` and bindings in the app's language."""

    @property
    def credx(self) -> CredxApp:
        """The app, typed."""
        return cast("CredxApp", self.app)  # type: ignore[attr-defined]

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
        self.refresh_bindings()  # type: ignore[attr-defined]

    async def language_changed(self) -> None:
        """Redraw in the new language (state lives on the screen, not in widgets)."""
        self.localize()
        await self.recompose()  # type: ignore[attr-defined]
        self.after_recompose()

    def after_recompose(self) -> None:
        """Fill the freshly composed widgets again (override)."""


class CredxScreen(Localized, Screen):
    """A full screen of the student's journey."""

    @property
    def services(self) -> Services:
        """The use cases (the only way to the data)."""
        return self.credx.services

    @property
    def actor(self) -> Actor:
        """The signed-in student."""
        actor = self.credx.actor
        assert actor is not None, "screen shown without a login"
        return actor

    def on_mount(self) -> None:
        self.localize()

    def on_screen_resume(self) -> None:
        # Another terminal (a reviewer, the same student elsewhere) may have changed
        # the store while this screen was covered: read it again.
        self.reload()

    def reload(self) -> None:
        """Read the data again from the services (override)."""

    def action_refresh(self) -> None:
        """F5: read again."""
        self.reload()

    def action_back(self) -> None:
        """Escape: back to the previous screen."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def show_error(self, error: ServiceError) -> None:
        """A refusal from a service, in the UI language, as a notification."""
        self.notify(error.text(self.lang), severity="error", timeout=8, markup=False)
