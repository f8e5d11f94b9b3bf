"""The import format parser (credx_tui/importing.py, docs/import-format.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from credx_tui.importing import (
    AccountSpec,
    ImportBundle,
    ImportFailed,
    ImportProblem,
    parse_files,
    parse_sources,
)
from credx_tui.passwords import hash_password
from policy.models import Account, ReviewEvent, Status

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
ZN = "智能制造学院"
REV_HASH = hash_password("rev-secret")
"""A real scrypt hash: an import refuses a password_hash that can never verify."""
TERM = {"year": "2023-2024", "semester": 1}


# --- a small valid college, to break one piece at a time ------------------------------


def course(code: str, name: str, category: str, credits: float) -> dict[str, Any]:
    return {"code": code, "name": name, "category": category, "credits": credits}


def record(code: str, name: str, category: str, credits: float, *results: str) -> dict:
    kinds = ["正常考试", "补考", "重修"]
    attempts = [{"kind": kinds[i], "result": r, "term": TERM} for i, r in enumerate(results)]
    return {**course(code, name, category, credits), "term": TERM, "attempts": attempts}


def college() -> dict[str, list[dict[str, Any]]]:
    """Documents per file name: one programme, two students, their transcripts,
    accounts and an application with events."""
    programme = {
        "type": "programme",
        "major": "云计算技术应用",
        "college": ZN,
        "grade_year": 2023,
        "courses": [
            course("G0101", "高等数学(2-1)", "公共基础课", 4),
            course("T01", "音乐鉴赏", "通识选修课", 2),
            course("T02", "影视鉴赏", "通识选修课", 2),
            course("P01", "乒乓球", "体育", 2),
        ],
        "graduation": {"通识选修课": 2, "体育": 2},
    }
    students = [
        {
            "type": "student",
            "id": sid,
            "name": name,
            "college": ZN,
            "major": "云计算技术应用",
            "grade_year": 2023,
        }
        for sid, name in [("2023110101", "林书远"), ("2023110102", "周雨桐")]
    ]
    transcripts = [
        {
            "type": "transcript",
            "student_id": sid,
            "records": [
                record("G0101", "高等数学(2-1)", "公共基础课", 4, "40", "50"),
                record("T01", "音乐鉴赏", "通识选修课", 2, "80"),
                record("T02", "影视鉴赏", "通识选修课", 2, "良好"),
                record("P01", "乒乓球", "体育", 2, "55", "58"),
            ],
            "certificates": [
                {"id": "JS-1", "kind": "竞赛集训学分", "title": "校乒乓球队集训", "credits": 2}
            ],
        }
        for sid in ("2023110101", "2023110102")
    ]
    accounts = [
        {"type": "account", "username": "2023110101", "role": "student", "password": "demo"},
        {
            "type": "account",
            "username": "rev_zn",
            "role": "reviewer",
            "colleges": [ZN],
            "password_hash": REV_HASH,
        },
        {"type": "account", "username": "admin", "role": "admin", "password": "demo"},
    ]
    application = {
        "type": "application",
        "id": "XF-1",
        "student_id": "2023110101",
        "college": ZN,
        "target": "G0101",
        "sources": [{"kind": "通识选修课", "ref": "T01"}, {"kind": "通识选修课", "ref": "T02"}],
        "status": "审核中",
        "term": {"year": "2025-2026", "semester": 2},
        "created_at": "2026-03-02T09:00:00+08:00",
        "updated_at": "2026-03-02T09:05:00+08:00",
        "events": [
            {
                "id": "XF-1-1",
                "action": "save",
                "actor": "2023110101",
                "actor_role": "student",
                "at": "2026-03-02T09:00:00+08:00",
                "status_after": "无流程",
            },
            {
                "id": "XF-1-2",
                "action": "submit",
                "actor": "2023110101",
                "actor_role": "student",
                "at": "2026-03-02T09:05:00+08:00",
                "status_after": "审核中",
            },
        ],
    }
    return {
        "college.json": [programme, *students, *transcripts],
        "people.json": [*accounts, application],
    }


def envelope(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "credx-import", "version": 1, "documents": documents}


def write(tmp_path: Path, files: dict[str, Any]) -> list[Path]:
    """Write each file (a list of documents, a whole object, or raw bytes)."""
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            data = envelope(content) if isinstance(content, list) else content
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        paths.append(path)
    return paths


def problems_of(tmp_path: Path, files: dict[str, Any]) -> list[ImportProblem]:
    with pytest.raises(ImportFailed) as failed:
        parse_files(write(tmp_path, files))
    assert failed.value.problems, "ImportFailed must carry its problems"
    return failed.value.problems


def only(problems: list[ImportProblem]) -> ImportProblem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def doc(files: dict[str, list[dict]], file: str, doc_type: str, n: int = 0) -> dict:
    """The n-th document of a type in a file, to change in place."""
    return [d for d in files[file] if d["type"] == doc_type][n]


# --- the demo college and a clean import ----------------------------------------------


def test_demo_fixtures_parse_without_problems() -> None:
    bundle = parse_files([DEMO])
    assert len(bundle.programmes) >= 3
    assert len(bundle.students) >= 12
    assert {t.student_id for t in bundle.transcripts} == {s.id for s in bundle.students}
    assert {Status(a.application.status) for a in bundle.applications} == set(Status)
    for spec in bundle.applications:
        assert all(e.application_id == spec.application.id for e in spec.events)
    assert bundle.origins["student 2018110101"].file.endswith("students.json")


def test_small_college_parses_into_models(tmp_path: Path) -> None:
    bundle = parse_files(write(tmp_path, college()))
    assert isinstance(bundle, ImportBundle)
    assert [s.id for s in bundle.students] == ["2023110101", "2023110102"]
    assert bundle.programmes[0].major == "云计算技术应用"
    student, reviewer, _admin = bundle.accounts
    assert student.password == "demo" and student.password_hash is None
    assert reviewer.password_hash == REV_HASH and reviewer.password is None
    events = bundle.events
    assert [e.id for e in events] == ["XF-1-1", "XF-1-2"]
    assert all(isinstance(e, ReviewEvent) and e.application_id == "XF-1" for e in events)
    # A student without an account (2023110102) is allowed: no login, no problem.
    assert bundle.origins["application XF-1"].document == 3


def test_account_spec_becomes_an_account() -> None:
    spec = AccountSpec(username="rev_zn", role="reviewer", colleges=[ZN], password="demo")
    account = spec.to_account(password_hash="scrypt$xyz")
    assert isinstance(account, Account)
    assert account.password_hash == "scrypt$xyz" and account.colleges == [ZN]
    with pytest.raises(ValueError, match="hashed first"):
        spec.to_account()


def test_account_spec_mirrors_account_fields() -> None:
    kept_by_credx = {"failed_logins", "locked_until", "last_seen"}
    assert set(AccountSpec.model_fields) == (set(Account.model_fields) - kept_by_credx) | {
        "password"
    }


def test_problem_reads_like_a_sentence() -> None:
    problem = ImportProblem(
        file="fixtures/demo/students.json",
        document=4,
        key="student 2018110101",
        field="grade_year",
        message="Input should be a valid integer",
    )
    assert str(problem) == (
        "fixtures/demo/students.json: document 4 (student 2018110101): field grade_year: "
        "Input should be a valid integer"
    )
    assert str(ImportProblem("a.json", message="file not found")) == "a.json: file not found"


# --- problems of one file -------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        parse_files([tmp_path / "nowhere.json"])
    problem = only(failed.value.problems)
    assert problem.file.endswith("nowhere.json") and "not found" in problem.message


def test_not_utf8_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    text = json.dumps(envelope([]), ensure_ascii=False).replace("[]", '["学生"]')
    problem = only(problems_of(tmp_path, {"gbk.json": text.encode("gbk")}))
    assert "not UTF-8" in problem.message and "line 1" in problem.message
    assert problem.document is None


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(envelope([])).encode())
    assert parse_files([path]).students == []


def test_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    text = json.dumps(envelope(college()["college.json"]), ensure_ascii=False, indent=2)
    problem = only(problems_of(tmp_path, {"cut.json": text[: len(text) // 2].encode()}))
    assert problem.message.startswith("not valid JSON")
    assert "line " in problem.message and "column " in problem.message


def test_wrong_format_and_version(tmp_path: Path) -> None:
    found = problems_of(
        tmp_path, {"x.json": {"format": "other", "version": 2, "documents": [], "extra": 1}}
    )
    by_field = {p.field: p.message for p in found}
    assert "credx-import" in by_field["format"]
    assert "version 1" in by_field["version"]
    assert "unknown top-level key" in by_field["extra"]


def test_file_and_documents_must_be_objects(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, {"x.json": b"[1, 2]"}))
    assert '"format": "credx-import"' in problem.message
    problem = only(problems_of(tmp_path, {"y.json": ["student 2023110101"]}))
    assert problem.document == 0 and "JSON object" in problem.message


def test_unknown_document_type(tmp_path: Path) -> None:
    files = college()
    files["college.json"].append({"type": "teacher", "id": "T1"})
    problem = only(problems_of(tmp_path, files))
    assert (problem.document, problem.field) == (len(files["college.json"]) - 1, "type")
    assert "'teacher'" in problem.message and "programme" in problem.message


def test_validation_error_names_document_key_and_field(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "student", 1)["grade_year"] = "二〇二三"
    problem = only(problems_of(tmp_path, files))
    assert (problem.document, problem.key, problem.field) == (2, "student 2023110102", "grade_year")
    assert "valid integer" in problem.message
    assert str(problem).startswith(
        f"{tmp_path / 'college.json'}: document 2 (student 2023110102): field grade_year: "
    )


def test_every_validation_error_of_a_document_is_reported(tmp_path: Path) -> None:
    files = college()
    transcript = doc(files, "college.json", "transcript")
    transcript["records"][1]["attempts"][0]["kind"] = "期末"
    transcript["records"][2]["credits"] = -1
    transcript["records"][3]["teacher"] = "王老师"
    del transcript["records"][0]["name"]
    found = problems_of(tmp_path, files)
    assert {p.field for p in found} == {
        "records[1].attempts[0].kind",
        "records[2].credits",
        "records[3].teacher",
        "records[0].name",
    }
    assert {p.key for p in found} == {"transcript 2023110101"}
    messages = {p.field: p.message for p in found}
    assert "unknown field" in messages["records[3].teacher"]
    assert "required" in messages["records[0].name"]


def test_duplicate_json_key_is_a_problem(tmp_path: Path) -> None:
    files = college()
    text = json.dumps(envelope(files["college.json"]), ensure_ascii=False)
    text = text.replace('"name": "林书远"', '"name": "林书远", "name": "林远"')
    files_out = {"college.json": text.encode(), "people.json": files["people.json"]}
    problem = only(problems_of(tmp_path, files_out))
    assert "given twice" in problem.message and problem.key == "student 2023110101"


# --- accounts ---------------------------------------------------------------------------


def test_account_needs_exactly_one_of_password_and_hash(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "account", 0)["password_hash"] = "scrypt$x"
    del doc(files, "people.json", "account", 2)["password"]
    found = problems_of(tmp_path, files)
    assert [(p.key, p.field) for p in found] == [
        ("account 2023110101", "password"),
        ("account admin", "password"),
    ]
    assert "not both" in found[0].message and "exactly one" in found[1].message


def test_account_with_both_secrets_and_another_fault_is_told_everything_at_once(
    tmp_path: Path,
) -> None:
    """ "Not both" is told with the account's other faults, not once they are fixed (it is
    a field's refusal, not a check of the valid model); the password is never shown."""
    files = college()
    account = doc(files, "people.json", "account", 0)
    account["password"] = "hunter2-secret"
    account["password_hash"] = "scrypt$x"
    account["role"] = "king"
    account["display_name"] = "x" * 50
    found = problems_of(tmp_path, files)
    assert sorted((p.key, p.field) for p in found) == [
        ("account 2023110101", "display_name"),
        ("account 2023110101", "password"),
        ("account 2023110101", "role"),
    ]
    said = {p.field: p.message for p in found}
    assert said["password"] == "give either password or password_hash, not both"
    assert "'king'" in said["role"] and "at most 40" in said["display_name"]
    assert not any("hunter2" in str(p) for p in found)


def test_account_spec_refuses_both_secrets_beside_its_other_faults() -> None:
    with pytest.raises(ValidationError) as refused:
        AccountSpec(username="", role="student", password="pw", password_hash="scrypt$x")
    assert {e["loc"] for e in refused.value.errors()} == {("username",), ("password",)}


def test_account_login_state_cannot_be_imported(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "account")["failed_logins"] = 3
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "failed_logins" and "kept by credx" in problem.message


def test_student_account_without_student(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "account")["username"] = "2099999999"
    problem = only(problems_of(tmp_path, files))
    assert (problem.key, problem.field) == ("account 2099999999", "username")


def test_reviewer_must_name_a_known_college(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "account", 1)["colleges"] = []
    problem = only(problems_of(tmp_path, files))
    assert (problem.key, problem.field) == ("account rev_zn", "colleges")
    doc(files, "people.json", "account", 1)["colleges"] = ["智能制造 学院"]
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "colleges[0]" and "智能制造 学院" in problem.message


def test_review_step_must_be_in_the_rules(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "account", 1)["review_steps"] = ["dean"]
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "review_steps[0]" and "'dean'" in problem.message


# --- keys and references ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "doc_type", "key", "field"),
    [
        ("college.json", "student", "student 2023110101", "id"),
        ("college.json", "programme", "programme 云计算技术应用 2023", "major"),
        ("college.json", "transcript", "transcript 2023110101", "student_id"),
        ("people.json", "account", "account 2023110101", "username"),
        ("people.json", "application", "application XF-1", "id"),
    ],
)
def test_duplicate_keys(tmp_path: Path, file: str, doc_type: str, key: str, field: str) -> None:
    files = college()
    twin = copy.deepcopy(doc(files, file, doc_type))
    if doc_type == "application":
        for event in twin["events"]:
            event["id"] += "-twin"
    files["more.json"] = [twin]
    problem = only(problems_of(tmp_path, files))
    assert (problem.file, problem.document, problem.key, problem.field) == (
        str(tmp_path / "more.json"),
        0,
        key,
        field,
    )
    assert "duplicate" in problem.message and file in problem.message


def test_duplicate_event_ids(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "application")["events"][1]["id"] = "XF-1-1"
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "events[1].id" and "XF-1-1" in problem.message


def test_transcript_without_student(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "transcript", 1)["student_id"] = "2023110199"
    problem = only(problems_of(tmp_path, files))
    assert (problem.key, problem.field) == ("transcript 2023110199", "student_id")
    assert "no student 2023110199" in problem.message


def test_student_without_programme(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "student", 1)["grade_year"] = 2022
    problem = only(problems_of(tmp_path, files))
    assert (problem.key, problem.field) == ("student 2023110102", "major")
    assert "programme" in problem.message and "2022" in problem.message


def test_student_college_must_match_programme(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "student", 1)["college"] = "化工与制药工程学院"
    problem = only(problems_of(tmp_path, files))
    assert (problem.key, problem.field) == ("student 2023110102", "college")


def test_application_references(tmp_path: Path) -> None:
    files = college()
    app = doc(files, "people.json", "application")
    app["target"] = "G9999"
    app["sources"] = [
        {"kind": "通识选修课", "ref": "T99"},
        {"kind": "获奖证书", "ref": "HJ-404"},
        {"kind": "获奖证书", "ref": "JS-1"},
        {"kind": "专业拓展课", "ref": "T02"},
    ]
    app["college"] = "化工与制药工程学院"
    found = problems_of(tmp_path, files)
    by_field = {p.field: p.message for p in found}
    assert set(by_field) == {
        "college",
        "target",
        "sources[0].ref",
        "sources[1].ref",
        "sources[2].kind",
        "sources[3].kind",
    }
    assert "G9999" in by_field["target"] and "HJ-404" in by_field["sources[1].ref"]
    assert {p.key for p in found} == {"application XF-1"}


def test_application_without_student(tmp_path: Path) -> None:
    files = college()
    app = doc(files, "people.json", "application")
    app["student_id"] = "2023110199"
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "student_id" and "2023110199" in problem.message


def test_application_events(tmp_path: Path) -> None:
    files = college()
    app = doc(files, "people.json", "application")
    app["events"][0]["application_id"] = "XF-1"
    app["events"][1]["action"] = "archive"
    found = problems_of(tmp_path, files)
    assert {p.field for p in found} == {"events[0].application_id", "events[1].action"}


def test_application_status_follows_its_last_event(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "application")["status"] = "审核通过"
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "status" and "审核中" in problem.message


def test_attempt_result_must_be_a_score_or_level(tmp_path: Path) -> None:
    files = college()
    transcript = doc(files, "college.json", "transcript")
    transcript["records"][0]["attempts"][1]["result"] = "101"
    transcript["records"][2]["attempts"][0]["result"] = "A+"
    found = problems_of(tmp_path, files)
    assert [p.field for p in found] == [
        "records[0].attempts[1].result",
        "records[2].attempts[0].result",
    ]
    assert "'A+'" in found[1].message and "优秀" in found[1].message


def test_attempt_result_is_read_as_the_policy_reads_it(tmp_path: Path) -> None:
    """Issue 14: the importer asks ``grades.parse_result`` instead of a regex of its
    own, so a full-width ８５ (which the old regex let through and the policy then could
    not read) is refused, and a score the policy reads (two or more decimals) passes."""
    from policy.grades import parse_result
    from policy.rules import load_rules

    files = college()
    transcript = doc(files, "college.json", "transcript")
    transcript["records"][0]["attempts"][1]["result"] = "\uff18\uff15"
    transcript["records"][2]["attempts"][0]["result"] = "60.125"
    found = problems_of(tmp_path, files)
    assert [p.field for p in found] == ["records[0].attempts[1].result"]
    assert "neither a score from 0 to 100 nor a level" in found[0].message
    assert parse_result("60.125", load_rules().grades).passed


def test_attempt_levels_come_from_the_rules(tmp_path: Path) -> None:
    from policy.rules import load_rules

    rules = load_rules()
    levels = {k: v for k, v in rules.grades.levels.items() if k != "良好"}
    strict = rules.model_copy(update={"grades": rules.grades.model_copy(update={"levels": levels})})
    with pytest.raises(ImportFailed) as failed:
        parse_files(write(tmp_path, college()), strict)
    assert {p.field for p in failed.value.problems} == {"records[2].attempts[0].result"}


def test_duplicate_course_in_a_transcript(tmp_path: Path) -> None:
    files = college()
    transcript = doc(files, "college.json", "transcript")
    transcript["records"].append(copy.deepcopy(transcript["records"][1]))
    problem = only(problems_of(tmp_path, files))
    assert problem.field == "records[4].code" and "twice" in problem.message


def test_transcript_course_must_agree_with_programme(tmp_path: Path) -> None:
    files = college()
    transcript = doc(files, "college.json", "transcript")
    transcript["records"][0]["category"] = "专业基础课"
    transcript["records"][3]["credits"] = 3
    found = problems_of(tmp_path, files)
    assert [p.field for p in found] == ["records[0].category", "records[3].credits"]
    assert "公共基础课" in found[0].message and "programme 云计算技术应用 2023" in found[1].message


# --- all at once -----------------------------------------------------------------------


def test_problems_of_two_files_are_all_reported_at_once(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "student")["grade_year"] = "x"
    doc(files, "college.json", "transcript", 1)["records"][0]["attempts"][0]["result"] = "?"
    doc(files, "people.json", "account")["role"] = "teacher"
    doc(files, "people.json", "application")["target"] = "NOPE"
    found = problems_of(tmp_path, files)
    located = [(Path(p.file).name, p.document, p.field) for p in found]
    assert located == [
        ("college.json", 1, "grade_year"),
        ("college.json", 4, "records[0].attempts[0].result"),
        ("people.json", 0, "role"),
        ("people.json", 3, "target"),
    ]
    assert "4 problems" in str(ImportFailed(found))


def test_broken_file_does_not_hide_other_files_problems(tmp_path: Path) -> None:
    files = college()
    doc(files, "people.json", "account", 1)["colleges"] = []
    broken = {"college.json": b'{"format": "credx-import", ', "people.json": files["people.json"]}
    found = problems_of(tmp_path, broken)
    # college.json is unreadable, so references into it are not reported as missing;
    # the reviewer without colleges still is.
    assert [(Path(p.file).name, p.field) for p in found] == [
        ("college.json", None),
        ("people.json", "colleges"),
    ]
    assert "not valid JSON" in found[0].message


def test_reference_to_a_broken_document_is_not_reported_again(tmp_path: Path) -> None:
    files = college()
    doc(files, "college.json", "student")["name"] = ""
    problem = only(problems_of(tmp_path, files))
    assert (problem.key, problem.field) == ("student 2023110101", "name")


def test_existing_store_documents_satisfy_references() -> None:
    files = college()
    base = parse_sources([("college.json", json.dumps(envelope(files["college.json"])).encode())])
    new = parse_sources(
        [("people.json", json.dumps(envelope(files["people.json"])).encode())], existing=base
    )
    assert [spec.application.id for spec in new.applications] == ["XF-1"]
    with pytest.raises(ImportFailed):
        parse_sources([("people.json", json.dumps(envelope(files["people.json"])).encode())])


def test_directory_stands_for_its_json_files(tmp_path: Path) -> None:
    write(tmp_path, college())
    (tmp_path / "notes.txt").write_text("not an import file", encoding="utf-8")
    bundle = parse_files([tmp_path])
    assert len(bundle.students) == 2 and len(bundle.applications) == 1


# --- the envelope and the documents as pydantic models (issue 14, item 1) ---------------


def test_document_types_are_the_tags_of_the_union() -> None:
    from typing import get_args

    from credx_tui.importing import DOCUMENT_TYPES, Document

    union, _ = get_args(Document)
    tags = [get_args(model.model_fields["type"].annotation)[0] for model in get_args(union)]
    assert tags == list(DOCUMENT_TYPES)


def test_bundle_holds_the_plain_models(tmp_path: Path) -> None:
    """The document classes (with their ``type``) never reach the bundle: what is
    stored compares equal to what is read back."""
    from policy.models import ExchangeApplication, Programme, Student, Transcript

    bundle = parse_files(write(tmp_path, college()))
    assert {type(m) for m in bundle.programmes} == {Programme}
    assert {type(m) for m in bundle.students} == {Student}
    assert {type(m) for m in bundle.transcripts} == {Transcript}
    assert {type(m) for m in bundle.accounts} == {AccountSpec}
    assert {type(a.application) for a in bundle.applications} == {ExchangeApplication}
    assert {type(e) for e in bundle.events} == {ReviewEvent}
    student = bundle.students[0]
    assert Student.model_validate(student.model_dump()) == student
    assert "type" not in student.model_dump()


@pytest.mark.parametrize("version", [True, 1.0, "1", 2, None])
def test_version_is_the_integer_1(tmp_path: Path, version: object) -> None:
    found = problems_of(tmp_path, {"x.json": {**envelope([]), "version": version}})
    assert [(p.field, p.message) for p in found] == [
        ("version", f"is {version!r}; this credx reads version 1")
    ]


def test_envelope_problems_in_their_order(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {"x.json": {"documents": 1, "zz": 0, "description": 5}})
    assert [(p.field, p.message) for p in found] == [
        ("format", 'is missing; it must be "credx-import"'),
        ("version", "is missing; this credx reads version 1"),
        ("zz", "unknown top-level key; allowed are format, version, documents, description"),
        ("description", "must be a string"),
        ("documents", "is not a list; it must be a list of documents"),
    ]


def test_events_of_an_application_are_checked_in_place(tmp_path: Path) -> None:
    files = college()
    application = doc(files, "people.json", "application")
    application["events"][0]["application_id"] = "XF-9"
    application["events"][1]["colour"] = "red"
    application["events"].append("submit")
    found = problems_of(tmp_path, files)
    assert [(p.field, p.message) for p in found] == [
        (
            "events[0].application_id",
            "leave it out: an event belongs to the application it is listed in",
        ),
        ("events[1].colour", "unknown field in a review event document (check its spelling)"),
        ("events[2]", "a review event must be a JSON object"),
    ]
    application["events"] = {"not": "a list"}
    (problem,) = problems_of(tmp_path, files)
    assert (problem.field, problem.message) == ("events", "must be a list of review events")
