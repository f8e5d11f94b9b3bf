"""`make bench`: credx at college scale on this machine.

Generates (once, into ``bench-data/``) a store of 20,000 students with about 40 course
records each and 10,000 applications with their review events across 10 colleges, then
measures:

- ``credx check --student …`` as a whole process (target ≤ 0.5 s);
- one submit (service call: lock, reload, policy, atomic write), p50/p95, one writer
  alone (target p95 ≤ 50 ms) and 8 writer processes at about 13 submits a second in
  all (target p95 ≤ 100 ms);
- the resident memory of a student's session on that store (target ≤ 150 MB);
- the time to render the largest demo transcript as a PDF 学业成绩单 (A4 and A3).

Numbers are printed, not asserted: tests check behaviour, this checks speed.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks import live
from benchmarks.upload import measure as upload_to_visible

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench-data" / "store"
STAMP = DATA.parent / "generated-v4"
STUDENTS = 20_000
COLLEGES = 10
APPLICATIONS = 10_000
RECORDS = 40


def _sid(n: int) -> str:
    return f"30{n // 2000:02d}{n % 2000:06d}"


def _college(n: int) -> str:
    return f"基准学院{n // (STUDENTS // COLLEGES):02d}"


def generate() -> None:
    """Build the benchmark store (about a minute; reused while the stamp exists)."""
    from credx_tui.passwords import hash_password
    from credx_tui.services.loading import _remove_store
    from credx_tui.store import Store
    from credx_tui.store.store import hot_bucket
    from policy.models import (
        Account,
        ApplicationSummary,
        Category,
        ExchangeApplication,
        Programme,
        ProgrammeCourse,
        ReviewAction,
        ReviewEvent,
        Role,
        SourceKind,
        SourceRef,
        Status,
        Student,
        Term,
        Transcript,
    )

    if DATA.exists():
        _remove_store(DATA)
    store = Store.create(DATA)
    from benchmarks.college import course_records

    records = course_records(RECORDS)
    with store.bulk() as tx:
        for c in range(COLLEGES):
            college = f"基准学院{c:02d}"
            tx.put_programme(
                Programme(
                    major=f"基准专业{c:02d}",
                    college=college,
                    grade_year=2024,
                    courses=[
                        ProgrammeCourse(
                            code=r.code, name=r.name, category=r.category, credits=r.credits
                        )
                        for r in records
                    ],
                    graduation={Category.GENERAL_ELECTIVE: 8},
                )
            )
        for n in range(STUDENTS):
            sid, college = _sid(n), _college(n)
            tx.put_student(
                Student(
                    id=sid,
                    name=f"学生{n}",
                    college=college,
                    major=f"基准专业{college[-2:]}",
                    grade_year=2024,
                    class_name="1班",
                )
            )
            tx.put_transcript(Transcript(student_id=sid, records=records))
    digest = hash_password("bench")
    for n in range(0, STUDENTS, 100):
        with store.account_tx(_sid(n)) as atx:
            atx.put(Account(username=_sid(n), role=Role.STUDENT, password_hash=digest))
    # 10,000 applications of other students (not the ones the benchmark submits for),
    # each with save + submit events, half of them decided.
    base = datetime(2026, 9, 1, tzinfo=UTC)
    per_file: dict[tuple[str, str], tuple[list, list, str]] = {}
    for k in range(APPLICATIONS):
        n = (k * 2 + 1) % STUDENTS
        sid, college = _sid(n), _college(n)
        at = base + timedelta(minutes=k)
        status = [Status.UNDER_REVIEW, Status.APPROVED, Status.RETURNED, Status.UNDER_REVIEW][k % 4]
        app = ExchangeApplication(
            id=f"B{k:06d}",
            student_id=sid,
            college=college,
            target="M1",
            sources=[SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (0, 1)],
            status=status,
            term=Term(year="2026-2027", semester=1),
            created_at=at,
            updated_at=at,
            summary=ApplicationSummary(
                student_name=f"学生{n}",
                major=f"基准专业{college[-2:]}",
                class_name="1班",
                course_name="高等数学(2-1)",
                course_credits=4,
            ),
        )
        actions = [ReviewAction.SAVE, ReviewAction.SUBMIT]
        if status in (Status.APPROVED, Status.RETURNED):
            actions.append(
                ReviewAction.APPROVE if status == Status.APPROVED else ReviewAction.RETURN
            )
        events = [
            ReviewEvent(
                id=f"BE{k:06d}{i}",
                application_id=app.id,
                action=a,
                actor=sid,
                actor_role="student",
                at=at,
                status_after=status,
            )
            for i, a in enumerate(actions)
        ]
        apps, evs, _ = per_file.setdefault((college, hot_bucket(sid)), ([], [], sid))
        apps.append(app)
        evs.extend(events)
    for (college, _), (apps, evs, sid) in per_file.items():
        with store.hot(college, sid) as htx:
            htx.insert_many(apps, evs)
    STAMP.write_text("ok\n")


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
    return f"p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {ordered[-1] * 1000:6.1f} ms   n={len(ordered)}"


def submit_worker(first: int, count: int, rate: float, start_at: float = 0.0) -> None:
    """One writer process: save then submit ``count`` applications, paced at ``rate``
    submits per second from ``start_at`` (so that all writers start together, after
    their imports); prints the submit latencies as JSON."""
    from credx_tui.demo import DEMO_SCREENSHOT
    from credx_tui.services import Actor, make_services
    from credx_tui.store import Store
    from policy.models import Account, Role, SourceKind, SourceRef
    from policy.rules import load_rules

    services = make_services(Store(DATA), load_rules())
    latencies: list[float] = []
    sources = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (2, 3)]
    # Services check every actor against its account (issue 9): the students this
    # writer submits for need one (set up before the clock starts, once per store).
    for i in range(-1, count):
        sid = _sid((first + max(i, 0)) * 2 % STUDENTS)
        if services.store.account(sid) is None:
            with services.store.account_tx(sid) as atx:
                atx.put(Account(username=sid, role=Role.STUDENT, password_hash="-"))
    services.verdicts(Actor(username=_sid(first * 2 % STUDENTS), role=Role.STUDENT))
    time.sleep(max(0.0, start_at - time.time()))
    next_at = time.perf_counter()
    for i in range(count):
        n = (first + i) * 2 % STUDENTS  # even students hold no applications yet
        me = Actor(username=_sid(n), role=Role.STUDENT)
        # S4: a submit needs a screenshot (attachments.required); stored untimed.
        shot = services.attach(me, DEMO_SCREENSHOT)
        draft = services.save(me, "M1", sources, attachments=[shot])
        if rate:
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.perf_counter()))
        start = time.perf_counter()
        services.submit(me, draft.id)
        latencies.append(time.perf_counter() - start)
    print(json.dumps(latencies))


def _spawn_worker(
    first: int, count: int, rate: float, start_at: float = 0.0
) -> subprocess.Popen[str]:
    code = f"from benchmarks.run import submit_worker; submit_worker({first}, {count}, {rate}, {start_at})"
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def session_memory(student_id: str) -> float:
    """Peak RSS (MB) of a process running a student's real session on the big store:
    the Textual app, headless at 120x40, showing the transcript and 学分兑换 pages."""
    code = f"""
import asyncio, tempfile
from pathlib import Path
from credx_tui.app import make_app
from credx_tui.services import make_services
from credx_tui.settings import Settings
from credx_tui.store import Store
from policy.rules import load_rules

async def main():
    store = Store(Path({str(DATA)!r}))
    services = make_services(store, load_rules())
    me = services.actor_for({student_id!r})
    app = make_app(Settings(db=store.root), services, print_dir=Path(tempfile.mkdtemp()), actor=me)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        app.open_transcript()
        await pilot.pause(0.5)
        app.open_exchange()
        await pilot.pause(0.5)

asyncio.run(main())
# VmHWM, not ru_maxrss: the latter survives exec and would report the parent's peak.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(int(hwm) / 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def reviewer_queue(college: str) -> tuple[float, int, float]:
    """(ms, rows, peak RSS MB) of loading one college's queue in a fresh process."""
    code = f"""
import time
from pathlib import Path
from credx_tui.services import Actor, make_services
from credx_tui.store import Store
from policy.models import Account, Role
from policy.rules import load_rules
services = make_services(Store(Path({str(DATA)!r})), load_rules())
if services.store.account("bench") != (bench := Account(
    username="bench", role=Role.REVIEWER, colleges=[{college!r}], password_hash="-"
)):
    with services.store.account_tx("bench") as atx:  # actors match an account (issue 9)
        atx.put(bench)
me = Actor(username="bench", role=Role.REVIEWER, colleges=({college!r},))
start = time.perf_counter()
rows = services.queue(me, status=None)
ms = (time.perf_counter() - start) * 1000
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(ms, len(rows), int(hwm) / 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    ms, rows, rss = out.stdout.split()
    return float(ms), int(rows), float(rss)


def main() -> None:
    # Issue 13, a big college stays instant (each prints beside its targets; sizes by
    # environment variable, see each module's docstring):
    from benchmarks import decide, memory, pg, startup, writers

    decide.main()  # decision open / F7 / approve at 10,000 in one college, queue paint
    writers.main()  # submit with 1 and 8 writers at 200,000 students beside SQLite WAL
    pg.main()  # the same college on PostgreSQL beside the file store (issue 16)
    memory.main()  # a reviewer opening 300 applications; GC pauses in save+submit
    startup.main()  # ready login screen beside a bare Textual app

    if not STAMP.exists():
        print(
            "generating the benchmark store (20,000 students, 10,000 applications)...", flush=True
        )
        start = time.perf_counter()
        # In a child process, so that this process stays small while it measures.
        subprocess.run(
            [sys.executable, "-c", "from benchmarks.run import generate; generate()"],
            cwd=ROOT,
            check=True,
        )
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) / 1e6
    print(f"store: {DATA} ({size:.0f} MB)")

    credx = Path(sys.executable).with_name("credx")
    times = []
    for n in (1, 3, 5001, 10001, 19999):
        start = time.perf_counter()
        subprocess.run(
            [str(credx), "check", "--student", _sid(n), "--json", "--db", str(DATA)],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    print(f"credx check (whole process):   {_percentiles(times)}   target <= 500 ms")

    # The submits below add applications; put the hot files back afterwards so that
    # every run measures the same store.
    backup = DATA.parent / "hot-backup"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(DATA / "hot", backup)
    try:
        _submits()
    finally:
        shutil.rmtree(DATA / "hot")
        backup.rename(DATA / "hot")

    queue = reviewer_queue(_college(2500))
    print(
        f"reviewer queue, cold process:  {queue[0]:6.0f} ms for {queue[1]} applications, peak RSS {queue[2]:.0f} MB"
    )

    rss = session_memory(_sid(100))  # a student with an account
    print(f"student session peak RSS:      {rss:6.1f} MB   target <= 150 MB")

    transcript_pdf()
    preview_render()
    upload_to_visible()  # issue 10: a 2 MB screenshot through credx serve to the TUI
    live.report()  # issue 13: change-to-screen latency of the live screens

    from benchmarks.trainer import measure as trainer_keys

    trainer_keys()  # Ctrl+G / Ctrl+T settle time and flashing frames (issue 15)


def preview_render(repeats: int = 10) -> None:
    """A 1920x1080 PNG screenshot drawn by the attachment preview at 120x40 in
    half-block mode (headless): PNG decode, fit-to-width reduction and the cells drawn
    (``render_lines``), from bytes to cells, first time and then ``repeats`` more."""
    import asyncio
    import io

    from PIL import Image, ImageDraw
    from textual.app import App
    from textual.geometry import Region

    from credx_tui.widgets.attachment_preview import AttachmentPreview
    from policy.models import Attachment

    picture = Image.new("RGB", (1920, 1080), "white")
    draw = ImageDraw.Draw(picture)
    for i in range(0, 1920, 40):
        draw.rectangle([i, (i * 7) % 1000, i + 30, (i * 7) % 1000 + 60], fill=(i % 256, 90, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    payload = buffer.getvalue()
    att = Attachment(
        sha256="0" * 64, filename="shot.png", media_type="image/png", size=len(payload)
    )

    class Bench(App):
        def compose(self):
            yield AttachmentPreview(id="p", max_rows=36)

    async def run() -> list[float]:
        times = []
        app = Bench()
        async with app.run_test(size=(120, 40)) as pilot:
            preview = app.query_one(AttachmentPreview)
            for _ in range(repeats + 1):
                start = time.perf_counter()
                preview.show(att, payload, "shot.png")
                await pilot.pause()
                image = preview.image_widget
                assert image is not None
                image.render_lines(Region(0, 0, image.size.width, image.size.height))
                times.append(time.perf_counter() - start)
        return times

    times = asyncio.run(run())
    print(
        f"attachment preview 1920x1080 PNG at 120x40 (half-blocks): "
        f"first {times[0] * 1000:.0f} ms, then {_percentiles(times[1:])}"
    )

    from benchmarks.export import measure

    measure()  # credx export approved of 10,000 approved exchanges (issue 12)
    from benchmarks.importing import measure as measure_import

    measure_import()  # a 20,000-student college in, a term update, export (issue 12, item 5)


def transcript_pdf(repeats: int = 20) -> None:
    """Render the demo college's largest transcript (most course records) to PDF: the
    first render (imports ReportLab, parses the font) and then ``repeats`` more."""
    import tempfile

    from credx_tui.documents import DocumentError
    from credx_tui.services import make_services
    from credx_tui.services.documents import render_transcript_pdf
    from credx_tui.services.loading import load_demo
    from policy.rules import load_rules

    with tempfile.TemporaryDirectory(prefix="credx-bench-") as tmp:
        store, _ = load_demo(Path(tmp) / "store", load_rules())
        services = make_services(store, load_rules())
        admin = services.owner_actor("bench")
        largest = max(
            store.students(), key=lambda s: len(services.dossier(admin, s.id).transcript.records)
        )
        count = len(services.dossier(admin, largest.id).transcript.records)
        for a3 in (False, True):
            out = Path(tmp) / f"transcript-{a3}.pdf"
            times = []
            try:
                for _ in range(repeats + 1):
                    start = time.perf_counter()
                    render_transcript_pdf(services, admin, largest.id, a3=a3, out=out)
                    times.append(time.perf_counter() - start)
            except DocumentError as exc:
                print(f"PDF transcript:                skipped: {exc.en}")
                return
            label = "A3" if a3 else "A4"
            print(
                f"PDF transcript {label}, {largest.id} ({count} courses): "
                f"first {times[0] * 1000:.0f} ms, then {_percentiles(times[1:])}"
            )


def _submits() -> None:
    one = _spawn_worker(first=1, count=100, rate=0)
    alone = json.loads(one.communicate()[0])
    print(f"submit, one writer:            {_percentiles(alone)}   target p95 <= 50 ms")

    start_at = time.time() + 3.0
    writers = [
        _spawn_worker(first=1000 + w * 100, count=40, rate=13 / 8, start_at=start_at)
        for w in range(8)
    ]
    together: list[float] = []
    for proc in writers:
        together += json.loads(proc.communicate()[0])
    print(f"submit, 8 writers, ~13/s:      {_percentiles(together)}   target p95 <= 100 ms")


if __name__ == "__main__":
    main()
