"""Eligibility: one verdict per transcript course, the deciding rule first (R1, R2, R4,
R5, R8, R9, R11)."""

from __future__ import annotations

import pytest
from policy_helpers import (
    AWARD,
    COMP,
    GE,
    PX,
    C,
    app,
    cert,
    make_dossier,
    rec,
    ref,
    standard_records,
)

from policy.eligibility import available_sources, exchangeable_courses, verdict_for, verdicts
from policy.models import Status
from policy.rules import Rules


def rules_of(verdict) -> list[str]:
    return [r.rule for r in verdict.reasons]


def test_one_verdict_per_record_in_transcript_order(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    got = verdicts(dossier, rules)
    assert [v.code for v in got] == [r.code for r in dossier.transcript.records]


def test_exchangeable_course_has_positive_reason(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "MATH", rules)
    assert v.exchangeable and v.rule is None and v.others == []
    assert v.reason.rule == "R1" and "可申请兑换" in v.reason.zh
    assert v.available_credits == 5.5  # GE1 2 + GE2 2 + GE3 1.5; GEF failed
    assert v.needed_credits == 4
    assert (v.course, v.category, v.credits) == ("高等数学(2-1)", C.PUBLIC_FOUNDATION, 4)


def test_r5_excluded_names_the_clause(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "MIL", rules)
    assert not v.exchangeable and v.rule == "R5"
    assert "rules.excluded.military" in v.reason.zh
    assert "rules.excluded.military" in v.reason.en
    assert v.others == []


def test_r5_comes_first_and_others_follow(rules: Rules) -> None:
    # Passed and excluded (形势与政策 prefix); 思政 is also outside the matrix.
    dossier = make_dossier([rec("XS", "形势与政策(2-1)", C.IDEOLOGY, 1, "80")])
    v = verdict_for(dossier, "XS", rules)
    assert v.rule == "R5" and "rules.excluded.marxism" in v.reason.en
    assert rules_of(v) == ["R5", "R2", "R1"]


def test_category_outside_matrix_is_r2(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "PRAC", rules)
    assert v.rule == "R2" and "no exchange source" in v.reason.en
    assert v.others == []


def test_passed_is_r1(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "PASS", rules)
    assert v.rule == "R1" and "已通过" in v.reason.zh and "passed" in v.reason.en


def test_failed_without_second_chance_is_r1(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "ENG", rules)
    assert v.rule == "R1" and "补考" in v.reason.zh and "sit one first" in v.reason.en


def test_no_result_yet_is_r1(rules: Rules) -> None:
    dossier = make_dossier(
        [*standard_records(), rec("NEW", "英语听力视听说", C.PUBLIC_FOUNDATION, 4)]
    )
    v = verdict_for(dossier, "NEW", rules)
    assert v.rule == "R1" and "no result" in v.reason.en


def test_approved_exchange_is_r11(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(),
        applications=[app("a1", "MATH", [(GE, "GE1"), (GE, "GE2")], Status.APPROVED)],
    )
    v = verdict_for(dossier, "MATH", rules)
    assert v.rule == "R11" and "已兑换" in v.reason.zh
    assert "R1" not in rules_of(v)


def test_under_review_is_r11(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(),
        applications=[app("a1", "MATH", [(GE, "GE1"), (GE, "GE2")], Status.UNDER_REVIEW)],
    )
    v = verdict_for(dossier, "MATH", rules)
    assert v.rule == "R11" and "under review" in v.reason.en
    # Its own sources are held: only GE3 (1.5) is left, so R8 also says no.
    assert rules_of(v) == ["R11", "R8"]
    # Editing that application, the course is fine again.
    assert verdict_for(dossier, "MATH", rules, exclude_application_id="a1").exchangeable


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_draft_or_returned_does_not_block(rules: Rules, status: Status) -> None:
    dossier = make_dossier(
        standard_records(), applications=[app("a1", "MATH", [(GE, "GE1")], status)]
    )
    v = verdict_for(dossier, "MATH", rules)
    assert v.exchangeable and v.available_credits == 5.5


def test_pe_without_certificates_is_r4(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "PE1", rules)
    assert v.rule == "R4" and "竞赛集训学分或获奖证书" in v.reason.zh
    # General electives do not count for PE.
    assert v.available_credits == 0


def test_pe_with_certificate(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), certificates=[cert("c1", 2)])
    assert verdict_for(dossier, "PE1", rules).exchangeable


def test_core_needs_ratio_15_r8(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), certificates=[cert("c1", 3, AWARD)])
    v = verdict_for(dossier, "CORE", rules)
    assert v.rule == "R8" and v.needed_credits == 4.5 and v.available_credits == 3
    assert "4.5" in v.reason.zh and "3" in v.reason.zh
    assert "4.5" in v.reason.en


def test_total_short_is_r8(rules: Rules) -> None:
    records = [r for r in standard_records() if r.code not in {"GE1", "GE2"}]
    v = verdict_for(make_dossier(records), "MATH", rules)
    assert v.rule == "R8" and v.available_credits == 1.5
    assert "1.5" in v.reason.en and "4" in v.reason.en


def test_foundation_with_extension_credits(rules: Rules) -> None:
    v = verdict_for(make_dossier(standard_records()), "FND", rules)
    assert v.exchangeable and v.available_credits == 7


def test_foundation_without_extension_or_certificates_is_r2(rules: Rules) -> None:
    records = [r for r in standard_records() if r.code not in {"PX1", "PX2"}]
    v = verdict_for(make_dossier(records), "FND", rules)
    assert v.rule == "R2" and "专业拓展课" in v.reason.zh


def test_spent_sources_are_marked_and_not_available(rules: Rules) -> None:
    records = [
        *standard_records(),
        rec("FN2", "云计算概论", C.PROFESSIONAL_FOUNDATION, 2, "1", "2"),
    ]
    dossier = make_dossier(
        records,
        applications=[app("a9", "FND", [(PX, "PX1"), (PX, "PX2")], Status.UNDER_REVIEW)],
    )
    options = available_sources(dossier, rules, C.PROFESSIONAL_FOUNDATION)
    assert [(o.ref.ref, o.spent, o.spent_by) for o in options] == [
        ("PX1", True, "a9"),
        ("PX2", True, "a9"),
    ]
    v = verdict_for(dossier, "FN2", rules)
    assert v.rule == "R2" and "审核中" in v.reason.zh and v.available_credits == 0
    # The application being edited does not spend its own sources.
    options = available_sources(dossier, rules, C.PROFESSIONAL_FOUNDATION, "a9")
    assert not any(o.spent for o in options)


def test_available_sources_lists_allowed_kinds_only(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), certificates=[cert("c1", 2), cert("c2", 1, AWARD)])
    public = available_sources(dossier, rules, C.PUBLIC_FOUNDATION)
    assert [o.ref for o in public] == [ref(GE, "GE1"), ref(GE, "GE2"), ref(GE, "GE3")]
    foundation = available_sources(dossier, rules, C.PROFESSIONAL_FOUNDATION)
    assert [o.ref for o in foundation] == [
        ref(PX, "PX1"),
        ref(PX, "PX2"),
        ref(COMP, "c1"),
        ref(AWARD, "c2"),
    ]
    assert foundation[2].category is None and foundation[0].category == C.PROFESSIONAL_EXTENSION
    assert available_sources(dossier, rules, C.PRACTICE) == []


def test_an_exchanged_elective_pays_for_nothing(rules: Rules) -> None:
    records = [
        rec("GX", "UI设计", C.GENERAL_ELECTIVE, 3, "10", "20"),
        rec("GA", "无人机技术", C.GENERAL_ELECTIVE, 3, "90"),
        rec("M", "高等数学(2-2)", C.PUBLIC_FOUNDATION, 3, "10", "20"),
    ]
    dossier = make_dossier(records, applications=[app("a1", "GX", [(GE, "GA")], Status.APPROVED)])
    options = available_sources(dossier, rules, C.PUBLIC_FOUNDATION)
    # GX counts as passed (兑换) but is not a source; GA is listed, spent by a1.
    assert [(o.ref.ref, o.spent) for o in options] == [("GA", True)]


def test_exchangeable_courses_is_what_the_picker_shows(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), certificates=[cert("c1", 5)])
    assert [v.code for v in exchangeable_courses(dossier, rules)] == ["MATH", "PE1", "CORE", "FND"]


def test_unknown_course_raises(rules: Rules) -> None:
    with pytest.raises(KeyError, match="NOPE"):
        verdict_for(make_dossier(standard_records()), "NOPE", rules)
