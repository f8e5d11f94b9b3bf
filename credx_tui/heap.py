"""The garbage collector, tuned once a process has started (issue 13, item 4).

Python's cycle collector walks every container object of a generation when it runs.
After start-up a credx process holds hundreds of thousands of long-lived ones (modules,
classes, pydantic's validators, Textual's widgets and styles) that will never be
garbage, and reading a store file makes tens of thousands of short-lived ones (parsed
JSON), each batch of 700 triggering a collection.  Measured: 35-75 ms of collector per
save+submit, and single submits of 1.2-2.1 s.  So, once ready:

- collect once and :func:`gc.freeze` what exists: later collections never walk it;
- raise the young generation's threshold so that parsing one file is not a chain of
  collections (cycles are still collected, just in larger, rarer batches).

Not done in tests (each Pilot app would stay frozen for the rest of the session).
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 2, 100)
"""gc.set_threshold after start-up (Python's default is 700, 10, 10): young collections
rarer, the middle generation kept small (a file just parsed and cached survives one
young collection, then leaves it), the full walk of the cache rare."""


def settle() -> None:
    """Freeze what start-up made and set :data:`THRESHOLDS` (idempotent enough to call
    again: a second freeze adds what was made since)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
