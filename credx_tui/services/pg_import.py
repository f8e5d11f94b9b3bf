"""Imports into a PostgreSQL store (issue 16): the importer's checks, one transaction.

The file store streams a big import through staged files (:mod:`.staged_import`);
PostgreSQL has transactions of its own, so here a bundle checked by the importer
(:func:`credx_tui.importing.parse_files`, the same messages) is written in one
transaction under the ``bulk`` row lock and each hot bucket's row lock: all or nothing,
and re-importing the same files changes nothing (same documents are not rewritten, a
plain password that still verifies keeps its hash, events already there are not added).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from credx_tui.importing import ImportBundle, parse_files
from credx_tui.services.existing import existing_bundle
from credx_tui.services.rows import summarise
from credx_tui.services.staged_import import ImportReport
from policy.dossier import Dossier
from policy.fingerprint import SUBMITTED, fingerprint, for_import, marked, transcript_digest
from policy.models import (
    ExchangeApplication,
    Student,
    Transcript,
)
from policy.rules import Rules

if TYPE_CHECKING:
    from credx_tui.sheets import Mapping
    from credx_tui.store.pg import PgBulkTransaction, PgStore


def write_bundle_pg(store: PgStore, bundle: ImportBundle) -> ImportReport:
    """Write a validated bundle into ``store`` in one transaction."""
    report = ImportReport()
    transcripts = {t.student_id: t for t in bundle.transcripts}
    students = {s.id: s for s in bundle.students}
    with store.bulk() as tx:
        for programme in bundle.programmes:
            report.count("programmes", tx.put_programme(programme))
        for student in bundle.students:
            report.count("students", tx.put_student(student))
        rewritten: set[str] = set()
        for transcript in bundle.transcripts:
            changed = tx.put_transcript(transcript)
            report.count("transcripts", changed)
            if changed:
                rewritten.add(transcript.student_id)
        for spec in bundle.accounts:
            current = tx.account(spec.username)
            account = spec.stored_over(current)
            changed = current != account
            report.count("accounts", changed)
            if changed:
                tx.put_account(account)
        own: set[str] = set()
        if bundle.applications:
            own = _applications(store, tx, bundle, transcripts, students, report)
        _mark(store, tx, rewritten | own, transcripts)
    return report


def _mark(
    store: PgStore,
    tx: PgBulkTransaction,
    student_ids: set[str],
    transcripts: dict[str, Transcript],
) -> None:
    """Set or clear the ``changed`` mark of the applications of ``student_ids`` (their
    transcript rewritten by this import, or a fingerprint given by the import file)
    against the transcript they now meet (policy.fingerprint.marked), as the file
    store's import does; nothing else of an application is changed."""
    for college, student_id in tx.fingerprinted(sorted(student_ids)):
        transcript = transcripts.get(student_id) or store.transcript(student_id)
        if transcript is None:
            continue
        now = transcript_digest(transcript)
        hot = tx.hot(college, student_id)
        for app in hot.applications(student_id):
            kept = app.submitted_transcript
            if kept is None:
                continue
            mark = marked(kept, now)
            if mark is not kept:
                hot.put_application(app.model_copy(update={"submitted_transcript": mark}))


def _applications(
    store: PgStore,
    tx: PgBulkTransaction,
    bundle: ImportBundle,
    transcripts: dict[str, Transcript],
    students: dict[str, Student],
    report: ImportReport,
) -> set[str]:
    """Write the bundle's applications; returns the 学号 of those whose fingerprint
    the import file gave (to be marked against the transcript they meet)."""
    own: set[str] = set()
    # Imported ids are kept; the numbering row lock keeps a save elsewhere from
    # numbering an id being imported now (issue 15), as the file store's import does.
    tx.lock_numbering()
    specs = sorted(
        bundle.applications, key=lambda s: (s.application.college, s.application.student_id)
    )
    for spec in specs:
        app = spec.application
        if app.submitted_transcript is not None:
            own.add(app.student_id)
        hot = tx.hot(app.college, app.student_id)
        stored = hot.application(app.id)
        app = _with_fingerprint(store, app, stored, transcripts)
        app = _with_summary(store, app, students, transcripts)
        changed = stored is None or stored != app
        report.count("applications", changed)
        if changed:
            hot.put_application(app)
        known = {e.id for e in hot.events(app.id)}
        for event in spec.events:
            new = event.id not in known
            report.count("events", new)
            if new:
                hot.add_event(event)
                known.add(event.id)
        tx.note_college(app.college)
    return own


def _with_fingerprint(
    store: PgStore,
    app: ExchangeApplication,
    stored: ExchangeApplication | None,
    transcripts: dict[str, Transcript],
) -> ExchangeApplication:
    kept = stored.submitted_transcript if stored is not None else None
    fresh = app.submitted_transcript is None and kept is None
    if fresh and app.status in SUBMITTED and app.student_id in transcripts:
        return app.model_copy(
            update={"submitted_transcript": fingerprint(transcripts[app.student_id], app)}
        )
    stored_app = None
    if kept is not None:
        stored_app = app.model_copy(update={"submitted_transcript": kept})
    return for_import(app, stored_app, lambda: store.transcript(app.student_id))


def _with_summary(
    store: PgStore,
    app: ExchangeApplication,
    students: dict[str, Student],
    transcripts: dict[str, Transcript],
) -> ExchangeApplication:
    if app.summary is not None:
        return app
    student = students.get(app.student_id) or store.student(app.student_id)
    transcript = transcripts.get(app.student_id) or store.transcript(app.student_id)
    if student is None or transcript is None:
        return app
    dossier = Dossier.model_construct(student=student, transcript=transcript)
    return app.model_copy(update={"summary": summarise(dossier, app.target)})


def import_files_pg(
    store: PgStore, paths: list[Path], rules: Rules, mapping: Mapping | None = None
) -> ImportReport:
    """Check import files and spreadsheets with the importer (every problem named,
    nothing written when one is found), then write them in one transaction."""

    bundle = parse_files(paths, rules, existing=existing_bundle(store), mapping=mapping)
    return write_bundle_pg(store, bundle)
