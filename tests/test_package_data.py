"""What ``credx demo`` and ``credx train`` read is package data, found through the
installed packages (issue 14), and an install that lacks it is named, not a traceback
nor "file not found" halfway through.  (test_packaging.py installs a real wheel.)"""

from __future__ import annotations

from pathlib import Path

import pytest

import credx_tui.demo
import credx_tui.training.scenario
import fixtures
from credx_tui.cli import main
from credx_tui.demo import DEMO_SCREENSHOT, PackageDataMissing, require_package_data
from credx_tui.sheets import DEFAULT_MAPPING
from credx_tui.training.scenario import SCENARIO_DIR
from fixtures import DEMO_DIR
from policy.rules import DEFAULT_RULES_PATH


def test_the_shipped_files_are_found_through_their_packages() -> None:
    assert Path(fixtures.__file__).parent / "demo" == DEMO_DIR
    assert sorted(p.name for p in DEMO_DIR.glob("*.json")) == [
        "accounts.json",
        "applications.json",
        "programmes.json",
        "students.json",
        "transcripts.json",
    ]
    assert DEMO_SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p.stem for p in SCENARIO_DIR.glob("*.toml")} >= {"guide-example"}
    assert DEFAULT_RULES_PATH.is_file()
    assert DEFAULT_MAPPING.is_file()


def test_require_names_every_missing_file_and_an_empty_folder(tmp_path: Path) -> None:
    empty = tmp_path / "scenarios"
    empty.mkdir()
    gone = tmp_path / "grade-screenshot.png"
    with pytest.raises(PackageDataMissing) as caught:
        require_package_data(DEMO_DIR, empty, gone)
    assert caught.value.missing == [empty, gone]
    assert str(empty) in str(caught.value) and "reinstall credx" in str(caught.value)
    require_package_data(DEMO_DIR, DEMO_SCREENSHOT)  # all there: no error


def test_demo_without_the_demo_college_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "site-packages" / "fixtures" / "demo"
    monkeypatch.setattr(credx_tui.demo, "DEMO_DIR", missing)
    store = tmp_path / "store"
    assert main(["--db", str(store), "demo"]) == 1
    err = capsys.readouterr().err
    assert f"credx is installed without its package data: {missing} missing" in err
    assert "Traceback" not in err
    assert not store.exists()


def test_train_without_its_scenarios_says_so_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "scenarios"
    monkeypatch.setattr(credx_tui.training.scenario, "SCENARIO_DIR", missing)
    error_file = tmp_path / "error.txt"
    assert main(["train", "--list", "--error-file", str(error_file)]) == 1
    err = capsys.readouterr().err
    assert f"{missing} missing" in err
    assert f"{missing} missing" in error_file.read_text(encoding="utf-8")  # for the palette
