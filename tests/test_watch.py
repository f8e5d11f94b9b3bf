"""The store watcher (credx_tui/watch.py, issue 13 item 3) without any UI: what it
reports for the writes the store makes, with inotify and with the stat fallback, and
the services' interests that say which reports a screen cares about."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from credx_tui.services import AccessDenied, make_services
from credx_tui.services.live import (
    Interest,
    application_interest,
    queue_interest,
    student_interest,
)
from credx_tui.services.loading import load_demo
from credx_tui.store.files import atomic_write_bytes, make_dirs
from credx_tui.watch import OVERFLOW, StoreWatcher, _libc
from policy.rules import load_rules

BACKENDS = ["stat"] + (["inotify"] if _libc() is not None else [])


class Reports:
    """What a watcher reported, waited for with a bound."""

    def __init__(self) -> None:
        self.seen: list[frozenset[str]] = []
        self.changed = threading.Condition()

    def __call__(self, paths: frozenset[str]) -> None:
        with self.changed:
            self.seen.append(paths)
            self.changed.notify_all()

    def wait_for(self, path: str, timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        with self.changed:
            while not any(path in s or OVERFLOW in s for s in self.seen):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    @property
    def all(self) -> set[str]:
        return set().union(*self.seen) if self.seen else set()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    make_dirs(folder / "hot" / "k1")
    make_dirs(folder / "attachments" / "ab")
    make_dirs(folder / "locks")
    atomic_write_bytes(folder / "hot" / "k1" / "3.json", b"{}")
    return folder


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_atomic_write_is_reported_once_by_its_path(root: Path, backend: str) -> None:
    reports = Reports()
    watcher = StoreWatcher(root, reports, backend=backend, interval=0.05)
    watcher.watch({"hot/k1/", "rules.json"})
    watcher.start()
    try:
        assert watcher.backend == backend
        time.sleep(0.2)  # the stat fallback's baseline
        atomic_write_bytes(root / "attachments" / "ab" / "x", b"payload")  # not data
        (root / "locks" / "hot.lock").write_bytes(b"")
        atomic_write_bytes(root / "hot" / "k1" / "3.json", b'{"a": {}}')
        assert reports.wait_for("hot/k1/3.json")
        atomic_write_bytes(root / "rules.json", b"{}")
        assert reports.wait_for("rules.json")
        # A writer's temporary file, locks and attachments are never reported.
        assert reports.all <= {"hot/k1/3.json", "rules.json"}
    finally:
        watcher.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_college_folder_made_later_is_followed(root: Path, backend: str) -> None:
    reports = Reports()
    watcher = StoreWatcher(root, reports, backend=backend, interval=0.05)
    watcher.watch({"hot/"})
    watcher.start()
    try:
        time.sleep(0.2)
        make_dirs(root / "hot" / "k2")
        atomic_write_bytes(root / "hot" / "k2" / "0.json", b"{}")
        assert reports.wait_for("hot/k2/0.json")
        (root / "hot" / "k1" / "3.json").unlink()  # a removed file is a change too
        assert reports.wait_for("hot/k1/3.json")
    finally:
        watcher.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_store_folder_replaced_in_place_is_followed(root: Path, backend: str) -> None:
    """The trainer's sandbox reset renames a fresh copy over the store folder."""
    reports = Reports()
    watcher = StoreWatcher(root, reports, backend=backend, interval=0.05)
    watcher.watch({"hot/k1/"})
    watcher.start()
    try:
        time.sleep(0.2)
        fresh = root.with_name("store.next")
        shutil.copytree(root, fresh)
        old = root.with_name("store.old")
        root.rename(old)
        fresh.rename(root)
        shutil.rmtree(old)
        time.sleep(0.3)
        reports.seen.clear()
        atomic_write_bytes(root / "hot" / "k1" / "3.json", b'{"b": {}}')
        assert reports.wait_for("hot/k1/3.json")
    finally:
        watcher.stop()


def test_stat_fallback_looks_only_at_what_is_watched(root: Path) -> None:
    reports = Reports()
    watcher = StoreWatcher(root, reports, backend="stat", interval=0.05)
    watcher.watch({"rules.json"})
    watcher.start()
    try:
        time.sleep(0.2)
        atomic_write_bytes(root / "hot" / "k1" / "3.json", b'{"c": {}}')
        time.sleep(0.3)
        assert reports.seen == []
        watcher.watch({"rules.json", "hot/k1/"})  # a new screen: a new baseline
        time.sleep(0.3)
        assert reports.seen == []
        atomic_write_bytes(root / "hot" / "k1" / "3.json", b'{"d": {}}')
        assert reports.wait_for("hot/k1/3.json")
    finally:
        watcher.stop()


def test_stat_fallback_reports_a_commit_made_before_its_thread_first_looks(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stat fallback's thread may first run long after ``start()`` (a busy machine):
    a commit in between must still be reported, not taken as the first baseline.  The
    thread is held back here until the commit has landed: the order the race needs."""
    real = threading.Thread
    held: list[threading.Thread] = []

    class Late(real):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            if self.name == "credx-store-watch" and not held:
                held.append(self)
            else:
                super().start()

    monkeypatch.setattr(threading, "Thread", Late)
    reports = Reports()
    watcher = StoreWatcher(root, reports, backend="stat", interval=0.05)
    watcher.watch({"hot/k1/"})
    watcher.start()
    try:
        assert len(held) == 1  # started, not running yet
        atomic_write_bytes(root / "hot" / "k1" / "3.json", b'{"f": {}}')  # a commit
        atomic_write_bytes(root / "hot" / "k1" / "8.json", b"{}")  # a new hot file
    finally:
        for thread in held:
            real.start(thread)  # the thread's first look, only now
    try:
        assert reports.wait_for("hot/k1/3.json")
        assert reports.wait_for("hot/k1/8.json")
    finally:
        watcher.stop()


def test_stat_fallback_reports_a_commit_made_just_after_a_screen_opened(root: Path) -> None:
    """A screen calls ``watch`` and then reads; a commit that lands before the stat
    thread's next look must still be reported (CI once lost it: the thread took the
    changed file as the newly wanted file's baseline)."""
    reports = Reports()
    watcher = StoreWatcher(root, reports, backend="stat", interval=1.0)
    watcher.watch({"rules.json"})
    watcher.start()
    try:
        time.sleep(0.1)
        watcher.watch({"rules.json", "hot/k1/"})  # the queue opens...
        atomic_write_bytes(root / "hot" / "k1" / "3.json", b'{"e": {}}')  # ...a commit
        atomic_write_bytes(root / "hot" / "k1" / "7.json", b"{}")  # a new hot file
        assert reports.wait_for("hot/k1/3.json")
        assert reports.wait_for("hot/k1/7.json")
    finally:
        watcher.stop()


def test_stop_ends_the_thread(root: Path) -> None:
    for backend in BACKENDS:
        watcher = StoreWatcher(root, Reports(), backend=backend)
        watcher.start()
        watcher.stop()
        assert watcher._thread is not None and not watcher._thread.is_alive()


def test_the_watcher_imports_no_textual() -> None:
    code = (
        "import sys, credx_tui.watch, credx_tui.services.live; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_interest_matches_files_and_folders() -> None:
    mine = Interest(frozenset({"hot/k1/", "bulk/students/abc.json"}))
    assert mine.touches({"hot/k1/3.json"})
    assert mine.touches({"bulk/students/abc.json"})
    assert not mine.touches({"hot/k10/3.json", "bulk/students/abd.json"})
    assert mine.touches({OVERFLOW})
    assert (mine | Interest(frozenset({"rules.json"}))).touches({"rules.json"})


def test_services_say_what_each_screen_depends_on(tmp_path: Path) -> None:
    rules = load_rules()
    store, _ = load_demo(tmp_path / "db", rules)
    services = make_services(store, rules)
    student = services.actor_for("2023110102")
    mine = student_interest(services, student)
    hot = store.hot_path("智能制造学院", "2023110102").relative_to(store.root).as_posix()
    assert hot in mine.paths and "rules.json" in mine.paths
    assert store.student_path("2023110102").relative_to(store.root).as_posix() in mine.paths
    # Only their own: another student's file is refused, as every read is.
    with pytest.raises(AccessDenied):
        student_interest(services, student, "2023110101")
    reviewer = services.actor_for("rev_zn")
    queue = queue_interest(services, reviewer)
    assert queue.touches({hot}) and not queue.touches(
        {store.hot_path("化工与制药工程学院", "2023030101").relative_to(store.root).as_posix()}
    )
    app = services.application(reviewer, "XF2026-0002")
    assert application_interest(services, reviewer, app).touches({hot})
    assert queue_interest(services, services.actor_for("admin")).touches({"hot/any/0.json"})
