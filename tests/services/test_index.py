"""The application index of a college (issue 13): a reviewer opens, moves to and decides
an application reading one hot file, whatever the college's size; a missing, stale or
damaged index costs one scan that rebuilds it; writers in separate processes keep it
right; ``credx verify`` knows it and ``--repair`` rebuilds it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from service_college import COLLEGE, OTHER_COLLEGE, STUDENT, login, shot

from credx_tui.services import NotFound, Services
from credx_tui.store import Store
from credx_tui.store.store import college_key, index_entries
from credx_tui.store.verify import verify_store
from policy.models import ExchangeApplication, SourceKind, SourceRef, Status, Term

WORKER = str(Path(__file__).with_name("store_worker.py"))
G1 = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=r) for r in ("G1", "G2")]


def _entries(store: Store, college: str = COLLEGE) -> dict[str, str] | None:
    path = store.index_path(college)
    return index_entries(orjson.loads(path.read_bytes())) if path.exists() else None


def _submitted(services: Services) -> str:
    me = login(services, STUDENT)
    draft = services.save(me, "M1", G1, attachments=shot(services, me))
    return services.submit(me, draft.id).id


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


def test_the_first_lookup_builds_the_index_and_writes_keep_it(services: Services) -> None:
    app_id = _submitted(services)
    store = services.store
    assert _entries(store) is None  # an old store: no index until someone needs it
    rev = login(services, "rev")
    assert services.review_file(rev, app_id).application.id == app_id
    assert _entries(store) == {app_id: STUDENT}
    # A new application joins the index as it is written; a decision leaves it alone.
    with store.hot(COLLEGE, "2099019999") as tx:
        tx.put_application(_app("A-new", "2099019999"))
    assert _entries(store) == {app_id: STUDENT, "A-new": "2099019999"}
    before = store.index_path(COLLEGE).stat().st_mtime_ns
    services.approve(rev, app_id, expected_revision=services.application(rev, app_id).revision)
    assert store.index_path(COLLEGE).stat().st_mtime_ns == before
    with store.hot(COLLEGE, "2099019999") as tx:
        tx.delete_application("A-new")
    assert _entries(store) == {app_id: STUDENT}
    assert verify_store(store.root).sound


def test_a_missing_or_stale_index_falls_back_to_a_scan_and_is_rebuilt(
    services: Services,
) -> None:
    app_id = _submitted(services)
    store = services.store
    rev = login(services, "rev")
    services.review_file(rev, app_id)
    path = store.index_path(COLLEGE)
    # Stale: the entry names another student (another hot file), and a deleted one stays.
    path.write_bytes(
        orjson.dumps({"index": {"1": {"apps": {app_id: "2099019999", "gone": STUDENT}}}})
    )
    store.cache.clear()
    assert services.review_file(rev, app_id).application.id == app_id
    assert _entries(store) == {app_id: STUDENT}
    # Missing.
    path.unlink()
    assert services.application(rev, app_id).id == app_id
    assert _entries(store) == {app_id: STUDENT}
    # Damaged beyond parsing.
    path.write_bytes(b"{not json")
    assert services.trail(rev, app_id)[-1].application_id == app_id
    assert _entries(store) == {app_id: STUDENT}
    # An application added behind the index's back (an older credx) is still found.
    raw = orjson.loads(store.hot_path(COLLEGE, STUDENT).read_bytes())
    sneaked = _app("A-sneaked").model_dump(mode="json")
    raw["applications"]["99"] = sneaked
    store.hot_path(COLLEGE, STUDENT).write_bytes(orjson.dumps(raw))
    assert services.application(rev, "A-sneaked").id == "A-sneaked"
    assert _entries(store) == {app_id: STUDENT, "A-sneaked": STUDENT}


def test_the_index_never_shows_what_the_reviewer_may_not_see(services: Services) -> None:
    app_id = _submitted(services)
    other = login(services, "rev_other")
    with pytest.raises(NotFound):
        services.review_file(other, app_id)  # another college: its index knows nothing
    rev = login(services, "rev")
    with pytest.raises(NotFound):
        services.review_file(rev, "no-such-id")
    me = login(services, STUDENT)
    draft_id = services.withdraw(me, app_id).id
    with pytest.raises(NotFound):
        services.review_file(rev, draft_id)  # a draft is the student's own business
    assert not services.store.index_path(OTHER_COLLEGE).exists()


def test_only_the_shown_application_is_validated(services: Services) -> None:
    """A damaged document of another student's hot file no longer stops a reviewer from
    opening an application (it did: every application of the college was validated)."""
    app_id = _submitted(services)
    store = services.store
    with store.hot(COLLEGE, "2099019999") as tx:
        tx.put_application(_app("A-other", "2099019999"))
    rev = login(services, "rev")
    services.review_file(rev, app_id)
    other = store.hot_path(COLLEGE, "2099019999")
    if other != store.hot_path(COLLEGE, STUDENT):
        raw = orjson.loads(other.read_bytes())
        for doc in raw["applications"].values():
            doc["status"] = "nonsense"
        other.write_bytes(orjson.dumps(raw))
        assert services.review_file(rev, app_id).application.id == app_id


def test_two_writer_processes_keep_the_index_right(store: Store, services: Services) -> None:
    rev = login(services, "rev")
    with store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(_app("A-seed"))
    services.review_file(rev, "A-seed")  # the index exists from here on
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, "insert", str(store.root), prefix, "40", student],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix, student in (("w1", STUDENT), ("w2", "2099017777"), ("w3", "2099013333"))
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.count("ack ") == 40
    entries = _entries(store)
    assert entries == store.scan_index(COLLEGE)
    assert len(entries or {}) == 1 + 3 * 40
    found = store.find_application(COLLEGE, "w2-39")  # drafts: not for a reviewer
    assert found is not None and found.student_id == "2099017777"
    assert not verify_store(store.root).garbage  # (the invented students are damage)


def test_verify_reports_a_stale_index_and_repair_rebuilds_it(services: Services) -> None:
    app_id = _submitted(services)
    store = services.store
    services.review_file(login(services, "rev"), app_id)
    path = store.index_path(COLLEGE)
    assert path.name == f"{college_key(COLLEGE)}.json"
    path.write_bytes(orjson.dumps({"index": {"1": {"apps": {"ghost": STUDENT}}}}))
    report = verify_store(store.root)
    assert not report.damage
    assert any(str(path) in g and "stale" in g for g in report.garbage)
    repaired = verify_store(store.root, repair=True)
    assert any("rebuilt" in r and str(path) in r for r in repaired.repaired)
    assert _entries(store) == {app_id: STUDENT}
    assert verify_store(store.root).sound
    path.write_bytes(b"\x00garbage")
    assert any("damaged" in g for g in verify_store(store.root).garbage)
    verify_store(store.root, repair=True)
    assert _entries(store) == {app_id: STUDENT}
    (path.parent / "notes.txt").write_text("x")
    assert any("notes.txt" in d for d in verify_store(store.root).damage)


def test_the_queue_reads_its_rows_and_rebuilds_stale_ones(services: Services) -> None:
    """Queue rows (issue 13): made by the queue, kept while their hot file is unchanged;
    a hot file written since is read again (and validated when it does not carry its
    validating writer's digest: an older credx, a hand edit), rows rebuilt."""
    from credx_tui.store.queue import rows_path

    app_id = _submitted(services)
    store = services.store
    rev = login(services, "rev")
    rows = rows_path(store.root, store.hot_path(COLLEGE, STUDENT))
    [item] = services.queue(rev)
    made = rows.stat().st_mtime_ns
    services.queue(rev)
    assert rows.stat().st_mtime_ns == made  # unchanged hot file: the rows are read
    assert item.application.id == app_id and item.summary.student_name == "测试同学"
    assert [s.ref for s in item.application.sources] == ["G1", "G2"]  # from the store
    # Behind the rows' back: the hot file gains an application (its signature changes).
    path = store.hot_path(COLLEGE, STUDENT)
    raw = orjson.loads(path.read_bytes())
    raw["applications"]["99"] = _app("A-sneaked").model_dump(mode="json")
    path.write_bytes(orjson.dumps(raw))
    assert verify_store(store.root).sound  # rows older than their hot file: normal
    assert {i.application.id for i in services.queue(rev)} == {app_id, "A-sneaked"}
    assert verify_store(store.root).sound  # the queue rebuilt them
    # Rows edited into nonsense, signature kept: refused, rebuilt from the hot file.
    data = orjson.loads(rows.read_bytes())
    data["queue"]["1"]["rows"][0][4] = "nonsense"
    rows.write_bytes(orjson.dumps(data))
    assert {i.application.id for i in services.queue(rev)} == {app_id, "A-sneaked"}
    # Rows of a damaged file: repaired by verify; a damaged hot file is named.
    rows.write_bytes(b"[")
    assert any(str(rows) in g and "damaged" in g for g in verify_store(store.root).garbage)
    assert verify_store(store.root, repair=True).repaired
    assert verify_store(store.root).sound
    raw["applications"]["99"]["note"] = "\x1b[31m"
    path.write_bytes(orjson.dumps(raw))
    with pytest.raises(Exception, match=str(path)):
        services.queue(rev)
