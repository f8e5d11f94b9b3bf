"""Localized key bindings: each binding's footer text and tooltip come from the
catalogue by the binding's id (``key.<id>`` and ``key.<id>.tip``)."""

from __future__ import annotations

from dataclasses import replace

from textual.binding import BindingsMap

from credx_tui.i18n import CATALOGUE, t


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
