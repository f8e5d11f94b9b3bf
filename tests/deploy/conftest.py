"""Fixtures of the deployment tests (issues 9 and 17): real OS accounts made and removed
by the test, a credx installed where another account can run it, processes in tmux.

This machine's default Python lives under /root (mode 0700), so the test venv is made
with Debian's /usr/bin/python3 under /var/tmp and credx is pip-installed into it, as
README's deployment does in /opt/credx.  The venv is kept between runs (keyed by the
dependencies) and credx reinstalled only when its source changed."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")


def need_root() -> None:
    """Skip unless root: the tests create OS accounts (CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the deployment tests create and remove OS accounts")
    if not SYSTEM_PYTHON.exists() or shutil.which("useradd") is None:
        pytest.skip("needs Debian's /usr/bin/python3 and useradd")


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _sources() -> list[Path]:
    files = [REPO / "pyproject.toml"]
    for top in ("credx_tui", "policy"):
        files += sorted(
            p for p in (REPO / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
    return files


@pytest.fixture(scope="session")
def system_credx() -> Path:
    """``credx`` installed in a venv of /usr/bin/python3 under /var/tmp, runnable by
    every account; returns the path of its ``bin/credx``."""
    need_root()
    key = hashlib.sha256(str(REPO).encode() + (REPO / "pyproject.toml").read_bytes())
    venv = Path(f"/var/tmp/credx-test-venv-{key.hexdigest()[:12]}")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    stamp = venv / ".source"
    digest = _digest(_sources())
    src = venv / "src"  # an editable install of this copy (the demo is in fixtures/)
    if not (venv / ".deps").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], check=True)
    if not stamp.exists() or stamp.read_text() != digest:
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, src / name)
        for top in ("credx_tui", "policy", "fixtures"):
            shutil.copytree(
                REPO / top, src / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        if not (venv / ".deps").exists():
            subprocess.run([*pip, "-e", str(src)], check=True, timeout=600)
            (venv / ".deps").touch()
        stamp.write_text(digest)
    for path in [venv, *venv.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    return venv / "bin" / "credx"


@dataclass
class Account:
    """A throw-away OS account made by the test."""

    name: str
    uid: int
    gid: int
    home: Path
    password: str

    def run(self, *argv: str, **kwargs) -> subprocess.CompletedProcess:
        """Run ``argv`` as this account (runuser, no tty), checked."""
        kwargs.setdefault("check", True)
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 120)
        return subprocess.run(["runuser", "-u", self.name, "--", *argv], **kwargs)


def kill_processes_of(uid: int) -> None:
    """End every process of the throw-away account ``uid`` (made by this test), by pid."""
    for _ in range(20):
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
                        pids.append(int(entry.name))
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


@pytest.fixture
def make_account() -> Iterator[Callable[..., Account]]:
    """Create OS accounts with a random name, a home in /home and a password;
    every one is removed (with its processes and home) after the test."""
    need_root()
    made: list[Account] = []

    def make(prefix: str = "credxt", shell: str = "/bin/sh") -> Account:
        name = f"{prefix}{secrets.token_hex(3)}"
        home = Path(f"/home/{name}")  # not under /var/tmp: sshd StrictModes checks the path
        subprocess.run(
            ["useradd", "--create-home", "--home-dir", str(home), "--shell", shell, name],
            check=True,
            capture_output=True,
        )
        password = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        entry = pwd.getpwnam(name)
        account = Account(name, entry.pw_uid, entry.pw_gid, home, password)
        made.append(account)
        return account

    yield make
    for account in made:
        kill_processes_of(account.uid)
        subprocess.run(["userdel", "--remove", account.name], capture_output=True)
        shutil.rmtree(account.home, ignore_errors=True)


@pytest.fixture
def service_store(make_account, system_credx: Path) -> tuple[Account, Path]:
    """The service account and a demo store it owns (folder 0700), made by running
    ``credx demo`` as that account, as README's deployment does."""
    account = make_account()
    base = Path(f"/var/tmp/{account.name}-srv")
    base.mkdir(mode=0o755)
    try:
        store = base / "store"
        store.mkdir(mode=0o700)
        os.chown(store, account.uid, account.gid)
        account.run(str(system_credx), "--db", str(store), "demo")
        yield account, store
    finally:
        shutil.rmtree(base, ignore_errors=True)


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a tmux command on the tests' own server socket."""
    return subprocess.run(
        ["tmux", "-L", TMUX_SOCKET, *args], capture_output=True, text=True, check=check
    )


TMUX_SOCKET = f"credx-deploy-{os.getpid()}"


def send_keys(session: str, *keys: str) -> None:
    """Press ``keys`` one group at a time, as a person would (Textual reads a burst of
    text and a Tab sent in one write as one paste)."""
    for key in keys:
        tmux("send-keys", "-t", session, key)
        time.sleep(0.3)


def capture(session: str) -> str:
    """The visible text of the tmux pane."""
    return tmux("capture-pane", "-p", "-t", session, check=False).stdout


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``predicate`` until it is truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_screen(session: str, text: str, timeout: float = 30) -> str:
    """Wait until the pane shows ``text``; the pane's text."""

    def shown() -> str:
        screen = capture(session)
        return screen if text in screen else ""

    try:
        return str(wait_for(shown, timeout, repr(text)))
    except AssertionError:
        raise AssertionError(f"{text!r} never shown; the pane:\n{capture(session)}") from None


@pytest.fixture
def tmux_server() -> Iterator[None]:
    """A tmux server of this test only, killed afterwards."""
    if shutil.which("tmux") is None:
        pytest.skip("needs tmux")
    yield
    tmux("kill-server", check=False)


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` from /proc/PID/stat, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def credx_pids(uid: int, marker: str) -> list[int]:
    """Pids of python processes of ``uid`` whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"python" in argv[0] and any(marker.encode() in a for a in argv):
            found.append(int(entry.name))
    return found
