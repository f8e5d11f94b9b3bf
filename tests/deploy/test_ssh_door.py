"""The SSH front door (issue 9, item 2) with a real sshd on a loopback port.

The test starts /usr/sbin/sshd with its own config, host key and pid file (never the
system's sshd), a throw-away service account owning a demo store, README's ``Match
User`` block, and drives ``ssh -tt`` in tmux: a password login reaches credx's login
screen, a key added with ``credx keys add`` reaches the reviewer's queue, and commands,
port forwarding and sftp get nothing."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import tmux, wait_for, wait_screen

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(), reason="needs openssh-server"),
    pytest.mark.skipif(shutil.which("sshpass") is None, reason="needs sshpass"),
]

SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/host_ed25519
PidFile {dir}/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {user}
LogLevel VERBOSE
# no Subsystem line: no sftp for anybody on this test server

# README, Deployment: the service account gets credx and nothing else.
Match User {user}
    ForceCommand exec {credx} --db {store} --ssh
    ExposeAuthInfo yes
    PermitTTY yes
    DisableForwarding yes
    PermitUserRC no
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd:
    """A private sshd on 127.0.0.1."""

    def __init__(self, folder: Path, account, credx: Path, store: Path) -> None:
        self.dir, self.port = folder, free_port()
        self.user = account.name
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "host_ed25519")],
            check=True,
        )
        config = folder / "sshd_config"
        config.write_text(
            SSHD_CONFIG.format(
                port=self.port, dir=folder, user=account.name, credx=credx, store=store
            )
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        subprocess.run(["/usr/sbin/sshd", "-t", "-f", str(config)], check=True)
        self.log = (folder / "sshd.log").open("wb")
        self.proc = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-e", "-f", str(config)], stdout=self.log, stderr=self.log
        )

        def listening() -> bool:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect(("127.0.0.1", self.port))
                return True
            assert self.proc.poll() is None, (folder / "sshd.log").read_text()
            return False

        wait_for(listening, 10, "sshd to listen")

    def ssh(self, *extra: str, key: Path | None = None) -> list[str]:
        """An ssh command line for the service account (password unless ``key``)."""
        base = [
            "ssh", "-F", "/dev/null", "-p", str(self.port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
        ]  # fmt: skip
        if key is None:
            base += ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password"]
        else:
            base += ["-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no"]
        return [*base, *extra, f"{self.user}@127.0.0.1"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def door(service_store, system_credx, tmp_path: Path, tmux_server) -> Iterator[tuple]:
    account, store = service_store
    folder = Path(f"/var/tmp/{account.name}-sshd")
    folder.mkdir(mode=0o700)
    sshd = Sshd(folder, account, system_credx, store)
    try:
        yield sshd, account, store, system_credx
    finally:
        sshd.stop()
        shutil.rmtree(folder, ignore_errors=True)


def with_password(account, argv: list[str]) -> list[str]:
    return ["sshpass", "-p", account.password, *argv]


def test_password_login_lands_in_credx(door) -> None:
    sshd, account, _, _ = door
    command = " ".join(with_password(account, sshd.ssh("-tt")))
    tmux("new-session", "-d", "-s", "pw", "-x", "100", "-y", "30", f"env TERM=xterm-256color {command}")  # fmt: skip
    screen = wait_screen("pw", "学分兑换 登录", timeout=40)
    assert "学号" in screen and "密码" in screen


def test_key_login_goes_to_the_reviewers_queue(door, tmp_path: Path) -> None:
    sshd, account, store, credx = door
    key = tmp_path / "rev_zn_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    pub = Path(f"/var/tmp/{account.name}-srv/rev_zn.pub")
    shutil.copy(f"{key}.pub", pub)
    pub.chmod(0o644)
    # Root is not the store's owner: refused.  The owner adds it.
    refused = subprocess.run(
        [str(credx), "--db", str(store), "keys", "add", "rev_zn", str(pub)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and f"the store belongs to {account.name}" in refused.stderr
    added = account.run(str(credx), "--db", str(store), "keys", "add", "rev_zn", str(pub))
    assert "1 key(s) of rev_zn" in added.stdout
    authorized = account.home / ".ssh" / "authorized_keys"
    assert authorized.stat().st_mode & 0o777 == 0o600
    assert authorized.parent.stat().st_mode & 0o777 == 0o700
    [line] = authorized.read_text().splitlines()
    assert line.startswith(f'command="{credx} --db {store} --key-user rev_zn",restrict,pty ')
    listed = account.run(str(credx), "--db", str(store), "keys", "list")
    assert listed.stdout.startswith("rev_zn\tssh-ed25519\tSHA256:")

    # Somebody locks rev_zn's password by guessing; the key still gets in (issue 9, 7).
    lock = (
        "import sys; from pathlib import Path; from credx_tui.services import make_services, "
        "LoginFailed; from credx_tui.store import Store; from policy.rules import load_rules\n"
        "s = make_services(Store(Path(sys.argv[1])), load_rules())\n"
        "for _ in range(6):\n"
        "    try: s.login('rev_zn', 'wrong')\n"
        "    except LoginFailed as e: reason = e.kind\n"
        "print(reason)"
    )
    locked = account.run(str(credx.parent / "python"), "-c", lock, str(store))
    assert locked.stdout.strip() == "locked", locked

    command = " ".join(sshd.ssh("-tt", key=key))
    tmux("new-session", "-d", "-s", "key", "-x", "100", "-y", "30", f"env TERM=xterm-256color {command}")  # fmt: skip
    screen = wait_screen("key", "审核队列", timeout=40)
    assert "唐敏" in screen and "学分兑换 登录" not in screen

    # Removed: the key no longer gets in.
    account.run(str(credx), "--db", str(store), "keys", "remove", "rev_zn")
    gone = subprocess.run(
        [*sshd.ssh("-T", key=key), "true"], capture_output=True, text=True, timeout=30
    )
    assert gone.returncode == 255 and "Permission denied" in gone.stderr


def test_no_command_no_forwarding_no_sftp(door, tmp_path: Path) -> None:
    sshd, account, _, _ = door
    marker = Path(f"/var/tmp/{account.name}-ran")
    # A command: never runs; credx refuses to work without a terminal.
    ran = subprocess.run(
        with_password(account, [*sshd.ssh("-T"), f"touch {marker}; ls /"]),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ran.returncode != 0 and not marker.exists()
    assert "bin" not in ran.stdout.split() and "credx needs a terminal" in ran.stderr
    # With a terminal the command is ignored too: credx's login screen instead.
    with pytest.raises(subprocess.TimeoutExpired) as shown:
        subprocess.run(
            with_password(account, [*sshd.ssh("-tt"), f"touch {marker}"]),
            capture_output=True,
            timeout=8,
            stdin=subprocess.DEVNULL,
        )
    assert "学分兑换 登录".encode() in (shown.value.output or b"")
    assert not marker.exists()

    # Port forwarding: refused by sshd, the tunnel carries nothing.
    local = free_port()
    tunnel = subprocess.Popen(
        with_password(account, [*sshd.ssh("-N", "-L", f"{local}:127.0.0.1:{sshd.port}")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def tunnel_open() -> bool:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect(("127.0.0.1", local))
                return True
            return False

        wait_for(tunnel_open, 20, "the local end of the tunnel")
        with socket.create_connection(("127.0.0.1", local), timeout=10) as s:
            s.settimeout(10)
            try:
                banner = s.recv(100)
            except (ConnectionResetError, TimeoutError):
                banner = b""
        assert not banner.startswith(b"SSH-"), "the forwarding reached the far side"
    finally:
        tunnel.terminate()
        tunnel.communicate(timeout=10)

    # sftp: no subsystem and credx would not speak it anyway.
    sftp = subprocess.run(
        with_password(
            account,
            [
                "sftp", "-F", "/dev/null", "-P", str(sshd.port), "-b", "-",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "PubkeyAuthentication=no", f"{account.name}@127.0.0.1",
            ],
        ),
        input="ls\n",
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert sftp.returncode != 0
    assert "credx" not in sftp.stdout
