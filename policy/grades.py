"""Grade arithmetic (procedure.md, "Grades"), parameterised by ``rules.grades``.

What a result is worth, which sitting of a course counts, what the 学业成绩单 prints
for each course (S1), term GPAs and the credit totals of its footer.  R1 (only
still-failed courses are exchanged) and R7 (spent 专业拓展课 credits no longer count
towards graduation) both rest on these numbers, so they live here once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from policy.dossier import Dossier
from policy.models import (
    Attempt,
    AttemptKind,
    Category,
    CourseRecord,
    SourceRef,
    Status,
    Term,
)
from policy.rules import GradeRules, Rules
from policy.sources import describe_source

KIND_ORDER: dict[AttemptKind, int] = {
    AttemptKind.REGULAR: 0,
    AttemptKind.MAKEUP: 1,
    AttemptKind.RETAKE: 2,
}
"""Within one term, a 补考 follows the 正常考试 and a 重修 follows both."""

SECOND_CHANCES = frozenset({AttemptKind.MAKEUP, AttemptKind.RETAKE})
"""The sittings R1 requires before a course may be exchanged."""

ELECTIVE_CATEGORIES = frozenset({Category.PROFESSIONAL_EXTENSION, Category.GENERAL_ELECTIVE})
"""The footer of the 学业成绩单 splits these off; every other category is 必修课."""

_SCORE = re.compile(r"^[0-9]{1,3}(?:\.[0-9]+)?$")
_EPS = 1e-9


class GradeValue(BaseModel):
    """What one recorded result means: its score or level, pass or fail, grade point."""

    model_config = ConfigDict(frozen=True)

    score: float | None
    level: str | None
    passed: bool
    grade_point: float


def parse_result(result: str, grades: GradeRules) -> GradeValue:
    """Read a 成绩 as the college records it: a score ``0``..``100`` (decimals allowed,
    ``01`` is 1) or one of ``grades.levels``.

    Raises ValueError on anything else, so the import validator can name the bad
    result instead of the policy silently treating it as a fail.
    """
    text = result.strip()
    if text in grades.levels:
        return GradeValue(
            score=None,
            level=text,
            passed=text in grades.passing_levels,
            grade_point=float(grades.levels[text]),
        )
    if _SCORE.match(text):
        score = float(text)
        if score > 100:
            raise ValueError(f"成绩 {result!r}: a score must be between 0 and 100")
        passed = score >= grades.pass_score
        point = max(0.0, (score - grades.offset) / grades.divisor) if passed else 0.0
        return GradeValue(score=score, level=None, passed=passed, grade_point=point)
    known = "、".join(grades.levels) or "(none configured)"
    raise ValueError(f"成绩 {result!r} is neither a score 0-100 nor a known level ({known})")


def is_result(result: str, grades: GradeRules) -> bool:
    """Whether :func:`parse_result` reads ``result``: its test, next to it, without
    building the value (the importer asks it of every sitting of a whole college; a
    property test keeps the two in step)."""
    text = result.strip()
    return text in grades.levels or (_SCORE.match(text) is not None and float(text) <= 100)


def _chrono_key(indexed: tuple[int, Attempt]) -> tuple[tuple[str, int], int, int]:
    index, attempt = indexed
    return (attempt.term.sort_key(), KIND_ORDER[attempt.kind], index)


def chronological(record: CourseRecord) -> list[Attempt]:
    """The record's attempts in the order they were sat: by term, then 正常考试 <
    补考 < 重修 (then as listed)."""
    return [a for _, a in sorted(enumerate(record.attempts), key=_chrono_key)]


def record_passed(record: CourseRecord, grades: GradeRules) -> bool:
    """Whether any sitting of the course passed (the course is then not exchangeable)."""
    return any(parse_result(a.result, grades).passed for a in record.attempts)


def final_attempt(record: CourseRecord) -> Attempt | None:
    """The last sitting, chronologically; None when the course has no result yet."""
    ordered = chronological(record)
    return ordered[-1] if ordered else None


def best_attempt(record: CourseRecord, grades: GradeRules) -> Attempt | None:
    """The sitting with the best outcome (passed first, then grade point); the earliest
    wins ties."""
    best: Attempt | None = None
    best_key: tuple[bool, float] | None = None
    for attempt in chronological(record):
        value = parse_result(attempt.result, grades)
        key = (value.passed, value.grade_point)
        if best_key is None or key > best_key:
            best, best_key = attempt, key
    return best


def counting_attempt(record: CourseRecord, grades: GradeRules) -> Attempt | None:
    """The sitting that counts for GPA and is printed: the first that passed, else the
    final one (a later sitting never undoes a pass)."""
    ordered = chronological(record)
    for attempt in ordered:
        if parse_result(attempt.result, grades).passed:
            return attempt
    return ordered[-1] if ordered else None


def has_makeup_or_retake(record: CourseRecord) -> bool:
    """Whether the student sat a 补考 or 重修 of the course (R1's precondition)."""
    return any(a.kind in SECOND_CHANCES for a in record.attempts)


def still_failed_after_second_chance(record: CourseRecord, grades: GradeRules) -> bool:
    """R1: the course was never passed although a 补考 or 重修 was sat."""
    return has_makeup_or_retake(record) and not record_passed(record, grades)


class EffectiveRecord(BaseModel):
    """A transcript row as it counts: what is printed, whether it passed, its grade
    point, whether an approved exchange stands for it, and the credits it earns."""

    record: CourseRecord
    shown_result: str
    passed: bool
    grade_point: float
    exchanged: bool
    credits_earned: float
    counts_in_gpa: bool
    """False for 0-credit courses, ungraded rows and (by default) exchanged courses."""


def effective_record(record: CourseRecord, exchanged: bool, rules: Rules) -> EffectiveRecord:
    """One row per :func:`effective_records`; ``exchanged`` when an approved application
    targets it (S5: the transcript then shows ``rules.exchange_record.result``)."""
    if exchanged:
        ex = rules.exchange_record
        return EffectiveRecord(
            record=record,
            shown_result=ex.result,
            passed=ex.grants_credits,
            grade_point=ex.grade_point,
            exchanged=True,
            credits_earned=record.credits if ex.grants_credits else 0.0,
            counts_in_gpa=ex.counts_in_gpa and record.credits > 0,
        )
    attempt = counting_attempt(record, rules.grades)
    if attempt is None:
        # No sitting yet: nothing to print, nothing earned, and no grade to average.
        return EffectiveRecord(
            record=record,
            shown_result="",
            passed=False,
            grade_point=0.0,
            exchanged=False,
            credits_earned=0.0,
            counts_in_gpa=False,
        )
    value = parse_result(attempt.result, rules.grades)
    return EffectiveRecord(
        record=record,
        shown_result=attempt.result,
        passed=value.passed,
        grade_point=value.grade_point,
        exchanged=False,
        credits_earned=record.credits if value.passed else 0.0,
        counts_in_gpa=record.credits > 0,
    )


def effective_records(dossier: Dossier, rules: Rules) -> list[EffectiveRecord]:
    """Every course record as the transcript counts it, in transcript order."""
    approved = dossier.approved_targets()
    return [effective_record(r, r.code in approved, rules) for r in dossier.transcript.records]


def gpa_of(rows: Iterable[EffectiveRecord]) -> float:
    """Σ(credits × grade point) / Σ credits over the rows that count (failed ones with
    grade point 0 included); 0.0 when none counts."""
    weighted = 0.0
    credits = 0.0
    for row in rows:
        if row.counts_in_gpa:
            weighted += row.record.credits * row.grade_point
            credits += row.record.credits
    return weighted / credits if credits > 0 else 0.0


def term_gpa(dossier: Dossier, term: Term, rules: Rules) -> float:
    """学期平均学分绩点 of one term (unrounded; display with :func:`format_gpa`)."""
    return gpa_of(r for r in effective_records(dossier, rules) if r.record.term == term)


def term_gpas(dossier: Dossier, rules: Rules) -> dict[Term, float]:
    """GPA of every term that has records, in chronological order."""
    rows = effective_records(dossier, rules)
    terms = sorted({r.record.term for r in rows}, key=Term.sort_key)
    return {t: gpa_of(r for r in rows if r.record.term == t) for t in terms}


def format_gpa(value: float) -> str:
    """A GPA as the transcript prints it: at most two decimals, no trailing zeros
    (``2.09``, ``0.8``)."""
    text = f"{round(value + _EPS, 2):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def credits_by_category(dossier: Dossier, rules: Rules) -> dict[Category, float]:
    """Credits earned per category (passed courses, and exchanged ones when the
    exchange grants credits)."""
    totals: dict[Category, float] = {}
    for row in effective_records(dossier, rules):
        if row.credits_earned > 0:
            cat = row.record.category
            totals[cat] = totals.get(cat, 0.0) + row.credits_earned
    return totals


class TranscriptTotals(BaseModel):
    """The footer of the 学业成绩单: 已获得学分, 其中 必修课 / 专业拓展课 / 通识选修课."""

    total: float
    required: float
    """必修课: every category except 专业拓展课 and 通识选修课."""
    professional_extension: float
    general_elective: float


def exchanged_away(dossier: Dossier, rules: Rules) -> dict[Category, float]:
    """Credits of transcript courses that paid for an approved exchange, per category.

    They were converted into the exchanged course's credits (R7: spent once), so the
    footer no longer counts them in their own category; counting both would show the
    same credits twice."""
    earned = {r.record.code: r.credits_earned for r in effective_records(dossier, rules)}
    totals: dict[Category, float] = {}
    seen: set[str] = set()
    for app in dossier.applications:
        if app.status != Status.APPROVED:
            continue
        for ref in app.sources:
            record = dossier.transcript.record(ref.ref)
            if record is None or record.code in seen:
                continue
            seen.add(record.code)
            if earned.get(record.code, 0.0) > 0:
                totals[record.category] = totals.get(record.category, 0.0) + earned[record.code]
    return totals


class PaidSource(BaseModel):
    """A course or certificate whose credits paid for an exchange (issue 15, item 7):
    shown marked on the transcript and 学分兑换 with the application that spent it."""

    model_config = ConfigDict(frozen=True)

    ref: SourceRef
    name: str
    credits: float
    application_id: str
    status: Status
    """审核通过 (spent for good) or 审核中 (held while the review runs)."""
    target: str
    """The name of the course it paid for."""


def paid_sources(
    dossier: Dossier, statuses: Iterable[Status] = (Status.APPROVED,)
) -> list[PaidSource]:
    """Every source held by an application in ``statuses`` (default: approved, the
    credits that :func:`exchanged_away` takes off the footer), in application order."""
    wanted = set(statuses)
    paid: list[PaidSource] = []
    seen: set[SourceRef] = set()
    for app in sorted(dossier.applications, key=lambda a: a.id):
        if app.status not in wanted:
            continue
        target = dossier.transcript.record(app.target)
        for ref in app.sources:
            if ref in seen:
                continue
            seen.add(ref)
            source = describe_source(dossier.transcript, ref)
            name, credits = source.name, source.credits
            paid.append(
                PaidSource(
                    ref=ref,
                    name=name,
                    credits=credits,
                    application_id=app.id,
                    status=app.status,
                    target=target.name if target else app.target,
                )
            )
    return paid


def transcript_totals(dossier: Dossier, rules: Rules) -> TranscriptTotals:
    """The footer totals of the printed transcript (S1): earned credits per category,
    less the credits that paid for approved exchanges (:func:`exchanged_away`)."""
    by_cat = credits_by_category(dossier, rules)
    for category, spent in exchanged_away(dossier, rules).items():
        by_cat[category] = max(0.0, by_cat.get(category, 0.0) - spent)
    extension = by_cat.get(Category.PROFESSIONAL_EXTENSION, 0.0)
    general = by_cat.get(Category.GENERAL_ELECTIVE, 0.0)
    required = sum(v for c, v in by_cat.items() if c not in ELECTIVE_CATEGORIES)
    return TranscriptTotals(
        total=required + extension + general,
        required=required,
        professional_extension=extension,
        general_elective=general,
    )


def spent_credits_by_category(
    dossier: Dossier, rules: Rules | None = None, exclude_application_id: str | None = None
) -> dict[Category, float]:
    """Credits of transcript courses held as sources by live applications (审核中,
    审核通过), per category of the source course.

    R7: a spent course no longer counts towards graduation.  Each course counts once
    even if (wrongly) held twice.  With ``rules`` only earned courses are counted, so
    availability never goes negative on bad data; without them every referenced
    record's credits count.
    """
    earned: dict[str, float] | None = None
    if rules is not None:
        earned = {r.record.code: r.credits_earned for r in effective_records(dossier, rules)}
    totals: dict[Category, float] = {}
    seen: set[str] = set()
    for ref in dossier.spent_sources(exclude_application_id):
        record = dossier.transcript.record(ref.ref)
        if record is None or record.code in seen:
            continue
        seen.add(record.code)
        credits = record.credits if earned is None else earned.get(record.code, 0.0)
        if credits > 0:
            totals[record.category] = totals.get(record.category, 0.0) + credits
    return totals


def available_for_graduation(
    dossier: Dossier, rules: Rules, exclude_application_id: str | None = None
) -> dict[Category, float]:
    """Earned minus spent credits per category: what still counts towards the
    programme's graduation requirements (R7)."""
    available = credits_by_category(dossier, rules)
    for cat, spent in spent_credits_by_category(dossier, rules, exclude_application_id).items():
        available[cat] = available.get(cat, 0.0) - spent
    return available
