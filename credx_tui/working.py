"""The UI never waits on the store (issue 13, item 2).

A service call that can block (every write, every call that takes a store lock, login's
password hash) runs in a thread worker (:meth:`Working.in_thread`).  While it runs the
screen says so on one line above the footer and refuses a second such call; Esc,
scrolling and reading stay live.  The result comes back to the screen, on the UI thread,
as a message named as the event it is (:class:`ApplicationSubmitted` ...), or as
:class:`ServiceRefused` with the services' refusal; the screen's handlers draw it.

Only this module starts these workers, in the group :data:`WORK_GROUP`, so the UI
tests can wait for them (tests/ui/conftest.py ``settle``) and prove that no store lock
is taken on the event loop (``no_lock_on_loop``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:
    from credx_tui.services import ServiceError

WORK_GROUP = "store-work"
"""The worker group of every service call moved off the event loop."""


class ServiceEvent(Message, bubble=False):
    """A service call made in a thread finished: ``result`` is what it returned."""

    def __init__(self, result: Any = None, context: Any = None) -> None:
        super().__init__()
        self.result = result
        """What the service returned (an application, a login result ...)."""
        self.context = context
        """What the screen handed to :meth:`Working.in_thread` to know the call again."""


class ApplicationSaved(ServiceEvent):
    """An application was saved as 无流程 (S4)."""


class ApplicationSubmitted(ServiceEvent):
    """An application was submitted, or submitted again after a return (S4, S5)."""


class ApplicationWithdrawn(ServiceEvent):
    """The student withdrew an application under review (R6)."""


class ApplicationsDeleted(ServiceEvent):
    """Drafts were deleted (``result``: the ids deleted and the refusals said)."""


class ApplicationDecided(ServiceEvent):
    """A reviewer approved or returned an application (S5)."""


class AttachmentAdded(ServiceEvent):
    """The services checked and stored a screenshot (S4)."""


class ApplicationOpened(ServiceEvent):
    """A reviewer's application was read (its first read may rebuild the college's
    index under the index lock, so it is never read on the event loop)."""


class LinkMade(ServiceEvent):
    """A one-time download or upload link was stored (issue 10)."""


class LoggedIn(ServiceEvent):
    """The password was right: ``result`` is the services' login result."""


class ServiceRefused(Message, bubble=False):
    """The services refused a call made in a thread: ``error`` says why."""

    def __init__(self, error: ServiceError, event: type[ServiceEvent], context: Any) -> None:
        super().__init__()
        self.error = error
        """The refusal, in both languages."""
        self.event = event
        """The event the call would have posted (which call it was)."""
        self.context = context
        """As :attr:`ServiceEvent.context`."""


class LinkNotMade(ServiceRefused):
    """The services refused a one-time link (apart from other refusals: every screen
    that makes links handles this one the same way, in ``CredxScreen``)."""


def gone(screen: Any) -> bool:
    """Whether ``screen`` was closed: on no screen stack (popped, its removal maybe not
    yet begun) or being removed (Textual prunes its widgets first).  A callback that
    reaches it then (a refresh, a worker's result, its own Mount in a burst of keys:
    Esc right after the key that opened it) has no widgets to draw in, and a query
    would kill the app (NoMatches, issue 15's key storms)."""
    if getattr(screen, "_pruning", False) or not screen.is_attached:
        return True
    stacks = getattr(screen.app, "_screen_stacks", {}).values()
    return all(screen not in stack for stack in stacks)


class Working:
    """Mixin of a screen (put it before ``Screen``): service calls in a thread worker,
    a "working" line while one runs, the result as an event message."""

    working: str = ""
    """Catalogue key of what runs now ("" when nothing does)."""

    def in_thread(
        self,
        call: Callable[[], Any],
        event: type[ServiceEvent],
        doing: str,
        context: Any = None,
        refused: type[ServiceRefused] = ServiceRefused,
    ) -> bool:
        """Run ``call`` (the services only) in a thread; post ``event`` with its result,
        or :class:`ServiceRefused`, to this screen.  False (and said) when another call
        of this screen is still running: one write at a time, as the keys used to wait."""
        screen: Any = self
        if self.working:
            screen.notify(
                screen.t("working.busy", doing=screen.t(self.working)),
                severity="warning",
                timeout=4,
                markup=False,
            )
            return False
        self._show_working(doing)
        app = screen.app

        def run() -> None:
            # Here, not at the top: the login screen is drawn before the services are
            # imported (issue 13, item 4); in this thread they are there or on their way.
            from credx_tui.services import ServiceError

            message: Message
            try:
                message = event(call(), context)
            except ServiceError as exc:
                message = refused(exc, event, context)
            with contextlib.suppress(RuntimeError):  # the app ended meanwhile: no one to tell
                app.call_from_thread(self._work_done, message)

        screen.run_worker(run, thread=True, group=WORK_GROUP, exit_on_error=True)
        return True

    def read_in_thread(
        self, call: Callable[[], Any], event: type[ServiceEvent], context: Any
    ) -> None:
        """Like :meth:`in_thread` for a read that may take a lock: no working line and
        no refusal of a second call (a newer read simply answers later; the handler
        compares ``context`` with what the screen shows now)."""
        screen: Any = self
        app = screen.app

        def run() -> None:
            from credx_tui.services import ServiceError

            message: Message
            try:
                message = event(call(), context)
            except ServiceError as exc:
                message = ServiceRefused(exc, event, context)
            with contextlib.suppress(RuntimeError):
                app.call_from_thread(self._read_done, message)

        screen.run_worker(run, thread=True, group=WORK_GROUP, exit_on_error=True)

    def _read_done(self, message: Message) -> None:
        screen: Any = self
        if not gone(screen):
            screen.post_message(message)

    def _work_done(self, message: Message) -> None:
        """On the UI thread: the line goes, the event reaches the screen's handlers (a
        refusal reaches the app's notifications when the screen was closed meanwhile)."""
        screen: Any = self
        self._show_working("")
        if not gone(screen):
            screen.post_message(message)
        elif isinstance(message, ServiceRefused):
            screen.app.notify(
                message.error.text(screen.lang), severity="error", timeout=8, markup=False
            )

    def _show_working(self, doing: str) -> None:
        screen: Any = self
        self.working = doing
        if gone(screen):
            return
        lines = screen.query("#working-line")
        if lines:
            line = lines.first(Static)
        elif doing:
            line = Static("", id="working-line", markup=False)
            screen.mount(line)
        else:
            return
        line.update(screen.t(doing) if doing else "")
        line.display = bool(doing)
