"""Issue 14, item 2: the four readers of outside data word a refused field the same way
(policy/validation.py): the file, the record (index, id or table), then ``field PATH:
what`` with a path as the file writes it (``records[0].name``) and the same words for
the same fault (``required field is missing``).  Each test takes one required field out
of the first item of a list and reads the message its reader gives."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from test_importing import college, doc, write

from credx_tui.importing import ImportFailed, parse_files
from credx_tui.store import Store, StoreError
from credx_tui.training.scenario import ScenarioError, load_scenario, shipped_scenarios
from policy.rules import DEFAULT_RULES_PATH, RulesError, parse_rules
from tests.services.service_college import STUDENT, make_store

MISSING = "required field is missing"


def test_a_bad_import_file(tmp_path: Path) -> None:
    files = college()
    del doc(files, "college.json", "transcript")["records"][0]["name"]
    paths = write(tmp_path, files)
    with pytest.raises(ImportFailed) as failed:
        parse_files(paths)
    (problem,) = failed.value.problems
    assert str(problem) == (
        f"{paths[0]}: document 3 (transcript 2023110101): field records[0].name: {MISSING}"
    )


def test_a_bad_rules_file() -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    text = text.replace('[[review_steps]]\nid = "college"\n', "[[review_steps]]\n", 1)
    with pytest.raises(RulesError) as failed:
        parse_rules(text, "my-rules.toml")
    assert str(failed.value) == (
        f"my-rules.toml: 1 problem(s) in the rules file:\n  field review_steps[0].id: {MISSING}"
    )


def test_a_bad_scenario(tmp_path: Path) -> None:
    shipped = shipped_scenarios()[0]
    text = shipped.read_text(encoding="utf-8")
    scenario = load_scenario(shipped)
    first = scenario.steps[0].id
    line = next(line for line in text.splitlines() if line.replace(" ", "").startswith("screen="))
    mine = tmp_path / "mine.toml"
    mine.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as failed:
        load_scenario(mine)
    assert str(failed.value) == (
        f"{mine}: 1 problem(s) in the scenario:\n  field steps[0] (step {first}).screen: {MISSING}"
    )


def test_a_damaged_stored_document(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    damaged: list[Path] = []
    for shard in sorted((store.root / "bulk" / "students").glob("*.json")):
        data = orjson.loads(shard.read_bytes())
        for transcript in data["transcripts"].values():
            if transcript["student_id"] == STUDENT:
                del transcript["records"][0]["name"]
                shard.write_bytes(orjson.dumps(data))
                damaged.append(shard)
    (shard,) = damaged
    with pytest.raises(StoreError) as failed:
        Store(store.root).transcript(STUDENT)
    assert str(failed.value).startswith(
        f"{shard}: a Transcript document is invalid at field records[0].name: {MISSING}; "
    )
