"""Real processes on one store: nothing lost, nothing spent twice, crash-safe."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from service_college import COLLEGE, STUDENT, location, png_bytes, reopen

from credx_tui.store import Store
from policy.models import Attachment, ExchangeApplication, SourceKind, SourceRef, Status, Term

WORKER = str(Path(__file__).with_name("store_worker.py"))
pytestmark = pytest.mark.slow


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_eight_processes_times_one_hundred_submissions_lose_nothing(store: Store) -> None:
    procs = [spawn("insert", location(store), f"p{n}", "100") for n in range(8)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.count("ack ") == 100
    ids = {a.id for a in reopen(store).applications(COLLEGE)}
    assert ids == {f"p{n}-{i}" for n in range(8) for i in range(100)}
    assert store.verify() == []


def test_writer_killed_at_random_points_leaves_every_acknowledged_write(store: Store) -> None:
    rng = random.Random(20261128)
    acked: set[str] = set()
    for round_no in range(12):
        proc = spawn("insert", location(store), f"k{round_no}", "100000")
        # The kill lands among the writes, not in the start: on a loaded machine the
        # start alone (imports, the first connection) outlasted the window below.
        first = proc.stdout.readline() if proc.stdout else ""
        time.sleep(rng.uniform(0.3, 0.9))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        out = first + out
        acked |= {line.split()[1] for line in out.splitlines() if line.startswith("ack ")}
        fresh = reopen(store)
        assert fresh.verify() == [], f"round {round_no}: store damaged"
        held = {a.id for a in fresh.applications(COLLEGE)}
        assert acked <= held, f"round {round_no}: lost {sorted(acked - held)[:5]}"
    assert len(acked) > 12
    if not isinstance(store, Store):
        return  # PostgreSQL: no files; a killed client's transaction is rolled back
    leftovers = list(store.root.rglob("*.tmp"))
    # a kill between write and rename leaves a temp file; it is never read as data
    assert all(p.name.startswith(".") for p in leftovers)


def _shot(store: Store) -> list[Attachment]:
    """S4: a submitted application carries a screenshot (stored as the services would)."""
    payload = png_bytes("race")
    digest = store.put_attachment(payload)
    return [Attachment(sha256=digest, filename="s.png", media_type="image/png", size=len(payload))]


def _app(
    app_id: str, target: str, refs: list[str], status: Status, attachments: list[Attachment]
) -> ExchangeApplication:
    now = datetime.now(UTC)
    return ExchangeApplication(
        id=app_id,
        student_id=STUDENT,
        college=COLLEGE,
        target=target,
        sources=[SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=r) for r in refs],
        status=status,
        attachments=attachments,
        term=Term(year="2026-2027", semester=1),
        created_at=now,
        updated_at=now,
    )


def test_two_terminals_cannot_spend_the_same_credits(store: Store) -> None:
    """A draft and a returned application share 书法鉴赏 (G1); both are submitted at
    the same instant from two processes: exactly one goes under review."""
    for trial in range(4):
        a, b = f"race{trial}a", f"race{trial}b"
        with store.hot(COLLEGE, STUDENT) as tx:
            for old in tx.applications(STUDENT):
                tx.delete_application(old.id)
            shots = _shot(store)
            tx.put_application(_app(a, "M1", ["G1", "G2"], Status.DRAFT, shots))
            tx.put_application(_app(b, "E2", ["G1"], Status.RETURNED, shots))
        start = f"{time.time() + 1.0}"
        procs = [spawn("submit", location(store), app_id, start) for app_id in (a, b)]
        outs = [p.communicate(timeout=60)[0].strip() for p in procs]
        assert sorted(o.split()[0] for o in outs) == ["ok", "refused"], outs
        live = [x for x in reopen(store).applications(COLLEGE) if x.status == Status.UNDER_REVIEW]
        assert len(live) == 1
