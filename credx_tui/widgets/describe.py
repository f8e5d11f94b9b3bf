"""How applications read on screen: 认定关系, credits offered, course facts.

Pure functions over a dossier the services handed out; no Textual."""

from __future__ import annotations

from policy.dossier import Dossier
from policy.eligibility import fmt
from policy.models import ExchangeApplication, SourceRef


def source_name(dossier: Dossier, ref: SourceRef) -> tuple[str, float]:
    """Name and credits of one source the student holds (the ref itself if unknown)."""
    record = dossier.transcript.record(ref.ref)
    if record is not None:
        return record.name, record.credits
    cert = next((c for c in dossier.transcript.certificates if c.id == ref.ref), None)
    if cert is not None:
        return cert.title, cert.credits
    return ref.ref, 0.0


def relation(dossier: Dossier, app: ExchangeApplication) -> str:
    """认定关系: each source with its credits, joined by 、."""
    parts = []
    for ref in app.sources:
        name, credits = source_name(dossier, ref)
        parts.append(f"{name}({fmt(credits)})")
    return "、".join(parts)


def offered_credits(dossier: Dossier, app: ExchangeApplication) -> float:
    """Credits the application's sources add up to."""
    return sum(source_name(dossier, ref)[1] for ref in app.sources)


def course_name(dossier: Dossier, code: str) -> str:
    """The target course's name on the transcript (the code if it is not there)."""
    record = dossier.transcript.record(code)
    return record.name if record else code
