"""How applications read on screen: 认定关系, credits offered, course facts.

Pure functions over a dossier the services handed out; no Textual."""

from __future__ import annotations

from credx_tui.i18n import t
from policy import sources, workflow
from policy.dossier import Dossier
from policy.eligibility import fmt
from policy.models import ExchangeApplication, ReviewAction, ReviewEvent, SourceRef
from policy.rules import ReviewStep, Rules
from policy.sources import describe_source


def source_name(dossier: Dossier, ref: SourceRef) -> tuple[str, float]:
    """Name and credits of one source the student holds (the ref itself if unknown),
    as :func:`policy.sources.describe_source` finds it."""
    source = describe_source(dossier.transcript, ref)
    return source.name, source.credits


def joined(items: list[str], lang: str) -> str:
    """A list as a sentence lists it: 、 in Chinese, a comma in English."""
    return t("list.enumeration", lang).join(items)


def relation(dossier: Dossier, app: ExchangeApplication, lang: str = "zh") -> str:
    """认定关系: each source with its credits, joined by 、 (a comma in English)."""
    parts = []
    for ref in app.sources:
        name, credits = source_name(dossier, ref)
        parts.append(f"{name}({fmt(credits)})")
    return joined(parts, lang)


def offered_credits(dossier: Dossier, app: ExchangeApplication) -> float:
    """Credits the application's sources add up to (:func:`policy.sources.offered_credits`)."""
    return sources.offered_credits(dossier.transcript, app.sources)


def course_name(dossier: Dossier, code: str) -> str:
    """The target course's name on the transcript (the code if it is not there)."""
    record = dossier.transcript.record(code)
    return record.name if record else code


# -- rev15: review chain (R11) as the student and the reviewer read it ---------------


def step_name(step: ReviewStep, lang: str) -> str:
    """A review step's name in ``lang`` (the rules carry both)."""
    return step.name.text(lang)


def event_step_name(event: ReviewEvent, rules: Rules, lang: str) -> str:
    """The step an event names, in ``lang``: events keep the Chinese name they were
    decided under, so the English one is found in the rules by it (else kept)."""
    found = next((s for s in rules.review_steps if s.zh == event.step_name), None)
    return found.name.text(lang) if found is not None else event.step_name


def status_text(app: ExchangeApplication, rules: Rules, lang: str) -> str:
    """审核状态 with the step waiting, e.g. 审核中（教务处审核）: an application between
    steps is not yet 审核通过 (R11), and the student should see where it stands."""
    label = t(f"status.{app.status.value}", lang)
    step = workflow.current_step(app, rules)
    if step is None:
        return label
    return t("status.at_step", lang, status=label, step=step_name(step, lang))


def event_action(event: ReviewEvent, lang: str, step: str = "") -> str:
    """What an event did, in ``lang``: only the approval that ended the process reads
    审核通过; an earlier step's approval reads as that step's consent (R11), naming
    ``step`` when given (where no step column says it)."""
    if event.action == ReviewAction.APPROVE and not workflow.is_final_approval(event):
        if step:
            return t("action.approve.at_step", lang, step=step)
        return t("action.approve.step", lang)
    return t(f"action.{event.action.value}", lang)


def withdraw_hint(app: ExchangeApplication, rules: Rules, lang: str) -> str:
    """The line under 流程跟踪 for an application under review: where it stands and,
    from the rules' first step, until when it may be withdrawn (R11)."""
    first = step_name(workflow.withdraw_until(rules), lang)
    status = status_text(app, rules, lang)
    if app.step == 0:
        return t("trail.review.withdraw", lang, status=status, first=first)
    return t("trail.review.no_withdraw", lang, status=status, first=first)


def college_name(rules: Rules, lang: str) -> str:
    """The school's name in ``lang`` (the rules' ``name_en`` when it has one)."""
    return rules.college.title.text(lang)
