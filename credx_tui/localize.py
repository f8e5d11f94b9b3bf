"""Localized key bindings: each binding's footer text and tooltip come from the
catalogue by the binding's id (``key.<id>`` and ``key.<id>.tip``).  Bindings are
declared with :func:`bind`, by id only, so their text is written once, in the
catalogue; the app and ``credx_tui.ui.Localized`` (screens and dialogs) put it in
the UI language."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.binding import Binding, BindingsMap

from credx_tui.i18n import CATALOGUE, t


def bind(key: str, action: str, id: str, **options: Any) -> Binding:
    """The binding of ``key`` to ``action`` whose footer text and tooltip are the
    catalogue's ``key.<id>`` and ``key.<id>.tip`` (Chinese until
    :func:`localize_bindings` puts them in the UI language).  ``options`` are
    :class:`~textual.binding.Binding`'s others (``show``, ``priority``, ...).  A
    missing catalogue entry fails when the screen's module is imported, not on a
    screen."""
    text, tip = CATALOGUE[f"key.{id}"], CATALOGUE[f"key.{id}.tip"]
    return Binding(key, action, text[0], id=id, tooltip=tip[0], **options)


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
