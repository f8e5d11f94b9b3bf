"""The dossier: everything the policy needs to know about one student.

Services load it from the store inside their lock and hand it in; the decision
modules (grades, eligibility, offers) never reach for data on their own.  Keeping it
one value makes every decision a pure function of (dossier, rules), which is what lets
two terminals of one student be checked against the same, freshly loaded facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.models import (
    LIVE_STATUSES,
    ExchangeApplication,
    Programme,
    SourceRef,
    Status,
    Student,
    Transcript,
)


def spent_by(
    applications: Iterable[ExchangeApplication], exclude_application_id: str | None = None
) -> dict[SourceRef, str]:
    """Each source held by a live application (审核中, 审核通过) other than
    ``exclude_application_id`` → the id of the (first) one holding it: credits are
    spent once.  A function of the applications alone, so the approval's check under
    the lock needs no transcript."""
    spent: dict[SourceRef, str] = {}
    for app in applications:
        if app.status in LIVE_STATUSES and app.id != exclude_application_id:
            for ref in app.sources:
                spent.setdefault(ref, app.id)
    return spent


class Dossier(BaseModel):
    """One student's facts: identity, training plan, transcript and every application
    (any status).

    ``programme`` may be missing (a student whose 人才培养方案 was not imported); then
    no graduation requirement is known and R7 cannot warn.
    """

    model_config = ConfigDict(extra="forbid")

    student: Student
    programme: Programme | None = None
    transcript: Transcript
    applications: list[ExchangeApplication] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_student(self) -> Dossier:
        """Mixing two students' data would let one spend the other's credits; refuse it."""
        if self.transcript.student_id != self.student.id:
            raise ValueError(
                f"transcript of {self.transcript.student_id} handed in for student {self.student.id}"
            )
        strangers = [a.id for a in self.applications if a.student_id != self.student.id]
        if strangers:
            raise ValueError(f"applications {strangers} do not belong to student {self.student.id}")
        return self

    def application(self, application_id: str) -> ExchangeApplication | None:
        """The application with this id, if the student has it."""
        return next((a for a in self.applications if a.id == application_id), None)

    def live_applications(
        self, exclude_application_id: str | None = None
    ) -> Iterator[ExchangeApplication]:
        """Applications that hold their sources (审核中, 审核通过), except the one being
        edited: credits are spent once."""
        for app in self.applications:
            if app.status in LIVE_STATUSES and app.id != exclude_application_id:
                yield app

    def spent_sources(self, exclude_application_id: str | None = None) -> dict[SourceRef, str]:
        """Each source held by a live application → the id of the (first) one holding it."""
        return spent_by(self.applications, exclude_application_id)

    def approved_targets(self) -> set[str]:
        """Course codes exchanged by an approved application (R11: approval ends it)."""
        return {a.target for a in self.applications if a.status == Status.APPROVED}
