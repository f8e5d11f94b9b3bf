"""``credx migrate --from A --to B``: a whole store from a folder to PostgreSQL or back
(issue 16), all or nothing, proved by ``verify`` and a content digest on both sides.

What moves is every document as the readers see it (programmes, students, transcripts,
accounts, applications, review events, uploads, links), every attachment, every rules
version and the audit log of admin changes, each into the same place of the other layout (the hot bucket of its
student, under its college).  Derived data (the file store's indexes and queue rows,
the database's index columns) is made by the destination.

All or nothing: the source must verify clean and the destination must be empty.  A
folder is built beside the destination and renamed into place only once it verifies
and its digest equals the source's; a database is written in one transaction and, if
the check after the commit fails, emptied again in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from credx_tui.store.base import DocumentStore, is_database_url
from credx_tui.store.files import StoreError, atomic_write_bytes, encode, make_dirs, read_file
from credx_tui.store.store import Store, college_key, hot_bucket

KINDS = (
    "programmes",
    "students",
    "transcripts",
    "accounts",
    "applications",
    "events",
    "uploads",
    "links",
    "attachments",
    "rules",
    "audit",
)
"""What a store holds, in the order it is written (``audit``: the admin changes of
``credx audit``, oldest first)."""


@dataclass
class Content:
    """Every document of a store; hot documents keep their (college, key, bucket)."""

    docs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    hot: dict[str, list[tuple[str, str, str, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    attachments: dict[str, bytes] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """How many of each kind."""
        found = {k: len(v) for k, v in self.docs.items()}
        found.update({k: len(v) for k, v in self.hot.items()})
        found["attachments"] = len(self.attachments)
        return {k: found.get(k, 0) for k in KINDS}


def _canon(doc: Any) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def read_content(store: DocumentStore) -> Content:
    """Every document of ``store`` (validated by its readers on the way)."""
    content = Content()
    content.docs["programmes"] = [p.model_dump(mode="json") for p in store.programmes()]
    students = list(store.students())
    content.docs["students"] = [s.model_dump(mode="json") for s in students]
    for s in students:
        t = store.transcript(s.id)
        if t is not None:
            content.docs["transcripts"].append(t.model_dump(mode="json"))
    content.docs["accounts"] = [a.model_dump(mode="json") for a in store.accounts()]
    if isinstance(store, Store):
        _hot_of_folder(store, content)
        content.docs["rules"] = _folder_rules(store)
        folder = store.root / "attachments"
        digests = sorted(p.name for p in folder.glob("*/*")) if folder.exists() else []
    else:
        _hot_of_database(store, content)
        content.docs["rules"] = store.rules_versions()  # type: ignore[attr-defined]
        digests = [r[0] for r in store._fetch("SELECT sha256 FROM attachments ORDER BY 1")]  # type: ignore[attr-defined]
    for digest in digests:
        content.attachments[digest] = store.read_attachment(digest)  # checks the digest
    content.docs["audit"] = [e.model_dump(mode="json") for e in store.audit_events()]
    return content


def _hot_of_folder(store: Store, content: Content) -> None:
    from credx_tui.store.schema import HOT_TABLES, document_problems

    for college in store.colleges():
        for path in store._hot_paths(college, None):
            data = read_file(path) or {}
            problems = document_problems(path, data, HOT_TABLES)
            if problems:
                raise StoreError(problems[0] + "; run credx verify")
            key, bucket = path.parent.name, path.stem
            for table in ("applications", "events", "uploads", "links"):
                for doc in data.get(table, {}).values():
                    content.hot[table].append((college, key, bucket, dict(doc)))


def _hot_of_database(store: Any, content: Content) -> None:
    from credx_tui.store.pg import _model
    from credx_tui.store.schema import HOT_TABLES

    names = dict(store._fetch("SELECT key, name FROM colleges"))
    queries = {
        "applications": "SELECT key, bucket, doc FROM applications ORDER BY seq",
        "events": "SELECT key, bucket, doc FROM events ORDER BY seq",
        "uploads": "SELECT key, bucket, doc FROM uploads ORDER BY student_id, sha256",
        "links": "SELECT key, bucket, doc FROM links ORDER BY token_sha256",
    }
    for table, sql in queries.items():
        for key, bucket, doc in store._fetch(sql):
            _model(f"table {table}", HOT_TABLES[table], doc)
            content.hot[table].append((names.get(key, ""), key, bucket, doc))


def _folder_rules(store: Store) -> list[dict[str, Any]]:
    from credx_tui.store.admin import RULES_FILE

    data = read_file(store.root / RULES_FILE) or {}
    docs = [d for d in data.get("rules", {}).values() if isinstance(d, dict)]
    return sorted(docs, key=lambda d: int(d.get("version", 0)))


def _items(content: Content, kind: str) -> list[bytes]:
    """One kind's documents, canonical and sorted (independent of the layout)."""
    if kind == "attachments":
        items = [_canon([d, hashlib.sha256(p).hexdigest()]) for d, p in content.attachments.items()]
    elif kind in content.hot:
        items = [_canon([c, k, b, d]) for c, k, b, d in content.hot[kind]]
    else:
        items = [_canon(d) for d in content.docs.get(kind, [])]
    return sorted(items)


def digest_of(content: Content) -> str:
    """SHA-256 of the content in a canonical order (independent of the layout)."""
    sha = hashlib.sha256()
    for kind in KINDS:
        sha.update(kind.encode() + b"\0")
        for item in _items(content, kind):
            sha.update(item + b"\n")
    return sha.hexdigest()


def differences(here: DocumentStore, there: DocumentStore) -> list[str]:
    """What differs between two stores' content, one line per kind (empty: the same
    content): ``credx verify --same-as`` on both sides of a migration, the audit log of
    admin changes included (issue 16)."""
    mine, theirs = read_content(here), read_content(there)
    found = []
    for kind in KINDS:
        a, b = _items(mine, kind), _items(theirs, kind)
        if a == b:
            continue
        only_here, only_there = len(set(a) - set(b)), len(set(b) - set(a))
        found.append(
            f"{kind}: {len(a)} here, {len(b)} in {there.location}; {only_here} only here, "
            f"{only_there} only there"
        )
    return found


def content_digest(store: DocumentStore) -> str:
    """The content digest of a store (``credx verify`` prints it)."""
    return digest_of(read_content(store))


@dataclass
class MigrationReport:
    """What moved, and the digest both sides share."""

    counts: dict[str, int]
    digest: str

    def summary(self) -> str:
        """One line per kind, then the digest."""
        lines = [f"{kind}: {n}" for kind, n in self.counts.items()]
        return "\n".join([*lines, f"content sha256: {self.digest} (source and destination)"])


def migrate(source: str | Path, destination: str | Path) -> MigrationReport:
    """Copy the store at ``source`` to the empty ``destination`` (a folder or a
    PostgreSQL URL), all or nothing; raises StoreError naming what stopped it."""
    from credx_tui.store.opening import open_store

    if str(source) == str(destination):
        raise StoreError("--from and --to name the same store")
    src = open_store(source)
    damage = src.verify()
    if damage:
        raise StoreError(
            f"{src.location}: the source does not verify ({len(damage)} problem(s), first: "
            f"{damage[0]}); run credx verify there first. Nothing was written."
        )
    content = read_content(src)
    digest = digest_of(content)
    if is_database_url(destination):
        _to_database(str(destination), content, digest)
    else:
        _to_folder(Path(destination), content, digest)
    return MigrationReport(content.counts(), digest)


def _check_copy(store: DocumentStore, digest: str) -> None:
    damage = store.verify()
    if damage:
        raise StoreError(f"{store.location}: the copy does not verify: {damage[0]}")
    found = content_digest(store)
    if found != digest:
        raise StoreError(
            f"{store.location}: the copy's content differs from the source "
            f"(sha256 {found[:12]} instead of {digest[:12]})"
        )


def _to_folder(root: Path, content: Content, digest: str) -> None:
    if root.exists() and any(root.iterdir()):
        raise StoreError(f"{root}: not empty; migrate only into a new or empty folder")
    make_dirs(root.parent)
    work = Path(tempfile.mkdtemp(prefix=f".{root.name}.migrate-", dir=root.parent))
    try:
        store = Store.create(work / "store")
        _write_folder(store, content)
        _check_copy(store, digest)
        if root.exists():
            root.rmdir()
        os.replace(work / "store", root)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_folder(store: Store, content: Content) -> None:
    from credx_tui.store.admin import RULES_FILE, AuditEvent
    from policy.models import Account, Programme, Student, Transcript

    with store.bulk() as tx:
        for doc in content.docs["programmes"]:
            tx.put_programme(Programme.model_validate(doc))
        for doc in content.docs["students"]:
            tx.put_student(Student.model_validate(doc))
        for doc in content.docs["transcripts"]:
            tx.put_transcript(Transcript.model_validate(doc))
    for doc in content.docs["accounts"]:
        account = Account.model_validate(doc)
        with store.account_tx(account.username) as atx:
            atx.put(account)
    groups: dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for table, rows in content.hot.items():
        for college, key, bucket, doc in rows:
            groups[(college, key, bucket)][table].append(doc)
    for (college, key, bucket), tables in sorted(groups.items()):
        if college_key(college) != key:
            raise StoreError(f"hot bucket {key}/{bucket}: its college {college!r} is unknown")
        with store.hot_at(key, bucket) as htx:
            db = htx._file.db
            htx._file.touch("college", db.table("college").insert({"name": college}))
            for table in ("applications", "events", "uploads", "links"):
                if tables.get(table):
                    ids = db.table(table).insert_multiple(tables[table])
                    htx._file.touch(table, ids)
    if content.docs["rules"]:
        data = {"rules": {str(d["version"]): d for d in content.docs["rules"]}}
        atomic_write_bytes(store.root / RULES_FILE, encode(data))
    for payload in content.attachments.values():
        store.put_attachment(payload)
    for doc in content.docs["audit"]:
        store.append_audit(AuditEvent.model_validate(doc))


def _to_database(url: str, content: Content, digest: str) -> None:
    from psycopg.types.json import Jsonb

    from credx_tui.store.pg import PgStore

    store = PgStore.create(url)
    try:
        with store._tx() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename NOT IN ('credx_meta', 'numbering')"
                ).fetchall()
            ]
            for table in tables:
                if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:  # type: ignore[index]
                    raise StoreError(
                        f"{store.location}: table {table} is not empty; migrate only into "
                        "a new or empty credx database"
                    )
            conn.execute("SELECT 1 FROM numbering WHERE name = 'bulk' FOR UPDATE")
            _write_database(conn, content, Jsonb)
        try:
            _check_copy(store, digest)
        except StoreError:
            with store._tx() as conn, contextlib.suppress(Exception):
                conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            raise
    finally:
        store.close()


def _write_database(conn: Any, content: Content, jsonb: Any) -> None:
    """Every row with COPY (one stream per table, not a round trip per row)."""
    docs = content.docs

    def copy(table: str, columns: str, rows: Any) -> None:
        with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as out:
            for row in rows:
                out.write_row(row)

    copy(
        "programmes",
        "major, grade_year, college, doc",
        ((d["major"], d["grade_year"], d["college"], jsonb(d)) for d in docs["programmes"]),
    )
    copy(
        "students",
        "id, college, doc",
        ((d["id"], d["college"], jsonb(d)) for d in docs["students"]),
    )
    copy(
        "transcripts", "student_id, doc", ((d["student_id"], jsonb(d)) for d in docs["transcripts"])
    )
    copy("accounts", "username, doc", ((d["username"], jsonb(d)) for d in docs["accounts"]))
    colleges = {(c, k) for rows in content.hot.values() for c, k, _, _ in rows}
    copy("colleges", "name, key", sorted(colleges))
    buckets = {(k, b) for rows in content.hot.values() for _, k, b, _ in rows}
    copy("hot_locks", "key, bucket", sorted(buckets))
    for _, key, bucket, d in content.hot["applications"]:
        if hot_bucket(d["student_id"]) != bucket or college_key(d["college"]) != key:
            raise StoreError(f"application {d['id']}: not in its student's hot bucket")
    copy(
        "applications",
        "id, college, key, bucket, student_id, status, step, doc",
        (
            (d["id"], d["college"], key, bucket, d["student_id"], d["status"], d["step"], jsonb(d))
            for _, key, bucket, d in content.hot["applications"]
        ),
    )
    copy(
        "events",
        "id, application_id, college, key, bucket, doc",
        (
            (d["id"], d["application_id"], college, key, bucket, jsonb(d))
            for college, key, bucket, d in content.hot["events"]
        ),
    )
    copy(
        "uploads",
        "student_id, sha256, key, bucket, doc",
        ((d["student_id"], d["sha256"], k, b, jsonb(d)) for _, k, b, d in content.hot["uploads"]),
    )
    copy(
        "links",
        "token_sha256, key, bucket, expires_at, doc",
        (
            (d["token_sha256"], k, b, d["expires_at"], jsonb(d))
            for _, k, b, d in content.hot["links"]
        ),
    )
    copy("attachments", "sha256, payload", content.attachments.items())
    copy("rules", "version, doc", ((int(d["version"]), jsonb(d)) for d in docs["rules"]))
    copy("audit", "doc", ((jsonb(d),) for d in docs["audit"]))
