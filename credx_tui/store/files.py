"""JSON document files: cross-process locks, atomic writes, change-aware reads.

Every data file of the store is a TinyDB-layout JSON object (``{table: {doc_id: doc}}``)
that we read and write ourselves with orjson, then hand to TinyDB as an in-memory
storage.  Doing the file I/O here, not in TinyDB's ``JSONStorage``, is what gives:

- one blocking ``fcntl.flock`` per whole read-modify-write (locking TinyDB's separate
  ``read()`` and ``write()`` was measured to lose most concurrent updates);
- atomic replacement (temp file, fsync, rename, fsync of the folder), so a crash
  leaves the old file or the new one, never half of one;
- reads that reuse the parsed file until its inode, size or mtime changes, so a
  reader sees another process's write at once without re-parsing unchanged files;
- a corrupt, truncated, unreadable or newer-schema file stops with a message naming
  it, and is never overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

SCHEMA_VERSION = 1
"""Version of the on-disk layout.  A file of a newer version is refused, not rewritten."""

META_TABLE = "_meta"
"""TinyDB table holding the schema version document of each data file."""

FILE_MODE = 0o664
"""Data files stay writable by the deployment's group (README, Deployment)."""

TinyData = dict[str, dict[str, Any]]


class StoreError(RuntimeError):
    """The store cannot be used as it is; the message names the file and what is wrong.

    The command line prints it and exits; nothing has been written."""


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def decode(path: Path, raw: bytes) -> TinyData:
    """Parse one data file's bytes, refusing anything we did not write."""
    if not raw:
        raise StoreError(f"{path}: the file is empty (truncated?); it has not been changed")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(
            f"{path}: the file is corrupt or truncated ({exc}); it has not been changed. "
            "Restore it from a backup."
        ) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreError(f"{path}: not a credx data file (expected tables of documents)")
    meta = data.get(META_TABLE, {})
    for doc in meta.values():
        version = doc.get("schema") if isinstance(doc, dict) else None
        if not isinstance(version, int):
            raise StoreError(f"{path}: its schema version is missing or not a number")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: written by a newer credx (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); upgrade credx. The file has not been changed."
            )
    return data


def read_file(path: Path) -> TinyData | None:
    """Read and parse ``path`` now; None when it does not exist."""
    found = _read_with_signature(path)
    return None if found is None else found[1]


def _read_with_signature(path: Path) -> tuple[tuple[int, int, int], TinyData] | None:
    # fstat of the open file: the signature belongs to exactly the bytes read, since
    # files are only ever replaced by rename, never changed in place.
    try:
        with path.open("rb") as fh:
            sig = _signature(os.fstat(fh.fileno()))
            raw = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read it: {exc.strerror}") from None
    return sig, decode(path, raw)


def atomic_write_bytes(path: Path, payload: bytes, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``payload`` so that readers and a crash see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError as exc:  # some file systems refuse fsync on folders
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(dfd)


def encode(data: TinyData) -> bytes:
    """Serialise a data file, stamping it with the current schema version."""
    data[META_TABLE] = {"1": {"schema": SCHEMA_VERSION}}
    return orjson.dumps(data)


WRITE_GUARD = threading.RLock()
"""Held by a thread of this process while it owns a store lock (read-modify-write in
progress).  A hang-up (credx_tui/hangup.py) takes it before ending the process, so a
transaction is never cut in the middle (issue 17)."""


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold the blocking cross-process lock ``lock_path`` (a sidecar file) for the block.

    ``flock`` blocks in the kernel, so waiters wake as soon as the holder releases,
    and the lock goes away with the process if it dies."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise StoreError(f"{lock_path}: cannot open the lock file: {exc.strerror}") from None
    try:
        with contextlib.suppress(OSError):
            if os.fstat(fd).st_uid == os.getuid():
                os.fchmod(fd, 0o666)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with WRITE_GUARD:
                yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class FileCache:
    """Parsed files, reused until the file on disk changes (another process wrote it).

    A stat per read is the whole cost of noticing another terminal's change."""

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[tuple[int, int, int], TinyData]] = {}

    def get(self, path: Path) -> TinyData | None:
        """The current content of ``path`` (None when absent), parsing only on change."""
        try:
            st = path.stat()
        except FileNotFoundError:
            self._entries.pop(path, None)
            return None
        except OSError as exc:
            raise StoreError(f"{path}: cannot read it: {exc.strerror}") from None
        hit = self._entries.get(path)
        if hit is not None and hit[0] == _signature(st):
            return hit[1]
        found = _read_with_signature(path)
        if found is None:
            self._entries.pop(path, None)
            return None
        self._entries[path] = found
        return found[1]

    def forget(self, path: Path) -> None:
        """Drop a cached file (after this process rewrote it)."""
        self._entries.pop(path, None)

    def clear(self) -> None:
        """Drop every cached file."""
        self._entries.clear()
