"""Issue 12, item 3: ``credx verify`` while an import is under way, or after one died.

An import stages its files under ``staging/`` and, once decided, writes
``import-journal.json``.  verify must not call those unknown files: while the import
runs (it holds the bulk lock) it says an import is in progress and checks the store as
it was; when nobody holds the lock the import was interrupted, and verify says so and
that ``credx verify --repair`` finishes it (journal) or removes it (no journal).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from credx_tui.cli import main
from credx_tui.store import Store
from credx_tui.store.files import locked
from credx_tui.store.staging import JOURNAL, STAGING, StagedFiles
from credx_tui.store.verify import verify_store


def _staged(root: Path, decided: bool) -> Path:
    """A store with one programmes file staged (and journalled when ``decided``)."""
    staged = StagedFiles(root)
    target = root / "bulk" / "programmes.json"
    staged.put(target, b'{"programmes": {}, "_meta": {"1": {"schema": 1}}}')
    (staged.folder.with_name(staged.folder.name + ".spill")).write_bytes(b"{}")
    if decided:
        journal = {"staging": staged.folder.name, "files": staged.files}
        (root / JOURNAL).write_bytes(json.dumps(journal).encode())
        os.chmod(root / JOURNAL, 0o600)
    return target


def test_verify_during_an_import_says_one_is_in_progress(tmp_path: Path, capsys) -> None:
    root = Store.create(tmp_path / "store").root
    _staged(root, decided=False)
    with locked(root / "locks" / "bulk.lock"):  # the import holds it while it runs
        report = verify_store(root)
        assert report.sound, report.damage
        assert any("an import is in progress" in n for n in report.notes)
        assert not any("does not know" in d for d in report.damage + report.garbage)
        assert main(["verify", "--db", str(root)]) == 0
    out = capsys.readouterr().out
    assert "an import is in progress" in out and "store is sound" in out
    assert "does not know" not in out
    assert (root / STAGING).exists()  # an import's own files are never touched


def test_verify_names_an_interrupted_import_and_repair_finishes_it(tmp_path: Path) -> None:
    root = Store.create(tmp_path / "store").root
    target = _staged(root, decided=True)
    report = verify_store(root)
    assert not report.sound
    assert len(report.damage) == 1, report.damage
    assert "an import was interrupted" in report.damage[0]
    assert "credx verify --repair" in report.damage[0]
    assert JOURNAL in report.damage[0]
    repaired = verify_store(root, repair=True)
    assert repaired.sound, repaired.damage
    assert any("completed the import" in r for r in repaired.repaired)
    assert target.exists() and not (root / STAGING).exists()


def test_verify_names_an_undecided_import_and_repair_removes_it(tmp_path: Path) -> None:
    root = Store.create(tmp_path / "store").root
    target = _staged(root, decided=False)
    report = verify_store(root)
    assert not report.sound and "stopped before it was decided" in report.damage[0]
    repaired = verify_store(root, repair=True)
    assert repaired.sound, repaired.damage
    assert not target.exists() and not (root / STAGING).exists()


def test_the_verify_command_completes_an_interrupted_import(tmp_path: Path, capsys) -> None:
    root = Store.create(tmp_path / "store").root
    target = _staged(root, decided=True)
    assert main(["verify", "--db", str(root)]) == 0
    assert "store is sound" in capsys.readouterr().out
    assert target.exists() and not (root / STAGING).exists() and not (root / JOURNAL).exists()
