"""What a reviewer reads before deciding one application (R11): the reviewer's file.

Pure functions over a dossier that :meth:`Services.review_file` loaded after checking
who asks; no Textual, no store.  The screens render a :class:`ReviewFile` and never
compute policy themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from policy import offers, workflow
from policy.dossier import Dossier
from policy.eligibility import needed_credits
from policy.fingerprint import TranscriptDrift, drift
from policy.grades import available_for_graduation, chronological, counting_attempt, parse_result
from policy.models import (
    Attempt,
    Category,
    CourseRecord,
    ExchangeApplication,
    ReviewAction,
    ReviewEvent,
    Role,
    SourceRef,
    Status,
    Student,
)
from policy.offers import Offer, OfferCheck
from policy.reasons import Reason
from policy.rules import ReviewStep, Rules
from policy.sources import describe_source, offered_credits


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
    next_step: ReviewStep | None = None
    """The step an approval passes it on to; None when approving ends the process."""
    actions: frozenset[ReviewAction] = frozenset()
    """What this reviewer may do now (approve, return): empty when they may not decide
    (:func:`policy.workflow.decision_refusal`); the services decide again under the lock."""
    factor: float = 0.0
    """R8: the exchange ratio of the target's category."""
    needed: float = 0.0
    """R8: the credits the sources must reach (0 when the target is not on the transcript)."""
    offered: float = 0.0
    """The credits of the sources that pay: the verdict's while under review, else what
    the sources found on the transcript add up to."""
    transcript_drift: TranscriptDrift | None = None
    """How the transcript moved since the last submit (None: no fingerprint was kept)."""
    refusal: Reason | None = None
    """Why this reviewer may not decide it now (another step's, or not under review);
    None when they may."""

    @property
    def may_decide(self) -> bool:
        """Whether approve and return are offered to this reviewer now."""
        return self.refusal is None


def source_line(dossier: Dossier, ref: SourceRef, rules: Rules) -> SourceLine:
    """Describe one offered source from the student's transcript or certificates."""
    source = describe_source(dossier.transcript, ref)
    if source.certificate is not None:
        cert = source.certificate
        return SourceLine(ref, source.name, source.credits, None, cert.date or "", None, True)
    record = source.record
    if record is None:
        return SourceLine(ref, source.name, 0.0, None, "", None, found=False)
    attempt = counting_attempt(record, rules.grades)
    result = attempt.result if attempt else ""
    passed = parse_result(result, rules.grades).passed if attempt else False
    return SourceLine(ref, source.name, source.credits, record.category, result, passed, True)


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
        category = describe_source(dossier.transcript, ref).category
        if category is not None and category not in touched:
            touched.append(category)
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
    refusal: Reason | None,
    role: Role = Role.REVIEWER,
) -> ReviewFile:
    """The reviewer's file of ``app``; ``refusal`` says why the asker (of ``role``) may
    not decide it now (None: they may)."""
    target = dossier.transcript.record(app.target)
    check: OfferCheck | None = None
    if app.status == Status.UNDER_REVIEW:
        check = offers.evaluate_offer(
            dossier, Offer(target=app.target, sources=app.sources, application_id=app.id), rules
        )
    sources = [source_line(dossier, ref, rules) for ref in app.sources]
    return ReviewFile(
        application=app,
        student=dossier.student,
        target=target,
        attempts=chronological(target) if target else [],
        sources=sources,
        credits=credit_lines(dossier, app, rules),
        check=check,
        changed_since_submission=check is not None and not check.acceptable,
        events=events,
        steps=list(rules.review_steps),
        step=workflow.current_step(app, rules),
        next_step=workflow.next_step(app, rules),
        actions=(
            frozenset(workflow.available_actions(app, role)) if refusal is None else frozenset()
        ),
        factor=rules.ratio.factor(target.category) if target is not None else 0.0,
        needed=needed_credits(target, rules) if target is not None else 0.0,
        offered=(
            check.offered if check is not None else offered_credits(dossier.transcript, app.sources)
        ),
        transcript_drift=drift(app.submitted_transcript, dossier.transcript),
        refusal=refusal,
    )
