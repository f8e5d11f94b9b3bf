"""The transcript as it was at submission (issue 12, item 2): submit keeps a
fingerprint, a term update imported afterwards leaves the application alone, and the
reviewer's file says what moved.  Term updates are spreadsheets written with openpyxl
(the importer reads them with python-calamine)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from credx_tui.cli import main
from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.services import Services, make_services
from credx_tui.services.loading import import_paths, load_demo
from credx_tui.store import Store
from fixtures import DEMO_DIR
from policy.fingerprint import drift, transcript_digest
from policy.models import ExchangeApplication, Status
from policy.rules import Rules

STUDENT = "2018110101"
"""江浩宇: 高等数学(2-1) G0101 failed at 正常考试 42 and 补考 51 (R1: exchangeable)."""
HEAD = [
    "学年",
    "学期",
    "学号",
    "姓名",
    "课程代码",
    "课程名称",
    "课程性质",
    "学分",
    "成绩",
    "考试性质",
]


def _grades(path: Path, *rows: list[object]) -> Path:
    """A 成绩 sheet as the academic system exports it: a title row, then the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成绩"
    ws.append(["2019-2020学年第二学期成绩（教务处导出）"])
    ws.append(HEAD)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


RETAKE_MATH = ["2019-2020", 2, STUDENT, "江浩宇", "G0101", "高等数学(2-1)", "必修", 4, 58, "重修"]
"""A new 重修 of the submitted target, still failed."""
LATE_ELECTIVE = ["2020-2021", 2, STUDENT, "江浩宇", "T1899", "茶文化", "通识选修", 1, 88, ""]
"""A new elective that the application does not use."""


@pytest.fixture
def demo(tmp_path: Path, rules: Rules) -> Services:
    store, _ = load_demo(tmp_path / "db", rules)
    return make_services(store, rules)


def _submit(services: Services) -> ExchangeApplication:
    me = services.actor_for(STUDENT)
    suggestion = services.suggest(me, "G0101")
    assert suggestion is not None
    attachments = [services.attach(me, DEMO_SCREENSHOT)]
    app = services.save(me, "G0101", suggestion.offer.sources, attachments=attachments)
    return services.submit(me, app.id)


def _stored(store: Store, app_id: str) -> ExchangeApplication:
    app = next((a for c in store.colleges() for a in store.applications(c) if a.id == app_id), None)
    assert app is not None
    return app


def test_submit_keeps_the_transcript_as_it_was(demo: Services) -> None:
    app = _submit(demo)
    kept = app.submitted_transcript
    assert kept is not None
    transcript = demo.store.transcript(STUDENT)
    assert kept.digest == transcript_digest(transcript)
    assert [(e.role, e.ref) for e in kept.entries] == [
        ("target", "G0101"),
        *(("source", s.ref) for s in app.sources),
    ]
    target = kept.entries[0]
    assert target.name == "高等数学(2-1)" and target.credits == 4
    assert [(a.kind.value, a.result) for a in target.attempts] == [
        ("正常考试", "42"),
        ("补考", "51"),
    ]
    # The store holds it, and nothing has changed since.
    assert _stored(demo.store, app.id).submitted_transcript == kept
    rev = demo.actor_for("rev_zn")
    assert demo.review_file(rev, app.id).transcript_drift == drift(kept, transcript)
    assert not demo.review_file(rev, app.id).transcript_drift.changed


def test_a_term_update_after_submit_is_told_and_the_application_untouched(
    demo: Services, rules: Rules, tmp_path: Path
) -> None:
    app = _submit(demo)
    before = _stored(demo.store, app.id)
    import_paths(demo.store, [_grades(tmp_path / "next.xlsx", RETAKE_MATH)], rules)
    # An import never touches an application: the only difference is the mark that
    # the transcript changed since (what the reviewer's queue shows), no new revision.
    after = _stored(demo.store, app.id)
    assert before.submitted_transcript is not None and not before.submitted_transcript.changed
    assert after.submitted_transcript is not None and after.submitted_transcript.changed
    marked = before.submitted_transcript.model_copy(update={"changed": True})
    assert after == before.model_copy(update={"submitted_transcript": marked})
    moved = demo.review_file(demo.actor_for("rev_zn"), app.id).transcript_drift
    assert moved is not None and moved.changed
    assert len(moved.entries) == 1
    then, now = moved.entries[0]
    assert (then.role, then.ref) == ("target", "G0101")
    assert [a.kind.value for a in then.attempts] == ["正常考试", "补考"]
    assert [(a.kind.value, a.result) for a in now.attempts][-1] == ("重修", "58")


def test_an_unrelated_change_is_a_change_of_the_transcript_only(
    demo: Services, rules: Rules, tmp_path: Path
) -> None:
    app = _submit(demo)
    import_paths(demo.store, [_grades(tmp_path / "next.xlsx", LATE_ELECTIVE)], rules)
    moved = demo.review_file(demo.actor_for("rev_zn"), app.id).transcript_drift
    assert moved is not None and moved.changed and moved.entries == []


def test_the_same_transcript_again_is_no_change(
    demo: Services, rules: Rules, tmp_path: Path
) -> None:
    """Re-importing the demo's transcripts (listed in another order) moves nothing."""
    app = _submit(demo)
    import_paths(demo.store, [DEMO_DIR], rules)
    moved = demo.review_file(demo.actor_for("rev_zn"), app.id).transcript_drift
    assert moved is not None and not moved.changed


def test_resubmit_takes_the_transcript_of_then(
    demo: Services, rules: Rules, tmp_path: Path
) -> None:
    app = _submit(demo)
    import_paths(demo.store, [_grades(tmp_path / "next.xlsx", RETAKE_MATH)], rules)
    rev, me = demo.actor_for("rev_zn"), demo.actor_for(STUDENT)
    demo.return_(
        rev, app.id, "请核对新的重修成绩", expected_revision=_stored(demo.store, app.id).revision
    )
    again = demo.submit(me, app.id)
    assert again.submitted_transcript != app.submitted_transcript
    assert [a.result for a in again.submitted_transcript.entries[0].attempts][-1] == "58"
    assert not demo.review_file(rev, app.id).transcript_drift.changed


def test_imported_applications_keep_what_was_kept(
    demo: Services, rules: Rules, tmp_path: Path
) -> None:
    """XF2026-0002 (审核中) arrives with the demo: it is fingerprinted against the
    transcript it came with; a term update shows; re-importing the demo's applications
    file keeps the fingerprint instead of taking the new transcript."""
    first = _stored(demo.store, "XF2026-0002").submitted_transcript
    assert first is not None
    draft = _stored(demo.store, "XF2026-0004")
    assert draft.status == Status.DRAFT and draft.submitted_transcript is None
    retake = [
        "2025-2026",
        1,
        "2023110102",
        "周雨桐",
        "YJ23111",
        "虚拟化技术",
        "必修",
        4,
        48,
        "重修",
    ]
    import_paths(demo.store, [_grades(tmp_path / "next.xlsx", retake)], rules)
    import_paths(demo.store, [DEMO_DIR / "applications.json"], rules)
    kept = _stored(demo.store, "XF2026-0002").submitted_transcript
    assert kept is not None and kept.changed  # marked: the transcript moved since
    assert kept.model_copy(update={"changed": False}) == first
    moved = demo.review_file(demo.actor_for("rev_zn"), "XF2026-0002").transcript_drift
    assert moved is not None and [e.ref for e, _ in moved.entries] == ["YJ23111"]


def test_a_store_from_before_loads_and_verifies(demo: Services, tmp_path: Path, capsys) -> None:
    """Applications stored without the new field load (it is optional) and say nothing;
    `credx verify` passes on a store with fingerprints."""
    app = _submit(demo)
    plain = app.model_dump(mode="json", exclude={"submitted_transcript"})
    old = ExchangeApplication.model_validate_json(json.dumps(plain))
    assert old.submitted_transcript is None
    assert drift(old.submitted_transcript, demo.store.transcript(STUDENT)) is None
    capsys.readouterr()
    assert main(["verify", "--db", str(demo.store.root)]) == 0, capsys.readouterr()
