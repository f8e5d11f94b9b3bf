"""The `credx` shell tools on the demo college: check, import, demo, user, verify."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from credx_tui.cli import main
from credx_tui.services.loading import DEMO_DIR

RULE_IDS = {f"R{n}" for n in range(1, 12)}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "db"
    assert main(["demo", "--db", str(root)]) == 0
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix == ".json"
    }


def demo_students() -> list[str]:
    docs = json.loads((DEMO_DIR / "students.json").read_text("utf-8"))["documents"]
    return [d["id"] for d in docs if d["type"] == "student"]


def test_check_json_answers_for_every_demo_student(demo_db: Path, capsys) -> None:
    students = demo_students()
    assert len(students) >= 12
    for sid in students:
        assert main(["check", "--db", str(demo_db), "--student", sid, "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows, sid
        for row in rows:
            assert {
                "course",
                "category",
                "credits",
                "exchangeable",
                "rule",
                "reason_zh",
                "reason_en",
            } <= set(row)
            if row["exchangeable"]:
                assert row["rule"] is None
            else:
                assert row["rule"] in RULE_IDS or row["rule"].startswith("rules.")
                assert row["reason_zh"] and row["reason_en"]


def test_check_json_of_the_guides_student(demo_db: Path, capsys) -> None:
    main(["check", "--db", str(demo_db), "--student", "2018110101", "--json"])
    rows = {r["course"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["高等数学(2-1)"]["exchangeable"] is True
    assert rows["英语(2-2)"]["exchangeable"] is True
    assert rows["形势与政策(2-1)"]["rule"] == "R5"
    assert rows["入学教育与军训"]["rule"] == "R5"
    assert rows["程序设计基础"]["rule"] == "R1"


def test_check_as_a_whole_process(demo_db: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "credx_tui.cli",
            "check",
            "--db",
            str(demo_db),
            "--student",
            "2018110101",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "高等数学(2-1)" in out.stdout and "【R5】" in out.stdout


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["check", "--student", "0000000000"], 1, "no student with ID 0000000000"),
        (
            ["check", "--student", "2018110101", "--db", "/nonexistent/credx"],
            1,
            "no credx store at",
        ),
    ],
)
def test_check_errors_are_one_line(demo_db: Path, capsys, argv, code, words) -> None:
    if "--db" not in argv:
        argv = [*argv, "--db", str(demo_db)]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert words in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_arguments_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check"])
    assert exc.value.code == 2
    assert "--student" in capsys.readouterr().err


def test_import_is_all_or_nothing_and_reports_every_problem(
    demo_db: Path, tmp_path: Path, capsys
) -> None:
    before = snapshot(demo_db)
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "format": "credx-import",
                "version": 1,
                "documents": [
                    {
                        "type": "student",
                        "id": "2099990001",
                        "name": "新同学",
                        "college": "智能制造学院",
                        "major": "云计算技术应用",
                        "grade_year": 2023,
                    }
                ],
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "credx-import",
                "version": 1,
                "documents": [
                    {
                        "type": "student",
                        "id": "2099990002",
                        "name": "",
                        "college": "智能制造学院",
                        "major": "云计算技术应用",
                        "grade_year": "next year",
                    }
                ],
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    assert main(["import", "--db", str(demo_db), str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.json: document 0" in err
    assert "field name" in err and "field grade_year" in err
    assert "nothing was imported" in err
    assert snapshot(demo_db) == before
    assert main(["import", "--db", str(demo_db), str(tmp_path / "truncated.json")]) == 1
    (tmp_path / "trunc.json").write_bytes(b'{"format": "credx-import", "documents": [')
    assert main(["import", "--db", str(demo_db), str(tmp_path / "trunc.json")]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert snapshot(demo_db) == before


def test_reimport_changes_nothing(tmp_path: Path, capsys) -> None:
    root = tmp_path / "db"
    assert main(["demo", "--db", str(root)]) == 0
    capsys.readouterr()
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*.json")}
    assert main(["import", "--db", str(root), str(DEMO_DIR)]) == 0
    out = capsys.readouterr().out
    assert "students: 0 written, 17 unchanged" in out
    assert all(" 0 written" in line for line in out.splitlines()), out
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*.json")}
    assert after == before


def test_demo_if_empty_keeps_an_existing_store(demo_db: Path) -> None:
    before = snapshot(demo_db)
    assert main(["demo", "--if-empty", "--db", str(demo_db)]) == 0
    assert snapshot(demo_db) == before


def test_db_from_environment(demo_db: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CREDX_DB", str(demo_db))
    assert main(["check", "--student", "2018110101", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)


def test_malformed_rules_file_names_file_and_key(demo_db: Path, tmp_path: Path, capsys) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        (Path(__file__).parents[1] / "policy/rules/default.toml")
        .read_text("utf-8")
        .replace("default = 1.0", 'default = "one"'),
        "utf-8",
    )
    assert (
        main(["check", "--db", str(demo_db), "--student", "2018110101", "--rules", str(rules)]) == 1
    )
    err = capsys.readouterr().err
    assert str(rules) in err and "ratio.default" in err


def test_user_add_and_login(demo_db: Path, monkeypatch, capsys) -> None:
    import io

    from credx_tui.services import make_services
    from credx_tui.store import Store
    from policy.rules import load_rules

    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert (
        main(
            [
                "user",
                "add",
                "rev_new",
                "--role",
                "reviewer",
                "--college",
                "智能制造学院",
                "--db",
                str(demo_db),
            ]
        )
        == 0
    )
    services = make_services(Store(demo_db), load_rules())
    assert services.login("rev_new", "s3cret").actor.colleges == ("智能制造学院",)
    assert main(["user", "list", "--db", str(demo_db)]) == 0
    listed = capsys.readouterr().out
    assert "rev_new" in listed and "scrypt" not in listed


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--step", "deen", "review step deen is not in the rules"),
        ("--college", "智能制造", "college 智能制造 is not in the store"),
    ],
)
def test_user_add_refuses_an_unknown_step_or_college(
    tmp_path: Path, monkeypatch, capsys, option: str, value: str, named: str
) -> None:
    """Issue 15 (R11): a typo in --step or --college is one clear line, exit 1, and
    nothing written (neither the account nor an audit line)."""
    import io

    root = tmp_path / "db"
    assert main(["demo", "--db", str(root)]) == 0
    before = snapshot(root)
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    argv = ["user", "add", "rev_typo", "--role", "reviewer", "--db", str(root)]
    if option == "--step":
        argv += ["--college", "智能制造学院"]
    assert main([*argv, option, value]) == 1
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and named in lines[0], err
    assert "Traceback" not in err and "done" not in out
    assert snapshot(root) == before
    audit_files = [p for p in root.rglob("*audit*") if p.is_file()]
    assert all("rev_typo" not in p.read_text("utf-8", "replace") for p in audit_files)


def test_user_list_shows_the_steps(tmp_path: Path, monkeypatch, capsys) -> None:
    import io

    root = tmp_path / "db"
    assert main(["demo", "--db", str(root)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    add = ["user", "add", "rev_step", "--role", "reviewer", "--college", "智能制造学院"]
    assert main([*add, "--step", "college", "--db", str(root)]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--db", str(root)]) == 0
    rows = {r.split("\t")[0]: r.split("\t") for r in capsys.readouterr().out.splitlines()}
    assert rows["rev_step"][3:] == ["智能制造学院", "college", "active"]
    assert rows["rev_zn"][4] == "all"  # no steps: every step of the chain (R11)
    assert rows["admin"][4] == "-"


def test_user_add_checks_steps_against_the_stored_rules(tmp_path: Path, monkeypatch) -> None:
    """The steps a college applied with `credx rules apply` are the ones accepted."""
    import io

    default = Path(__file__).parents[1] / "policy" / "rules" / "default.toml"
    rules = tmp_path / "college.toml"
    extra = '\n[[review_steps]]\nid = "dean"\nzh = "教学院长审核"\nen = "Dean of teaching"\n'
    rules.write_text(default.read_text("utf-8") + extra, encoding="utf-8")
    root = tmp_path / "db"
    assert main(["demo", "--db", str(root)]) == 0
    add = ["user", "add", "dean_zn", "--role", "reviewer", "--college", "智能制造学院"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert main([*add, "--step", "dean", "--db", str(root)]) == 1
    assert main(["rules", "apply", str(rules), "--db", str(root)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert main([*add, "--step", "dean", "--db", str(root)]) == 0


def test_verify_finds_a_damaged_file(tmp_path: Path, capsys) -> None:
    root = tmp_path / "db"
    main(["demo", "--db", str(root)])
    assert main(["verify", "--db", str(root)]) == 0
    from credx_tui.store import Store

    victim = Store(root).student_path("2018110101")
    damaged = victim.read_bytes()[:20]
    victim.write_bytes(damaged)
    assert main(["verify", "--db", str(root)]) == 1
    assert str(victim) in capsys.readouterr().out
    assert main(["check", "--db", str(root), "--student", "2018110101"]) == 1
    err = capsys.readouterr().err
    assert str(victim) in err and "corrupt or truncated" in err and "Traceback" not in err
    assert victim.read_bytes() == damaged


def test_options_before_the_subcommand_count(tmp_path: Path, capsys) -> None:
    """`credx --db X demo` must load into X, not into the default folder."""
    root = tmp_path / "before"
    assert main(["--db", str(root), "demo"]) == 0
    assert (root / "credx-store.json").exists()
    capsys.readouterr()
    assert main(["--db", str(root), "--lang", "en", "check", "--student", "2018110101"]) == 0
    assert "R5:" in capsys.readouterr().out
