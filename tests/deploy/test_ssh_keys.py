"""``credx keys`` and ``--key-user`` without sshd (no root needed): the key lines are
validated, credx's lines are written atomically beside the lines it did not write,
and ``--key-user`` / ``--ssh`` are refused from a shell."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from credx_tui.cli import main
from credx_tui.ssh_keys import (
    SshKeyError,
    add_keys,
    credx_keys,
    parse_public_key,
    read_key_file,
    remove_keys,
)


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return Path(f"{key}.pub")


def test_key_lines_are_validated(pub: Path, tmp_path: Path) -> None:
    [key] = read_key_file(pub)
    text = pub.read_text().strip()
    for bad, why in [
        (f'command="sh" {text}', "options"),
        (f'from="10.0.0.1",no-pty {text}', "options"),
        (text.replace("ssh-ed25519", "ssh-dss", 1), "unsupported key type"),
        (text[:20] + "x" + text[21:], "damaged"),
        (text.replace(" ", " AAAA", 1), "damaged"),
        ("ssh-ed25519", "not a public key"),
    ]:
        path = tmp_path / "bad.pub"
        path.write_text(bad + "\n")
        with pytest.raises(SshKeyError) as refused:
            read_key_file(path)
        assert why in refused.value.en and "bad.pub:1" in refused.value.en
    fp = subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True)
    assert key.fingerprint in fp.stdout
    assert parse_public_key(text, "x") == key


def test_lines_credx_did_not_write_are_kept(pub: Path, tmp_path: Path) -> None:
    path = tmp_path / "home" / ".ssh" / "authorized_keys"
    path.parent.mkdir(parents=True)
    path.write_text("# the administrator's own line\nssh-ed25519 AAAAother admin@host\n")
    [key] = read_key_file(pub)
    assert add_keys(path, ["/opt/credx/venv/bin/credx", "--db", "/srv/s"], "rev_zn", [key]) == 1
    assert add_keys(path, ["/opt/credx/venv/bin/credx", "--db", "/srv/s"], "rev_zn", [key]) == 0
    lines = path.read_text().splitlines()
    assert lines[:2] == ["# the administrator's own line", "ssh-ed25519 AAAAother admin@host"]
    assert lines[2].startswith(
        'command="/opt/credx/venv/bin/credx --db /srv/s --key-user rev_zn",restrict,pty ssh-ed25519 '
    )
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    with pytest.raises(SshKeyError) as taken:
        add_keys(path, ["credx"], "rev_hg", [key])
    assert "already belongs to rev_zn" in taken.value.en
    assert [k.account for k in credx_keys(path)] == ["rev_zn"]
    assert remove_keys(path, "rev_zn") == 1
    assert path.read_text().splitlines() == lines[:2]


def test_key_user_and_ssh_are_refused_from_a_shell(tmp_path: Path, monkeypatch, capsys) -> None:
    db = tmp_path / "db"
    assert main(["demo", "--db", str(db)]) == 0
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    for flags in (["--key-user", "rev_zn"], ["--ssh"]):
        assert main(["--db", str(db), *flags]) == 1
        assert "for sshd's logins only" in capsys.readouterr().err
    # Under "sshd" but without a terminal: nothing runs.
    monkeypatch.setenv("SSH_CONNECTION", "127.0.0.1 5000 127.0.0.1 22")
    assert main(["--db", str(db), "--ssh"]) == 1
    assert "credx needs a terminal" in capsys.readouterr().err
