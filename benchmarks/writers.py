"""Many writers, and the floor (issue 13, item 4): submit with 1 and 8 writer processes
at 200,000 students (10 colleges, 100,000 applications) beside SQLite in WAL mode doing
the same work on the same data, in one run; and one submit beside the measured floor
of its own hot-file rewrite (read, parse, serialise, temp file, two fsyncs, rename).

The store and the SQLite twin are generated once per size into ``bench-data/writers-<n>/``
by writing the documents directly (the services would take many minutes to load
200,000 transcripts; the files are what they would write).  ``CREDX_BENCH_STUDENTS``
sets the size (default 200,000), ``CREDX_BENCH_SUBMITS`` the submits per writer
(default 40) and ``CREDX_BENCH_RATE`` each writer's pace in submits a second (default
5; 0: as fast as it can), so that ``CREDX_BENCH_STUDENTS=20000`` is a quick run.

Side by side on a shared machine: the load of other jobs changes from one minute to
the next, so each comparison is made in ``CREDX_BENCH_ROUNDS`` rounds (default 4),
credx and SQLite taking turns to go first, and the samples pooled; the floor is
measured inside the one-writer credx process, right after each of its submits, on
a copy of the hot file that submit wrote.  The credx writers also time their waits
for a hot file's lock and how long they hold it (where a tail comes from).
"""

from __future__ import annotations

import functools
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = int(os.environ.get("CREDX_BENCH_STUDENTS", "200000"))
SUBMITS = int(os.environ.get("CREDX_BENCH_SUBMITS", "40"))
RATE = float(os.environ.get("CREDX_BENCH_RATE", "5"))
ROUNDS = max(1, int(os.environ.get("CREDX_BENCH_ROUNDS", "4")))
COLLEGES = 10
RECORDS = 40
STAMP = "generated-v1"


def folder(students: int = STUDENTS) -> Path:
    return ROOT / "bench-data" / f"writers-{students}"


def _sid(n: int) -> str:
    return f"32{n:08d}"


def _college(n: int, students: int) -> str:
    return f"写者学院{n * COLLEGES // students:02d}"


def generate(students: int = STUDENTS) -> None:
    """The store and its SQLite twin: ``students`` students with 40 records each, one
    application (审核中 or decided) for every odd student, with its events."""
    from benchmarks import sqlite_twin
    from benchmarks.college import course_records
    from credx_tui.services.loading import _remove_store
    from credx_tui.store import Store
    from credx_tui.store.files import atomic_write_bytes, encode, encode_checked
    from credx_tui.store.store import college_key, hot_bucket, index_document, shard_key
    from policy.models import (
        ApplicationSummary,
        Category,
        ExchangeApplication,
        Programme,
        ProgrammeCourse,
        ReviewAction,
        ReviewEvent,
        SourceKind,
        SourceRef,
        Status,
        Student,
        Term,
        Transcript,
    )

    base = folder(students)
    root = base / "store"
    if root.exists():
        _remove_store(root)
    (base / "twin.sqlite").unlink(missing_ok=True)
    for extra in ("twin.sqlite-wal", "twin.sqlite-shm"):
        (base / extra).unlink(missing_ok=True)
    store = Store.create(root)
    records = course_records(RECORDS)
    programmes = []
    with store.bulk() as tx:
        for c in range(COLLEGES):
            programme = Programme(
                major=f"写者专业{c:02d}",
                college=f"写者学院{c:02d}",
                grade_year=2024,
                courses=[
                    ProgrammeCourse(
                        code=r.code, name=r.name, category=r.category, credits=r.credits
                    )
                    for r in records
                ],
                graduation={Category.GENERAL_ELECTIVE: 8},
            )
            tx.put_programme(programme)
            programmes.append(programme.model_dump(mode="json"))
    transcript = Transcript(student_id=_sid(0), records=records).model_dump(mode="json")
    shards: dict[str, dict[str, dict]] = defaultdict(lambda: {"students": {}, "transcripts": {}})
    twin_students: list[tuple[str, bytes, bytes]] = []
    import orjson

    for n in range(students):
        sid, college = _sid(n), _college(n, students)
        student = Student(
            id=sid,
            name=f"学生{n}",
            college=college,
            major=f"写者专业{college[-2:]}",
            grade_year=2024,
            class_name="1班",
        ).model_dump(mode="json")
        doc = dict(transcript, student_id=sid)
        shard = shards[shard_key(sid)]
        shard["students"][str(len(shard["students"]) + 1)] = student
        shard["transcripts"][str(len(shard["transcripts"]) + 1)] = doc
        twin_students.append((sid, orjson.dumps(student), orjson.dumps(doc)))
    for key, data in shards.items():
        atomic_write_bytes(root / "bulk" / "students" / f"{key}.json", encode(data), durable=False)
    del shards
    at0 = datetime(2026, 9, 1, tzinfo=UTC)
    hot: dict[tuple[str, str], dict[str, dict]] = defaultdict(
        lambda: {"applications": {}, "events": {}, "college": {}}
    )
    twin_apps, twin_events = [], []
    for n in range(1, students, 2):
        sid, college = _sid(n), _college(n, students)
        at = at0 + timedelta(seconds=n)
        status = [Status.UNDER_REVIEW, Status.APPROVED, Status.RETURNED, Status.UNDER_REVIEW][
            n // 2 % 4
        ]
        app = ExchangeApplication(
            id=f"W{n:08d}",
            student_id=sid,
            college=college,
            target="M1",
            sources=[SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (0, 1)],
            status=status,
            term=Term(year="2026-2027", semester=1),
            created_at=at,
            updated_at=at,
            submitted_at=at,
            summary=ApplicationSummary(
                student_name=f"学生{n}",
                major=f"写者专业{college[-2:]}",
                class_name="1班",
                course_name="高等数学(2-1)",
                course_credits=4,
            ),
        ).model_dump(mode="json")
        data = hot[(college, hot_bucket(sid))]
        data["college"] = {"1": {"name": college}}
        data["applications"][str(len(data["applications"]) + 1)] = app
        twin_apps.append((app["id"], sid, college, app["status"], orjson.dumps(app)))
        for i, action in enumerate((ReviewAction.SAVE, ReviewAction.SUBMIT)):
            event = ReviewEvent(
                id=f"WE{n:08d}{i}",
                application_id=app["id"],
                action=action,
                actor=sid,
                actor_role="student",
                at=at,
                status_after=Status.DRAFT if i == 0 else Status.UNDER_REVIEW,
            ).model_dump(mode="json")
            data["events"][str(len(data["events"]) + 1)] = event
            twin_events.append((event["id"], app["id"], orjson.dumps(event)))
    entries: dict[str, dict[str, str]] = defaultdict(dict)
    for (college, bucket), data in hot.items():
        path = root / "hot" / college_key(college) / f"{bucket}.json"
        atomic_write_bytes(path, encode_checked(data))
        for app in data["applications"].values():
            entries[college][app["id"]] = app["student_id"]
    for college, found in entries.items():
        path = root / "index" / f"{college_key(college)}.json"
        atomic_write_bytes(path, encode(index_document(college, found)))
    sqlite_twin.load(base / "twin.sqlite", programmes, twin_students, twin_apps, twin_events)
    (base / STAMP).write_text("ok\n")


def ensure(students: int = STUDENTS) -> Path:
    base = folder(students)
    if not (base / STAMP).exists():
        print(f"generating {students} students and their SQLite twin...", flush=True)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from benchmarks.writers import generate; generate({students})",
            ],
            cwd=ROOT,
            check=True,
        )
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return base


def worker(
    kind: str,
    base: str,
    first: int,
    count: int,
    rate: float,
    start_at: float,
    with_floor: bool = False,
) -> None:
    """One writer process: ``count`` drafts saved (untimed), then each submitted at
    ``rate`` a second from ``start_at``; prints the submit latencies (and the garbage
    collector's pauses in them) as JSON.  ``with_floor``: after each submit (outside
    its timing), one rewrite of a copy of the hot file it wrote, timed as the floor."""
    pauses: list[float] = []
    began: list[float] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            pauses.append(time.perf_counter() - began.pop())

    students = [_sid(((first + i) * 2) % STUDENTS) for i in range(count)]
    waits: list[float] = []
    holds: list[float] = []
    if kind == "credx":
        submit, drafts, hot_file = _credx_side(Path(base), students, waits, holds)
    else:
        submit, drafts = _sqlite_side(Path(base), students)
    if os.environ.get("CREDX_BENCH_NO_SETTLE") != "1":
        from credx_tui.heap import settle

        settle()  # as the app does once ready (credx_tui/heap.py)
    gc.callbacks.append(watch)
    time.sleep(max(0.0, start_at - time.time()))
    latencies: list[float] = []
    cpu: list[float] = []
    floors: list[float] = []
    waits.clear()
    holds.clear()
    next_at = time.perf_counter()
    for sid, draft in zip(students, drafts, strict=True):
        if rate:
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.perf_counter()))
        start, start_cpu = time.perf_counter(), time.process_time()
        submit(sid, draft)
        latencies.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if with_floor and kind == "credx":
            floors.append(_rewrite_copy(hot_file(sid)))
    out = {"latencies": latencies, "cpu": cpu, "gc": pauses, "floor": floors}
    print(json.dumps({**out, "lock_wait": waits, "lock_hold": holds}))


def _rewrite_copy(hot: Path) -> float:
    """Seconds of one rewrite of a copy of ``hot`` as the store does it at its least:
    read, parse, serialise, temp file, fsync, rename, fsync of the folder."""
    import orjson

    from credx_tui.store.files import atomic_write_bytes, read_regular

    copy = hot.parent.parent / f"floor-{os.getpid()}.json"
    shutil.copy(hot, copy)
    start = time.perf_counter()
    _, raw = read_regular(copy)
    atomic_write_bytes(copy, orjson.dumps(orjson.loads(raw)))
    took = time.perf_counter() - start
    copy.unlink()
    return took


def _credx_side(base: Path, students: list[str], waits: list[float], holds: list[float]):
    import contextlib

    from credx_tui.demo import DEMO_SCREENSHOT
    from credx_tui.services import Actor, attachment_check, make_services
    from credx_tui.store import Store
    from credx_tui.store import store as store_module
    from policy.models import Account, Role, SourceKind, SourceRef
    from policy.rules import load_rules

    services = make_services(Store(base / "store"), load_rules())
    payload = DEMO_SCREENSHOT.read_bytes()
    detected = attachment_check.check_content(payload, "shot.png", services.rules.attachments)
    sources = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (2, 3)]
    drafts = []
    for sid in students:
        if services.store.account(sid) is None:
            with services.store.account_tx(sid) as atx:
                atx.put(Account(username=sid, role=Role.STUDENT, password_hash="-"))
        me = Actor(username=sid, role=Role.STUDENT)
        shot = services.store_upload(me, services.student(me), payload, detected)
        save = functools.partial(services.save, me, "M1", sources, attachments=[shot])
        drafts.append(_retried(save).id)

    def submit(sid: str, draft: str) -> None:
        services.submit(Actor(username=sid, role=Role.STUDENT), draft)

    def hot_file(sid: str) -> Path:
        return services.store.hot_path(_college(int(sid[2:]), STUDENTS), sid)

    plain = store_module.locked

    @contextlib.contextmanager
    def timed(lock_path: Path, timeout: float | None = None):
        # Only the hot files' locks: the wait for one, and how long it is held.
        if not lock_path.name.startswith("hot-"):
            with plain(lock_path, timeout):
                yield
            return
        asked = time.perf_counter()
        with plain(lock_path, timeout):
            got = time.perf_counter()
            waits.append(got - asked)
            try:
                yield
            finally:
                holds.append(time.perf_counter() - got)

    store_module.locked = timed  # type: ignore[assignment]
    return submit, drafts, hot_file


def _retried(call):
    """The untimed set-up's save, tried again while the store is busy: eight processes
    making their drafts at once on a loaded 2-core machine may wait longer than a lock's
    timeout (the timed submits are never retried)."""
    from credx_tui.services import StorageFailed

    for _ in range(5):
        try:
            return call()
        except StorageFailed:
            time.sleep(1.0)
    return call()


def _sqlite_side(base: Path, students: list[str]):
    from benchmarks.sqlite_twin import Twin
    from policy.models import (
        Attachment,
        ExchangeApplication,
        SourceKind,
        SourceRef,
        Term,
    )

    twin = Twin(base / "twin.sqlite")
    now = datetime.now(UTC)
    drafts = []
    for sid in students:
        college = twin.db.execute(
            "SELECT json_extract(doc, '$.college') FROM students WHERE id=?", (sid,)
        ).fetchone()[0]
        app = ExchangeApplication(
            id=f"S{sid}{os.getpid()}",
            student_id=sid,
            college=college,
            target="M1",
            sources=[SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (2, 3)],
            term=Term(year="2026-2027", semester=1),
            attachments=[
                Attachment(sha256="0" * 64, filename="shot.png", media_type="image/png", size=9)
            ],
            created_at=now,
            updated_at=now,
        )
        twin.save(sid, app)
        # credx's save read and checked the student's dossier (its shard, transcript,
        # programme, applications): SQLite reads the same rows once too, so that
        # neither side meets them cold at its first timed submit.
        twin._dossier(sid)
        drafts.append(app.id)

    def submit(sid: str, draft: str) -> None:
        twin.submit(sid, draft, f"E{draft}")

    return submit, drafts


def _spawn(
    kind: str,
    base: Path,
    first: int,
    count: int,
    rate: float,
    start_at: float,
    with_floor: bool = False,
):
    code = (
        "from benchmarks.writers import worker; "
        f"worker({kind!r}, {str(base)!r}, {first}, {count}, {rate}, {start_at}, {with_floor})"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "CREDX_BENCH_STUDENTS": str(STUDENTS)},
    )


def run(kind: str, base: Path, writers: int, first: int, count: int) -> dict[str, list[float]]:
    """Latencies (``latencies``), their CPU times (``cpu``), the GC pauses (``gc``),
    the hot locks' waits and holds and (one credx writer) the floor samples of
    ``writers`` processes of ``kind`` started together, ``count`` submits each."""
    start_at = time.time() + 4.0 + writers  # after every process has made its drafts
    floor_too = kind == "credx" and writers == 1
    # Each writer a fraction of a period after the previous one, as people who do not
    # press their keys together: all eight starting at one instant made every first
    # submit wait behind seven others (SQLite's busy handler then sleeps up to 100 ms
    # at a time), which with rounds of ten submits was a tenth of the samples.
    phase = 1.0 / (RATE * writers) if RATE else 0.0
    procs = [
        _spawn(kind, base, first + w * count, count, RATE, start_at + w * phase, floor_too)
        for w in range(writers)
    ]
    pooled: dict[str, list[float]] = defaultdict(list)
    for proc in procs:
        out = json.loads(proc.communicate()[0].strip().splitlines()[-1])
        for key, samples in out.items():
            pooled[key] += samples
    return pooled


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
    )


def main() -> None:
    """Print the submit figures beside SQLite and the floor, each with its target."""
    base = ensure()
    print(f"{STUDENTS} students, {STUDENTS // 2} applications, {COLLEGES} colleges ({base}):")
    store = base / "store"
    backups = {}
    for name in ("hot", "queue", "index", "accounts"):
        src = store / name
        if src.exists():
            backups[src] = src.with_name(f"{name}.bench-backup")
            shutil.rmtree(backups[src], ignore_errors=True)
            shutil.copytree(src, backups[src])
    twin = base / "twin.sqlite"
    twin_backup = base / "twin.sqlite.bench-backup"
    shutil.copy(twin, twin_backup)
    per_round = max(1, SUBMITS // ROUNDS)
    results: dict[tuple[str, int], dict[str, list[float]]] = {}
    try:
        first = 1000
        for writers in (1, 8):
            for r in range(ROUNDS):
                # Taking turns to go first, so that neither always meets the same
                # moment of the machine's other load.
                for kind in ("credx", "sqlite") if r % 2 == 0 else ("sqlite", "credx"):
                    found = run(kind, base, writers, first, per_round)
                    first += writers * per_round
                    pooled = results.setdefault((kind, writers), defaultdict(list))
                    for key, samples in found.items():
                        pooled[key] += samples
    finally:
        for src, dst in backups.items():
            shutil.rmtree(src, ignore_errors=True)
            dst.rename(src)
        twin_backup.replace(twin)
        for extra in ("twin.sqlite-wal", "twin.sqlite-shm"):
            (base / extra).unlink(missing_ok=True)
    pace = f"{RATE:g}/s each" if RATE else "unpaced"
    rounds = f"{ROUNDS} rounds of {per_round} submits per writer, taking turns"
    print(f"  ({rounds})")
    rewrite = _ms(results[("credx", 1)]["floor"])
    print(
        f"  floor: one hot-file rewrite      p50 {rewrite[0]:6.1f} ms   p95 {rewrite[1]:6.1f} ms"
        "   (in the 1-writer process, after each submit)"
    )
    for writers in (1, 8):
        credx = results[("credx", writers)]
        sqlite = results[("sqlite", writers)]
        c50, c95 = _ms(credx["latencies"])
        s50, s95 = _ms(sqlite["latencies"])
        print(
            f"  submit, {writers} writer(s) ({pace}): credx p50 {c50:6.1f} ms p95 {c95:6.1f} ms"
            f" | SQLite WAL p50 {s50:6.1f} ms p95 {s95:6.1f} ms | ratio p95 {c95 / s95:4.2f}"
            f"   target <= 1.5  {_verdict(c95 / s95 <= 1.5)}"
        )
        # CPU time of each submit: what the other jobs of a shared machine do not
        # stretch (the wall time above is what a student waits).
        c50, c95 = _ms(credx["cpu"])
        s50, s95 = _ms(sqlite["cpu"])
        print(
            f"    (their CPU time): credx p50 {c50:6.1f} ms p95 {c95:6.1f} ms"
            f" | SQLite WAL p50 {s50:6.1f} ms p95 {s95:6.1f} ms | ratio p95 {c95 / s95:4.2f}"
        )
        w50, w95 = _ms(credx["lock_wait"])
        h50, h95 = _ms(credx["lock_hold"])
        print(
            f"    credx hot-file lock: wait p50 {w50:6.1f} ms p95 {w95:6.1f} ms,"
            f" held p50 {h50:6.1f} ms p95 {h95:6.1f} ms"
        )
        worst = max(credx["gc"], default=0.0) * 1000
        print(
            f"    GC pauses in credx's submits: {len(credx['gc'])}, longest {worst:.1f} ms"
            f"   target <= 50 ms  {_verdict(worst <= 50)}"
        )
        if writers == 1:
            credx_p50 = _ms(credx["latencies"])[0]
            print(
                f"    one submit / floor (p50): {credx_p50 / rewrite[0]:4.2f}   target <= 3"
                f"  {_verdict(credx_p50 / rewrite[0] <= 3)}"
            )


def _verdict(met: bool) -> str:
    return "ok" if met else "OVER"


if __name__ == "__main__":
    main()
