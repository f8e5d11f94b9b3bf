"""The file store's write path (issue 13, item 4): a hot file is parsed before its lock
is taken and the parse reused under it only when the file's bytes are unchanged; the
folder is fsynced after the lock is released; the submit path writes the tables
directly with TinyDB's ids; students, transcripts and accounts are kept validated
while their file is unchanged.  Every guarantee of the locked read-modify-write
holds: what another writer wrote in between is never lost."""

from __future__ import annotations

import fcntl
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from service_college import COLLEGE, STUDENT, reopen

import credx_tui.store.store as store_module
from credx_tui.store import Store
from credx_tui.store.files import META_KEY, SCHEMA_VERSION, encode_checked, written_checked
from credx_tui.store.layout import college_key, hot_bucket
from policy.models import ExchangeApplication, Status, Student, Term


def _app(app_id: str, student: str = STUDENT) -> ExchangeApplication:
    now = datetime.now(UTC)
    return ExchangeApplication(
        id=app_id,
        student_id=student,
        college=COLLEGE,
        target="M1",
        status=Status.UNDER_REVIEW,
        term=Term(year="2026-2027", semester=1),
        created_at=now,
        updated_at=now,
    )


def _apps_on_disk(store: Store) -> dict[str, str]:
    """Document id -> application id of the student's hot file, read from disk."""
    data = orjson.loads(store.hot_path(COLLEGE, STUDENT).read_bytes())
    return {k: d["id"] for k, d in data["applications"].items()}


def _no_parse(path: Path, raw: bytes) -> object:
    raise AssertionError(f"{path} parsed again")


def test_a_write_between_the_early_parse_and_the_lock_is_kept(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with file_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(_app("A0"))
    other = reopen(file_store)  # a second terminal
    early = file_store._hot_snapshot

    def then_the_other_writes(path: Path) -> object:
        found = early(path)
        with other.hot(COLLEGE, STUDENT) as otx:
            otx.put_application(_app("B1"))
        return found

    monkeypatch.setattr(file_store, "_hot_snapshot", then_the_other_writes)
    with file_store.hot(COLLEGE, STUDENT) as tx:
        assert not tx._file.reused  # the bytes changed: parsed again under the lock
        assert {a.id for a in tx.applications(STUDENT)} == {"A0", "B1"}
        tx.put_application(_app("A2"))
    assert sorted(_apps_on_disk(file_store).values()) == ["A0", "A2", "B1"]
    assert {a.id for a in reopen(file_store).applications(COLLEGE, STUDENT)} == {
        "A0",
        "A2",
        "B1",
    }


def test_the_next_write_reuses_the_parse_of_its_own_last_write(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with file_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(_app("A1"))
    path = file_store.hot_path(COLLEGE, STUDENT)
    before = file_store._snapshots[path].data
    monkeypatch.setattr(store_module, "decode", _no_parse)
    with file_store.hot(COLLEGE, STUDENT) as tx:
        assert tx._file.reused and tx._file.trusted
        tx.put_application(_app("A2"))
        tx.put_application(_app("A1").model_copy(update={"status": Status.APPROVED}))
    monkeypatch.undo()
    fresh = reopen(file_store)
    found = {a.id: a.status for a in fresh.applications(COLLEGE, STUDENT)}
    assert found == {"A1": Status.APPROVED, "A2": Status.UNDER_REVIEW}
    # The reused parse was copied, not changed in place: the first write's data,
    # which this process's readers may still hold, is as it was.
    assert [d["status"] for d in before["applications"].values()] == ["审核中"]
    raw = store_module.read_regular(path)[1]
    assert written_checked(raw, orjson.loads(raw))


def test_the_folder_is_fsynced_after_the_lock_is_released(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = file_store._lock(f"hot-{college_key(COLLEGE)}-{hot_bucket(STUDENT)}")
    seen: list[tuple[Path, bool]] = []

    def fsync_dir(folder: Path) -> None:
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while still held
            fcntl.flock(fd, fcntl.LOCK_UN)
            seen.append((folder, True))
        except BlockingIOError:
            seen.append((folder, False))
        finally:
            os.close(fd)

    monkeypatch.setattr(store_module, "fsync_dir", fsync_dir)
    with file_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(_app("A1"))
    assert seen == [(file_store.hot_path(COLLEGE, STUDENT).parent, True)]
    with file_store.hot(COLLEGE, STUDENT) as tx:
        tx.applications(STUDENT)  # nothing written: no fsync
    assert len(seen) == 1


def test_direct_table_writes_give_the_ids_tinydb_gives(file_store: Store) -> None:
    with file_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(_app("A1"))
        tx.put_application(_app("A2"))
        tx.delete_application("A1")  # through TinyDB, in the same transaction
        tx.put_application(_app("A3"))  # directly again: no id given twice
        tx.put_application(_app("A2").model_copy(update={"target": "M2"}))  # updated
        assert tx._file.db.table("applications").count(lambda d: True) == 2
    assert _apps_on_disk(file_store) == {"2": "A2", "3": "A3"}
    assert {a.id: a.target for a in file_store.applications(COLLEGE, STUDENT)} == {
        "A2": "M2",
        "A3": "M1",
    }
    data = orjson.loads(file_store.hot_path(COLLEGE, STUDENT).read_bytes())
    assert list(data["college"].values()) == [{"name": COLLEGE}]


def test_a_hot_file_stamped_by_an_older_credx_is_still_trusted() -> None:
    data = {"applications": {"1": {"id": "A1"}}}
    raw = encode_checked(data)
    assert written_checked(raw, orjson.loads(raw))
    body = orjson.dumps({"applications": {"1": {"id": "A1"}}})
    stamp = hashlib.blake2b(body, digest_size=16).hexdigest()
    meta = {"1": {"schema": SCHEMA_VERSION, "checked": stamp}}
    old = body[:-1] + META_KEY + orjson.dumps(meta) + b"}"
    assert written_checked(old, orjson.loads(old))
    edited = old.replace(b'"A1"', b'"A9"')
    assert not written_checked(edited, orjson.loads(edited))
    edited = raw.replace(b'"A1"', b'"A9"')
    assert not written_checked(edited, orjson.loads(edited))


def test_a_student_is_kept_validated_while_the_shard_is_unchanged(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = file_store.student(STUDENT)
    assert student is not None
    assert file_store.transcript(STUDENT) is not None
    file_store.cache.clear()  # the shard dropped by the file cache (LRU)
    monkeypatch.setattr("credx_tui.store.files.decode", _no_parse)
    assert file_store.student(STUDENT) == student
    assert file_store.transcript(STUDENT) is not None
    monkeypatch.undo()
    renamed = Student.model_validate({**student.model_dump(), "name": "改名"})
    with reopen(file_store).bulk() as btx:  # an import by another terminal
        btx.put_student(renamed)
    found = file_store.student(STUDENT)
    assert found is not None and found.name == "改名"
