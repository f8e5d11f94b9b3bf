"""A store change reaches no live page while no one is signed in (issue 14, found by
tests/training/test_check.py on a loaded machine): the trainer's role switch puts the
reviewer's parked decision page back before signing the reviewer in again, and a
StoreChanged queued for it then asked for the actor ("screen shown without a login"),
which ended the app.  The page is read again once someone is signed in."""

from __future__ import annotations

from types import SimpleNamespace

from credx_tui.live_screen import LiveScreen, StoreChanged
from credx_tui.services.live import Interest


class _Page(LiveScreen):
    """A live page whose interest, like the decision screen's, needs the actor."""

    def __init__(self, actor: object | None) -> None:
        self.app = SimpleNamespace(actor=actor)
        self.refreshed = 0

    @property
    def live_interest(self) -> Interest | None:  # type: ignore[override]
        assert self.app.actor is not None, "screen shown without a login"
        return None

    def live_refresh(self) -> None:  # type: ignore[override]
        self.refreshed += 1


def test_no_one_signed_in_no_read() -> None:
    page = _Page(actor=None)
    page.on_store_changed(StoreChanged(frozenset({"hot/x/1.json"})))
    assert page.refreshed == 0


def test_signed_in_the_page_reads_again() -> None:
    page = _Page(actor=object())
    page.on_store_changed(StoreChanged(frozenset({"hot/x/1.json"})))
    assert page.refreshed == 1
