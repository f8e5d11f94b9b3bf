"""The store's promises: atomic writes, reload on change, refusal of bad files."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from service_college import COLLEGE, STUDENT, reopen

from credx_tui.store import Store, StoreError
from credx_tui.store.files import SCHEMA_VERSION
from policy.models import ExchangeApplication, Term

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def app(app_id: str) -> ExchangeApplication:
    return ExchangeApplication(
        id=app_id,
        student_id=STUDENT,
        college=COLLEGE,
        target="M1",
        term=Term(year="2026-2027", semester=1),
        created_at=NOW,
        updated_at=NOW,
    )


def test_missing_store_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        Store(tmp_path)


def test_reads_return_models(store: Store) -> None:
    student = store.student(STUDENT)
    assert student is not None and student.name == "测试同学"
    transcript = store.transcript(STUDENT)
    assert transcript is not None and transcript.record("M1") is not None
    assert store.programme("测试专业", 2024) is not None
    assert store.student("0000") is None


def test_transaction_writes_on_success_only(store: Store) -> None:
    with store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    assert [a.id for a in store.applications(COLLEGE)] == ["A1"]
    before = store.hot_path(COLLEGE, STUDENT).read_bytes()
    with pytest.raises(RuntimeError), store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A2"))
        raise RuntimeError("policy said no")
    assert store.hot_path(COLLEGE, STUDENT).read_bytes() == before


def test_another_process_write_is_seen_without_restart(store: Store) -> None:
    other = reopen(store)  # a second terminal on the same store
    assert other.applications(COLLEGE) == []
    with store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    assert [a.id for a in other.applications(COLLEGE)] == ["A1"]


def test_files_and_folders_are_the_owners_only_whatever_the_umask(store: Store) -> None:
    """Issue 9: folders 0700, data, lock and attachment files 0600, even under umask 0."""
    old = os.umask(0)
    try:
        with store.hot(COLLEGE, STUDENT) as tx:
            tx.put_application(app("A1"))
        store.put_attachment(b"\x89PNG\r\n\x1a\nshot")
    finally:
        os.umask(old)
    for path in [store.root, *store.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_hot_data_is_apart_from_bulk(store: Store) -> None:
    """A submit rewrites the college's hot file only, never the students' shards."""
    shard = store.student_path(STUDENT)
    before = shard.stat().st_mtime_ns, shard.read_bytes()
    with store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    assert (shard.stat().st_mtime_ns, shard.read_bytes()) == before
    assert store.hot_path(COLLEGE, STUDENT) != shard


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b'{"applications": {"1": {"id": "A1"', "corrupt or truncated"),
        (b"[1, 2]", "not a credx data file"),
        (orjson.dumps({"_meta": {"1": {"schema": SCHEMA_VERSION + 1}}}), "newer credx"),
    ],
)
def test_bad_file_stops_with_its_name_and_is_never_overwritten(
    store: Store, content: bytes, words: str
) -> None:
    path = store.hot_path(COLLEGE, STUDENT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with pytest.raises(StoreError) as exc:
        store.applications(COLLEGE)
    assert str(path) in str(exc.value) and words in str(exc.value)
    with pytest.raises(StoreError), store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    assert path.read_bytes() == content


def test_invalid_document_names_file_and_field(store: Store) -> None:
    path = store.hot_path(COLLEGE, STUDENT)
    with store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    data = orjson.loads(path.read_bytes())
    data["applications"]["1"]["status"] = "lost"
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(StoreError, match="field status"):
        store.applications(COLLEGE)


def test_verify_reports_every_bad_file(store: Store) -> None:
    assert store.verify() == []
    store.student_path(STUDENT).write_bytes(b"{")
    problems = store.verify()
    # The broken shard is named first; the account whose student it held is then
    # reported as dangling (a consequence, named with its own file).
    assert str(store.student_path(STUDENT)) in problems[0]
    assert all("corrupt" in p or "no such student" in p for p in problems), problems


def test_attachments_are_named_by_content(store: Store) -> None:
    digest = store.put_attachment(b"%PDF-1.4 test")
    assert store.put_attachment(b"%PDF-1.4 test") == digest
    assert store.read_attachment(digest) == b"%PDF-1.4 test"
    store.attachment_path(digest).write_bytes(b"%PDF-1.4 tampered")
    with pytest.raises(StoreError, match="SHA-256"):
        store.read_attachment(digest)


def test_the_file_cache_keeps_a_bounded_number_of_parsed_files(tmp_path: Path) -> None:
    """Issue 13: a reviewer opening hundreds of applications reads hundreds of shards;
    the parsed files kept stay within the cache's bounds (least recently used go)."""
    from credx_tui.store.files import FileCache, atomic_write_bytes, encode

    paths = []
    for n in range(40):
        path = tmp_path / f"{n}.json"
        atomic_write_bytes(path, encode({"t": {"1": {"n": n, "pad": "x" * 1000}}}))
        paths.append(path)
    cache = FileCache(max_files=8, max_bytes=1 << 30)
    for path in paths:
        assert cache.get(path)["t"]["1"]["n"] == int(path.stem)
    assert len(cache) == 8
    first = cache.get(paths[-8])  # still kept: the same parsed object
    assert cache.get(paths[-8]) is first
    by_bytes = FileCache(max_files=1000, max_bytes=5 * paths[-1].stat().st_size)
    for path in paths:
        by_bytes.get(path)
    assert len(by_bytes) == 5 and by_bytes.size <= by_bytes.max_bytes
    # Recently used survive: touch one, read others, it is still there.
    keep = by_bytes.get(paths[-5])
    for path in paths[:4]:
        by_bytes.get(path)
    assert by_bytes.get(paths[-5]) is keep
    # A file changed on disk is parsed again, whatever the cache holds.
    atomic_write_bytes(paths[-5], encode({"t": {"1": {"n": -1}}}))
    assert by_bytes.get(paths[-5])["t"]["1"]["n"] == -1


def test_the_full_collection_waits_for_an_idle_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: after start-up the collector never walks everything in the middle of a
    write; the app runs the full collection when the person has been idle."""
    import gc

    from credx_tui import heap

    before = gc.get_threshold()
    runs: list[int] = []
    monkeypatch.setattr(heap.gc, "collect", lambda *a: runs.append(1) or 0)
    monkeypatch.setattr(heap.gc, "freeze", lambda: None)
    monkeypatch.setattr(heap.gc, "unfreeze", lambda: None)
    monkeypatch.setattr(heap, "_settled", False)  # put back after: tests never settle
    try:
        heap.settle()
        assert gc.get_threshold() == heap.THRESHOLDS
        assert gc.get_threshold()[2] >= 1_000_000  # no automatic full collection
        runs.clear()
        assert not heap.collect_if_idle(heap.IDLE_BEFORE_FULL + 1)  # too soon after settle
        monkeypatch.setattr(heap, "_last_full", 0.0)
        assert not heap.collect_if_idle(0.5)  # someone is typing
        assert heap.collect_if_idle(heap.IDLE_BEFORE_FULL + 1)
        assert runs == [1]
        assert not heap.collect_if_idle(heap.IDLE_BEFORE_FULL + 1)  # at most every 30 s
    finally:
        gc.set_threshold(*before)


def test_a_parsed_file_is_frozen_once_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: after start-up a parsed store file leaves the collector's walks (no
    collection during the parse, frozen after it); before, or in tests and commands
    that never settle, parsing leaves the collector alone."""
    import gc

    from credx_tui import heap
    from credx_tui.store.files import decode

    frozen: list[bool] = []
    monkeypatch.setattr(heap.gc, "freeze", lambda: frozen.append(gc.isenabled()))
    raw = b'{"t": {"1": {"n": [1, 2]}}}'
    assert decode(tmp_path / "a.json", raw) == {"t": {"1": {"n": [1, 2]}}}
    assert frozen == []  # not settled: nothing changes
    monkeypatch.setattr(heap, "_settled", True)
    assert gc.isenabled()
    assert decode(tmp_path / "a.json", raw) == {"t": {"1": {"n": [1, 2]}}}
    assert frozen == [False]  # frozen while the collector was still held
    assert gc.isenabled()
    with pytest.raises(StoreError):
        decode(tmp_path / "a.json", b"{broken")
    assert gc.isenabled()  # a damaged file gives the collector back too


def test_the_collector_is_held_while_modules_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: credx_tui's package holds the collector and the services package gives
    it back once loaded, freezing what the imports made; without a hold, nothing."""
    import gc

    from credx_tui import heap

    frozen: list[int] = []
    monkeypatch.setattr(heap.gc, "freeze", lambda: frozen.append(1))
    assert gc.isenabled()  # the import of credx_tui.services ended the hold
    heap.imports_done()
    assert frozen == [] and gc.isenabled()
    heap.hold_imports()
    try:
        assert not gc.isenabled()
    finally:
        heap.imports_done()
    assert frozen == [1] and gc.isenabled()


def test_a_hold_that_nobody_ends_ends_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: a process that imports part of credx and never the services package
    (a command reading the store only) gets its collector back after a while."""
    import gc
    import time

    from credx_tui import heap

    monkeypatch.setattr(heap.gc, "freeze", lambda: None)
    monkeypatch.setattr(heap, "HOLD_AT_MOST", 0.05)
    heap.hold_imports()
    try:
        assert not gc.isenabled()
        for _ in range(100):  # bounded: at most 5 s
            if gc.isenabled():
                break
            time.sleep(0.05)
        assert gc.isenabled()
    finally:
        heap.imports_done()
