"""Both stores side by side (issue 16): the file store and PostgreSQL on the same
generated college, in one run.

The college is :mod:`benchmarks.writers`' (``CREDX_BENCH_STUDENTS`` students, default
200,000, one application for every other student, 10 colleges); ``credx migrate`` copies
it into a throwaway PostgreSQL cluster on loopback with fsync on (as a server would run;
its load time is printed too).  Then, for each store:

- submit p50/p95 with 1 and with 8 writer processes (``CREDX_BENCH_SUBMITS`` each,
  paced at ``CREDX_BENCH_RATE`` a second);
- decision open (:meth:`Services.review_file`), p50/p95 of 20;
- the queue's first load in a fresh process (:meth:`Services.queue` of one college);
- ``credx check --json`` as a whole process.

Goal (the issue): PostgreSQL within 2x of the file store for one writer, ahead with 8.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import writers

ROOT = Path(__file__).resolve().parents[1]


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"


def worker(location: str, first: int, count: int, rate: float, start_at: float) -> None:
    """One writer process on the store at ``location``: ``count`` drafts saved
    (untimed), then submitted at ``rate`` a second from ``start_at``; prints JSON."""
    from credx_tui.demo import DEMO_SCREENSHOT
    from credx_tui.services import Actor, attachment_check, make_services
    from credx_tui.store.opening import open_store
    from policy.models import Account, Role, SourceKind, SourceRef
    from policy.rules import load_rules

    services = make_services(open_store(location), load_rules())
    payload = DEMO_SCREENSHOT.read_bytes()
    detected = attachment_check.check_content(payload, "shot.png", services.rules.attachments)
    sources = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (2, 3)]
    students = [writers._sid(((first + i) * 2) % writers.STUDENTS) for i in range(count)]
    drafts = []
    for sid in students:
        if services.store.account(sid) is None:
            with services.store.account_tx(sid) as atx:
                atx.put(Account(username=sid, role=Role.STUDENT, password_hash="-"))
        me = Actor(username=sid, role=Role.STUDENT)
        shot = services.store_upload(me, services.student(me), payload, detected)
        drafts.append(services.save(me, "M1", sources, attachments=[shot]).id)
    time.sleep(max(0.0, start_at - time.time()))
    latencies = []
    next_at = time.perf_counter()
    for sid, draft in zip(students, drafts, strict=True):
        if rate:
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.perf_counter()))
        start = time.perf_counter()
        services.submit(Actor(username=sid, role=Role.STUDENT), draft)
        latencies.append(time.perf_counter() - start)
    print(json.dumps(latencies))


def submits(location: str, count: int, first: int) -> list[float]:
    """Latencies of ``count`` writer processes started together."""
    start_at = time.time() + 6.0 + 2 * count
    code = "from benchmarks.pg import worker; worker({!r}, {}, {}, {}, {})"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                code.format(
                    location, first + w * writers.SUBMITS, writers.SUBMITS, writers.RATE, start_at
                ),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(count)
    ]
    found: list[float] = []
    for proc in procs:
        found += json.loads(proc.communicate()[0].strip().splitlines()[-1])
    return found


def reads(location: str) -> str:
    """Decision open and the queue's first load, in a fresh process."""
    code = f"""
import json, time
from credx_tui.services import Actor, make_services
from credx_tui.store.opening import open_store
from policy.models import Role
from policy.rules import load_rules
t0 = time.perf_counter()
services = make_services(open_store({location!r}), load_rules())
admin = Actor(username="os:bench", role=Role.REVIEWER, colleges=({writers._college(1, writers.STUDENTS)!r},))
services.check_actor = lambda actor: None  # no account needed for a measurement
t1 = time.perf_counter()
queue = services.queue(admin)
t2 = time.perf_counter()
opens = []
for item in queue[:20]:
    s = time.perf_counter()
    services.review_file(admin, item.application.id)
    opens.append(time.perf_counter() - s)
print(json.dumps({{"queue": t2 - t1, "rows": len(queue), "opens": opens}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return (
        f"queue first load {found['queue'] * 1000:7.1f} ms ({found['rows']} rows); "
        f"decision open {_ms(found['opens'])}"
    )


def check(location: str, repeats: int = 5) -> str:
    """``credx check --json`` of one student, whole process."""
    credx = Path(sys.executable).with_name("credx")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [str(credx), "--db", location, "check", "--student", writers._sid(2), "--json"],
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - start)
    return f"credx check --json {_ms(times)}"


def main() -> None:
    """Generate (once), copy into PostgreSQL, measure both, print side by side."""
    import shutil

    from credx_tui.store.transfer import migrate
    from tests.pg_cluster import pg_bin, running_cluster

    if pg_bin() is None:
        print("PostgreSQL is not installed (apt-get install postgresql): skipped")
        return
    base = writers.ensure()
    work = base / "pg-bench-store"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / "store", work, symlinks=True)
    with running_cluster(durable=True) as cluster:
        cluster.sql("CREATE DATABASE bench")
        url = cluster.url("bench")
        start = time.perf_counter()
        migrate(work, url)
        print(
            f"{writers.STUDENTS} students, {writers.STUDENTS // 2} applications: "
            f"credx migrate into PostgreSQL {time.perf_counter() - start:.0f} s"
        )
        pace = f"{writers.RATE:g}/s each" if writers.RATE else "unpaced"
        first = 5000
        for name, location in (("file store", str(work)), ("PostgreSQL", url)):
            print(f"  {name}:")
            for count in (1, 8):
                found = submits(location, count, first)
                first += count * writers.SUBMITS
                print(f"    submit, {count} writer(s) ({pace}): {_ms(found)}")
            print(f"    {reads(location)}")
            print(f"    {check(location)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
