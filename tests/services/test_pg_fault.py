"""The PostgreSQL server restarted in the middle of a run (issue 16): no acknowledged
write is lost, and every client says so in one clear line and goes on by itself."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from service_college import COLLEGE, make_store

from credx_tui.store.pg import PgStore
from tests.pg_cluster import pg_bin, running_cluster

WORKER = str(Path(__file__).with_name("store_worker.py"))
pytestmark = pytest.mark.slow
WRITERS, WRITES = 3, 150


def _reader(proc: subprocess.Popen[str], lines: list[str]) -> threading.Thread:
    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_server_restart_loses_no_acknowledged_write() -> None:
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (no initdb): apt-get install postgresql")
    with running_cluster() as cluster:  # its own: this test stops the server
        cluster.sql("CREATE DATABASE fault")
        url = cluster.url("fault")
        make_store(url).close()  # type: ignore[attr-defined]
        procs = [
            subprocess.Popen(
                [sys.executable, WORKER, "insert-retrying", url, f"f{n}", str(WRITES)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(WRITERS)
        ]
        outputs: list[list[str]] = [[] for _ in procs]
        threads = [_reader(p, out) for p, out in zip(procs, outputs, strict=True)]
        deadline = time.monotonic() + 120
        while any(sum(x.startswith("ack") for x in out) < 5 for out in outputs):
            assert time.monotonic() < deadline, outputs
            time.sleep(0.05)
        acked_before = {x.split()[1] for out in outputs for x in out if x.startswith("ack")}
        cluster.stop("fast")  # every connection is cut, mid-transaction for some
        time.sleep(1.5)
        cluster.start()
        for proc, thread in zip(procs, threads, strict=True):
            proc.wait(timeout=240)
            thread.join(timeout=10)
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
            assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
        errors = [x for out in outputs for x in out if x.startswith("error")]
        assert errors, "no client noticed the restart"
        assert all(
            "the database connection failed" in e or "cannot reach the database server" in e
            for e in errors
        ), errors[:3]
        acked = {x.split()[1] for out in outputs for x in out if x.startswith("ack")}
        assert acked_before <= acked
        assert len(acked) == WRITERS * WRITES  # every client went on to the end
        store = PgStore(url)
        try:
            held = {a.id for a in store.applications(COLLEGE)}
            assert acked <= held
            assert store.verify() == []
        finally:
            store.close()
