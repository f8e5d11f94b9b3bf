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


def _instant(value: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a queue row time without its offset")
    return moment


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a queue row field that is not text")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("a queue row count that is not a number")
    return value


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
        self.id = _text(row[0])
        self.student_id = _text(row[1])
        self.college = _text(row[2])
        self.target = _text(row[3])
        self.status = Status(row[4])
        self.step = _count(row[5])
        self.revision = _count(row[6])
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
    fields = {
        "student_name": _text(name),
        "major": _text(major),
        "class_name": _text(class_name),
        "course_name": _text(course),
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
