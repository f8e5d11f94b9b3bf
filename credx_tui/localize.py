"""The UI base of screens and dialogs: ``Localized`` (texts in the app's language) and
localized key bindings: each binding's footer text and tooltip come from the
catalogue by the binding's id (``key.<id>`` and ``key.<id>.tip``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual.binding import BindingsMap

from credx_tui.i18n import CATALOGUE, t

if TYPE_CHECKING:
    from credx_tui.app import CredxApp


TEXTUAL_BINDINGS = {("escape", "dismiss"): "textual.dismiss_menu"}
"""Textual's own footer texts (key, action) -> catalogue key: Select's open menu says
'esc Dismiss menu' in English whatever the UI language (issue 15)."""


def localize_textual(root: object, lang: str) -> None:
    """Put the footer texts of Textual's own widgets under ``root`` (a screen) in the
    UI language; they carry no binding id, so they are found by key and action."""
    from textual.widgets._select import SelectOverlay

    for overlay in root.query(SelectOverlay):  # type: ignore[attr-defined]
        bindings = overlay._bindings
        for key, group in bindings.key_to_bindings.items():
            bindings.key_to_bindings[key] = [
                replace(b, description=t(TEXTUAL_BINDINGS[(key, b.action)], lang))
                if (key, b.action) in TEXTUAL_BINDINGS
                else b
                for b in group
            ]


def localize_bindings(bindings: BindingsMap, lang: str) -> None:
    """Rewrite, in place, the description and tooltip of every binding with an id."""
    for key, group in bindings.key_to_bindings.items():
        fresh = []
        for binding in group:
            if binding.id and f"key.{binding.id}" in CATALOGUE:
                binding = replace(
                    binding,
                    description=t(f"key.{binding.id}", lang),
                    tooltip=t(f"key.{binding.id}.tip", lang),
                )
            fresh.append(binding)
        bindings.key_to_bindings[key] = fresh


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
