"""The college at a glance (issue 12, item 4): `credx stats` and policy.figures against
the college of export_college.py, whose counts and days are known."""

from __future__ import annotations

import json

import pytest
from export_college import A, B, build

from credx_tui.cli import main
from credx_tui.services import AccessDenied
from credx_tui.services.stats import college_figures
from policy.figures import percentile


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory):
    services, clock = build(tmp_path_factory.mktemp("stats") / "db")
    return services, clock


def test_percentile_is_the_spreadsheets_percentile_inc() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 4], 50) == 2
    assert percentile([1, 2, 4], 90) == pytest.approx(3.6)
    assert percentile([1, 2, 4, 10], 90) == pytest.approx(8.2)


def test_figures_match_the_known_college(college) -> None:
    services, clock = college
    figures = college_figures(services, services.actor_for("admin"), now=clock.now)
    data = figures.to_json()
    assert data["counts"] == [
        {"college": B, "无流程": 0, "审核中": 1, "审核通过": 1, "被退回": 0, "total": 2},
        {"college": A, "无流程": 1, "审核中": 1, "审核通过": 2, "被退回": 1, "total": 5},
    ]
    assert data["decision_days"] == [
        {"college": B, "decided": 1, "median": 10.0, "p90": 10.0},
        {"college": A, "decided": 3, "median": 2.0, "p90": 3.6},
        {"college": "", "decided": 4, "median": 3.0, "p90": 8.2},
    ]
    assert [(c["code"], c["approved"]) for c in data["top_courses"]] == [("M1", 2), ("E2", 1)]
    assert data["credits_spent"] == {
        "通识选修课": 10.0,
        "专业拓展课": 0.0,
        "竞赛集训学分": 0.0,
        "获奖证书": 0.0,
    }
    assert [(q["reviewer"], q["by_step"], q["oldest_days"]) for q in data["open_queues"]] == [
        ("rev_a", {"college": 1}, 5.0),
        ("rev_b", {"college": 1}, 5.0),
    ]


def test_stats_json_and_text_from_the_shell(college, capsys) -> None:
    services, _ = college
    db = str(services.store.root)
    assert main(["stats", "--db", db, "--json", "--college", A]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["colleges"] == [A] and data["counts"][0]["total"] == 5
    assert [q["reviewer"] for q in data["open_queues"]] == ["rev_a"]
    assert main(["stats", "--db", db]) == 0
    out = capsys.readouterr().out
    for title in (
        "各学院申请数",
        "提交到审核的天数",
        "兑换最多的课程",
        "已用学分",
        "审核人待审队列",
    ):
        assert title in out


def test_stats_exit_codes_match_export(college, capsys, tmp_path) -> None:
    """An unknown --college is a usage error for `stats` as for `export` (exit 2, one
    line on stderr, nothing on stdout); a missing store is a failure (exit 1)."""
    services, _ = college
    db = str(services.store.root)
    for argv in (
        ["stats", "--db", db, "--college", "丙学院"],
        ["stats", "--db", db, "--json", "--college", "丙学院"],
        [
            "export",
            "applications",
            "--db",
            db,
            "--college",
            "丙学院",
            "-o",
            str(tmp_path / "r.csv"),
        ],
    ):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and "no college 丙学院" in captured.err
    assert not (tmp_path / "r.csv").exists()
    missing = str(tmp_path / "nowhere")
    assert main(["stats", "--db", missing]) == 1
    assert main(["export", "approved", "--db", missing, "-o", str(tmp_path / "a.csv")]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all("no credx store" in line for line in errors)


def test_only_admins_see_the_figures(college) -> None:
    services, _ = college
    with pytest.raises(AccessDenied):
        college_figures(services, services.actor_for("rev_a"))
