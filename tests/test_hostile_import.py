"""Issue 11, imports: every field gets its range and type check, ids are checked against
the store, and a refused import into a new path leaves nothing behind."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from test_importing import college, doc, problems_of, write

from credx_tui.importing import ImportFailed
from credx_tui.services.loading import import_paths
from credx_tui.store import Store
from policy.rules import load_rules

CREDX = [sys.executable, "-m", "credx_tui.cli"]


def _set(path: str, value: object):
    def change(files: dict) -> None:
        kind, _, field = path.partition(".")
        target = doc(files, "college.json" if kind != "application" else "people.json", kind)
        if "[" in field:  # records[0].name and the like
            head, _, rest = field.partition("[")
            index, _, sub = rest.partition("].")
            target = target[head][int(index)]
            field = sub
        target[field] = value

    return change


FIELD_ATTACKS = {
    "grade_year as a string": (_set("student.grade_year", "2023"), "grade_year"),
    "impossible date": (_set("transcript.certificates[0].date", "2026-13-45"), "date"),
    "negative graduation credits": (
        _set("programme.graduation", {"通识选修课": -4}),
        "graduation",
    ),
    "name with a newline": (_set("student.name", "林\n书远"), "name"),
    "name with a NUL": (_set("student.name", "林\x00书远"), "name"),
    "name with ESC": (_set("student.name", "\x1b]0;owned\x07林"), "name"),
    "course name with bidi override": (_set("transcript.records[0].name", "数学\u202e"), "name"),
    "name of zero-width spaces": (_set("student.name", "\u200b\u200b"), "name"),
    "step 99": (_set("application.step", 99), "step"),
    "time without offset": (_set("application.created_at", "2026-03-02T09:00:00"), "created_at"),
    "a hash that can never verify": (None, "password_hash"),
}


@pytest.mark.parametrize("attack", sorted(FIELD_ATTACKS))
def test_each_field_attack_is_refused_naming_the_field(tmp_path: Path, attack: str) -> None:
    files = college()
    change, field = FIELD_ATTACKS[attack]
    if change is None:
        reviewer = doc(files, "people.json", "account", 1)
        reviewer.pop("password", None)
        reviewer["password_hash"] = "scrypt$16384$8$1$c2FsdA==$ZGlnZXN0"
    else:
        change(files)
    found = problems_of(tmp_path, files)
    assert any(p.field and field in p.field for p in found), "\n".join(map(str, found))


def test_two_approved_applications_spending_one_course_are_refused(tmp_path: Path) -> None:
    files = college()
    first = doc(files, "people.json", "application")
    first["status"] = "审核通过"
    first["events"] = []
    twin = copy.deepcopy(first)
    twin["id"] = "XF-2"
    files["people.json"].append(twin)
    found = problems_of(tmp_path, files)
    assert any("credits are spent once" in p.message for p in found), "\n".join(map(str, found))


def _store_with_college(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "db")
    import_paths(store, write(tmp_path, college()), load_rules())
    return store


def test_an_application_id_of_another_student_is_refused_naming_both(tmp_path: Path) -> None:
    store = _store_with_college(tmp_path)
    before = sorted(p.read_bytes() for p in (store.root / "hot").rglob("*.json"))
    files = college()
    stolen = doc(files, "people.json", "application")
    stolen["student_id"] = "2023110102"  # XF-1 belongs to 2023110101 in the store
    stolen["events"] = []
    later = tmp_path / "later"
    later.mkdir()
    with pytest.raises(ImportFailed) as failed:
        import_paths(store, write(later, {"people.json": [stolen]}), load_rules())
    text = str(failed.value)
    assert "2023110101" in text and "2023110102" in text and "XF-1" in text
    assert sorted(p.read_bytes() for p in (store.root / "hot").rglob("*.json")) == before


def test_a_new_live_application_spending_a_stored_ones_credits_is_refused(tmp_path: Path) -> None:
    store = _store_with_college(tmp_path)
    files = college()
    again = doc(files, "people.json", "application")
    again["id"] = "XF-9"
    again["events"] = []
    later = tmp_path / "later"
    later.mkdir()
    with pytest.raises(ImportFailed, match="credits are spent once"):
        import_paths(store, write(later, {"people.json": [again]}), load_rules())


def test_a_refused_import_into_a_new_path_leaves_nothing(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "student")["grade_year"] = "2023"
    paths = write(tmp_path, files)
    target = tmp_path / "new" / "store"
    done = subprocess.run(
        [*CREDX, "--db", str(target), "import", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "grade_year" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "new").exists()
