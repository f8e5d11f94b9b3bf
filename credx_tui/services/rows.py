"""An application as the reviewer's queue holds it: the few facts a row shows, made
from the stored queue rows without validating the application (issue 13).

The queue of a college of 10,000 applications must not build 10,000 pydantic models to
show a page of a hundred rows.  :class:`ApplicationRow` answers the fields a queue uses
(id, student, status, step, dates, revision) directly, and anything else (sources,
term, 备注 ...) from the application read and validated on first use, so callers that
need more still get it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from credx_tui.store.base import DocumentStore
from credx_tui.store.queue import CHANGED_AT, ROW_FIELDS, SUMMARY_FIELDS
from policy.dossier import Dossier
from policy.models import ApplicationSummary, ExchangeApplication, Status

_SUMMARY_AT = len(ROW_FIELDS)
_STATUSES = {s.value: s for s in Status}
"""A stored status value to its Status (a KeyError for any other: the row is rebuilt)."""


def _instant(value: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a queue row time without its offset")
    return moment


class ApplicationRow:
    """One application of a queue: the row's fields, the rest from the store."""

    __slots__ = (
        "_full",
        "_store",
        "college",
        "created_at",
        "id",
        "revision",
        "status",
        "step",
        "student_id",
        "submitted_at",
        "target",
        "transcript_changed",
        "updated_at",
    )

    def __init__(self, store: DocumentStore, row: list[Any]) -> None:
        # The checks of _text/_count/_instant written out: this runs for every row of
        # a college's queue, and a call per field was half of its time (issue 13).
        app_id, student_id, college, target, status, step, revision = row[:7]
        if not (
            type(app_id) is str
            and type(student_id) is str
            and type(college) is str
            and type(target) is str
        ):
            raise TypeError("a queue row field that is not text")
        if not (type(step) is int and step >= 0 and type(revision) is int and revision >= 0):
            raise TypeError("a queue row count that is not a number")
        self.id = app_id
        self.student_id = student_id
        self.college = college
        self.target = target
        self.status = _STATUSES[status]
        self.step = step
        self.revision = revision
        self.created_at = _instant(row[7])
        self.updated_at = _instant(row[8])
        self.submitted_at = None if row[9] is None else _instant(row[9])
        self.transcript_changed = len(row) > CHANGED_AT and row[CHANGED_AT] is True
        """The transcript changed after submission (issue 12): kept by the imports
        that change transcripts, so the queue marks it without reading one."""
        self._store = store
        self._full: ExchangeApplication | None = None

    def full(self) -> ExchangeApplication:
        """The whole application, read and validated now (then kept)."""
        if self._full is None:
            self._full = self._store.application_of(self.college, self.student_id, self.id)
        return self._full

    def __getattr__(self, name: str) -> Any:
        # Only for what the row does not hold (slots are found before this is asked).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full(), name)

    def __repr__(self) -> str:
        return f"ApplicationRow(id={self.id!r}, status={self.status.value!r})"


def summary_of(row: list[Any]) -> ApplicationSummary | None:
    """The row's display facts (None: the application was stored without them).  Built
    without validation: the writer validated them with the application."""
    values = row[_SUMMARY_AT : _SUMMARY_AT + len(SUMMARY_FIELDS)]
    if len(values) != len(SUMMARY_FIELDS) or values[0] is None:
        return None
    name, major, class_name, course, credits = values
    if not isinstance(credits, int | float) or isinstance(credits, bool):
        raise TypeError("a queue row's credits that are not a number")
    if not (
        type(name) is str and type(major) is str and type(class_name) is str and type(course) is str
    ):
        raise TypeError("a queue row field that is not text")
    fields = {
        "student_name": name,
        "major": major,
        "class_name": class_name,
        "course_name": course,
        "course_credits": credits,
    }
    # What ``model_construct`` does, without its per-field walk (a third of the queue's
    # time at 10,000 rows); every field is given, so no default is needed.
    summary = ApplicationSummary.__new__(ApplicationSummary)
    object.__setattr__(summary, "__dict__", fields)
    object.__setattr__(summary, "__pydantic_fields_set__", set(fields))
    object.__setattr__(summary, "__pydantic_extra__", None)
    object.__setattr__(summary, "__pydantic_private__", None)
    return summary


def summarise(dossier: Dossier, target: str) -> ApplicationSummary:
    """The display facts an application carries for the reviewer's queue."""
    record = dossier.transcript.record(target)
    return ApplicationSummary(
        student_name=dossier.student.name,
        major=dossier.student.major,
        class_name=dossier.student.class_name,
        course_name=record.name if record else target,
        course_credits=record.credits if record else 0,
    )
