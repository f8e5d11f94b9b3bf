"""Issue 11, property: any text a model accepts round-trips through the store and
through ``credx check`` with no control character reaching stdout; any text it refuses
is a normal refusal (BadText), never another exception."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from service_college import STUDENT, login

from credx_tui.cli import main
from credx_tui.services import BadText, Services, make_services
from credx_tui.store import Store
from policy.models import CourseRecord, SourceKind, SourceRef
from policy.rules import load_rules
from policy.text import has_terminal_controls

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")

# Every kind of character, with the dangerous ones made likely.
NASTY = st.sampled_from(
    list("\x00\x07\x08\t\n\r\x1b\x7f\x85\x9b\u200b\u200d\u202e\u2066\u2028\ufeff\ud800e\u0301")
)
TEXT = st.lists(st.one_of(st.characters(), NASTY), max_size=70).map("".join)


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory) -> Services:
    from service_college import make_store

    return make_services(make_store(tmp_path_factory.mktemp("rt") / "db"), load_rules())


def _check_output(root: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["--db", str(root), "--lang", "en", "check", "--student", STUDENT])
    assert code == 0
    return out.getvalue()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=TEXT)
def test_course_names_round_trip_and_never_reach_stdout_raw(college: Services, name: str) -> None:
    store = college.store
    transcript = store.transcript(STUDENT)
    assert transcript is not None
    record = transcript.records[0]
    try:
        changed = CourseRecord.model_validate({**record.model_dump(), "name": name})
    except ValidationError:
        return  # refused at the gate: nothing to write
    new = transcript.model_copy(update={"records": [changed, *transcript.records[1:]]})
    with store.bulk() as tx:
        tx.put_transcript(new)
    fresh = Store(store.root)
    assert fresh.transcript(STUDENT).records[0].name == changed.name
    output = _check_output(store.root)
    assert not has_terminal_controls(output.replace("\n", "")), repr(output)
    with store.bulk() as tx:
        tx.put_transcript(transcript)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(note=TEXT)
def test_notes_are_stored_exactly_or_refused_cleanly(college: Services, note: str) -> None:
    me = login(college, STUDENT)
    for app in college.applications(me):
        college.delete(me, app.id)
    try:
        saved = college.save(me, "M1", [G1, G2], note=note)
    except BadText:
        return
    again = Store(college.store.root).applications(saved.college, STUDENT)
    assert [a.note for a in again] == [saved.note]
    assert not has_terminal_controls(saved.note)
