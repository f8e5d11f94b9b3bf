"""The transcript as it was when an application was submitted (issue 12, item 2).

A term update can bring a new 补考 or 重修 result, change a course's credits or take a
certificate away after a student submitted.  The reviewer decides on the transcript as
it is now, but must be told that it is not the one the student applied with, and what
moved.  At submit, :func:`fingerprint` keeps a SHA-256 of the whole transcript and a
small copy of the entries the application rests on (the target course and every
source, each with its own hash); :func:`drift` compares that with the transcript now.

The hashes cover what decides an exchange (names, categories, credits, every sitting
with its result and term, a certificate's kind, credits and date), in an order that
does not depend on how an import happened to list them, so re-importing the same
transcript is no change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from policy.models import (
    Attempt,
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    SourceKind,
    Status,
    SubmittedEntry,
    Transcript,
    TranscriptFingerprint,
)

CERTIFICATE_KINDS = (SourceKind.COMPETITION, SourceKind.AWARD)


def _digest(value: object) -> str:
    # orjson: a submit or an import of thousands of applications hashes whole
    # transcripts; the stdlib's json took most of that time.
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _sittings(attempts: list[Attempt]) -> list[list[object]]:
    return sorted([a.kind.value, a.result, a.term.year, a.term.semester] for a in attempts)


def _record_value(record: CourseRecord) -> dict[str, object]:
    return {
        "code": record.code,
        "name": record.name,
        "category": record.category.value,
        "credits": record.credits,
        "attempts": _sittings(record.attempts),
    }


def _certificate_value(cert: CreditCertificate) -> dict[str, object]:
    return {
        "id": cert.id,
        "kind": cert.kind.value,
        "title": cert.title,
        "credits": cert.credits,
        "date": cert.date,
    }


def transcript_digest(transcript: Transcript) -> str:
    """SHA-256 of everything on the transcript that an exchange can depend on."""
    return _digest(
        {
            "records": sorted(
                (_record_value(r) for r in transcript.records), key=lambda v: str(v["code"])
            ),
            "certificates": sorted(
                (_certificate_value(c) for c in transcript.certificates),
                key=lambda v: str(v["id"]),
            ),
            "level_exams": sorted([e.name, e.result, e.date or ""] for e in transcript.level_exams),
        }
    )


def _stored_credits(value: Any) -> Any:
    # The model holds credits as a float; a stored document has them as its model
    # dumped them, but a hand-made one may say 4 for 4.0: hash what the model would.
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def stored_transcript_digest(doc: Mapping[str, Any]) -> str:
    """:func:`transcript_digest` of a transcript in its stored form (the JSON its
    validated model dumped), without building the model again: an import that
    rewrites thousands of transcripts marks their students' applications with it."""
    records = [
        {
            "code": r["code"],
            "name": r["name"],
            "category": r["category"],
            "credits": _stored_credits(r["credits"]),
            "attempts": sorted(
                [a["kind"], a["result"], a["term"]["year"], a["term"]["semester"]]
                for a in r.get("attempts", ())
            ),
        }
        for r in doc.get("records", ())
    ]
    certificates = [
        {
            "id": c["id"],
            "kind": c["kind"],
            "title": c["title"],
            "credits": _stored_credits(c["credits"]),
            "date": c.get("date"),
        }
        for c in doc.get("certificates", ())
    ]
    return _digest(
        {
            "records": sorted(records, key=lambda v: str(v["code"])),
            "certificates": sorted(certificates, key=lambda v: str(v["id"])),
            "level_exams": sorted(
                [e["name"], e["result"], e.get("date") or ""] for e in doc.get("level_exams", ())
            ),
        }
    )


def entry(
    transcript: Transcript, role: str, ref: str, kind: SourceKind | None = None
) -> SubmittedEntry:
    """The entry ``ref`` of ``transcript`` (a course code, or a certificate id when
    ``kind`` is 竞赛集训学分 or 获奖证书) with its hash; ``held=False`` when missing."""
    if kind in CERTIFICATE_KINDS:
        cert = transcript.certificate(ref)
        if cert is not None:
            return SubmittedEntry(
                role=role,
                ref=ref,
                kind=kind,
                name=cert.title,
                credits=cert.credits,
                date=cert.date,
                digest=_digest(_certificate_value(cert)),
            )
    else:
        record = transcript.record(ref)
        if record is not None:
            return SubmittedEntry(
                role=role,
                ref=ref,
                kind=kind,
                name=record.name,
                category=record.category,
                credits=record.credits,
                attempts=sorted(
                    record.attempts, key=lambda a: (a.term.sort_key(), a.kind.value, a.result)
                ),
                digest=_digest(_record_value(record)),
            )
    return SubmittedEntry(role=role, ref=ref, kind=kind, held=False, digest=_digest(None))


def entries(transcript: Transcript, app: ExchangeApplication) -> list[SubmittedEntry]:
    """The target and every source of ``app`` as ``transcript`` holds them."""
    found = [entry(transcript, "target", app.target)]
    found.extend(entry(transcript, "source", s.ref, s.kind) for s in app.sources)
    return found


def fingerprint(transcript: Transcript, app: ExchangeApplication) -> TranscriptFingerprint:
    """What to keep at submit: the whole transcript's hash and the entries of ``app``."""
    return TranscriptFingerprint(
        digest=transcript_digest(transcript), entries=entries(transcript, app)
    )


@dataclass(frozen=True)
class TranscriptDrift:
    """How the transcript now differs from the one submitted."""

    changed: bool
    """Anything on the transcript changed (a hash differs)."""
    entries: list[tuple[SubmittedEntry, SubmittedEntry]] = field(default_factory=list)
    """(at submission, now) of each target or source entry that changed."""


def drift(kept: TranscriptFingerprint | None, transcript: Transcript) -> TranscriptDrift | None:
    """Compare the fingerprint kept at submit with ``transcript``; None when nothing was
    kept (submitted before credx kept one), so nothing can be said."""
    if kept is None:
        return None
    moved = []
    for then in kept.entries:
        now = entry(transcript, then.role, then.ref, then.kind)
        if now.digest != then.digest:
            moved.append((then, now))
    changed = bool(moved) or transcript_digest(transcript) != kept.digest
    return TranscriptDrift(changed=changed, entries=moved)


def marked(kept: TranscriptFingerprint, digest_now: str) -> TranscriptFingerprint:
    """``kept`` with its ``changed`` flag as the transcript whose digest is
    ``digest_now`` says: set when it is not the transcript fingerprinted at submit,
    cleared when it is again.  Every entry the application rests on is part of the
    whole transcript's digest, so this is what :func:`drift` calls ``changed`` (the
    decision screen's note), decided without the transcript's model."""
    changed = digest_now != kept.digest
    if changed == kept.changed:
        return kept
    return kept.model_copy(update={"changed": changed})


SUBMITTED = frozenset({Status.UNDER_REVIEW, Status.APPROVED, Status.RETURNED})
"""Statuses of an application that was handed in (a 无流程 draft never was)."""


def for_import(
    app: ExchangeApplication,
    stored: ExchangeApplication | None,
    transcript: Callable[[], Transcript | None],
) -> ExchangeApplication:
    """An imported application with the fingerprint it keeps: the one the file gives,
    else the one already stored (an import never rewrites what was kept at submit),
    else, for one already submitted, the transcript it arrives with (the first one
    credx knows it by).  ``transcript`` is called only in that last case: an import
    of thousands of applications reads no transcript it does not need."""
    if app.submitted_transcript is not None:
        return app
    if stored is not None and stored.submitted_transcript is not None:
        return app.model_copy(update={"submitted_transcript": stored.submitted_transcript})
    if app.status in SUBMITTED and (held := transcript()) is not None:
        return app.model_copy(update={"submitted_transcript": fingerprint(held, app)})
    return app
