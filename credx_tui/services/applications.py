"""A student's file and applications: what they may exchange (the policy's verdicts,
sources and suggestions), their applications and trails, and the writes of S3-S4
(save, submit, withdraw, delete).

Apart because these are the student's own use cases: each reads the student's dossier
and, for a write, decides under the college's hot lock with :mod:`policy`, so credits
are never spent twice and one course is applied for at a time (R3, R8).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from credx_tui.services import attachment_check
from credx_tui.services.context import Actor, ServiceContext, gated_text, refuse, validated
from credx_tui.services.errors import NotFound, Refused
from credx_tui.services.rows import summarise
from credx_tui.services.views import ApplicationView, application_view
from credx_tui.store import HotTransaction
from policy import eligibility, offers, workflow
from policy.bilingual import Bilingual
from policy.dossier import Dossier
from policy.eligibility import SourceOption, Verdict
from policy.fingerprint import fingerprint
from policy.models import (
    Attachment,
    ExchangeApplication,
    ReviewAction,
    ReviewEvent,
    SourceRef,
    Student,
    Term,
)
from policy.offers import Offer, OfferCheck, Suggestion
from policy.reasons import Reason
from policy.text import NOTE_MAX


class Applications(ServiceContext):
    """The student's reads and writes of their applications."""

    def verdicts(self, actor: Actor, student_id: str | None = None) -> list[Verdict]:
        """Every course of the student with its verdict and rule (R1, R2, R4, R5, R9)."""
        return eligibility.verdicts(self.dossier(actor, student_id), self.rules)

    def sources(
        self, actor: Actor, target: str, application_id: str | None = None
    ) -> list[SourceOption]:
        """Sources the target's category allows, each marked spent or free."""
        dossier = self.dossier(actor)
        record = dossier.transcript.record(target)
        if record is None:
            raise NotFound(f"成绩单上没有课程 {target}", f"no course {target} on the transcript")
        return eligibility.available_sources(dossier, self.rules, record.category, application_id)

    def start_refusal(self, actor: Actor) -> Reason | None:
        """R3 before the student fills in a form: why a new application may not be
        started now (another one is not yet submitted), or None.  ``save`` refuses the
        same under the lock; this only says it early (issue 15, item 3)."""
        return offers.check_one_at_a_time(self.dossier(actor))

    def evaluate(self, actor: Actor, offer: Offer) -> OfferCheck:
        """Whether an offer would be accepted now, with every reason (R2, R4, R7, R8)."""
        return offers.evaluate_offer(self.dossier(actor), offer, self.rules)

    def suggest(
        self, actor: Actor, target: str, application_id: str | None = None
    ) -> Suggestion | None:
        """The acceptable offer wasting the fewest credits, keeping graduation safe (R7)."""
        return offers.suggest_offer(self.dossier(actor), target, self.rules, application_id)

    def applications(
        self, actor: Actor, student_id: str | None = None
    ) -> list[ExchangeApplication]:
        """A student's applications (申请结果), newest first."""
        student = self.student(actor, student_id)
        apps = self.store.applications(student.college, student.id)
        return sorted(apps, key=lambda a: (a.created_at, a.id), reverse=True)

    def application(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """One application the actor may see."""
        app = self._find_visible(actor, app_id)
        return app

    def trail(self, actor: Actor, app_id: str) -> list[ReviewEvent]:
        """流程跟踪 of one application, oldest first (S5)."""
        app = self._find_visible(actor, app_id)
        return self.store.events(app.college, app.id, app.student_id)

    def notices(self, actor: Actor, since: datetime | None) -> list[ReviewEvent]:
        """Decisions on the student's applications since their last visit."""
        if actor.student_id is None:
            return []
        student = self.student(actor)
        mine = {a.id for a in self.store.applications(student.college, student.id)}
        decided = (ReviewAction.APPROVE, ReviewAction.RETURN)
        return [
            e
            for e in self.store.events(student.college, student_id=student.id)
            if e.application_id in mine and e.action in decided and (since is None or e.at > since)
        ]

    # -- a student's writes -----------------------------------------------------------

    def save(
        self,
        actor: Actor,
        target: str,
        sources: list[SourceRef],
        application_id: str | None = None,
        note: str = "",
        attachments: list[Attachment] | None = None,
        known_attachments: Iterable[str] | None = None,
    ) -> ExchangeApplication:
        """Save an application as 无流程 (new) or keep editing a 无流程/被退回 one.

        A new one is refused while another draft waits (R3: one course at a time).
        The 备注 passes the text gate (:data:`~policy.text.NOTE_MAX`); every attachment
        named must be one this student stored with :meth:`attach` (or already on the
        application), with the size and type it was stored with.

        ``known_attachments`` (SHA-256) are the stored attachments the caller had read:
        a stored attachment outside them arrived since (an upload link, issue 10) and is
        kept after ``attachments``, decided here under the lock, so a screen that read
        the draft before the upload never drops it.  One the caller knew of and left
        out was removed on purpose.  Without it, ``attachments`` is the whole list."""
        student = self.student(actor)
        note = gated_text(note, Bilingual("备注", "note"), multiline=True, max_length=NOTE_MAX)
        now = self.clock()
        with contextlib.ExitStack() as stack:
            # A new application is numbered under the numbering lock, taken before the
            # hot lock and held until the hot file is written (unique under
            # concurrent saves).
            next_id = (
                stack.enter_context(self.store.numbering()) if application_id is None else None
            )
            tx = stack.enter_context(self.store.hot(student.college, student.id))
            dossier = self._tx_dossier(tx, student)
            if next_id is not None:
                r3 = offers.check_one_at_a_time(dossier)
                if r3 is not None:
                    raise Refused([r3])
                self._refuse_if_not_exchangeable(dossier, target)
                app = ExchangeApplication(
                    id=next_id(application_prefix(now)),
                    student_id=student.id,
                    college=student.college,
                    target=target,
                    sources=list(sources),
                    term=current_term(now),
                    note=note,
                    attachments=list(attachments or []),
                    created_at=now,
                    updated_at=now,
                )
            else:
                assert application_id is not None  # no number taken: an existing one
                app = self._own_app(tx, actor, application_id)
                refuse(workflow.allowed(ReviewAction.SAVE, app, actor.role))
                if app.target != target:
                    self._refuse_if_not_exchangeable(dossier, target, application_id)
                app = app.model_copy(
                    update={
                        "target": target,
                        "sources": list(sources),
                        "note": note,
                        "attachments": _merged_attachments(
                            app.attachments, attachments, known_attachments
                        ),
                        "updated_at": now,
                        "revision": app.revision + 1,
                    }
                )
            attachment_check.check_list(app.attachments, self.rules.attachments)
            attachment_check.check_proof(
                self.store, tx, student.id, application_id, app.attachments
            )
            app = app.model_copy(update={"summary": summarise(dossier, target)})
            app = validated(app)
            tx.put_application(app)
            tx.add_event(self._event(actor, app, ReviewAction.SAVE, now))
        return app

    def submit(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """Submit a 无流程 or 被退回 application for review, re-checking the offer under
        the lock so that credits are never spent twice."""
        student = self.student(actor)
        now = self.clock()
        with self.store.hot(student.college, student.id) as tx:
            app = self._own_app(tx, actor, app_id)
            refuse(workflow.allowed(ReviewAction.SUBMIT, app, actor.role))
            dossier = self._tx_dossier(tx, student)
            check = offers.evaluate_offer(
                dossier,
                Offer(target=app.target, sources=app.sources, application_id=app.id),
                self.rules,
            )
            if not check.acceptable:
                raise Refused(check.reasons)
            refuse(workflow.missing_evidence(app, self.rules))
            handed_in = not workflow.handed_in(app) or app.submitted_at is None
            app = workflow.apply(ReviewAction.SUBMIT, app, self.rules, now)
            # The transcript as submitted: the reviewer is told when a term update
            # changes it afterwards (issue 12, item 2).
            update: dict[str, object] = {
                "rules_version": self.rules_version,
                "submitted_transcript": fingerprint(dossier.transcript, app),
            }
            if handed_in:
                # A draft (new or withdrawn) is handed in now: 提交日期 and 申请学年 are
                # today's, not the day the draft was saved.  Resubmitting a returned one
                # keeps both (issue 15).
                update |= {"submitted_at": now, "term": current_term(now)}
            app = app.model_copy(update=update)
            tx.put_application(app)
            tx.add_event(self._event(actor, app, ReviewAction.SUBMIT, now))
        return app

    def withdraw(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """Take back an application still 审核中 at its first step."""
        return self._student_transition(actor, app_id, ReviewAction.WITHDRAW)

    def _refuse_second_draft(self, tx: HotTransaction, student: Student, app_id: str) -> None:
        """R3: a withdrawn application becomes a 无流程 draft, so it may not be
        withdrawn while another draft of the student waits (two drafts at once)."""
        refuse(offers.check_one_at_a_time(self._tx_dossier(tx, student), app_id))

    def delete(self, actor: Actor, app_id: str) -> None:
        """Delete a 无流程 or 被退回 application (R10); its trail is kept."""
        student = self.student(actor)
        now = self.clock()
        with self.store.hot(student.college, student.id) as tx:
            app = self._own_app(tx, actor, app_id)
            refuse(workflow.allowed(ReviewAction.DELETE, app, actor.role))
            tx.delete_application(app.id)
            tx.add_event(self._event(actor, app, ReviewAction.DELETE, now))

    def _student_transition(
        self, actor: Actor, app_id: str, action: ReviewAction
    ) -> ExchangeApplication:
        student = self.student(actor)
        now = self.clock()
        with self.store.hot(student.college, student.id) as tx:
            app = self._own_app(tx, actor, app_id)
            refuse(workflow.allowed(action, app, actor.role))
            if action == ReviewAction.WITHDRAW:
                self._refuse_second_draft(tx, student, app_id)
            app = workflow.apply(action, app, self.rules, now)
            tx.put_application(app)
            tx.add_event(self._event(actor, app, action, now))
        return app

    # -- one application with what may happen to it (流程跟踪) ------------------------

    def application_view(self, actor: Actor, app_id: str) -> ApplicationView:
        """One application the actor may see, with what they may do to it now and
        where it stands (:class:`ApplicationView`): what 流程跟踪 shows and offers."""
        app = self._find_visible(actor, app_id)
        dossier = self.dossier(actor, app.student_id)
        return application_view(app, dossier, self.rules, actor.role)

    # -- helpers ----------------------------------------------------------------------

    def _tx_dossier(self, tx: HotTransaction, student: Student) -> Dossier:
        return self._dossier(student, tx.applications(student.id))

    def _refuse_if_not_exchangeable(
        self, dossier: Dossier, target: str, application_id: str | None = None
    ) -> None:
        if dossier.transcript.record(target) is None:
            raise NotFound(f"成绩单上没有课程 {target}", f"no course {target} on the transcript")
        verdict = eligibility.verdict_for(dossier, target, self.rules, application_id)
        if not verdict.exchangeable:
            raise Refused([verdict.reason, *verdict.others])


def current_term(now: datetime) -> Term:
    """申请学年 and 申请学期 of a date: autumn term from August, spring from February."""
    local = now.astimezone()
    if local.month >= 8:
        return Term(year=f"{local.year}-{local.year + 1}", semester=1)
    if local.month >= 2:
        return Term(year=f"{local.year - 1}-{local.year}", semester=2)
    return Term(year=f"{local.year - 1}-{local.year}", semester=1)


def _merged_attachments(
    stored: list[Attachment],
    given: list[Attachment] | None,
    known: Iterable[str] | None,
) -> list[Attachment]:
    """The attachments a save keeps: ``given`` (the caller's list; None keeps what is
    stored), then the stored ones that arrived after the caller read (not in ``known``)."""
    if given is None:
        return list(stored)
    if known is None:
        return list(given)
    known = set(known)
    named = {a.sha256 for a in given}
    arrived = [a for a in stored if a.sha256 not in known and a.sha256 not in named]
    return [*given, *arrived]


def application_prefix(now: datetime) -> str:
    """The number series of applications created at ``now``: ``XF<year>-``, one per
    year, as the portal numbers them (``XF2026-0001``)."""
    return f"XF{now.astimezone().year}-"
