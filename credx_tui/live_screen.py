"""Live screens (issue 13, item 3): a change made by another process reaches every open
screen that shows it, without a key press.

- One :class:`~credx_tui.watch.StoreWatcher` per app (:func:`start_watching`), in its
  thread, posts :class:`StoreChanged` (the changed files) to the app;
- the app forwards it to the screens that can be seen (:func:`forward`: the top screen
  and those under an open dialog);
- a :class:`LiveScreen` whose :class:`~credx_tui.services.live.Interest` the change
  touches re-reads what it shows in a thread worker (``live_read``, services only),
  which posts the result back as :class:`StoreRead`; the screen draws it only if it
  differs from what is shown (``live_show``), keeping the cursor and the scroll.

Nothing here reads the store: the watcher sees file names, the services read.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from textual import work
from textual._context import NoActiveAppError
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import get_current_worker

from credx_tui.services import ServiceError
from credx_tui.services.live import Interest
from credx_tui.watch import StoreWatcher
from credx_tui.working import gone

if TYPE_CHECKING:
    from textual.app import App

WATCH_ENV = "CREDX_WATCH"
"""``inotify``, ``stat`` or ``off``: how the app follows the store (default: inotify
where the system has it, else stat)."""


class StoreChanged(Message, bubble=False):
    """Another process (or this one) wrote these files of the store."""

    def __init__(self, paths: frozenset[str]) -> None:
        super().__init__()
        self.paths = paths
        """Changed data files, relative to the store folder."""


class StoreRead(Message, bubble=False):
    """A live re-read finished: what the screen would show now, or why not."""

    def __init__(self, shown: Any = None, error: ServiceError | None = None) -> None:
        super().__init__()
        self.shown = shown
        """The screen's own snapshot (``live_read``'s result)."""
        self.error = error
        """The services' refusal, when they refused (the application was withdrawn ...)."""


class LiveScreen:
    """Mixin of a screen that follows the store (put it before ``CredxScreen``).

    A screen overrides :meth:`live_read` (in a thread: call the services, return a
    snapshot of what it shows and set :attr:`live_interest`) and :meth:`live_show` (on
    the UI thread: draw the snapshot if it differs from what is shown)."""

    live_interest: Interest | None = None
    """The store files this screen shows something of; None until first known (then
    any change is a reason to look)."""

    def live_interest_for(self) -> Interest | None:
        """What the screen depends on, from the services (in a worker thread; cheap:
        no data is read for it beyond the actor's own record).  None: not known yet."""
        return None

    @work(thread=True, exclusive=True, group="live-learn")
    def live_learn(self) -> None:
        """Learn :attr:`live_interest` in a thread, then tell the stat fallback."""
        try:
            if not signed_in(self):
                return
            interest = self.live_interest_for()
        except (ServiceError, NoActiveAppError):
            return  # refused, or the screen was closed meanwhile (a burst of keys)
        if interest is not None:
            self.live_interest = interest
        watched(self)

    def live_read(self) -> Any:
        """Read what the screen shows, through the services (in a worker thread)."""
        raise NotImplementedError

    def live_show(self, shown: Any) -> None:
        """Draw ``shown`` if it is not what the screen shows already."""
        raise NotImplementedError

    def live_failed(self, error: ServiceError) -> None:
        """The services refused the re-read (override to say it on the screen)."""

    def on_store_changed(self, message: StoreChanged) -> None:
        if not signed_in(self):
            # A page passed on the way out, or parked by the trainer's role switch and
            # put back before its account is signed in again: no one to read for (the
            # decision screen's interest asks for the actor); it is read again when
            # someone signs in.
            return
        interest = self.live_interest
        if interest is None or interest.touches(message.paths):
            self.live_refresh()

    @work(thread=True, exclusive=True, group="live-refresh")
    def live_refresh(self) -> None:
        """Re-read in a thread; the result comes back as :class:`StoreRead`."""
        worker = get_current_worker()
        try:
            if not signed_in(self):
                return  # logged out (F10, a timeout, an ended session): no one to read for
            shown = self.live_read()
        except ServiceError as exc:
            message = StoreRead(error=exc)
        except NoActiveAppError:
            return  # the screen was closed while its worker started: no one to show
        else:
            message = StoreRead(shown)
        if not worker.is_cancelled:
            self.post_message(message)  # type: ignore[attr-defined]
            watched(self)

    def on_store_read(self, message: StoreRead) -> None:
        if not self.is_mounted or gone(self):  # type: ignore[attr-defined]
            return
        if message.error is not None:
            self.live_failed(message.error)
        else:
            self.live_show(message.shown)


def signed_in(screen: object) -> bool:
    """Whether someone is signed in to the screen's app (a screen passed on the way
    back to the login has no one to read for)."""
    return getattr(getattr(screen, "app", None), "actor", None) is not None


@contextlib.contextmanager
def kept_place(table: DataTable) -> Iterator[None]:
    """Refill ``table`` without moving the reader: the cursor stays on the same row
    (by key, else by position) and the scroll where it was."""
    key = None
    if table.row_count:
        with contextlib.suppress(Exception):
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
    row, x, y = table.cursor_row, table.scroll_x, table.scroll_y
    yield
    if not table.row_count:
        return
    target = min(max(row, 0), table.row_count - 1)
    if key is not None:
        with contextlib.suppress(Exception):
            target = table.get_row_index(key)
    table.move_cursor(row=target, scroll=False)
    table.call_after_refresh(table.scroll_to, x, y, animate=False)


# -- the app's side -------------------------------------------------------------------


def start_watching(app: App) -> StoreWatcher | None:
    """Start the app's one watcher on its services' store (None when turned off)."""
    choice = os.environ.get(WATCH_ENV, "").strip().lower() or None
    if choice == "off":
        return None
    store = app.services.store  # type: ignore[attr-defined]

    def changed(paths: frozenset[str]) -> None:
        app.post_message(StoreChanged(paths))

    if hasattr(store, "root"):
        watcher = StoreWatcher(store.root, changed, backend=choice)
    else:  # PostgreSQL: what commits announce (LISTEN/NOTIFY), the same names
        watcher = store.watcher(changed)
    app.store_watcher = watcher  # type: ignore[attr-defined]
    watched(app)
    watcher.start()
    app.screen_change_signal.subscribe(app, lambda screen: shown_now(app, screen))
    return watcher


def shown_now(app: App, screen: Screen) -> None:
    """A screen came to the top: once it has drawn (it has read its data then), a live
    screen that does not know its interest yet learns it (the stat fallback needs it
    to look at anything); the watched files are those of the screens open now."""
    watched(app)
    if isinstance(screen, LiveScreen) and screen.live_interest is None:

        def learn() -> None:
            if screen.is_attached:  # not closed again by the next key of a burst
                screen.live_learn()

        screen.call_after_refresh(learn)


def watched(node: object) -> None:
    """Tell the stat fallback which files the open screens depend on (inotify sees
    everything anyway).  Safe from any thread and on any node of the app."""
    try:
        app = getattr(node, "app", node)
    except NoActiveAppError:
        return  # a screen already closed: the next screen change says it all
    watcher: StoreWatcher | None = getattr(app, "store_watcher", None)
    if watcher is None:
        return
    paths: set[str] = set(getattr(app, "live_paths", lambda: set())())
    for screen in list(getattr(app, "screen_stack", [])):
        interest = getattr(screen, "live_interest", None)
        if interest is not None:
            paths |= interest.paths
    watcher.watch(paths)


def visible_screens(app: App) -> list[Screen]:
    """The top screen and every screen seen under the dialogs above it."""
    shown: list[Screen] = []
    for screen in reversed(app.screen_stack):
        shown.append(screen)
        if not screen.is_modal:
            break
    return shown


def forward(app: App, message: StoreChanged) -> None:
    """Hand a change to the live screens that can be seen now (a covered screen reads
    again when it is shown: ``CredxScreen.on_screen_resume``)."""
    for screen in visible_screens(app):
        if isinstance(screen, LiveScreen):
            screen.post_message(StoreChanged(message.paths))


def stop_watching(app: App) -> None:
    """Stop the app's watcher (at exit)."""
    watcher: StoreWatcher | None = getattr(app, "store_watcher", None)
    if watcher is not None:
        watcher.stop()
