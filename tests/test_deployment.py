"""Serving credx to many people (issue 4): --os-user and its mapping file, the warning
for a store on a network file system, and `credx serve` fetched over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from credx_tui.cli import main
from credx_tui.mounts import filesystem_of, network_filesystem
from credx_tui.os_users import OsUserError, account_for_os_user, os_user_name

MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /srv/credx nfs4 rw,relatime 0 0
//nas/share /mnt/smb\\040share cifs rw 0 0
me@host:/data /home/me/remote fuse.sshfs rw 0 0
tmpfs /srv/credx/local tmpfs rw 0 0
"""


@pytest.fixture
def mounts(tmp_path: Path) -> Path:
    path = tmp_path / "mounts"
    path.write_text(MOUNTS)
    return path


def test_network_file_systems_are_recognised(mounts: Path) -> None:
    assert network_filesystem(Path("/srv/credx/store"), mounts) == "nfs4"
    assert network_filesystem(Path("/mnt/smb share/store"), mounts) == "cifs"
    assert network_filesystem(Path("/home/me/remote/db"), mounts) == "fuse.sshfs"
    # The deepest mount wins: a local tmpfs mounted inside the NFS export is local.
    assert network_filesystem(Path("/srv/credx/local/db"), mounts) is None
    assert filesystem_of(Path("/var/lib/credx"), mounts) == "ext4"
    assert network_filesystem(Path("/var/lib/credx"), mounts) is None
    assert network_filesystem(Path("/x"), mounts.with_name("missing")) is None


# -- --os-user ---------------------------------------------------------------------------


def mapping(tmp_path: Path, text: str, mode: int = 0o644) -> Path:
    path = tmp_path / "os-users.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_os_user_mapping_binds_and_refuses_the_unmapped(tmp_path: Path) -> None:
    path = mapping(tmp_path, '[users]\ntangmin = "rev_zn"\ns101 = "2023110101"\n')
    assert account_for_os_user(path, "tangmin") == "rev_zn"
    with pytest.raises(OsUserError) as refused:
        account_for_os_user(path, "mallory")
    assert "mallory" in refused.value.zh and "没有对应的 credx 账号" in refused.value.zh


def test_os_user_mapping_must_be_safe_from_other_users(tmp_path: Path) -> None:
    writable = mapping(tmp_path, '[users]\nx = "admin"\n', mode=0o664)
    with pytest.raises(OsUserError) as loose:
        account_for_os_user(writable, "x")
    assert "chmod 644" in loose.value.en
    if os.geteuid() == 0:  # only root can give a file away
        owned = mapping(tmp_path, '[users]\nx = "admin"\n')
        os.chown(owned, 54321, -1)
        with pytest.raises(OsUserError) as stranger:
            account_for_os_user(owned, "x")
        assert "owned by root" in stranger.value.en
    with pytest.raises(OsUserError):
        account_for_os_user(tmp_path / "absent.toml", "x")
    with pytest.raises(OsUserError):
        account_for_os_user(mapping(tmp_path, "users = 3\n"), "x")


def test_os_user_is_the_real_uid_not_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("LOGNAME", "admin")
    import pwd

    assert os_user_name() == pwd.getpwuid(os.getuid()).pw_name


def test_cli_refuses_an_unmapped_os_user(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--db", str(tmp_path / "db")]) == 0
    path = mapping(tmp_path, '[users]\nsomebody_else = "rev_zn"\n')
    code = main(["--db", str(tmp_path / "db"), "--os-user", "--os-users", str(path)])
    assert code == 1
    err = capsys.readouterr().err
    assert os_user_name() in err and "没有对应的 credx 账号" in err


# -- credx serve -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    db = tmp_path / "db"
    assert main(["demo", "--db", str(db)]) == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "credx_tui.cli", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200
                    page = r.read().decode("utf-8", "replace")
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        assert page, (
            f"no page: {proc.poll()} {proc.stderr.read() if proc.poll() is not None else ''}"
        )
        # credx's own page: relative addresses only (issue 9; tests/deploy/test_browser_door.py)
        assert "credx" in page and 'src="static/js/textual.js"' in page
        assert "googleapis" not in page and "://" not in page
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "127.0.0.1" in err and "reverse proxy WITH AUTHENTICATION" in err
