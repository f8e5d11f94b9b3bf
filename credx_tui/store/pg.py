"""The credx store on PostgreSQL (issue 16): the same documents, the same guarantees.

Every document is a ``jsonb`` column holding exactly what the file store keeps (the
pydantic model dumped as JSON), validated by the same models on the way in (they are
models) and on the way out (:func:`_model` names the table and key of a bad one).  The
columns beside it are what is queried: applications by college/status/step, by
student, by id; events by application; a hot bucket's rows by (college key, bucket).

The transaction shape is the file store's, with row locks instead of ``flock``:

- ``hot(college, student)``: ``SELECT ... FOR UPDATE`` on the row of the student's hot
  bucket in ``hot_locks`` (created on first use), then every read inside sees the latest
  committed state; one transaction, committed when the block ends without exception.
  Two processes spending the same credits, or two reviewers deciding one application,
  queue on that row: the second one decides on what the first wrote (credits are spent
  once, one decision per revision).
- ``numbering()``: a row lock on ``numbering`` held from numbering until the hot
  transaction (on a second connection) has committed, as the file store's lock is.
- ``account_tx``: ``FOR UPDATE`` on the account row.
- ``bulk``: one transaction under the ``bulk`` row lock.

The schema is versioned in ``credx_meta``; :data:`MIGRATIONS` bring an older one up to
date inside one transaction, and a database of a newer schema is refused unchanged.
A lost server (restart, failover) is one :class:`StoreError` naming the database;
the pool checks every connection before use, so the next call reconnects.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout
from pydantic import BaseModel

from credx_tui.store.admin import AuditEvent, StoredRules
from credx_tui.store.files import StoreError
from credx_tui.store.layout import HOT_BUCKET_HEX, college_key, hot_bucket, shard_key
from credx_tui.store.layout import stored_model as _stored_model
from credx_tui.store.queue import rows_of
from credx_tui.store.schema import LinkRecord, UploadRecord
from policy.models import (
    Account,
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    Programme,
    ReviewEvent,
    Status,
    Student,
    Transcript,
)


class _PipelineEndFilter(logging.Filter):
    """psycopg logs a warning when a pipeline ends while an error of the block is on its
    way out (a refused write, a lost server): that error is raised and said in one
    line already, and a warning on stderr would scribble over the terminal UI."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (
            record.msg == "error ignored terminating %r: %s"
            and bool(args)
            and isinstance(args[0], psycopg.Pipeline)
        )


logging.getLogger("psycopg").addFilter(_PipelineEndFilter())

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

SCHEMA_VERSION = 2
"""Version of the database schema this credx writes; a newer one is refused."""

SCHEMA_V1 = """
CREATE TABLE credx_meta (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE programmes (
    major text NOT NULL, grade_year integer NOT NULL, college text NOT NULL,
    doc jsonb NOT NULL, PRIMARY KEY (major, grade_year));
CREATE TABLE students (
    id text PRIMARY KEY, college text NOT NULL, doc jsonb NOT NULL);
CREATE INDEX students_college ON students (college);
CREATE TABLE transcripts (student_id text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE accounts (username text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE colleges (name text PRIMARY KEY, key text NOT NULL UNIQUE);
CREATE TABLE hot_locks (
    key text NOT NULL, bucket text NOT NULL, PRIMARY KEY (key, bucket));
CREATE TABLE numbering (name text PRIMARY KEY);
INSERT INTO numbering VALUES ('numbering'), ('bulk'), ('rules');
CREATE TABLE applications (
    id text PRIMARY KEY, college text NOT NULL, key text NOT NULL, bucket text NOT NULL,
    student_id text NOT NULL, status text NOT NULL, step integer NOT NULL,
    seq bigserial NOT NULL, doc jsonb NOT NULL);
CREATE INDEX applications_queue ON applications (college, status, step);
CREATE INDEX applications_student ON applications (student_id);
CREATE INDEX applications_bucket ON applications (key, bucket);
CREATE TABLE events (
    seq bigserial PRIMARY KEY, id text NOT NULL, application_id text NOT NULL,
    college text NOT NULL, key text NOT NULL, bucket text NOT NULL, doc jsonb NOT NULL);
CREATE INDEX events_application ON events (application_id);
CREATE INDEX events_bucket ON events (key, bucket);
CREATE TABLE uploads (
    student_id text NOT NULL, sha256 text NOT NULL, key text NOT NULL,
    bucket text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (student_id, sha256));
CREATE TABLE links (
    token_sha256 text PRIMARY KEY, key text NOT NULL, bucket text NOT NULL,
    expires_at timestamptz NOT NULL, doc jsonb NOT NULL);
CREATE INDEX links_bucket ON links (key, bucket);
CREATE TABLE attachments (sha256 text PRIMARY KEY, payload bytea NOT NULL);
CREATE TABLE rules (version integer PRIMARY KEY, doc jsonb NOT NULL);
"""

SCHEMA_V2 = """
CREATE TABLE audit (seq bigserial PRIMARY KEY, doc jsonb NOT NULL);
"""
"""Version 2: the audit log of admin changes (``credx audit``), as the file store's
``audit/admin.jsonl``: appended, never rewritten."""

MIGRATIONS: dict[int, str] = {1: SCHEMA_V1, 2: SCHEMA_V2}
"""SQL that brings the schema from version ``n - 1`` to ``n`` (1: from nothing)."""

POOL_MAX = 8
"""Connections a process keeps at most.  A save holds three at once (the numbering
lock, the hot bucket, a read); two threads of one app saving together need six, and a
pool too small for that would make them wait for each other until the timeout."""
READ_AHEAD_SECONDS = 1.0
"""How long the student read with an account (:meth:`PgStore.account`) may answer the
next :meth:`PgStore.student` (a services call makes both within milliseconds)."""
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a connection (the server down, or the pool exhausted)."""


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _model(where: str, cls: type[M], doc: Any) -> M:
    return _stored_model(where, cls, doc, "nothing has been changed")


def _model_json(model: BaseModel) -> str:
    return model.model_dump_json()


def _dump(model: BaseModel) -> Jsonb:
    """The model as ``jsonb``, serialised by pydantic itself (the same JSON as
    ``model_dump(mode="json")`` through :func:`json.dumps`, without the dict)."""
    return Jsonb(model, dumps=_model_json)


class PgHotTransaction:
    """One hot bucket (a college's bucket of students) inside one transaction, its row
    locked: the PostgreSQL twin of :class:`credx_tui.store.store.HotTransaction`."""

    def __init__(
        self,
        conn: psycopg.Connection,
        college: str | None,
        key: str,
        bucket: str,
        student_id: str | None = None,
    ):
        self._conn = conn
        self.college = college
        self.key = key
        self.bucket = bucket
        self.dirty = False
        self._where = f"applications of college {college or key}, bucket {bucket}"
        self._student = student_id
        """The student the transaction was opened for: their applications are read
        once, in the round trip that takes the lock (:meth:`_prefetch`)."""
        self._pending: psycopg.Cursor[Any] | None = None
        self._mine: list[ExchangeApplication] | None = None
        self._dossier: psycopg.Cursor[Any] | None = None
        self._transcript: Any = None
        self._programme: Any = None

    def _prefetch(self) -> None:
        """Queue the read of the student's applications, transcript and programme
        right behind the lock (in pipeline mode all go in one round trip).  The server
        runs the reads after the lock is granted, with a snapshot taken then, so they
        see every write committed before: the same as reading after the lock in round
        trips of their own (:meth:`PgStore.transcript` and :meth:`PgStore.programme`
        answer from them inside the block, issue 16: a submit waits for the server
        twice under the lock instead of four times)."""
        self._pending = self._conn.execute(
            "SELECT doc FROM applications WHERE key = %s AND bucket = %s "
            "AND student_id = %s ORDER BY seq",
            (self.key, self.bucket, self._student),
        )
        # No cast in SQL: a damaged student document must not fail the transaction.
        self._dossier = self._conn.execute(
            "SELECT (SELECT doc FROM transcripts WHERE student_id = s.id), "
            "(SELECT p.doc FROM programmes p WHERE p.major = s.doc->>'major' "
            "AND p.grade_year::text = s.doc->>'grade_year') FROM students s WHERE s.id = %s",
            (self._student,),
        )

    def _prefetched(self) -> tuple[Any, Any]:
        """The transcript and programme documents read with the lock (None when
        absent), fetched from the pipeline's results once."""
        if self._dossier is not None:
            row, self._dossier = self._dossier.fetchone(), None
            self._transcript, self._programme = row if row is not None else (None, None)
        return self._transcript, self._programme

    def prefetched_transcript(self, student_id: str) -> tuple[bool, Transcript | None]:
        """(True, this student's transcript as read under the lock, None when none is
        stored), or (False, None) when the transaction did not read it (another
        student, no prefetch): the caller reads it itself."""
        if self._student is None or student_id != self._student:
            return False, None
        doc, _ = self._prefetched()
        if doc is None:
            return True, None
        return True, _model(f"transcript of {student_id}", Transcript, doc)

    def prefetched_programme(self, major: str, grade_year: int) -> tuple[bool, Programme | None]:
        """(True, the programme read under the lock) when it is this one, else
        (False, None): the caller reads it itself (an absent programme is read again,
        rarely: a student without one)."""
        if self._student is None:
            return False, None
        _, doc = self._prefetched()
        if not (
            isinstance(doc, dict)
            and doc.get("major") == major
            and doc.get("grade_year") == grade_year
        ):
            return False, None
        return True, _model(f"programme {major} {grade_year}", Programme, doc)

    def _student_apps(self) -> list[ExchangeApplication]:
        """The applications of :attr:`_student`, read once under the lock and kept up
        to date by this transaction's own writes (nobody else writes them: they wait
        for the lock)."""
        if self._mine is None:
            if self._pending is not None:
                rows, self._pending = self._pending.fetchall(), None
            else:
                rows = self._rows(
                    "SELECT doc FROM applications WHERE key = %s AND bucket = %s "
                    "AND student_id = %s ORDER BY seq",
                    (self.key, self.bucket, self._student),
                )
            self._mine = [_model(self._where, ExchangeApplication, r[0]) for r in rows]
        return self._mine

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    def _college(self) -> str:
        if self.college is None:
            row = self._conn.execute("SELECT name FROM colleges WHERE key = %s", (self.key,))
            found = row.fetchone()
            if found is None:
                raise StoreError(f"no hot file {self.key}/{self.bucket}")
            self.college = found[0]
        return self.college

    def applications(self, student_id: str | None = None) -> list[ExchangeApplication]:
        """Every application of the bucket, or of one student."""
        if student_id is not None and student_id == self._student:
            return list(self._student_apps())
        if student_id is None:
            rows = self._rows(
                "SELECT doc FROM applications WHERE key = %s AND bucket = %s ORDER BY seq",
                (self.key, self.bucket),
            )
        else:
            rows = self._rows(
                "SELECT doc FROM applications WHERE key = %s AND bucket = %s "
                "AND student_id = %s ORDER BY seq",
                (self.key, self.bucket, student_id),
            )
        return [_model(self._where, ExchangeApplication, r[0]) for r in rows]

    def application(self, app_id: str) -> ExchangeApplication | None:
        """One application by id."""
        if self._student is not None:
            for app in self._student_apps():
                if app.id == app_id:
                    return app
        rows = self._rows(
            "SELECT doc FROM applications WHERE key = %s AND bucket = %s AND id = %s",
            (self.key, self.bucket, app_id),
        )
        return _model(self._where, ExchangeApplication, rows[0][0]) if rows else None

    def put_application(self, app: ExchangeApplication) -> None:
        """Insert or replace an application (by id)."""
        self._conn.execute(
            "INSERT INTO applications (id, college, key, bucket, student_id, status, step, doc) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
            "college = EXCLUDED.college, key = EXCLUDED.key, bucket = EXCLUDED.bucket, "
            "student_id = EXCLUDED.student_id, status = EXCLUDED.status, "
            "step = EXCLUDED.step, doc = EXCLUDED.doc",
            (
                app.id,
                app.college,
                self.key,
                self.bucket,
                app.student_id,
                app.status.value,
                app.step,
                _dump(app),
            ),
        )
        self.dirty = True
        if self._student is not None and app.student_id == self._student:
            mine = self._student_apps()
            for i, known in enumerate(mine):
                if known.id == app.id:
                    mine[i] = app
                    break
            else:
                mine.append(app)

    def delete_application(self, app_id: str) -> None:
        """Remove an application; its events stay (the trail of a deletion is kept)."""
        self._conn.execute(
            "DELETE FROM applications WHERE key = %s AND bucket = %s AND id = %s",
            (self.key, self.bucket, app_id),
        )
        self.dirty = True
        if self._student is not None:
            self._mine = [a for a in self._student_apps() if a.id != app_id]

    def insert_many(
        self, apps: list[ExchangeApplication], events: list[ReviewEvent] | None = None
    ) -> None:
        """Append applications and events in one pass."""
        for app in apps:
            self.put_application(app)
        for event in events or []:
            self.add_event(event)

    def add_upload(self, upload: UploadRecord) -> None:
        """Note that a student stored an attachment (idempotent per student and digest)."""
        cur = self._conn.execute(
            "INSERT INTO uploads (student_id, sha256, key, bucket, doc) VALUES "
            "(%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (upload.student_id, upload.sha256, self.key, self.bucket, _dump(upload)),
        )
        _sync(self._conn)
        if cur.rowcount:
            self.dirty = True

    def uploads(self, student_id: str) -> list[UploadRecord]:
        """The attachments this student stored."""
        rows = self._rows(
            "SELECT doc FROM uploads WHERE student_id = %s AND key = %s AND bucket = %s",
            (student_id, self.key, self.bucket),
        )
        return [_model(self._where, UploadRecord, r[0]) for r in rows]

    def link(self, token_sha256: str) -> LinkRecord | None:
        """The link whose token hashes to ``token_sha256``, if any (of this bucket)."""
        rows = self._rows(
            "SELECT doc FROM links WHERE token_sha256 = %s AND key = %s AND bucket = %s",
            (token_sha256, self.key, self.bucket),
        )
        return _model(self._where, LinkRecord, rows[0][0]) if rows else None

    def links(self) -> list[LinkRecord]:
        """Every link of the bucket."""
        rows = self._rows(
            "SELECT doc FROM links WHERE key = %s AND bucket = %s ORDER BY token_sha256",
            (self.key, self.bucket),
        )
        return [_model(self._where, LinkRecord, r[0]) for r in rows]

    def put_link(self, link: LinkRecord) -> None:
        """Insert or replace a link (by its token's hash)."""
        self._conn.execute(
            "INSERT INTO links (token_sha256, key, bucket, expires_at, doc) VALUES "
            "(%s, %s, %s, %s, %s) ON CONFLICT (token_sha256) DO UPDATE SET "
            "expires_at = EXCLUDED.expires_at, doc = EXCLUDED.doc",
            (link.token_sha256, self.key, self.bucket, link.expires_at, _dump(link)),
        )
        self.dirty = True

    def drop_links(self, before: datetime) -> None:
        """Forget links of the bucket that expired before ``before``."""
        cur = self._conn.execute(
            "DELETE FROM links WHERE key = %s AND bucket = %s AND expires_at < %s",
            (self.key, self.bucket, before),
        )
        _sync(self._conn)
        if cur.rowcount:
            self.dirty = True

    def add_event(self, event: ReviewEvent) -> None:
        """Append one line of 流程跟踪."""
        self._conn.execute(
            "INSERT INTO events (id, application_id, college, key, bucket, doc) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (event.id, event.application_id, self._college(), self.key, self.bucket, _dump(event)),
        )
        self.dirty = True

    def events(self, app_id: str | None = None) -> list[ReviewEvent]:
        """Events of one application (or all of the bucket), oldest first."""
        if app_id is None:
            rows = self._rows(
                "SELECT doc FROM events WHERE key = %s AND bucket = %s ORDER BY seq",
                (self.key, self.bucket),
            )
        else:
            rows = self._rows(
                "SELECT doc FROM events WHERE key = %s AND bucket = %s "
                "AND application_id = %s ORDER BY seq",
                (self.key, self.bucket, app_id),
            )
        found = (_model(self._where, ReviewEvent, r[0]) for r in rows)
        return sorted(found, key=lambda e: e.at)


class PgAccountTransaction:
    """One account row, locked (``FOR UPDATE``) for a read-modify-write."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def get(self, username: str) -> Account | None:
        """The account as committed now, its row locked until the transaction ends."""
        row = self._conn.execute(
            "SELECT doc FROM accounts WHERE username = %s FOR UPDATE", (username,)
        ).fetchone()
        return None if row is None else _model(f"account {username}", Account, row[0])

    def put(self, account: Account) -> None:
        """Insert or replace an account (by username)."""
        self._conn.execute(
            "INSERT INTO accounts (username, doc) VALUES (%s, %s) "
            "ON CONFLICT (username) DO UPDATE SET doc = EXCLUDED.doc",
            (account.username, _dump(account)),
        )


class PgBulkTransaction:
    """Programmes, students and transcripts in one transaction (imports)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def _upsert(
        self,
        sql_get: str,
        key: tuple[Any, ...],
        sql_put: str,
        put: tuple[Any, ...],
        doc: dict[str, Any],
    ) -> bool:
        row = self._conn.execute(sql_get, key).fetchone()
        if row is not None and row[0] == doc:
            return False
        self._conn.execute(sql_put, put)
        return True

    def put_programme(self, programme: Programme) -> bool:
        """Insert or replace a programme; True when anything changed."""
        doc = programme.model_dump(mode="json")
        _notify(self._conn, "bulk/programmes.json")
        return self._upsert(
            "SELECT doc FROM programmes WHERE major = %s AND grade_year = %s",
            (programme.major, programme.grade_year),
            "INSERT INTO programmes (major, grade_year, college, doc) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (major, grade_year) DO UPDATE SET college = EXCLUDED.college, "
            "doc = EXCLUDED.doc",
            (programme.major, programme.grade_year, programme.college, Jsonb(doc)),
            doc,
        )

    def put_student(self, student: Student) -> bool:
        """Insert or replace a student; True when anything changed."""
        doc = student.model_dump(mode="json")
        return self._upsert(
            "SELECT doc FROM students WHERE id = %s",
            (student.id,),
            "INSERT INTO students (id, college, doc) VALUES (%s, %s, %s) ON CONFLICT (id) "
            "DO UPDATE SET college = EXCLUDED.college, doc = EXCLUDED.doc",
            (student.id, student.college, Jsonb(doc)),
            doc,
        )

    def put_transcript(self, transcript: Transcript) -> bool:
        """Insert or replace a transcript; True when anything changed."""
        doc = transcript.model_dump(mode="json")
        _notify(self._conn, f"bulk/students/{shard_key(transcript.student_id)}.json")
        return self._upsert(
            "SELECT doc FROM transcripts WHERE student_id = %s",
            (transcript.student_id,),
            "INSERT INTO transcripts (student_id, doc) VALUES (%s, %s) ON CONFLICT "
            "(student_id) DO UPDATE SET doc = EXCLUDED.doc",
            (transcript.student_id, Jsonb(doc)),
            doc,
        )

    def account(self, username: str) -> Account | None:
        """An account, its row locked until the import commits."""
        return PgAccountTransaction(self._conn).get(username)

    def put_account(self, account: Account) -> None:
        """Insert or replace an account."""
        PgAccountTransaction(self._conn).put(account)

    def lock_numbering(self) -> None:
        """Hold the numbering row lock until the import commits (ids kept as imported)."""
        self._conn.execute("SELECT 1 FROM numbering WHERE name = 'numbering' FOR UPDATE")

    def note_college(self, college: str) -> None:
        """Count ``college`` among the store's colleges."""
        _note_college(self._conn, college)

    def hot(self, college: str, student_id: str) -> PgHotTransaction:
        """The hot bucket of a student inside this same transaction (imports)."""
        return _hot_in(self._conn, college, student_id)

    def fingerprinted(self, student_ids: list[str]) -> list[tuple[str, str]]:
        """(college, 学号) of the students among ``student_ids`` with an application
        that keeps a transcript fingerprint, by college and 学号 (an import marks
        them when it changes their transcript, issue 12)."""
        rows = self._conn.execute(
            "SELECT DISTINCT college, student_id FROM applications "
            "WHERE student_id = ANY(%s) "
            "AND jsonb_typeof(doc->'submitted_transcript') = 'object' "
            "ORDER BY college, student_id",
            (student_ids,),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]


def _hot_in(
    conn: psycopg.Connection, college: str, student_id: str, prefetch: bool = False
) -> PgHotTransaction:
    key, bucket = college_key(college), hot_bucket(student_id)
    # One statement: the upsert creates the bucket's row on first use and, like
    # SELECT ... FOR UPDATE, holds its row lock until the transaction ends.
    conn.execute(
        "INSERT INTO hot_locks (key, bucket) VALUES (%s, %s) "
        "ON CONFLICT (key, bucket) DO UPDATE SET bucket = EXCLUDED.bucket",
        (key, bucket),
    )
    tx = PgHotTransaction(conn, college, key, bucket, student_id if prefetch else None)
    if prefetch:
        tx._prefetch()
    return tx


def _sync(conn: psycopg.Connection) -> None:
    """In pipeline mode: send what is queued and wait for its results (a row count
    is needed now); outside it, nothing to do."""
    pipeline = conn._pipeline
    if pipeline is not None:
        pipeline.sync()


def _note_college(conn: psycopg.Connection, college: str) -> None:
    conn.execute(
        "INSERT INTO colleges (name, key) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (college, college_key(college)),
    )


class PgStore:
    """One credx database.  Safe to share between many processes and machines."""

    def __init__(self, url: str, *, pool_max: int = POOL_MAX) -> None:
        self.url = url
        self._local = threading.local()
        """``hot``: the hot transaction open on this thread, whose reads made under
        its lock answer :meth:`transcript` and :meth:`programme`."""
        self._noted: set[str] = set()
        """Colleges this process knows are in ``colleges`` (not inserted again)."""
        self._pool = ConnectionPool(
            url,
            min_size=0,
            max_size=pool_max,
            kwargs={"autocommit": True},
            timeout=CONNECT_TIMEOUT,
            open=False,
            name="credx",
        )
        try:
            # One direct connection first: a server that is down or refuses us is said
            # at once with its reason, not after the pool's retries.
            with psycopg.connect(
                url, autocommit=True, connect_timeout=round(CONNECT_TIMEOUT)
            ) as conn:
                version = _schema_version(conn)
        except psycopg.OperationalError as exc:
            raise _unreachable(self.location, exc) from None
        self._pool.open(wait=False)
        if version is None:
            self.close()
            raise StoreError(
                f"{self.location}: no credx store in this database (no credx_meta table); "
                "create one with `credx demo`, `credx import` or `credx migrate`"
            )
        if version > SCHEMA_VERSION:
            self.close()
            raise StoreError(_newer(self.location, version))
        if version < SCHEMA_VERSION:
            self._migrate()

    # -- life -------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """The database, password left out."""
        return redacted(self.url)

    def __repr__(self) -> str:
        return f"PgStore({self.location!r})"

    def close(self) -> None:
        """Close the pool's connections (at process end the pool closes itself)."""
        self._pool.close()

    @classmethod
    def create(cls, url: str) -> PgStore:
        """Create credx's schema in the database (or open the store that is there)."""
        try:
            with (
                psycopg.connect(url, autocommit=True, connect_timeout=10) as conn,
                conn.transaction(),
            ):
                conn.execute("SELECT pg_advisory_xact_lock(4711160)")
                if _schema_version(conn) is None:
                    for step in range(1, SCHEMA_VERSION + 1):
                        conn.execute(MIGRATIONS[step])
                    created = {"format": "credx", "created": datetime.now(UTC).isoformat()}
                    conn.execute(
                        "INSERT INTO credx_meta VALUES ('schema', %s), ('store', %s)",
                        (Jsonb(SCHEMA_VERSION), Jsonb(created)),
                    )
        except psycopg.OperationalError as exc:
            raise _unreachable(redacted(url), exc) from None
        return cls(url)

    @staticmethod
    def exists(url: str) -> bool:
        """Whether the database holds a credx store (False when unreachable too)."""
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                return _schema_version(conn) is not None
        except psycopg.Error:
            return False

    def _migrate(self) -> None:
        """Bring an older schema up to :data:`SCHEMA_VERSION`, all in one transaction."""
        with self._tx() as conn:
            conn.execute("SELECT value FROM credx_meta WHERE key = 'schema' FOR UPDATE")
            version = _schema_version(conn) or 0
            if version > SCHEMA_VERSION:
                raise StoreError(_newer(self.location, version))
            for step in range(version + 1, SCHEMA_VERSION + 1):
                conn.execute(MIGRATIONS[step])
            conn.execute(
                "UPDATE credx_meta SET value = %s WHERE key = 'schema'", (Jsonb(SCHEMA_VERSION),)
            )

    def _op(self) -> None:
        """Count this thread's calls to the server (a read ahead is good only for the
        very next one)."""
        self._local.ops = getattr(self._local, "ops", 0) + 1

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; a lost server becomes one clear StoreError."""
        self._op()
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise StoreError(
                f"{self.location}: cannot reach the database server within "
                f"{CONNECT_TIMEOUT:.0f} s; nothing was changed. Check that PostgreSQL is "
                "running, then try again (credx reconnects by itself)."
            ) from None
        except psycopg.OperationalError as exc:
            self._drop_dead()
            raise _unreachable(self.location, exc) from None
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"{self.location}: the database refused the change ({reason}); nothing was written"
            ) from None

    def _drop_dead(self) -> None:
        """After a lost connection (the server restarted, a failover): drop every idle
        connection that is dead too, so the next call connects afresh instead of
        failing once per pooled connection."""
        with contextlib.suppress(Exception):
            self._pool.check()

    @contextlib.contextmanager
    def _tx(
        self, pipelined: bool = False, announce: list[str] | None = None
    ) -> Iterator[psycopg.Connection]:
        """One transaction: committed when the block ends, rolled back on any error.

        ``pipelined``: in libpq's pipeline mode, statements whose results are not read
        at once (BEGIN, the lock, the writes, NOTIFY, COMMIT) are queued and sent
        with the next read or at the end, so a use case costs a round trip per read it
        waits for, not one per statement (issue 16, item 2): a submit's transaction
        is two, the lock with the student's applications, then the writes with COMMIT.
        An error in a queued statement is raised at the next read or at the end,
        nothing of the transaction is kept, and the connection is not used again."""
        with self._conn() as conn:
            if not pipelined:
                with conn.transaction():
                    yield conn
                return
            # BEGIN and COMMIT by hand: psycopg's transaction() waits for BEGIN, and
            # for the writes before it sends COMMIT, two round trips more.  Queued
            # behind a failed statement, COMMIT is skipped by the server and the
            # error is raised when the pipeline ends; the transaction is then rolled
            # back below, so the pool never gets a connection inside one.
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    try:
                        yield conn
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                    if announce:
                        _announce(conn, announce)
            except BaseException as exc:
                if (
                    isinstance(exc, psycopg.Error)
                    or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
                ):
                    # The server skipped what was queued behind the error, prepared
                    # statements psycopg believes made among them; a fresh connection
                    # (the pool replaces a closed one) is the only sure state.
                    conn.close()
                raise

    def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of one read.  A read is tried once more on a fresh connection when the
        pooled one turns out dead (the server restarted since): connections are not
        checked before each use, which would cost a round trip per call."""
        self._op()
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql, params).fetchall()
        except (psycopg.OperationalError, PoolTimeout):
            self._drop_dead()
        with self._conn() as conn:
            return conn.execute(sql, params).fetchall()

    # -- reads ------------------------------------------------------------------------

    def programmes(self) -> list[Programme]:
        """Every 人才培养方案."""
        rows = self._fetch("SELECT doc FROM programmes ORDER BY college, major, grade_year")
        return [_model("programmes", Programme, r[0]) for r in rows]

    def programme(self, major: str, grade_year: int) -> Programme | None:
        """The programme of one major and year of entry."""
        tx = getattr(self._local, "hot", None)
        if tx is not None:
            known, programme = tx.prefetched_programme(major, grade_year)
            if known:
                return programme
        rows = self._fetch(
            "SELECT doc FROM programmes WHERE major = %s AND grade_year = %s", (major, grade_year)
        )
        return _model(f"programme {major} {grade_year}", Programme, rows[0][0]) if rows else None

    def student(self, student_id: str) -> Student | None:
        """One student, or None."""
        ahead, self._local.ahead = getattr(self._local, "ahead", None), None
        if (
            ahead is not None
            and ahead[0] == student_id
            and ahead[2] == getattr(self._local, "ops", 0)
            and time.monotonic() - ahead[3] < READ_AHEAD_SECONDS
        ):
            doc = ahead[1]
        else:
            rows = self._fetch("SELECT doc FROM students WHERE id = %s", (student_id,))
            doc = rows[0][0] if rows else None
        return None if doc is None else _model(f"student {student_id}", Student, doc)

    def students(self) -> Iterator[Student]:
        """Every student, by 学号."""
        for row in self._fetch("SELECT doc FROM students ORDER BY id"):
            yield _model("students", Student, row[0])

    def transcript(self, student_id: str) -> Transcript | None:
        """One student's transcript, or None."""
        tx = getattr(self._local, "hot", None)
        if tx is not None:
            known, transcript = tx.prefetched_transcript(student_id)
            if known:
                return transcript
        rows = self._fetch("SELECT doc FROM transcripts WHERE student_id = %s", (student_id,))
        return _model(f"transcript of {student_id}", Transcript, rows[0][0]) if rows else None

    def transcript_entries(
        self, student_id: str, refs: set[str]
    ) -> dict[str, CourseRecord | CreditCertificate] | None:
        """Only the records (by code) and certificates (by id) named in ``refs``."""
        rows = self._fetch("SELECT doc FROM transcripts WHERE student_id = %s", (student_id,))
        if not rows:
            return None
        doc, where = rows[0][0], f"transcript of {student_id}"
        found: dict[str, CourseRecord | CreditCertificate] = {}
        for record in doc.get("records") or []:
            if isinstance(record, dict) and record.get("code") in refs:
                found.setdefault(record["code"], _model(where, CourseRecord, record))
        for cert in doc.get("certificates") or []:
            if isinstance(cert, dict) and cert.get("id") in refs:
                found.setdefault(cert["id"], _model(where, CreditCertificate, cert))
        return found

    def account(self, username: str) -> Account | None:
        """One account, or None.

        The student of the same 学号 comes back in the same round trip and answers the
        very next store call of this thread if it is :meth:`student` of that 学号 (the
        services check a student's account, then read the student: one wait for the
        server instead of two, issue 16).  Nothing decides on the student read outside
        a transaction, so reading it a moment earlier changes nothing."""
        rows = self._fetch(
            "SELECT (SELECT doc FROM accounts WHERE username = %s), "
            "(SELECT doc FROM students WHERE id = %s)",
            (username, username),
        )
        account, student = rows[0]
        self._local.ahead = (username, student, getattr(self._local, "ops", 0), time.monotonic())
        return None if account is None else _model(f"account {username}", Account, account)

    def accounts(self) -> list[Account]:
        """Every account, by username."""
        rows = self._fetch("SELECT doc FROM accounts ORDER BY username")
        return [_model("accounts", Account, r[0]) for r in rows]

    def colleges(self) -> list[str]:
        """Colleges that have applications (or uploads, links) or a programme."""
        rows = self._fetch("SELECT name FROM colleges UNION SELECT college FROM programmes")
        return sorted(r[0] for r in rows)

    def applications(
        self, college: str, student_id: str | None = None
    ) -> list[ExchangeApplication]:
        """A college's applications (or one student's among them), oldest first."""
        if student_id is None:
            rows = self._fetch("SELECT doc FROM applications WHERE college = %s", (college,))
        else:
            rows = self._fetch(
                "SELECT doc FROM applications WHERE college = %s AND student_id = %s",
                (college, student_id),
            )
        apps = [_model(f"applications of {college}", ExchangeApplication, r[0]) for r in rows]
        return sorted(apps, key=lambda a: (a.created_at, a.id))

    def events(
        self, college: str, app_id: str | None = None, student_id: str | None = None
    ) -> list[ReviewEvent]:
        """A college's review events (or one application's, or one student's), oldest
        first."""
        sql, params = "SELECT doc FROM events WHERE college = %s", [college]
        if app_id is not None:
            sql, params = sql + " AND application_id = %s", [*params, app_id]
        if student_id is not None:
            sql, params = (
                sql + " AND key = %s AND bucket = %s",
                [
                    *params,
                    college_key(college),
                    hot_bucket(student_id),
                ],
            )
        rows = self._fetch(sql + " ORDER BY seq", tuple(params))
        found = [_model(f"events of {college}", ReviewEvent, r[0]) for r in rows]
        return sorted(found, key=lambda e: (e.at, e.id))

    def find_application(self, college: str, app_id: str) -> ExchangeApplication | None:
        """One application of a college by id (the primary key)."""
        rows = self._fetch(
            "SELECT doc FROM applications WHERE id = %s AND college = %s", (app_id, college)
        )
        return _model(f"application {app_id}", ExchangeApplication, rows[0][0]) if rows else None

    def application_of(self, college: str, student_id: str, app_id: str) -> ExchangeApplication:
        """One application, validated."""
        rows = self._fetch(
            "SELECT doc FROM applications WHERE id = %s AND college = %s AND student_id = %s",
            (app_id, college, student_id),
        )
        if not rows:
            raise StoreError(f"application {app_id} of {student_id} is no longer in the store")
        return _model(f"application {app_id}", ExchangeApplication, rows[0][0])

    def queue_rows(self, college: str, make: Callable[[list[Any]], R]) -> list[R]:
        """``make`` of every queue row of the college: the same rows the file store
        keeps (:func:`credx_tui.store.queue.rows_of`), from the queue index."""
        rows = self._fetch(
            "SELECT doc FROM applications WHERE college = %s AND status <> %s",
            (college, Status.DRAFT.value),
        )
        docs = {str(i): r[0] for i, r in enumerate(rows)}
        return [make(row) for row in rows_of({"applications": docs})]

    def highest_number(self, prefix: str) -> int:
        """The highest ``N`` of an application id ``<prefix>N`` (applications and the
        events of deleted ones): a number is never given twice."""
        pattern = "^" + re.escape(prefix) + r"(\d+)$"
        rows = self._fetch(
            "SELECT max(substring(id from %s)::numeric) FROM ("
            "SELECT id FROM applications WHERE id ~ %s UNION ALL "
            "SELECT application_id FROM events WHERE application_id ~ %s) ids",
            (pattern, pattern, pattern),
        )
        return int(rows[0][0] or 0)

    # -- writes: one transaction per use case ------------------------------------------

    @contextlib.contextmanager
    def numbering(self) -> Iterator[Callable[[str], str]]:
        """Hold the numbering row lock; yield ``next_id(prefix)``.  Taken before the hot
        lock and released after the hot transaction committed (as the file store's)."""
        with self._tx() as conn:
            conn.execute("SELECT 1 FROM numbering WHERE name = 'numbering' FOR UPDATE")
            given: dict[str, int] = {}

            def next_id(prefix: str) -> str:
                number = max(given.get(prefix, 0), self.highest_number(prefix)) + 1
                given[prefix] = number
                return f"{prefix}{number:04d}"

            yield next_id

    @contextlib.contextmanager
    def hot(self, college: str, student_id: str) -> Iterator[PgHotTransaction]:
        """Lock the student's hot bucket row and hand out its transaction; committed
        when the block ends without an exception."""
        announce: list[str] = []
        outer = getattr(self._local, "hot", None)
        with self._tx(pipelined=True, announce=announce) as conn:
            tx = _hot_in(conn, college, student_id, prefetch=True)
            self._local.hot = tx
            try:
                yield tx
            finally:
                self._local.hot = outer
            if tx.dirty:
                if college not in self._noted:
                    _note_college(conn, college)
                announce.append(f"hot/{tx.key}/{tx.bucket}.json")
        if tx.dirty:
            self._noted.add(college)

    @contextlib.contextmanager
    def hot_at(self, key: str, bucket: str) -> Iterator[PgHotTransaction]:
        """Like :meth:`hot`, for a bucket named by its college key and bucket (a link
        token carries those, never the 学号); only an existing bucket is opened."""
        if not (len(key) == 16 and len(bucket) == HOT_BUCKET_HEX) or not all(
            c in "0123456789abcdef" for c in key + bucket
        ):
            raise StoreError(f"no hot file {key}/{bucket}")
        announce: list[str] = []
        with self._tx(pipelined=True, announce=announce) as conn:
            found = conn.execute(
                "SELECT 1 FROM hot_locks WHERE key = %s AND bucket = %s FOR UPDATE", (key, bucket)
            ).fetchone()
            if found is None:
                raise StoreError(f"no hot file {key}/{bucket}")
            tx = PgHotTransaction(conn, None, key, bucket)
            yield tx
            if tx.dirty:
                announce.append(f"hot/{key}/{bucket}.json")

    # -- live screens: the file store's relative names, sent with NOTIFY --------------

    programmes_path = PurePosixPath("bulk/programmes.json")
    """The name a change of the programmes is announced under (as the file store's)."""

    def hot_path(self, college: str, student_id: str) -> PurePosixPath:
        """The name a change of this student's hot bucket is announced under."""
        return PurePosixPath(f"hot/{college_key(college)}/{hot_bucket(student_id)}.json")

    def hot_dir(self, college: str) -> PurePosixPath:
        """The prefix of every hot bucket of a college."""
        return PurePosixPath(f"hot/{college_key(college)}")

    def student_path(self, student_id: str) -> PurePosixPath:
        """The name a change of this student or transcript is announced under."""
        return PurePosixPath(f"bulk/students/{shard_key(student_id)}.json")

    def watcher(self, on_change: Callable[[frozenset[str]], None]) -> PgWatcher:
        """A watcher of this database for the live screens (LISTEN/NOTIFY)."""
        return PgWatcher(self.url, on_change)

    @contextlib.contextmanager
    def account_tx(self, username: str) -> Iterator[PgAccountTransaction]:
        """One account's row locked for a read-modify-write, in one transaction."""
        with self._tx(pipelined=True) as conn:
            yield PgAccountTransaction(conn)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[PgBulkTransaction]:
        """Imports: one transaction under the ``bulk`` row lock."""
        with self._tx() as conn:
            conn.execute("SELECT 1 FROM numbering WHERE name = 'bulk' FOR UPDATE")
            yield PgBulkTransaction(conn)

    # -- attachments ------------------------------------------------------------------

    def put_attachment(self, payload: bytes) -> str:
        """Store an attachment by content (``bytea``); its SHA-256 (idempotent)."""
        digest = hashlib.sha256(payload).hexdigest()
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO attachments (sha256, payload) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (digest, payload),
            )
        return digest

    def read_attachment(self, sha256: str) -> bytes:
        """An attachment's bytes, verified against its digest."""
        rows = self._fetch("SELECT payload FROM attachments WHERE sha256 = %s", (sha256,))
        if not rows:
            raise StoreError(f"attachment {sha256}: missing from the store")
        payload = bytes(rows[0][0])
        if hashlib.sha256(payload).hexdigest() != sha256:
            raise StoreError(f"attachment {sha256}: does not match its SHA-256 (damaged)")
        return payload

    def has_attachment(self, sha256: str) -> bool:
        """Whether an attachment with this digest is stored."""
        return bool(self._fetch("SELECT 1 FROM attachments WHERE sha256 = %s", (sha256,)))

    # -- rules, owner ---------------------------------------------------------------

    def stored_rules(self) -> StoredRules | None:
        """The newest rules applied; None when none were."""
        rows = self._fetch("SELECT doc FROM rules ORDER BY version DESC LIMIT 1")
        if not rows:
            return None
        doc = rows[0][0]
        try:
            return StoredRules(
                version=int(doc["version"]),
                sha256=str(doc["sha256"]),
                text=str(doc["text"]),
                source=str(doc.get("source", "")),
                applied_at=str(doc.get("applied_at", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise StoreError(f"{self.location}: a rules version is damaged; apply again") from None

    def put_rules(self, text: str, source: str) -> StoredRules:
        """Store ``text`` as the next rules version (the newest text is not stored twice)."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._tx() as conn:
            conn.execute("SELECT 1 FROM numbering WHERE name = 'rules' FOR UPDATE")
            row = conn.execute("SELECT doc FROM rules ORDER BY version DESC LIMIT 1").fetchone()
            if row is not None and row[0].get("sha256") == digest:
                doc = row[0]
            else:
                version = int(row[0]["version"]) + 1 if row is not None else 1
                doc = {
                    "version": version,
                    "sha256": digest,
                    "text": text,
                    "source": source,
                    "applied_at": datetime.now(UTC).isoformat(),
                }
                conn.execute("INSERT INTO rules VALUES (%s, %s)", (version, Jsonb(doc)))
                _notify(conn, "rules.json")
        return StoredRules(doc["version"], digest, text, doc["source"], doc["applied_at"])

    def put_rules_version(self, doc: dict[str, Any]) -> None:
        """Keep one rules version as it is (migration)."""
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO rules VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (int(doc["version"]), Jsonb(doc)),
            )

    def rules_versions(self) -> list[dict[str, Any]]:
        """Every rules version, oldest first."""
        return [r[0] for r in self._fetch("SELECT doc FROM rules ORDER BY version")]

    def owned_by_this_process(self) -> bool:
        """The database decides who connects (its roles and ``pg_hba.conf``): whoever
        reaches it with the store's credentials administers it, from the service
        account (:meth:`service_account`) when the deployment names one."""
        from credx_tui.store.ownership import effective_account

        return self.service_account() == effective_account()

    def service_account(self) -> str:
        """The OS account credx runs as on this machine (SSH keys in its home, the
        ``--os-user`` mapping file it may own): ``CREDX_SERVICE_ACCOUNT``, else the
        account running this process.  The database's own roles decide who connects,
        so this names only what lives on the machine, not in the database."""
        from credx_tui.store.ownership import effective_account, named_service_account

        return named_service_account() or effective_account()

    # -- the audit log of admin changes ------------------------------------------------

    def append_audit(self, event: AuditEvent) -> None:
        """Append one admin change to the ``audit`` table (never rewritten)."""
        with self._conn() as conn:
            conn.execute("INSERT INTO audit (doc) VALUES (%s)", (_dump(event),))

    def audit_events(self) -> list[AuditEvent]:
        """Every admin change, oldest first; a damaged one is named by its number."""
        rows = self._fetch("SELECT seq, doc FROM audit ORDER BY seq")
        return [_model(f"audit event {r[0]}", AuditEvent, r[1]) for r in rows]

    def empty(self) -> None:
        """Remove every document, account, attachment, rules version and audit event
        in one transaction (``credx demo --reset``); the schema stays, the database is
        never dropped.  Every live screen is told to reload."""
        from credx_tui.watch import OVERFLOW

        with self._tx() as conn:
            conn.execute("SELECT 1 FROM numbering WHERE name = 'bulk' FOR UPDATE")
            conn.execute(
                "TRUNCATE programmes, students, transcripts, accounts, colleges, hot_locks, "
                "applications, events, uploads, links, attachments, rules, audit"
            )
            _notify(conn, OVERFLOW)
        self._noted.clear()

    # -- health -----------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Every damage found (empty when sound): schema, every document against its
        model and its key columns, references, attachments' digests."""
        from credx_tui.store.pg_verify import verify_pg

        return verify_pg(self)


NOTIFY_CHANNEL = "credx"
"""The channel every write announces what it changed on (committed writes only)."""


def _notify(conn: psycopg.Connection, name: str) -> None:
    """Announce ``name`` (a file store's relative name) when the transaction commits;
    PostgreSQL folds repeats of one payload in a transaction into one."""
    conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, name))


def _announce(conn: psycopg.Connection, names: list[str]) -> None:
    """Queue, right behind a use case's COMMIT and in the same round trip, a small
    transaction of its own announcing ``names``.  PostgreSQL serialises the commits of
    transactions that NOTIFY (a database-wide lock held through the commit's flush),
    so a NOTIFY inside the writes would queue every writer of the college behind
    each other's disk flush; this one waits for no flush (``synchronous_commit``
    off: a screen that misses an announcement after a crash reloads anyway), and it
    is sent only once the writes committed, so a listener reads them."""
    conn.execute("BEGIN")
    conn.execute("SET LOCAL synchronous_commit = off")
    for name in names:
        _notify(conn, name)
    conn.execute("COMMIT")


class PgWatcher:
    """The live screens' watcher on PostgreSQL (issue 11's interface): one thread that
    LISTENs and reports the names committed writes announced, as
    :class:`credx_tui.watch.StoreWatcher` reports changed files.  A lost connection is
    retried every second; on reconnecting it reports :data:`credx_tui.watch.OVERFLOW`
    (what changed meanwhile is unknown, so every screen reloads)."""

    backend = "listen"

    def __init__(self, url: str, on_change: Callable[[frozenset[str]], None]) -> None:
        self.url = url
        self.on_change = on_change
        self.reports = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()
        """Set once LISTEN is in force (tests wait for it)."""

    def watch(self, paths: Any) -> None:
        """Nothing to do: every announcement arrives; the screens filter by interest."""

    def start(self) -> None:
        """Start the listening thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="credx-pg-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread (within half a second)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        from credx_tui.watch import OVERFLOW

        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    if not first:
                        self._report({OVERFLOW})
                    first = False
                    while not self._stop.is_set():
                        names = {n.payload for n in conn.notifies(timeout=0.5)}
                        self._report(names)
            except psycopg.Error:
                self.listening.clear()
                self._stop.wait(1.0)

    def _report(self, names: set[str]) -> None:
        if names and not self._stop.is_set():
            self.reports += 1
            self.on_change(frozenset(names))


def _schema_version(conn: psycopg.Connection) -> int | None:
    exists = conn.execute("SELECT to_regclass('credx_meta')").fetchone()
    if exists is None or exists[0] is None:
        return None
    row = conn.execute("SELECT value FROM credx_meta WHERE key = 'schema'").fetchone()
    if row is None or not isinstance(row[0], int):
        raise StoreError("credx_meta: the schema version is missing or not a number")
    return int(row[0])


def _newer(location: str, version: int) -> str:
    return (
        f"{location}: written by a newer credx (schema {version}, this one reads "
        f"{SCHEMA_VERSION}); upgrade credx. The database has not been changed."
    )


def _unreachable(location: str, exc: BaseException) -> StoreError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(
        f"{location}: the database connection failed ({reason}); a change that was not "
        "confirmed was either written whole or not at all: look before doing it again. Check "
        "that PostgreSQL is running, then try again (credx reconnects by itself).",
        f"{location}：数据库连接失败（{reason}）。未确认的更改要么完整写入，要么完全没有写入，"
        "请先查看再重做。请确认 PostgreSQL 正在运行后重试（credx 会自动重新连接）。",
    )


def dumps(doc: Any) -> bytes:
    """Canonical JSON (sorted keys) of a document, for digests."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
