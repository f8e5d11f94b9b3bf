"""Offers: which credits pay for one failed course (S4; R2, R3, R4, R7, R8).

An offer names one target course (R3 is structural: there is no way to name two) and
the sources that pay for it.  :func:`evaluate_offer` lists EVERY failed condition at
once, so the student fixes the offer in one go instead of meeting the portal's dialog
again and again (R8).  It also reports what the offer does to the credits the
programme needs for graduation, and warns (R7) when it would leave the student short.
:func:`suggest_offer` proposes the offer that wastes the fewest credits without
hurting graduation.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from policy.bilingual import Bilingual
from policy.dossier import Dossier, spent_by
from policy.eligibility import (
    EPS,
    SOURCE_CATEGORIES,
    SourceOption,
    available_sources,
    course_reasons,
    fmt,
    is_course_source,
    is_self,
    needed_credits,
    only_certificates,
    ratio_met,
    spent_once,
)
from policy.grades import available_for_graduation
from policy.models import Category, CourseRecord, ExchangeApplication, SourceKind, SourceRef, Status
from policy.reasons import Reason
from policy.rules import Rules
from policy.sources import describe_source

R4_TARGETS = frozenset({Category.PE, Category.PROFESSIONAL_CORE})
"""Targets R4 names explicitly: only competition credits or award certificates pay."""


class Offer(BaseModel):
    """One target course (R3) and the sources offered to pay for it."""

    target: str = Field(min_length=1, description="校内课程代码 of the failed course")
    sources: list[SourceRef] = Field(default_factory=list)
    application_id: str | None = None
    """The application being edited, whose own sources are not 'spent' against it."""


class GraduationEffect(BaseModel):
    """What an offer does to one category's credits that count for graduation (R7)."""

    category: Category
    required: float
    available_before: float
    available_after: float
    short_by: float = Field(ge=0)


class OfferCheck(BaseModel):
    """The verdict on an offer: every failed condition, the numbers, R7 warnings."""

    acceptable: bool
    reasons: list[Reason]
    offered: float
    """Credits of the offered sources that can actually pay (exist, allowed, passed,
    unspent, listed once)."""
    needed: float
    factor: float
    waste: float
    """offered − needed when the ratio is met, else 0."""
    effects: list[GraduationEffect]
    warnings: list[Reason]

    @property
    def ratio_met(self) -> bool:
        """R8: whether the offered credits reach the needed ones (:func:`ratio_met`)."""
        return ratio_met(self.offered, self.needed)


class Suggestion(BaseModel):
    """The proposed offer and why: whether it keeps every graduation requirement, and
    by how much each touched category would fall short otherwise."""

    offer: Offer
    check: OfferCheck
    keeps_graduation: bool
    short_by: dict[Category, float]
    waste: float


def _kind_rule(kind: SourceKind) -> str:
    """The rule that governs a kind of source: certificates R4, 专业拓展课 R7, 通识选修课 R2."""
    if kind in (SourceKind.COMPETITION, SourceKind.AWARD):
        return "R4"
    if kind == SourceKind.PROFESSIONAL_EXTENSION:
        return "R7"
    return "R2"


def _not_allowed(record: CourseRecord, kind: SourceKind, label: str, rules: Rules) -> Reason:
    """Why ``kind`` cannot pay for ``record``, citing the most specific rule."""
    cat = record.category.value
    kinds = rules.allowed_sources(record.category)
    none = Bilingual("无", "nothing")
    allowed = "、".join(k.value for k in kinds) or none.zh
    allowed_en = ", ".join(k.en for k in kinds) or none.en
    cat_en = record.category.en
    if record.category in R4_TARGETS or only_certificates(rules, record.category):
        return Reason(
            rule="R4",
            zh=f"《{record.name}》属于{cat}，只能用竞赛集训学分或获奖证书兑换，不能用{label}（{kind.value}）",
            en=(
                f"{record.name} is a {cat_en} course: only competition-training credits or "
                f"award certificates pay for it, not {label} ({kind.en})"
            ),
        )
    if kind == SourceKind.PROFESSIONAL_EXTENSION:
        return Reason(
            rule="R7",
            zh=f"专业拓展课学分只能兑换专业基础课，不能兑换《{record.name}》（{cat}）",
            en=(
                "professional extension credits pay only for professional foundation "
                f"courses, not for {record.name} ({cat_en}); {label} cannot be used"
            ),
        )
    return Reason(
        rule="R2",
        zh=f"《{record.name}》（{cat}）只能用{allowed}兑换，不能用{label}（{kind.value}）",
        en=f"{record.name} ({cat_en}) can be paid only with {allowed_en}, not {label} ({kind.en})",
    )


def _graduation(
    dossier: Dossier,
    rules: Rules,
    record: CourseRecord | None,
    spend: dict[Category, float],
    application_id: str | None,
) -> list[GraduationEffect]:
    """Before/after availability for each category the offer spends from.

    The exchanged target's own credits come back when the exchange grants credits
    (a 通识选修课 paid with 通识选修课 costs only the difference)."""
    if not spend:
        return []
    before_all = available_for_graduation(dossier, rules, application_id)
    graduation = dossier.programme.graduation if dossier.programme else {}
    effects: list[GraduationEffect] = []
    for cat, amount in spend.items():
        before = before_all.get(cat, 0.0)
        bonus = (
            record.credits
            if record is not None
            and record.category == cat
            and rules.exchange_record.grants_credits
            else 0.0
        )
        after = before + bonus - amount
        required = graduation.get(cat, 0.0)
        short = max(0.0, required - after)
        effects.append(
            GraduationEffect(
                category=cat,
                required=required,
                available_before=before,
                available_after=after,
                short_by=short if short > EPS else 0.0,
            )
        )
    return effects


def _warning(effect: GraduationEffect) -> Reason:
    cat, cat_en = effect.category.value, effect.category.en
    after, req, short = fmt(effect.available_after), fmt(effect.required), fmt(effect.short_by)
    return Reason(
        rule="R7",
        zh=(
            f"兑换后你只剩{after}学分{cat}，毕业需要{req}学分，还差{short}学分；"
            f"请不要随意挥霍{cat}学分，以免无法毕业"
        ),
        en=(
            f"after this you have {after} of {req} {cat_en} credits needed to graduate "
            f"(short by {short}); spending them carelessly can keep you from graduating"
        ),
        # A reviewer reads about the student, not to them.
        staff_zh=(
            f"兑换后该生只剩{after}学分{cat}，毕业需要{req}学分，还差{short}学分；"
            "批准后该生可能无法按期毕业"
        ),
        staff_en=(
            f"after this the student has {after} of {req} {cat_en} credits needed to "
            f"graduate (short by {short}); approving it can keep them from graduating"
        ),
    )


def evaluate_offer(dossier: Dossier, offer: Offer, rules: Rules) -> OfferCheck:
    """Check an offer against every condition and return all that fail.

    The target must be on the transcript and exchangeable (R5, matrix, R1, R11); the
    sources must be non-empty, listed once, held by the student, of a kind the matrix
    allows for the target (R4 / R7 / R2), passed, not held by another live application
    (credits are spent once), not the target itself, and together reach factor ×
    credits (R8).  An acceptable offer may still carry R7 graduation warnings.
    """
    reasons: list[Reason] = []
    record = dossier.transcript.record(offer.target)
    if record is None:
        reasons.append(
            Reason(
                rule="R9",
                zh=f"课程 {offer.target} 不在你的成绩单上，不能申请兑换",
                en=f"course {offer.target} is not on your transcript and cannot be exchanged",
                staff_zh=f"课程 {offer.target} 不在该生的成绩单上，不能申请兑换",
                staff_en=(
                    f"course {offer.target} is not on the student's transcript "
                    "and cannot be exchanged"
                ),
            )
        )
        factor, needed = rules.ratio.default, 0.0
    else:
        reasons.extend(course_reasons(dossier, record, rules, offer.application_id))
        factor, needed = rules.ratio.factor(record.category), needed_credits(record, rules)

    if not offer.sources:
        reasons.append(
            Reason(
                rule="R8",
                zh=f"未选择用于兑换的学分（需要{fmt(needed)}学分）",
                en=f"no credits offered ({fmt(needed)} needed)",
            )
        )

    spent = dossier.spent_sources(offer.application_id)
    approved = dossier.approved_targets()
    seen: set[SourceRef] = set()
    offered = 0.0
    spend: dict[Category, float] = {}
    for ref in offer.sources:
        if ref in seen:
            reasons.append(
                Reason(
                    rule="R8",
                    zh=f"{ref.kind.value} {ref.ref} 重复选择；每份学分只能计算一次",
                    en=f"{ref.kind.en} {ref.ref} is listed twice; credits count once",
                )
            )
            continue
        seen.add(ref)
        if record is not None and is_self(ref, record):
            reasons.append(
                Reason(
                    rule="R8",
                    zh=f"《{record.name}》不能用它自己的学分兑换",
                    en=f"{record.name} cannot pay for itself",
                )
            )
            continue
        found = describe_source(dossier.transcript, ref)
        if not found.held:
            reasons.append(
                Reason(
                    rule=_kind_rule(ref.kind),
                    zh=f"你的记录中没有{ref.kind.value} {ref.ref}",
                    en=f"there is no {ref.kind.en} {ref.ref} on your record",
                    staff_zh=f"该生的记录中没有{ref.kind.value} {ref.ref}",
                    staff_en=f"there is no {ref.kind.en} {ref.ref} on the student's record",
                )
            )
            continue
        name, credits, category = found.name, found.credits, found.category
        ok = True
        if record is not None and ref.kind not in rules.allowed_sources(record.category):
            reasons.append(_not_allowed(record, ref.kind, name, rules))
            ok = False
        if ref.kind in SOURCE_CATEGORIES:
            assert found.record is not None  # a held course source
            if not is_course_source(found.record, rules, approved):
                reasons.append(
                    Reason(
                        rule=_kind_rule(ref.kind),
                        zh=f"《{name}》未通过（或本身是兑换所得），其学分不能用于兑换",
                        en=(
                            f"{name} is not passed (or was itself exchanged); its credits "
                            "cannot pay"
                        ),
                    )
                )
                ok = False
        if ref in spent:
            holder = dossier.application(spent[ref])
            reasons.append(spent_once(name, spent[ref], holder.status if holder else None))
            ok = False
        if ok:
            offered += credits
            if category is not None:
                spend[category] = spend.get(category, 0.0) + credits

    if record is not None and offer.sources and not ratio_met(offered, needed):
        reasons.append(
            Reason(
                rule="R8",
                zh=(
                    f"可用于兑换的学分为{fmt(offered)}，不满足兑换比例：《{record.name}》"
                    f"{fmt(record.credits)}学分乘以兑换比例{fmt(factor)}，需要{fmt(needed)}学分；请重新选择"
                ),
                en=(
                    f"the offered credits ({fmt(offered)}) do not satisfy the exchange ratio: "
                    f"{record.name} {fmt(record.credits)} credits at ratio {fmt(factor)} "
                    f"need {fmt(needed)}; pick again"
                ),
            )
        )

    effects = _graduation(dossier, rules, record, spend, offer.application_id)
    warnings = [_warning(e) for e in effects if e.short_by > 0]
    return OfferCheck(
        acceptable=not reasons,
        reasons=reasons,
        offered=offered,
        needed=needed,
        factor=factor,
        waste=max(0.0, offered - needed),
        effects=effects,
        warnings=warnings,
    )


def _scale(credits: Sequence[float]) -> int:
    """The smallest factor that makes every credit an integer (credits are multiples
    of 0.5, so normally 2)."""
    for scale in (1, 2, 4, 10, 20, 100):
        if all(abs(c * scale - round(c * scale)) < 1e-6 for c in credits):
            return scale
    return 100


def _subset_sums(units: list[int], cap: int) -> dict[int, tuple[int, ...]]:
    """0/1 subset-sum DP: each reachable sum ≤ cap → a subset (indices) with the fewest
    items reaching it."""
    best: dict[int, tuple[int, ...]] = {0: ()}
    for i, u in enumerate(units):
        for total, picked in list(best.items()):
            new = total + u
            if new > cap:
                continue
            if new not in best or len(picked) + 1 < len(best[new]):
                best[new] = (*picked, i)
    return best


def suggest_offer(
    dossier: Dossier, target: str, rules: Rules, application_id: str | None = None
) -> Suggestion | None:
    """The acceptable offer that keeps every graduation requirement and wastes the
    fewest credits; if none keeps them, the one with the smallest total shortfall, then
    the least waste (then the fewest sources).  None when no acceptable offer exists.

    Exact: sources are grouped by the graduation category they draw on (certificates
    draw on none); a subset-sum DP per group (credits scaled to integers) gives every
    reachable sum, and the groups' sums are combined.  Only sums up to the smallest one
    that alone reaches the need matter, so this stays tiny for ~30 sources.
    """
    record = dossier.transcript.record(target)
    if record is None or course_reasons(dossier, record, rules, application_id):
        return None
    options = [
        o
        for o in available_sources(dossier, rules, record.category, application_id)
        if not o.spent and o.credits > 0 and not is_self(o.ref, record)
    ]
    if not options:
        return None
    needed = needed_credits(record, rules)
    scale = _scale([o.credits for o in options] + [needed])
    need_units = max(1, math.ceil(needed * scale - 1e-6))

    keys: list[Category | None] = []
    members: dict[Category | None, list[int]] = {}
    for idx, option in enumerate(options):
        if option.category not in members:
            keys.append(option.category)
            members[option.category] = []
        members[option.category].append(idx)
    # The last group takes the smallest sum that completes the need: exact in any
    # order, because shortfall and waste only grow with a group's sum.  Certificates
    # (no graduation cost) go last so the enumerated groups are the few course ones.
    keys.sort(key=lambda k: k is None)

    group_sums: list[dict[int, tuple[int, ...]]] = []
    sorted_sums: list[list[int]] = []
    for key in keys:
        units = [round(options[i].credits * scale) for i in members[key]]
        sums = _subset_sums(units, need_units + max(units) - 1)
        ordered = sorted(sums)
        cut = bisect.bisect_left(ordered, need_units)
        group_sums.append(sums)
        sorted_sums.append(ordered[: cut + 1])

    before_all = available_for_graduation(dossier, rules, application_id)
    graduation = dossier.programme.graduation if dossier.programme else {}

    def shortfall(key: Category | None, units: int) -> float:
        """Credits a category would lack for graduation after spending ``units`` of it."""
        if key is None:
            return 0.0
        bonus = (
            record.credits
            if record.category == key and rules.exchange_record.grants_credits
            else 0.0
        )
        after = before_all.get(key, 0.0) + bonus - units / scale
        short = graduation.get(key, 0.0) - after
        return short if short > EPS else 0.0

    best_key: tuple[float, float, int] | None = None
    best_pick: list[int] | None = None

    def consider(chosen: list[int]) -> None:
        """Keep ``chosen`` (one sum per group) if it beats the best so far."""
        nonlocal best_key, best_pick
        total = sum(chosen)
        if total < need_units:
            return
        short = sum(shortfall(k, s) for k, s in zip(keys, chosen, strict=True))
        count = sum(len(g[s]) for g, s in zip(group_sums, chosen, strict=True))
        cand = (round(short, 6), round(total / scale - needed, 6), count)
        if best_key is None or cand < best_key:
            best_key, best_pick = cand, list(chosen)

    def walk(level: int, chosen: list[int]) -> None:
        """Enumerate the groups' sums; the last group takes the smallest that completes."""
        total = sum(chosen)
        if level == len(keys) - 1:
            ordered = sorted_sums[level]
            pos = bisect.bisect_left(ordered, max(0, need_units - total))
            if pos < len(ordered):
                consider([*chosen, ordered[pos]])
            return
        for s in sorted_sums[level]:
            if total >= need_units and s > 0:
                break
            walk(level + 1, [*chosen, s])

    walk(0, [])
    if best_pick is None:
        return None
    picked: set[int] = set()
    for key, group, s in zip(keys, group_sums, best_pick, strict=True):
        picked.update(members[key][j] for j in group[s])
    offer = Offer(
        target=target,
        sources=[options[i].ref for i in sorted(picked)],
        application_id=application_id,
    )
    check = evaluate_offer(dossier, offer, rules)
    if not check.acceptable:  # pragma: no cover - would be a bug in the search above
        return None
    return Suggestion(
        offer=offer,
        check=check,
        keeps_graduation=not check.warnings,
        short_by={e.category: e.short_by for e in check.effects},
        waste=check.waste,
    )


def double_spend(
    app: ExchangeApplication, applications: Iterable[ExchangeApplication]
) -> Reason | None:
    """R8 at approval: sources of ``app`` that another live application of the student
    holds (credits are spent once; :func:`~policy.dossier.spent_by` says which hold
    what).  The services ask it under the lock before the approval is written."""
    held = spent_by(applications, app.id)
    clash = [ref.ref for ref in app.sources if ref in held]
    if not clash:
        return None
    return Reason(
        rule="R8",
        zh=f"学分已被其他申请使用：{'、'.join(clash)}",
        en=f"credits already spent by another application: {', '.join(clash)}",
    )


def check_one_at_a_time(dossier: Dossier, application_id: str | None = None) -> Reason | None:
    """R3: each application is submitted before the next is started.  Starting (or
    saving) another while a 无流程 draft exists is refused, naming the draft's course;
    ``application_id`` is the draft being edited, which does not count against itself."""
    for app in dossier.applications:
        if app.status != Status.DRAFT or app.id == application_id:
            continue
        record = dossier.transcript.record(app.target)
        course = record.name if record else app.target
        return Reason(
            rule="R3",
            zh=(
                f"你已有一份未提交的申请（《{course}》，{app.id}）；每门课程单独申请，"
                "请先提交或删除它，再申请下一门课程"
            ),
            en=(
                f"you already have an unsubmitted application ({course}, {app.id}); one "
                "course per application, each submitted before the next is started: submit "
                "or delete it first"
            ),
        )
    return None


__all__ = [
    "GraduationEffect",
    "Offer",
    "OfferCheck",
    "SourceOption",
    "Suggestion",
    "check_one_at_a_time",
    "double_spend",
    "evaluate_offer",
    "suggest_offer",
]
