"""Every reason the policy gives to a demo student reads cleanly on any terminal:
no East-Asian-ambiguous glyphs of our own (style.md, 8), which "ambiguous = wide"
terminals (PuTTY, Xshell) would draw double and so shift every column."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from credx_tui.services import make_services
from credx_tui.services.loading import load_demo
from policy.eligibility import available_sources, verdicts
from policy.offers import Offer, evaluate_offer
from policy.rules import load_rules


def ambiguous(text: str) -> set[str]:
    return {ch for ch in text if unicodedata.east_asian_width(ch) == "A"}


def test_policy_messages_have_no_ambiguous_glyphs(tmp_path: Path) -> None:
    rules = load_rules()
    store, _ = load_demo(tmp_path / "db", rules)
    services = make_services(store, rules)
    seen = 0
    for student in store.students():
        dossier = services.dossier(services.actor_for(student.id))
        names = [r.name for r in dossier.transcript.records]
        names += [c.title for c in dossier.transcript.certificates]
        texts: list[str] = []
        for v in verdicts(dossier, rules):
            texts += [r.zh for r in [v.reason, *v.others]] + [r.en for r in [v.reason, *v.others]]
            options = available_sources(dossier, rules, v.category)
            for sources in ([], [o.ref for o in options[:1]]):
                check = evaluate_offer(dossier, Offer(target=v.code, sources=sources), rules)
                reasons = check.reasons + check.warnings
                texts += [r.zh for r in reasons] + [r.en for r in reasons]
        for text in texts:
            for name in names:  # the college's own course names are data, not ours
                text = text.replace(name, "")
            assert not ambiguous(text), (student.id, text)
            seen += 1
    assert seen > 100
