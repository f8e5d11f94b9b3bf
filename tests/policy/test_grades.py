"""Grade arithmetic (procedure.md "Grades"; R1, R7)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import (
    AWARD,
    GE,
    PX,
    T1,
    T2,
    T3,
    C,
    app,
    cert,
    make_dossier,
    rec,
    ref,
)

from policy.grades import (
    available_for_graduation,
    best_attempt,
    counting_attempt,
    credits_by_category,
    effective_records,
    final_attempt,
    format_gpa,
    has_makeup_or_retake,
    parse_result,
    record_passed,
    spent_credits_by_category,
    still_failed_after_second_chance,
    term_gpa,
    term_gpas,
    transcript_totals,
)
from policy.models import AttemptKind, Status
from policy.rules import GradeRules, Rules, load_rules

K = AttemptKind


@pytest.mark.parametrize(
    ("text", "score", "passed", "gp"),
    [
        ("85", 85.0, True, 3.5),
        ("60", 60.0, True, 1.0),
        ("100", 100.0, True, 5.0),
        ("59.5", 59.5, False, 0.0),
        ("85.5", 85.5, True, 3.55),
        ("01", 1.0, False, 0.0),
        ("0", 0.0, False, 0.0),
        (" 62 ", 62.0, True, 1.2),
    ],
)
def test_scores(rules: Rules, text: str, score: float, passed: bool, gp: float) -> None:
    value = parse_result(text, rules.grades)
    assert value.score == score
    assert value.level is None
    assert value.passed is passed
    assert value.grade_point == pytest.approx(gp)


@pytest.mark.parametrize(
    ("text", "passed", "gp"),
    [
        ("优秀", True, 4.5),
        ("良好", True, 3.5),
        ("中等", True, 2.5),
        ("及格", True, 1.5),
        ("不及格", False, 0.0),
        ("合格", True, 2.5),
        ("不合格", False, 0.0),
        ("缺考", False, 0.0),
    ],
)
def test_levels(rules: Rules, text: str, passed: bool, gp: float) -> None:
    value = parse_result(text, rules.grades)
    assert value.level == text
    assert value.score is None
    assert value.passed is passed
    assert value.grade_point == gp


@pytest.mark.parametrize(
    "text", ["abc", "101", "-5", "", "85分", "８５", "1e2", "A+", "60.", "NaN"]
)
def test_bad_results_are_refused_with_the_text(rules: Rules, text: str) -> None:
    with pytest.raises(ValueError, match="成绩"):
        parse_result(text, rules.grades)


def test_grade_rules_parameterise_parsing() -> None:
    grades = GradeRules(
        pass_score=50, offset=40, divisor=20, levels={"过": 2.0}, passing_levels=["过"]
    )
    assert parse_result("50", grades).passed
    assert parse_result("80", grades).grade_point == pytest.approx(2.0)
    assert parse_result("过", grades).grade_point == 2.0
    with pytest.raises(ValueError):
        parse_result("优秀", grades)


def test_attempt_order_term_then_kind(rules: Rules) -> None:
    # Listed out of order: a 重修 in a later term, a 补考 after the 正常考试 of T1.
    record = rec(
        "X",
        "高等数学(2-1)",
        C.PUBLIC_FOUNDATION,
        4,
        "30",
        "40",
        "45",
        kinds=[K.RETAKE, K.MAKEUP, K.REGULAR],
        attempt_terms=[T3, T1, T1],
    )
    last = final_attempt(record)
    assert last is not None and last.kind == K.RETAKE and last.result == "30"
    best = best_attempt(record, rules.grades)
    assert best is not None and best.result == "45"
    assert has_makeup_or_retake(record)
    assert still_failed_after_second_chance(record, rules.grades)
    assert not record_passed(record, rules.grades)


def test_counting_attempt_is_first_pass_else_final(rules: Rules) -> None:
    passed_on_makeup = rec("X", "英语(2-1)", C.PUBLIC_FOUNDATION, 4, "40", "70", "65")
    counted = counting_attempt(passed_on_makeup, rules.grades)
    assert counted is not None and counted.kind == K.MAKEUP and counted.result == "70"
    never = rec("Y", "英语(2-2)", C.PUBLIC_FOUNDATION, 4, "55", "20")
    counted = counting_attempt(never, rules.grades)
    assert counted is not None and counted.result == "20"  # final, not best
    best = best_attempt(never, rules.grades)
    assert best is not None and best.result == "55"
    assert counting_attempt(rec("Z", "无成绩", C.PUBLIC_FOUNDATION, 2), rules.grades) is None


def test_r1_second_chance(rules: Rules) -> None:
    only_regular = rec("X", "英语(2-1)", C.PUBLIC_FOUNDATION, 4, "40")
    assert not has_makeup_or_retake(only_regular)
    assert not still_failed_after_second_chance(only_regular, rules.grades)
    passed_late = rec("Y", "英语(2-2)", C.PUBLIC_FOUNDATION, 4, "40", "60")
    assert not still_failed_after_second_chance(passed_late, rules.grades)
    absent = rec("Z", "高等数学(2-2)", C.PUBLIC_FOUNDATION, 4, "40", "缺考")
    assert still_failed_after_second_chance(absent, rules.grades)


def gpa_dossier():
    return make_dossier(
        [
            rec("A", "程序设计基础", C.PROFESSIONAL_FOUNDATION, 2, "85"),  # 3.5
            rec("B", "英语(2-1)", C.PUBLIC_FOUNDATION, 4, "45", "50"),  # failed: 0
            rec("Z", "毕业教育", C.PRACTICE, 0, "90"),  # 0 credits: not counted
            rec("D", "计算机网络基础", C.PROFESSIONAL_CORE, 3, "40", "60"),  # 1.0 on 补考
            rec("E", "戏曲鉴赏(尔雅)", C.GENERAL_ELECTIVE, 2, "优秀", term=T2),  # 4.5
            rec("F", "IT新技术", C.GENERAL_ELECTIVE, 1.5, "缺考", term=T2),  # 0
        ]
    )


def test_term_gpa_formula(rules: Rules) -> None:
    dossier = gpa_dossier()
    assert term_gpa(dossier, T1, rules) == pytest.approx((2 * 3.5 + 0 + 3 * 1.0) / 9)
    assert term_gpa(dossier, T2, rules) == pytest.approx(2 * 4.5 / 3.5)
    gpas = term_gpas(dossier, rules)
    assert list(gpas) == [T1, T2]
    assert format_gpa(gpas[T1]) == "1.11"
    assert format_gpa(gpas[T2]) == "2.57"


def test_term_gpa_of_empty_term_is_zero(rules: Rules) -> None:
    assert term_gpa(gpa_dossier(), T3, rules) == 0.0


@pytest.mark.parametrize(
    ("value", "text"), [(0.8, "0.8"), (2.09, "2.09"), (2.0, "2"), (0.0, "0"), (1.165, "1.17")]
)
def test_format_gpa(value: float, text: str) -> None:
    assert format_gpa(value) == text


def exchanged_dossier():
    return make_dossier(
        [
            rec("M", "高等数学(2-1)", C.PUBLIC_FOUNDATION, 4, "45", "50"),
            rec("G1", "书法鉴赏(尔雅)", C.GENERAL_ELECTIVE, 2, "70"),
            rec("G2", "西方美术欣赏(尔雅)", C.GENERAL_ELECTIVE, 2, "80"),
            rec("P", "网络应用", C.PROFESSIONAL_EXTENSION, 3, "90"),
        ],
        applications=[app("a1", "M", [(GE, "G1"), (GE, "G2")], Status.APPROVED)],
    )


def test_exchanged_course_shows_exchange_record(rules: Rules) -> None:
    rows = {r.record.code: r for r in effective_records(exchanged_dossier(), rules)}
    m = rows["M"]
    assert m.exchanged and m.shown_result == "兑换" and m.passed
    assert m.credits_earned == 4
    assert not m.counts_in_gpa
    g1 = rows["G1"]
    assert not g1.exchanged and g1.shown_result == "70" and g1.credits_earned == 2


def test_exchanged_course_gpa_follows_counts_in_gpa(rules: Rules) -> None:
    dossier = exchanged_dossier()
    # Default: the exchanged 4 credits stay out of the GPA.
    assert term_gpa(dossier, T1, rules) == pytest.approx((2 * 2.0 + 2 * 3.0 + 3 * 4.0) / 7)
    counting = rules.model_copy(
        update={
            "exchange_record": rules.exchange_record.model_copy(
                update={"counts_in_gpa": True, "grade_point": 1.0}
            )
        }
    )
    assert term_gpa(dossier, T1, counting) == pytest.approx((4 + 6 + 12 + 4 * 1.0) / 11)
    no_credit = rules.model_copy(
        update={
            "exchange_record": rules.exchange_record.model_copy(update={"grants_credits": False})
        }
    )
    m = next(r for r in effective_records(dossier, no_credit) if r.record.code == "M")
    assert m.exchanged and not m.passed and m.credits_earned == 0


def test_credit_totals_and_spending(rules: Rules) -> None:
    dossier = make_dossier(
        [
            rec("M", "高等数学(2-1)", C.PUBLIC_FOUNDATION, 4, "45", "50"),
            rec("F", "数据库应用基础", C.PROFESSIONAL_FOUNDATION, 3, "40", "41"),
            rec("K", "路由与交换技术", C.PROFESSIONAL_CORE, 5, "75"),
            rec("G1", "书法鉴赏(尔雅)", C.GENERAL_ELECTIVE, 2, "70"),
            rec("G2", "西方美术欣赏(尔雅)", C.GENERAL_ELECTIVE, 2, "80"),
            rec("G3", "大学生领导论(尔雅)", C.GENERAL_ELECTIVE, 3, "7"),
            rec("P1", "网络应用", C.PROFESSIONAL_EXTENSION, 3, "90"),
            rec("P2", "云计算理论与应用", C.PROFESSIONAL_EXTENSION, 3, "61"),
        ],
        certificates=[cert("c1", 2, AWARD)],
        applications=[
            app("a1", "M", [(GE, "G1"), (GE, "G2")], Status.APPROVED),
            app("a2", "F", [(PX, "P1"), (AWARD, "c1")], Status.UNDER_REVIEW),
            app("a3", "F", [(PX, "P2")], Status.RETURNED),  # not live: not spent
        ],
    )
    earned = credits_by_category(dossier, rules)
    assert earned == {
        C.PUBLIC_FOUNDATION: 4,
        C.PROFESSIONAL_CORE: 5,
        C.GENERAL_ELECTIVE: 4,
        C.PROFESSIONAL_EXTENSION: 6,
    }
    totals = transcript_totals(dossier, rules)
    # G1 and G2 paid for 高等数学(2-1) (approved): their 4 credits now count once, as
    # the exchanged course's, not also as 通识选修课.  a2 is only under review.
    assert (totals.total, totals.required) == (15, 9)
    assert (totals.professional_extension, totals.general_elective) == (6, 0)
    spent = spent_credits_by_category(dossier)
    assert spent == {C.GENERAL_ELECTIVE: 4, C.PROFESSIONAL_EXTENSION: 3}
    available = available_for_graduation(dossier, rules)
    assert available[C.GENERAL_ELECTIVE] == 0
    assert available[C.PROFESSIONAL_EXTENSION] == 3
    assert available[C.PUBLIC_FOUNDATION] == 4
    # Editing a2 (as if it were not live) gives its sources back.
    assert available_for_graduation(dossier, rules, "a2")[C.PROFESSIONAL_EXTENSION] == 6
    assert ref(PX, "P1") in dossier.spent_sources()


DEFAULT_GRADES = load_rules().grades
_scores = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False).map(str)


@settings(max_examples=150, deadline=None)
@given(a=_scores, b=_scores)
def test_grade_point_in_range_and_monotone(a: str, b: str) -> None:
    grades = DEFAULT_GRADES
    va, vb = parse_result(a, grades), parse_result(b, grades)
    for v in (va, vb):
        assert 0.0 <= v.grade_point <= 5.0
        assert v.passed == (v.score is not None and v.score >= 60)
    if float(a) <= float(b):
        assert va.grade_point <= vb.grade_point
        assert not (va.passed and not vb.passed)
