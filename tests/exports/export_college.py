"""A college with known figures for the export and stats tests, built through the
services (save, attach, submit, approve, return) with a clock the test moves.

甲学院: 2024000001 and 2024000002 approved by rev_a after 2 and 4 days, 2024000003
returned after 1 day, 2024000004 审核中, 2024000005 无流程.  乙学院: 2024000006 approved
by rev_b after 10 days (filed in 2025-2026 term 1), 2024000007 审核中.  Every other
application is filed in 2025-2026 term 2."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from credx_tui.importing import AccountSpec, ImportBundle
from credx_tui.services import Services, make_services
from credx_tui.services.loading import apply_bundle
from credx_tui.store.opening import open_store
from policy.models import (
    Attempt,
    AttemptKind,
    Category,
    CourseRecord,
    Programme,
    ProgrammeCourse,
    SourceKind,
    SourceRef,
    Student,
    Term,
    Transcript,
)
from policy.rules import load_rules

A, B = "甲学院", "乙学院"
T1 = Term(year="2024-2025", semester=1)
T2 = Term(year="2024-2025", semester=2)
SPRING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
AUTUMN = datetime(2025, 10, 10, 1, 0, tzinfo=UTC)


def png(text: bytes) -> bytes:
    """A real 1x1 PNG written with zlib; ``text`` makes files differ."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\0\xff\x00\x00"))
    text_chunk = chunk(b"tEXt", b"Comment\0" + text)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + text_chunk + idat + chunk(b"IEND", b"")


def _course(code: str, name: str, category: Category, credits: float, *results: str):
    kinds = [AttemptKind.REGULAR, AttemptKind.MAKEUP]
    return CourseRecord(
        code=code,
        name=name,
        category=category,
        credits=credits,
        term=T1,
        attempts=[
            Attempt(kind=kinds[i], result=r, term=T1 if i == 0 else T2)
            for i, r in enumerate(results)
        ],
    )


RECORDS = [
    _course("M1", "高等数学(2-1)", Category.PUBLIC_FOUNDATION, 4, "40", "45"),
    _course("E2", "英语(2-2)", Category.PUBLIC_FOUNDATION, 2, "30", "50"),
    _course("G1", "书法鉴赏", Category.GENERAL_ELECTIVE, 2, "80"),
    _course("G2", "戏曲鉴赏", Category.GENERAL_ELECTIVE, 2, "75"),
    _course("G3", "西方美术欣赏", Category.GENERAL_ELECTIVE, 2, "90"),
]


def sid(n: int) -> str:
    return f"20240000{n:02d}"


@dataclass
class Clock:
    """The services' clock; tests move ``now``."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def build(root: Path | str, files: Path | None = None) -> tuple[Services, Clock]:
    """The college above in a new store at ``root`` (a folder, or a PostgreSQL URL
    with ``files`` the folder for the screenshots it attaches)."""
    store = open_store(root, create=True)
    files = files or Path(root).parent
    programmes = [
        Programme(
            major=f"{college}专业",
            college=college,
            grade_year=2024,
            courses=[
                ProgrammeCourse(code=r.code, name=r.name, category=r.category, credits=r.credits)
                for r in RECORDS
            ],
        )
        for college in (A, B)
    ]
    students = [
        Student(
            id=sid(n),
            name=f"同学{n}",
            college=A if n <= 5 else B,
            major=f"{A if n <= 5 else B}专业",
            grade_year=2024,
            class_name=f"{n}班",
        )
        for n in range(1, 8)
    ]
    accounts = [AccountSpec(username=s.id, role="student", password="pw") for s in students]
    accounts += [
        AccountSpec(
            username="rev_a", role="reviewer", colleges=[A], password="pw", display_name="甲审核"
        ),
        AccountSpec(
            username="rev_b", role="reviewer", colleges=[B], password="pw", display_name="乙审核"
        ),
        AccountSpec(username="admin", role="admin", password="pw", display_name="教务处"),
    ]
    apply_bundle(
        store,
        ImportBundle(
            programmes=programmes,
            students=students,
            transcripts=[Transcript(student_id=s.id, records=RECORDS) for s in students],
            accounts=accounts,
        ),
    )
    clock = Clock(SPRING)
    services = make_services(store, load_rules(), clock=clock)
    rev = {A: services.actor_for("rev_a"), B: services.actor_for("rev_b")}
    g = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=r) for r in ("G1", "G2", "G3")]

    def filed(n: int, target: str, sources: list[SourceRef], at: datetime, submit: bool = True):
        clock.now = at
        me = services.actor_for(sid(n))
        shot = files / f"shot{n}.png"
        shot.write_bytes(png(str(n).encode()))
        app = services.save(me, target, sources, attachments=[services.attach(me, shot)])
        return services.submit(me, app.id) if submit else app

    def decide(app, college: str, at: datetime, approve: bool = True) -> None:
        clock.now = at
        if approve:
            services.approve(rev[college], app.id, expected_revision=app.revision)
        else:
            services.return_(rev[college], app.id, "截图不清楚", expected_revision=app.revision)

    decide(filed(1, "M1", g[:2], SPRING), A, SPRING + timedelta(days=2))
    decide(filed(2, "E2", g[2:], SPRING), A, SPRING + timedelta(days=4))
    decide(filed(3, "M1", g[:2], SPRING), A, SPRING + timedelta(days=1), approve=False)
    filed(4, "M1", g[:2], SPRING)
    filed(5, "M1", g[:2], SPRING, submit=False)
    decide(filed(6, "M1", g[:2], AUTUMN), B, AUTUMN + timedelta(days=10))
    filed(7, "M1", g[:2], SPRING)
    clock.now = SPRING + timedelta(days=5)
    return services, clock
