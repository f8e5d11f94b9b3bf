"""The domain of the credit-exchange procedure (procedure.md), as pydantic models.

These models are what the store hands to services and what services hand to the
policy functions.  They hold no behaviour that depends on the college's rules file:
whatever a college can change (excluded courses, the source matrix, ratios, grade
points) lives in :mod:`policy.rules` and is applied by the decision modules.

Field names are English; the Chinese term each one stands for is in its description,
so a registrar reading the import format (README) can map it to the portal.
"""

from __future__ import annotations

import functools
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from policy.bilingual import Bilingual
from policy.text import FILENAME_MAX, NOTE_MAX, REASON_MAX, gate_line, gate_paragraph

STUDENT_ID_PATTERN = r"^[0-9A-Za-z]{4,20}$"
"""学号: digits or letters, 4 to 20 of them (demo IDs are ten digits)."""

Line = Annotated[str, AfterValidator(gate_line)]
"""A one-line text through the gate of :mod:`policy.text` (NFC; no control characters,
bidi overrides, lone surrogates or invisible-only text)."""
Paragraph = Annotated[str, AfterValidator(gate_paragraph)]
"""A multi-line text through the gate (tab and newline allowed)."""


def _real_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a date of the calendar (YYYY-MM-DD)") from None
    return value


DateText = Annotated[str, AfterValidator(_real_date)]
"""A date as ``YYYY-MM-DD`` that exists in the calendar (2026-13-45 is refused)."""

Instant = AwareDatetime
"""A point in time with its UTC offset: a time without one cannot be compared with the
others and is refused (an import of naive times once crashed every reviewer's queue)."""


class Model(BaseModel):
    """Base of every domain model: unknown fields are refused, so a typo in an import
    file is reported instead of silently dropped.

    ``defer_build``: each model builds its validator the first time it is used, not
    when credx starts; the login screen needs none of them (issue 13, item 4)."""

    model_config = ConfigDict(
        extra="forbid", frozen=False, str_strip_whitespace=True, defer_build=True
    )


_EN = {
    "公共基础课": "public foundation",
    "专业基础课": "professional foundation",
    "专业核心课": "professional core",
    "专业拓展课": "professional extension",
    "通识选修课": "general elective",
    "体育": "physical education",
    "思政": "ideology and politics",
    "实践": "practice",
    "source:通识选修课": "general electives",
    "source:专业拓展课": "professional extension courses",
    "source:竞赛集训学分": "competition-training credits",
    "source:获奖证书": "award certificates",
    "正常考试": "regular exam",
    "补考": "make-up exam",
    "重修": "retake",
    "无流程": "not started",
    "审核中": "under review",
    "审核通过": "approved",
    "被退回": "returned",
}
"""English names of the guide's Chinese domain terms (the enums below keep the Chinese
as their values: the guide's words, and the import files')."""


class Category(StrEnum):
    """课程类别 of a course in a major's 人才培养方案 (R2).

    The value is the Chinese name used in the guide and in import files.
    """

    PUBLIC_FOUNDATION = "公共基础课"
    PROFESSIONAL_FOUNDATION = "专业基础课"
    PROFESSIONAL_CORE = "专业核心课"
    PROFESSIONAL_EXTENSION = "专业拓展课"
    GENERAL_ELECTIVE = "通识选修课"
    PE = "体育"
    IDEOLOGY = "思政"
    PRACTICE = "实践"

    @property
    def en(self) -> str:
        """The category's English name (the English UI and reasons, issue 15)."""
        return _EN[self.value]


class SourceKind(StrEnum):
    """What may pay for a failed course (R2, R4, R7).

    ``general_elective`` and ``professional_extension`` are passed courses of those
    categories on the student's own transcript; ``competition`` and ``award`` are
    credits the student holds outside the transcript (竞赛集训学分, 获奖证书).
    """

    GENERAL_ELECTIVE = "通识选修课"
    PROFESSIONAL_EXTENSION = "专业拓展课"
    COMPETITION = "竞赛集训学分"
    AWARD = "获奖证书"

    @property
    def en(self) -> str:
        """The kind's English name (the English UI and reasons, issue 15)."""
        return _EN[f"source:{self.value}"]


class AttemptKind(StrEnum):
    """考试性质 of one sitting of a course."""

    REGULAR = "正常考试"
    MAKEUP = "补考"
    RETAKE = "重修"

    @property
    def en(self) -> str:
        """The sitting's English name (the English UI and reasons, issue 15)."""
        return _EN[self.value]


@functools.lru_cache(maxsize=256)
def _consecutive_years(value: str) -> bool:
    """Whether ``2018-2019`` names two consecutive years (remembered: a college's
    transcripts name a handful of 学年 over a million times)."""
    first, second = value.split("-")
    return int(second) == int(first) + 1


class Term(Model):
    """One term: 学年 (``2018-2019``) and 学期 (1 or 2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: str = Field(pattern=r"^\d{4}-\d{4}$", description="学年, e.g. 2018-2019")
    semester: int = Field(strict=True, ge=1, le=3, description="学期")

    @field_validator("year")
    @classmethod
    def _consecutive(cls, value: str) -> str:
        if not _consecutive_years(value):
            raise ValueError("学年 must be two consecutive years, e.g. 2018-2019")
        return value

    @property
    def label(self) -> Bilingual:
        """How the transcript heads a term: ``2018-2019学年 第1学期`` (English
        ``2018-2019 term 1``)."""
        return Bilingual(
            f"{self.year}学年 第{self.semester}学期", f"{self.year} term {self.semester}"
        )

    def sort_key(self) -> tuple[str, int]:
        """Chronological order of terms."""
        return (self.year, self.semester)


class Attempt(Model):
    """One sitting of a course (正常考试, 补考 or 重修) and its recorded result."""

    kind: AttemptKind = Field(description="考试性质")
    result: Line = Field(
        min_length=1,
        max_length=10,
        description="成绩: a score 0-100 or a level (优秀, 良好, 中等, 及格, 不及格, 合格, 不合格, 缺考)",
    )
    term: Term = Field(description="the term of this sitting")
    date: DateText | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="考试日期 YYYY-MM-DD"
    )


class CourseRecord(Model):
    """A course on a student's transcript with all its attempts (学生成绩总表 row).

    ``category`` and ``credits`` come from the major's programme; they are copied
    here because the transcript prints them and an elective taken outside the
    programme has no programme entry.
    """

    code: Line = Field(min_length=1, max_length=20, description="校内课程代码")
    name: Line = Field(min_length=1, max_length=60, description="课程名称")
    name_en: Line = Field(default="", max_length=120, description="校内课程英文名")
    category: Category = Field(description="课程类别")
    credits: float = Field(strict=True, ge=0, le=40, description="学分")
    term: Term = Field(description="the term the course belongs to on the transcript")
    attempts: list[Attempt] = Field(default_factory=list, description="正常考试, 补考, 重修")


class LevelExam(Model):
    """等级考试成绩: a level exam (英语等级, 计算机等级 …); printed, never exchanged."""

    name: Line = Field(min_length=1, max_length=40)
    result: Line = Field(min_length=1, max_length=10)
    date: DateText | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class CreditCertificate(Model):
    """竞赛集训学分 or 获奖证书 held by a student: credits that pay for PE and professional
    courses (R4)."""

    id: Line = Field(min_length=1, max_length=30, description="certificate number")
    kind: SourceKind = Field(description="竞赛集训学分 or 获奖证书")
    title: Line = Field(min_length=1, max_length=80)
    credits: float = Field(strict=True, gt=0, le=20)
    date: DateText | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")

    @field_validator("kind")
    @classmethod
    def _outside_transcript(cls, value: SourceKind) -> SourceKind:
        if value not in (SourceKind.COMPETITION, SourceKind.AWARD):
            raise ValueError("a certificate is 竞赛集训学分 or 获奖证书")
        return value


class Student(Model):
    """A student as the 学分兑换 page heads it (S3)."""

    id: str = Field(pattern=STUDENT_ID_PATTERN, description="学号")
    name: Line = Field(min_length=1, max_length=30, description="姓名")
    kind: Line = Field(default="普通专科", max_length=20, description="学生类别")
    college: Line = Field(min_length=1, max_length=40, description="学院 (二级学院)")
    major: Line = Field(min_length=1, max_length=40, description="专业")
    grade_year: int = Field(strict=True, ge=2000, le=2100, description="年度 (year of entry)")
    class_name: Line = Field(default="", max_length=30, description="班级")
    enrollment_no: Line = Field(default="", max_length=30, description="学籍号")


class ProgrammeCourse(Model):
    """One course of a 人才培养方案 with its category and credits (R2)."""

    code: Line = Field(min_length=1, max_length=20)
    name: Line = Field(min_length=1, max_length=60)
    name_en: Line = Field(default="", max_length=120)
    category: Category
    credits: float = Field(strict=True, ge=0, le=40)


class Programme(Model):
    """人才培养方案 of one major and year of entry: its courses and the credits per
    category needed to graduate (R7 warns against spending below them)."""

    major: Line = Field(min_length=1, max_length=40)
    college: Line = Field(min_length=1, max_length=40)
    grade_year: int = Field(strict=True, ge=2000, le=2100)
    courses: list[ProgrammeCourse] = Field(default_factory=list)
    graduation: dict[Category, Annotated[float, Field(strict=True, ge=0, le=400)]] = Field(
        default_factory=dict, description="credits needed to graduate, per category"
    )


class Transcript(Model):
    """Everything a student has earned: course records, level exams, certificates."""

    student_id: str = Field(pattern=STUDENT_ID_PATTERN)
    records: list[CourseRecord] = Field(default_factory=list)
    level_exams: list[LevelExam] = Field(default_factory=list)
    certificates: list[CreditCertificate] = Field(default_factory=list)

    def record(self, code: str) -> CourseRecord | None:
        """The record of course ``code``, if the student has one."""
        return next((r for r in self.records if r.code == code), None)

    def certificate(self, cert_id: str) -> CreditCertificate | None:
        """The certificate numbered ``cert_id``, if the student holds one."""
        return next((c for c in self.certificates if c.id == cert_id), None)


class Status(StrEnum):
    """审核状态 of an application, with the guide's words (R10, R11)."""

    DRAFT = "无流程"
    UNDER_REVIEW = "审核中"
    APPROVED = "审核通过"
    RETURNED = "被退回"

    @property
    def en(self) -> str:
        """The status's English name (the English UI and reasons, issue 15)."""
        return _EN[self.value]


LIVE_STATUSES = frozenset({Status.UNDER_REVIEW, Status.APPROVED})
"""Statuses in which an application holds its sources: credits are spent once."""


class SourceRef(Model):
    """One credit source offered in an application: a course code on the student's
    transcript, or a certificate id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: SourceKind
    ref: Line = Field(min_length=1, max_length=30)


class Attachment(Model):
    """A screenshot attached to an application (S4); the file itself lives in the
    store, named by its SHA-256."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: Line = Field(min_length=1, max_length=FILENAME_MAX)
    media_type: str = Field(pattern=r"^(image/png|image/jpeg|application/pdf)$")
    size: int = Field(strict=True, ge=1)


EXCHANGE_KIND = "学分兑换"
"""申请类型 of a credit-exchange application (the guide's word; the only kind credx files)."""


class ExchangeApplication(Model):
    """学分兑换 application: exactly one target course (R3) paid by ``sources``."""

    id: Line = Field(min_length=1, max_length=40)
    student_id: str = Field(pattern=STUDENT_ID_PATTERN)
    college: Line = Field(min_length=1, max_length=40, description="学院 that reviews it")
    target: Line = Field(
        min_length=1, max_length=20, description="校内课程代码 of the failed course"
    )
    sources: list[SourceRef] = Field(default_factory=list)
    status: Status = Status.DRAFT
    step: int = Field(
        strict=True, default=0, ge=0, description="index of the review step waiting (R11)"
    )
    term: Term = Field(description="申请学年 and 申请学期")
    kind: Line = Field(default=EXCHANGE_KIND, max_length=20, description="申请类型")
    note: Paragraph = Field(default="", max_length=NOTE_MAX, description="备注")
    attachments: list[Attachment] = Field(default_factory=list)
    created_at: Instant
    updated_at: Instant
    submitted_at: Instant | None = Field(
        default=None,
        description="提交日期: the first submit, kept on resubmission (None: never "
        "submitted, or stored before credx kept it; then the trail's first submit says)",
    )
    revision: int = Field(
        strict=True, default=1, ge=1, description="bumped on each write; detects races"
    )
    rules_version: int | None = Field(
        default=None,
        ge=1,
        description="version of the stored rules it was last submitted under (None: the "
        "bundled default, or submitted before rules lived in the store)",
    )
    summary: ApplicationSummary | None = Field(
        default=None,
        description="who and what, copied at save time so a reviewer's queue of thousands "
        "needs no read of each student's transcript",
    )
    submitted_transcript: TranscriptFingerprint | None = Field(
        default=None,
        description="the transcript as it was at the last submit (policy.fingerprint), so "
        "the reviewer is told what changed since; None: submitted before credx kept it",
    )


class SubmittedEntry(Model):
    """One transcript entry an application rests on (its target or one source) as it
    was at submission: what the reviewer is shown when it has changed since."""

    role: str = Field(pattern=r"^(target|source)$", description="目标课程 or 认定来源")
    ref: Line = Field(min_length=1, max_length=30, description="课程代码 or certificate id")
    kind: SourceKind | None = Field(default=None, description="the source's kind; None: target")
    held: bool = Field(default=True, description="False: the student held no such entry")
    name: Line = Field(default="", max_length=80)
    category: Category | None = None
    credits: float = Field(strict=True, default=0, ge=0, le=40)
    attempts: list[Attempt] = Field(default_factory=list, description="a course's sittings")
    date: DateText | None = Field(default=None, description="a certificate's date")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the entry")


class TranscriptFingerprint(Model):
    """The student's transcript at submission: a hash of all of it, and the entries
    the application rests on, each with its own hash (issue 12, item 2)."""

    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the transcript")
    entries: list[SubmittedEntry] = Field(default_factory=list, max_length=64)
    changed: bool = Field(
        default=False,
        description="the student's transcript is no longer the one fingerprinted here: "
        "set or cleared by every import that writes the transcript "
        "(policy.fingerprint.marked), so the reviewer's queue marks the application "
        "without reading transcripts; a new submit takes a new fingerprint",
    )

    @model_serializer(mode="wrap")
    def _without_unchanged(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Stored only when set: a fingerprint of an unchanged transcript is stored
        # exactly as before the flag existed, so re-importing the same files still
        # finds every application unchanged, and older rows files still match.
        data = handler(self)
        if not self.changed and isinstance(data, dict):
            data.pop("changed", None)
        return data


class ApplicationSummary(Model):
    """Display facts of an application, copied from the student and the transcript when
    it is saved (denormalised for the reviewer's queue)."""

    student_name: Line = Field(default="", max_length=30)
    major: Line = Field(default="", max_length=40)
    class_name: Line = Field(default="", max_length=30)
    course_name: Line = Field(default="", max_length=60)
    course_credits: float = Field(strict=True, default=0, ge=0, le=40)


class ReviewAction(StrEnum):
    """What happened to an application; each is one event of 流程跟踪 (S5)."""

    SAVE = "save"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    RETURN = "return"
    DELETE = "delete"


class ReviewEvent(Model):
    """One line of 流程跟踪: who did what to which application, when and why."""

    id: Line = Field(min_length=1, max_length=40)
    application_id: Line = Field(min_length=1, max_length=40)
    action: ReviewAction
    actor: Line = Field(min_length=1, max_length=40, description="account name")
    actor_role: Line = Field(min_length=1, max_length=20)
    at: Instant
    step: int = Field(strict=True, default=0, ge=0)
    step_name: Line = Field(default="", max_length=40)
    reason: Paragraph = Field(default="", max_length=REASON_MAX)
    comment: Paragraph = Field(
        default="",
        max_length=REASON_MAX,
        description="审核意见: what the reviewer wrote on approval (optional, shown to the "
        "student); a return's reason stays in ``reason`` (R11)",
    )
    status_after: Status


class Role(StrEnum):
    """Who an account is."""

    STUDENT = "student"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Account(Model):
    """A login: a student (username = 学号) or a reviewer/admin.  Passwords are kept
    only as salted scrypt hashes."""

    username: Line = Field(min_length=1, max_length=40)
    role: Role
    display_name: Line = Field(default="", max_length=40)
    password_hash: str = Field(min_length=1)
    colleges: list[Line] = Field(default_factory=list, description="a reviewer's colleges")
    review_steps: list[Line] = Field(
        default_factory=list,
        description="review steps this reviewer may decide; empty means every step",
    )
    disabled: bool = Field(default=False, strict=True)
    failed_logins: int = Field(default=0, ge=0, strict=True)
    locked_until: Instant | None = None
    last_seen: Instant | None = None
