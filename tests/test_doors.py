"""The rule of credx_tui/doors.py (issue 10, item 1): the path picker only where the
process runs as the person on their own machine; never over SSH, never as another
account (setuid into the service account) or as a system account (the service
account, root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from credx_tui.doors import first_person_uid, runs_as_the_person


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    path = tmp_path / "login.defs"
    path.write_text("# comment\nUID_MIN\t\t\t 1000\nUID_MAX 60000\n", encoding="utf-8")
    return path


def test_a_person_at_their_own_terminal(defs: Path) -> None:
    assert runs_as_the_person(ssh=False, environ={}, uid=1001, euid=1001, login_defs=defs)


@pytest.mark.parametrize(
    ("ssh", "environ", "uid", "euid"),
    [
        (True, {}, 1001, 1001),  # --ssh / --key-user
        (False, {"SSH_CONNECTION": "10.0.0.9 5000 10.0.0.1 22"}, 1001, 1001),  # any ssh
        (False, {}, 1001, 998),  # setuid into the service account
        (False, {}, 998, 998),  # the service account itself (useradd --system)
        (False, {}, 0, 0),  # root
    ],
)
def test_not_the_person(defs: Path, ssh, environ, uid, euid) -> None:
    assert not runs_as_the_person(ssh=ssh, environ=environ, uid=uid, euid=euid, login_defs=defs)


def test_uid_min_from_login_defs(tmp_path: Path, defs: Path) -> None:
    assert first_person_uid(defs) == 1000
    other = tmp_path / "other.defs"
    other.write_text("UID_MIN 2000\n", encoding="utf-8")
    assert first_person_uid(other) == 2000
    assert runs_as_the_person(ssh=False, environ={}, uid=1500, euid=1500, login_defs=defs)
    assert not runs_as_the_person(ssh=False, environ={}, uid=1500, euid=1500, login_defs=other)
    assert first_person_uid(tmp_path / "missing") in (500, 1000)


def test_the_cli_decides_for_the_app(monkeypatch, tmp_path: Path) -> None:
    """`credx` passes the rule to the app's settings; over --ssh it is off."""
    import credx_tui.app as app_module
    from credx_tui import cli, doors
    from credx_tui.store import Store

    Store.create(tmp_path / "db")
    seen: list[bool] = []
    monkeypatch.setattr(
        app_module, "run_app", lambda settings, *a, **k: seen.append(settings.local_files) or 0
    )
    monkeypatch.setattr(doors, "first_person_uid", lambda login_defs=None: 0)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    assert cli.main(["--db", str(tmp_path / "db")]) == 0
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.9 5000 10.0.0.1 22")
    assert cli.main(["--db", str(tmp_path / "db")]) == 0
    assert seen == [True, False]
