"""A reviewer process and a student process on one store at the same time (issue 4):
every submission, return, resubmission and approval is kept, none is written twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from service_college import COLLEGE, bundle, location, reopen

from credx_tui.importing import AccountSpec
from credx_tui.services.loading import apply_bundle
from credx_tui.store import Store
from policy.models import ReviewAction, Status, Transcript

WORKER = str(Path(__file__).with_name("review_worker.py"))
STUDENTS = [f"20990103{n:02d}" for n in range(12)]
pytestmark = pytest.mark.slow


def add_students(store: Store) -> None:
    """Twelve more students of the test college, each with 高等数学(2-1) failed after
    补考 and 6 elective credits, so each can apply once."""
    base = bundle()
    model = next(s for s in base.students if s.college == COLLEGE)
    records = base.transcripts[0].records
    extra = base.model_copy(
        update={
            "programmes": [],
            "students": [
                model.model_copy(update={"id": sid, "name": f"学生{sid[-2:]}"}) for sid in STUDENTS
            ],
            "transcripts": [Transcript(student_id=sid, records=records) for sid in STUDENTS],
            "accounts": [
                AccountSpec(username=sid, role="student", password="pw") for sid in STUDENTS
            ],
        }
    )
    apply_bundle(store, extra)


def test_reviewer_and_student_processes_lose_nothing(store: Store) -> None:
    add_students(store)
    root = location(store)
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (["reviewer", root, str(len(STUDENTS))], ["student", root, *STUDENTS])
    ]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=150)
        assert proc.returncode == 0, err
        outs.append(out)
    reviewer_out, student_out = outs
    assert reviewer_out.count("approved ") == len(STUDENTS), reviewer_out
    assert student_out.count("submitted ") == 2 * len(STUDENTS)  # submitted + resubmitted
    assert student_out.rstrip().endswith("done")

    fresh = reopen(store)
    apps = [a for a in fresh.applications(COLLEGE) if a.student_id in STUDENTS]
    assert len(apps) == len(STUDENTS) and all(a.status == Status.APPROVED for a in apps)
    for app in apps:
        actions = [e.action for e in fresh.events(COLLEGE, app.id, app.student_id)]
        assert actions == [
            ReviewAction.SAVE,
            ReviewAction.SUBMIT,
            ReviewAction.RETURN,
            ReviewAction.SUBMIT,
            ReviewAction.APPROVE,
        ], (app.id, actions)
    assert fresh.verify() == []


def test_two_reviewers_deciding_one_application_one_wins(store: Store) -> None:
    """Two reviewer processes decide the same revision at the same instant (one
    approves, one returns): exactly one decision is taken, the other is told it lost
    (Conflict), and the trail holds one decision for that revision."""
    import time

    from service_college import STUDENT, login, shot

    from credx_tui.services import make_services
    from policy.models import SourceKind, SourceRef
    from policy.rules import load_rules

    second = bundle().model_copy(
        update={
            "programmes": [],
            "students": [],
            "transcripts": [],
            "accounts": [
                AccountSpec(username="rev2", role="reviewer", colleges=[COLLEGE], password="pw")
            ],
        }
    )
    apply_bundle(store, second)
    services = make_services(store, load_rules())
    me = login(services, STUDENT)
    sources = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=r) for r in ("G1", "G2")]
    app = services.save(me, "M1", sources, attachments=shot(services, me))
    app = services.submit(me, app.id)
    start = f"{time.time() + 1.5}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                WORKER,
                "decide",
                location(store),
                who,
                app.id,
                str(app.revision),
                start,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("rev", "rev2")
    ]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outs.append(out.strip())
    assert sorted(o.split()[0] for o in outs) == ["lost", "ok"], outs
    decisions = [
        e
        for e in reopen(store).events(COLLEGE, app.id, STUDENT)
        if e.action in (ReviewAction.APPROVE, ReviewAction.RETURN)
    ]
    assert len(decisions) == 1, decisions
    assert reopen(store).verify() == []
