"""A throwaway PostgreSQL cluster for tests (issue 16): initdb in a temporary folder,
the server on a loopback port, stopped and removed at the end.

Debian's ``postgresql`` package provides the binaries (``.ci/run`` installs it).  As
root the server runs as the ``postgres`` account (PostgreSQL refuses root).  Tuned for
tests (no fsync: the data outlives a server restart, not a machine crash)."""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "credx"
"""The database superuser the tests connect as (trust authentication on loopback)."""


def pg_bin() -> Path | None:
    """The folder of initdb and pg_ctl (the newest Debian version installed), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


_clusters = itertools.count()
"""Clusters started by this process (a test may start its own beside the session's)."""


def _free_port() -> int:
    """``CREDX_TEST_PG_PORT`` (plus the xdist worker's number, plus 10 for each further
    cluster of this process) when set, else a port the system says is free."""
    wanted = os.environ.get("CREDX_TEST_PG_PORT")
    if wanted:
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
        return int(wanted) + worker + 10 * next(_clusters)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running test cluster."""

    bindir: Path
    folder: Path
    port: int
    run_as: str | None
    durable: bool = False
    """Commits reach the disk (fsync), as in production: for benchmarks."""

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        """The URL of one database of the cluster."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(a) for a in args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c max_connections=200"
        )
        if not self.durable:
            options += (
                " -c shared_buffers=32MB -c fsync=off -c synchronous_commit=off"
                " -c full_page_writes=off"
            )
        else:  # a benchmark's server: room for a 200,000-student college's hot pages
            options += " -c shared_buffers=512MB"
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            self.folder / "server.log",
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would)."""
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement (autocommit)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]


@contextlib.contextmanager
def running_cluster(durable: bool = False, keep: Path | None = None) -> Iterator[Cluster]:
    """A fresh cluster, stopped and removed when the block ends (``durable``: fsync on,
    as in production).  ``keep``: the cluster lives in that folder and outlives the
    block (stopped, not removed); an existing one is started again, not recreated (a
    benchmark loads 200,000 students once)."""
    bindir = pg_bin()
    if bindir is None:
        raise FileNotFoundError("initdb")
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    folder = keep if keep is not None else Path(tempfile.mkdtemp(prefix="credx-pg-"))
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres"
        account = pwd.getpwnam(run_as)
        os.chown(folder, account.pw_uid, account.pw_gid)
    cluster = Cluster(bindir, folder, _free_port(), run_as, durable)
    try:
        if keep is not None and (cluster.data / "PG_VERSION").exists():
            cluster.start()
        else:
            _init(cluster)
        deadline = time.monotonic() + 30
        while True:
            try:
                cluster.sql("SELECT 1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield cluster
    finally:
        if keep is not None:
            cluster.stop("fast")
        else:
            cluster.stop("immediate")
            shutil.rmtree(folder, ignore_errors=True)


def _init(cluster: Cluster) -> None:
    """initdb and the first start."""
    cluster._run(
        cluster.bindir / "initdb",
        "-D",
        cluster.data,
        "-A",
        "trust",
        "-U",
        USER,
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    )
    cluster.start()
