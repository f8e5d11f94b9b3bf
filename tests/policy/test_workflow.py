"""Workflow: statuses, who may do what, multi-step review (R10, R11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from policy_helpers import GE, NOW, app

from policy.models import ReviewAction, ReviewEvent, Role, Status
from policy.rules import ReviewStep, Rules
from policy.workflow import (
    WorkflowError,
    allowed,
    apply,
    available_actions,
    current_step,
    decision_refusal,
    is_final_approval,
    round_deciders,
    second_step,
    withdraw_until,
)

A = ReviewAction
LATER = NOW + timedelta(hours=1)


def three_steps(rules: Rules) -> Rules:
    steps = [
        ReviewStep(id="secretary", zh="教学秘书审核", en="Teaching secretary"),
        ReviewStep(id="dean", zh="教学院长审核", en="Dean"),
        ReviewStep(id="registry", zh="教务处审核", en="Registry"),
    ]
    return rules.model_copy(update={"review_steps": steps})


@pytest.mark.parametrize(
    ("action", "before", "step", "after", "after_step"),
    [
        (A.SAVE, Status.DRAFT, 0, Status.DRAFT, 0),
        (A.SAVE, Status.RETURNED, 0, Status.RETURNED, 0),
        (A.SUBMIT, Status.DRAFT, 0, Status.UNDER_REVIEW, 0),
        (A.SUBMIT, Status.RETURNED, 0, Status.UNDER_REVIEW, 0),
        (A.WITHDRAW, Status.UNDER_REVIEW, 0, Status.DRAFT, 0),
        (A.DELETE, Status.DRAFT, 0, Status.DRAFT, 0),
        (A.DELETE, Status.RETURNED, 0, Status.RETURNED, 0),
    ],
)
def test_student_transitions(
    rules: Rules, action: ReviewAction, before: Status, step: int, after: Status, after_step: int
) -> None:
    application = app("a1", "MATH", [(GE, "GE1")], before, step)
    assert allowed(action, application, Role.STUDENT) is None
    new = apply(action, application, rules, LATER)
    assert (new.status, new.step) == (after, after_step)
    assert new.updated_at == LATER and new.revision == application.revision + 1
    assert application.status == before  # the input is not mutated


@pytest.mark.parametrize("status", [Status.UNDER_REVIEW, Status.APPROVED])
def test_r10_live_applications_cannot_be_deleted(rules: Rules, status: Status) -> None:
    application = app("a1", "MATH", [], status)
    reason = allowed(A.DELETE, application, Role.STUDENT)
    assert reason is not None and reason.rule == "R10"
    assert "审核中或者审核通过的无法删除" in reason.zh
    with pytest.raises(WorkflowError) as info:
        apply(A.DELETE, application, rules, LATER)
    assert info.value.reason.rule == "R10"


@pytest.mark.parametrize(
    ("action", "status", "step"),
    [
        (A.SAVE, Status.UNDER_REVIEW, 0),
        (A.SAVE, Status.APPROVED, 0),
        (A.SUBMIT, Status.UNDER_REVIEW, 0),
        (A.SUBMIT, Status.APPROVED, 0),
        (A.WITHDRAW, Status.DRAFT, 0),
        (A.WITHDRAW, Status.RETURNED, 0),
        (A.WITHDRAW, Status.APPROVED, 0),
        (A.WITHDRAW, Status.UNDER_REVIEW, 1),
    ],
)
def test_student_refusals_cite_r11(
    rules: Rules, action: ReviewAction, status: Status, step: int
) -> None:
    application = app("a1", "MATH", [], status, step)
    reason = allowed(action, application, Role.STUDENT)
    assert reason is not None and reason.rule == "R11" and reason.zh and reason.en
    with pytest.raises(WorkflowError):
        apply(action, application, rules, LATER)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
def test_single_step_approval_ends_the_process(rules: Rules, role: Role) -> None:
    application = app("a1", "MATH", [], Status.UNDER_REVIEW)
    assert allowed(A.APPROVE, application, role) is None
    new = apply(A.APPROVE, application, rules, LATER)
    assert new.status == Status.APPROVED
    assert current_step(new, rules) is None
    assert available_actions(new, role) == []
    assert available_actions(new, Role.STUDENT) == []


def test_return_needs_a_reason(rules: Rules) -> None:
    application = app("a1", "MATH", [], Status.UNDER_REVIEW)
    assert allowed(A.RETURN, application, Role.REVIEWER) is None  # offer the button
    empty = allowed(A.RETURN, application, Role.REVIEWER, reason="   ")
    assert empty is not None and empty.rule == "R11" and "reason" in empty.en
    with pytest.raises(WorkflowError):
        apply(A.RETURN, application, rules, LATER, reason="")
    new = apply(A.RETURN, application, rules, LATER, reason="附件截图不清楚")
    assert (new.status, new.step) == (Status.RETURNED, 0)
    assert allowed(A.SUBMIT, new, Role.STUDENT) is None
    assert allowed(A.DELETE, new, Role.STUDENT) is None


@pytest.mark.parametrize("action", [A.SAVE, A.SUBMIT, A.WITHDRAW, A.DELETE])
@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
def test_reviewers_never_act_for_the_student(action: ReviewAction, role: Role) -> None:
    for status in Status:
        reason = allowed(action, app("a1", "MATH", [], status), role)
        assert reason is not None and reason.rule == "R11"


@pytest.mark.parametrize("action", [A.APPROVE, A.RETURN])
def test_students_never_review(action: ReviewAction) -> None:
    reason = allowed(action, app("a1", "MATH", [], Status.UNDER_REVIEW), Role.STUDENT, "ok")
    assert reason is not None and reason.rule == "R11" and "secondary college" in reason.en


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED, Status.APPROVED])
@pytest.mark.parametrize("action", [A.APPROVE, A.RETURN])
def test_only_applications_under_review_are_decided(
    rules: Rules, status: Status, action: ReviewAction
) -> None:
    application = app("a1", "MATH", [], status)
    reason = allowed(action, application, Role.REVIEWER, "reason")
    assert reason is not None and reason.rule == "R11"
    with pytest.raises(WorkflowError):
        apply(action, application, rules, LATER, "reason")


def test_three_step_review_chain(rules: Rules) -> None:
    chain = three_steps(rules)
    a = apply(A.SUBMIT, app("a1", "MATH", [], Status.DRAFT), chain, LATER)
    step = current_step(a, chain)
    assert step is not None and step.id == "secretary"
    assert allowed(A.WITHDRAW, a, Role.STUDENT) is None
    a = apply(A.APPROVE, a, chain, LATER)
    assert (a.status, a.step) == (Status.UNDER_REVIEW, 1)
    step = current_step(a, chain)
    assert step is not None and step.id == "dean"
    # A step has approved: no more withdrawing, still no deleting.
    assert allowed(A.WITHDRAW, a, Role.STUDENT).rule == "R11"  # type: ignore[union-attr]
    assert allowed(A.DELETE, a, Role.STUDENT).rule == "R10"  # type: ignore[union-attr]
    a = apply(A.APPROVE, a, chain, LATER)
    assert (a.status, a.step) == (Status.UNDER_REVIEW, 2)
    a = apply(A.APPROVE, a, chain, LATER)
    assert a.status == Status.APPROVED
    assert a.revision == 5


def test_return_mid_chain_restarts_at_step_zero(rules: Rules) -> None:
    chain = three_steps(rules)
    a = app("a1", "MATH", [], Status.UNDER_REVIEW, step=2)
    a = apply(A.RETURN, a, chain, LATER, "材料不全")
    assert (a.status, a.step) == (Status.RETURNED, 0)
    a = apply(A.SUBMIT, a, chain, LATER)
    assert (a.status, a.step) == (Status.UNDER_REVIEW, 0)


def test_available_actions(rules: Rules) -> None:
    draft = app("a1", "MATH", [], Status.DRAFT)
    assert available_actions(draft, Role.STUDENT) == [A.SAVE, A.SUBMIT, A.DELETE]
    review = app("a1", "MATH", [], Status.UNDER_REVIEW)
    assert available_actions(review, Role.STUDENT) == [A.WITHDRAW]
    assert available_actions(review, Role.REVIEWER) == [A.APPROVE, A.RETURN]


# -- issue 15: the step waiting, and one person per step (R11) --------------------------


def _event(n: int, action: ReviewAction, actor: str, step: int, after: Status) -> ReviewEvent:
    return ReviewEvent(
        id=f"E{n}",
        application_id="a1",
        action=action,
        actor=actor,
        actor_role="reviewer",
        at=NOW + timedelta(minutes=n),
        step=step,
        status_after=after,
    )


def test_current_step_and_withdraw_until_come_from_the_rules(rules: Rules) -> None:
    chain = three_steps(rules)
    at_dean = app("a1", "MATH", [], Status.UNDER_REVIEW, 1)
    step = current_step(at_dean, chain)
    assert step is not None and step.zh == "教学院长审核"
    assert withdraw_until(chain).zh == "教学秘书审核"
    assert withdraw_until(rules).zh == "二级学院审核"  # the bundled one-step chain
    assert current_step(app("a1", "MATH", [], Status.APPROVED), chain) is None


def test_only_the_last_approval_ends_the_process() -> None:
    assert not is_final_approval(_event(1, A.APPROVE, "sec", 0, Status.UNDER_REVIEW))
    assert is_final_approval(_event(2, A.APPROVE, "office", 2, Status.APPROVED))
    assert not is_final_approval(_event(3, A.RETURN, "dean", 1, Status.RETURNED))


def test_one_person_never_decides_two_steps(rules: Rules) -> None:
    chain = three_steps(rules)
    at_dean = app("a1", "MATH", [], Status.UNDER_REVIEW, 1)
    events = [
        _event(1, A.SUBMIT, "2018110101", 0, Status.UNDER_REVIEW),
        _event(2, A.APPROVE, "rev", 0, Status.UNDER_REVIEW),
    ]
    assert round_deciders(at_dean, events) == {0: "rev"}
    refusal = second_step(at_dean, chain, events, "rev")
    assert refusal is not None and refusal.rule == "R11"
    assert "教学秘书审核" in refusal.zh and "two steps" in refusal.en
    assert second_step(at_dean, chain, events, "dean") is None
    assert decision_refusal(at_dean, chain, events, "rev", Role.REVIEWER) == refusal
    assert decision_refusal(at_dean, chain, events, "rev", Role.ADMIN) == refusal
    assert decision_refusal(at_dean, chain, events, "dean", Role.REVIEWER) is None
    # Bound to another step: refused for that first, citing R11.
    bound = decision_refusal(at_dean, chain, events, "sec2", Role.REVIEWER, ("secretary",))
    assert bound is not None and "教学院长审核" in bound.zh


def test_a_resubmission_starts_a_new_round(rules: Rules) -> None:
    chain = three_steps(rules)
    at_dean = app("a1", "MATH", [], Status.UNDER_REVIEW, 1)
    events = [
        _event(1, A.SUBMIT, "s", 0, Status.UNDER_REVIEW),
        _event(2, A.APPROVE, "rev", 0, Status.UNDER_REVIEW),
        _event(3, A.RETURN, "dean", 1, Status.RETURNED),
        _event(4, A.SUBMIT, "s", 0, Status.UNDER_REVIEW),
        _event(5, A.APPROVE, "sec", 0, Status.UNDER_REVIEW),
    ]
    assert round_deciders(at_dean, events) == {0: "sec"}
    assert second_step(at_dean, chain, events, "rev") is None
