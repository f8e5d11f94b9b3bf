"""Which failed courses may be exchanged, and why the others may not.

R9 hides ineligible courses from the picker, as the portal does; we also tell the
student why each one is hidden, citing the rule (procedure.md, "Hidden, not silent").
So every course of the transcript gets a :class:`Verdict`: the deciding reason first
(the one that can never change: R5, then the matrix, then R1 …) and every other rule
that also says no in ``others``.
"""

from __future__ import annotations

from pydantic import BaseModel

from policy.bilingual import Bilingual
from policy.dossier import Dossier
from policy.grades import has_makeup_or_retake, record_passed
from policy.models import Category, CourseRecord, SourceRef, Status, Term
from policy.reasons import Reason
from policy.rules import Rules
from policy.sources import CERTIFICATE_KINDS, COURSE_SOURCE_KINDS, SOURCE_CATEGORIES

EPS = 1e-9
"""Credits are multiples of 0.5 but ratios are floats: compare with a little slack."""


def fmt(value: float) -> str:
    """Credits as the portal prints them: ``3``, ``1.5``, ``4.5``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


class SourceOption(BaseModel):
    """One credit source the student holds, as the picker lists it."""

    ref: SourceRef
    name: str
    credits: float
    category: Category | None = None
    """The transcript category of a course source; None for certificates."""
    spent: bool
    spent_by: str | None = None
    """Id of the live application that holds it (credits are spent once)."""
    spent_reason: Reason | None = None
    """Why it cannot be ticked, naming that application (said when the student tries)."""


def spent_once(name: str, holder_id: str, status: Status | None) -> Reason:
    """The refusal for a source a live application already holds: credits are spent
    once (procedure.md), told under R8 with the application that holds them."""
    shown = (status or Status.UNDER_REVIEW).value
    return Reason(
        rule="R8",
        zh=f"《{name}》的学分已被申请 {holder_id}（{shown}）使用；每份学分只能用一次",
        en=(
            f"the credits of {name} are already used by application {holder_id} "
            f"({shown}); credits are spent once"
        ),
    )


def _spent_reason(dossier: Dossier, name: str, holder_id: str | None) -> Reason | None:
    if holder_id is None:
        return None
    holder = dossier.application(holder_id)
    return spent_once(name, holder_id, holder.status if holder else None)


class Verdict(BaseModel):
    """Whether one transcript course may be exchanged, with the deciding reason."""

    code: str
    course: str
    name_en: str
    category: Category
    credits: float
    term: Term
    exchangeable: bool
    rule: str | None
    """The deciding rule id when not exchangeable; None when exchangeable."""
    reason: Reason
    others: list[Reason]
    available_credits: float
    """Unspent credits of the kinds allowed for this course's category."""
    needed_credits: float
    """ratio factor × the course's credits (R8)."""

    @property
    def reasons(self) -> list[Reason]:
        """Every reason: the deciding one, then the others."""
        return [self.reason, *self.others]


def only_certificates(rules: Rules, category: Category) -> bool:
    """Whether R4 governs the category: its allowed sources are only 竞赛集训学分/获奖证书."""
    allowed = set(rules.allowed_sources(category))
    return bool(allowed) and allowed <= CERTIFICATE_KINDS


def is_course_source(record: CourseRecord, rules: Rules, approved: set[str]) -> bool:
    """A passed elective course pays only with credits actually sat for: a course that
    is itself 'passed' by an approved exchange never pays for another one."""
    return (
        record.category in COURSE_SOURCE_KINDS
        and record.code not in approved
        and record_passed(record, rules.grades)
    )


def available_sources(
    dossier: Dossier,
    rules: Rules,
    for_category: Category,
    exclude_application_id: str | None = None,
) -> list[SourceOption]:
    """The sources of the kinds the matrix allows for ``for_category`` (R2, R4, R7):
    passed 通识选修课/专业拓展课 courses in transcript order, then certificates.

    Sources held by a live application other than ``exclude_application_id`` (the one
    being edited) are listed with ``spent=True`` so the picker can show them marked.
    """
    allowed = set(rules.allowed_sources(for_category))
    spent = dossier.spent_sources(exclude_application_id)
    approved = dossier.approved_targets()
    options: list[SourceOption] = []
    for record in dossier.transcript.records:
        if not is_course_source(record, rules, approved):
            continue
        kind = COURSE_SOURCE_KINDS[record.category]
        if kind not in allowed:
            continue
        ref = SourceRef(kind=kind, ref=record.code)
        options.append(
            SourceOption(
                ref=ref,
                name=record.name,
                credits=record.credits,
                category=record.category,
                spent=ref in spent,
                spent_by=spent.get(ref),
                spent_reason=_spent_reason(dossier, record.name, spent.get(ref)),
            )
        )
    for cert in dossier.transcript.certificates:
        if cert.kind not in allowed:
            continue
        ref = SourceRef(kind=cert.kind, ref=cert.id)
        options.append(
            SourceOption(
                ref=ref,
                name=cert.title,
                credits=cert.credits,
                spent=ref in spent,
                spent_by=spent.get(ref),
                spent_reason=_spent_reason(dossier, cert.title, spent.get(ref)),
            )
        )
    return options


def is_self(ref: SourceRef, record: CourseRecord) -> bool:
    """Whether a source is the target course itself: a course never pays for itself."""
    return ref.kind in SOURCE_CATEGORIES and ref.ref == record.code


def needed_credits(record: CourseRecord, rules: Rules) -> float:
    """R8: what the offered credits must reach for this course."""
    return rules.ratio.factor(record.category) * record.credits


def ratio_met(offered: float, needed: float) -> bool:
    """R8: whether ``offered`` credits reach ``needed`` (:func:`needed_credits`), with
    the slack of :data:`EPS`; every screen and document asks this, never its own sum."""
    return offered + EPS >= needed


def course_reasons(
    dossier: Dossier,
    record: CourseRecord,
    rules: Rules,
    exclude_application_id: str | None = None,
) -> list[Reason]:
    """Every 'no' about the course itself (R5, matrix, R1, R11), most permanent first.

    These do not depend on which sources the student offers; :mod:`policy.offers`
    checks the sources itself and adds these to its own reasons.
    """
    reasons: list[Reason] = []
    name = record.name
    clause = rules.exclusion(record.name, record.category)
    if clause is not None:
        cid = f"rules.excluded.{clause.id}"
        reasons.append(
            Reason(
                rule="R5",
                zh=f"《{name}》不参与学分兑换：{clause.zh}（{cid}）",
                en=f"{name} never takes part in credit exchange: {clause.en} ({cid})",
            )
        )
    if record.category not in rules.matrix:
        reasons.append(
            Reason(
                rule="R2",
                zh=f"《{name}》属于{record.category.value}，兑换规则中该类课程没有可用的兑换来源",
                en=(
                    f"{name} is a {record.category.en} course; the rules give this "
                    "category no exchange source"
                ),
            )
        )
    if record.code in dossier.approved_targets():
        reasons.append(
            Reason(
                rule="R11",
                zh=f"《{name}》已兑换（审核通过）",
                en=f"{name} is already exchanged (approved)",
            )
        )
    elif record_passed(record, rules.grades):
        reasons.append(
            Reason(
                rule="R1",
                zh=f"《{name}》已通过，无需兑换",
                en=f"{name} is passed, nothing to exchange",
            )
        )
    elif not record.attempts:
        reasons.append(
            Reason(
                rule="R1",
                zh=f"《{name}》尚无成绩；只有补考或重修后仍不及格的课程才能兑换",
                en=(
                    f"{name} has no result yet; only a course still failed after its "
                    "make-up exam or retake can be exchanged"
                ),
            )
        )
    elif not has_makeup_or_retake(record):
        reasons.append(
            Reason(
                rule="R1",
                zh=f"《{name}》不及格，但尚未参加补考或重修；请先参加补考或重修",
                en=f"{name} is failed, but has no make-up exam or retake yet; sit one first",
            )
        )
    for app in dossier.applications:
        if app.target != record.code or app.id == exclude_application_id:
            continue
        if app.status == Status.UNDER_REVIEW:
            reasons.append(
                Reason(
                    rule="R11",
                    zh=f"《{name}》已有申请正在审核中（{app.id}）",
                    en=f"{name} is already under review (application {app.id})",
                )
            )
            break
    return reasons


def source_reasons(
    dossier: Dossier,
    record: CourseRecord,
    rules: Rules,
    exclude_application_id: str | None = None,
) -> tuple[list[Reason], float]:
    """Whether the student holds enough unspent allowed credits to pay for the course
    at all (R4 / R2, then R8), and how many unspent credits there are."""
    if record.category not in rules.matrix:
        return [], 0.0
    options = available_sources(dossier, rules, record.category, exclude_application_id)
    unspent = [o for o in options if not o.spent and not is_self(o.ref, record)]
    available = sum(o.credits for o in unspent)
    needed = needed_credits(record, rules)
    name = record.name
    kinds = "、".join(k.value for k in rules.allowed_sources(record.category))
    kinds_en = ", ".join(k.en for k in rules.allowed_sources(record.category))
    spent_note = Bilingual(
        "（已有的均已被审核中或已通过的申请占用）",
        " (those you have are held by applications under review or approved)",
    )
    spent_note_zh, spent_note_en = (spent_note.zh, spent_note.en) if options else ("", "")
    if not unspent:
        if only_certificates(rules, record.category):
            return [
                Reason(
                    rule="R4",
                    zh=(
                        f"《{name}》属于{record.category.value}，只能用竞赛集训学分或获奖证书兑换，"
                        f"你没有可用的竞赛集训学分或获奖证书{spent_note_zh}"
                    ),
                    en=(
                        f"{name} is a {record.category.en} course: only competition-training "
                        f"credits or award certificates can pay for it, and you have none "
                        f"available{spent_note_en}"
                    ),
                )
            ], 0.0
        # R2 names what pays for each kind of course (通识选修课 for public courses,
        # 专业拓展课 for the other professional courses); R7 only warns how to spend them.
        return [
            Reason(
                rule="R2",
                zh=f"《{name}》只能用{kinds}兑换，你没有可用的学分{spent_note_zh}",
                en=(
                    f"{name} can only be paid with {kinds_en}, and you have none "
                    f"available{spent_note_en}"
                ),
            )
        ], 0.0
    if not ratio_met(available, needed):
        return [
            Reason(
                rule="R8",
                zh=(
                    f"《{name}》需要{fmt(needed)}学分的{kinds}，你可用的只有{fmt(available)}学分，"
                    "不满足兑换比例"
                ),
                en=(
                    f"{name} needs {fmt(needed)} credits of {kinds_en}; you have only "
                    f"{fmt(available)} available, short of the exchange ratio"
                ),
            )
        ], available
    return [], available


def _verdict(
    dossier: Dossier, record: CourseRecord, rules: Rules, exclude_application_id: str | None
) -> Verdict:
    reasons = course_reasons(dossier, record, rules, exclude_application_id)
    more, available = source_reasons(dossier, record, rules, exclude_application_id)
    # A passed or already exchanged course has nothing to pay for: what the sources
    # could or could not do would only be noise beside its real reasons.
    settled = record.code in dossier.approved_targets() or record_passed(record, rules.grades)
    if not settled:
        reasons.extend(more)
    exchangeable = not reasons
    if exchangeable:
        deciding = Reason(
            rule="R1",
            zh=f"《{record.name}》补考/重修后仍不及格，可申请兑换",
            en=f"{record.name} is still failed after a make-up exam or retake and may be exchanged",
        )
    else:
        deciding = reasons[0]
    return Verdict(
        code=record.code,
        course=record.name,
        name_en=record.name_en,
        category=record.category,
        credits=record.credits,
        term=record.term,
        exchangeable=exchangeable,
        rule=None if exchangeable else deciding.rule,
        reason=deciding,
        others=reasons[1:],
        available_credits=available,
        needed_credits=needed_credits(record, rules),
    )


def verdicts(
    dossier: Dossier, rules: Rules, exclude_application_id: str | None = None
) -> list[Verdict]:
    """One verdict per course record, in transcript order (R9: the picker shows the
    exchangeable ones and explains the rest)."""
    return [_verdict(dossier, r, rules, exclude_application_id) for r in dossier.transcript.records]


def exchangeable_verdicts(
    dossier: Dossier, rules: Rules, exclude_application_id: str | None = None
) -> list[Verdict]:
    """The exchangeable ones of :func:`verdicts`, in transcript order, without working
    out the sources of a course its own reasons already rule out (a passed course, a
    course the matrix does not cover ...): ``credx import --dry-run`` asks this twice
    for every student of a term update, and the sources of every course were most of
    its time."""
    return [
        verdict
        for record in dossier.transcript.records
        if not course_reasons(dossier, record, rules, exclude_application_id)
        and (verdict := _verdict(dossier, record, rules, exclude_application_id)).exchangeable
    ]


def verdict_for(
    dossier: Dossier, code: str, rules: Rules, exclude_application_id: str | None = None
) -> Verdict:
    """The verdict for course ``code``; KeyError if it is not on the transcript."""
    record = dossier.transcript.record(code)
    if record is None:
        raise KeyError(f"course {code!r} is not on the transcript of {dossier.student.id}")
    return _verdict(dossier, record, rules, exclude_application_id)


def exchangeable_courses(dossier: Dossier, rules: Rules) -> list[Verdict]:
    """The courses the application page offers (R9)."""
    return [v for v in verdicts(dossier, rules) if v.exchangeable]
