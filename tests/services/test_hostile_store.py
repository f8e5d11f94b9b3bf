"""Issue 11, damaged stores: a corpus of damage that ``credx verify`` names, that every
reader reports with the file (never a traceback, never a hang), and that no writer ever
rewrites.

Readers and verify run in child processes with a 10 s timeout where the damage could
hang them (a FIFO in place of a file)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from service_college import COLLEGE, STUDENT, login, shot

from credx_tui.services import Services, make_services
from credx_tui.store import Store, StoreError
from credx_tui.store.verify import TEMP_GARBAGE_AGE, verify_store
from policy.models import SourceKind, SourceRef
from policy.rules import Rules

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")
CREDX = [sys.executable, "-m", "credx_tui.cli"]


def run_credx(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line in a child process; a hang fails after 10 s."""
    return subprocess.run([*CREDX, *args], capture_output=True, text=True, timeout=10)


def hot_file(services: Services) -> Path:
    """The hot file of the test student, with one saved application in it."""
    me = login(services, STUDENT)
    services.save(me, "M1", [G1, G2], note="ok", attachments=shot(services, me))
    return services.store.hot_path(COLLEGE, STUDENT)


def saved_id(services: Services) -> str:
    """The id of the application :func:`hot_file` saved."""
    return services.applications(login(services, STUDENT))[0].id


def _edit(path: Path, change: Callable[[dict], None]) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def _string_doc(path: Path) -> None:
    _edit(path, lambda d: d["applications"].__setitem__("1", "not a document"))


def _bad_id(path: Path) -> None:
    _edit(path, lambda d: d["applications"].__setitem__("x1", d["applications"].pop("1")))


def _bad_field(path: Path) -> None:
    _edit(path, lambda d: d["applications"]["1"].__setitem__("note", "备" * 201))


def _escape_field(path: Path) -> None:
    _edit(path, lambda d: d["applications"]["1"].__setitem__("note", "\x1b]0;owned\x07"))


def _naive_time(path: Path) -> None:
    _edit(path, lambda d: d["applications"]["1"].__setitem__("created_at", "2026-03-01T09:00:00"))


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])


def _newer_schema(path: Path) -> None:
    _edit(path, lambda d: d["_meta"]["1"].__setitem__("schema", 99))


DOCUMENT_DAMAGE = {
    "string document": (_string_doc, "is a str, not an object"),
    "non-numeric id": (_bad_id, "not a number"),
    "invalid field": (_bad_field, "at field note"),
    "escape in a field": (_escape_field, "control character"),
    "time without offset": (_naive_time, "timezone"),
    "truncated": (_truncated, "corrupt or truncated"),
    "newer schema": (_newer_schema, "newer credx"),
}


@pytest.mark.parametrize("damage", sorted(DOCUMENT_DAMAGE))
def test_damaged_hot_file_is_named_and_never_rewritten(services: Services, damage: str) -> None:
    path = hot_file(services)
    app_id = saved_id(services)
    make, words = DOCUMENT_DAMAGE[damage]
    make(path)
    before = path.read_bytes()
    found = verify_store(services.store.root)
    assert any(str(path) in p and words in p for p in found.damage), found.damage
    fresh = make_services(Store(services.store.root), services.rules)
    me = login(fresh, STUDENT)
    rev = login(fresh, "rev")
    for read in (
        lambda: fresh.applications(me),
        lambda: fresh.queue(rev),
        lambda: fresh.notices(me, None),
    ):
        with pytest.raises(StoreError, match=str(path)):
            read()
    for write in (
        lambda: fresh.save(me, "E2", [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G3")]),
        lambda: fresh.submit(me, app_id),
        lambda: fresh.delete(me, app_id),
    ):
        with pytest.raises(StoreError):
            write()
    assert path.read_bytes() == before, "a writer rewrote a damaged file"


def test_cli_on_a_damaged_store_says_one_line_never_a_traceback(services: Services) -> None:
    path = hot_file(services)
    _string_doc(path)
    root = str(services.store.root)
    checked = run_credx("--db", root, "check", "--student", STUDENT)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert str(path) in checked.stderr
    verified = run_credx("--db", root, "verify")
    assert verified.returncode == 1 and str(path) in verified.stdout
    assert "Traceback" not in verified.stderr


@pytest.mark.parametrize("where", ["hot", "shard"])
def test_check_and_print_on_damage_exit_1_with_the_file(
    services: Services, tmp_path: Path, where: str
) -> None:
    hot = hot_file(services)
    app_id = saved_id(services)
    services.submit(login(services, STUDENT), app_id)  # staff never open drafts
    path = hot if where == "hot" else services.store.student_path(STUDENT)
    table = "applications" if where == "hot" else "transcripts"
    _edit(path, lambda d: d[table].__setitem__("1", ["a", "list"]))
    root = str(services.store.root)
    out = str(tmp_path / "x.pdf")
    for args in (
        ("check", "--student", STUDENT),
        ("print", "transcript", "--student", STUDENT, "-o", out),
        ("print", "application", app_id, "-o", out),
    ):
        done = run_credx("--db", root, *args)
        assert done.returncode == 1, (args, done)
        assert "Traceback" not in done.stderr and str(path) in done.stderr, (args, done.stderr)


def test_a_damaged_account_shard_stops_login_with_the_file(services: Services) -> None:
    path = services.store.account_path(STUDENT)
    _edit(path, lambda d: d["accounts"].__setitem__("1", 42))
    before = path.read_bytes()
    fresh = make_services(Store(services.store.root), services.rules)
    with pytest.raises(StoreError, match="not an object"):
        fresh.login(STUDENT, "pw")
    assert path.read_bytes() == before


def _swap(path: Path, kind: str, tmp: Path) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        target = tmp / "elsewhere.json"
        target.write_bytes(b"{}")
        path.symlink_to(target)
    else:
        path.mkdir()


READ_IN_CHILD = """
import sys
from credx_tui.services import make_services
from credx_tui.store import Store, StoreError
from policy.rules import load_rules
try:
    services = make_services(Store(sys.argv[1]), load_rules())
    me = services.login(sys.argv[2], "pw").actor
    services.applications(me)
    print("read fine")
except StoreError as exc:
    print("refused:", exc)
"""


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory"])
def test_a_non_regular_data_file_is_named_without_hanging(
    services: Services, tmp_path: Path, kind: str
) -> None:
    path = hot_file(services)
    _swap(path, kind, tmp_path)
    root = str(services.store.root)
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_CHILD, root, STUDENT],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.stdout.startswith("refused:") and str(path) in done.stdout, done
    assert "Traceback" not in done.stderr
    verified = run_credx("--db", root, "verify")
    assert verified.returncode == 1
    words = {"fifo": "FIFO", "symlink": "symbolic link", "directory": "folder"}[kind]
    assert any(str(path) in line and words in line for line in verified.stdout.splitlines())


def test_a_fifo_as_the_marker_stops_every_reader_and_verify_names_it(services: Services) -> None:
    marker = services.store.root / "credx-store.json"
    marker.unlink()
    os.mkfifo(marker)
    root = str(services.store.root)
    checked = run_credx("--db", root, "check", "--student", STUDENT)
    assert checked.returncode == 1 and "FIFO" in checked.stderr
    verified = run_credx("--db", root, "verify")
    assert verified.returncode == 1 and "FIFO" in verified.stdout


def test_stray_temp_files_are_reported_and_only_old_orphans_repaired(services: Services) -> None:
    path = hot_file(services)
    old = path.with_name(f".{path.name}.999999.0123abcd.tmp")
    old.write_bytes(b"{half")
    stamp = time.time() - TEMP_GARBAGE_AGE - 60
    os.utime(old, (stamp, stamp))
    young = path.with_name(f".{path.name}.999998.0123abce.tmp")
    young.write_bytes(b"{half")
    mine = path.with_name(f".{path.name}.{os.getpid()}.0123abcf.tmp")  # a live writer
    mine.write_bytes(b"{half")
    os.utime(mine, (stamp, stamp))
    report = verify_store(services.store.root)
    assert report.damage == [] and len(report.garbage) == 3
    root = str(services.store.root)
    plain = run_credx("--db", root, "verify")
    assert plain.returncode == 1 and "stray temporary file" in plain.stdout
    repaired = run_credx("--db", root, "verify", "--repair")
    assert f"removed {old}" in repaired.stdout
    assert not old.exists() and young.exists() and mine.exists()
    young.unlink()
    mine.unlink()
    assert run_credx("--db", root, "verify").returncode == 0


def test_cross_references_are_proved(services: Services, rules: Rules) -> None:
    path = hot_file(services)
    me = login(services, STUDENT)
    app = services.applications(me)[0]
    services.submit(me, app.id)
    data = orjson.loads(path.read_bytes())
    apps = data["applications"]
    doc = dict(apps["1"])
    # A second live application spending the same course, of a student who does not
    # exist, with an attachment whose file is missing and a step beyond the chain.
    ghost = dict(doc, id="A-ghost", student_id="2099999999", step=7)
    ghost["attachments"] = [
        {"sha256": "ab" * 32, "filename": "x.png", "media_type": "image/png", "size": 3}
    ]
    twin = dict(doc, id="A-twin")
    apps["2"], apps["3"] = ghost, twin
    data["events"]["99"] = dict(data["events"]["1"], id="E-orphan", application_id="A-none")
    path.write_bytes(orjson.dumps(data))
    other = services.store.hot_path(COLLEGE, "2099010102")
    other.write_bytes(
        orjson.dumps({"applications": {"1": dict(doc)}, "college": {"1": {"name": COLLEGE}}})
    )
    report = verify_store(services.store.root, rules)
    text = "\n".join(report.damage)
    for words in (
        "no student 2099999999",
        "step 7 does not exist",
        "attachment x.png",
        "spent by",
        "A-none, which does not exist",
        f"application id {app.id} is used twice",
        "wrong hot file",
    ):
        assert words in text, (words, text)


def test_modes_and_owner_are_checked(services: Services) -> None:
    path = hot_file(services)
    path.chmod(0o666)
    report = verify_store(services.store.root)
    assert any(str(path) in p and "mode 0666" in p for p in report.damage)
    path.chmod(0o600)
    assert verify_store(services.store.root).damage == []
    if os.getuid() == 0:
        os.chown(path, 65534, 65534)
        assert any("owned by uid 65534" in p for p in verify_store(services.store.root).damage)
