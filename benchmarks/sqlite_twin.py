"""The same submit on SQLite in WAL mode: the yardstick of issue 13, item 4.

One table per kind of document (students, transcripts, programmes, applications,
events), each row the document's JSON as credx stores it.  A submit here does what
:meth:`Services.submit` does: in one write transaction, read the student, transcript,
programme and the student's applications, validate them with the same models, ask the
same policy (R2, R4, R7, R8, S4) and write the application and its event; commit with
``synchronous=FULL`` (durable, as credx's fsyncs are).  Only the storage differs.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS students (id TEXT PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS transcripts (student_id TEXT PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS programmes (major TEXT, grade_year INT, doc BLOB NOT NULL,
    PRIMARY KEY (major, grade_year));
CREATE TABLE IF NOT EXISTS applications (id TEXT PRIMARY KEY, student_id TEXT NOT NULL,
    college TEXT NOT NULL, status TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS applications_student ON applications (student_id);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, application_id TEXT NOT NULL,
    doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_application ON events (application_id);
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode with durable commits."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    return db


def load(
    path: Path,
    programmes: list[dict[str, Any]],
    students: list[tuple[str, bytes, bytes]],
    applications: list[tuple[str, str, str, str, bytes]],
    events: list[tuple[str, str, bytes]],
) -> None:
    """Fill the database in one transaction (the bench's generator calls it)."""
    db = connect(path)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO programmes VALUES (?, ?, ?)",
        [(p["major"], p["grade_year"], orjson.dumps(p)) for p in programmes],
    )
    db.executemany(
        "INSERT INTO students VALUES (?, ?)", [(sid, student) for sid, student, _ in students]
    )
    db.executemany("INSERT INTO transcripts VALUES (?, ?)", [(sid, tr) for sid, _, tr in students])
    db.executemany("INSERT INTO applications VALUES (?, ?, ?, ?, ?)", applications)
    db.executemany("INSERT INTO events VALUES (?, ?, ?)", events)
    db.execute("COMMIT")
    db.close()


class Twin:
    """Save and submit for one process, on SQLite."""

    def __init__(self, path: Path) -> None:
        # Imported here, not at the first submit: credx's services have imported the
        # same policy modules before their first submit is timed (a first submit
        # importing them took 250-500 ms on a loaded machine).
        from policy import dossier, offers, workflow  # noqa: F401
        from policy.rules import load_rules

        self.db = connect(path)
        self.rules = load_rules()

    def _dossier(self, sid: str) -> Any:
        from policy.dossier import Dossier
        from policy.models import ExchangeApplication, Programme, Student, Transcript

        student = Student.model_validate(
            orjson.loads(
                self.db.execute("SELECT doc FROM students WHERE id=?", (sid,)).fetchone()[0]
            )
        )
        transcript = Transcript.model_validate(
            orjson.loads(
                self.db.execute(
                    "SELECT doc FROM transcripts WHERE student_id=?", (sid,)
                ).fetchone()[0]
            )
        )
        row = self.db.execute(
            "SELECT doc FROM programmes WHERE major=? AND grade_year=?",
            (student.major, student.grade_year),
        ).fetchone()
        programme = Programme.model_validate(orjson.loads(row[0])) if row else None
        apps = [
            ExchangeApplication.model_validate(orjson.loads(doc))
            for (doc,) in self.db.execute(
                "SELECT doc FROM applications WHERE student_id=?", (sid,)
            ).fetchall()
        ]
        return Dossier(
            student=student, programme=programme, transcript=transcript, applications=apps
        )

    def save(self, sid: str, app: Any) -> None:
        """Store a draft as it is (untimed setup)."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute(
            "INSERT OR REPLACE INTO applications VALUES (?, ?, ?, ?, ?)",
            (app.id, sid, app.college, app.status.value, orjson.dumps(app.model_dump(mode="json"))),
        )
        self.db.execute("COMMIT")

    def submit(self, sid: str, app_id: str, event_id: str) -> None:
        """What :meth:`Services.submit` does, on SQLite."""
        from policy import offers, workflow
        from policy.models import ExchangeApplication, ReviewAction, ReviewEvent
        from policy.offers import Offer

        now = datetime.now(UTC)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            dossier = self._dossier(sid)
            app = next(a for a in dossier.applications if a.id == app_id)
            check = offers.evaluate_offer(
                dossier,
                Offer(target=app.target, sources=app.sources, application_id=app.id),
                self.rules,
            )
            if not check.acceptable or workflow.missing_evidence(app, self.rules):
                raise RuntimeError(f"refused: {check.reasons}")
            app = workflow.apply(ReviewAction.SUBMIT, app, self.rules, now)
            app = ExchangeApplication.model_validate(app.model_dump())
            event = ReviewEvent(
                id=event_id,
                application_id=app.id,
                action=ReviewAction.SUBMIT,
                actor=sid,
                actor_role="student",
                at=now,
                status_after=app.status,
            )
            self.db.execute(
                "UPDATE applications SET status=?, doc=? WHERE id=?",
                (app.status.value, orjson.dumps(app.model_dump(mode="json")), app.id),
            )
            self.db.execute(
                "INSERT INTO events VALUES (?, ?, ?)",
                (event.id, app.id, orjson.dumps(event.model_dump(mode="json"))),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
