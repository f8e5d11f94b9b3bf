"""Both stores side by side (issue 16): the file store and PostgreSQL on the same
generated college, in one run.

The college is :mod:`benchmarks.writers`' (``CREDX_BENCH_STUDENTS`` students, default
200,000, one application for every other student, 10 colleges); ``credx migrate`` copies
it into a throwaway PostgreSQL cluster on loopback with fsync on and
``synchronous_commit`` on (as a server would run; its load time is printed too).  From
:data:`REUSE_FROM` students on, the copies are made once (by COPY, :func:`load_college`)
and kept in ``bench-data/writers-<n>/`` for the next runs.  Then, for each store:

- submit p50/p95 with 1 and with 8 writer processes (``CREDX_BENCH_SUBMITS`` each,
  paced at ``CREDX_BENCH_RATE`` a second);
- decision open (:meth:`Services.review_file`), p50/p95 of 20;
- the queue's first load in a fresh process (:meth:`Services.queue` of one college);
- ``credx check --json`` as a whole process.

Goal (the issue): PostgreSQL within 2x of the file store for one writer, ahead with 8;
the last two lines print both ratios beside those targets.  Without PostgreSQL's
binaries it prints one line and measures nothing (``make bench`` goes on).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


REUSE_FROM = 100_000
"""From this size on, the PostgreSQL copy and the file store's working copy are made
once and kept beside the generated college (``bench-data/writers-<n>/``): copying and
migrating 200,000 students takes longer than the measurements.  Each run then takes
students no earlier run submitted for (a counter kept beside them)."""


def load_college(folder: Path, url: str) -> dict[str, int]:
    """The generated college into PostgreSQL by COPY, one file at a time, in one
    transaction; the rows of each table (checked against the folder's).

    ``credx migrate`` holds a whole store in memory to prove its digest on both sides:
    more than 10 GB at 200,000 students (measured, stopped).  The benchmark needs the
    same rows, not the proof, so from :data:`REUSE_FROM` on it loads them itself, as
    ``_write_database`` would (the generated college has no attachment, rules version
    or audit event)."""
    import psycopg
    from psycopg.types.json import Jsonb

    from credx_tui.store.files import read_file
    from credx_tui.store.pg import PgStore
    from credx_tui.store.store import Store, college_key

    PgStore.create(url).close()
    src = Store(folder)
    shards = sorted((folder / "bulk" / "students").glob("*.json"))
    hot = [(c, path) for c in src.colleges() for path in src._hot_paths(c, None)]
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        cur = conn.cursor()

        def copy(table: str, columns: str, rows: Any) -> None:
            n = 0
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
                for row in rows:
                    out.write_row(row)
                    n += 1
            counts[table] = n

        def shard_docs(table: str) -> Any:
            for path in shards:
                yield from (read_file(path) or {}).get(table, {}).values()

        def hot_docs(table: str) -> Any:
            for college, path in hot:
                for doc in (read_file(path) or {}).get(table, {}).values():
                    yield college, path.parent.name, path.stem, doc

        copy(
            "programmes",
            "major, grade_year, college, doc",
            (
                (p.major, p.grade_year, p.college, Jsonb(p.model_dump(mode="json")))
                for p in src.programmes()
            ),
        )
        copy(
            "students",
            "id, college, doc",
            ((d["id"], d["college"], Jsonb(d)) for d in shard_docs("students")),
        )
        copy(
            "transcripts",
            "student_id, doc",
            ((d["student_id"], Jsonb(d)) for d in shard_docs("transcripts")),
        )
        copy(
            "accounts",
            "username, doc",
            ((a.username, Jsonb(a.model_dump(mode="json"))) for a in src.accounts()),
        )
        copy("colleges", "name, key", ((c, college_key(c)) for c in sorted({c for c, _ in hot})))
        copy("hot_locks", "key, bucket", sorted({(p.parent.name, p.stem) for _, p in hot}))
        copy(
            "applications",
            "id, college, key, bucket, student_id, status, step, doc",
            (
                (d["id"], d["college"], k, b, d["student_id"], d["status"], d["step"], Jsonb(d))
                for _, k, b, d in hot_docs("applications")
            ),
        )
        copy(
            "events",
            "id, application_id, college, key, bucket, doc",
            (
                (d["id"], d["application_id"], c, k, b, Jsonb(d))
                for c, k, b, d in hot_docs("events")
            ),
        )
        conn.execute("ANALYZE")
    expected = {
        "students": sum(1 for _ in src.students()),
        "applications": sum(len(src.applications(c)) for c in src.colleges()),
    }
    for table, n in expected.items():
        if counts[table] != n:
            raise RuntimeError(f"loaded {counts[table]} {table}, the folder has {n}")
    return counts


def _prepared(base: Path, keep: bool) -> tuple[Path, Path | None, int, str]:
    """The file store to measure, the kept cluster's folder (None: a throwaway one),
    the first student offset of this run, and a line on how the copy was made."""
    import shutil

    work = base / "pg-bench-store"
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(base / "store", work, symlinks=True)
        return work, None, 5000, ""
    ready, counter = base / "pg-bench-ready", base / "pg-bench-next"
    # The server runs as another account (postgres, under root): it must be able to
    # pass through the college's folder (search only, not list).
    cluster = (base / "pg-bench-cluster").resolve()
    cluster.parent.chmod(cluster.parent.stat().st_mode | 0o001)
    if not ready.exists():
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(cluster, ignore_errors=True)
        counter.unlink(missing_ok=True)
        shutil.copytree(base / "store", work, symlinks=True)
        return work, cluster, 5000, ""
    first = int(counter.read_text()) if counter.exists() else 5000
    return work, cluster, first, ready.read_text().strip()


def _verdict(file: list[float], pg: list[float], factor: float) -> str:
    """PostgreSQL's p50 and p95 against ``factor`` times the file store's."""
    ratio = [_pct(pg, q) / _pct(file, q) for q in (0.5, 0.95)]
    met = all(r <= factor for r in ratio)
    return (
        f"PostgreSQL/file p50 {ratio[0]:.2f}x, p95 {ratio[1]:.2f}x; "
        f"target <= {factor:g}x: {'met' if met else 'NOT met'}"
    )


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if q == 0.5:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main(measure: bool = True) -> None:
    """Generate (once), copy into PostgreSQL, measure both, print side by side with
    the issue's targets (``measure=False``: only make the copies a later run keeps)."""
    import shutil

    from credx_tui.store.transfer import migrate
    from tests.pg_cluster import pg_bin, running_cluster

    if pg_bin() is None:
        print(
            "PostgreSQL beside the file store: skipped (no PostgreSQL binaries; apt-get install postgresql)"
        )
        return
    base = writers.ensure()
    keep = writers.STUDENTS >= REUSE_FROM
    work, kept, first, made = _prepared(base, keep)
    with running_cluster(durable=True, keep=kept) as cluster:
        url = cluster.url("bench")
        if not made:
            cluster.sql("CREATE DATABASE bench")
            start = time.perf_counter()
            if kept is None:
                migrate(work, url)
                made = f"credx migrate into PostgreSQL {time.perf_counter() - start:.0f} s"
            else:
                load_college(work, url)
                made = (
                    f"loaded into PostgreSQL by COPY in {time.perf_counter() - start:.0f} s "
                    "(credx migrate holds a whole store in memory: > 10 GB at this size)"
                )
            if kept is not None:
                (base / "pg-bench-ready").write_text(made + "\n")
        else:
            made = f"copies kept from an earlier run ({made})"
        print(f"{writers.STUDENTS} students, {writers.STUDENTS // 2} applications: {made}")
        if not measure:
            return
        pace = f"{writers.RATE:g}/s each" if writers.RATE else "unpaced"
        found: dict[tuple[str, int], list[float]] = {}
        for name, location in (("file store", str(work)), ("PostgreSQL", url)):
            print(f"  {name}:")
            for count in (1, 8):
                found[name, count] = submits(location, count, first)
                first += count * writers.SUBMITS
                if kept is not None:  # an interrupted run leaves no used student behind
                    (base / "pg-bench-next").write_text(f"{first}\n")
                print(f"    submit, {count} writer(s) ({pace}): {_ms(found[name, count])}")
            print(f"    {reads(location)}")
            print(f"    {check(location)}")
    print(f"  1 writer:  {_verdict(found['file store', 1], found['PostgreSQL', 1], 2)}")
    print(f"  8 writers: {_verdict(found['file store', 8], found['PostgreSQL', 8], 1)}")
    if kept is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
