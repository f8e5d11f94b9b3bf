"""The garbage collector, tuned once a process has started (issue 13, item 4).

Python's cycle collector walks every container object of a generation when it runs.
After start-up a credx process holds hundreds of thousands of long-lived ones (modules,
classes, pydantic's validators, Textual's widgets and styles) that will never be
garbage, and reading a store file makes tens of thousands of short-lived ones (parsed
JSON, kept by the file cache), each batch of 700 triggering a collection.  Measured:
35-75 ms of collector per save+submit, single submits of 1.2-2.1 s, and full
collections walking the whole file cache in the middle of a write.  So, once ready:

- collect once and :func:`gc.freeze` what exists: later collections never walk it;
- young collections in larger batches, and the middle generation kept small, so that
  parsing one file is not a chain of collections;
- no automatic full collection: the app runs it when the person has been idle for a
  moment (:func:`collect_if_idle`), where a pause of a tenth of a second is not felt.

Not done in tests (each Pilot app would stay frozen for the rest of the session).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (10_000, 2, 1_000_000)
"""gc.set_threshold after start-up (Python's default is 700, 10, 10): young collections
rarer, the middle generation kept small (a file just parsed and cached survives one
young collection, then leaves it), full collections left to :func:`collect_if_idle`."""
IDLE_BEFORE_FULL = 2.0
"""Seconds without a key press or click before the full collection may run."""
FULL_EVERY = 30.0
"""Seconds between two full collections at most as often (idle or not, never more)."""

_last_full = 0.0
_held = False
_settled = False
_hold_timer: threading.Timer | None = None
HOLD_AT_MOST = 10.0
"""Seconds after which :func:`hold_imports` ends by itself: a process that imports
part of credx and never the services package still gets its collector back."""


def hold_imports() -> None:
    """No automatic collection while credx's modules are imported (issue 13, item 4).

    Importing Textual, pydantic's models and the screens makes a few hundred thousand
    objects that live as long as the process, and with Python's default thresholds the
    collector walks them again and again while they are made (about 70 ms of a
    650 ms start, one full collection of 30 ms among them).  :func:`imports_done`
    ends the hold.  Nothing is lost: only garbage in reference cycles waits, and
    imports make little of it."""
    global _held, _hold_timer
    if gc.isenabled():
        gc.disable()
        _held = True
        _hold_timer = threading.Timer(HOLD_AT_MOST, imports_done)
        _hold_timer.daemon = True
        _hold_timer.start()


def imports_done() -> None:
    """End :func:`hold_imports`: freeze what the imports made (modules, classes and
    their caches are never garbage, so no later collection needs to walk them) and
    turn automatic collection back on.  Does nothing without a hold."""
    global _held, _hold_timer
    if _hold_timer is not None and _hold_timer is not threading.current_thread():
        _hold_timer.cancel()
    _hold_timer = None
    if _held:
        _held = False
        gc.freeze()
        gc.enable()


def settle() -> None:
    """Freeze what start-up made and set :data:`THRESHOLDS` (idempotent enough to call
    again: a second freeze adds what was made since)."""
    global _last_full, _settled
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    _last_full = time.monotonic()
    _settled = True


@contextmanager
def parsing() -> Iterator[None]:
    """Around the parse of a store file, once :func:`settle` ran: no collection during
    it, and what it made frozen after it.

    A parsed hot file or student shard is 30,000-60,000 containers that the file cache
    keeps.  Left to the collector, they were walked while being made and again in the
    next young collection: with the cache dropping old files as it takes new ones
    (which lowers the collector's allocation count), the young generation grew to
    50,000 objects and one collection took 60 ms of CPU in a submit (issue 13, item
    4).  Frozen, they are never walked; they are still freed when the cache drops them
    (reference counting).  Anything else young at that moment is frozen too, so a
    reference cycle that became garbage then waits for :func:`collect_if_idle`, which
    thaws everything first.  Not in tests or commands that did not settle."""
    if not _settled or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def collect_if_idle(idle_for: float) -> bool:
    """Run the full collection if the person has been idle ``idle_for`` seconds long
    enough and the last one is :data:`FULL_EVERY` seconds old; True when it ran."""
    global _last_full
    now = time.monotonic()
    if idle_for < IDLE_BEFORE_FULL or now - _last_full < FULL_EVERY:
        return False
    # Thawed first: what :func:`parsing` froze with its file may be garbage since.
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _last_full = now
    return True
