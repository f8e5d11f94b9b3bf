"""The credx store: TinyDB documents in, pydantic models out.

Layout of one store folder (architecture.md, "Store")::

    credx-store.json              marker and schema version of the folder
    bulk/programmes.json          人才培养方案 of every major (read-mostly)
    bulk/students/<k>.json        students and transcripts, sharded by 学号
    accounts/<k>.json             logins, sharded by username
    hot/<college key>/<b>.json    applications and review events of one college's
                                  students in bucket <b> (16 buckets by 学号)
    attachments/<aa>/<sha256>     uploaded screenshots, named by content
    rules.json                    the college's rules, every version applied (issue 9)
    audit/admin.jsonl             who changed what with the admin commands (issue 9)
    locks/*.lock                  sidecar files for fcntl.flock

Only the folder's OS owner may open it (:mod:`credx_tui.store.ownership`): folders are
0700 and files 0600 whatever the umask.

Why this shape: at college scale (20,000 students × 40 records, 10,000 applications) a
submit must not rewrite, and a student's session must not parse, the whole college.  A
submit rewrites only one small hot file (its college, its student's bucket), and a
student session parses its own shard, the programmes and that one hot file; a
reviewer's queue reads the college's 16 buckets.  Everything one student's decision
needs (their own live applications, to spend credits once) lives in one hot file, so
one lock covers it.  Shards are keyed by a hash so that
any 学号 scheme spreads evenly; 4096 of them keep each file a few tens of kilobytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from credx_tui.store.files import (
    DIR_MODE,
    FileCache,
    StoreError,
    TinyData,
    atomic_write_bytes,
    encode,
    locked,
    make_dirs,
    read_file,
    read_regular,
)
from credx_tui.store.ownership import check_opened_by_owner
from credx_tui.store.schema import (
    ACCOUNT_TABLES,
    HOT_TABLES,
    PROGRAMME_TABLES,
    STUDENT_TABLES,
    LinkRecord,
    UploadRecord,
    check_before_write,
)
from policy.models import (
    Account,
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    Programme,
    ReviewEvent,
    Student,
    Transcript,
)

MARKER = "credx-store.json"
SHARD_HEX = 3
"""Hex digits of the shard key: 16**3 = 4096 shards."""

M = TypeVar("M", bound=BaseModel)


def shard_key(key: str) -> str:
    """The shard a student or account lives in (stable across machines)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:SHARD_HEX]


HOT_BUCKET_HEX = 1
"""Hex digits of the hot bucket: 16 hot files per college."""


def hot_bucket(student_id: str) -> str:
    """The hot file of a college that holds this student's applications."""
    return shard_key(student_id)[:HOT_BUCKET_HEX]


def college_key(college: str) -> str:
    """File-system-safe name of a college's hot file (college names are Chinese)."""
    return hashlib.sha1(college.encode("utf-8")).hexdigest()[:16]


class _MemoryStorage(Storage):
    """TinyDB storage over a dict that the store loaded and will write itself.

    ``writable=False`` guards the shared read cache against accidental mutation."""

    def __init__(self, data: TinyData, writable: bool = False) -> None:
        self.data = data
        self.writable = writable
        self.dirty = False

    def read(self) -> TinyData:
        return self.data

    def write(self, data: TinyData) -> None:
        if not self.writable:
            raise StoreError("internal error: write outside a transaction")
        self.data = data
        self.dirty = True


def _db(data: TinyData | None, writable: bool = False) -> TinyDB:
    return TinyDB(storage=_MemoryStorage, data=data if data is not None else {}, writable=writable)


def _model(path: Path, cls: type[M], doc: dict[str, Any]) -> M:
    try:
        return cls.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise StoreError(
            f"{path}: a {cls.__name__} document is invalid at field {field}: {first['msg']}; "
            "the file has not been changed"
        ) from None


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class _FileTx:
    """One file opened for writing inside a transaction, flushed atomically on commit."""

    def __init__(self, path: Path, tables: dict[str, type[BaseModel]]) -> None:
        self.path = path
        self.tables = tables
        data = read_file(path)
        self.storage_data: TinyData = data if data is not None else {}
        self.db = _db(self.storage_data, writable=True)

    @property
    def dirty(self) -> bool:
        return bool(self.db.storage.dirty)  # type: ignore[attr-defined]

    def flush(self) -> None:
        # Every document is checked with the readers' models first: a write never makes
        # the file unreadable, and a file already damaged is never rewritten.
        data = self.db.storage.data  # type: ignore[attr-defined]
        check_before_write(self.path, data, self.tables)
        atomic_write_bytes(self.path, encode(data))


class HotTransaction:
    """Applications and review events of one hot file (a college's bucket of students),
    under its lock.

    Reads inside the transaction see the file as it is now on disk (reloaded after the
    lock was taken), so decisions are made on the latest state."""

    def __init__(self, path: Path) -> None:
        self._file = _FileTx(path, HOT_TABLES)
        self.path = path

    def applications(self, student_id: str | None = None) -> list[ExchangeApplication]:
        """Every application of the college, or of one student."""
        table = self._file.db.table("applications")
        docs = table.all() if student_id is None else table.search(Query().student_id == student_id)
        return [_model(self.path, ExchangeApplication, d) for d in docs]

    def application(self, app_id: str) -> ExchangeApplication | None:
        """One application by id."""
        doc = self._file.db.table("applications").get(Query().id == app_id)
        return None if doc is None else _model(self.path, ExchangeApplication, dict(doc))

    def put_application(self, app: ExchangeApplication) -> None:
        """Insert or replace an application (by id)."""
        self._file.db.table("applications").upsert(_dump(app), Query().id == app.id)

    def delete_application(self, app_id: str) -> None:
        """Remove an application; its events stay, so the trail of a deletion is kept."""
        self._file.db.table("applications").remove(Query().id == app_id)

    def insert_many(
        self, apps: list[ExchangeApplication], events: list[ReviewEvent] | None = None
    ) -> None:
        """Append applications (ids not yet present) and events in one pass: for loading
        many at once, where an upsert each would rescan the table every time."""
        self._file.db.table("applications").insert_multiple(_dump(a) for a in apps)
        if events:
            self._file.db.table("events").insert_multiple(_dump(e) for e in events)

    def add_upload(self, upload: UploadRecord) -> None:
        """Note that a student stored an attachment (idempotent per student and digest)."""
        q = Query()
        cond = (q.student_id == upload.student_id) & (q.sha256 == upload.sha256)
        table = self._file.db.table("uploads")
        if table.get(cond) is None:
            table.insert(_dump(upload))

    def uploads(self, student_id: str) -> list[UploadRecord]:
        """The attachments this student stored (the only ones :meth:`Services.save` lets
        an application of theirs name)."""
        docs = self._file.db.table("uploads").search(Query().student_id == student_id)
        return [_model(self.path, UploadRecord, dict(d)) for d in docs]

    def link(self, token_sha256: str) -> LinkRecord | None:
        """The link whose token hashes to ``token_sha256``, if any."""
        doc = self._file.db.table("links").get(Query().token_sha256 == token_sha256)
        return None if doc is None else _model(self.path, LinkRecord, dict(doc))

    def put_link(self, link: LinkRecord) -> None:
        """Insert or replace a link (by its token's hash)."""
        self._file.db.table("links").upsert(_dump(link), Query().token_sha256 == link.token_sha256)

    def drop_links(self, before: datetime) -> None:
        """Forget links that expired before ``before`` (they can never be used again)."""
        table = self._file.db.table("links")
        stale = [
            d.doc_id
            for d in table.all()
            if datetime.fromisoformat(str(d.get("expires_at"))) < before
        ]
        if stale:
            table.remove(doc_ids=stale)

    def add_event(self, event: ReviewEvent) -> None:
        """Append one line of 流程跟踪."""
        self._file.db.table("events").insert(_dump(event))

    def events(self, app_id: str | None = None) -> list[ReviewEvent]:
        """Events of one application (or all of the college), oldest first."""
        table = self._file.db.table("events")
        docs = table.all() if app_id is None else table.search(Query().application_id == app_id)
        return sorted((_model(self.path, ReviewEvent, d) for d in docs), key=lambda e: e.at)


class AccountTransaction:
    """One account shard under its lock (logins write failure counts)."""

    def __init__(self, path: Path) -> None:
        self._file = _FileTx(path, ACCOUNT_TABLES)
        self.path = path

    def get(self, username: str) -> Account | None:
        """The account, as on disk now."""
        doc = self._file.db.table("accounts").get(Query().username == username)
        return None if doc is None else _model(self.path, Account, dict(doc))

    def put(self, account: Account) -> None:
        """Insert or replace an account (by username)."""
        self._file.db.table("accounts").upsert(_dump(account), Query().username == account.username)


class BulkTransaction:
    """Students, transcripts and programmes, written by import only.

    Changes are staged per file and written when the block ends without error; an
    exception leaves every file as it was."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._files: dict[Path, _FileTx] = {}

    def _file(self, path: Path) -> _FileTx:
        if path not in self._files:
            tables = PROGRAMME_TABLES if path == self._store.programmes_path else STUDENT_TABLES
            self._files[path] = _FileTx(path, tables)
        return self._files[path]

    def put_programme(self, programme: Programme) -> bool:
        """Insert or replace a programme; True when anything changed."""
        q = Query()
        cond = (q.major == programme.major) & (q.grade_year == programme.grade_year)
        return self._upsert(self._store.programmes_path, "programmes", _dump(programme), cond)

    def put_student(self, student: Student) -> bool:
        """Insert or replace a student; True when anything changed."""
        path = self._store.student_path(student.id)
        return self._upsert(path, "students", _dump(student), Query().id == student.id)

    def put_transcript(self, transcript: Transcript) -> bool:
        """Insert or replace a transcript; True when anything changed."""
        path = self._store.student_path(transcript.student_id)
        cond = Query().student_id == transcript.student_id
        return self._upsert(path, "transcripts", _dump(transcript), cond)

    def _upsert(self, path: Path, table_name: str, doc: dict[str, Any], cond: Any) -> bool:
        table = self._file(path).db.table(table_name)
        current = table.get(cond)
        if current is not None and dict(current) == doc:
            return False
        table.upsert(doc, cond)
        return True

    def commit(self) -> None:
        """Write every changed file: each atomically, data files before nothing else."""
        for ftx in self._files.values():
            if ftx.dirty:
                ftx.flush()
                self._store.cache.forget(ftx.path)


class Store:
    """One credx data folder.  Safe to share between many processes at once."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.cache = FileCache()
        try:
            st = self.root.stat()
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise StoreError(
                f"{self.root}: cannot reach the store folder: {exc.strerror}"
            ) from None
        if st is not None:
            check_opened_by_owner(self.root, st)
            if st.st_mode & 0o077:
                # A store made before the walls (group-shared): close it to everyone else.
                with contextlib.suppress(OSError):
                    os.chmod(self.root, DIR_MODE)
        marker = self.root / MARKER
        if not marker.exists():
            raise StoreError(
                f"{self.root}: no credx store here (missing {MARKER}); "
                "create one with `credx demo` or `credx import`"
            )
        data = read_file(marker)
        if data is None:  # vanished between the two calls
            raise StoreError(f"{marker}: missing")
        meta = data.get("store", {}).get("1")
        if not isinstance(meta, dict) or meta.get("format") != "credx":
            raise StoreError(f"{marker}: not a credx store marker file")

    # -- creation -------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path | str) -> Store:
        """Create an empty store folder (or open the one that is there)."""
        root = Path(root)
        if root.exists():
            check_opened_by_owner(root, root.stat())
        make_dirs(root)
        marker = root / MARKER
        with locked(root / "locks" / "store.lock"):
            if not marker.exists():
                stamp = datetime.now(UTC).isoformat()
                doc = {"store": {"1": {"format": "credx", "created": stamp}}}
                atomic_write_bytes(marker, encode(doc))
        return cls(root)

    @staticmethod
    def exists(root: Path | str) -> bool:
        """Whether ``root`` holds a store."""
        return (Path(root) / MARKER).exists()

    # -- paths ----------------------------------------------------------------------

    @property
    def programmes_path(self) -> Path:
        return self.root / "bulk" / "programmes.json"

    def student_path(self, student_id: str) -> Path:
        return self.root / "bulk" / "students" / f"{shard_key(student_id)}.json"

    def account_path(self, username: str) -> Path:
        return self.root / "accounts" / f"{shard_key(username)}.json"

    def hot_dir(self, college: str) -> Path:
        return self.root / "hot" / college_key(college)

    def hot_path(self, college: str, student_id: str) -> Path:
        return self.hot_dir(college) / f"{hot_bucket(student_id)}.json"

    def _hot_paths(self, college: str, student_id: str | None) -> list[Path]:
        if student_id is not None:
            return [self.hot_path(college, student_id)]
        folder = self.hot_dir(college)
        return sorted(folder.glob("*.json")) if folder.exists() else []

    def _lock(self, name: str) -> Path:
        return self.root / "locks" / f"{name}.lock"

    # -- reads (no lock: files are replaced atomically) ---------------------------

    def _table(self, path: Path, table: str) -> list[dict[str, Any]]:
        data = self.cache.get(path)
        if data is None:
            return []
        return [dict(d) for d in _db(data).table(table).all()]

    def programmes(self) -> list[Programme]:
        """Every 人才培养方案."""
        path = self.programmes_path
        return [_model(path, Programme, d) for d in self._table(path, "programmes")]

    def programme(self, major: str, grade_year: int) -> Programme | None:
        """The programme of one major and year of entry."""
        return next(
            (p for p in self.programmes() if p.major == major and p.grade_year == grade_year),
            None,
        )

    def student(self, student_id: str) -> Student | None:
        """One student, or None."""
        path = self.student_path(student_id)
        data = self.cache.get(path)
        if data is None:
            return None
        doc = _db(data).table("students").get(Query().id == student_id)
        return None if doc is None else _model(path, Student, dict(doc))

    def transcript(self, student_id: str) -> Transcript | None:
        """One student's transcript, or None."""
        path = self.student_path(student_id)
        data = self.cache.get(path)
        if data is None:
            return None
        doc = _db(data).table("transcripts").get(Query().student_id == student_id)
        return None if doc is None else _model(path, Transcript, dict(doc))

    def transcript_entries(
        self, student_id: str, refs: set[str]
    ) -> dict[str, CourseRecord | CreditCertificate] | None:
        """Only the course records (by code) and certificates (by id) named in ``refs``
        of one transcript, each validated; None when there is no transcript.  Exports
        of thousands of exchanges need three entries of each transcript, and checking
        every record's text would cost ten times more than the whole export."""
        path = self.student_path(student_id)
        data = self.cache.get(path)
        if data is None:
            return None
        doc = _db(data).table("transcripts").get(Query().student_id == student_id)
        if doc is None:
            return None
        found: dict[str, CourseRecord | CreditCertificate] = {}
        for record in doc.get("records") or []:
            if isinstance(record, dict) and record.get("code") in refs:
                found.setdefault(record["code"], _model(path, CourseRecord, record))
        for cert in doc.get("certificates") or []:
            if isinstance(cert, dict) and cert.get("id") in refs:
                found.setdefault(cert["id"], _model(path, CreditCertificate, cert))
        return found

    def students(self) -> Iterator[Student]:
        """Every student (walks all shards: for admin tools, not for sessions)."""
        folder = self.root / "bulk" / "students"
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            for doc in self._table(path, "students"):
                yield _model(path, Student, doc)

    def account(self, username: str) -> Account | None:
        """One account, or None."""
        path = self.account_path(username)
        data = self.cache.get(path)
        if data is None:
            return None
        doc = _db(data).table("accounts").get(Query().username == username)
        return None if doc is None else _model(path, Account, dict(doc))

    def accounts(self) -> list[Account]:
        """Every account (admin tools)."""
        folder = self.root / "accounts"
        found: list[Account] = []
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            found.extend(_model(path, Account, d) for d in self._table(path, "accounts"))
        return sorted(found, key=lambda a: a.username)

    def colleges(self) -> list[str]:
        """Colleges that have a hot file or a programme."""
        names = {p.college for p in self.programmes()}
        folder = self.root / "hot"
        for path in folder.glob("*/*.json") if folder.exists() else []:
            data = self.cache.get(path)
            meta = (data or {}).get("college", {}).get("1", {})
            if isinstance(meta, dict) and meta.get("name"):
                names.add(meta["name"])
        return sorted(names)

    def applications(
        self, college: str, student_id: str | None = None
    ) -> list[ExchangeApplication]:
        """A college's applications (or one student's among them), oldest first."""
        apps: list[ExchangeApplication] = []
        for path in self._hot_paths(college, student_id):
            docs = self._table(path, "applications")
            if student_id is not None:
                docs = [d for d in docs if d.get("student_id") == student_id]
            apps.extend(_model(path, ExchangeApplication, d) for d in docs)
        return sorted(apps, key=lambda a: (a.created_at, a.id))

    def events(
        self, college: str, app_id: str | None = None, student_id: str | None = None
    ) -> list[ReviewEvent]:
        """A college's review events (or one application's), oldest first.  Naming the
        application's student reads one hot file instead of the college's sixteen."""
        found: list[ReviewEvent] = []
        for path in self._hot_paths(college, student_id):
            docs = self._table(path, "events")
            if app_id is not None:
                docs = [d for d in docs if d.get("application_id") == app_id]
            found.extend(_model(path, ReviewEvent, d) for d in docs)
        return sorted(found, key=lambda e: (e.at, e.id))

    def highest_number(self, prefix: str) -> int:
        """The highest ``N`` of an application id ``<prefix>N`` anywhere in the store
        (0 when none): every college's hot files, read through the cache.  A deleted
        application's trail is kept, so its events count too: a number is never
        given twice."""
        pattern = re.compile(re.escape(prefix) + r"(\d+)")
        highest = 0
        folder = self.root / "hot"
        for path in sorted(folder.glob("*/*.json")) if folder.exists() else []:
            ids = [d.get("id") for d in self._table(path, "applications")]
            ids += [d.get("application_id") for d in self._table(path, "events")]
            for app_id in ids:
                match = pattern.fullmatch(str(app_id or ""))
                if match:
                    highest = max(highest, int(match.group(1)))
        return highest

    # -- writes (each under its lock, reloaded inside) --------------------------

    @contextlib.contextmanager
    def numbering(self) -> Iterator[Callable[[str], str]]:
        """Hold the store's numbering lock; yield ``next_id(prefix)``, the next free
        ``<prefix>NNNN`` (issue 15).  Whoever writes a numbered application holds this
        lock from numbering until the hot file is written (take it *before* the hot
        lock), so two terminals submitting at once never get one number; an import
        holds it too, and its ids (kept as they are) count for the next number."""
        with locked(self._lock("numbering")):
            given: dict[str, int] = {}

            def next_id(prefix: str) -> str:
                number = max(given.get(prefix, 0), self.highest_number(prefix)) + 1
                given[prefix] = number
                return f"{prefix}{number:04d}"

            yield next_id

    @contextlib.contextmanager
    def hot(self, college: str, student_id: str) -> Iterator[HotTransaction]:
        """Lock the hot file holding this student's applications, reload it, and write
        it atomically when the block ends without an exception."""
        path = self.hot_path(college, student_id)
        with locked(self._lock(f"hot-{college_key(college)}-{hot_bucket(student_id)}")):
            tx = HotTransaction(path)
            yield tx
            if tx._file.dirty:
                tx._file.db.table("college").upsert({"name": college}, Query().name.exists())
                tx._file.flush()
                self.cache.forget(path)

    @contextlib.contextmanager
    def hot_at(self, key: str, bucket: str) -> Iterator[HotTransaction]:
        """Like :meth:`hot`, for a hot file named by its college key and bucket (a link
        token carries those, never the 学号); only an existing file is opened."""
        if not (len(key) == 16 and len(bucket) == HOT_BUCKET_HEX) or not all(
            c in "0123456789abcdef" for c in key + bucket
        ):
            raise StoreError(f"no hot file {key}/{bucket}")
        path = self.root / "hot" / key / f"{bucket}.json"
        with locked(self._lock(f"hot-{key}-{bucket}")):
            tx = HotTransaction(path)
            yield tx
            if tx._file.dirty:
                tx._file.flush()
                self.cache.forget(path)

    @contextlib.contextmanager
    def account_tx(self, username: str) -> Iterator[AccountTransaction]:
        """Lock one account shard for a read-modify-write."""
        path = self.account_path(username)
        with locked(self._lock(f"accounts-{shard_key(username)}")):
            tx = AccountTransaction(path)
            yield tx
            if tx._file.dirty:
                tx._file.flush()
                self.cache.forget(path)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[BulkTransaction]:
        """Lock the bulk data (import) and write every changed shard on success."""
        with locked(self._lock("bulk")):
            tx = BulkTransaction(self)
            yield tx
            tx.commit()

    # -- attachments ----------------------------------------------------------------

    def attachment_path(self, sha256: str) -> Path:
        """Where the attachment with this digest lives."""
        return self.root / "attachments" / sha256[:2] / sha256

    def put_attachment(self, payload: bytes) -> str:
        """Store an attachment by content; returns its SHA-256 (idempotent)."""
        digest = hashlib.sha256(payload).hexdigest()
        path = self.attachment_path(digest)
        if not path.exists():
            atomic_write_bytes(path, payload)
        return digest

    def read_attachment(self, sha256: str) -> bytes:
        """An attachment's bytes, verified against its name."""
        path = self.attachment_path(sha256)
        try:
            _, payload = read_regular(path)
        except FileNotFoundError:
            raise StoreError(f"{path}: the attachment is missing from the store") from None
        if hashlib.sha256(payload).hexdigest() != sha256:
            raise StoreError(f"{path}: the attachment does not match its SHA-256 (damaged)")
        return payload

    # -- health ---------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Every damage :func:`credx_tui.store.verify.verify_store` finds (empty when
        the store is sound); stray temporary files are not damage and are left out."""
        from credx_tui.store.verify import verify_store

        return verify_store(self.root).damage
