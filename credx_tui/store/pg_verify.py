"""``credx verify`` of a PostgreSQL store (issue 16): the file store's checks, by row.

Every document against the model its readers use, and against the key columns beside
it (a row whose ``id`` column says one thing and whose document another would be found
by one query and shown by another); every cross-reference the file store's verify
proves (application -> student of the same college, target and sources -> transcript,
attachments and uploads -> stored attachments whose SHA-256 matches, events ->
applications or their deletion, no source spent by two live applications, student
accounts -> students, step within the review chain).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from credx_tui.store.layout import college_key, hot_bucket
from credx_tui.store.schema import LinkRecord, UploadRecord
from credx_tui.store.verify import application_damage
from policy.models import (
    LIVE_STATUSES,
    Account,
    ExchangeApplication,
    Programme,
    ReviewAction,
    ReviewEvent,
    Role,
    Student,
    Transcript,
)
from policy.validation import first_error

if TYPE_CHECKING:
    from credx_tui.store.pg import PgStore


def verify_pg(store: PgStore, rules: Any = None) -> list[str]:
    """Every damage of the database (empty when sound)."""
    damage: list[str] = []

    def rows(sql: str) -> list[Any]:
        return store._fetch(sql)

    def valid(table: str, key: str, cls: type[BaseModel], doc: Any) -> Any:
        try:
            return cls.model_validate(doc)
        except ValidationError as exc:
            first, _ = first_error(exc)
            damage.append(f"table {table} row {key} ({cls.__name__}) {first.invalid()}")
            return None

    def mismatch(table: str, key: str, column: str, found: Any, expected: Any) -> None:
        if found != expected:
            damage.append(
                f"table {table} row {key}: column {column} is {found!r} but its document "
                f"says {expected!r}"
            )

    for major, year, college, doc in rows("SELECT major, grade_year, college, doc FROM programmes"):
        p = valid("programmes", f"{major} {year}", Programme, doc)
        if p is not None:
            mismatch("programmes", f"{major} {year}", "major", major, p.major)
            mismatch("programmes", f"{major} {year}", "grade_year", year, p.grade_year)
            mismatch("programmes", f"{major} {year}", "college", college, p.college)
    students: dict[str, Student] = {}
    for sid, college, doc in rows("SELECT id, college, doc FROM students"):
        s = valid("students", sid, Student, doc)
        if s is not None:
            mismatch("students", sid, "id", sid, s.id)
            mismatch("students", sid, "college", college, s.college)
            students[s.id] = s
    transcripts: dict[str, Transcript] = {}
    for sid, doc in rows("SELECT student_id, doc FROM transcripts"):
        t = valid("transcripts", sid, Transcript, doc)
        if t is not None:
            mismatch("transcripts", sid, "student_id", sid, t.student_id)
            transcripts[t.student_id] = t
    for sid in sorted(set(transcripts) - set(students)):
        damage.append(f"transcript of {sid}: no such student")
    attachments: dict[str, bytes] = {
        d: bytes(p) for d, p in rows("SELECT sha256, payload FROM attachments")
    }
    for digest, payload in sorted(attachments.items()):
        if hashlib.sha256(payload).hexdigest() != digest:
            damage.append(f"attachment {digest}: does not match its SHA-256 (damaged)")
    apps: dict[str, ExchangeApplication] = {}
    steps = len(rules.review_steps) if rules is not None else None
    for row in rows(
        "SELECT id, college, key, bucket, student_id, status, step, doc FROM applications"
    ):
        app_id, college, key, bucket, sid, status, step, doc = row
        app = valid("applications", app_id, ExchangeApplication, doc)
        if app is None:
            continue
        for column, found, expected in (
            ("id", app_id, app.id),
            ("college", college, app.college),
            ("key", key, college_key(app.college)),
            ("bucket", bucket, hot_bucket(app.student_id)),
            ("student_id", sid, app.student_id),
            ("status", status, app.status.value),
            ("step", step, app.step),
        ):
            mismatch("applications", app_id, column, found, expected)
        apps[app.id] = app
        damage.extend(
            application_damage(
                f"application {app.id}", app, students, transcripts, attachments, steps
            )
        )
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for app in apps.values():
        if app.status in LIVE_STATUSES:
            for src in app.sources:
                holders[(app.student_id, src.ref)].append(app.id)
    for (sid, ref), ids in sorted(holders.items()):
        if len(ids) > 1:
            damage.append(
                f"application {ids[0]}: source {ref} of student {sid} is spent by "
                f"{len(ids)} live applications ({', '.join(sorted(ids))})"
            )
    events = []
    for seq, app_id, doc in rows("SELECT seq, application_id, doc FROM events"):
        e = valid("events", str(seq), ReviewEvent, doc)
        if e is not None:
            mismatch("events", str(seq), "application_id", app_id, e.application_id)
            events.append(e)
    deleted = {e.application_id for e in events if e.action == ReviewAction.DELETE}
    seen: set[str] = set()
    for e in events:
        if e.id in seen:
            damage.append(f"review event id {e.id} is used twice")
        seen.add(e.id)
        if e.application_id not in apps and e.application_id not in deleted:
            damage.append(
                f"review event {e.id} is of application {e.application_id}, which does not "
                "exist and was never deleted"
            )
    for sid, digest, doc in rows("SELECT student_id, sha256, doc FROM uploads"):
        u = valid("uploads", f"{sid} {digest[:12]}", UploadRecord, doc)
        if u is not None and u.sha256 not in attachments:
            damage.append(f"upload {u.sha256[:12]} of {sid} has no attachment")
    for token, doc in rows("SELECT token_sha256, doc FROM links"):
        valid("links", token[:12], LinkRecord, doc)
    from credx_tui.store.admin import AuditEvent

    for seq, doc in rows("SELECT seq, doc FROM audit ORDER BY seq"):
        valid("audit", str(seq), AuditEvent, doc)
    from credx_tui.passwords import hash_problem

    for username, doc in rows("SELECT username, doc FROM accounts"):
        a = valid("accounts", username, Account, doc)
        if a is None:
            continue
        mismatch("accounts", username, "username", username, a.username)
        if a.role == Role.STUDENT and a.username not in students:
            damage.append(f"student account {a.username}: no such student")
        found = hash_problem(a.password_hash)
        if found is not None:
            damage.append(f"account {a.username}: password_hash {found}")
    return damage
