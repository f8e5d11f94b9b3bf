"""Issue 14, item 1: each "what may happen now" question has one answer in policy.

One test (or a few) per function the screens, services, documents and trainer now ask
instead of working it out themselves: where an application stands, where an approval
sends it, who may decide it, what the student may still change, what an offered source
is, whether the ratio is met, whether an approval would spend credits twice, and how a
reason reads to a student and to a reviewer.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import (
    AWARD,
    COMP,
    GE,
    NOW,
    PX,
    C,
    app,
    cert,
    make_dossier,
    rec,
    ref,
    standard_records,
)

from policy.dossier import spent_by
from policy.eligibility import EPS, needed_credits, ratio_met
from policy.grades import is_result, parse_result
from policy.models import ReviewAction, ReviewEvent, Role, SourceRef, Status
from policy.offers import Offer, double_spend, evaluate_offer
from policy.reasons import Reason
from policy.rules import ReviewStep, Rules, load_rules
from policy.sources import describe_source, offered_credits
from policy.workflow import (
    StepRefusal,
    available_actions,
    current_step,
    decision_refusal,
    editable,
    handed_in,
    may_decide,
    next_step,
    reviews_step,
    step_at,
)

A = ReviewAction
STEPS = [
    ReviewStep(id="secretary", zh="教学秘书审核", en="Teaching secretary"),
    ReviewStep(id="dean", zh="教学院长审核", en="Dean"),
    ReviewStep(id="registry", zh="教务处审核", en="Registry"),
]


@pytest.fixture
def chain(rules: Rules) -> Rules:
    return rules.model_copy(update={"review_steps": STEPS})


def approval(step: int, who: str, aid: str = "a1") -> ReviewEvent:
    return ReviewEvent(
        id=f"E{step}{who}",
        application_id=aid,
        action=A.APPROVE,
        actor=who,
        actor_role="reviewer",
        at=NOW,
        step=step,
        step_name=STEPS[step].zh,
        status_after=Status.UNDER_REVIEW,
    )


# -- where it stands -------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED, Status.APPROVED])
def test_current_step_is_none_unless_under_review(chain: Rules, status: Status) -> None:
    assert current_step(app("a1", "MATH", status=status, step=1), chain) is None


def test_current_step_takes_rules_or_their_steps_and_clamps_an_old_index(chain: Rules) -> None:
    at_dean = app("a1", "MATH", status=Status.UNDER_REVIEW, step=1)
    assert current_step(at_dean, chain) == STEPS[1]
    assert current_step(at_dean, STEPS) == STEPS[1]  # the figures have only the steps
    beyond = app("a1", "MATH", status=Status.UNDER_REVIEW, step=7)  # chain shortened since
    assert current_step(beyond, chain) == STEPS[2] == step_at(STEPS, 7)


def test_next_step_is_where_an_approval_sends_it(chain: Rules, rules: Rules) -> None:
    assert next_step(app("a1", "M", status=Status.UNDER_REVIEW, step=0), chain) == STEPS[1]
    assert next_step(app("a1", "M", status=Status.UNDER_REVIEW, step=1), chain) == STEPS[2]
    # The last step's approval ends the process; so does the one step of the default.
    assert next_step(app("a1", "M", status=Status.UNDER_REVIEW, step=2), chain) is None
    assert next_step(app("a1", "M", status=Status.UNDER_REVIEW), rules) is None
    assert next_step(app("a1", "M", status=Status.RETURNED), chain) is None


# -- who may decide --------------------------------------------------------------------


def test_reviews_step_binds_only_reviewers_who_name_steps() -> None:
    dean = STEPS[1]
    assert reviews_step(Role.REVIEWER, ["dean"], dean)
    assert not reviews_step(Role.REVIEWER, ["secretary"], dean)
    assert reviews_step(Role.REVIEWER, [], dean)  # a reviewer naming no step: any
    assert reviews_step(Role.ADMIN, ["secretary"], dean)  # an admin: any


def test_may_decide_without_a_trail_is_the_queues_question(chain: Rules) -> None:
    at_dean = app("a1", "MATH", status=Status.UNDER_REVIEW, step=1)
    assert may_decide(at_dean, chain, Role.REVIEWER, ["dean"])
    assert not may_decide(at_dean, chain, Role.REVIEWER, ["secretary"])
    assert not may_decide(at_dean, chain, Role.STUDENT)
    assert not may_decide(app("a1", "MATH", status=Status.APPROVED), chain, Role.ADMIN)


def test_may_decide_with_the_trail_refuses_a_second_step(chain: Rules) -> None:
    at_dean = app("a1", "MATH", status=Status.UNDER_REVIEW, step=1)
    events = [approval(0, "rev")]
    assert may_decide(at_dean, chain, Role.REVIEWER, (), events, "other")
    assert not may_decide(at_dean, chain, Role.REVIEWER, (), events, "rev")
    # Without the trail the queue cannot know; the decision itself asks with it.
    assert may_decide(at_dean, chain, Role.REVIEWER, (), None, "rev")


def test_decision_refusal_says_why_in_the_order_the_services_check(chain: Rules) -> None:
    at_dean = app("a1", "MATH", status=Status.UNDER_REVIEW, step=1)
    not_mine = decision_refusal(at_dean, chain, [], "sec", Role.REVIEWER, ["secretary"])
    assert isinstance(not_mine, StepRefusal) and not_mine.rule == "R11"
    assert "教学院长审核" in not_mine.zh
    second = decision_refusal(at_dean, chain, [approval(0, "rev")], "rev", Role.REVIEWER)
    assert second is not None and not isinstance(second, StepRefusal)
    assert "同一人不能审核" in second.zh
    # Returning asks for a reason first: an empty one is refused before the step.
    empty = decision_refusal(
        at_dean, chain, [], "sec", Role.REVIEWER, ["secretary"], action=A.RETURN, reason=" "
    )
    assert empty is not None and "退回原因" in empty.zh
    assert decision_refusal(at_dean, chain, [], "dean", Role.REVIEWER, ["dean"]) is None


# -- what the student may still do -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "step", "expected"),
    [
        (Status.DRAFT, 0, {A.SAVE, A.SUBMIT, A.DELETE}),
        (Status.RETURNED, 0, {A.SAVE, A.SUBMIT, A.DELETE}),
        (Status.UNDER_REVIEW, 0, {A.WITHDRAW}),
        (Status.UNDER_REVIEW, 1, set()),
        (Status.APPROVED, 0, set()),
    ],
)
def test_available_actions_and_editable_agree(
    status: Status, step: int, expected: set[ReviewAction]
) -> None:
    application = app("a1", "MATH", status=status, step=step)
    assert set(available_actions(application, Role.STUDENT)) == expected
    assert editable(application) == (A.SAVE in expected)
    assert editable(application) == (status in (Status.DRAFT, Status.RETURNED))


@pytest.mark.parametrize("status", list(Status))
def test_handed_in_is_what_the_college_sees(status: Status) -> None:
    """cyc14: the trainer asks it before opening a reviewer's file; a 无流程 draft is the
    student's own, every other status was handed in (the fingerprint's SUBMITTED)."""
    assert handed_in(app("a1", "MATH", status=status)) == (status != Status.DRAFT)


def test_a_reviewer_is_offered_approve_and_return_only_under_review() -> None:
    under = app("a1", "MATH", status=Status.UNDER_REVIEW)
    assert set(available_actions(under, Role.REVIEWER)) == {A.APPROVE, A.RETURN}
    assert available_actions(app("a1", "MATH", status=Status.RETURNED), Role.REVIEWER) == []


# -- what an offered source is ---------------------------------------------------------


def test_describe_source_finds_courses_and_certificates() -> None:
    dossier = make_dossier(
        standard_records(), [cert("C1", 2, COMP, "数学建模"), cert("W1", 1, AWARD)]
    )
    course = describe_source(dossier.transcript, ref(GE, "GE3"))
    assert (course.name, course.credits, course.category) == ("IT新技术", 1.5, C.GENERAL_ELECTIVE)
    assert course.found and course.held and course.certificate is None
    award = describe_source(dossier.transcript, ref(COMP, "C1"))
    assert (award.name, award.credits, award.category) == ("数学建模", 2, None)
    assert award.found and award.held and award.record is None


def test_offered_credits_add_up_what_describe_source_finds() -> None:
    """cyc14: the one sum of 流程跟踪, 学分兑换's list and the printed form; a source
    not on the transcript counts 0, as it shows."""
    dossier = make_dossier(standard_records(), [cert("C1", 2, COMP)])
    refs = [ref(GE, "GE3"), ref(COMP, "C1"), ref(GE, "NOPE")]
    assert offered_credits(dossier.transcript, refs) == pytest.approx(3.5)
    assert offered_credits(dossier.transcript, []) == 0


def test_describe_source_missing_or_of_another_kind() -> None:
    dossier = make_dossier(standard_records(), [cert("C1", 2, COMP)])
    missing = describe_source(dossier.transcript, ref(GE, "NOPE"))
    assert (missing.name, missing.credits, missing.found, missing.held) == (
        "NOPE",
        0.0,
        False,
        False,
    )
    # Found, but not what the reference says: shown by its name, never paying.
    wrong_category = describe_source(dossier.transcript, ref(GE, "PX1"))
    assert wrong_category.found and not wrong_category.held
    assert wrong_category.name == "云计算理论与应用"
    wrong_kind = describe_source(dossier.transcript, ref(AWARD, "C1"))
    assert wrong_kind.found and not wrong_kind.held


def test_an_offer_of_a_source_held_as_another_kind_is_refused(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    check = evaluate_offer(dossier, Offer(target="FND", sources=[ref(GE, "PX1")]), rules)
    assert not check.acceptable
    assert any("没有通识选修课 PX1" in r.zh for r in check.reasons)


# -- the ratio -------------------------------------------------------------------------


def test_ratio_met_allows_float_slack_only(rules: Rules) -> None:
    core = rec("CORE", "路由与交换技术", C.PROFESSIONAL_CORE, 3, "20")
    needed = needed_credits(core, rules)
    assert needed == pytest.approx(rules.ratio.factor(C.PROFESSIONAL_CORE) * 3)
    assert ratio_met(needed, needed)
    assert ratio_met(needed - EPS / 2, needed)  # float noise of a 1.5 ratio
    assert not ratio_met(needed - 0.5, needed)


def test_offer_check_carries_the_ratio_verdict(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    short = evaluate_offer(dossier, Offer(target="MATH", sources=[ref(GE, "GE1")]), rules)
    assert (short.offered, short.needed, short.ratio_met) == (2, 4, False)
    enough = evaluate_offer(
        dossier, Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2")]), rules
    )
    assert enough.ratio_met and enough.acceptable


# -- credits are spent once ------------------------------------------------------------


def test_spent_by_counts_only_live_applications_other_than_the_one_asked() -> None:
    live = app("a1", "MATH", [(GE, "GE1")], Status.UNDER_REVIEW)
    done = app("a2", "ENG", [(GE, "GE2")], Status.APPROVED)
    back = app("a3", "FND", [(PX, "PX1")], Status.RETURNED)
    spent = spent_by([live, done, back])
    assert spent == {SourceRef(kind=GE, ref="GE1"): "a1", SourceRef(kind=GE, ref="GE2"): "a2"}
    assert SourceRef(kind=GE, ref="GE1") not in spent_by([live, done], "a1")
    dossier = make_dossier(standard_records(), applications=[live, done, back])
    assert dossier.spent_sources() == spent


def test_double_spend_names_the_sources_another_live_application_holds() -> None:
    holder = app("a1", "MATH", [(GE, "GE1")], Status.APPROVED)
    deciding = app("a2", "ENG", [(GE, "GE1"), (GE, "GE2")], Status.UNDER_REVIEW)
    reason = double_spend(deciding, [holder, deciding])
    assert reason is not None and reason.rule == "R8" and "GE1" in reason.zh
    assert "GE2" not in reason.zh
    returned = holder.model_copy(update={"status": Status.RETURNED})
    assert double_spend(deciding, [returned, deciding]) is None


# -- how a reason reads ----------------------------------------------------------------


def test_reason_prints_its_rule_once_and_speaks_to_its_reader() -> None:
    reason = Reason(
        rule="R7",
        zh="你只剩2学分",
        en="you have 2 left",
        staff_zh="该生只剩2学分",
        staff_en="the student has 2 left",
    )
    assert reason.text("zh") == "【R7】你只剩2学分"
    assert reason.text("en") == "R7: you have 2 left"
    assert reason.text("zh", staff=True) == "【R7】该生只剩2学分"
    assert reason.text("en", staff=True) == "R7: the student has 2 left"
    plain = Reason(rule="R8", zh="不满足兑换比例", en="short")
    assert plain.text("zh", staff=True) == "【R8】不满足兑换比例"  # nothing to reword


def test_the_r7_warning_reads_the_student_in_the_third_person_for_staff(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), graduation={C.PROFESSIONAL_EXTENSION: 6})
    check = evaluate_offer(dossier, Offer(target="FND", sources=[ref(PX, "PX1")]), rules)
    (warning,) = check.warnings
    staff_zh, staff_en = warning.text("zh", staff=True), warning.text("en", staff=True)
    assert staff_zh.startswith("【R7】兑换后该生只剩4学分") and "你" not in staff_zh
    assert "the student has 4 of 6" in staff_en and "you" not in staff_en
    assert "兑换后你只剩" in warning.text("zh")  # the student is still spoken to


# -- what a result is ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=8),
        st.from_regex(r"\A[0-9０-９]{1,4}(\.[0-9]{0,3})?\Z"),
        st.sampled_from(["优秀", "合格", "不合格", " 85 ", "100.0", "100.01", "８５"]),
    )
)
def test_is_result_is_exactly_what_parse_result_reads(result: str) -> None:
    """The importer's check (is_result) and the policy's reader never disagree."""
    grades = load_rules().grades
    try:
        parse_result(result, grades)
        reads = True
    except ValueError:
        reads = False
    assert is_result(result, grades) == reads


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("bound", [(), ("secretary",), ("dean",)])
@pytest.mark.parametrize("who", ["rev", "other"])
@pytest.mark.parametrize("with_trail", [True, False])
def test_may_decide_is_the_yes_of_decision_refusal(
    chain: Rules, status: Status, role: Role, bound: tuple[str, ...], who: str, with_trail: bool
) -> None:
    """may_decide (no refusal built, for the queue) never disagrees with the refusal."""
    at_dean = app("a1", "MATH", status=status, step=1 if status == Status.UNDER_REVIEW else 0)
    events = [approval(0, "rev")] if with_trail else None
    refusal = decision_refusal(at_dean, chain, events, who, role, bound)
    assert may_decide(at_dean, chain, role, bound, events, who) == (refusal is None)
