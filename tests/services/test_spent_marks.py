"""After approval the credits that paid are marked spent, with their application, and
the footer's category totals add up to the courses left unmarked (issue 15, item 7);
without the UI."""

from __future__ import annotations

import re
from pathlib import Path

from credx_tui.printing import SPENT_MARK, transcript_lines
from credx_tui.services import Services, make_services
from credx_tui.services.loading import load_demo
from policy.grades import effective_records, paid_sources, transcript_totals
from policy.models import Category, Status
from policy.rules import Rules

APPROVED_STUDENT = "2023110105"
"""孙嘉怡: XF2026-0001 (高等数学(2-1)) 审核通过, paid with two 通识选修课."""


def _services(tmp_path: Path, rules: Rules) -> Services:
    store, _ = load_demo(tmp_path / "db", rules)
    return make_services(store, rules)


def test_approved_sources_are_listed_with_their_application(tmp_path, rules) -> None:
    services = _services(tmp_path, rules)
    dossier = services.dossier(services.actor_for(APPROVED_STUDENT))
    [approved] = [a for a in dossier.applications if a.status == Status.APPROVED]
    paid = paid_sources(dossier)
    assert {p.ref for p in paid} == set(approved.sources)
    assert {p.application_id for p in paid} == {"XF2026-0001"}
    assert all(p.target == "高等数学(2-1)" for p in paid)


def test_footer_general_electives_equal_the_unmarked_ones(tmp_path, rules) -> None:
    services = _services(tmp_path, rules)
    dossier = services.dossier(services.actor_for(APPROVED_STUDENT))
    spent = {p.ref.ref for p in paid_sources(dossier)}
    unmarked = sum(
        r.credits_earned
        for r in effective_records(dossier, rules)
        if r.record.category == Category.GENERAL_ELECTIVE and r.record.code not in spent
    )
    assert transcript_totals(dossier, rules).general_elective == unmarked
    lines = transcript_lines(dossier, rules, 150, "zh")
    marked = sum(len(re.findall(r"\d" + re.escape(SPENT_MARK), ln)) for ln in lines)
    assert marked == len(spent)  # a result followed by the mark, once per spent course
    assert any("XF2026-0001" in ln for ln in lines)


def test_under_review_sources_are_held_not_paid(tmp_path, rules) -> None:
    services = _services(tmp_path, rules)
    dossier = services.dossier(services.actor_for("2023110102"))  # XF2026-0002 审核中
    assert paid_sources(dossier) == []
    held = paid_sources(dossier, (Status.APPROVED, Status.UNDER_REVIEW))
    assert held and {p.application_id for p in held} == {"XF2026-0002"}
    assert all(p.status == Status.UNDER_REVIEW for p in held)
