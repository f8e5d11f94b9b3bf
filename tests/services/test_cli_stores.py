"""Every command of `credx` on both stores (issue 16, item 1): the same command line with
``--db FOLDER`` and ``--db postgresql://...`` does the same thing, through the one
store interface.  Exports are read back with openpyxl and the csv module (the writer is
xlsxwriter), and `credx stats --json` gives the same figures on both stores."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import os
import pwd
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import openpyxl
import pytest

from credx_tui import cli
from credx_tui.cli import main
from credx_tui.store.opening import open_store
from policy.models import Status
from tests.exports.export_college import build, sid
from tests.pg_cluster import Cluster

STORES = ["file", "pg"]
NOW = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
"""The services' clock in these tests (the stats' ages depend on it)."""

_databases = itertools.count()


def new_location(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty place for a store: a folder, or a new database of the test cluster."""
    if kind == "file":
        return str(tmp_path / "db")
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"cli_{os.getpid()}_{next(_databases)}"
    cluster.sql(f"DROP DATABASE IF EXISTS {name}")
    cluster.sql(f"CREATE DATABASE {name}")
    return cluster.url(name)


@pytest.fixture(params=STORES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the commands of one test find their store, of each kind."""
    return new_location(request.param, tmp_path, request)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's services tell time by this fixed clock (figures do not move)."""
    monkeypatch.setattr("credx_tui.services.context.utc_now", lambda: NOW)
    monkeypatch.delenv("CREDX_SERVICE_ACCOUNT", raising=False)
    monkeypatch.delenv("CREDX_DB", raising=False)


@pytest.fixture
def college(location: str, tmp_path: Path) -> str:
    """The export college (export_college.py) in the store at ``location``."""
    services, _ = build(location, files=tmp_path)
    getattr(services.store, "close", lambda: None)()
    return location


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """``credx ARGV`` in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def audit_actions(capsys, location: str) -> list[str]:
    code, out, _ = run(capsys, "audit", "--db", location, "--json", "--limit", "0")
    assert code == 0
    return [json.loads(line)["action"] for line in out.splitlines()]


def test_demo_reset_user_rules_and_audit(location: str, tmp_path: Path, capsys) -> None:
    """demo, user add/list/passwd/disable/enable, rules apply/show, audit, demo --reset."""
    assert run(capsys, "demo", "--db", location)[0] == 0
    code, out, _ = run(
        capsys,
        *("user", "add", "rev_new", "--role", "reviewer", "--name", "新审核"),
        *("--college", "智能制造学院", "--db", location),
        stdin="s3cret-pw\n",
    )
    assert code == 0 and "add: rev_new done" in out
    assert run(capsys, "user", "passwd", "rev_new", "--db", location, stdin="other-pw\n")[0] == 0
    assert run(capsys, "user", "disable", "rev_new", "--db", location)[0] == 0
    code, out, _ = run(capsys, "user", "list", "--db", location)
    [line] = [x for x in out.splitlines() if x.startswith("rev_new\t")]
    assert line.split("\t") == ["rev_new", "reviewer", "新审核", "智能制造学院", "all", "disabled"]
    assert run(capsys, "user", "enable", "rev_new", "--db", location)[0] == 0
    store = open_store(location)
    account = store.account("rev_new")
    assert account is not None and not account.disabled
    getattr(store, "close", lambda: None)()
    code, _, err = run(
        capsys,
        *("user", "add", "rev_x", "--role", "reviewer", "--college", "无此学院"),
        *("--db", location),
        stdin="pw-of-x\n",
    )
    assert code == 1 and "无此学院" in err and "Traceback" not in err

    rules = tmp_path / "rules.toml"
    from policy.rules import DEFAULT_RULES_PATH

    rules.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8") + "\n# v2\n", "utf-8")
    code, out, _ = run(capsys, "rules", "apply", str(rules), "--db", location)
    assert code == 0 and "rules version 2 stored" in out
    code, out, _ = run(capsys, "rules", "show", "--db", location)
    assert out.startswith("version 2\t") and str(rules.resolve()) in out

    assert audit_actions(capsys, location) == [
        "rules.apply",
        "demo",
        "user.add",
        "user.passwd",
        "user.disable",
        "user.enable",
        "rules.apply",
    ]
    code, out, _ = run(capsys, "audit", "--db", location, "--limit", "2")
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("\tuser.enable\trev_new")

    # --reset: the store is emptied and the demo loaded again (the account is gone,
    # the rules are the bundled ones, the audit log starts again)
    code, out, _ = run(capsys, "demo", "--reset", "--db", location)
    assert code == 0 and "demo college loaded" in out
    code, out, _ = run(capsys, "user", "list", "--db", location)
    assert "rev_new" not in out and "rev_zn\t" in out
    assert run(capsys, "rules", "show", "--db", location)[1].startswith("version 1\t")
    assert audit_actions(capsys, location) == ["rules.apply", "demo"]
    store = open_store(location)
    assert store.verify() == []
    getattr(store, "close", lambda: None)()


def read_xlsx(path: Path) -> tuple[list[object], list[list[object]]]:
    sheet = openpyxl.load_workbook(path).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    return values[2], values[3:]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "申请编号")
    return rows[header], rows[header + 1 :]


def test_exports_read_back(college: str, tmp_path: Path, capsys) -> None:
    """`credx export approved|applications` to .xlsx and .csv, read back with other
    libraries, against what the store holds."""
    out = tmp_path / "approved.xlsx"
    code, said, err = run(capsys, "export", "approved", "--db", college, "-o", str(out))
    assert code == 0, err
    assert said == f"wrote 3 row(s) to {out}\n"
    header, rows = read_xlsx(out)
    assert header[0] == "学号" and header[-1] == "申请编号"
    assert sorted((r[0], r[5]) for r in rows) == [(sid(1), "M1"), (sid(2), "E2"), (sid(6), "M1")]
    assert {r[0]: r[9] for r in rows}[sid(1)] == "书法鉴赏(2)、戏曲鉴赏(2)"  # 认定关系
    store = open_store(college)
    approved = {
        a.id
        for name in store.colleges()
        for a in store.applications(name)
        if a.status == Status.APPROVED
    }
    assert {r[-1] for r in rows} == approved

    register = tmp_path / "register.csv"
    code, said, err = run(
        capsys,
        *("export", "applications", "--db", college, "--college", "甲学院"),
        *("--status", "审核中,被退回", "-o", str(register)),
    )
    assert code == 0, err
    header, rows = read_csv(register)
    assert header[:2] == ["申请编号", "学号"]
    assert sorted((r[1], r[header.index("审核状态")]) for r in rows) == [
        (sid(3), "被退回"),
        (sid(4), "审核中"),
    ]
    expected = {a.student_id: a.id for a in store.applications("甲学院")}
    assert all(expected[r[1]] == r[0] for r in rows)
    assert all(r[header.index("认定关系")] == "书法鉴赏(2)、戏曲鉴赏(2)" for r in rows)
    code, _, err = run(
        capsys, "export", "applications", "--db", college, "--college", "无此学院", "-o", "x.csv"
    )
    assert code == 2 and "无此学院" in err
    assert audit_actions(capsys, college) == ["export.approved", "export.applications"]
    getattr(store, "close", lambda: None)()


def test_stats_and_print(college: str, tmp_path: Path, capsys) -> None:
    """`credx stats --json` (the known figures of export_college.py) and text; `credx
    print` of a transcript and an application."""
    code, out, err = run(capsys, "stats", "--json", "--db", college)
    assert code == 0, err
    data = json.loads(out)
    assert [(c["college"], c["total"]) for c in data["counts"]] == [("乙学院", 2), ("甲学院", 5)]
    assert data["decision_days"][-1] == {"college": "", "decided": 4, "median": 3.0, "p90": 8.2}
    code, out, _ = run(capsys, "stats", "--db", college, "--college", "甲学院")
    assert code == 0 and "== " in out and "甲学院" in out

    pdf = tmp_path / "t.pdf"
    code, out, err = run(
        capsys, "print", "transcript", "--student", sid(1), "-o", str(pdf), "--db", college
    )
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert sid(1) in text and "高等数学" in text
    store = open_store(college)
    [app] = store.applications("甲学院", sid(2))
    getattr(store, "close", lambda: None)()
    form = tmp_path / "a.pdf"
    assert run(capsys, "print", "application", app.id, "-o", str(form), "--db", college)[0] == 0
    text = subprocess.run(["pdftotext", str(form), "-"], capture_output=True, text=True).stdout
    assert app.id in text and sid(2) in text
    code, _, err = run(capsys, "print", "application", "X9999", "-o", str(form), "--db", college)
    assert code == 1 and err.startswith("credx: no application X9999 in ")


def test_stats_are_the_same_on_both_stores(
    tmp_path: Path, request: pytest.FixtureRequest, capsys
) -> None:
    """The same college in a folder and in PostgreSQL: the same `credx stats --json`,
    and the same rows in both exports."""
    figures, sheets = [], []
    for kind in STORES:
        (tmp_path / kind).mkdir()
        where = new_location(kind, tmp_path / kind, request)
        services, _ = build(where, files=tmp_path / kind)
        getattr(services.store, "close", lambda: None)()
        code, out, err = run(capsys, "stats", "--json", "--db", where)
        assert code == 0, err
        figures.append(json.loads(out))
        out_file = tmp_path / kind / "applications.xlsx"
        assert run(capsys, "export", "applications", "--db", where, "-o", str(out_file))[0] == 0
        sheets.append(read_xlsx(out_file))
    assert figures[0] == figures[1]
    assert figures[0]["open_queues"] and figures[0]["top_courses"]
    assert sheets[0][0] == sheets[1][0]
    for file_row, pg_row in itertools.zip_longest(*(s[1] for s in sheets)):
        assert file_row == pg_row
    assert len(sheets[0][1]) == 7


@pytest.fixture
def fake_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The service account's home, here: credx writes its authorized_keys into it."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    real = pwd.getpwnam

    def getpwnam(name: str) -> pwd.struct_passwd:
        found = real(name)
        return pwd.struct_passwd((*found[:5], str(home), found[6]))

    monkeypatch.setattr(pwd, "getpwnam", getpwnam)
    return home


def test_keys_and_the_ssh_door(
    location: str, fake_home: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """`credx keys add|list|remove` write the service account's authorized_keys with a
    forced command naming this store; `--key-user` is the service account's only."""
    assert run(capsys, "demo", "--db", location)[0] == 0
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    code, out, err = run(capsys, "keys", "add", "rev_zn", f"{key}.pub", "--db", location)
    assert code == 0, err
    written = (fake_home / ".ssh" / "authorized_keys").read_text()
    assert f"--db {location} --key-user rev_zn" in written
    code, out, _ = run(capsys, "keys", "list", "--db", location)
    assert out.startswith("rev_zn\tssh-ed25519\tSHA256:")
    code, out, _ = run(capsys, "keys", "add", "nobody_here", f"{key}.pub", "--db", location)
    assert code == 1
    assert run(capsys, "keys", "remove", "rev_zn", "--db", location)[0] == 0
    assert run(capsys, "keys", "list", "--db", location)[1] == ""
    assert audit_actions(capsys, location)[-2:] == ["keys.add", "keys.remove"]

    monkeypatch.setenv("SSH_CONNECTION", "127.0.0.1 5000 127.0.0.1 22")
    code, _, err = run(capsys, "--db", location, "--key-user", "rev_zn")
    assert code == 1 and "needs a terminal" in err  # past the owner check: stdin is no tty
    if location.startswith("postgresql://"):
        monkeypatch.setenv("CREDX_SERVICE_ACCOUNT", "nobody")
        code, _, err = run(capsys, "--db", location, "--key-user", "rev_zn")
        assert code == 1 and "not the store's owner (nobody)" in err
        code, _, err = run(capsys, "keys", "list", "--db", location)
        assert code == 1 and "only the service account nobody" in err


def test_os_user_mapping_trusts_root_or_the_service_account(
    location: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    """`--os-user`: the mapping file must be owned by root or the store's service
    account (the folder's owner; on PostgreSQL the account CREDX_SERVICE_ACCOUNT names)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the mapping file is given to another account")
    assert run(capsys, "demo", "--db", location)[0] == 0
    me = pwd.getpwuid(os.getuid()).pw_name
    mapping = tmp_path / "os-users.toml"
    mapping.write_text(f'[users]\n{me} = "rev_zn"\n')
    mapping.chmod(0o644)
    args = cli._parser().parse_args(["--db", location, "--os-user", "--os-users", str(mapping)])
    store = open_store(location)
    try:
        assert cli._os_account(args, store, "en") == "rev_zn"
        nobody = pwd.getpwnam("nobody")
        os.chown(mapping, nobody.pw_uid, nobody.pw_gid)
        with pytest.raises(cli.CliError, match="must be owned by root or by the store's owner"):
            cli._os_account(args, store, "en")
        if location.startswith("postgresql://"):
            monkeypatch.setenv("CREDX_SERVICE_ACCOUNT", "nobody")
            assert cli._os_account(args, store, "en") == "rev_zn"
    finally:
        getattr(store, "close", lambda: None)()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> Iterator[int]:
    """Every process below ``pid``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        yield child
        todo.extend(parents.get(child, []))


@pytest.mark.timeout(120)
def test_serve_starts_the_app_on_the_store(location: str, tmp_path: Path, capsys) -> None:
    """`credx serve`: a browser tab's credx draws the login screen from this store; on
    PostgreSQL the URL reaches it through the environment, never its command line."""
    assert run(capsys, "demo", "--db", location)[0] == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "credx_tui.cli", "--db", location, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "CREDX_DB"},
    )

    async def one_tab() -> tuple[bytes, list[str], list[str]]:
        async with aiohttp.ClientSession() as client:
            for _ in range(300):  # the server binds within 30 s
                try:
                    async with client.get(f"http://127.0.0.1:{port}/") as page:
                        if page.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("credx serve did not answer within 30 s")
            async with client.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                await ws.send_json(["resize", {"width": 100, "height": 30}])
                drawn = b""
                while "登录".encode() not in drawn:  # the login screen's heading
                    message = await asyncio.wait_for(ws.receive(), 60)
                    assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
                    if message.type == aiohttp.WSMsgType.BINARY:
                        drawn += message.data
                tabs = list(children_of(server.pid))
                commands = [Path(f"/proc/{p}/cmdline").read_bytes().decode() for p in tabs]
                environs = [Path(f"/proc/{p}/environ").read_bytes().decode() for p in tabs]
                return drawn, commands, environs

    try:
        _, commands, environs = asyncio.run(one_tab())
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert any("credx_tui.cli" in c for c in commands)
    if location.startswith("postgresql://"):
        assert not any("postgresql://" in c for c in commands)
        assert any(f"CREDX_DB={location}\0" in e for e in environs)
    else:
        assert any(location in c for c in commands)


def test_migrate_carries_the_audit_log(
    tmp_path: Path, request: pytest.FixtureRequest, capsys
) -> None:
    """`credx migrate` both ways keeps the admin changes `credx audit` lists."""
    folder = str(tmp_path / "db")
    assert run(capsys, "demo", "--db", folder)[0] == 0
    assert run(capsys, "user", "disable", "rev_zn", "--db", folder)[0] == 0
    url = new_location("pg", tmp_path, request)
    code, out, err = run(capsys, "migrate", "--from", folder, "--to", url)
    assert code == 0, err
    assert "audit: 3" in out
    before = run(capsys, "audit", "--db", folder, "--json")[1]
    assert run(capsys, "audit", "--db", url, "--json")[1] == before
    back = str(tmp_path / "back")
    assert run(capsys, "migrate", "--from", url, "--to", back)[0] == 0
    assert run(capsys, "audit", "--db", back, "--json")[1] == before
    assert audit_actions(capsys, back) == ["rules.apply", "demo", "user.disable"]
