"""What a reviewer reads before deciding one application (R11): the reviewer's file.

Pure functions over a dossier that :meth:`Services.review_file` loaded after checking
who asks; no Textual, no store.  The screens render a :class:`ReviewFile` and never
compute policy themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from policy import offers, workflow
from policy.dossier import Dossier
from policy.fingerprint import TranscriptDrift, drift
from policy.grades import available_for_graduation, chronological, counting_attempt, parse_result
from policy.models import (
    Attempt,
    Category,
    CourseRecord,
    ExchangeApplication,
    ReviewEvent,
    SourceKind,
    SourceRef,
    Status,
    Student,
)
from policy.offers import Offer, OfferCheck
from policy.rules import ReviewStep, Rules


@dataclass(frozen=True)
class SourceLine:
    """One offered source as the reviewer sees it: what it is and what it earned."""

    ref: SourceRef
    name: str
    credits: float
    category: Category | None
    """The transcript category of a course source; None for certificates."""
    result: str
    """The counting result of a course source; the certificate's date otherwise."""
    passed: bool | None
    """Whether a course source passed; None for certificates (nothing to pass)."""
    found: bool
    """False when the student holds no such course or certificate (any more)."""


@dataclass(frozen=True)
class CreditLine:
    """Credits of one category that count towards graduation, before and after the
    application is approved (R7)."""

    category: Category
    required: float
    before: float
    after: float


@dataclass(frozen=True)
class ReviewFile:
    """Everything the decision screen shows about one application."""

    application: ExchangeApplication
    student: Student
    target: CourseRecord | None
    attempts: list[Attempt]
    """The target's sittings in the order they were sat (正常考试, 补考, 重修)."""
    sources: list[SourceLine]
    credits: list[CreditLine]
    check: OfferCheck | None
    """The policy's verdict on the offer now; None once the application is decided."""
    changed_since_submission: bool
    """Submission refuses an unacceptable offer, so an offer under review that is not
    acceptable now was changed by something after it was submitted (a new grade, a
    spent credit, an edited rules file)."""
    events: list[ReviewEvent]
    steps: list[ReviewStep]
    step: ReviewStep | None
    """The step waiting for a decision (None when not under review)."""
    transcript_drift: TranscriptDrift | None = None
    """How the transcript moved since the last submit (None: no fingerprint was kept)."""
    refusal_zh: str = ""
    refusal_en: str = ""
    """Why this reviewer may not decide it now (another step's, or not under review);
    empty when they may."""

    @property
    def may_decide(self) -> bool:
        """Whether approve and return are offered to this reviewer now."""
        return not self.refusal_zh


def source_line(dossier: Dossier, ref: SourceRef, rules: Rules) -> SourceLine:
    """Describe one offered source from the student's transcript or certificates."""
    if ref.kind in (SourceKind.COMPETITION, SourceKind.AWARD):
        cert = next((c for c in dossier.transcript.certificates if c.id == ref.ref), None)
        if cert is None:
            return SourceLine(ref, ref.ref, 0.0, None, "", None, found=False)
        return SourceLine(ref, cert.title, cert.credits, None, cert.date or "", None, found=True)
    record = dossier.transcript.record(ref.ref)
    if record is None:
        return SourceLine(ref, ref.ref, 0.0, None, "", None, found=False)
    attempt = counting_attempt(record, rules.grades)
    result = attempt.result if attempt else ""
    passed = parse_result(result, rules.grades).passed if attempt else False
    return SourceLine(ref, record.name, record.credits, record.category, result, passed, True)


def credit_lines(dossier: Dossier, app: ExchangeApplication, rules: Rules) -> list[CreditLine]:
    """Graduation credits of the categories the application touches (the target's and
    the sources'), without it and with it approved."""
    others = [a for a in dossier.applications if a.id != app.id]
    without = dossier.model_copy(update={"applications": others})
    approved = app.model_copy(update={"status": Status.APPROVED})
    with_it = dossier.model_copy(update={"applications": [*others, approved]})
    before = available_for_graduation(without, rules)
    after = available_for_graduation(with_it, rules)
    touched: list[Category] = []
    target = dossier.transcript.record(app.target)
    if target is not None:
        touched.append(target.category)
    for ref in app.sources:
        record = dossier.transcript.record(ref.ref)
        if record is not None and record.category not in touched:
            touched.append(record.category)
    graduation = dossier.programme.graduation if dossier.programme else {}
    return [
        CreditLine(
            category=cat,
            required=graduation.get(cat, 0.0),
            before=before.get(cat, 0.0),
            after=after.get(cat, 0.0),
        )
        for cat in touched
    ]


def build_review_file(
    dossier: Dossier,
    app: ExchangeApplication,
    events: list[ReviewEvent],
    rules: Rules,
    refusal: tuple[str, str] | None,
) -> ReviewFile:
    """The reviewer's file of ``app``; ``refusal`` (zh, en) says why the asker may not
    decide it now."""
    target = dossier.transcript.record(app.target)
    check: OfferCheck | None = None
    if app.status == Status.UNDER_REVIEW:
        check = offers.evaluate_offer(
            dossier, Offer(target=app.target, sources=app.sources, application_id=app.id), rules
        )
    zh, en = refusal or ("", "")
    return ReviewFile(
        application=app,
        student=dossier.student,
        target=target,
        attempts=chronological(target) if target else [],
        sources=[source_line(dossier, ref, rules) for ref in app.sources],
        credits=credit_lines(dossier, app, rules),
        check=check,
        changed_since_submission=check is not None and not check.acceptable,
        events=events,
        steps=list(rules.review_steps),
        step=workflow.current_step(app, rules),
        transcript_drift=drift(app.submitted_transcript, dossier.transcript),
        refusal_zh=zh,
        refusal_en=en,
    )
