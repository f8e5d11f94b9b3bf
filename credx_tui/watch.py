"""Seeing another process's writes to the store as they happen (issue 13, item 3).

Every write of the store ends with an atomic rename of a data file into its folder
(:func:`credx_tui.store.files.atomic_write_bytes`), so "a data file was renamed into
(or removed from) a folder of the store" is exactly "the store changed".  One
:class:`StoreWatcher` per app follows that in a thread and calls ``on_change`` with the
changed files' paths relative to the store folder (``hot/<college key>/<b>.json``,
``bulk/students/<k>.json``, ``rules.json`` ...); the app turns that into a message and
the screens decide whether they show any of it.

Two ways of seeing, the same answer:

- **inotify** (Linux): one watch per folder of the store (a handful: the root, ``hot``
  and one per college, ``bulk``, ``bulk/students`` ...), through libc with ctypes.  The
  kernel wakes the thread; nothing is read while nothing changes.  Chosen over a PyPI
  wrapper (inotify_simple is the same hundred lines of ctypes) to add no dependency.
- **stat** (anywhere else, or when inotify is refused: no libc symbol, the watch limit
  reached, a network file system): every :data:`STAT_INTERVAL` seconds a stat
  (inode, size, mtime_ns) of the few files and folders the open screens depend on,
  given by :meth:`StoreWatcher.watch`.

This module imports neither Textual nor anything of the store: it only knows that data
files end in ``.json`` and that a name starting with a dot is a writer's temporary file.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import os
import select
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

STAT_INTERVAL = 0.5
"""Seconds between two looks of the stat fallback (the issue allows 2 s end to end)."""

SETTLE = 0.03
"""Seconds the watcher keeps gathering after a first change, so that an import's or a
decision's several files arrive as one report (and one re-read per screen)."""

IGNORED_FOLDERS = frozenset({"attachments", "locks"})
"""Folders whose files never change what a screen shows by themselves: an attachment
is named by its content and reaches a screen only through the hot file that names it;
lock files are only opened."""

# inotify(7) constants (linux/inotify.h); stable kernel ABI.
IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = 0o2000000

WATCH_MASK = (
    IN_CLOSE_WRITE
    | IN_MOVED_TO
    | IN_MOVED_FROM
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
)
_EVENT = struct.Struct("iIII")
OVERFLOW = "*"
"""The path reported when the kernel's queue overflowed: everything may have changed."""

Signature = tuple[int, int, int]


def is_data_name(name: str) -> bool:
    """Whether a file name is one of the store's data files (not a writer's temporary
    ``.name.pid.token.tmp`` file, not a lock)."""
    return name.endswith(".json") and not name.startswith(".")


class _Libc:
    """inotify_init1 / inotify_add_watch / inotify_rm_watch from libc, or None."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("c") or "libc.so.6"
        lib = ctypes.CDLL(name, use_errno=True)
        self.init1 = lib.inotify_init1
        self.init1.argtypes = [ctypes.c_int]
        self.init1.restype = ctypes.c_int
        self.add_watch = lib.inotify_add_watch
        self.add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.add_watch.restype = ctypes.c_int


def _libc() -> _Libc | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _Libc()
    except (OSError, AttributeError):
        return None


class StoreWatcher:
    """One thread that reports changed data files of a store folder.

    ``on_change`` is called from the watcher's thread with a frozenset of paths
    relative to ``root`` (posix form; :data:`OVERFLOW` when the kernel dropped events).
    ``backend`` is ``"inotify"``, ``"stat"`` or None (inotify where it works)."""

    def __init__(
        self,
        root: Path | str,
        on_change: Callable[[frozenset[str]], None],
        *,
        backend: str | None = None,
        interval: float = STAT_INTERVAL,
        settle: float = SETTLE,
    ) -> None:
        self.root = Path(root)
        self.on_change = on_change
        self.interval = interval
        self.settle = settle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wanted: frozenset[str] = frozenset()
        self._wanted_lock = threading.Lock()
        self._baselines: dict[str, Signature | None] = {}
        """Signatures taken by :meth:`watch` for newly wanted paths (stat fallback)."""
        self._baselined: set[str] = set()
        """The paths (files and folders) whose baseline :meth:`watch` took."""
        self._fd = -1
        self._wake_r, self._wake_w = -1, -1
        self._folders: dict[int, str] = {}
        self._root_lost = False
        self.backend = "stat"
        """The way of seeing actually in use (after :meth:`start`)."""
        self._requested = backend
        self.reports = 0
        """How many reports were made (for tests and the benchmark)."""

    # -- what the stat fallback looks at ---------------------------------------------

    def watch(self, paths: Iterable[str]) -> None:
        """The files (``hot/k/3.json``) and folders (``hot/k/``, trailing slash: every
        data file in it) the open screens depend on.  The stat fallback looks only at
        these; inotify sees the whole store anyway."""
        wanted = frozenset(paths)
        with self._wanted_lock:
            added = wanted - self._wanted
        baseline: dict[str, Signature | None] = {}
        if added and self.backend == "stat":
            # The baseline of a newly wanted path is taken now, before the screen reads
            # it, so a commit between this call and the thread's next look is reported
            # as a change, never absorbed into the baseline (a race CI once lost).
            baseline = self._signatures(added)
        with self._wanted_lock:
            self._wanted = wanted
            self._baselines.update(baseline)
            self._baselined |= added

    # -- life -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread (inotify if it can be had and was not refused)."""
        if self._thread is not None:
            return
        if self._requested in (None, "inotify") and self._open_inotify():
            self.backend = "inotify"
            target = self._run_inotify
        else:
            self.backend = "stat"
            # The first baseline is taken here, not when the thread first runs: on a
            # busy machine that may be after a commit, which the baseline would then
            # absorb instead of reporting (the race of watch(), at the start).
            with self._wanted_lock:
                wanted = self._wanted
            target = functools.partial(self._run_stat, wanted, self._signatures(wanted))
        self._thread = threading.Thread(target=target, name="credx-store-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the descriptors (idempotent)."""
        self._stop.set()
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        for fd in (self._fd, self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._wake_r = self._wake_w = -1

    def _report(self, changed: set[str]) -> None:
        if changed and not self._stop.is_set():
            self.reports += 1
            self.on_change(frozenset(changed))

    # -- inotify ------------------------------------------------------------------------

    def _open_inotify(self) -> bool:
        libc = _libc()
        if libc is None:
            return False
        fd = libc.init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            return False
        self._libc, self._fd = libc, fd
        self._wake_r, self._wake_w = os.pipe()
        try:
            self._add_tree(self.root, "")
        except OSError:
            os.close(fd)
            self._fd = -1
            return False
        return True

    def _add_folder(self, path: Path, rel: str) -> None:
        wd = self._libc.add_watch(self._fd, os.fsencode(path), WATCH_MASK)
        if wd < 0:
            code = ctypes.get_errno()
            if code in (errno.ENOENT, errno.ENOTDIR):
                return  # gone meanwhile: nothing to see there
            raise OSError(code, os.strerror(code), str(path))
        self._folders[wd] = rel

    def _add_tree(self, path: Path, rel: str, *, found: list[str] | None = None) -> list[str]:
        """Watch ``path`` and its folders; returns the data files already there (a
        folder made after the start may have been filled before its watch) when asked
        for them with ``found``.  The start does not ask: a store of 10,000 students
        has thousands of files in its folders, and naming each one was a cost of the
        queue's first paint that grew with the store (issue 13)."""
        self._add_folder(path, rel)
        try:
            entries = list(os.scandir(path))
        except OSError:
            return found or []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name.startswith(".") or (not rel and entry.name in IGNORED_FOLDERS):
                    continue
                self._add_tree(Path(entry.path), f"{rel}{entry.name}/", found=found)
            elif found is not None and is_data_name(entry.name):
                found.append(f"{rel}{entry.name}")
        return found or []

    def _read_events(self, changed: set[str], wait: float | None) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        ready = poller.poll(None if wait is None else int(wait * 1000))
        if not ready or self._stop.is_set():
            return
        try:
            raw = os.read(self._fd, 64 * 1024)
        except BlockingIOError:
            return
        offset = 0
        while offset + _EVENT.size <= len(raw):
            wd, mask, _cookie, length = _EVENT.unpack_from(raw, offset)
            offset += _EVENT.size
            name = raw[offset : offset + length].rstrip(b"\0").decode("utf-8", "replace")
            offset += length
            if mask & IN_Q_OVERFLOW:
                changed.add(OVERFLOW)
                continue
            rel = self._folders.get(wd)
            if rel is None:
                continue
            if rel == "" and mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED):
                # The store folder itself was replaced (the trainer's sandbox reset
                # renames a fresh copy into place): watch the new one at that path.
                # Events of the old tree's watches are of no interest any more.
                self._root_lost = True
                self._folders = {}
                continue
            if mask & IN_IGNORED:
                self._folders.pop(wd, None)
                continue
            if mask & IN_ISDIR:
                new_folder = mask & (IN_CREATE | IN_MOVED_TO) and not name.startswith(".")
                if new_folder and (rel or name not in IGNORED_FOLDERS):
                    with contextlib.suppress(OSError):
                        changed.update(
                            self._add_tree(self.root / rel / name, f"{rel}{name}/", found=[])
                        )
                continue
            if is_data_name(name) and mask & (
                IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE
            ):
                changed.add(f"{rel}{name}")

    def _rewatch_root(self, changed: set[str]) -> None:
        """Watch the folder now at :attr:`root` (after the old one went); everything
        in it is new to us."""
        if not self.root.is_dir():
            return
        self._root_lost = False
        try:
            self._add_tree(self.root, "")
        except OSError:
            self._root_lost = True
            return
        changed.add(OVERFLOW)

    def _run_inotify(self) -> None:
        while not self._stop.is_set():
            changed: set[str] = set()
            try:
                if self._root_lost:
                    self._rewatch_root(changed)
                    if self._root_lost:
                        self._stop.wait(self.settle)
                        continue
                self._read_events(changed, None)
                if self._root_lost:
                    self._rewatch_root(changed)
                if changed:
                    # Gather what follows at once (the other files of one write).
                    self._read_events(changed, self.settle)
            except OSError:
                if self._stop.is_set():
                    return
                raise
            self._report(changed)

    # -- stat ---------------------------------------------------------------------------

    def _signatures(self, wanted: frozenset[str]) -> dict[str, Signature | None]:
        seen: dict[str, Signature | None] = {}
        for rel in wanted:
            path = self.root / rel
            if rel.endswith("/"):
                self._scan(path, rel, seen)
            else:
                seen[rel] = _signature(path)
        return seen

    def _scan(self, path: Path, rel: str, seen: dict[str, Signature | None]) -> None:
        """Every data file under a wanted folder (``hot/`` holds one folder per
        college), with its signature."""
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                self._scan(Path(entry.path), f"{rel}{entry.name}/", seen)
            elif is_data_name(entry.name):
                seen[f"{rel}{entry.name}"] = _signature(Path(entry.path))

    def _run_stat(self, wanted: frozenset[str], before: dict[str, Signature | None]) -> None:
        """Look every :attr:`interval` at the wanted files; ``before`` is what they were
        when :meth:`start` was called (``wanted``)."""
        while not self._stop.wait(self.interval):
            with self._wanted_lock:
                now_wanted = self._wanted
            now = self._signatures(now_wanted)
            with self._wanted_lock:
                baselines, self._baselines = self._baselines, {}
                covered, self._baselined = self._baselined, set()
            if now_wanted != wanted:
                before = {k: _was(k, v, before, baselines, covered) for k, v in now.items()}
                wanted = now_wanted
            changed = {k for k in now.keys() | before.keys() if now.get(k) != before.get(k)}
            before = now
            self._report(changed)


def _was(
    rel: str,
    sig: Signature | None,
    before: dict[str, Signature | None],
    baselines: dict[str, Signature | None],
    covered: set[str],
) -> Signature | None:
    """What a file was before the wanted set changed.  A newly wanted file is compared
    with what it was when it became wanted (see ``StoreWatcher.watch``): absent then
    (None) if its folder was looked at.  A path nobody took a baseline of is a new
    baseline (``sig``), not a change."""
    if rel in before:
        return before[rel]
    if rel in baselines:
        return baselines[rel]
    if any(f.endswith("/") and rel.startswith(f) for f in covered):
        return None
    return sig


def _signature(path: Path) -> Signature | None:
    """(inode, size, mtime_ns): what changes when a file is replaced; None if absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
