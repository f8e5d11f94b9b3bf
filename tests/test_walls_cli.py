"""The walls on the command line (issue 9, items 5, 6, 8), in-process: rules live in the
store (`credx rules apply/show`, `--rules` only for dry runs), admin changes are audit
events (`credx audit`), the owner checks of `require_owner`, and the app's exit code and
crash output.  The real-OS-user attacks are in tests/deploy/test_ownership.py."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest

from credx_tui.cli import main
from credx_tui.services import make_services
from credx_tui.store import Store
from credx_tui.store.admin import audit_events, stored_rules
from policy.rules import DEFAULT_RULES_PATH

DEFAULT_TEXT = DEFAULT_RULES_PATH.read_text("utf-8")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    root = tmp_path / "db"
    assert main(["demo", "--db", str(root)]) == 0
    return root


def rules_file(tmp_path: Path, text: str, name: str = "college.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_demo_stores_the_default_rules_as_version_1(db: Path, capsys) -> None:
    found = stored_rules(Store(db))
    assert found is not None and found.version == 1 and found.text == DEFAULT_TEXT
    capsys.readouterr()
    assert main(["rules", "show", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("version 1\tsha256 ") and found.sha256 in out


def test_rules_apply_validates_then_stores_the_next_version(db: Path, tmp_path, capsys) -> None:
    bad = rules_file(tmp_path, DEFAULT_TEXT.replace("default = 1.0", 'default = "one"'))
    assert main(["rules", "apply", str(bad), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "ratio.default" in err
    assert stored_rules(Store(db)).version == 1  # type: ignore[union-attr]

    stricter = rules_file(tmp_path, DEFAULT_TEXT.replace("default = 1.0", "default = 2.0"))
    assert main(["rules", "apply", str(stricter), "--db", str(db)]) == 0
    assert "rules version 2 stored" in capsys.readouterr().out
    services = make_services(Store(db))
    assert services.rules_version == 2 and services.rules.ratio.default == 2.0
    # The same file again is not a new version.
    assert main(["rules", "apply", str(stricter), "--db", str(db)]) == 0
    assert "unchanged: version 2" in capsys.readouterr().out
    [event] = [e for e in audit_events(Store(db)) if e.target == "version 2"]
    assert event.action == "rules.apply" and event.detail["source"] == str(stricter.resolve())


def test_every_process_decides_with_the_stored_rules(db: Path, tmp_path, capsys) -> None:
    """`check` without --rules uses the store's rules; a running Services follows a new
    version at its next call."""
    student = "2018110101"
    running = make_services(Store(db))
    assert main(["check", "--db", str(db), "--student", student, "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert any(r["exchangeable"] for r in before)
    # A college that excludes every category from the matrix: nothing is exchangeable.
    text = DEFAULT_TEXT.split("[matrix]")[0] + "[matrix]\n" + DEFAULT_TEXT.split("[ratio]")[1]
    text = text.replace("\n", "\n", 1)
    closed = rules_file(tmp_path, text.replace("default = 1.0", "[ratio]\ndefault = 1.0", 1))
    assert main(["rules", "apply", str(closed), "--db", str(db)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["check", "--db", str(db), "--student", student, "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert not any(r["exchangeable"] for r in after)
    me = running.actor_for(student)
    assert not any(v.exchangeable for v in running.verdicts(me))
    assert running.rules_version == 2


def test_rules_flag_only_for_dry_runs(db: Path, tmp_path, capsys) -> None:
    file = rules_file(tmp_path, DEFAULT_TEXT)
    for argv in (["user", "list"], ["verify"], ["demo"], [], ["serve"]):
        assert main([*argv, "--db", str(db), "--rules", str(file)]) == 1, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "only for dry runs" in err
    assert main(["check", "--db", str(db), "--student", "2018110101", "--rules", str(file)]) == 0


def test_admin_changes_are_audit_events(db: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
    assert main(["user", "add", "rev_a", "--role", "reviewer", "--db", str(db)]) == 0
    assert main(["user", "disable", "rev_a", "--db", str(db)]) == 0
    monkeypatch.setenv("CREDX_KEY_USER", "admin_li")
    assert main(["user", "enable", "rev_a", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", str(db), "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    actions = [(e["action"], e["target"]) for e in events]
    assert actions[:2] == [("rules.apply", "version 1"), ("demo", str(db))]
    assert actions[-3:] == [
        ("user.add", "rev_a"),
        ("user.disable", "rev_a"),
        ("user.enable", "rev_a"),
    ]
    assert events[-1]["via"] == "key admin_li" and events[-2]["via"] == ""
    assert all(e["os_user"] and isinstance(e["uid"], int) for e in events)
    assert main(["audit", "--db", str(db), "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "user.enable\trev_a" in lines[0] and "via key admin_li" in lines[0]
    mode = (db / "audit" / "admin.jsonl").stat().st_mode & 0o777
    assert mode == 0o600


def test_owner_flags_are_checked(db: Path, capsys) -> None:
    assert main(["user", "list", "--db", str(db), "--owner", "nobody"]) == 1
    assert "--owner goes with --as-owner" in capsys.readouterr().err
    assert main(["train", "--as-owner", "--list"]) == 1
    assert "sandbox" in capsys.readouterr().err


def test_require_owner_refuses_a_process_that_does_not_own_the_store(db: Path, monkeypatch) -> None:
    import argparse
    import os

    from credx_tui.cli import CliError, require_owner

    args = argparse.Namespace(db=str(db), command="user")
    assert require_owner(args).uid == os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: 54321)
    with pytest.raises(CliError, match="only the store's owner"):
        require_owner(args)


def test_the_app_exits_non_zero_after_an_error_without_locals(db: Path, capsys) -> None:
    """Item 8: Textual's crash report prints every frame's locals; ours is one line."""
    import asyncio

    from credx_tui.app import make_app
    from credx_tui.settings import Settings

    services = make_services(Store(db))
    secret = "password_hash-of-someone"

    async def crash() -> None:
        app = make_app(Settings(db=db), services)
        with pytest.raises(ZeroDivisionError):
            async with app.run_test(size=(80, 24)) as pilot:
                document = {"hash": secret}  # noqa: F841 (a local the old report showed)
                app.call_later(lambda: 1 / 0)
                await pilot.pause(0.2)
        assert app.return_code == 1

    capsys.readouterr()
    asyncio.run(crash())
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError)" in err
    assert secret not in err and "Traceback" not in err and "locals" not in err


def test_run_app_returns_the_apps_error_code(db: Path, monkeypatch) -> None:
    from credx_tui import app as app_module
    from credx_tui.settings import Settings

    def failed_run(self, *args, **kwargs):
        self._return_code = 1
        return None

    monkeypatch.setattr(app_module.CredxApp, "run", failed_run)
    store = Store(db)
    assert app_module.run_app(Settings(db=db), store, make_services(store).rules) == 1


def test_verify_reports_files_open_to_other_accounts(db: Path, capsys) -> None:
    shard = next((db / "accounts").glob("*.json"))
    shard.chmod(0o644)
    (db / "hot").chmod(0o755)
    capsys.readouterr()
    assert main(["verify", "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert f"{shard}: mode 0644, open to other accounts: chmod 600 {shard}" in out
    assert f"chmod 700 {db / 'hot'}" in out
    shard.chmod(0o600)
    (db / "hot").chmod(0o700)
    assert main(["verify", "--db", str(db)]) == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder away")
def test_train_never_opens_the_store(tmp_path: Path, capsys) -> None:
    """`credx train --list` works whoever owns the default store (it has its sandbox)."""
    foreign = tmp_path / "theirs"
    foreign.mkdir()
    os.chown(foreign, 54321, 54321)
    assert main(["train", "--list", "--db", str(foreign)]) == 0
    assert "guide-example" in capsys.readouterr().out
