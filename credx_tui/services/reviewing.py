"""Reviewing (S5, R11): a reviewer's queue, the review file read before deciding,
and the decisions (approve at the current step, return with a reason).

Apart because these are the staff's use cases over many students: the queue reads the
stored rows of whole colleges, and a decision takes the student's hot lock, checks the
revision the reviewer saw and asks :mod:`policy.workflow` whether this person may decide
this step.  What the reviewer reads is built by the pure :mod:`.review`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credx_tui.services.context import Actor, ServiceContext, gated_text, refuse, validated
from credx_tui.services.errors import AccessDenied, BadText, Conflict
from credx_tui.services.review import ReviewFile, build_review_file
from credx_tui.services.rows import ApplicationRow, summarise, summary_of
from policy import offers, workflow
from policy.bilingual import Bilingual
from policy.dossier import Dossier
from policy.models import (
    ApplicationSummary,
    ExchangeApplication,
    ReviewAction,
    Role,
    Status,
)
from policy.rules import ReviewStep
from policy.text import REASON_MAX


@dataclass(frozen=True)
class QueueItem:
    """One row of a reviewer's queue: the application and its display facts."""

    application: ApplicationRow
    """The row's fields; any other field of the application is read (and validated)
    when first asked for (:class:`~credx_tui.services.rows.ApplicationRow`)."""
    summary: ApplicationSummary
    step: ReviewStep | None = None
    """The review step waiting for a decision; None when not under review."""
    mine: bool = False
    """Whether the reviewer asking may decide it now: under review, at a step of
    theirs (:func:`policy.workflow.may_decide`; the queue holds no trails, so the
    one-person-per-step check is the decision screen's)."""

    @property
    def transcript_changed(self) -> bool:
        """Whether the student's transcript changed after the application was
        submitted (issue 12): what the decision screen then explains, marked in the
        queue from the stored row (no transcript read per row)."""
        return self.application.transcript_changed

    @property
    def course_name(self) -> str:
        """校内课程名称 of the target."""
        return self.summary.course_name

    @property
    def credits(self) -> float:
        """校内学分 of the target."""
        return self.summary.course_credits


class Reviewing(ServiceContext):
    """The reviewer's queue, review file and decisions."""

    def queue(self, actor: Actor, status: Status | None = Status.UNDER_REVIEW) -> list[QueueItem]:
        """Applications of the reviewer's colleges, oldest first (R11)."""
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise AccessDenied("只有审核人可以查看审核队列", "only reviewers have a review queue")
        colleges = actor.colleges if actor.role == Role.REVIEWER else tuple(self.store.colleges())
        items: list[QueueItem] = []
        # (status, step index) -> (step, mine): a college of 10,000 rows has a handful
        # of these, so each is asked of the workflow once (issue 13, queue first paint).
        answers: dict[tuple[Status, int], tuple[ReviewStep | None, bool]] = {}
        for college in colleges:
            # The stored queue rows, not every application validated (issue 13).
            for app, summary in self.store.queue_rows(college, self._row):
                # Drafts (无流程) are the student's own business: never in a queue,
                # whatever status is asked for (README, Reviewers).
                if not workflow.handed_in(app) or (status is not None and app.status != status):
                    continue
                at = (app.status, app.step)
                answer = answers.get(at)
                if answer is None:
                    # The row answers status and step without validating the
                    # application (issue 13), which is all these two read.
                    answer = answers[at] = (
                        workflow.current_step(app, self.rules),
                        workflow.may_decide(app, self.rules, actor.role, actor.review_steps),
                    )
                if summary is None:
                    summary = self._queue_item(app).summary
                items.append(
                    QueueItem(application=app, summary=summary, step=answer[0], mine=answer[1])
                )
        return sorted(items, key=lambda i: (i.application.updated_at, i.application.id))

    def _row(self, row: list[Any]) -> tuple[ApplicationRow, ApplicationSummary | None]:
        return ApplicationRow(self.store, row), summary_of(row)

    def _queue_item(
        self, app: ApplicationRow, summary: ApplicationSummary | None = None
    ) -> QueueItem:
        if summary is not None:
            return QueueItem(application=app, summary=summary)
        # Applications imported without a summary: read the student's shard once.
        student = self.store.student(app.student_id)
        transcript = self.store.transcript(app.student_id)
        if student is None or transcript is None:
            return QueueItem(application=app, summary=ApplicationSummary(course_name=app.target))
        dossier = Dossier(student=student, transcript=transcript)
        return QueueItem(application=app, summary=summarise(dossier, app.target))

    def approve(
        self, actor: Actor, app_id: str, *, expected_revision: int, comment: str = ""
    ) -> ExchangeApplication:
        """Approve at the application's current step; the last step ends it (R11).

        ``expected_revision`` is the revision the reviewer saw, and is required: without
        it two reviewers (or one double key press) could both approve a chain's steps.
        ``comment`` is the optional 审核意见, kept on the approval's ReviewEvent and shown
        to the student in 流程跟踪 and on the application form."""
        return self._decide(
            actor,
            app_id,
            ReviewAction.APPROVE,
            "",
            expected_revision,
            comment=_comment_text(comment),
        )

    def return_(
        self, actor: Actor, app_id: str, reason: str, *, expected_revision: int
    ) -> ExchangeApplication:
        """Return an application to the student with a reason (被退回); the revision the
        reviewer saw is required, as for :meth:`approve`."""
        return self._decide(
            actor, app_id, ReviewAction.RETURN, _reason_text(reason), expected_revision
        )

    def _decide(
        self,
        actor: Actor,
        app_id: str,
        action: ReviewAction,
        reason: str,
        expected_revision: int,
        comment: str = "",
    ) -> ExchangeApplication:
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise AccessDenied("学生不能审核申请", "students cannot decide applications")
        seen = self._find_visible(actor, app_id)
        now = self.clock()
        with self.store.hot(seen.college, seen.student_id) as tx:
            app = tx.application(app_id)
            if app is None:
                raise Conflict("该申请已被删除", "the application was deleted meanwhile")
            if not isinstance(expected_revision, int) or app.revision != expected_revision:
                raise Conflict(
                    f"该申请已被他人处理（现为{app.status.value}），请刷新后再看",
                    f"someone else changed this application first (now {app.status.value}); refresh",
                )
            # R11: a reviewer's action, under review, their step, never two steps of one
            # application by one person; the decision screen offers F8/F9 by the same.
            refusal = workflow.decision_refusal(
                app,
                self.rules,
                tx.events(app.id),
                actor.username,
                actor.role,
                actor.review_steps,
                action=action,
                reason=reason if action == ReviewAction.RETURN else None,
            )
            if isinstance(refusal, workflow.StepRefusal):
                raise AccessDenied(refusal.text("zh"), refusal.text("en"))
            refuse(refusal)
            if action == ReviewAction.APPROVE:
                # R8: credits are spent once, whatever happened since submission.
                refuse(offers.double_spend(app, tx.applications(app.student_id)))
            decided = validated(workflow.apply(action, app, self.rules, now, reason=reason or None))
            tx.put_application(decided)
            tx.add_event(
                self._event(
                    actor, decided, action, now, reason=reason, step=app.step, comment=comment
                )
            )
        return decided

    def review_file(self, actor: Actor, app_id: str) -> ReviewFile:
        """What a reviewer reads before deciding (R11): the application, the student's
        record around it, the policy's verdict now, the trail, and whether this
        reviewer may decide it at its current step."""
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise AccessDenied("只有审核人可以审核申请", "only reviewers review applications")
        app = self._find_visible(actor, app_id)
        dossier = self.dossier(actor, app.student_id)
        events = self.store.events(app.college, app.id, app.student_id)
        refusal = workflow.decision_refusal(
            app, self.rules, events, actor.username, actor.role, actor.review_steps
        )
        return build_review_file(dossier, app, events, self.rules, refusal, actor.role)


def _reason_text(reason: str) -> str:
    """A reviewer's return reason through the gate (an empty one is refused by R11)."""
    return gated_text(
        reason, Bilingual("退回原因", "return reason"), multiline=True, max_length=REASON_MAX
    )


def _comment_text(comment: str) -> str:
    """A reviewer's optional 审核意见 through the gate (empty is fine: it is optional)."""
    if not isinstance(comment, str):
        raise BadText("审核意见必须是文字", "the review comment must be text")
    return gated_text(
        comment, Bilingual("审核意见", "review comment"), multiline=True, max_length=REASON_MAX
    )
