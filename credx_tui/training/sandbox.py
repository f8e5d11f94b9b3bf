"""The trainer's sandbox: a throwaway copy of the demo college in a temporary folder.

Nothing done in it can reach the real store: the sandbox is built from the import
files (never from the real store) into its own folder, and it is the only store the
trainer's app is given.  ``reset`` puts the start state back by copying a pristine
copy made once at creation, so it takes milliseconds (building from the import files
hashes every password and takes about a second)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from credx_tui.services.loading import DEMO_DIR, import_paths
from credx_tui.store import HotTransaction, Store
from policy.rules import Rules

MARKER = "SANDBOX"
"""A file in the sandbox folder saying what it is (and that deleting it is safe)."""


class SandboxStore(Store):
    """The sandbox's store, which says when it was written.

    Applications and their events are written only in hot transactions (S4, S5); the
    trainer's panel (is the step done?) listens here instead of reading the store on a
    timer.  Only this process writes the sandbox, so nothing is missed."""

    on_write: Callable[[], None] | None = None
    """Called after every hot transaction that ended without an exception (from the
    thread that wrote; the listener hands over to its own thread)."""

    @contextlib.contextmanager
    def hot(self, college: str, student_id: str) -> Iterator[HotTransaction]:
        with super().hot(college, student_id) as tx:
            yield tx
        self.written()

    @contextlib.contextmanager
    def hot_at(self, key: str, bucket: str) -> Iterator[HotTransaction]:
        with super().hot_at(key, bucket) as tx:
            yield tx
        self.written()

    def written(self) -> None:
        """Tell the listener the sandbox changed."""
        if self.on_write is not None:
            self.on_write()


class Sandbox:
    """A temporary store for one training session; remove it with :meth:`close`."""

    def __init__(self, rules: Rules, fixture: list[Path] | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="credx-train-"))
        (self.folder / MARKER).write_text(
            "credx trainer sandbox: a throwaway copy of the demo college.\n", encoding="utf-8"
        )
        self._pristine = self.folder / "pristine"
        self.root = self.folder / "store"
        pristine = Store.create(self._pristine)
        import_paths(pristine, fixture or [DEMO_DIR], rules)
        shutil.copytree(self._pristine, self.root)
        self.store = SandboxStore(self.root)

    def reset(self) -> None:
        """Bring the sandbox back to its start state."""
        staging = self.folder / "store.next"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(self._pristine, staging)
        old = self.folder / "store.old"
        shutil.rmtree(old, ignore_errors=True)
        self.root.rename(old)
        staging.rename(self.root)
        shutil.rmtree(old, ignore_errors=True)
        self.store.cache.clear()
        self.store.written()

    def close(self) -> None:
        """Delete the sandbox folder."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
