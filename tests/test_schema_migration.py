"""Issue 12, item 4: the schema version went to 2 with ``submitted_transcript``.

A store of schema 1 (applications submitted without a fingerprint) is brought to 2 the
first time it is opened: each submitted application gets the fingerprint of its
transcript, the marker is stamped 2, and ``credx verify`` finds it sound; opening it
again changes nothing.  A store (or a file) of a newer schema is refused with a
sentence that says so, and nothing is changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from credx_tui.cli import main
from credx_tui.store import SCHEMA_VERSION, Store, StoreError
from credx_tui.store.migrate import store_version
from credx_tui.store.store import MARKER
from policy.fingerprint import SUBMITTED

SUBMITTED_VALUES = {s.value for s in SUBMITTED}


def _stamp(path: Path, version: int, edit=None) -> None:
    data = orjson.loads(path.read_bytes())
    if edit is not None:
        edit(data)
    data["_meta"] = {"1": {"schema": version}}
    path.write_bytes(orjson.dumps(data))


def _submitted(root: Path) -> list[dict]:
    return [
        doc
        for path in sorted((root / "hot").glob("*/*.json"))
        for doc in orjson.loads(path.read_bytes()).get("applications", {}).values()
        if doc["status"] in SUBMITTED_VALUES
    ]


def _as_version_1(root: Path) -> None:
    """The store as credx wrote it before schema 2: no fingerprints, stamped 1."""

    def drop(data: dict) -> None:
        for doc in data.get("applications", {}).values():
            doc.pop("submitted_transcript", None)

    for path in sorted((root / "hot").glob("*/*.json")):
        _stamp(path, 1, drop)
    _stamp(root / MARKER, 1)


@pytest.fixture
def demo(tmp_path: Path, capsys) -> Path:
    root = tmp_path / "store"
    assert main(["--db", str(root), "demo"]) == 0  # with its attachments: verify is sound
    capsys.readouterr()
    return root


def test_a_version_1_store_is_migrated_when_opened(demo: Path, capsys) -> None:
    assert SCHEMA_VERSION == 2
    _as_version_1(demo)
    assert _submitted(demo) and all("submitted_transcript" not in d for d in _submitted(demo))
    store = Store(demo)
    assert store.migrated and "schema 2" in store.migrated[0]
    assert all(d.get("submitted_transcript") for d in _submitted(demo))
    assert store_version(orjson.loads((demo / MARKER).read_bytes())) == 2
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo.rglob("*.json")}
    assert Store(demo).migrated == []  # once only
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo.rglob("*.json")}
    assert before == after
    assert main(["verify", "--db", str(demo)]) == 0
    assert "store is sound" in capsys.readouterr().out


def test_the_fingerprint_given_by_the_migration_is_the_transcripts(demo: Path) -> None:
    from policy.fingerprint import fingerprint
    from policy.models import ExchangeApplication

    kept = {d["id"]: d["submitted_transcript"] for d in _submitted(demo)}
    _as_version_1(demo)
    store = Store(demo)
    for doc in _submitted(demo):
        app = ExchangeApplication.model_validate(doc)
        transcript = store.transcript(app.student_id)
        assert transcript is not None
        assert doc["submitted_transcript"] == fingerprint(transcript, app).model_dump(mode="json")
        assert doc["submitted_transcript"] == kept[doc["id"]]  # nothing changed since


def test_a_store_of_a_newer_schema_is_refused(demo: Path, capsys) -> None:
    _stamp(demo / MARKER, SCHEMA_VERSION + 1)
    before = (demo / MARKER).read_bytes()
    with pytest.raises(StoreError, match="newer credx"):
        Store(demo)
    assert main(["check", "--db", str(demo), "--student", "2023110101"]) != 0
    err = capsys.readouterr().err
    assert f"schema {SCHEMA_VERSION + 1}" in err and "upgrade credx" in err
    assert "Traceback" not in err
    assert (demo / MARKER).read_bytes() == before


def test_a_hot_file_of_a_newer_schema_is_refused_and_not_migrated(demo: Path) -> None:
    hot = sorted((demo / "hot").glob("*/*.json"))[0]
    _as_version_1(demo)
    _stamp(hot, SCHEMA_VERSION + 1)
    before = hot.read_bytes()
    with pytest.raises(StoreError, match="newer credx"):
        Store(demo)
    assert hot.read_bytes() == before
    assert store_version(orjson.loads((demo / MARKER).read_bytes())) == 1
