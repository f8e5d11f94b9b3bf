"""The reviewer's queue marks an application whose transcript changed after it was
submitted (issue 12, item 1 of imp12c): the mark is kept on the stored fingerprint by
every import that rewrites the transcript (the file store's staged import and the
PostgreSQL import), so the queue reads no transcript per row.  It says what the
decision screen says (``ReviewFile.transcript_drift.changed``): set by a term update,
cleared when the transcript is back as it was or the student submits again.  Runs on
both stores (the ``store`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from service_college import COLLEGE, OTHER_STUDENT, STUDENT, login, shot

from credx_tui.importing import ImportFailed
from credx_tui.services import Actor, QueueItem, Services
from credx_tui.services.loading import import_paths
from policy.fingerprint import stored_transcript_digest, transcript_digest
from policy.models import (
    Attempt,
    AttemptKind,
    CourseRecord,
    ExchangeApplication,
    SourceKind,
    SourceRef,
    Status,
    Term,
    Transcript,
)
from policy.rules import Rules

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")
NEXT_TERM = Term(year="2025-2026", semester=1)


def _submitted(services: Services, student: Actor) -> ExchangeApplication:
    app = services.save(student, "M1", [G1, G2], attachments=shot(services, student))
    return services.submit(student, app.id)


def _import(services: Services, rules: Rules, path: Path, *transcripts: Transcript) -> None:
    """Transcripts in the import format, through the store's own import path."""
    docs = [{"type": "transcript", **t.model_dump(mode="json")} for t in transcripts]
    path.write_text(
        json.dumps({"format": "credx-import", "version": 1, "documents": docs}),
        encoding="utf-8",
    )
    import_paths(services.store, [path], rules)


def _with_retake(transcript: Transcript, code: str, result: str) -> Transcript:
    """The transcript with one more 重修 of course ``code`` next term."""
    records = [
        r.model_copy(
            update={
                "attempts": [
                    *r.attempts,
                    Attempt(kind=AttemptKind.RETAKE, result=result, term=NEXT_TERM),
                ]
            }
        )
        if r.code == code
        else r
        for r in transcript.records
    ]
    return transcript.model_copy(update={"records": records})


def _row(services: Services, reviewer: Actor, app_id: str) -> QueueItem:
    return next(i for i in services.queue(reviewer, status=None) if i.application.id == app_id)


def _stored(services: Services, app: ExchangeApplication) -> ExchangeApplication:
    return services.store.application_of(app.college, app.student_id, app.id)


def test_a_term_update_marks_the_row_and_a_resubmit_clears_it(
    services: Services, rules: Rules, tmp_path: Path
) -> None:
    me, rev = login(services, STUDENT), login(services, "rev")
    app = _submitted(services, me)
    assert not _row(services, rev, app.id).transcript_changed

    before = services.store.transcript(STUDENT)
    assert before is not None
    _import(services, rules, tmp_path / "next.json", _with_retake(before, "M1", "52"))

    row = _row(services, rev, app.id)
    assert row.transcript_changed
    # What the decision screen says, from the row alone.
    drift = services.review_file(rev, app.id).transcript_drift
    assert drift is not None and drift.changed
    # The application itself is left as it was: same revision, same status, same date.
    stored = _stored(services, app)
    assert (stored.revision, stored.status, stored.updated_at) == (
        app.revision,
        app.status,
        app.updated_at,
    )

    returned = services.return_(rev, app.id, "请核对新的重修成绩", expected_revision=app.revision)
    assert _row(services, rev, app.id).transcript_changed  # still what was submitted
    again = services.submit(me, returned.id)
    assert again.submitted_transcript is not None and not again.submitted_transcript.changed
    assert not _row(services, rev, app.id).transcript_changed
    drift = services.review_file(rev, app.id).transcript_drift
    assert drift is not None and not drift.changed


def test_the_transcript_back_as_it_was_clears_the_mark(
    services: Services, rules: Rules, tmp_path: Path
) -> None:
    me, rev = login(services, STUDENT), login(services, "rev")
    app = _submitted(services, me)
    before = services.store.transcript(STUDENT)
    assert before is not None
    _import(services, rules, tmp_path / "wrong.json", _with_retake(before, "G3", "95"))
    assert _row(services, rev, app.id).transcript_changed
    # A decision keeps the mark: it is about the transcript, not the status.
    approved = services.approve(rev, app.id, expected_revision=app.revision)
    assert approved.status == Status.APPROVED
    assert _row(services, rev, app.id).transcript_changed

    _import(services, rules, tmp_path / "fixed.json", before)  # the registrar's correction
    assert not _row(services, rev, app.id).transcript_changed
    drift = services.review_file(rev, app.id).transcript_drift
    assert drift is not None and not drift.changed
    assert _stored(services, app).revision == approved.revision


def test_only_the_students_whose_transcript_changed_are_marked(
    services: Services, rules: Rules, tmp_path: Path
) -> None:
    """Another student's application (another college, the same hot bucket or not) and
    a re-import of an unchanged transcript leave their rows unmarked."""
    me, other = login(services, STUDENT), login(services, OTHER_STUDENT)
    mine, theirs = _submitted(services, me), _submitted(services, other)
    admin = login(services, "admin")
    mine_now = services.store.transcript(STUDENT)
    theirs_now = services.store.transcript(OTHER_STUDENT)
    assert mine_now is not None and theirs_now is not None
    _import(services, rules, tmp_path / "next.json", _with_retake(mine_now, "E2", "61"), theirs_now)
    assert _row(services, admin, mine.id).transcript_changed
    assert not _row(services, admin, theirs.id).transcript_changed
    assert _stored(services, theirs) == theirs
    assert mine.college == COLLEGE != theirs.college


def test_a_refused_import_marks_nothing(services: Services, rules: Rules, tmp_path: Path) -> None:
    """All or nothing: the mark is written with the transcripts, or not at all."""
    me, rev = login(services, STUDENT), login(services, "rev")
    app = _submitted(services, me)
    before = services.store.transcript(STUDENT)
    assert before is not None
    changed = _with_retake(before, "M1", "52")
    stranger = Transcript(student_id="2099990101", records=[])  # no such student
    with pytest.raises(ImportFailed):
        _import(services, rules, tmp_path / "bad.json", changed, stranger)
    assert not _row(services, rev, app.id).transcript_changed
    assert _stored(services, app) == app


def test_an_imported_fingerprint_is_marked_against_the_transcript_it_meets(
    services: Services, rules: Rules, tmp_path: Path
) -> None:
    """An application file that gives its own fingerprint (an export of another
    store) is marked against the transcript stored here, not trusted as it says."""
    me, rev = login(services, STUDENT), login(services, "rev")
    app = _submitted(services, me)
    before = services.store.transcript(STUDENT)
    assert before is not None
    _import(services, rules, tmp_path / "next.json", _with_retake(before, "M1", "52"))
    assert _row(services, rev, app.id).transcript_changed

    doc = {"type": "application", **_stored(services, app).model_dump(mode="json"), "events": []}
    assert doc["submitted_transcript"].pop("changed") is True  # the file says nothing
    path = tmp_path / "apps.json"
    path.write_text(
        json.dumps({"format": "credx-import", "version": 1, "documents": [doc]}),
        encoding="utf-8",
    )
    import_paths(services.store, [path], rules)
    assert _row(services, rev, app.id).transcript_changed


def test_the_stored_form_hashes_as_the_model_does() -> None:
    """The import marks from a transcript's stored JSON (no model built again): the
    same digest as the decision screen's, certificates and level exams included, and
    credits written as a whole number hash as the model's float."""
    from fixtures import DEMO_DIR

    docs = json.loads((DEMO_DIR / "transcripts.json").read_text(encoding="utf-8"))["documents"]
    assert docs
    for doc in docs:
        doc = {k: v for k, v in doc.items() if k != "type"}
        model = Transcript.model_validate(doc)
        assert stored_transcript_digest(model.model_dump(mode="json")) == transcript_digest(model)
        assert stored_transcript_digest(doc) == transcript_digest(model)  # as hand-written
    record = CourseRecord(
        code="C1",
        name="课",
        category="通识选修课",
        credits=2,
        term=NEXT_TERM,
        attempts=[Attempt(kind=AttemptKind.REGULAR, result="60", term=NEXT_TERM)],
    )
    one = Transcript(student_id=STUDENT, records=[record])
    other = Transcript(student_id=STUDENT, records=[record.model_copy(update={"credits": 3.0})])
    assert stored_transcript_digest(one.model_dump(mode="json")) != stored_transcript_digest(
        other.model_dump(mode="json")
    )
