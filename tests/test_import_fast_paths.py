"""Issue 12, item 5: the streamed import's fast paths give what the slow ones gave.

- a transcript is dumped to its stored bytes by orjson (``stored_json``): the same bytes
  as pydantic's ``model_dump_json``, for varied transcripts and for the demo college;
- transcripts are checked from what was taken of them as they were read
  (``staged_import.EARLY``): the same store, byte for byte, and the same problems in the
  same order as reading every transcript back, whether the applications come before
  the transcripts (facts and fingerprints taken early) or after (read back).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_importing import DEMO, college, doc, record, write
from test_staged_import import BROKEN, _sheet_case, _store_hash

from credx_tui.importing import ImportFailed, parse_files
from credx_tui.services import staged_import
from credx_tui.services.staged_import import _plain_fields, import_files, stored_json
from credx_tui.store import Store
from policy.models import Transcript, TranscriptFingerprint
from policy.rules import load_rules


def _varied() -> list[Transcript]:
    """Transcripts with what a dump could write differently: int and fractional
    credits, dates, English names, certificates, level exams, escapes, emoji."""
    odd = record("X\\1", 'a "quoted" 名\u2028', "专业核心课", 0.1, "59", "缺考", "61")
    odd["credits"] = 3  # an int: the model holds 3.0, dumped as 3.0
    odd["name_en"] = "Émile 😀"
    odd["attempts"][0]["date"] = "2024-01-09"
    tiny = record("T9", "小", "通识选修课", 1e-05, "优秀")
    return [
        Transcript.model_validate(
            {
                "student_id": "2023110101",
                "records": [odd, tiny, record("G0101", "高等数学(2-1)", "公共基础课", 4, "55")],
                "level_exams": [
                    {"name": "英语四级", "result": "425", "date": "2024-06-15"},
                    {"name": "计算机一级", "result": "合格"},
                ],
                "certificates": [
                    {"id": "C-1", "kind": "竞赛集训学分", "title": "技能大赛", "credits": 2},
                    {
                        "id": "C-2",
                        "kind": "获奖证书",
                        "title": "省赛 一等奖",
                        "credits": 1.5,
                        "date": "2025-05-01",
                    },
                ],
            }
        ),
        Transcript(student_id="2023110102"),
    ]


def test_stored_json_writes_the_bytes_pydantic_writes() -> None:
    transcripts = _varied() + list(parse_files([DEMO]).transcripts)
    assert len(transcripts) > 10
    for transcript in transcripts:
        assert stored_json(transcript) == transcript.model_dump_json().encode()


def test_a_model_that_dumps_otherwise_is_not_dumped_the_fast_way() -> None:
    # TranscriptFingerprint leaves out an unset flag (its own serializer): a transcript
    # model like it would make stored_json fall back to pydantic's dump.
    assert not _plain_fields(TranscriptFingerprint)
    assert _plain_fields(Transcript)


def _import(
    tmp_path: Path, name: str, paths: list[Path], early: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, str] | None, list[str]]:
    """(the store's files, or None) and the problems, with the early checks on or off."""
    monkeypatch.setattr(staged_import, "EARLY", early)
    store = Store.create(tmp_path / f"{name}-{early}")
    try:
        import_files(store, paths, load_rules())
    except ImportFailed as exc:
        return None, [str(p) for p in exc.problems]
    # Left out: accounts (a plain password is hashed with a new salt each time) and
    # the store's marker (the time it was made).
    files = _store_hash(store.root)
    return {k: v for k, v in files.items() if k.startswith(("bulk", "hot"))}, []


def _college_files(applications_first: bool) -> dict[str, Any]:
    files = college()
    # The application's student gets a second application (returned, no events), so
    # one transcript is asked for more facts and two fingerprints.
    second = copy.deepcopy(doc(files, "people.json", "application"))
    second.update(id="XF-2", target="P01", sources=[], status="被退回", events=[])
    files["people.json"].append(second)
    if applications_first:
        return {"a-people.json": files["people.json"], "b-college.json": files["college.json"]}
    return files


@pytest.mark.parametrize("applications_first", [True, False])
def test_early_checks_write_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, applications_first: bool
) -> None:
    paths = write(tmp_path, _college_files(applications_first))
    stores = [_import(tmp_path, "college", paths, early, monkeypatch) for early in (False, True)]
    assert stores[0][1] == [] and stores[0][0]
    assert stores[0] == stores[1]


def test_early_checks_write_the_same_demo_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = [_import(tmp_path, "demo", [DEMO], early, monkeypatch) for early in (False, True)]
    assert stores[0][1] == [] and stores[0][0]
    assert stores[0] == stores[1]


def _dirty_records(files: dict[str, Any]) -> None:
    # Irregular transcripts (checked whole) beside regular ones that break the plan.
    transcript = doc(files, "college.json", "transcript", 1)
    transcript["records"].append(copy.deepcopy(transcript["records"][0]))  # a code twice
    doc(files, "college.json", "transcript")["records"][2]["category"] = "专业核心课"
    doc(files, "college.json", "transcript")["records"][3]["credits"] = 7


CASES: dict[str, Callable[[dict[str, Any]], None]] = {
    **BROKEN,
    "irregular and regular transcripts": _dirty_records,
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("applications_first", [True, False])
def test_early_checks_report_the_same_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, applications_first: bool
) -> None:
    files = college()
    CASES[case](files)
    if applications_first:
        files = dict(sorted(files.items(), key=lambda item: item[0] != "people.json"))
    paths = write(tmp_path, files)
    results = [_import(tmp_path, "broken", paths, early, monkeypatch) for early in (False, True)]
    assert results[0][0] is None and results[0][1]
    assert results[0] == results[1]


@pytest.mark.parametrize("case", ["credits against the plan", "unknown student", "bad cells"])
def test_early_checks_report_the_same_problems_of_spreadsheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    paths = _sheet_case(case, tmp_path)
    results = [_import(tmp_path, "sheet", paths, early, monkeypatch) for early in (False, True)]
    assert results[0][0] is None and results[0][1]
    assert results[0] == results[1]


# --- files as a validating writer left them are not validated again ----------------------


def _sheets_store(tmp_path: Path) -> tuple[Store, Path]:
    """A store loaded from the spreadsheets of test_sheets, and a 成绩 update of one row."""
    from test_sheets import GRADES, PLAN, STUDENTS, _book

    first = _book(tmp_path / "college.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    retake = ["2024-2025", 1, "2023110101", "林书远", "G0101", "高等数学", "必修", 4, 75, "重修"]
    update = _book(tmp_path / "update.xlsx", {"成绩": [GRADES[1], retake]})
    store = Store.create(tmp_path / "store")
    import_files(store, [first], load_rules())
    return store, update


def test_every_file_an_import_writes_is_stamped_as_checked(tmp_path: Path) -> None:
    from credx_tui.store.files import decode, written_checked

    store = Store.create(tmp_path / "store")
    import_files(store, write(tmp_path, college()), load_rules())
    written = [p for p in store.root.glob("**/*.json") if p.parent.name != "staging"]
    data_files = [p for p in written if {"bulk", "hot", "accounts"} & set(p.parts)]
    assert len(data_files) > 3
    for path in data_files:
        raw = path.read_bytes()
        assert written_checked(raw, decode(path, raw)), path


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_stored_transcript_edited_by_hand_is_named_not_merged(tmp_path: Path) -> None:
    from credx_tui.store.files import StoreError

    store, update = _sheets_store(tmp_path)
    shard = store.student_path("2023110101")

    def damage(data: dict[str, Any]) -> None:
        for stored in data["transcripts"].values():
            if stored["student_id"] == "2023110101":
                stored["records"][0]["credits"] = "four"

    _edit(shard, damage)
    before = _store_hash(store.root)
    with pytest.raises(StoreError, match=str(shard)):
        import_files(store, [update], load_rules())
    assert _store_hash(store.root) == before


def test_a_stored_application_edited_by_hand_is_named_not_rewritten(tmp_path: Path) -> None:
    from credx_tui.store.files import StoreError

    files = college()
    paths = write(tmp_path, files)
    store = Store.create(tmp_path / "store")
    import_files(store, paths, load_rules())
    (hot,) = [p for p in (store.root / "hot").glob("*/*.json") if "XF-1" in p.read_text()]

    def damage(data: dict[str, Any]) -> None:
        next(iter(data["applications"].values()))["status"] = "批准"

    _edit(hot, damage)
    second = copy.deepcopy(doc(files, "people.json", "application"))
    second.update(id="XF-2", target="P01", sources=[], status="无流程", events=[])
    later = tmp_path / "later"
    later.mkdir()
    before = _store_hash(store.root)
    with pytest.raises(StoreError, match=str(hot)):
        import_files(store, write(later, {"more.json": [second]}), load_rules())
    assert _store_hash(store.root) == before
