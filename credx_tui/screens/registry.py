"""The one list of the app's screens (issue 14): the name a scenario uses, the id the
screen has in the app, whose screen it is, and its class.

The app opens these screens by name, the trainer maps a screen shown back to its
name and builds the screens of a step, and the scenario format accepts exactly these
names (:data:`ScreenName`).  ``tests/ui/test_screen_registry.py`` checks that the
classes carry these ids.  This module imports neither Textual nor a screen: a class
is imported when asked for (:func:`screen_class`), so the trainer's pure modules and
``credx train --check`` may use the names."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from textual.screen import Screen

ScreenName = Literal[
    "login", "portal", "transcript", "exchange", "apply", "trail", "review_queue", "review_decision"
]
"""A screen's name in the scenario format (and in the catalogue: ``walk.screen.NAME``)."""


@dataclass(frozen=True)
class ScreenEntry:
    """One screen of the app."""

    name: ScreenName
    """Its name in scenarios and the catalogue."""
    id: str
    """The id the screen has in the app (``Screen(id=...)``)."""
    role: Literal["anyone", "student", "reviewer"]
    """Who sees it: the login before anyone is signed in, a student's or a reviewer's."""
    view: bool
    """Whether the trainer's role switch may show it as a page of its own (the login
    and the 申请 form are steps, not views)."""
    cls: str
    """``module:Class`` of the screen, imported on demand."""


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("login", "login", "anyone", False, "credx_tui.screens.login:LoginScreen"),
    ScreenEntry("portal", "portal", "student", True, "credx_tui.screens.portal:PortalScreen"),
    ScreenEntry(
        "transcript", "transcript", "student", True, "credx_tui.screens.transcript:TranscriptScreen"
    ),
    ScreenEntry(
        "exchange", "exchange", "student", True, "credx_tui.screens.exchange:ExchangeScreen"
    ),
    ScreenEntry("apply", "apply", "student", False, "credx_tui.screens.apply:ApplyScreen"),
    ScreenEntry("trail", "trail", "student", True, "credx_tui.screens.trail:TrailScreen"),
    ScreenEntry(
        "review_queue",
        "review-queue",
        "reviewer",
        True,
        "credx_tui.screens.review_queue:ReviewQueueScreen",
    ),
    ScreenEntry(
        "review_decision",
        "review-decision",
        "reviewer",
        True,
        "credx_tui.screens.review_decision:ReviewDecisionScreen",
    ),
)
"""Every named screen, in the order of the procedure."""

SCREEN_NAMES: tuple[ScreenName, ...] = get_args(ScreenName)
"""The names, as the scenario format accepts them."""

BY_NAME: dict[str, ScreenEntry] = {entry.name: entry for entry in SCREENS}
BY_ID: dict[str, ScreenEntry] = {entry.id: entry for entry in SCREENS}


def name_of(screen_id: str | None) -> ScreenName | None:
    """The name of the screen with this id (None: not a named screen, a dialog)."""
    entry = BY_ID.get(screen_id or "")
    return entry.name if entry is not None else None


def names_of(role: str, *, views: bool = False) -> tuple[ScreenName, ...]:
    """The names of ``role``'s screens (only those the role switch may show, with
    ``views``)."""
    return tuple(e.name for e in SCREENS if e.role == role and (e.view or not views))


def screen_class(name: str) -> type[Screen]:
    """The class of the screen named ``name`` (imported now)."""
    module, _, attribute = BY_NAME[name].cls.partition(":")
    found: type[Screen] = getattr(importlib.import_module(module), attribute)
    return found
