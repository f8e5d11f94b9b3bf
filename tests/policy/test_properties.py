"""Property tests of offers: the ratio always holds for accepted offers (R8), the
suggestion is optimal (checked by brute force), and credits are spent once."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_helpers import AWARD, COMP, GE, NOW, PX, C, app, cert, make_dossier, rec

from policy.dossier import Dossier
from policy.eligibility import available_sources
from policy.grades import available_for_graduation
from policy.models import LIVE_STATUSES, ReviewAction, SourceRef, Status
from policy.offers import Offer, OfferCheck, evaluate_offer, suggest_offer
from policy.rules import load_rules
from policy.workflow import apply

RULES = load_rules()
TARGET_CATEGORIES = [C.PUBLIC_FOUNDATION, C.PROFESSIONAL_FOUNDATION, C.PROFESSIONAL_CORE, C.PE]
half_credits = st.integers(min_value=1, max_value=10).map(lambda n: n / 2)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenarios(draw, max_sources: int = 7, live_apps: bool = True) -> tuple[Dossier, list[str]]:
    """A dossier with a few failed targets, a handful of sources (some failed, some
    held by live applications) and maybe graduation requirements."""
    records = []
    targets = []
    for i in range(draw(st.integers(1, 3))):
        cat = draw(st.sampled_from(TARGET_CATEGORIES))
        records.append(rec(f"T{i}", f"目标{i}", cat, draw(half_credits), "10", "20"))
        targets.append(f"T{i}")
    n = draw(st.integers(0, max_sources))
    certs = []
    for i in range(n):
        kind = draw(st.sampled_from(["ge", "px", "comp", "award"]))
        credits = draw(half_credits)
        if kind == "ge":
            result = draw(st.sampled_from(["80", "60", "合格", "30"]))
            records.append(rec(f"G{i}", f"选修{i}", C.GENERAL_ELECTIVE, credits, result))
        elif kind == "px":
            result = draw(st.sampled_from(["90", "61", "40"]))
            records.append(rec(f"P{i}", f"拓展{i}", C.PROFESSIONAL_EXTENSION, credits, result))
        else:
            certs.append(cert(f"c{i}", credits, COMP if kind == "comp" else AWARD))
    dossier = make_dossier(records, certs)
    if live_apps and dossier.transcript.records:
        refs = _all_refs(dossier)
        apps = []
        for j in range(draw(st.integers(0, 2))):
            held = draw(st.lists(st.sampled_from(refs), max_size=2, unique=True)) if refs else []
            status = draw(st.sampled_from(list(Status)))
            apps.append(app(f"x{j}", f"OTHER{j}", held, status))
        dossier = dossier.model_copy(update={"applications": apps})
    if draw(st.booleans()):
        # Requirements near what the student holds, so that spending matters (R7).
        before = available_for_graduation(dossier, RULES)
        graduation = {
            cat: max(0.0, before.get(cat, 0.0) - draw(st.integers(-1, 6)) / 2)
            for cat in (C.GENERAL_ELECTIVE, C.PROFESSIONAL_EXTENSION)
        }
        dossier = make_dossier(
            dossier.transcript.records,
            dossier.transcript.certificates,
            dossier.applications,
            graduation,
        )
    return dossier, targets


def _all_refs(dossier: Dossier) -> list[SourceRef]:
    refs = []
    for r in dossier.transcript.records:
        if r.category == C.GENERAL_ELECTIVE:
            refs.append(SourceRef(kind=GE, ref=r.code))
        elif r.category == C.PROFESSIONAL_EXTENSION:
            refs.append(SourceRef(kind=PX, ref=r.code))
    refs += [SourceRef(kind=c.kind, ref=c.id) for c in dossier.transcript.certificates]
    return refs


def _credits(dossier: Dossier, ref: SourceRef) -> float:
    record = dossier.transcript.record(ref.ref)
    if ref.kind in (GE, PX) and record is not None:
        return record.credits
    return next(c.credits for c in dossier.transcript.certificates if c.id == ref.ref)


@PROPS
@given(data=st.data())
def test_accepted_offer_meets_the_ratio(data) -> None:
    dossier, targets = data.draw(scenarios())
    target = data.draw(st.sampled_from(targets))
    record = dossier.transcript.record(target)
    assert record is not None
    # Mostly plausible offers (unspent allowed sources), sometimes anything at all.
    plausible = [o.ref for o in available_sources(dossier, RULES, record.category) if not o.spent]
    anything = [*_all_refs(dossier), SourceRef(kind=GE, ref="T0"), SourceRef(kind=COMP, ref="zz")]
    pool = plausible if plausible and data.draw(st.integers(0, 3)) else anything
    sources = data.draw(st.lists(st.sampled_from(pool), max_size=6))
    check = evaluate_offer(dossier, Offer(target=target, sources=sources), RULES)
    if not check.acceptable:
        assert check.reasons
        return
    needed = RULES.ratio.factor(record.category) * record.credits
    assert len(set(sources)) == len(sources) > 0
    assert sum(_credits(dossier, s) for s in sources) >= needed - 1e-9
    spent = dossier.spent_sources()
    allowed = RULES.allowed_sources(record.category)
    for s in sources:
        assert s not in spent
        assert s.kind in allowed


def _objective(dossier: Dossier, target: str, check: OfferCheck) -> tuple[float, float]:
    """(total graduation shortfall over the source categories, waste)."""
    graduation = dossier.programme.graduation if dossier.programme else {}
    before = available_for_graduation(dossier, RULES)
    touched = {e.category: e.short_by for e in check.effects}
    total = 0.0
    for cat in (C.GENERAL_ELECTIVE, C.PROFESSIONAL_EXTENSION):
        # Targets here are never electives, so nothing comes back to these categories.
        base = max(0.0, graduation.get(cat, 0.0) - before.get(cat, 0.0))
        total += touched.get(cat, base)
    return round(total, 6), round(check.waste, 6)


@PROPS
@given(data=st.data())
def test_suggestion_is_acceptable_and_optimal(data) -> None:
    dossier, targets = data.draw(scenarios(max_sources=8))
    target = data.draw(st.sampled_from(targets))
    record = dossier.transcript.record(target)
    assert record is not None
    options = [o.ref for o in available_sources(dossier, RULES, record.category) if not o.spent]
    accepted: list[OfferCheck] = []
    for size in range(1, len(options) + 1):
        for combo in itertools.combinations(options, size):
            check = evaluate_offer(dossier, Offer(target=target, sources=list(combo)), RULES)
            if check.acceptable:
                accepted.append(check)
    suggestion = suggest_offer(dossier, target, RULES)
    if not accepted:
        assert suggestion is None
        return
    assert suggestion is not None
    again = evaluate_offer(dossier, suggestion.offer, RULES)
    assert again.acceptable and again == suggestion.check
    mine = _objective(dossier, target, suggestion.check)
    assert all(mine <= _objective(dossier, target, c) for c in accepted)
    keeping = [c for c in accepted if not c.warnings]
    if keeping:
        assert suggestion.keeps_graduation
        assert suggestion.waste <= min(c.waste for c in keeping) + 1e-9
    if dossier.programme is None:
        assert suggestion.waste <= min(c.waste for c in accepted) + 1e-9


@PROPS
@given(data=st.data())
def test_credits_are_spent_once(data) -> None:
    """Simulate students' terminals: each submit is checked against the dossier as it
    is then (holding every other application); reviewers approve, return, students
    withdraw and resubmit.  No source is ever held by two live applications."""
    dossier, targets = data.draw(scenarios(max_sources=6, live_apps=False))
    refs = _all_refs(dossier)
    now = NOW
    counter = itertools.count()
    for _ in range(data.draw(st.integers(1, 12))):
        now += timedelta(minutes=1)
        apps = list(dossier.applications)
        op = data.draw(st.sampled_from(["new", "new", "approve", "return", "withdraw", "resubmit"]))
        if op == "new":
            target = data.draw(st.sampled_from(targets))
            sources = data.draw(st.lists(st.sampled_from(refs), max_size=3)) if refs else []
            if evaluate_offer(dossier, Offer(target=target, sources=sources), RULES).acceptable:
                new = app(f"a{next(counter)}", target, sources, Status.DRAFT)
                apps.append(apply(ReviewAction.SUBMIT, new, RULES, now))
        else:
            wanted = {
                "approve": Status.UNDER_REVIEW,
                "return": Status.UNDER_REVIEW,
                "withdraw": Status.UNDER_REVIEW,
                "resubmit": Status.RETURNED,
            }[op]
            candidates = [i for i, a in enumerate(apps) if a.status == wanted]
            if not candidates:
                continue
            i = data.draw(st.sampled_from(candidates))
            a = apps[i]
            if op == "approve":
                apps[i] = apply(ReviewAction.APPROVE, a, RULES, now)
            elif op == "return":
                apps[i] = apply(ReviewAction.RETURN, a, RULES, now, "退回")
            elif op == "withdraw":
                apps[i] = apply(ReviewAction.WITHDRAW, a, RULES, now)
            else:
                offer = Offer(target=a.target, sources=a.sources, application_id=a.id)
                if evaluate_offer(dossier, offer, RULES).acceptable:
                    apps[i] = apply(ReviewAction.SUBMIT, a, RULES, now)
        dossier = dossier.model_copy(update={"applications": apps})
        held: list[SourceRef] = [
            s for a in dossier.applications if a.status in LIVE_STATUSES for s in a.sources
        ]
        assert len(held) == len(set(held))
        live_targets = [a.target for a in dossier.applications if a.status in LIVE_STATUSES]
        assert len(live_targets) == len(set(live_targets))
