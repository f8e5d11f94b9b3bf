"""Offers: every failed condition at once (R2, R4, R7, R8, R9, R11), graduation
effects (R7), suggestions, and R3's one-at-a-time."""

from __future__ import annotations

import time

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

from policy.models import Status
from policy.offers import Offer, check_one_at_a_time, evaluate_offer, suggest_offer
from policy.rules import Rules


def rule_ids(check) -> list[str]:
    return [r.rule for r in check.reasons]


def test_acceptable_offer(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    check = evaluate_offer(
        dossier, Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2")]), rules
    )
    assert check.acceptable and check.reasons == []
    assert (check.offered, check.needed, check.factor, check.waste) == (4, 4, 1.0, 0)
    assert check.warnings == []


def test_ratio_r8_states_both_numbers(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    check = evaluate_offer(dossier, Offer(target="MATH", sources=[ref(GE, "GE1")]), rules)
    assert not check.acceptable and rule_ids(check) == ["R8"]
    assert "2" in check.reasons[0].zh and "4" in check.reasons[0].zh
    assert "(2)" in check.reasons[0].en and "need 4" in check.reasons[0].en
    assert check.offered == 2 and check.waste == 0


def test_core_ratio_factor(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), certificates=[cert("c1", 3), cert("c2", 1.5, AWARD)])
    short = evaluate_offer(dossier, Offer(target="CORE", sources=[ref(COMP, "c1")]), rules)
    assert rule_ids(short) == ["R8"] and short.needed == 4.5 and short.factor == 1.5
    ok = evaluate_offer(
        dossier, Offer(target="CORE", sources=[ref(COMP, "c1"), ref(AWARD, "c2")]), rules
    )
    assert ok.acceptable


def test_empty_offer_is_refused(rules: Rules) -> None:
    check = evaluate_offer(make_dossier(standard_records()), Offer(target="MATH"), rules)
    assert rule_ids(check) == ["R8"] and "no credits offered" in check.reasons[0].en


def test_duplicate_source_is_refused(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    offer = Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE1"), ref(GE, "GE2")])
    check = evaluate_offer(dossier, offer, rules)
    assert rule_ids(check) == ["R8"] and "twice" in check.reasons[0].en
    assert check.offered == 4  # counted once


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        (ref(GE, "NOPE"), "R2"),
        (ref(GE, "PX1"), "R2"),  # a 专业拓展课 posing as 通识选修课
        (ref(COMP, "c404"), "R4"),
        (ref(PX, "NOPE"), "R7"),
    ],
)
def test_source_must_exist_as_claimed(rules: Rules, source, rule: str) -> None:
    dossier = make_dossier(standard_records())
    check = evaluate_offer(
        dossier, Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2"), source]), rules
    )
    assert rule_ids(check) == [rule] and "no " in check.reasons[0].en


_MATH_PAD = (ref(GE, "GE1"), ref(GE, "GE2"))


@pytest.mark.parametrize(
    ("target", "pad", "source", "rule"),
    [
        ("MATH", _MATH_PAD, ref(PX, "PX2"), "R7"),  # 专业拓展课 only pays for 专业基础课
        ("MATH", _MATH_PAD, ref(COMP, "c1"), "R2"),
        ("PE1", (ref(COMP, "c9"),), ref(GE, "GE1"), "R4"),
        ("PE1", (ref(COMP, "c9"),), ref(PX, "PX2"), "R4"),  # PE: R4 even for 专业拓展课
        ("CORE", (ref(COMP, "c9"),), ref(PX, "PX2"), "R4"),
        ("FND", (ref(PX, "PX2"),), ref(GE, "GE1"), "R2"),
    ],
)
def test_source_kind_must_be_allowed(rules: Rules, target: str, pad, source, rule: str) -> None:
    """The pad alone meets the ratio, so the kind is the only failed condition."""
    dossier = make_dossier(standard_records(), certificates=[cert("c1", 6), cert("c9", 6)])
    check = evaluate_offer(dossier, Offer(target=target, sources=[*pad, source]), rules)
    assert rule_ids(check) == [rule], check.reasons


def test_failed_course_cannot_pay(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    offer = Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2"), ref(GE, "GEF")])
    check = evaluate_offer(dossier, offer, rules)
    assert rule_ids(check) == ["R2"] and "not passed" in check.reasons[0].en


def test_spent_source_is_refused(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(),
        applications=[app("a1", "ENG", [(GE, "GE1")], Status.UNDER_REVIEW)],
    )
    offer = Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2"), ref(GE, "GE3")])
    check = evaluate_offer(dossier, offer, rules)
    assert "spent once" in check.reasons[0].en and "a1" in check.reasons[0].zh
    # Without GE1 only 3.5 of 4 remain: the ratio fails too.
    assert rule_ids(check) == ["R8", "R8"] and check.offered == 3.5


def test_returned_application_does_not_spend(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(), applications=[app("a1", "ENG", [(GE, "GE1")], Status.RETURNED)]
    )
    offer = Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2")])
    assert evaluate_offer(dossier, offer, rules).acceptable


def test_editing_an_application_keeps_its_own_sources(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(),
        applications=[app("a1", "MATH", [(GE, "GE1"), (GE, "GE2")], Status.UNDER_REVIEW)],
    )
    offer = Offer(target="MATH", sources=[ref(GE, "GE1"), ref(GE, "GE2")])
    refused = evaluate_offer(dossier, offer, rules)
    assert "R11" in rule_ids(refused)
    edited = offer.model_copy(update={"application_id": "a1"})
    assert evaluate_offer(dossier, edited, rules).acceptable


def test_target_cannot_pay_for_itself(rules: Rules) -> None:
    records = [
        rec("GX", "UI设计", C.GENERAL_ELECTIVE, 3, "10", "20"),
        rec("GA", "无人机技术", C.GENERAL_ELECTIVE, 3, "90"),
    ]
    check = evaluate_offer(
        make_dossier(records), Offer(target="GX", sources=[ref(GE, "GA"), ref(GE, "GX")]), rules
    )
    assert rule_ids(check) == ["R8"] and "itself" in check.reasons[0].en


def test_ineligible_target_brings_its_reasons(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    check = evaluate_offer(
        dossier, Offer(target="ENG", sources=[ref(GE, "GE1"), ref(GE, "GE2")]), rules
    )
    assert rule_ids(check) == ["R1"]
    check = evaluate_offer(
        dossier, Offer(target="MIL", sources=[ref(GE, "GE1"), ref(GE, "GE2")]), rules
    )
    assert rule_ids(check) == ["R5"]


def test_target_not_on_transcript_is_r9(rules: Rules) -> None:
    check = evaluate_offer(
        make_dossier(standard_records()), Offer(target="NOPE", sources=[ref(GE, "GE1")]), rules
    )
    assert rule_ids(check) == ["R9"] and not check.acceptable


def test_every_failed_condition_is_listed_at_once(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(),
        certificates=[cert("c1", 2)],
        applications=[app("a1", "ENG", [(GE, "GE2")], Status.APPROVED)],
    )
    offer = Offer(
        target="MATH",
        sources=[
            ref(GE, "GE3"),  # fine: 1.5
            ref(GE, "GE3"),  # duplicate (R8)
            ref(GE, "GE2"),  # spent by a1 (R8)
            ref(GE, "GEF"),  # failed (R2)
            ref(PX, "PX1"),  # 专业拓展课 for a public course (R7)
            ref(COMP, "c1"),  # certificate for a public course (R2)
            ref(GE, "NOPE"),  # not on the record (R2)
        ],
    )
    check = evaluate_offer(dossier, offer, rules)
    assert not check.acceptable
    assert rule_ids(check) == ["R8", "R8", "R2", "R7", "R2", "R2", "R8"]
    assert check.offered == 1.5
    texts = " | ".join(r.en for r in check.reasons)
    for needle in (
        "twice",
        "spent once",
        "not passed",
        "pay only for professional foundation courses",
        "NOPE",
        "need 4",
    ):
        assert needle in texts


def test_r7_warning_when_extension_credits_fall_below_graduation(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), graduation={C.PROFESSIONAL_EXTENSION: 6})
    check = evaluate_offer(dossier, Offer(target="FND", sources=[ref(PX, "PX1")]), rules)
    assert check.acceptable  # a warning, not a refusal
    (effect,) = check.effects
    assert effect.category == C.PROFESSIONAL_EXTENSION
    assert (effect.required, effect.available_before, effect.available_after, effect.short_by) == (
        6,
        7,
        4,
        2,
    )
    (warning,) = check.warnings
    assert warning.rule == "R7"
    assert (
        "after this you have 4 of 6 professional extension credits needed to graduate" in warning.en
    )
    assert "4学分专业拓展课" in warning.zh and "6学分" in warning.zh


def test_no_warning_when_requirement_still_met(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), graduation={C.PROFESSIONAL_EXTENSION: 4})
    check = evaluate_offer(dossier, Offer(target="FND", sources=[ref(PX, "PX1")]), rules)
    assert check.acceptable and check.warnings == [] and check.effects[0].short_by == 0


def test_graduation_counts_the_exchanged_target_back(rules: Rules) -> None:
    records = [
        rec("GX", "UI设计", C.GENERAL_ELECTIVE, 3, "10", "20"),
        rec("GA", "无人机技术", C.GENERAL_ELECTIVE, 3, "90"),
    ]
    dossier = make_dossier(records, graduation={C.GENERAL_ELECTIVE: 3})
    check = evaluate_offer(dossier, Offer(target="GX", sources=[ref(GE, "GA")]), rules)
    assert check.acceptable and check.warnings == []
    assert check.effects[0].available_after == 3


def test_suggest_wastes_least(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    s = suggest_offer(dossier, "MATH", rules)
    assert s is not None and s.keeps_graduation and s.waste == 0
    assert set(s.offer.sources) == {ref(GE, "GE1"), ref(GE, "GE2")}
    assert s.check.acceptable


def test_suggest_spares_scarce_extension_credits(rules: Rules) -> None:
    dossier = make_dossier(
        standard_records(),
        certificates=[cert("c1", 3.5)],
        graduation={C.PROFESSIONAL_EXTENSION: 7},
    )
    s = suggest_offer(dossier, "FND", rules)
    assert s is not None and s.offer.sources == [ref(COMP, "c1")]
    assert s.keeps_graduation and s.waste == 0.5
    # Without a requirement the exact PX1 (waste 0) wins.
    loose = make_dossier(standard_records(), certificates=[cert("c1", 3.5)])
    s = suggest_offer(loose, "FND", rules)
    assert s is not None and s.offer.sources == [ref(PX, "PX1")] and s.waste == 0


def test_suggest_least_shortfall_when_nothing_keeps_graduation(rules: Rules) -> None:
    dossier = make_dossier(standard_records(), graduation={C.PROFESSIONAL_EXTENSION: 7})
    s = suggest_offer(dossier, "FND", rules)
    assert s is not None and not s.keeps_graduation
    assert s.offer.sources == [ref(PX, "PX1")]  # 3 short, not 4 with PX2
    assert s.short_by == {C.PROFESSIONAL_EXTENSION: 3}
    assert s.check.warnings[0].rule == "R7"


def test_suggest_none_when_no_acceptable_offer(rules: Rules) -> None:
    dossier = make_dossier(standard_records())
    for target in ("ENG", "PE1", "MIL", "PASS", "NOPE"):
        assert suggest_offer(dossier, target, rules) is None
    records = [r for r in standard_records() if r.code not in {"GE1", "GE2"}]
    assert suggest_offer(make_dossier(records), "MATH", rules) is None


def test_suggest_is_fast_for_30_sources(rules: Rules) -> None:
    records = [rec("M", "高等数学(2-1)", C.PUBLIC_FOUNDATION, 6, "10", "20")]
    records += [
        rec(f"G{i:02d}", f"选修{i}", C.GENERAL_ELECTIVE, 0.5 + (i * 7 % 9) * 0.5, "80")
        for i in range(30)
    ]
    dossier = make_dossier(records, graduation={C.GENERAL_ELECTIVE: 20})
    best = min(_timed(lambda: suggest_offer(dossier, "M", rules)) for _ in range(5))
    assert best < 0.05
    s = suggest_offer(dossier, "M", rules)
    assert s is not None and s.waste == 0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_r3_one_draft_at_a_time() -> None:
    dossier = make_dossier(
        standard_records(),
        applications=[
            app("a1", "MATH", [(GE, "GE1")], Status.DRAFT),
            app("a2", "FND", [(PX, "PX1")], Status.RETURNED),
        ],
    )
    reason = check_one_at_a_time(dossier)
    assert reason is not None and reason.rule == "R3"
    assert "高等数学(2-1)" in reason.zh and "a1" in reason.en
    assert check_one_at_a_time(dossier, application_id="a1") is None
    only_returned = make_dossier(
        standard_records(), applications=[app("a2", "FND", [], Status.RETURNED)]
    )
    assert check_one_at_a_time(only_returned) is None


def test_suggest_prefers_fewer_sources_on_equal_waste(rules: Rules) -> None:
    records = [
        rec("M", "高等数学(2-2)", C.PUBLIC_FOUNDATION, 4, "10", "20"),
        rec("G1", "选修一", C.GENERAL_ELECTIVE, 2, "80"),
        rec("G2", "选修二", C.GENERAL_ELECTIVE, 2, "80"),
        rec("G4", "选修四", C.GENERAL_ELECTIVE, 4, "80"),
    ]
    s = suggest_offer(make_dossier(records), "M", rules)
    assert s is not None and s.offer.sources == [ref(GE, "G4")]
