"""Issue 12, item 5: the streamed import of a college, staged and put in place.

- the streamed import reports exactly what the importer reports (same sentences, same
  order) for every kind of broken file, and writes nothing then;
- a bad row deep in a big file is named by its place and nothing is written;
- a crash (the importing process killed) while shards are staged leaves the old store,
  and one while they are put in place leaves the new one once the store is opened
  again; ``credx verify`` passes either way;
- the fast JSON reader never lets a key given twice through.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_hostile_import import FIELD_ATTACKS
from test_importing import college, doc, envelope, write

from benchmarks.college import course_records
from credx_tui.importing import ImportFailed, _fast_decode, parse_files
from credx_tui.services.existing import existing_bundle
from credx_tui.services.loading import import_paths
from credx_tui.services.staged_import import import_files
from credx_tui.store import Store
from credx_tui.store.staging import JOURNAL, STAGING, StagedFiles, recover
from policy.rules import load_rules

CREDX = [sys.executable, "-m", "credx_tui.cli"]
ROOT = Path(__file__).resolve().parents[1]


# --- the same problems as the importer ----------------------------------------------------


def _duplicate_key(files: dict[str, Any]) -> None:
    text = json.dumps(envelope(files["college.json"]), ensure_ascii=False)
    files["college.json"] = text.replace(
        '"name": "林书远"', '"name": "林书远", "name": "林远"'
    ).encode()


def _many(files: dict[str, Any]) -> None:
    doc(files, "college.json", "student")["grade_year"] = "x"
    doc(files, "college.json", "transcript", 1)["records"][0]["attempts"][0]["result"] = "?"
    doc(files, "people.json", "account")["role"] = "teacher"
    doc(files, "people.json", "application")["target"] = "NOPE"


def _twin_transcript(files: dict[str, Any]) -> None:
    files["more.json"] = [copy.deepcopy(doc(files, "college.json", "transcript", 1))]


def _orphan_transcript(files: dict[str, Any]) -> None:
    orphan = copy.deepcopy(doc(files, "college.json", "transcript", 1))
    orphan["student_id"] = "2023119999"
    files["college.json"].append(orphan)


def _source_not_on_transcript(files: dict[str, Any]) -> None:
    doc(files, "college.json", "transcript")["records"].pop(1)  # T01, a source


def _credits_disagree(files: dict[str, Any]) -> None:
    doc(files, "college.json", "transcript", 1)["records"][2]["credits"] = 3


def _broken_file(files: dict[str, Any]) -> None:
    doc(files, "people.json", "account", 1)["colleges"] = []
    files["college.json"] = b'{"format": "credx-import", '


def _spent_twice(files: dict[str, Any]) -> None:
    first = doc(files, "people.json", "application")
    first["status"] = "审核通过"
    first["events"] = []
    twin = copy.deepcopy(first)
    twin["id"] = "XF-2"
    files["people.json"].append(twin)


def _quote_in_a_string(files: dict[str, Any]) -> None:
    # A string holding '":' sends the file to the exact (slow) reader: same result.
    doc(files, "college.json", "student")["name"] = 'a":b'
    doc(files, "college.json", "student", 1)["grade_year"] = "y"


def _attack(name: str) -> Callable[[dict[str, Any]], None]:
    change, _ = FIELD_ATTACKS[name]

    def apply(files: dict[str, Any]) -> None:
        if change is None:
            reviewer = doc(files, "people.json", "account", 1)
            reviewer.pop("password", None)
            reviewer["password_hash"] = "scrypt$16384$8$1$c2FsdA==$ZGlnZXN0"
        else:
            change(files)

    return apply


BROKEN: dict[str, Callable[[dict[str, Any]], None]] = {
    "duplicate key": _duplicate_key,
    "problems in two files": _many,
    "a transcript given twice": _twin_transcript,
    "a transcript without student": _orphan_transcript,
    "a source not on the transcript": _source_not_on_transcript,
    "credits against the programme": _credits_disagree,
    "an unreadable file": _broken_file,
    "credits spent twice": _spent_twice,
    "a quote in a string": _quote_in_a_string,
    **{f"attack: {name}": _attack(name) for name in FIELD_ATTACKS},
}


def _store_hash(root: Path) -> dict[str, str]:
    """Every data file of the store by its content (not the locks)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "locks" not in path.parts:
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_streamed_import_reports_what_the_importer_reports(tmp_path: Path, case: str) -> None:
    files = college()
    BROKEN[case](files)
    paths = write(tmp_path, files)
    store = Store.create(tmp_path / "store")
    before = _store_hash(store.root)
    with pytest.raises(ImportFailed) as expected:
        parse_files(paths, load_rules(), existing=existing_bundle(store))
    with pytest.raises(ImportFailed) as streamed:
        import_files(store, paths, load_rules())
    assert [str(p) for p in streamed.value.problems] == [str(p) for p in expected.value.problems]
    assert _store_hash(store.root) == before
    assert not (store.root / STAGING).exists()


def test_streamed_import_against_a_store_reports_what_the_importer_reports(
    tmp_path: Path,
) -> None:
    files = college()
    store = Store.create(tmp_path / "store")
    import_paths(store, write(tmp_path, {"college.json": files["college.json"]}), load_rules())
    people = files["people.json"]
    people[-1]["sources"].append({"kind": "竞赛集训学分", "ref": "NO-CERT"})
    later = tmp_path / "later"
    later.mkdir()
    paths = write(later, {"people.json": people})
    before = _store_hash(store.root)
    with pytest.raises(ImportFailed) as expected:
        parse_files(paths, load_rules(), existing=existing_bundle(store))
    with pytest.raises(ImportFailed) as streamed:
        import_files(store, paths, load_rules())
    assert [str(p) for p in streamed.value.problems] == [str(p) for p in expected.value.problems]
    assert any("NO-CERT" in p.message for p in streamed.value.problems)
    assert _store_hash(store.root) == before


def test_fast_reader_never_lets_a_key_given_twice_through() -> None:
    assert _fast_decode(b'{"a": 1, "b": {"c": 2}}') == {"a": 1, "b": {"c": 2}}
    assert _fast_decode(b'{"a": 1, "a": 2}') is None
    assert _fast_decode(b'{"a" :1, "b": {"c" \n: 2, "c": 3}}') is None
    # A quote hidden as \u0022 must not hide a duplicate from the count.
    assert _fast_decode(b'{"x": "\\u0022:", "a": 1, "a": 2}') is None
    assert _fast_decode('\ufeff{"名": "林"}'.encode()) == {"名": "林"}


# --- a big college ---------------------------------------------------------------------------


MAJOR = "基准专业00"
COLLEGE = "基准学院00"


def _sid(n: int) -> str:
    return f"30{n:08d}"


def big_college(folder: Path, students: int, result: str = "61") -> list[Path]:
    """``students`` students with 40 course records each, in three files, as import
    files; ``result`` is the score of every passed course (to make a second version)."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [r.model_dump(mode="json") for r in course_records(40)]
    for r in records[1:]:
        r["attempts"][0]["result"] = result
    programme = {
        "type": "programme",
        "major": MAJOR,
        "college": COLLEGE,
        "grade_year": 2024,
        "courses": [{k: r[k] for k in ("code", "name", "category", "credits")} for r in records],
    }
    people = [
        {
            "type": "student",
            "id": _sid(n),
            "name": f"学生{n}",
            "college": COLLEGE,
            "major": MAJOR,
            "grade_year": 2024,
        }
        for n in range(students)
    ]
    transcripts = [
        {"type": "transcript", "student_id": _sid(n), "records": records} for n in range(students)
    ]
    files = {"a-students.json": [programme, *people], "b-transcripts.json": transcripts}
    paths = []
    for name, documents in files.items():
        path = folder / name
        path.write_text(json.dumps(envelope(documents), ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_bad_row_deep_in_a_big_file_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    paths = big_college(tmp_path / "v1", 1500)
    data = json.loads(paths[1].read_text(encoding="utf-8"))
    data["documents"][1400]["records"] = copy.deepcopy(data["documents"][1400]["records"])
    data["documents"][1400]["records"][17]["attempts"][0]["result"] = "甲等"
    paths[1].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    store = Store.create(tmp_path / "store")
    before = _store_hash(store.root)
    with pytest.raises(ImportFailed) as failed:
        import_paths(store, paths, load_rules())
    assert str(failed.value.problems[0]).startswith(
        f"{paths[1]}: document 1400 (transcript {_sid(1400)}): field "
        "records[17].attempts[0].result: '甲等' is neither a score from 0 to 100 nor a level"
    )
    assert len(failed.value.problems) == 1
    assert _store_hash(store.root) == before


def test_a_bad_cell_deep_in_a_big_grade_sheet_is_named_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    store = Store.create(tmp_path / "store")
    import_paths(store, big_college(tmp_path / "v1", 300)[:1], load_rules())
    sheet = tmp_path / "成绩.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["学年", "学期", "学号", "课程代码", "课程名称", "课程类别", "学分", "成绩"])
        row = 1
        for n in range(300):
            for r in course_records(40):
                row += 1
                score = "不好" if row == 11_777 else "75"
                out.writerow(
                    ["2024-2025", 1, _sid(n), r.code, r.name, r.category.value, r.credits, score]
                )
    before = _store_hash(store.root)
    with pytest.raises(ImportFailed) as failed:
        import_paths(store, [sheet], load_rules())
    assert len(failed.value.problems) == 1
    assert "row 11777, column 成绩 (H11777)" in str(failed.value.problems[0])
    assert _store_hash(store.root) == before


def _crash_script(store: Path, paths: list[Path], where: str, after: int) -> str:
    """A child process that imports and kills itself (SIGKILL, no clean-up at all)
    after ``after`` files were staged (``put``) or put in place (``replace``)."""
    return f"""
import os, signal
from pathlib import Path
from credx_tui.store import Store, staging
from credx_tui.services.loading import import_paths
from policy.rules import load_rules

count = 0
def crash_after(original):
    def wrapper(*args, **kwargs):
        global count
        count += 1
        if count > {after}:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapper

if {where!r} == "put":
    staging.StagedFiles.put = crash_after(staging.StagedFiles.put)
else:
    staging.os.replace = crash_after(staging.os.replace)
store = Store({str(store)!r})
import_paths(store, [Path(p) for p in {[str(p) for p in paths]!r}], load_rules())
"""


def _data_files(root: Path) -> dict[str, str]:
    return {k: v for k, v in _store_hash(root).items() if k.startswith(("bulk", "hot", "accounts"))}


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store holding version 1 of a 1,200-student college, and what version 2 looks
    like when imported without a crash (every transcript changed)."""
    base = tmp_path_factory.mktemp("college")
    v1 = big_college(base / "v1", 1200, "61")
    v2 = big_college(base / "v2", 1200, "88")
    old = Store.create(base / "old")
    import_paths(old, v1, load_rules())
    new = Store.create(base / "new")
    import_paths(new, v1, load_rules())
    import_paths(new, v2, load_rules())
    return {
        "base": base,
        "v2": v2,
        "old": _data_files(old.root),
        "new": _data_files(new.root),
    }


def _copy_store(source: Path, target: Path) -> Path:
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


def _verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CREDX, "--db", str(root), "verify"], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(("where", "after"), [("put", 1), ("put", 500), ("replace", 600)])
def test_a_crash_in_the_middle_of_a_big_import_leaves_all_or_nothing(
    tmp_path: Path, two_versions: dict[str, Any], where: str, after: int
) -> None:
    assert two_versions["old"] != two_versions["new"]
    root = _copy_store(two_versions["base"] / "old", tmp_path / "store")
    code = _crash_script(root, two_versions["v2"], where, after)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    if where == "replace":
        assert (root / JOURNAL).exists()  # killed half-way through putting files in place
    else:
        assert (root / STAGING).exists()  # killed while staging
    checked = _verify(root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "store is sound" in checked.stdout
    expected = two_versions["new"] if where == "replace" else two_versions["old"]
    assert _data_files(root) == expected
    assert not (root / JOURNAL).exists() and not (root / STAGING).exists()


def test_a_killed_import_command_leaves_the_old_or_the_new_store(
    tmp_path: Path, two_versions: dict[str, Any]
) -> None:
    """The real command, killed from outside once it has begun staging files."""
    root = _copy_store(two_versions["base"] / "old", tmp_path / "store")
    child = subprocess.Popen(
        [*CREDX, "--db", str(root), "import", *map(str, two_versions["v2"])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not (root / STAGING).exists() and child.poll() is None:
            assert time.monotonic() < deadline, "the import never started staging"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    store = Store(root)  # opening the store completes or undoes the import
    assert _data_files(store.root) in (two_versions["old"], two_versions["new"])
    checked = _verify(root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_opening_the_store_completes_a_decided_import(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "store")
    staged = StagedFiles(store.root)
    target = store.root / "bulk" / "programmes.json"
    staged.put(target, b'{"programmes": {}, "_meta": {"1": {"schema": 1}}}')
    journal = {"staging": staged.folder.name, "files": staged.files}
    (store.root / JOURNAL).write_bytes(json.dumps(journal).encode())
    os.chmod(store.root / JOURNAL, 0o600)
    assert not target.exists()
    assert recover(store.root) is not None
    assert target.exists() and not (store.root / JOURNAL).exists()
    assert recover(store.root) is None


# --- spreadsheets: the same problems as the importer too --------------------------------


def _sheet_case(name: str, tmp_path: Path) -> list[Path]:
    from test_sheets import GRADES, PLAN, STUDENTS, _book

    grades = [row[:] for row in GRADES]
    students = [row[:] for row in STUDENTS]
    if name == "bad cells":
        grades[2][2] = "2.0231E+09"
        grades[3][8] = "A+"
        grades[4][9] = "缓考"
    elif name == "unknown student":
        grades.append(
            ["2023-2024", 1, "2023119999", "", "G0101", "高等数学", "专业拓展", 4, 70, "正常考试"]
        )
    elif name == "credits against the plan":
        grades[5][7] = 5
    elif name == "a name too long":
        students[3][3] = "林" * 40
    book = _book(tmp_path / "college.xlsx", {"学生名单": students, "方案": PLAN, "成绩": grades})
    extra = tmp_path / "people.json"
    extra.write_text(
        json.dumps(envelope([{"type": "account", "username": "x", "role": "admin"}])),
        encoding="utf-8",
    )
    return [book, extra] if name == "with a broken JSON file" else [book]


@pytest.mark.parametrize(
    "case",
    [
        "bad cells",
        "unknown student",
        "credits against the plan",
        "a name too long",
        "with a broken JSON file",
    ],
)
def test_streamed_spreadsheets_report_what_the_importer_reports(tmp_path: Path, case: str) -> None:
    paths = _sheet_case(case, tmp_path)
    store = Store.create(tmp_path / "store")
    before = _store_hash(store.root)
    with pytest.raises(ImportFailed) as expected:
        parse_files(paths, load_rules(), existing=existing_bundle(store))
    with pytest.raises(ImportFailed) as streamed:
        import_files(store, paths, load_rules())
    assert [str(p) for p in streamed.value.problems] == [str(p) for p in expected.value.problems]
    assert _store_hash(store.root) == before


def test_a_term_update_streams_into_the_stored_transcripts(tmp_path: Path) -> None:
    """The same store as the in-memory importer would make (bundle written whole)."""
    from test_sheets import GRADES, PLAN, STUDENTS, _book

    from credx_tui.services.staged_import import write_bundle

    first = _book(tmp_path / "college.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    update = _book(
        tmp_path / "update.xlsx",
        {
            "成绩": [
                GRADES[1],
                [
                    "2024-2025",
                    1,
                    "2023110101",
                    "林书远",
                    "G0101",
                    "高等数学",
                    "必修",
                    4,
                    75,
                    "重修",
                ],
            ]
        },
    )
    streamed = Store.create(tmp_path / "streamed")
    whole = Store.create(tmp_path / "whole")
    for path in (first, update):
        import_files(streamed, [path], load_rules())
        write_bundle(whole, parse_files([path], load_rules(), existing=existing_bundle(whole)))
    assert _data_files(streamed.root) == _data_files(whole.root)
    math = streamed.transcript("2023110101").record("G0101")
    assert [a.kind.value for a in math.attempts] == ["正常考试", "补考", "重修"]
