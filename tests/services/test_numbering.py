"""Application ids numbered per year as the portal numbers them (issue 15, item 6):
``XF2026-0008`` after the demo's seven, a new series each year, kept on import, and
unique when several processes save at the same moment (real processes, real locks)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from credx_tui.services import Services, make_services
from credx_tui.services.loading import load_demo
from credx_tui.store import Store
from policy.rules import Rules

READY = [
    "2018110101",
    "2023110103",
    "2023110104",
    "2023110204",
    "2023110101",
    "2023030102",
    "2023030105",
]
"""Demo students (both colleges) with an exchangeable course and no draft waiting."""

WORKER = """
import sys, time
from credx_tui.services import make_services
from credx_tui.store import Store
from policy.rules import load_rules

root, student, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
services = make_services(Store(root), load_rules())
me = services.actor_for(student)
code = next(v.code for v in services.verdicts(me) if v.exchangeable)
time.sleep(max(0.0, start - time.time()))
for _ in range(int(sys.argv[4])):
    app = services.save(me, code, [])
    print(app.id, flush=True)
    services.delete(me, app.id)  # its trail stays: the number is never given again
"""
ROUNDS = 15
"""Saves (each then deleted) per process."""


@pytest.fixture
def demo(tmp_path: Path, rules: Rules) -> Store:
    store, _ = load_demo(tmp_path / "db", rules)
    return store


def _new(services: Services, student: str) -> str:
    me = services.actor_for(student)
    code = next(v.code for v in services.verdicts(me) if v.exchangeable)
    return services.save(me, code, []).id


def test_next_number_follows_the_demo_and_a_new_year_starts_again(demo, rules) -> None:
    spring = make_services(demo, rules, clock=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))
    assert _new(spring, "2018110101") == "XF2026-0008"
    assert _new(spring, "2023030102") == "XF2026-0009"  # one series for every college
    winter = make_services(demo, rules, clock=lambda: datetime(2027, 1, 5, 2, tzinfo=UTC))
    assert _new(winter, "2023110103") == "XF2027-0001"


def test_import_keeps_ids_and_numbers_continue_after_them(demo, rules, tmp_path) -> None:
    services = make_services(demo, rules, clock=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))
    first = _new(services, "2018110101")
    load_demo(demo.root, rules)  # the same documents imported again
    ids = {a.id for c in demo.colleges() for a in demo.applications(c)}
    assert {f"XF2026-{n:04d}" for n in range(1, 8)} <= ids and first in ids
    assert _new(services, "2023110103") == "XF2026-0009"


def test_a_deleted_applications_number_is_not_given_again(demo, rules) -> None:
    services = make_services(demo, rules, clock=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))
    first = _new(services, "2018110101")
    services.delete(services.actor_for("2018110101"), first)
    assert _new(services, "2018110101") == "XF2026-0009"


@pytest.mark.slow
def test_processes_saving_at_one_moment_get_distinct_consecutive_numbers(demo) -> None:
    start = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(demo.root), student, str(start), str(ROUNDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for student in READY
    ]
    got = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        got += out.split()
    assert len(got) == len(READY) * ROUNDS
    assert len(set(got)) == len(got), "a number was given twice"
    year = datetime.now().astimezone().year
    first = 8 if year == 2026 else 1  # after the demo's XF2026-0001..0007
    assert sorted(got) == [f"XF{year}-{n:04d}" for n in range(first, first + len(got))]
    assert Store(demo.root).verify() == []


def test_a_save_reads_the_counter_not_every_hot_file(demo, rules, monkeypatch) -> None:
    """Issue 13: the next number comes from ``locks/numbering.json`` (the hot files of
    the whole store were read on every save, with the lock held); without the file,
    or with a damaged one, the hot files are scanned as before."""
    services = make_services(demo, rules, clock=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))
    assert _new(services, "2018110101") == "XF2026-0008"  # no counter yet: scanned
    counter = demo.root / "locks" / "numbering.json"
    assert counter.exists()
    scans: list[str] = []
    real = Store.highest_number
    monkeypatch.setattr(
        Store, "highest_number", lambda self, prefix: scans.append(prefix) or real(self, prefix)
    )
    assert _new(services, "2023030102") == "XF2026-0009"
    assert scans == []
    counter.write_bytes(b"{damaged")
    assert _new(services, "2023110103") == "XF2026-0010"
    assert scans == ["XF2026-"]


def test_an_import_under_the_numbering_lock_counts_for_the_next_number(demo, rules) -> None:
    """Issue 13: an import keeps its ids; it drops the counter before writing, so
    the next save scans once and numbers after what it brought."""
    services = make_services(demo, rules, clock=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))
    assert _new(services, "2018110101") == "XF2026-0008"
    with demo.numbering(keeps_ids=True):
        assert not (demo.root / "locks" / "numbering.json").exists()
        me = services.actor_for("2023030102")
        student = services.student(me)
        app = next(a for c in demo.colleges() for a in demo.applications(c))
        with demo.hot(student.college, student.id) as tx:
            moved = {"id": "XF2026-0050", "student_id": student.id, "college": student.college}
            tx.insert_many([app.model_copy(update=moved)], [])
    assert _new(services, "2023110103") == "XF2026-0051"
