"""The SSH front door on a PostgreSQL store (issue 16), through a real sshd: the same
private sshd and throw-away service account as ``test_ssh_door.py``, with README's
``Match User`` block pointing ``--db`` at a database instead of a folder.  A password
login reaches credx's login screen; a key added with ``credx keys add`` (run as the
service account, which the database's credentials make its administrator) reaches
the reviewer's queue, read from the database."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import tmux, wait_screen
from tests.deploy.test_ssh_door import Sshd, with_password
from tests.pg_cluster import pg_bin, running_cluster

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(), reason="needs openssh-server"),
    pytest.mark.skipif(shutil.which("sshpass") is None, reason="needs sshpass"),
    pytest.mark.skipif(pg_bin() is None, reason="needs postgresql (initdb)"),
]


@pytest.fixture
def pg_door(make_account, system_credx: Path, tmux_server) -> Iterator[tuple]:
    """A cluster of its own, the demo college loaded into it by the service account,
    and sshd forcing ``credx --db URL --ssh`` on that account."""
    account = make_account()
    with running_cluster() as cluster:
        cluster.sql("CREATE DATABASE door")
        url = cluster.url("door")
        account.run(str(system_credx), "--db", url, "demo")
        folder = Path(f"/var/tmp/{account.name}-sshd")
        folder.mkdir(mode=0o700)
        sshd = Sshd(folder, account, system_credx, url)  # type: ignore[arg-type]
        try:
            yield sshd, account, url, system_credx
        finally:
            sshd.stop()
            shutil.rmtree(folder, ignore_errors=True)


def test_password_and_key_logins_reach_credx_on_postgresql(pg_door, tmp_path: Path) -> None:
    sshd, account, url, credx = pg_door
    command = " ".join(with_password(account, sshd.ssh("-tt")))
    tmux("new-session", "-d", "-s", "pgpw", "-x", "100", "-y", "30", f"env TERM=xterm-256color {command}")  # fmt: skip
    screen = wait_screen("pgpw", "学分兑换 登录", timeout=60)
    assert "学号" in screen and "密码" in screen

    key = tmp_path / "rev_zn_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    pub = Path(f"/var/tmp/{account.name}-sshd-rev_zn.pub")
    shutil.copy(f"{key}.pub", pub)
    pub.chmod(0o644)
    try:
        added = account.run(str(credx), "--db", url, "keys", "add", "rev_zn", str(pub))
    finally:
        pub.unlink()
    assert "1 key(s) of rev_zn" in added.stdout
    [line] = (account.home / ".ssh" / "authorized_keys").read_text().splitlines()
    assert line.startswith(f'command="{credx} --db {url} --key-user rev_zn",restrict,pty ')

    command = " ".join(sshd.ssh("-tt", key=key))
    tmux("new-session", "-d", "-s", "pgkey", "-x", "100", "-y", "30", f"env TERM=xterm-256color {command}")  # fmt: skip
    screen = wait_screen("pgkey", "审核队列", timeout=60)
    assert "唐敏" in screen and "学分兑换 登录" not in screen
