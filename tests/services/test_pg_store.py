"""The PostgreSQL store's own guarantees (issue 16): what test_store.py and
test_hostile_store.py prove of the file store's files, proved of its rows, and
``credx migrate`` between the two."""

from __future__ import annotations

import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from service_college import (
    COLLEGE,
    OTHER_COLLEGE,
    OTHER_STUDENT,
    STUDENT,
    location,
    login,
    png_bytes,
)

from credx_tui.services import make_services
from credx_tui.store import Store, StoreError
from credx_tui.store.pg import SCHEMA_VERSION, PgStore
from credx_tui.store.transfer import content_digest, migrate
from policy.models import ExchangeApplication, Term
from policy.rules import load_rules
from tests.pg_cluster import Cluster


def app(app_id: str) -> ExchangeApplication:
    now = datetime.now(UTC)
    return ExchangeApplication(
        id=app_id,
        student_id=STUDENT,
        college=COLLEGE,
        target="M1",
        term=Term(year="2026-2027", semester=1),
        created_at=now,
        updated_at=now,
    )


def sql(store: PgStore, statement: str, *params: object) -> list[tuple]:
    with psycopg.connect(store.url, autocommit=True) as conn:
        cur = conn.execute(statement, params or None)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def test_a_transaction_writes_on_success_only(pg_store: PgStore) -> None:
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    with pytest.raises(RuntimeError), pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A2"))
        tx.delete_application("A1")
        raise RuntimeError("policy said no")
    assert [a.id for a in pg_store.applications(COLLEGE)] == ["A1"]
    assert [r[0] for r in sql(pg_store, "SELECT id FROM applications")] == ["A1"]


def test_a_damaged_document_is_named_and_never_rewritten(pg_store: PgStore) -> None:
    services = make_services(pg_store, load_rules())
    me = login(services, STUDENT)
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    sql(pg_store, "UPDATE applications SET doc = jsonb_set(doc, '{step}', '\"x\"')")
    before = sql(pg_store, "SELECT doc::text FROM applications")
    with pytest.raises(StoreError, match="ExchangeApplication document is invalid at field step"):
        services.applications(me)
    with pytest.raises(Exception, match="step"):
        services.save(me, "M1", [])
    assert sql(pg_store, "SELECT doc::text FROM applications") == before
    assert any("applications row A1" in d and "field step" in d for d in pg_store.verify())


def test_verify_proves_key_columns_references_and_attachments(pg_store: PgStore) -> None:
    assert pg_store.verify() == []
    digest = pg_store.put_attachment(png_bytes("x"))
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    sql(pg_store, "UPDATE applications SET status = '审核通过'")
    sql(pg_store, "UPDATE attachments SET payload = 'tampered'::bytea")
    sql(pg_store, "DELETE FROM students WHERE id = %s", STUDENT)
    damage = pg_store.verify()
    assert any("column status is '审核通过' but its document says '无流程'" in d for d in damage)
    assert any(f"attachment {digest}: does not match its SHA-256" in d for d in damage)
    assert any(f"application A1: no student {STUDENT}" in d for d in damage)
    with pytest.raises(StoreError, match="does not match its SHA-256"):
        pg_store.read_attachment(digest)


def test_a_newer_schema_is_refused_and_left_alone(pg_store: PgStore) -> None:
    sql(pg_store, "UPDATE credx_meta SET value = %s WHERE key = 'schema'", str(SCHEMA_VERSION + 1))
    try:
        with pytest.raises(StoreError, match="newer credx"):
            PgStore(pg_store.url)
        assert sql(pg_store, "SELECT value FROM credx_meta WHERE key = 'schema'") == [
            (SCHEMA_VERSION + 1,)
        ]
    finally:
        sql(pg_store, "UPDATE credx_meta SET value = %s WHERE key = 'schema'", str(SCHEMA_VERSION))


def test_an_unreachable_server_is_one_clear_message(pg_cluster: Cluster) -> None:
    url = f"postgresql://credx@127.0.0.1:{pg_cluster.port + 1}/none?connect_timeout=2"
    with pytest.raises(StoreError, match="the database connection failed") as failed:
        PgStore(url)
    assert "PostgreSQL is running" in str(failed.value)
    assert PgStore.exists(url) is False


def test_the_demo_round_trips_folder_database_folder(pg_cluster: Cluster, tmp_path: Path) -> None:
    """``credx migrate`` both ways on the demo college: both sides verify and have the
    same content digest; into a store that is not empty, nothing is written."""
    from credx_tui.services.loading import load_demo

    source, _ = load_demo(tmp_path / "demo", load_rules())
    digest = content_digest(source)
    pg_cluster.sql("DROP DATABASE IF EXISTS roundtrip")
    pg_cluster.sql("CREATE DATABASE roundtrip")
    url = pg_cluster.url("roundtrip")
    report = migrate(tmp_path / "demo", url)
    assert report.digest == digest and report.counts["applications"] > 0
    back = migrate(url, tmp_path / "back")
    assert back.digest == digest
    again = Store(tmp_path / "back")
    assert again.verify() == [] and content_digest(again) == digest
    with closing(PgStore(url)) as pg:
        assert pg.verify() == [] and content_digest(pg) == digest
        before = content_digest(pg)
    with pytest.raises(StoreError, match="not empty"):
        migrate(tmp_path / "demo", url)
    with pytest.raises(StoreError, match="not empty"):
        migrate(url, tmp_path / "back")
    with closing(PgStore(url)) as pg:
        assert content_digest(pg) == before
    done = subprocess.run(
        [sys.executable, "-m", "credx_tui.cli", "--db", url, "verify"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and f"store is sound (content sha256 {digest})" in done.stdout


def test_a_damaged_source_is_not_migrated(pg_store: PgStore, tmp_path: Path) -> None:
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    sql(pg_store, "DELETE FROM transcripts")
    with pytest.raises(StoreError, match="the source does not verify"):
        migrate(location(pg_store), tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
    assert [p for p in tmp_path.iterdir() if "migrate" in p.name] == []


def test_a_failed_statement_in_a_pipelined_transaction_keeps_nothing(
    pg_store: PgStore, capfd: pytest.CaptureFixture[str]
) -> None:
    """The hot transaction runs in pipeline mode (issue 16, item 2): a statement the
    server refuses, queued behind writes, is raised at the end as one StoreError, none
    of the writes stays, nothing is printed, and the pooled connection serves again."""
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    for _ in range(7):  # past psycopg's prepare threshold (5) on one connection
        with (
            pytest.raises(StoreError, match="the database refused the change"),
            pg_store.hot(COLLEGE, STUDENT) as tx,
        ):
            tx.put_application(app("A2"))
            tx.delete_application("A1")
            tx._conn.execute("SELECT 1 / 0")  # queued, refused by the server
        assert [a.id for a in pg_store.applications(COLLEGE)] == ["A1"]
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        assert [a.id for a in tx.applications(STUDENT)] == ["A1"]
        tx.put_application(app("A3"))
    assert [r[0] for r in sql(pg_store, "SELECT id FROM applications ORDER BY id")] == ["A1", "A3"]
    assert sql(pg_store, "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in%'") == [
        (0,)
    ]
    out, err = capfd.readouterr()
    assert "error ignored" not in out + err and "rolling back" not in out + err


def test_the_students_applications_are_read_once_and_follow_the_writes(
    pg_store: PgStore,
) -> None:
    """Inside a hot transaction the student's applications come from the read that
    went with the lock; the transaction's own writes and deletes show in them, and an
    application of another student of the bucket is still found by id."""
    from credx_tui.store.store import hot_bucket

    neighbour = next(  # another student whose applications share STUDENT's bucket
        sid
        for sid in (f"2099{n:06d}" for n in range(100_000))
        if sid != STUDENT and hot_bucket(sid) == hot_bucket(STUDENT)
    )
    other = app("B1").model_copy(update={"student_id": neighbour})
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
    with pg_store.hot(COLLEGE, neighbour) as tx:
        tx.put_application(other)
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        assert [a.id for a in tx.applications(STUDENT)] == ["A1"]
        tx.put_application(app("A2"))
        changed = app("A1").model_copy(update={"note": "changed"})
        tx.put_application(changed)
        assert [(a.id, a.note) for a in tx.applications(STUDENT)] == [
            ("A1", "changed"),
            ("A2", ""),
        ]
        tx.delete_application("A2")
        assert [a.id for a in tx.applications(STUDENT)] == ["A1"]
        assert tx.application("A2") is None
        found = tx.application("B1")
        assert found is not None and found.student_id == neighbour
        assert [a.id for a in tx.applications()] == ["A1", "B1"]
    assert [(a.id, a.note) for a in pg_store.applications(COLLEGE, STUDENT)] == [("A1", "changed")]


def test_an_older_schema_is_brought_up_to_date(pg_cluster: Cluster) -> None:
    """A database of schema 1 (before the audit table) is migrated when opened, in one
    transaction; the audit log then works."""
    pg_cluster.sql("DROP DATABASE IF EXISTS schema_one")
    pg_cluster.sql("CREATE DATABASE schema_one")
    url = pg_cluster.url("schema_one")
    PgStore.create(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE audit")
        conn.execute("UPDATE credx_meta SET value = '1' WHERE key = 'schema'")
    with closing(PgStore(url)) as store:
        assert store.audit_events() == []
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT value FROM credx_meta WHERE key = 'schema'").fetchone()
        assert row == (SCHEMA_VERSION,)


def test_reads_under_the_hot_lock_are_the_latest_and_only_the_students(pg_store: PgStore) -> None:
    """Issue 16: the transcript and programme a hot transaction reads with its lock
    (one round trip) answer the store's reads inside the block.  They are what was
    committed when the lock was granted, a change made meanwhile on another
    connection included; another student's, or another programme, is read as ever."""
    sql(
        pg_store,
        "UPDATE transcripts SET doc = jsonb_set(doc, '{records,0,name_en}', '\"Changed\"') "
        "WHERE student_id = %s",
        STUDENT,
    )
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
        mine = pg_store.transcript(STUDENT)
        assert mine is not None and mine.records[0].name_en == "Changed"
        programme = pg_store.programme("测试专业", 2024)
        assert programme is not None and programme.major == "测试专业"
        other = pg_store.programme("别的专业", 2024)
        assert other is not None and other.college == OTHER_COLLEGE
        theirs = pg_store.transcript(OTHER_STUDENT)
        assert theirs is not None and theirs.student_id == OTHER_STUDENT
        assert pg_store.programme("没有的专业", 2024) is None
    # Outside the block the store reads as before (nothing is kept).
    sql(pg_store, "DELETE FROM transcripts WHERE student_id = %s", STUDENT)
    assert pg_store.transcript(STUDENT) is None


def test_a_damaged_student_document_does_not_fail_the_hot_transaction(pg_store: PgStore) -> None:
    """The read beside the lock joins the student's programme by text: a damaged
    ``grade_year`` (not a number) is named by the model, not a failed transaction."""
    sql(
        pg_store,
        "UPDATE students SET doc = jsonb_set(doc, '{grade_year}', '\"abc\"') WHERE id = %s",
        STUDENT,
    )
    with pg_store.hot(COLLEGE, STUDENT) as tx:
        tx.put_application(app("A1"))
        assert pg_store.programme("测试专业", 2024) is not None
    assert [a.id for a in pg_store.applications(COLLEGE)] == ["A1"]
    with pytest.raises(StoreError, match="grade_year"):
        pg_store.student(STUDENT)


def _credx(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credx_tui.cli", *args], capture_output=True, text=True, timeout=180
    )


def test_verify_proves_the_audit_log_on_both_sides_of_a_migration(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    """Issue 16: ``credx migrate`` carries the audit log of admin changes; ``credx
    verify --same-as`` proves both sides hold the same rows, says which kind differs
    when they do not, and each side's verify names a damaged audit row or line."""
    from credx_tui.services.loading import load_demo
    from credx_tui.store.admin import AUDIT_FILE, AuditEvent

    folder = tmp_path / "demo"
    source, _ = load_demo(folder, load_rules())
    for n in range(2):
        source.append_audit(
            AuditEvent(at=datetime.now(UTC), action="user.add", target=f"u{n}", os_user="t", uid=0)
        )
    pg_cluster.sql("DROP DATABASE IF EXISTS audited")
    pg_cluster.sql("CREATE DATABASE audited")
    url = pg_cluster.url("audited")
    assert migrate(folder, url).counts["audit"] == 2
    both = _credx("--db", str(folder), "verify", "--same-as", url)
    assert both.returncode == 0 and "holds the same content" in both.stdout, both
    back = _credx("--db", url, "verify", "--same-as", str(folder))
    assert back.returncode == 0 and "holds the same content" in back.stdout, back

    with closing(PgStore(url)) as pg:
        sql(
            pg,
            "UPDATE audit SET doc = jsonb_set(doc, '{target}', '\"someone else\"') WHERE seq = 2",
        )
        assert pg.verify() == []  # a sound row, only not the source's
    differs = _credx("--db", str(folder), "verify", "--same-as", url)
    assert differs.returncode == 1, differs
    assert "audit: 2 here, 2 in" in differs.stdout and "1 only here, 1 only there" in differs.stdout
    assert "the content differs" in differs.stdout
    assert "applications:" not in differs.stdout  # only the kind that differs is named

    with closing(PgStore(url)) as pg:
        sql(pg, "UPDATE audit SET doc = doc - 'uid' WHERE seq = 1")
        assert any("table audit row 1 (AuditEvent)" in d and "uid" in d for d in pg.verify())
    damaged = _credx("--db", url, "verify")
    assert damaged.returncode == 1 and "table audit row 1" in damaged.stdout, damaged

    log = folder / AUDIT_FILE
    log.write_bytes(log.read_bytes() + b'{"at": "yesterday"}\n')
    found = _credx("--db", str(folder), "verify")
    assert found.returncode == 1 and "line 3 (AuditEvent)" in found.stdout, found


def test_the_student_read_with_an_account_answers_only_the_next_call(pg_store: PgStore) -> None:
    """Issue 16: :meth:`PgStore.account` brings the student of the same 学号 in its
    round trip; it answers :meth:`PgStore.student` only as the very next store call
    of the thread, so any other call in between means a fresh read."""
    rename = "UPDATE students SET doc = jsonb_set(doc, '{name}', to_jsonb(%s::text)) WHERE id = %s"
    assert pg_store.account(STUDENT) is not None
    student = pg_store.student(STUDENT)
    assert student is not None and student.name == "测试同学"
    assert pg_store.account(STUDENT) is not None
    sql(pg_store, rename, "改名一", STUDENT)
    assert pg_store.programmes()  # another call: the read ahead is dropped
    renamed = pg_store.student(STUDENT)
    assert renamed is not None and renamed.name == "改名一"
    assert pg_store.account(STUDENT) is not None
    sql(pg_store, rename, "改名二", STUDENT)
    assert pg_store.student(OTHER_STUDENT) is not None  # another student: read afresh
    again = pg_store.student(STUDENT)  # and the read ahead is gone (one use)
    assert again is not None and again.name == "改名二"
    assert pg_store.account("nobody") is None and pg_store.student("nobody") is None
