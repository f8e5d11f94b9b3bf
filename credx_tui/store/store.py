"""The credx store: TinyDB documents in, pydantic models out.

Layout of one store folder (architecture.md, "Store")::

    credx-store.json              marker and schema version of the folder
    bulk/programmes.json          人才培养方案 of every major (read-mostly)
    bulk/students/<k>.json        students and transcripts, sharded by 学号
    accounts/<k>.json             logins, sharded by username
    hot/<college key>/<b>.json    applications and review events of one college's
                                  students in bucket <b> (16 buckets by 学号)
    index/<college key>.json      application id -> 学号 of a college (so its hot
                                  file), derived from the hot files (issue 13)
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
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import orjson
from pydantic import BaseModel
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from credx_tui.store.files import (
    DIR_MODE,
    FileCache,
    StoreError,
    StoreWriteError,
    TinyData,
    atomic_write_bytes,
    decode,
    encode,
    encode_checked,
    fsync_dir,
    locked,
    make_dirs,
    read_file,
    read_regular,
    stat_signature,
    written_checked,
)
from credx_tui.store.layout import (
    HOT_BUCKET_HEX,
    INDEX_TABLE,
    MARKER,
    app_ids,
    college_key,
    hot_bucket,
    index_document,
    index_entries,
    shard_key,
)
from credx_tui.store.layout import stored_model as _model
from credx_tui.store.ownership import check_opened_by_owner
from credx_tui.store.queue import fresh_rows, rebuild_rows, rows_of, rows_path
from credx_tui.store.schema import (
    ACCOUNT_TABLES,
    HOT_TABLES,
    PROGRAMME_TABLES,
    STUDENT_TABLES,
    LinkRecord,
    UploadRecord,
    check_before_write,
)
from credx_tui.store.staging import recover as recover_import
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

if TYPE_CHECKING:
    from credx_tui.store.admin import AuditEvent, StoredRules

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


MODEL_MEMO = 128
"""Validated documents a store keeps (students, transcripts, programmes, accounts)."""
SIGNED_MEMO = 256
"""Documents :meth:`Store._one` keeps validated (students, transcripts, accounts)."""
HOT_SNAPSHOTS = 4
"""Hot files a store keeps parsed for its next write (:meth:`Store._hot_tx`): a
student's session writes one, and each is a few megabytes once parsed."""


def _quiet_read(path: Path) -> TinyData | None:
    """A derived file (an index) read now; None when absent or unreadable as data (a
    damaged index is rebuilt, never a reason to stop)."""
    try:
        return read_file(path)
    except StoreError:
        return None


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


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class _FileTx:
    """One file opened for writing inside a transaction, flushed atomically on commit.

    With ``track`` (hot files) the transaction notes the documents it writes
    (:meth:`touch`); when the file on disk is provably as a validating writer left it
    (:func:`~credx_tui.store.files.written_checked`), only those are validated."""

    def __init__(
        self,
        path: Path,
        tables: dict[str, type[BaseModel]],
        track: bool = False,
        snapshot: _Snapshot | None = None,
    ) -> None:
        self.path = path
        self.tables = tables
        trusted: bool | None = None
        self.reused = False
        """Whether the snapshot's parse was reused (its bytes were the file's)."""
        try:
            _, raw = read_regular(path)
        except FileNotFoundError:
            raw, data = b"", None
        else:
            if snapshot is not None and snapshot.raw == raw:
                # The very bytes parsed before the lock was taken: their parse is
                # reused (a copy: this transaction changes its documents in place).
                data, trusted = _own_copy(snapshot.data), snapshot.trusted
                self.reused = True
            else:
                data = decode(path, raw)
        self.storage_data: TinyData = data if data is not None else {}
        self.db = _db(self.storage_data, writable=True)
        self.touched: dict[str, set[int]] | None = {} if track else None
        if trusted is None:
            trusted = data is None or written_checked(raw, data)
        self.trusted = track and trusted
        self.payload: bytes | None = None
        """The bytes :meth:`flush` wrote (hot files), for the next transaction's snapshot."""

    def touch(self, table: str, doc_ids: Any) -> None:
        """Note documents this transaction wrote (TinyDB's ids): they are validated."""
        if self.touched is not None:
            ids = [doc_ids] if isinstance(doc_ids, int) else doc_ids
            self.touched.setdefault(table, set()).update(ids)

    @property
    def dirty(self) -> bool:
        return bool(self.db.storage.dirty)  # type: ignore[attr-defined]

    def flush(self, sync_dir: bool = True) -> None:
        # Every document is checked with the readers' models first: a write never makes
        # the file unreadable, and a file already damaged is never rewritten.  A file
        # stamped by a validating writer and unchanged since needs only the documents
        # written now checked (issue 13: thousands of untouched ones cost 100 ms).
        # ``sync_dir=False``: the caller fsyncs the folder after releasing the lock.
        data = self.db.storage.data  # type: ignore[attr-defined]
        if self.touched is None:
            check_before_write(self.path, data, self.tables)
            atomic_write_bytes(self.path, encode(data), sync_dir=sync_dir)
            return
        if self.trusted:
            changed = {
                table: {k: docs[k] for k in map(str, ids) if k in docs}
                for table, ids in self.touched.items()
                if (docs := data.get(table)) is not None
            }
            check_before_write(self.path, changed, self.tables)
        else:
            check_before_write(self.path, data, self.tables)
        payload = encode_checked(data)
        atomic_write_bytes(self.path, payload, sync_dir=sync_dir)
        self.payload = payload


class _Snapshot(NamedTuple):
    """A hot file as read and parsed before its lock was taken (issue 13, item 4): the
    transaction under the lock re-reads the bytes and reuses this parse only when they
    are exactly these, so the parse (the longest step of a submit) is not done while
    other writers wait for the lock."""

    raw: bytes
    data: TinyData
    trusted: bool
    """:func:`~credx_tui.store.files.written_checked` of ``raw``."""
    ids: dict[str, str]
    """:func:`~credx_tui.store.layout.app_ids` of ``data``."""


def _own_copy(data: TinyData) -> TinyData:
    """Tables and documents copied (not the values inside documents, which writers
    replace but never change in place): a transaction may then insert, update and
    remove without touching the snapshot that other transactions and readers share."""
    return {table: {k: dict(doc) for k, doc in docs.items()} for table, docs in data.items()}


class HotTransaction:
    """Applications and review events of one hot file (a college's bucket of students),
    under its lock.

    Reads inside the transaction see the file as it is now on disk (reloaded after the
    lock was taken), so decisions are made on the latest state."""

    def __init__(self, path: Path, snapshot: _Snapshot | None = None) -> None:
        self._file = _FileTx(path, HOT_TABLES, track=True, snapshot=snapshot)
        self.path = path
        if snapshot is not None and self._file.reused:
            self._ids_before = snapshot.ids  # computed before the lock
        else:
            self._ids_before = app_ids(self._file.storage_data)
        self.ids_after: dict[str, str] | None = None
        """The applications' ids once :meth:`index_changes` ran (the next snapshot's)."""

    # The calls of every submit and decision work on the tables directly: TinyDB's
    # queries and its copy of the whole table at each update cost about 3 ms per
    # submit on a hot file of 600 applications and 1,200 events, all under the lock
    # (issue 13, item 4).  Same results, same document ids as TinyDB gives.

    def _docs(self, table: str) -> dict[str, dict[str, Any]]:
        return self._file.db.storage.data.get(table, {})  # type: ignore[attr-defined]

    def _writable(self, table: str) -> dict[str, dict[str, Any]]:
        storage = self._file.db.storage
        return storage.data.setdefault(table, {})  # type: ignore[attr-defined]

    def _wrote(self, table: str, keys: list[str]) -> None:
        storage = self._file.db.storage
        storage.write(storage.data)  # type: ignore[attr-defined]  # marks it dirty
        # TinyDB's table object keeps a query cache and its next id: dropped, so a
        # TinyDB call later in this transaction sees what was written here.
        self._file.db._tables.pop(table, None)
        self._file.touch(table, [int(k) for k in keys])

    def _upsert(self, table: str, doc: dict[str, Any], field: str) -> None:
        """TinyDB's ``upsert(doc, Query()[field] == doc[field])``: every match updated,
        else inserted with the next id."""
        docs = self._writable(table)
        keys = [k for k, d in docs.items() if d.get(field) == doc[field]]
        for k in keys:
            docs[k].update(doc)  # this transaction's own copy (_own_copy, or parsed)
        if not keys:
            keys = [self._insert_into(docs, doc)]
        self._wrote(table, keys)

    @staticmethod
    def _insert_into(docs: dict[str, dict[str, Any]], doc: dict[str, Any]) -> str:
        key = str(max(map(int, docs), default=0) + 1)
        docs[key] = doc
        return key

    def index_changes(self) -> tuple[dict[str, str], set[str]]:
        """(added id -> 学号, removed ids) of applications since the file was loaded: what
        the college's index must learn when this transaction is written."""
        after = app_ids(self._file.db.storage.data)  # type: ignore[attr-defined]
        self.ids_after = after
        added = {i: sid for i, sid in after.items() if self._ids_before.get(i) != sid}
        return added, set(self._ids_before) - set(after)

    def applications(self, student_id: str | None = None) -> list[ExchangeApplication]:
        """Every application of the college, or of one student."""
        docs = self._docs("applications").values()
        return [
            _model(self.path, ExchangeApplication, dict(d))
            for d in docs
            if student_id is None or d.get("student_id") == student_id
        ]

    def application(self, app_id: str) -> ExchangeApplication | None:
        """One application by id."""
        for doc in self._docs("applications").values():
            if doc.get("id") == app_id:
                return _model(self.path, ExchangeApplication, dict(doc))
        return None

    def put_application(self, app: ExchangeApplication) -> None:
        """Insert or replace an application (by id)."""
        self._upsert("applications", _dump(app), "id")

    def delete_application(self, app_id: str) -> None:
        """Remove an application; its events stay, so the trail of a deletion is kept."""
        self._file.db.table("applications").remove(Query().id == app_id)

    def insert_many(
        self, apps: list[ExchangeApplication], events: list[ReviewEvent] | None = None
    ) -> None:
        """Append applications (ids not yet present) and events in one pass: for loading
        many at once, where an upsert each would rescan the table every time."""
        ids = self._file.db.table("applications").insert_multiple(_dump(a) for a in apps)
        self._file.touch("applications", ids)
        if events:
            ids = self._file.db.table("events").insert_multiple(_dump(e) for e in events)
            self._file.touch("events", ids)

    def add_upload(self, upload: UploadRecord) -> None:
        """Note that a student stored an attachment (idempotent per student and digest)."""
        q = Query()
        cond = (q.student_id == upload.student_id) & (q.sha256 == upload.sha256)
        table = self._file.db.table("uploads")
        if table.get(cond) is None:
            self._file.touch("uploads", table.insert(_dump(upload)))

    def uploads(self, student_id: str) -> list[UploadRecord]:
        """The attachments this student stored (the only ones :meth:`Services.save` lets
        an application of theirs name)."""
        docs = self._file.db.table("uploads").search(Query().student_id == student_id)
        return [_model(self.path, UploadRecord, dict(d)) for d in docs]

    def link(self, token_sha256: str) -> LinkRecord | None:
        """The link whose token hashes to ``token_sha256``, if any."""
        doc = self._file.db.table("links").get(Query().token_sha256 == token_sha256)
        return None if doc is None else _model(self.path, LinkRecord, dict(doc))

    def links(self) -> list[LinkRecord]:
        """Every link of the hot file (one person's upload links are ended together)."""
        docs = self._file.db.table("links").all()
        return [_model(self.path, LinkRecord, dict(d)) for d in docs]

    def put_link(self, link: LinkRecord) -> None:
        """Insert or replace a link (by its token's hash)."""
        ids = self._file.db.table("links").upsert(
            _dump(link), Query().token_sha256 == link.token_sha256
        )
        self._file.touch("links", ids)

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
        self._wrote("events", [self._insert_into(self._writable("events"), _dump(event))])

    def stamp_college(self, college: str) -> None:
        """Name the hot file's college (TinyDB's upsert on ``Query().name.exists()``)."""
        docs = self._writable("college")
        keys = [k for k, d in docs.items() if "name" in d]
        for k in keys:
            docs[k].update({"name": college})
        if not keys:
            keys = [self._insert_into(docs, {"name": college})]
        self._wrote("college", keys)

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


NUMBERED = re.compile(r"(.*?)(\d+)")
"""An application id as its prefix and number (``XF2026-`` and ``0008``)."""


def _read_numbers(path: Path) -> dict[str, int]:
    """The counters of :meth:`Store.numbering` (empty when absent or not ours: the hot
    files are scanned then)."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: v
        for k, v in data.items()
        if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
    }


class Store:
    """One credx data folder.  Safe to share between many processes at once."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.cache = FileCache()
        self._index_memo: dict[Path, tuple[TinyData, dict[str, str]]] = {}
        self._number_memo: dict[Path, tuple[tuple[int, int, int], dict[str, int]]] = {}
        self._signed: OrderedDict[tuple[Path, str, str], tuple[tuple[int, int, int], BaseModel]]
        self._signed = OrderedDict()
        """:meth:`_one`: validated documents with their file's stat signature."""
        self._snapshots: OrderedDict[Path, _Snapshot] = OrderedDict()
        """Hot files parsed before their lock (:meth:`_hot_tx`), the last few."""
        self._snapshot_guard = threading.Lock()
        """:meth:`_numbers_of` per hot file, with the file's stat signature."""
        self._models: OrderedDict[tuple[type, int], tuple[dict[str, Any], BaseModel]] = (
            OrderedDict()
        )
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
        recover_import(self.root)  # a crash in an import's last step is completed here
        from credx_tui.store.migrate import migrate

        self.migrated = migrate(self, data)  # an older store: brought to this schema once

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

    def index_path(self, college: str) -> Path:
        """The college's application index (outside ``hot/``, whose every file is a hot
        file of applications)."""
        return self.root / "index" / f"{college_key(college)}.json"

    def _hot_paths(self, college: str, student_id: str | None) -> list[Path]:
        if student_id is not None:
            return [self.hot_path(college, student_id)]
        folder = self.hot_dir(college)
        return sorted(folder.glob("*.json")) if folder.exists() else []

    def _lock(self, name: str) -> Path:
        return self.root / "locks" / f"{name}.lock"

    # -- reads (no lock: files are replaced atomically) ---------------------------

    def _valid(self, path: Path, cls: type[M], doc: dict[str, Any]) -> M:
        """``doc`` (a document of a cached file) as a model, validated once while the
        file is unchanged: a submit used to validate the college's programmes and the
        student's transcript again at every call (issue 13).  The model is shared:
        callers copy (``model_copy``), never change it."""
        key = (cls, id(doc))
        hit = self._models.get(key)
        if hit is not None and hit[0] is doc:
            self._models.move_to_end(key)
            return hit[1]  # type: ignore[return-value]
        model = _model(path, cls, doc)
        self._models[key] = (doc, model)  # the doc is kept: its id is not reused
        if len(self._models) > MODEL_MEMO:
            self._models.popitem(last=False)
        return model

    def _one(self, path: Path, cls: type[M], table: str, field: str, value: str) -> M | None:
        """The document of ``table`` whose ``field`` is ``value``, validated, kept with
        the stat signature of its file: while the file is unchanged it costs one stat,
        even after the file cache dropped the file (issue 13, item 4: a process
        submitting for 40 students parsed a 460 KB student shard again at each
        submit, 8 ms, once the shards no longer fitted the file cache)."""
        key = (path, table, value)
        hit = self._signed.get(key)
        if hit is not None:
            try:
                st = path.lstat()
            except OSError:
                st = None
            if st is not None and stat.S_ISREG(st.st_mode) and stat_signature(st) == hit[0]:
                with contextlib.suppress(KeyError):
                    self._signed.move_to_end(key)
                return hit[1]  # type: ignore[return-value]
        found = self.cache.entry(path)
        if found is None:
            return None
        signature, data = found
        doc = next((d for d in data.get(table, {}).values() if d.get(field) == value), None)
        if doc is None:
            return None
        model = self._valid(path, cls, doc)
        self._signed[key] = (signature, model)
        with contextlib.suppress(KeyError):
            while len(self._signed) > SIGNED_MEMO:
                self._signed.popitem(last=False)
        return model

    def _table(
        self, path: Path, table: str, field: str | None = None, value: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of a table's raw documents (of those whose ``field`` is ``value``, when
        given: filtered before copying, so one student's rows of a big hot file cost
        little)."""
        data = self.cache.get(path)
        if data is None:
            return []
        docs = data.get(table, {}).values()
        if field is None:
            return [dict(d) for d in docs]
        return [dict(d) for d in docs if d.get(field) == value]

    def programmes(self) -> list[Programme]:
        """Every 人才培养方案."""
        path = self.programmes_path
        data = self.cache.get(path)
        return [
            self._valid(path, Programme, d) for d in (data or {}).get("programmes", {}).values()
        ]

    def programme(self, major: str, grade_year: int) -> Programme | None:
        """The programme of one major and year of entry."""
        return next(
            (p for p in self.programmes() if p.major == major and p.grade_year == grade_year),
            None,
        )

    def student(self, student_id: str) -> Student | None:
        """One student, or None."""
        return self._one(self.student_path(student_id), Student, "students", "id", student_id)

    def transcript(self, student_id: str) -> Transcript | None:
        """One student's transcript, or None."""
        path = self.student_path(student_id)
        return self._one(path, Transcript, "transcripts", "student_id", student_id)

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
        return self._one(self.account_path(username), Account, "accounts", "username", username)

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
            if student_id is not None:
                docs = self._table(path, "applications", "student_id", student_id)
            else:
                docs = self._table(path, "applications")
            apps.extend(_model(path, ExchangeApplication, d) for d in docs)
        return sorted(apps, key=lambda a: (a.created_at, a.id))

    def events(
        self, college: str, app_id: str | None = None, student_id: str | None = None
    ) -> list[ReviewEvent]:
        """A college's review events (or one application's), oldest first.  Naming the
        application's student reads one hot file instead of the college's sixteen."""
        found: list[ReviewEvent] = []
        for path in self._hot_paths(college, student_id):
            if app_id is not None:
                docs = self._table(path, "events", "application_id", app_id)
            else:
                docs = self._table(path, "events")
            found.extend(_model(path, ReviewEvent, d) for d in docs)
        return sorted(found, key=lambda e: (e.at, e.id))

    def find_application(self, college: str, app_id: str) -> ExchangeApplication | None:
        """One application of a college by id, reading and validating only its own hot
        file: the index names its student (so its bucket).  A missing index, or an entry
        that is missing or wrong, costs one scan of the college's raw documents, which
        rebuilds the index (issue 13: cost independent of the college's size)."""
        sid = self._index_of(college).get(app_id)
        if sid is not None:
            found = self._app_in(self.hot_path(college, sid), app_id)
            if found is not None:
                return found
        sid = self.rebuild_index(college).get(app_id)
        return None if sid is None else self._app_in(self.hot_path(college, sid), app_id)

    def _index_of(self, college: str) -> dict[str, str]:
        """The college's index as cached (its shape checked once per change of the
        file, not per lookup); empty when missing or damaged."""
        path = self.index_path(college)
        try:
            data = self.cache.get(path)
        except StoreError:
            return {}  # damaged: the lookup falls back to the scan, which rebuilds it
        if data is None:
            return {}
        memo = self._index_memo.get(path)
        if memo is None or memo[0] is not data:
            memo = (data, index_entries(data) or {})
            self._index_memo[path] = memo
        return memo[1]

    def queue_rows(self, college: str, make: Callable[[list[Any]], R]) -> list[R]:
        """``make`` of every queue row of the college (:mod:`credx_tui.store.queue`):
        one small rows file per hot file, no application validated.  Rows that do not
        match their hot file (it was written since) or that ``make`` refuses are
        rebuilt from the hot file; its applications are validated as
        :meth:`applications` does unless the file carries its validating writer's
        digest, so damage is named, never shown."""
        found: list[R] = []
        for path in self._hot_paths(college, None):
            try:
                cached = self.cache.get(rows_path(self.root, path))
            except StoreError:
                cached = None  # damaged rows: rebuilt
            rows = fresh_rows(self.root, path, cached)
            if rows is not None:
                try:
                    found.extend(make(row) for row in rows)
                    continue
                except (ValueError, TypeError, KeyError, IndexError):
                    pass  # not rows we wrote: rebuilt below
            try:
                st, raw = read_regular(path)
            except FileNotFoundError:
                continue
            data = decode(path, raw)
            if not written_checked(raw, data):
                # Not provably as a validating writer left it: every application is
                # checked, and damage is named (never shown as a row).
                for doc in data.get("applications", {}).values():
                    _model(path, ExchangeApplication, dict(doc))
            rebuild_rows(self.root, path, data, stat_signature(st))
            found.extend(make(row) for row in rows_of(data))
        return found

    def application_of(self, college: str, student_id: str, app_id: str) -> ExchangeApplication:
        """One application, validated, from the hot file of its student."""
        found = self._app_in(self.hot_path(college, student_id), app_id)
        if found is None:
            raise StoreError(f"application {app_id} of {student_id} is no longer in the store")
        return found

    def _app_in(self, path: Path, app_id: str) -> ExchangeApplication | None:
        data = self.cache.get(path)
        for doc in (data or {}).get("applications", {}).values():
            if doc.get("id") == app_id:
                return _model(path, ExchangeApplication, dict(doc))
        return None

    def scan_index(self, college: str) -> dict[str, str]:
        """Application id -> 学号 of every hot file of the college, read now."""
        entries: dict[str, str] = {}
        for path in self._hot_paths(college, None):
            entries.update(app_ids(read_file(path) or {}))
        return entries

    def rebuild_index(self, college: str) -> dict[str, str]:
        """Scan the college and rewrite its index when it differs; the entries found.

        Under the index lock, so that a writer's update (taken inside its bucket lock,
        after its hot file is written) is never lost between the scan and the write.
        A store that cannot be written (read-only) still answers from the scan."""
        path = self.index_path(college)
        try:
            with locked(self._lock(f"index-{college_key(college)}")):
                entries = self.scan_index(college)
                if index_entries(_quiet_read(path)) != entries and (entries or path.exists()):
                    self._write_index(path, college, entries)
        except StoreWriteError:
            return self.scan_index(college)
        return entries

    def _write_index(self, path: Path, college: str | None, entries: dict[str, str]) -> None:
        atomic_write_bytes(path, encode(index_document(college, entries)))
        self.cache.forget(path)

    def _update_index(self, key: str, tx: HotTransaction) -> None:
        """Tell the college's index what ``tx`` added or removed (called inside the
        bucket lock, after the hot file is written).  No index yet: nothing to keep up
        to date; the first reader builds it."""
        added, removed = tx.index_changes()
        if not added and not removed:
            return
        path = self.root / "index" / f"{key}.json"
        if not path.exists():
            return
        with locked(self._lock(f"index-{key}")):
            data = _quiet_read(path)
            entries = index_entries(data)
            if entries is None:
                return  # damaged: the next reader rebuilds it
            for app_id in removed:
                entries.pop(app_id, None)
            entries.update(added)
            doc = (data or {}).get(INDEX_TABLE, {}).get("1", {})
            self._write_index(path, doc.get("college"), entries)

    def highest_number(self, prefix: str) -> int:
        """The highest ``N`` of an application id ``<prefix>N`` anywhere in the store
        (0 when none): every college's hot files.  A deleted application's trail is
        kept, so its events count too: a number is never given twice.

        Each file's highest numbers are kept while the file is unchanged (stat
        signature), so a second scan reads only the files written since
        (:meth:`numbering` scans once before taking its lock, once under it)."""
        highest = 0
        folder = self.root / "hot"
        for path in sorted(folder.glob("*/*.json")) if folder.exists() else []:
            highest = max(highest, self._numbers_of(path).get(prefix, 0))
        return highest

    def _numbers_of(self, path: Path) -> dict[str, int]:
        """Per id prefix, the highest number of the application ids in one hot file."""
        try:
            signature = stat_signature(path.lstat())
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
        memo = self._number_memo.get(path)
        if memo is not None and memo[0] == signature:
            return memo[1]
        data = read_file(path) or {}  # not through the cache: read once, then the memo
        ids = [d.get("id") for d in data.get("applications", {}).values()]
        ids += [d.get("application_id") for d in data.get("events", {}).values()]
        found: dict[str, int] = {}
        for app_id in ids:
            match = NUMBERED.fullmatch(str(app_id or ""))
            if match:
                found[match[1]] = max(found.get(match[1], 0), int(match[2]))
        self._number_memo[path] = (signature, found)
        return found

    # -- writes (each under its lock, reloaded inside) --------------------------

    @contextlib.contextmanager
    def numbering(self, *, keeps_ids: bool = False) -> Iterator[Callable[[str], str]]:
        """Hold the store's numbering lock; yield ``next_id(prefix)``, the next free
        ``<prefix>NNNN`` (issue 15).  Whoever writes a numbered application holds this
        lock from numbering until the hot file is written (take it *before* the hot
        lock), so two terminals submitting at once never get one number; an import
        holds it too (``keeps_ids``), and its ids (kept as they are) count for the next
        number.

        The highest number given is kept in ``locks/numbering.json`` (written, durably,
        before the application that carries it), so a save reads one small file instead
        of every hot file of the store (:meth:`highest_number`: seconds at 200,000
        students, with this lock held; issue 13).  Without that file, or with a
        damaged one, the hot files are scanned as before; an import removes it first,
        so the next number counts the ids it brought."""
        counter = self.root / "locks" / "numbering.json"
        if not keeps_ids and not counter.exists():
            # The first save without the file scans the hot files: read them before
            # the lock, so that under it only the files written since are read (at
            # 200,000 students the scan took longer than a writer waits for a lock).
            self.highest_number("")
        with locked(self._lock("numbering")):
            if keeps_ids:
                with contextlib.suppress(FileNotFoundError):
                    counter.unlink()
                    fsync_dir(counter.parent)
            known = {} if keeps_ids else _read_numbers(counter)
            given: dict[str, int] = {}

            def next_id(prefix: str) -> str:
                highest = known.get(prefix)
                if highest is None:
                    highest = self.highest_number(prefix)
                number = max(given.get(prefix, 0), highest) + 1
                given[prefix] = known[prefix] = number
                if not keeps_ids:
                    atomic_write_bytes(counter, orjson.dumps(known))
                return f"{prefix}{number:04d}"

            yield next_id

    @contextlib.contextmanager
    def hot(self, college: str, student_id: str) -> Iterator[HotTransaction]:
        """Lock the hot file holding this student's applications, reload it, and write
        it atomically when the block ends without an exception."""
        path = self.hot_path(college, student_id)
        lock = self._lock(f"hot-{college_key(college)}-{hot_bucket(student_id)}")
        with self._hot_tx(path, lock, college_key(college), college) as tx:
            yield tx

    @contextlib.contextmanager
    def hot_at(self, key: str, bucket: str) -> Iterator[HotTransaction]:
        """Like :meth:`hot`, for a hot file named by its college key and bucket (a link
        token carries those, never the 学号); only an existing file is opened."""
        if not (len(key) == 16 and len(bucket) == HOT_BUCKET_HEX) or not all(
            c in "0123456789abcdef" for c in key + bucket
        ):
            raise StoreError(f"no hot file {key}/{bucket}")
        path = self.root / "hot" / key / f"{bucket}.json"
        with self._hot_tx(path, self._lock(f"hot-{key}-{bucket}"), key, None) as tx:
            yield tx

    @contextlib.contextmanager
    def _hot_tx(
        self, path: Path, lock: Path, key: str, college: str | None
    ) -> Iterator[HotTransaction]:
        """The read-modify-write of one hot file, with as little as possible done while
        its lock is held (issue 13, item 4: with eight writers, every millisecond under
        the lock is waited for by the others):

        - the file is read and parsed *before* the lock; under it, its bytes are read
          again and the parse is reused only when they are identical (else parsed
          again there, as before);
        - the fsync of the folder that makes the rename durable comes after the lock
          is released, and before the caller is told the write succeeded.

        What the transaction decides is still decided on the file as it is under the
        lock, so credits are never spent twice and one decision is taken per state."""
        snapshot = self._hot_snapshot(path)
        wrote = False
        try:
            with locked(lock):
                tx = HotTransaction(path, snapshot)
                yield tx
                if tx._file.dirty:
                    if college is not None:
                        tx.stamp_college(college)
                    tx._file.flush(sync_dir=False)
                    wrote = True
                    data = tx._file.db.storage.data  # type: ignore[attr-defined]
                    # Still under the lock: what was written is what the next read sees.
                    self.cache.written(path, data)
                    self._update_index(key, tx)
                    if tx._file.payload is not None and tx.ids_after is not None:
                        kept = _Snapshot(tx._file.payload, data, True, tx.ids_after)
                        self._keep_snapshot(path, kept)
        finally:
            if wrote:
                fsync_dir(path.parent)

    def _hot_snapshot(self, path: Path) -> _Snapshot | None:
        """The hot file read and parsed now, without its lock (None when absent or not
        readable as data: the transaction then reads it under the lock and names the
        problem).  The last few are kept, so a process writing one file again and
        again (a student's session) does not parse its own last write."""
        try:
            _, raw = read_regular(path)
        except (FileNotFoundError, StoreError):
            return None
        with self._snapshot_guard:
            kept = self._snapshots.get(path)
            if kept is not None and kept.raw == raw:
                self._snapshots.move_to_end(path)
                return kept
        try:
            data = decode(path, raw)
        except StoreError:
            return None
        snapshot = _Snapshot(raw, data, written_checked(raw, data), app_ids(data))
        self._keep_snapshot(path, snapshot)
        return snapshot

    def _keep_snapshot(self, path: Path, snapshot: _Snapshot) -> None:
        with self._snapshot_guard:
            self._snapshots.pop(path, None)
            self._snapshots[path] = snapshot
            while len(self._snapshots) > HOT_SNAPSHOTS:
                self._snapshots.popitem(last=False)

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

    # -- the rest of the store interface (credx_tui.store.base, issue 16) ---------------

    @property
    def location(self) -> str:
        """The store folder, for messages."""
        return str(self.root)

    def has_attachment(self, sha256: str) -> bool:
        """Whether an attachment with this digest is stored."""
        return self.attachment_path(sha256).is_file()

    def stored_rules(self) -> StoredRules | None:
        """The newest rules applied (:func:`credx_tui.store.admin.stored_rules`)."""
        from credx_tui.store.admin import stored_rules

        return stored_rules(self)

    def put_rules(self, text: str, source: str) -> StoredRules:
        """Store the next rules version (:func:`credx_tui.store.admin.put_rules`)."""
        from credx_tui.store.admin import put_rules

        return put_rules(self, text, source)

    def owned_by_this_process(self) -> bool:
        """Whether this process runs as the folder's owner (admin commands)."""
        from credx_tui.store.ownership import is_owner_process

        return is_owner_process(self.root)

    def service_account(self) -> str:
        """The OS account that owns the store folder: credx's service account."""
        from credx_tui.store.ownership import owner_of

        return owner_of(self.root).pw_name

    def append_audit(self, event: AuditEvent) -> None:
        """Append one admin change (:func:`credx_tui.store.admin.append_audit`)."""
        from credx_tui.store.admin import append_audit

        append_audit(self, event)

    def audit_events(self) -> list[AuditEvent]:
        """Every admin change, oldest first (:func:`credx_tui.store.admin.audit_events`)."""
        from credx_tui.store.admin import audit_events

        return audit_events(self)

    def empty(self) -> None:
        """Remove the store folder's whole content (``credx demo --reset``); the folder
        stays, and :meth:`create` makes a store in it again."""
        import shutil

        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        self.cache.clear()
