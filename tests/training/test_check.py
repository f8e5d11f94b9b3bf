"""``credx train --check FILE`` (issue 15, item 5): a scenario checked against its
fixture before class; each problem named with its step and field, exit 1; the shipped
scenarios pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from credx_tui.cli import main
from credx_tui.training.scenario import SCENARIO_DIR, shipped_scenarios

GUIDE = (SCENARIO_DIR / "guide-example.toml").read_text(encoding="utf-8")


def variant(tmp_path: Path, name: str, *swaps: tuple[str, str]) -> Path:
    """The guide's example with ``swaps`` made (each must apply)."""
    text = GUIDE
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.timeout(240)
@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_the_shipped_scenarios_check_out(path: Path, capsys) -> None:
    assert main(["train", "--check", str(path)]) == 0
    assert "checks out" in capsys.readouterr().out


@pytest.mark.timeout(240)
def test_unknown_course_and_mistyped_source_are_named(tmp_path: Path, capsys) -> None:
    path = variant(
        tmp_path,
        "typos",
        ('sources = ["T1801", "T1802"]', 'sources = ["T1801", "T18O2"]'),
        ('target = "G0202", status', 'target = "G02O2", status'),
    )
    assert main(["train", "--check", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "2 problem(s)" in err
    assert (
        "step 7 (apply-math), field perform.sources[1]: T18O2 is not a source 2018110101 "
        "holds for 高等数学(2-1)" in err
    )
    assert "did you mean T1802" in err  # the letter O typed for a zero, named first
    assert "step 8 (apply-english), field expect.target: no course G02O2" in err
    assert "did you mean G0202" in err


@pytest.mark.timeout(240)
def test_an_unknown_student_is_named(tmp_path: Path, capsys) -> None:
    path = variant(tmp_path, "nobody", ('student = "2018110101"', 'student = "2018110199"'))
    assert main(["train", "--check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "top level, field student: no student 2018110199 in the fixture" in err


@pytest.mark.timeout(240)
def test_a_highlight_that_matches_nothing_is_named(tmp_path: Path, capsys) -> None:
    path = variant(
        tmp_path,
        "highlight",
        ('highlight = "#decision-credits"', 'highlight = "#decision-credit"'),
        ('highlight = "#targets"', 'highlight = "#targets["'),
    )
    assert main(["train", "--check", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "step 9 (review), field highlight: '#decision-credit' matches nothing on the "
        "review_decision screen" in err
    )
    assert "step 7 (apply-math), field highlight: '#targets[' is not a selector" in err


def test_a_malformed_file_and_a_missing_one_stop_with_their_name(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("id = 'x'\n[[steps]\n", encoding="utf-8")
    assert main(["train", "--check", str(bad)]) == 1
    assert f"{bad}: not valid TOML" in capsys.readouterr().err
    assert main(["train", "--check", str(tmp_path / "none.toml")]) == 1
    assert "cannot read the scenario" in capsys.readouterr().err
