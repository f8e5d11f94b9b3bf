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
  it, and is never overwritten;
- only the store's owner can reach anything (issue 9): folders 0700, every file 0600,
  set explicitly whatever the umask; a write the machine refuses (disk full, read-only
  folder, a file of another account) is one message naming the file and what to do;
- a lock wait ends after :data:`LOCK_TIMEOUT` seconds with "store busy", never hangs.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import os
import secrets
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from credx_tui import heap

SCHEMA_VERSION = 2
"""Version of the on-disk layout.  A file of a newer version is refused, not rewritten.
2: applications keep ``submitted_transcript`` (issue 12); an older store is migrated
when it is opened (:mod:`credx_tui.store.migrate`)."""

META_TABLE = "_meta"
"""TinyDB table holding the schema version document of each data file."""

FILE_MODE = 0o600
"""Data files, attachments and lock files: the store's owner only (issue 9)."""
DIR_MODE = 0o700
"""Every folder credx creates: the store's owner only."""
LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another process's lock before giving up with "store busy".

Writers hold a lock for milliseconds; ten seconds means the holder is stuck."""

TinyData = dict[str, dict[str, Any]]


class StoreError(RuntimeError):
    """The store cannot be used as it is; the message names the file and what is wrong.

    The command line prints it and exits; nothing has been written.  ``zh`` is the
    Chinese message where one exists (the app shows it), else None."""

    zh: str | None = None

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en)
        if zh is not None:
            self.zh = zh


class StoreWriteError(StoreError):
    """The machine refused a write: ``kind`` is disk_full, read_only, permission, busy
    or io; the message names the file and what to do, in English and (``zh``) Chinese."""

    def __init__(self, kind: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.kind = kind
        self.zh = zh


def _owner_name(path: Path) -> str:
    import pwd

    for candidate in (path, path.parent):
        try:
            uid = candidate.stat().st_uid
        except OSError:
            continue
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return f"uid {uid}"
    return "?"


def write_failure(path: Path, exc: OSError) -> StoreWriteError:
    """One clear message for a write the machine refused, naming ``path`` and what to do
    (nothing of the store was changed: writes are all or nothing)."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return StoreWriteError(
            "disk_full",
            f"{path}: the disk is full (or the quota is used up); nothing was changed. "
            "Free space on that disk, then try again.",
            f"{path}：磁盘已满（或配额已用完），未做任何更改。请清理该磁盘空间后重试。",
        )
    if code == errno.EROFS:
        return StoreWriteError(
            "read_only",
            f"{path}: the file system is read-only; nothing was changed. "
            "Ask the administrator to mount it read-write.",
            f"{path}：文件系统为只读，未做任何更改。请管理员将其挂载为可写。",
        )
    if code in (errno.EACCES, errno.EPERM):
        owner = _owner_name(path)
        return StoreWriteError(
            "permission",
            f"{path}: permission denied (it or its folder belongs to {owner}); nothing was "
            "changed. credx must run as the store's owner; the administrator can fix the "
            "file with chown/chmod (README, Deployment).",
            f"{path}：没有写入权限（该文件或其文件夹属于 {owner}），未做任何更改。"
            "credx 须以存储的所有者身份运行，请管理员用 chown/chmod 修正（见 README 部署一节）。",
        )
    reason = exc.strerror or str(exc)
    return StoreWriteError(
        "io",
        f"{path}: cannot write it: {reason}; nothing was changed. Check the disk, then try again.",
        f"{path}：无法写入（{reason}），未做任何更改。请检查磁盘后重试。",
    )


def read_failure(path: Path, exc: OSError) -> StoreError:
    """One clear message for a file the store cannot read (naming who owns it when
    permission is what is missing)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        owner = _owner_name(path)
        return StoreWriteError(
            "permission",
            f"{path}: cannot read it: permission denied (it or its folder belongs to "
            f"{owner}); credx must run as the store's owner; the administrator can fix it "
            "with chown/chmod (README, Deployment).",
            f"{path}：无法读取：没有权限（该文件或其文件夹属于 {owner}）。credx 须以存储的所有者"
            "身份运行，请管理员用 chown/chmod 修正（见 README 部署一节）。",
        )
    return StoreError(f"{path}: cannot read it: {exc.strerror}")


def make_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700 whatever the umask."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, DIR_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise write_failure(part, exc) from None
        with contextlib.suppress(OSError):
            os.chmod(part, DIR_MODE)


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def stat_signature(st: os.stat_result) -> tuple[int, int, int]:
    """(inode, size, mtime) of a stat result: what :class:`FileCache` compares."""
    return _signature(st)


def signature_of(path: Path) -> tuple[int, int, int]:
    """(inode, size, mtime) of ``path`` now: changes with every atomic replacement."""
    return _signature(path.lstat())


def decode(path: Path, raw: bytes) -> TinyData:
    """Parse one data file's bytes, refusing anything we did not write."""
    if not raw:
        raise StoreError(f"{path}: the file is empty (truncated?); it has not been changed")
    try:
        with heap.parsing():  # no collector pause over the parse (issue 13)
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(
            f"{path}: the file is corrupt or truncated ({exc}); it has not been changed. "
            "Restore it from a backup."
        ) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreError(f"{path}: not a credx data file (expected tables of documents)")
    for table, docs in data.items():
        for doc_id, doc in docs.items():
            # TinyDB turns every key into an int and every document into a dict; either
            # failing later is a ValueError deep in a reader, so refuse the file here.
            if not doc_id.isascii() or not doc_id.isdigit():
                raise StoreError(
                    f"{path}: table {table!r} has a document id {doc_id!r} that is not a "
                    "number; the file is damaged and has not been changed"
                )
            if not isinstance(doc, dict):
                raise StoreError(
                    f"{path}: table {table!r} document {doc_id} is a {type(doc).__name__}, "
                    "not an object; the file is damaged and has not been changed"
                )
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


READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
"""How every data file is opened: never blocking (a FIFO in place of a file would hang
the reader until someone wrote to it) and never through a symbolic link."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_regular(path: Path, mode: int) -> StoreError:
    """The error for a data file that is not a regular file (refused, never read)."""
    return StoreError(
        f"{path}: is {kind_of(mode)}, not a regular file; credx reads only regular files "
        "there. Remove it or restore the file from a backup."
    )


def read_regular(path: Path, limit: int | None = None) -> tuple[os.stat_result, bytes]:
    """The bytes of the regular file ``path``, opened without blocking or following a
    link, checked with fstat after the open (so what was checked is what is read).

    ``limit`` reads at most that many bytes plus one, so a caller can tell "too big"
    without reading an endless file.  FileNotFoundError when absent; StoreError for a
    symbolic link, FIFO, device, folder or an unreadable file."""
    try:
        fd = os.open(path, READ_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(
                f"{path}: is a symbolic link, not a regular file; credx does not follow "
                "links in the store. Remove it or restore the file from a backup."
            ) from None
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO opened for writing
            raise not_regular(path, os.lstat(path).st_mode) from None
        raise read_failure(path, exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode)
        chunks: list[bytes] = []
        left = (st.st_size if limit is None else limit) + 1
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 20) if limit is not None else 1 << 20)
            except BlockingIOError:  # not for regular files; never wait anyway
                break
            if not chunk:
                break
            chunks.append(chunk)
            if limit is not None:
                left -= len(chunk)
    except OSError as exc:
        raise read_failure(path, exc) from None
    finally:
        os.close(fd)
    return st, b"".join(chunks)


def _read_with_signature(path: Path) -> tuple[tuple[int, int, int], TinyData] | None:
    # fstat of the open file: the signature belongs to exactly the bytes read, since
    # files are only ever replaced by rename, never changed in place.
    try:
        st, raw = read_regular(path)
    except FileNotFoundError:
        return None
    return _signature(st), decode(path, raw)


def atomic_write_bytes(
    path: Path,
    payload: bytes,
    mode: int = FILE_MODE,
    *,
    durable: bool = True,
    sync_dir: bool = True,
) -> None:
    """Replace ``path`` with ``payload`` so that readers and a crash see all or nothing.

    A refusal of the machine (disk full, read-only, permission) raises
    :class:`StoreWriteError` naming the file; the old file is then untouched.
    ``durable=False`` skips both fsyncs: for derived files (queue rows) that readers
    check against their source and rebuild, where a crash may lose the new content.
    ``sync_dir=False`` leaves the fsync of the folder (which makes the rename durable)
    to the caller: a writer does it after releasing its lock and before it reports
    success, so the lock is not held over a second disk flush (issue 13, item 4).  A
    crash before that fsync leaves the old file or the new one, and the new one was
    not yet acknowledged; a later writer's own fsync of the folder covers both."""
    make_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise write_failure(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
        if durable and sync_dir:
            fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise write_failure(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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


META_KEY = b',"_meta":'
"""Where the ``_meta`` table starts in a file :func:`encode_checked` wrote (last)."""


def _digest(body: bytes | memoryview, tail: bytes = b"", old: bool = False) -> str:
    """The stamp of :func:`encode_checked`: SHA-1 of ``body + tail`` (40 hex digits).

    It proves a file unchanged since a validating writer wrote it, against edits by
    hand, not against an attacker (who could stamp any hash; the store is its owner's
    alone).  SHA-1 because a writer computes it twice per write of a 670 KB hot file:
    0.8 ms each where BLAKE2b took 2.2 ms (issue 13, item 4).  ``old``: BLAKE2b-128
    (32 hex digits), the stamp of files written before; still accepted."""
    h = hashlib.blake2b(digest_size=16) if old else hashlib.sha1(usedforsecurity=False)
    h.update(body)
    h.update(tail)
    return h.hexdigest()


def encode_checked(data: TinyData) -> bytes:
    """Serialise a data file whose every document the writer has validated, stamping
    ``_meta`` (written last) with a digest of the bytes before it.

    The next writer that finds the digest matching knows the file is exactly what a
    validating writer wrote, so it validates only the documents it changes, not the
    thousands it leaves alone (issue 13); a file edited by hand no longer matches and
    is checked whole, as before."""
    data.pop(META_TABLE, None)
    body = orjson.dumps(data)
    meta = {"1": {"schema": SCHEMA_VERSION, "checked": _digest(body)}}
    data[META_TABLE] = meta
    if body == b"{}":
        return orjson.dumps(data)
    return body[:-1] + META_KEY + orjson.dumps(meta) + b"}"


def written_checked(raw: bytes, data: TinyData) -> bool:
    """Whether ``raw`` (parsed as ``data``) is unchanged since :func:`encode_checked`
    wrote it: its stamped digest matches the bytes before ``_meta``."""
    meta = data.get(META_TABLE, {}).get("1")
    digest = meta.get("checked") if isinstance(meta, dict) else None
    if not isinstance(digest, str):
        return False
    at = raw.rfind(META_KEY)
    if at <= 0 or len(digest) not in (32, 40):
        return False
    found = _digest(memoryview(raw)[:at], b"}", old=len(digest) == 32)
    return hmac.compare_digest(found, digest)


def _busy(lock_path: Path, timeout: float) -> StoreWriteError:
    return StoreWriteError(
        "busy",
        f"store busy: {lock_path} held by another process for over {timeout:g} s; nothing "
        f"was changed. Try again; if it stays busy, `fuser -v {lock_path}` shows the holder.",
        f"存储忙：{lock_path} 被另一进程占用超过 {timeout:g} 秒，未做任何更改。请稍后重试；"
        f"如持续如此，可用 `fuser -v {lock_path}` 查看占用者。",
    )


WRITE_GUARD = threading.RLock()
"""Held by a thread of this process while it owns a store lock (read-modify-write in
progress).  A hang-up (credx_tui/hangup.py) takes it before ending the process, so a
transaction is never cut in the middle (issue 17)."""


LOCK_HOOKS: list[Callable[[Path], None]] = []
"""Called with the lock's path before every store lock is taken.  The UI tests install
one that fails a lock taken on the app's event loop (issue 13: the UI never waits on
the store; tests/ui/conftest.py); empty otherwise, so it costs one list check."""


@contextlib.contextmanager
def locked(lock_path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the cross-process lock ``lock_path`` (a sidecar file, 0600) for the block.

    The wait polls a non-blocking ``flock`` with a short growing sleep (waiters get
    the lock within milliseconds of its release) and gives up after ``timeout``
    (default :data:`LOCK_TIMEOUT`) seconds with "store busy": a stuck holder makes the
    next writer fail clearly instead of hanging.  The lock goes away with its process."""
    for hook in LOCK_HOOKS:
        hook(lock_path)
    limit = LOCK_TIMEOUT if timeout is None else timeout
    make_dirs(lock_path.parent)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise write_failure(lock_path, exc) from None
    try:
        with contextlib.suppress(OSError):
            st = os.fstat(fd)
            if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)  # a lock file of an older, group-shared store
        deadline = time.monotonic() + limit
        pause = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _busy(lock_path, limit) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.005)
        try:
            with WRITE_GUARD:
                yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


CACHE_FILES = 256
"""Parsed files a process keeps at most (least recently used dropped first)."""
CACHE_BYTES = 16 << 20
"""Bytes of file (as stored; parsed, about ten times that in memory) a process keeps
parsed at most.  A reviewer reads one student shard per application opened: without
a bound, 300 applications at 200,000 students held 1 GB (issue 13)."""


class FileCache:
    """Parsed files, reused until the file on disk changes (another process wrote it),
    at most ``max_files`` of them and ``max_bytes`` of file, least recently used
    dropped first.

    A stat per read is the whole cost of noticing another terminal's change."""

    def __init__(self, max_files: int = CACHE_FILES, max_bytes: int = CACHE_BYTES) -> None:
        self._entries: OrderedDict[Path, tuple[tuple[int, int, int], TinyData]] = OrderedDict()
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.size = 0
        """Bytes of file of the entries kept (their signatures' sizes)."""

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, path: Path, entry: tuple[tuple[int, int, int], TinyData]) -> None:
        self._drop(path)
        self._entries[path] = entry
        self.size += entry[0][1]
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_files or self.size > self.max_bytes
        ):
            _, (old, _) = self._entries.popitem(last=False)
            self.size -= old[1]

    def _drop(self, path: Path) -> None:
        found = self._entries.pop(path, None)
        if found is not None:
            self.size -= found[0][1]

    def get(self, path: Path) -> TinyData | None:
        """The current content of ``path`` (None when absent), parsing only on change."""
        found = self.entry(path)
        return None if found is None else found[1]

    def entry(self, path: Path) -> tuple[tuple[int, int, int], TinyData] | None:
        """Like :meth:`get`, with the stat signature of the file the content is of."""
        try:
            st = path.lstat()
        except FileNotFoundError:
            self._drop(path)
            return None
        except OSError as exc:
            raise read_failure(path, exc) from None
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode)
        hit = self._entries.get(path)
        if hit is not None and hit[0] == _signature(st):
            self._entries.move_to_end(path)
            return hit
        found = _read_with_signature(path)
        if found is None:
            self._drop(path)
            return None
        self._keep(path, found)
        return found

    def forget(self, path: Path) -> None:
        """Drop a cached file (after this process rewrote it)."""
        self._drop(path)

    def written(self, path: Path, data: TinyData) -> None:
        """Keep ``data``, which this process has just written to ``path`` and still holds
        the lock of, as the file's content: the next read does not parse it again.  The
        caller must not change ``data`` afterwards."""
        try:
            st = path.lstat()
        except OSError:
            self._drop(path)
            return
        self._keep(path, (_signature(st), data))

    def clear(self) -> None:
        """Drop every cached file."""
        self._entries.clear()
        self.size = 0
