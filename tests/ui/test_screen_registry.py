"""Issue 14: one screen registry (credx_tui/screens/registry.py) for the app, the
trainer and the scenario format.  The names a scenario accepts, the ids the screens
carry in the app, the catalogue's names of them and the trainer's mapping all come
from it; this test compares them, so a screen renamed in one place fails here."""

from __future__ import annotations

from typing import get_args

from credx_tui.app import CredxApp, make_app
from credx_tui.i18n import CATALOGUE
from credx_tui.screens.registry import (
    SCREEN_NAMES,
    SCREENS,
    ScreenName,
    name_of,
    names_of,
    screen_class,
)
from credx_tui.settings import Settings
from credx_tui.training import check, scenario
from credx_tui.training.ui import STUDENT_SIDE


def test_the_scenario_format_accepts_exactly_the_registry_s_names() -> None:
    assert get_args(scenario.Screen) == get_args(ScreenName) == SCREEN_NAMES
    assert tuple(entry.name for entry in SCREENS) == SCREEN_NAMES
    assert len({entry.id for entry in SCREENS}) == len(SCREENS)


def test_every_name_has_its_catalogue_text_and_maps_back_from_its_id() -> None:
    for entry in SCREENS:
        assert f"walk.screen.{entry.name}" in CATALOGUE
        assert name_of(entry.id) == entry.name
    assert name_of("hidden-courses") is None and name_of(None) is None


def test_the_trainer_and_the_checker_take_their_lists_from_it() -> None:
    assert STUDENT_SIDE == ("portal", "transcript", "exchange", "trail")
    assert check.REVIEWER_SCREENS == ("review_queue", "review_decision")
    assert names_of("anyone") == ("login",)


async def test_each_class_carries_the_registry_s_id(store, rules) -> None:
    """Built inside a running app (a screen's constructor may ask for it): each class
    the registry names has the id the registry gives it."""
    from credx_tui.services import make_services

    app = make_app(Settings(db=store.root), make_services(store, rules))
    assert isinstance(app, CredxApp)
    async with app.run_test(size=(80, 24)):
        for entry in SCREENS:
            cls = screen_class(entry.name)
            args: tuple[object, ...] = ()
            if entry.name in ("trail",):
                args = ("XF2026-0001",)
            elif entry.name == "review_decision":
                args = (["XF2026-0001"], 0)
            elif entry.name == "apply":
                args = (None,)
            screen = cls(*args)
            assert screen.id == entry.id, entry
