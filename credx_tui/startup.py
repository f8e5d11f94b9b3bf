"""Services built after the login screen is drawn (issue 13, item 4).

Opening the store and building the services imports the store, the policy layer and
every pydantic model, and reads the college's rules: about as long again as a bare
Textual app takes to draw its first screen.  The login screen needs none of it to be
drawn and typed into, so ``credx`` hands the app a :class:`ServicesBuild` (what builds
the services, not built ones); the app runs it in a daemon thread right after the
first paint (not a Textual worker: Ctrl+Q must quit even if the build hangs), and a login waits for it in its own worker (the screen stays live and says
that it is still opening the store).  Tests hand the app built services, as before.

This module imports neither Textual nor the services: it is on the way to the first
paint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from credx_tui.bilingual import BilingualError

if TYPE_CHECKING:
    from credx_tui.services import Services


class StartFailed(BilingualError):
    """The services could not be built (the store unreadable, its rules file no longer
    loading): the login screen shows this, and every login attempt says it again."""


class ServicesBuild:
    """What builds the app's services, run once (:meth:`run`, in a thread), and
    waited for (:meth:`wait`) by whoever needs them."""

    def __init__(self, build: Callable[[], Services]) -> None:
        self._build = build
        self._done = threading.Event()
        self._services: Services | None = None
        self._failure: StartFailed | None = None
        self._lock = threading.Lock()
        self._started = False

    @property
    def done(self) -> bool:
        """Whether the build ended, built or failed."""
        return self._done.is_set()

    @property
    def services(self) -> Services | None:
        """The services once built (None before, or after a failure)."""
        return self._services

    @property
    def failure(self) -> StartFailed | None:
        """Why the build failed (None: it did not, or not yet)."""
        return self._failure

    def run(self) -> None:
        """Build the services (once; a second call returns at once).  Any error becomes
        :class:`StartFailed` naming what failed: a broken store must be a message on
        the login screen, never a traceback or a login that waits for ever."""
        with self._lock:
            if self._started:
                return
            self._started = True
        try:
            self._services = self._build()
        except Exception as exc:  # every failure is told, none is lost
            self._failure = _failure_of(exc)
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> Services:
        """The services, waiting for the build (call off the event loop).  Raises
        :class:`StartFailed` when it failed, or when it is still running after
        ``timeout`` seconds."""
        if not self._done.wait(timeout):
            raise StartFailed(
                "数据仍在打开，请稍后再试",
                "The store is still being opened; try again in a moment",
            )
        if self._services is None:  # failed (or ended by something no Exception)
            raise self._failure or StartFailed("无法打开数据", "Cannot open the store")
        return self._services


def _failure_of(exc: Exception) -> StartFailed:
    """One clear line for a failed build: a bilingual error keeps both texts; a store's
    or the rules' error (English, naming the file) follows a Chinese lead-in."""
    if isinstance(exc, StartFailed):
        return exc
    if isinstance(exc, BilingualError):
        return StartFailed(f"无法打开数据：{exc.zh}", f"Cannot open the store: {exc.en}")
    text = str(exc) or type(exc).__name__
    return StartFailed(f"无法打开数据：{text}", f"Cannot open the store: {text}")
