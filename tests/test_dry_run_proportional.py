"""`credx import --dry-run` works in proportion to the students that change (issue 12,
item 3 of imp12c): what is offered is worked out only for students whose student,
transcript or programme the import changes (a transcript given again, in another
order, is no change), and for each course only when its own reasons do not already
rule it out.  The reports are those of the full comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credx_tui.services import dry_run as dry_run_module
from credx_tui.services import make_services
from credx_tui.services.dry_run import dry_run
from credx_tui.services.loading import load_demo
from credx_tui.store import Store
from fixtures import DEMO_DIR
from policy import eligibility
from policy.models import Attempt, AttemptKind, Term
from policy.rules import Rules, load_rules

STUDENT = "2023110102"
"""周雨桐: 虚拟化技术 YJ23111 failed."""


@pytest.fixture
def rules() -> Rules:
    return load_rules()


@pytest.fixture
def demo(tmp_path: Path, rules: Rules) -> Store:
    store, _ = load_demo(tmp_path / "db", rules)
    return store


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The 学号 of every dossier the dry run works out the offered courses of."""
    asked: list[str] = []
    real = eligibility.exchangeable_verdicts

    def counting(dossier, rules, exclude_application_id=None):  # type: ignore[no-untyped-def]
        asked.append(dossier.student.id)
        return real(dossier, rules, exclude_application_id)

    monkeypatch.setattr(dry_run_module.eligibility, "exchangeable_verdicts", counting)
    return asked


def _transcripts_file(path: Path, docs: list[dict]) -> Path:
    path.write_text(
        json.dumps({"format": "credx-import", "version": 1, "documents": docs}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def test_the_same_college_again_works_out_nothing(
    demo: Store, rules: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's transcripts with their records in reverse order: nothing changes,
    nothing is worked out.  The demo's own files: only the students whose
    applications the files give again (their spent credits may move)."""
    asked = _counted(monkeypatch)
    docs = json.loads((DEMO_DIR / "transcripts.json").read_text(encoding="utf-8"))["documents"]
    for doc in docs:
        doc["records"].reverse()
    report = dry_run(demo.root, [_transcripts_file(tmp_path / "reversed.json", docs)], rules)
    assert report.counts()["transcripts_changed"] == 0
    assert report.becomes_exchangeable == [] and report.applications_affected == []
    assert asked == []

    report = dry_run(demo.root, [DEMO_DIR], rules)
    assert report.counts()["transcripts_changed"] == 0
    assert report.becomes_exchangeable == [] and report.applications_affected == []
    apps = json.loads((DEMO_DIR / "applications.json").read_text(encoding="utf-8"))
    with_apps = {d["student_id"] for d in apps["documents"]}
    assert set(asked) == with_apps and len(asked) == 2 * len(with_apps)
    assert len(with_apps) < len(docs)


def test_a_term_update_works_out_only_its_student(
    demo: Store, rules: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One student's new 重修, among every transcript of the college given again: the
    offered courses of that student only, before and after."""
    docs = json.loads((DEMO_DIR / "transcripts.json").read_text(encoding="utf-8"))["documents"]
    changed = next(d for d in docs if d["student_id"] == STUDENT)
    record = next(r for r in changed["records"] if r["code"] == "YJ23111")
    record["attempts"].append(
        Attempt(
            kind=AttemptKind.RETAKE, result="70", term=Term(year="2025-2026", semester=1)
        ).model_dump(mode="json")
    )
    asked = _counted(monkeypatch)
    report = dry_run(demo.root, [_transcripts_file(tmp_path / "term.json", docs)], rules)
    assert asked == [STUDENT, STUDENT]
    assert [c.student_id for c in report.transcripts] == [STUDENT]
    assert [a[1] for a in report.applications_affected] == [STUDENT]


def test_exchangeable_verdicts_are_the_verdicts_that_are_exchangeable(
    demo: Store, rules: Rules
) -> None:
    """The short cut of the dry run says what verdicts says, for every demo student."""
    services = make_services(demo, rules)
    admin = services.actor_for("admin")
    students = list(demo.students())
    assert students
    some = 0
    for student in students:
        dossier = services.dossier(admin, student.id)
        full = [v for v in eligibility.verdicts(dossier, rules) if v.exchangeable]
        assert eligibility.exchangeable_verdicts(dossier, rules) == full
        some += len(full)
    assert some > 0  # the demo has exchangeable courses, so the comparison says something
