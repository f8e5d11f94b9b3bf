"""The one transcript every generated benchmark student has, shared by ``benchmarks.run``
and ``benchmarks.export`` so both measure the same shape of data."""

from __future__ import annotations

from policy.models import Attempt, AttemptKind, Category, CourseRecord, Term

TERM_1 = Term(year="2024-2025", semester=1)
TERM_2 = Term(year="2024-2025", semester=2)


def course_records(count: int) -> list[CourseRecord]:
    """``count`` records: 高等数学 failed after the 补考 (the exchange target, code M1), then
    12 passed 通识选修课 (the sources) and passed professional courses over two terms."""
    records = [
        CourseRecord(
            code="M1",
            name="高等数学(2-1)",
            category=Category.PUBLIC_FOUNDATION,
            credits=4,
            term=TERM_1,
            attempts=[
                Attempt(kind=AttemptKind.REGULAR, result="40", term=TERM_1),
                Attempt(kind=AttemptKind.MAKEUP, result="45", term=TERM_2),
            ],
        )
    ]
    for i in range(count - 1):
        records.append(
            CourseRecord(
                code=f"C{i:02d}",
                name=f"课程{i:02d}",
                category=Category.GENERAL_ELECTIVE if i < 12 else Category.PROFESSIONAL_FOUNDATION,
                credits=2,
                term=TERM_1 if i % 2 else TERM_2,
                attempts=[Attempt(kind=AttemptKind.REGULAR, result=str(60 + i), term=TERM_1)],
            )
        )
    return records
