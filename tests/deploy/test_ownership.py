"""The walls, with real OS users (issue 9, item 1 and 6): one service account owns the
store; a stranger with a shell on the server is refused at every turn, and root only
acts as the owner.  Each attack listed at the top of the issue, tried for real:

- a stranger opens the store (any credx command, the app included): one line, exit 1;
- a stranger reads a data file directly (every password hash, transcripts): EACCES;
- ``credx user add evil --role admin`` and ``user passwd rev_zn`` as a stranger: refused;
- a stranger holds a lock file with ``flock`` so writers wait forever: cannot open it;
- root without ``--as-owner``: refused; with it the files written belong to the owner,
  and the change is in ``credx audit`` with who did it.

The throw-away users are made with ``useradd`` and removed afterwards; credx runs from a
venv made with Debian's ``/usr/bin/python3`` under /var/tmp (this machine's default
Python lives under /root, 0700) with a world-readable copy of this tree installed in it.
Needs root (CI runs as root) and python3-venv (.ci/run installs it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = Path("/usr/bin/python3")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create throw-away OS users"),
    pytest.mark.skipif(
        shutil.which("useradd") is None or shutil.which("runuser") is None,
        reason="needs useradd and runuser (Debian: passwd, util-linux)",
    ),
    pytest.mark.skipif(not PY.exists(), reason="needs Debian's /usr/bin/python3 (python3-venv)"),
]


def run(*cmd: str | Path, user: str | None = None, stdin: str = "", timeout: float = 120):
    """Run a command (as ``user`` through runuser); the completed process."""
    argv = [str(c) for c in cmd]
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDX_", "SUDO_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
        env=env,
        check=False,
    )


def _source_copy() -> Path:
    """This source tree, copied where every OS user may read it (a CI clone may live
    under /root, 0700); refreshed each session, so the tests run the code under test."""
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    src = Path("/var/tmp") / f"credx-test-src-{tag}"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    for name in ("credx_tui", "policy", "fixtures"):
        shutil.copytree(
            ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    subprocess.run(["chmod", "-R", "a+rX", str(src)], check=True)
    return src


@pytest.fixture(scope="session")
def venv() -> Path:
    """A venv of Debian's Python with credx installed (editable, from a world-readable
    copy of this tree), usable by any OS user; the venv is built once per pyproject."""
    src = _source_copy()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + str(src).encode())
    folder = Path("/var/tmp") / f"credx-test-venv-{digest.hexdigest()[:12]}"
    if (folder / ".ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([str(PY), "-m", "venv", str(folder)], check=True, timeout=300)
    subprocess.run(
        [str(folder / "bin/python"), "-m", "pip", "install", "--quiet", "-e", str(src)],
        check=True,
        timeout=900,
    )
    subprocess.run(["chmod", "-R", "a+rX", str(folder)], check=True)
    (folder / ".ready").write_text("ok\n")
    return folder


def _make_user(prefix: str) -> str:
    name = f"credxt_{prefix}{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name],
        check=True,
        capture_output=True,
    )
    return name


@pytest.fixture(scope="module")
def users() -> Iterator[dict[str, str]]:
    """A service account (owns the store) and a stranger (any other shell user)."""
    made: list[str] = []
    try:
        made.append(_make_user("svc"))
        made.append(_make_user("x"))
        yield {"owner": made[0], "stranger": made[1]}
    finally:
        for name in made:
            subprocess.run(["userdel", "-f", name], capture_output=True, check=False)


@pytest.fixture(scope="module")
def place(users: dict[str, str]) -> Iterator[Path]:
    """A folder the service account may create its store in."""
    folder = Path("/var/tmp") / f"credxt-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o755)
    shutil.chown(folder, user=users["owner"])
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def store(venv: Path, users: dict[str, str], place: Path) -> Path:
    """The demo college, created by the service account itself under umask 000."""
    root = place / "store"
    made = run(
        "sh",
        "-c",
        f"umask 000 && exec {venv}/bin/credx --db {root} demo",
        user=users["owner"],
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    return root


def credx(venv: Path, store: Path, *args: str, user: str | None = None, stdin: str = ""):
    return run(f"{venv}/bin/credx", "--db", str(store), *args, user=user, stdin=stdin)


def one_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# -- ownership and modes ------------------------------------------------------------


def test_the_store_is_the_owners_only_whatever_the_umask(store: Path, users) -> None:
    owner = pwd.getpwnam(users["owner"]).pw_uid
    for path in [store, *store.rglob("*")]:
        st = path.lstat()
        assert st.st_uid == owner, path
        want = 0o700 if path.is_dir() else 0o600
        assert st.st_mode & 0o777 == want, (path, oct(st.st_mode))


def test_the_owner_uses_it(venv: Path, store: Path, users) -> None:
    listed = credx(venv, store, "user", "list", user=users["owner"])
    assert listed.returncode == 0, listed.stderr
    assert "rev_zn" in listed.stdout
    assert credx(venv, store, "verify", user=users["owner"]).returncode == 0


# -- the stranger -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--student", "2018110101"],
        ["print", "transcript", "--student", "2023110102", "-o", "/tmp/x.pdf"],
        ["verify"],
        [],  # the app itself
    ],
    ids=["check", "print", "verify", "app"],
)
def test_a_stranger_is_refused_at_start_with_one_line(venv, store, users, args) -> None:
    result = credx(venv, store, *args, user=users["stranger"])
    assert result.returncode == 1
    line = one_line(result)
    assert f"belongs to the OS account {users['owner']}" in line
    assert f"ssh {users['owner']}@" in line
    assert "browser" in line


def test_a_stranger_cannot_read_the_files(store: Path, users) -> None:
    shard = next((store / "accounts").glob("*.json"))
    for probe in (["cat", str(shard)], ["ls", str(store)], ["cat", str(store / "rules.json")]):
        result = run(*probe, user=users["stranger"])
        assert result.returncode != 0
        assert "Permission denied" in result.stderr


def test_a_stranger_cannot_make_an_admin_or_reset_a_password(venv, store, users) -> None:
    add = credx(
        venv, store, "user", "add", "evil", "--role", "admin", user=users["stranger"], stdin="pw\n"
    )
    assert add.returncode == 1 and "belongs to the OS account" in one_line(add)
    passwd = credx(venv, store, "user", "passwd", "rev_zn", user=users["stranger"], stdin="x\n")
    assert passwd.returncode == 1 and "belongs to the OS account" in one_line(passwd)
    rules = credx(venv, store, "rules", "show", user=users["stranger"])
    assert rules.returncode == 1
    listed = credx(venv, store, "user", "list", user=users["owner"])
    assert "evil" not in listed.stdout


def test_a_stranger_cannot_hold_a_lock(store: Path, users) -> None:
    """flock needs an open file; a 0600 lock in a 0700 folder cannot be opened."""
    for lock in sorted((store / "locks").glob("*.lock"))[:3]:
        held = run("flock", "-n", "-s", str(lock), "true", user=users["stranger"])
        assert held.returncode != 0
        assert "Permission denied" in held.stderr or "cannot open" in held.stderr


def test_a_stranger_cannot_use_as_owner(venv, store, users) -> None:
    result = credx(venv, store, "--as-owner", "user", "list", user=users["stranger"])
    assert result.returncode == 1
    assert "--as-owner" in one_line(result)


# -- root ---------------------------------------------------------------------------


def test_root_is_refused_without_as_owner(venv, store, users) -> None:
    result = credx(venv, store, "user", "list")
    assert result.returncode == 1
    line = one_line(result)
    assert f"belongs to {users['owner']}" in line and "--as-owner" in line


def test_root_as_owner_writes_as_the_owner_and_is_audited(venv, store, users) -> None:
    owner = pwd.getpwnam(users["owner"])
    added = credx(
        venv,
        store,
        "user",
        "add",
        "rev_new",
        "--role",
        "reviewer",
        "--college",
        "智能制造学院",
        "--as-owner",
        stdin="secret\n",
    )
    assert added.returncode == 0, added.stderr
    for path in [store, *store.rglob("*")]:
        assert path.lstat().st_uid == owner.pw_uid, path
        assert path.lstat().st_gid == owner.pw_gid, path
    log = credx(venv, store, "--as-owner", "audit", "--json")
    assert log.returncode == 0, log.stderr
    import json

    events = [json.loads(line) for line in log.stdout.splitlines()]
    last = events[-1]
    assert last["action"] == "user.add" and last["target"] == "rev_new"
    assert last["os_user"] == users["owner"] and last["uid"] == owner.pw_uid
    assert last["invoked_by"].startswith("root")
    assert last["detail"]["role"] == "reviewer"
    text = credx(venv, store, "audit", user=users["owner"])
    assert "user.add\trev_new" in text.stdout


def test_root_creates_a_new_store_only_for_a_named_owner(venv, place, users) -> None:
    fresh = place / "fresh"
    refused = run(f"{venv}/bin/credx", "--db", str(fresh), "--as-owner", "demo")
    assert refused.returncode == 1 and "--owner" in one_line(refused)
    assert not fresh.exists()
    made = run(
        f"{venv}/bin/credx", "--db", str(fresh), "demo", "--as-owner", "--owner", users["owner"]
    )
    assert made.returncode == 0, made.stderr
    uid = pwd.getpwnam(users["owner"]).pw_uid
    assert all(p.lstat().st_uid == uid for p in [fresh, *fresh.rglob("*")])
    shown = run(f"{venv}/bin/credx", "--db", str(fresh), "rules", "show", user=users["owner"])
    assert shown.returncode == 0 and shown.stdout.startswith("version 1\t")


# -- locks never hang -----------------------------------------------------------------


def test_a_stuck_lock_is_store_busy_not_a_hang(tmp_path: Path) -> None:
    """The owner's own stuck process holds a lock: the next writer gives up clearly."""
    sys.path.insert(0, str(ROOT))
    from credx_tui.store.files import StoreWriteError, locked

    lock = tmp_path / "locks" / "x.lock"
    lock.parent.mkdir()
    holder = subprocess.Popen(
        ["flock", str(lock), "sleep", "30"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            probe = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o600)
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(probe, fcntl.LOCK_UN)
            except BlockingIOError:
                break
            finally:
                os.close(probe)
            subprocess.run(["sleep", "0.05"], check=True)
        with pytest.raises(StoreWriteError) as busy, locked(lock, timeout=0.3):
            pass
        assert busy.value.kind == "busy"
        assert str(busy.value).startswith(f"store busy: {lock} held by another process")
    finally:
        holder.kill()
        holder.wait()


# -- errors of the machine, on a real small disk ---------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_and_read_only_are_one_clear_line(venv, tiny_disk: Path) -> None:
    root = tiny_disk / "store"
    made = run(f"{venv}/bin/credx", "--db", str(root), "demo")
    assert made.returncode == 0, made.stderr
    before = {p: p.read_bytes() for p in root.rglob("*.json")}
    filler = tiny_disk / "filler"
    with filler.open("wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
            os.fsync(fh.fileno())
    full = run(f"{venv}/bin/credx", "--db", str(root), "user", "passwd", "rev_zn", stdin="n\n")
    assert full.returncode == 1
    line = one_line(full)
    assert "disk is full" in line and ".json" in line and "Free space" in line
    assert {p: p.read_bytes() for p in root.rglob("*.json")} == before  # nothing half-written

    filler.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    ro = run(f"{venv}/bin/credx", "--db", str(root), "user", "passwd", "rev_zn", stdin="n\n")
    assert ro.returncode == 1
    assert "read-only" in one_line(ro)
    subprocess.run(["mount", "-o", "remount,rw", str(tiny_disk)], check=True)


def test_a_file_of_another_account_is_named(venv, store, users, tmp_path) -> None:
    """A data file the owner cannot replace (its folder given to root): one line."""
    folder = store / "accounts"
    os.chown(folder, 0, 0)
    try:
        result = credx(venv, store, "user", "passwd", "rev_zn", user=users["owner"], stdin="n\n")
    finally:
        os.chown(folder, pwd.getpwnam(users["owner"]).pw_uid, pwd.getpwnam(users["owner"]).pw_gid)
    assert result.returncode == 1
    line = one_line(result)
    assert "permission denied" in line and "belongs to root" in line
    assert "store's owner" in line
