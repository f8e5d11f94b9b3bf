"""Many store files replaced together: staged aside, then put in place under a journal.

An import of a college rewrites thousands of shard files.  Writing each with
:func:`credx_tui.store.files.atomic_write_bytes` makes every file whole, but a crash in
the middle would leave some shards new and some old: half an import.  So a big write
goes in three steps (issue 12, item 5):

1. **stage**: every new file is written under ``staging/<id>/`` inside the store (same
   file system, so a rename moves it), then one ``syncfs`` makes them all durable (one
   flush instead of two ``fsync`` per file, which cost more than the whole import);
2. **journal**: ``import-journal.json`` names the staged files; it is written
   atomically, and from that moment the import is decided;
3. **put in place**: each staged file is renamed over its place, the folders are
   synced, and the journal is removed.

A crash before step 2 leaves the store as it was (the staging folder is removed by
:func:`recover`); a crash after it is completed by :func:`recover`, which every
:class:`~credx_tui.store.store.Store` runs when it opens the folder (and ``credx
verify``): the store holds the old import or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from credx_tui.store.files import (
    FILE_MODE,
    StoreError,
    StoreWriteError,
    atomic_write_bytes,
    fsync_dir,
    locked,
    make_dirs,
    write_failure,
)

JOURNAL = "import-journal.json"
"""The journal of an import being put in place (exists only during step 3)."""
STAGING = "staging"
"""Folder of the store under which imports stage their files."""
RENAMERS = 16
"""Threads putting staged files in place at once."""


def _sync_file_system(folder: Path) -> None:
    """Make every file written so far on ``folder``'s file system durable at once."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


class StagedFiles:
    """New contents of store files, written aside and put in place together.

    ``put`` writes one file's new bytes into the staging folder; ``commit`` makes the
    whole set the store's content (all or nothing, even across a crash); ``discard``
    forgets them.  The caller holds the locks of the files it stages."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / STAGING / f"{os.getpid()}-{secrets.token_hex(4)}"
        self.files: list[str] = []

    def put(self, path: Path, payload: bytes) -> None:
        """Stage ``payload`` as the new content of the store file ``path``."""
        relative = path.relative_to(self.root).as_posix()
        target = self.folder / relative
        make_dirs(target.parent)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                os.fchmod(fh.fileno(), FILE_MODE)
        except OSError as exc:
            raise write_failure(path, exc) from None
        self.files.append(relative)

    def commit(self) -> None:
        """Put every staged file in place: durable staging, journal, renames."""
        if not self.files:
            self.discard()
            return
        _sync_file_system(self.folder)
        journal = {"staging": self.folder.name, "files": self.files}
        atomic_write_bytes(self.root / JOURNAL, orjson.dumps(journal))
        _complete(self.root, journal)

    def discard(self) -> None:
        """Forget the staged files (the store is left as it was)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.root / STAGING).rmdir()


def _complete(root: Path, journal: Mapping[str, Any]) -> None:
    """Step 3 of a decided import (again, after a crash: renames already done are
    skipped, so running it twice is harmless)."""
    folder = root / STAGING / str(journal["staging"])
    moves = [(folder / rel, root / rel) for rel in journal["files"]]
    for parent in sorted({target.parent for _, target in moves}):
        make_dirs(parent)

    def move(pair: tuple[Path, Path]) -> None:
        staged, target = pair
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            if not target.exists():
                raise write_failure(target, FileNotFoundError(2, "staged file missing")) from None
            # moved before the crash
        except OSError as exc:
            raise write_failure(target, exc) from None

    # Renames over existing files wait on the file system's journal one by one (ext4
    # flushes a replaced file's blocks): side by side they share its commits, which
    # took a term update's renames from 14 s to under one.  Order does not matter:
    # the journal makes the whole set happen.
    with ThreadPoolExecutor(max_workers=RENAMERS) as pool:
        list(pool.map(move, moves))
    for parent in sorted({target.parent for _, target in moves}):
        fsync_dir(parent)
    (root / JOURNAL).unlink()
    fsync_dir(root)
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # the transcripts' spill of a crashed import
        folder.with_name(folder.name + ".spill").unlink()
    with contextlib.suppress(OSError):
        (root / STAGING).rmdir()


def recover(root: Path) -> str | None:
    """Finish or undo an import a crash interrupted; what was done, or None.

    A journal means the import was decided: its staged files are put in place.  A
    staging folder without a journal is an import that never got that far: it is
    removed, and the store stays as it was.  Both only under the bulk lock: an import
    still running holds it, and is left alone (it finishes or undoes its own files)."""
    journal_path = root / JOURNAL
    staging = root / STAGING
    if not journal_path.exists() and not staging.exists():
        return None
    try:
        with locked(root / "locks" / "bulk.lock", timeout=0.0):
            return _recover_locked(root, journal_path, staging)
    except StoreWriteError as exc:
        if exc.kind == "busy":
            return None  # an import is running: it finishes (or undoes) its own files
        raise


def _recover_locked(root: Path, journal_path: Path, staging: Path) -> str | None:
    if journal_path.exists():
        try:
            journal = orjson.loads(journal_path.read_bytes())
            if not isinstance(journal.get("staging"), str) or not isinstance(
                journal.get("files"), list
            ):
                raise ValueError("not an import journal")
        except (OSError, ValueError, AttributeError) as exc:
            raise StoreError(
                f"{journal_path}: an interrupted import cannot be completed ({exc}); "
                "restore the store from a backup"
            ) from None
        _complete(root, journal)
        return f"completed the import interrupted at {journal['staging']}"
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)
        return "removed the files of an import that did not finish"
    return None


__all__ = ["JOURNAL", "STAGING", "StagedFiles", "recover"]
