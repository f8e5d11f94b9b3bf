"""The life of an application (S4, S5; R10, R11).

Statuses: 无流程 (saved, not submitted), 审核中, 审核通过, 被退回.  A student saves,
submits, withdraws (before any step has approved) and deletes (R10: only 无流程 or
被退回); the secondary college's reviewers approve or return (R11: the last approval
ends the process).  :func:`allowed` says whether an action may happen and, if not,
which rule refuses it; :func:`apply` computes the new state.  Services call both inside
their lock, so two reviewers cannot both decide one application.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from policy.fingerprint import SUBMITTED
from policy.models import ExchangeApplication, ReviewAction, ReviewEvent, Role, Status
from policy.reasons import Reason
from policy.rules import ReviewStep, Rules

STUDENT_ACTIONS = frozenset(
    {ReviewAction.SAVE, ReviewAction.SUBMIT, ReviewAction.WITHDRAW, ReviewAction.DELETE}
)
"""What only the student does with an application (S4)."""

REVIEW_ACTIONS = frozenset({ReviewAction.APPROVE, ReviewAction.RETURN})
"""What only the secondary college (reviewers, admins) does (R11)."""

EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
"""R10: 被退回 or 无流程 applications may be edited, submitted and deleted."""


class AtStep(Protocol):
    """What the step questions read of an application: an ``ExchangeApplication``, or
    a queue's row (``credx_tui.services.rows.ApplicationRow``) that has not read the
    whole application."""

    @property
    def status(self) -> Status: ...

    @property
    def step(self) -> int: ...


class WorkflowError(ValueError):
    """An action that the workflow refuses; ``reason`` cites the rule."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text("en"))
        self.reason = reason


def _role_refusal(action: ReviewAction, role: Role) -> Reason | None:
    if role == Role.STUDENT and action in REVIEW_ACTIONS:
        return Reason(
            rule="R11",
            zh="审核由二级学院进行，学生不能审核申请",
            en="the secondary college reviews; a student cannot approve or return an application",
        )
    if role != Role.STUDENT and action in STUDENT_ACTIONS:
        return Reason(
            rule="R11",
            zh="申请由学生本人填写、提交、撤回或删除；审核人只能审核通过或退回",
            en=(
                "only the student saves, submits, withdraws or deletes an application; "
                "a reviewer approves or returns it"
            ),
        )
    return None


def _state_refusal(action: ReviewAction, app: ExchangeApplication) -> Reason | None:
    status = app.status
    s = status.value
    if action == ReviewAction.DELETE:
        if status in EDITABLE:
            return None
        return Reason(
            rule="R10",
            zh=f"审核中或者审核通过的无法删除，被退回或无流程的可删除（此申请：{s}）",
            en=(
                "applications under review or approved cannot be deleted; "
                f"returned or not started ones can (this one: {status.en})"
            ),
        )
    if action in (ReviewAction.SAVE, ReviewAction.SUBMIT):
        if status in EDITABLE:
            return None
        if status == Status.APPROVED:
            return Reason(
                rule="R11",
                zh="申请已审核通过，流程已结束，不能再修改或提交",
                en="the application is approved: the process has ended, it cannot change",
            )
        return Reason(
            rule="R11",
            zh="申请审核中，不能修改或重复提交；如需修改，请在审核开始前撤回",
            en=(
                "the application is under review: it cannot be edited or submitted again; "
                "withdraw it before any step approves to change it"
            ),
        )
    if action == ReviewAction.WITHDRAW:
        if status != Status.UNDER_REVIEW:
            return Reason(
                rule="R11",
                zh=f"只有审核中的申请可以撤回（此申请：{s}）",
                en=f"only an application under review can be withdrawn (this one: {status.en})",
            )
        if app.step > 0:
            return Reason(
                rule="R11",
                zh="已有审核环节通过，申请不能再撤回",
                en="a review step has already approved; the application can no longer be withdrawn",
            )
        return None
    # APPROVE, RETURN
    if status != Status.UNDER_REVIEW:
        return Reason(
            rule="R11",
            zh=f"只有审核中的申请可以审核（此申请：{s}）",
            en=f"only an application under review can be decided (this one: {status.en})",
        )
    return None


def _reason_refusal(action: ReviewAction, reason: str | None) -> Reason | None:
    if action == ReviewAction.RETURN and reason is not None and not reason.strip():
        return Reason(
            rule="R11",
            zh="退回申请必须填写退回原因",
            en="returning an application needs a reason",
        )
    return None


def allowed(
    action: ReviewAction, app: ExchangeApplication, role: Role, reason: str | None = None
) -> Reason | None:
    """None when ``role`` may do ``action`` to ``app`` now; else the refusal, citing the
    rule.

    ``reason`` is the reviewer's text for RETURN: pass it when deciding, so an empty
    one is refused; leave it None to ask only whether the button should be offered.
    Admins may do what reviewers do, and only that.
    """
    return (
        _role_refusal(action, role)
        or _state_refusal(action, app)
        or _reason_refusal(action, reason)
    )


def available_actions(app: ExchangeApplication, role: Role) -> list[ReviewAction]:
    """The actions ``role`` may take on ``app`` now (for buttons and key bindings).
    The services hand them to the screens in their views (``.actions``), so a key is
    offered exactly when the service would do it."""
    return [a for a in ReviewAction if allowed(a, app, role) is None]


def editable(app: ExchangeApplication) -> bool:
    """R10: whether the student may still change ``app`` (save, submit, delete): a
    无流程 or 被退回 one.  The trainer and the apply form ask this instead of listing
    the statuses again."""
    return ReviewAction.SAVE in available_actions(app, Role.STUDENT)


def handed_in(app: AtStep) -> bool:
    """Whether ``app`` was handed in (审核中, 审核通过, 被退回), so that it is the
    college's to see: in the queue, as a reviewer's file, its trail and attachments.  A
    无流程 draft is the student's own business (README, Reviewers)."""
    return app.status in SUBMITTED


def missing_evidence(app: ExchangeApplication, rules: Rules) -> Reason | None:
    """S4: the guide asks for screenshots of the relevant grades as attachments; where the
    college's rules require them (``attachments.required``, default true) an application
    without one cannot be submitted.  None when it may be."""
    if not rules.attachments.required or app.attachments:
        return None
    return EVIDENCE_REQUIRED


EVIDENCE_REQUIRED = Reason(
    rule="S4",
    zh="提交前请上传相关成绩的截图作为附件（至少一个）",
    en="attach a screenshot of the relevant grades before submitting (at least one)",
)
"""The refusal of :func:`missing_evidence`; the apply screen shows it before submit."""


Chain = Rules | Sequence[ReviewStep]
"""The review chain: the rules, or their ``review_steps`` where only those are at hand."""


def _steps(chain: Chain) -> Sequence[ReviewStep]:
    return chain.review_steps if isinstance(chain, Rules) else chain


def current_step(app: AtStep, rules: Chain) -> ReviewStep | None:
    """The review step waiting for a decision (R11), or None when not under review.
    The one answer to "where does it stand": queue, decision screen, 流程跟踪, the
    printed form, the exports and the figures all ask it."""
    if app.status != Status.UNDER_REVIEW:
        return None
    return step_at(rules, app.step)


def step_at(rules: Chain, index: int) -> ReviewStep:
    """The review step of index ``index`` (a stored index beyond a shortened chain reads
    as its last step, so an old application never breaks a screen)."""
    steps = _steps(rules)
    return steps[min(max(index, 0), len(steps) - 1)]


def next_step(app: ExchangeApplication, rules: Chain) -> ReviewStep | None:
    """The step an approval now passes ``app`` on to (R11); None when approving ends
    the process (the last step) or when it is not under review."""
    steps = _steps(rules)
    if app.status != Status.UNDER_REVIEW or app.step + 1 >= len(steps):
        return None
    return steps[app.step + 1]


def reviews_step(role: Role, review_steps: Sequence[str], step: ReviewStep) -> bool:
    """R11 with a review chain: whether someone of ``role`` bound to ``review_steps``
    decides ``step`` (a reviewer naming no step decides any; an admin any)."""
    return role != Role.REVIEWER or not review_steps or step.id in review_steps


def step_ids(rules: Chain) -> list[str]:
    """The ids of the rules' review chain, in order (R11): what an account's or an
    import's ``review_steps`` may name."""
    return [step.id for step in _steps(rules)]


def unknown_steps_refusal(rules: Chain, named: Sequence[str]) -> Reason | None:
    """R11: an account bound to a step the rules do not have would be a reviewer who
    may act on nothing; None when every step ``named`` is one of the chain's."""
    known = step_ids(rules)
    unknown = [s for s in named if s not in known]
    if not unknown:
        return None
    return Reason(
        rule="R11",
        zh=f"审核环节 {'、'.join(unknown)} 不在规则中（可用：{'、'.join(known)}）",
        en=f"review step {', '.join(unknown)} is not in the rules (known: {', '.join(known)})",
    )


def withdraw_until(rules: Rules) -> ReviewStep:
    """The step before whose decision a student may still withdraw (R11: withdrawing
    ends once any step has approved, so it is the chain's first step).  The screens
    build the hint 「……前可撤回」 from it instead of naming 二级学院 themselves."""
    return rules.review_steps[0]


def is_final_approval(event: ReviewEvent) -> bool:
    """Whether an APPROVE event ended the process (R11: only the last step's does);
    an earlier step's approval leaves the application 审核中 at the next step."""
    return event.action == ReviewAction.APPROVE and event.status_after == Status.APPROVED


def round_deciders(app: ExchangeApplication, events: Sequence[ReviewEvent]) -> dict[int, str]:
    """Who approved each step of the current round of ``app`` (step index -> account).

    A round starts at the last submit: a return sends the application back to the
    student, and after a resubmission the chain starts again from its first step, so
    the decisions of an earlier round no longer stand."""
    decided: dict[int, str] = {}
    for event in events:
        if event.application_id != app.id:
            continue
        if event.action in (ReviewAction.SUBMIT, ReviewAction.WITHDRAW, ReviewAction.RETURN):
            decided = {}
        elif event.action == ReviewAction.APPROVE:
            decided[event.step] = event.actor
    return decided


class StepRefusal(Reason):
    """R11: the step waiting is not this reviewer's.  A matter of who may act, not of
    the application's state, so the services raise it as access denied."""


def not_your_step(
    app: AtStep, rules: Rules, role: Role, review_steps: Sequence[str]
) -> Reason | None:
    """R11 with a review chain: a reviewer bound to steps decides only those (a reviewer
    naming no step decides any; an admin any).  None when the step is theirs."""
    step = current_step(app, rules)
    if step is None or reviews_step(role, review_steps, step):
        return None
    return StepRefusal(
        rule="R11",
        zh=f"该申请在「{step.zh}」环节，您不是此环节的审核人",
        en=f"the application is at step '{step.en}', which you do not review",
    )


def second_step(
    app: ExchangeApplication, rules: Rules, events: Sequence[ReviewEvent], username: str
) -> Reason | None:
    """R11: the same person never decides two steps of one application (a chain exists
    so that several people look at it).  None when ``username`` has decided no other
    step of the current round (:func:`round_deciders`)."""
    step = current_step(app, rules)
    if step is None:
        return None
    earlier = sorted(
        i for i, who in round_deciders(app, events).items() if who == username and i != app.step
    )
    if not earlier:
        return None
    done = step_at(rules, earlier[0])
    return Reason(
        rule="R11",
        zh=(
            f"同一人不能审核同一申请的两个环节：您已审核「{done.zh}」，"
            f"「{step.zh}」须由其他审核人审核"
        ),
        en=(
            f"one person never decides two steps of one application: you decided "
            f"'{done.en}', so '{step.en}' is for another reviewer"
        ),
    )


def decision_refusal(
    app: ExchangeApplication,
    rules: Rules,
    events: Sequence[ReviewEvent] | None,
    username: str,
    role: Role,
    review_steps: Sequence[str] = (),
    *,
    action: ReviewAction = ReviewAction.APPROVE,
    reason: str | None = None,
) -> Reason | None:
    """May this person decide ``app`` now (R11)?  None when they may; otherwise the
    first refusal: not a reviewer's action or not under review (or, for ``action``
    RETURN with ``reason`` given, an empty reason), not their step
    (:class:`StepRefusal`), or a second step of theirs.  The services decide with it
    under the lock and the decision screen offers F8/F9 only when it is None, so
    both say the same.  ``events`` None (the queue holds no trails) leaves the
    one-person-per-step check to the decision itself."""
    return (
        allowed(action, app, role, reason)
        or not_your_step(app, rules, role, review_steps)
        or (second_step(app, rules, events, username) if events is not None else None)
    )


def may_decide(
    app: AtStep,
    rules: Rules,
    role: Role,
    review_steps: Sequence[str] = (),
    events: Sequence[ReviewEvent] | None = None,
    username: str = "",
) -> bool:
    """Whether approve and return are this person's to give now (R11): the yes/no of
    :func:`decision_refusal` (a test keeps the two in step), for the queue's 待我审核
    and the views' actions.  It builds no refusal, since the queue asks it of every
    application of a college."""
    if role == Role.STUDENT or app.status != Status.UNDER_REVIEW:
        return False
    if not reviews_step(role, review_steps, step_at(rules, app.step)):
        return False
    if events is None:
        return True
    if not isinstance(app, ExchangeApplication):
        raise TypeError("R11's one-person-one-step check reads the whole application")
    return second_step(app, rules, events, username) is None


def apply(
    action: ReviewAction,
    app: ExchangeApplication,
    rules: Rules,
    now: datetime,
    reason: str | None = None,
) -> ExchangeApplication:
    """The application after ``action``: status, step, ``updated_at`` and revision + 1.

    Raises :class:`WorkflowError` when the state does not allow the action (whoever
    asks; roles are checked by :func:`allowed`).  DELETE returns the final revision,
    status unchanged; the service then removes the document.
    """
    refusal = _state_refusal(action, app) or _reason_refusal(action, reason)
    if refusal is not None:
        raise WorkflowError(refusal)
    status, step = app.status, app.step
    if action == ReviewAction.SUBMIT:
        status, step = Status.UNDER_REVIEW, 0
    elif action == ReviewAction.WITHDRAW:
        status, step = Status.DRAFT, 0
    elif action == ReviewAction.APPROVE:
        if len(rules.review_steps) > app.step + 1:
            step = app.step + 1
        else:
            status = Status.APPROVED
    elif action == ReviewAction.RETURN:
        status, step = Status.RETURNED, 0
    return app.model_copy(
        update={
            "status": status,
            "step": step,
            "updated_at": now,
            "revision": app.revision + 1,
        }
    )
