"""What one offered source is (S4): the single place that looks a source up.

An application names its sources by :class:`~policy.models.SourceRef` (a course code
or a certificate number).  The offer check, the reviewer's file, 认定关系 on screen and
on paper, and the approved-credit totals all need its name and credits; they ask
:func:`describe_source`, so they can never disagree about what a reference means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policy.models import (
    Category,
    CourseRecord,
    CreditCertificate,
    SourceKind,
    SourceRef,
    Transcript,
)

COURSE_SOURCE_KINDS: dict[Category, SourceKind] = {
    Category.GENERAL_ELECTIVE: SourceKind.GENERAL_ELECTIVE,
    Category.PROFESSIONAL_EXTENSION: SourceKind.PROFESSIONAL_EXTENSION,
}
"""Passed transcript courses of these categories are credit sources of that kind."""

SOURCE_CATEGORIES: dict[SourceKind, Category] = {v: k for k, v in COURSE_SOURCE_KINDS.items()}
"""The transcript category a course source must have."""

CERTIFICATE_KINDS = frozenset({SourceKind.COMPETITION, SourceKind.AWARD})
"""竞赛集训学分 and 获奖证书: the only sources R4 allows for PE and professional courses."""


@dataclass(frozen=True)
class SourceFacts:
    """One source as the student's transcript knows it now."""

    ref: SourceRef
    name: str
    """The course's or certificate's name; the reference itself when it is not found."""
    credits: float
    """Its credits; 0 when it is not found."""
    category: Category | None
    """The transcript category of a course source; None for certificates."""
    record: CourseRecord | None
    certificate: CreditCertificate | None

    @property
    def found(self) -> bool:
        """Whether the transcript has a course or certificate of this reference."""
        return self.record is not None or self.certificate is not None

    @property
    def held(self) -> bool:
        """Whether the student holds it as the kind named: a course of the kind's
        category, or a certificate of that kind.  Only a held source can pay (S4)."""
        if self.record is not None:
            return self.record.category == SOURCE_CATEGORIES.get(self.ref.kind)
        return self.certificate is not None and self.certificate.kind == self.ref.kind


def offered_credits(transcript: Transcript, refs: Iterable[SourceRef]) -> float:
    """The credits ``refs`` add up to as ``transcript`` has them now: what 流程跟踪,
    学分兑换's list, the reviewer's file and the printed form show as offered (the offer
    check, :func:`policy.offers.evaluate_offer`, counts only the sources that may pay)."""
    return sum(describe_source(transcript, ref).credits for ref in refs)


def describe_source(transcript: Transcript, ref: SourceRef) -> SourceFacts:
    """Name, credits and category of ``ref`` on ``transcript``: a certificate for
    竞赛集训学分/获奖证书, a course otherwise; a missing one reads as its reference
    with no credits (a screen still shows what was offered)."""
    record = cert = None
    if ref.kind in CERTIFICATE_KINDS:
        cert = transcript.certificate(ref.ref)
    else:
        record = transcript.record(ref.ref)
    if record is not None:
        return SourceFacts(ref, record.name, record.credits, record.category, record, None)
    if cert is not None:
        return SourceFacts(ref, cert.title, cert.credits, None, None, cert)
    return SourceFacts(ref, ref.ref, 0.0, None, None, None)
