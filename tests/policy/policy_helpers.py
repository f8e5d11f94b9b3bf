"""Builders of small invented dossiers for the policy tests (no store, no UI).

A plain module (not conftest) so tests can import it by a name no other test folder uses.

Student 张小明 (2099010101) of an invented college; course codes are short so test
failures read easily.  ``rec`` builds a course record from its results in order: the
first is the 正常考试, then 补考, then 重修 (override with ``kinds``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from policy.dossier import Dossier
from policy.models import (
    Attempt,
    AttemptKind,
    Category,
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    Programme,
    SourceKind,
    SourceRef,
    Status,
    Student,
    Term,
    Transcript,
)

SID = "2099010101"
T1 = Term(year="2098-2099", semester=1)
T2 = Term(year="2098-2099", semester=2)
T3 = Term(year="2099-2100", semester=1)
NOW = datetime(2100, 3, 1, 9, 0, 0, tzinfo=UTC)

KIND_SEQUENCE = (AttemptKind.REGULAR, AttemptKind.MAKEUP, AttemptKind.RETAKE)

C = Category
GE = SourceKind.GENERAL_ELECTIVE
PX = SourceKind.PROFESSIONAL_EXTENSION
COMP = SourceKind.COMPETITION
AWARD = SourceKind.AWARD


def rec(
    code: str,
    name: str,
    category: Category,
    credits: float,
    *results: str,
    term: Term = T1,
    kinds: Sequence[AttemptKind] | None = None,
    attempt_terms: Sequence[Term] | None = None,
) -> CourseRecord:
    """A course record; results are sat in order 正常考试, 补考, 重修 unless ``kinds``."""
    kinds = list(kinds) if kinds is not None else list(KIND_SEQUENCE[: len(results)])
    terms = list(attempt_terms) if attempt_terms is not None else [term] * len(results)
    return CourseRecord(
        code=code,
        name=name,
        category=category,
        credits=credits,
        term=term,
        attempts=[
            Attempt(kind=k, result=r, term=t) for r, k, t in zip(results, kinds, terms, strict=True)
        ],
    )


def cert(cid: str, credits: float, kind: SourceKind = COMP, title: str = "") -> CreditCertificate:
    """A 竞赛集训学分 (default) or 获奖证书."""
    return CreditCertificate(id=cid, kind=kind, title=title or f"证书{cid}", credits=credits)


def app(
    aid: str,
    target: str,
    sources: Sequence[SourceRef | tuple[SourceKind, str]] = (),
    status: Status = Status.DRAFT,
    step: int = 0,
) -> ExchangeApplication:
    """An application of 张小明 in the given status."""
    refs = [s if isinstance(s, SourceRef) else SourceRef(kind=s[0], ref=s[1]) for s in sources]
    return ExchangeApplication(
        id=aid,
        student_id=SID,
        college="测试学院",
        target=target,
        sources=refs,
        status=status,
        step=step,
        term=T3,
        created_at=NOW,
        updated_at=NOW,
    )


def ref(kind: SourceKind, code: str) -> SourceRef:
    """Shorthand for a source reference."""
    return SourceRef(kind=kind, ref=code)


def make_dossier(
    records: Sequence[CourseRecord],
    certificates: Sequence[CreditCertificate] = (),
    applications: Sequence[ExchangeApplication] = (),
    graduation: dict[Category, float] | None = None,
) -> Dossier:
    """张小明's dossier; a programme exists only when ``graduation`` is given."""
    programme = (
        Programme(major="测试专业", college="测试学院", grade_year=2098, graduation=graduation)
        if graduation is not None
        else None
    )
    return Dossier(
        student=Student(
            id=SID, name="张小明", college="测试学院", major="测试专业", grade_year=2098
        ),
        programme=programme,
        transcript=Transcript(
            student_id=SID, records=list(records), certificates=list(certificates)
        ),
        applications=list(applications),
    )


def standard_records() -> list[CourseRecord]:
    """One course for every branch of eligibility, plus sources.

    Targets: MATH (公共基础课 4 cr, failed after 补考) exchangeable with GE credits;
    ENG (公共基础课 4, failed, no 补考 yet); PE1 (体育 2, failed after 补考); CORE
    (专业核心课 3, failed after 重修); FND (专业基础课 3, failed after 补考); MIL (入学教育与军训,
    R5); PRAC (实践 2, not in matrix); PASS (公共基础课 passed).
    Sources: GE1 2, GE2 2, GE3 1.5 (passed 通识选修课), GEF (failed 通识选修课 2),
    PX1 3, PX2 4 (passed 专业拓展课).
    """
    return [
        rec("MATH", "高等数学(2-1)", C.PUBLIC_FOUNDATION, 4, "45", "50"),
        rec("ENG", "英语(2-2)", C.PUBLIC_FOUNDATION, 4, "40", term=T2),
        rec("PE1", "体育与健康(一)", C.PE, 2, "30", "40"),
        rec("CORE", "路由与交换技术", C.PROFESSIONAL_CORE, 3, "20", kinds=[AttemptKind.RETAKE]),
        rec("FND", "数据库应用基础", C.PROFESSIONAL_FOUNDATION, 3, "35", "55", term=T2),
        rec("MIL", "入学教育与军训", C.PUBLIC_FOUNDATION, 2.5, "不合格", "不合格"),
        rec("PRAC", "企业体验实习", C.PRACTICE, 2, "不合格", "不合格"),
        rec("PASS", "计算机应用基础", C.PUBLIC_FOUNDATION, 4, "50", "75"),
        rec("GE1", "书法鉴赏(尔雅)", C.GENERAL_ELECTIVE, 2, "87"),
        rec("GE2", "戏曲鉴赏(尔雅)", C.GENERAL_ELECTIVE, 2, "62"),
        rec("GE3", "IT新技术", C.GENERAL_ELECTIVE, 1.5, "合格"),
        rec("GEF", "大学生领导论(尔雅)", C.GENERAL_ELECTIVE, 2, "7"),
        rec("PX1", "云计算理论与应用", C.PROFESSIONAL_EXTENSION, 3, "80", term=T2),
        rec("PX2", "软件实施与运维", C.PROFESSIONAL_EXTENSION, 4, "70", term=T2),
    ]
