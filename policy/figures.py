"""The college at a glance (issue 12, item 4): pure computations over applications,
their 流程跟踪 events, the sources' credits and the reviewers' accounts.

Services read the store and hand the facts in; nothing here reads a file, so the
figures of ``credx stats``, the 教务处 desk and the tests are one computation.  Every
count follows the guide's statuses (无流程, 审核中, 审核通过, 被退回; R10, R11).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from policy import workflow
from policy.models import (
    Account,
    ExchangeApplication,
    ReviewAction,
    ReviewEvent,
    Role,
    SourceKind,
    SourceRef,
    Status,
)
from policy.rules import ReviewStep

STATUS_ORDER: tuple[Status, ...] = (
    Status.DRAFT,
    Status.UNDER_REVIEW,
    Status.APPROVED,
    Status.RETURNED,
)
"""Columns of the count table, in the order of the application's life."""

KIND_ORDER: tuple[SourceKind, ...] = (
    SourceKind.GENERAL_ELECTIVE,
    SourceKind.PROFESSIONAL_EXTENSION,
    SourceKind.COMPETITION,
    SourceKind.AWARD,
)
"""Kinds of credit that pay for an exchange (R2, R4, R7), in the guide's order."""

TOP_COURSES = 10
"""How many of the most exchanged courses are listed."""


@dataclass(frozen=True)
class Decision:
    """The decision that ended an application's last round of review: when it was
    submitted (the last 提交 before the decision), when it was decided, who decided
    (every approver of the round, oldest first, for a review chain; or the one who
    returned it) and the return reason."""

    action: ReviewAction
    submitted_at: datetime | None
    decided_at: datetime
    deciders: tuple[str, ...]
    reason: str = ""


def last_decision(app: ExchangeApplication, events: Sequence[ReviewEvent]) -> Decision | None:
    """The decision behind ``app``'s current status, from its events (oldest first);
    None for an application that is 无流程 or 审核中 (nothing decided yet)."""
    if app.status not in (Status.APPROVED, Status.RETURNED):
        return None
    wanted = ReviewAction.APPROVE if app.status == Status.APPROVED else ReviewAction.RETURN
    ordered = sorted((e for e in events if e.application_id == app.id), key=lambda e: (e.at, e.id))
    final = next((i for i in range(len(ordered) - 1, -1, -1) if ordered[i].action == wanted), None)
    if final is None:
        return None
    submit = next(
        (i for i in range(final - 1, -1, -1) if ordered[i].action == ReviewAction.SUBMIT), None
    )
    start = submit + 1 if submit is not None else 0
    if wanted == ReviewAction.APPROVE:
        deciders = tuple(
            dict.fromkeys(
                e.actor for e in ordered[start : final + 1] if e.action == ReviewAction.APPROVE
            )
        )
    else:
        deciders = (ordered[final].actor,)
    return Decision(
        action=wanted,
        submitted_at=ordered[submit].at if submit is not None else None,
        decided_at=ordered[final].at,
        deciders=deciders,
        reason=ordered[final].reason,
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between the closest
    ranks (the spreadsheet's PERCENTILE.INC, so a registrar can check it in Excel);
    None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class DecisionTimes:
    """Days from submission to decision of the decided applications of one college
    (or all of them): how many, the median and the 90th percentile."""

    college: str
    decided: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class CourseCount:
    """One of the most exchanged courses: approved exchanges of it, and its credits."""

    code: str
    name: str
    approved: int
    credits: float


@dataclass(frozen=True)
class QueueCount:
    """A reviewer's open queue: 审核中 applications of their colleges at a step they
    decide (R11), per step id, and the oldest one's waiting days."""

    reviewer: str
    name: str
    colleges: tuple[str, ...]
    by_step: Mapping[str, int]
    oldest_days: float | None

    @property
    def total(self) -> int:
        """All open applications of the reviewer."""
        return sum(self.by_step.values())


@dataclass
class Figures:
    """Every figure of the desk and of ``credx stats``."""

    colleges: list[str]
    counts: dict[str, dict[Status, int]]
    times: list[DecisionTimes]
    courses: list[CourseCount]
    credits: dict[SourceKind, float]
    queues: list[QueueCount]
    steps: list[ReviewStep] = field(default_factory=list)

    def total(self, status: Status | None = None) -> int:
        """Applications of every college (of one status)."""
        return sum(n for row in self.counts.values() for s, n in row.items() if status in (None, s))

    def to_json(self) -> dict[str, object]:
        """The stable JSON of ``credx stats --json`` (README, docs/exports.md)."""
        return {
            "colleges": self.colleges,
            "counts": [
                {
                    "college": college,
                    **{s.value: row.get(s, 0) for s in STATUS_ORDER},
                    "total": sum(row.values()),
                }
                for college, row in self.counts.items()
            ],
            "decision_days": [
                {
                    "college": t.college,
                    "decided": t.decided,
                    "median": _round(t.median_days),
                    "p90": _round(t.p90_days),
                }
                for t in self.times
            ],
            "top_courses": [
                {"code": c.code, "name": c.name, "approved": c.approved, "credits": c.credits}
                for c in self.courses
            ],
            "credits_spent": {k.value: round(self.credits.get(k, 0.0), 2) for k in KIND_ORDER},
            "open_queues": [
                {
                    "reviewer": q.reviewer,
                    "name": q.name,
                    "colleges": list(q.colleges),
                    "by_step": dict(q.by_step),
                    "total": q.total,
                    "oldest_days": _round(q.oldest_days),
                }
                for q in self.queues
            ],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def counts_by_status(
    apps_by_college: Mapping[str, Iterable[ExchangeApplication]],
) -> dict[str, dict[Status, int]]:
    """Applications per college and status (every status, zeros included)."""
    counts: dict[str, dict[Status, int]] = {}
    for college, apps in apps_by_college.items():
        seen = Counter(a.status for a in apps)
        counts[college] = {s: seen.get(s, 0) for s in STATUS_ORDER}
    return counts


def decision_times(
    apps_by_college: Mapping[str, Iterable[ExchangeApplication]],
    decisions: Mapping[str, Decision],
) -> list[DecisionTimes]:
    """Median and 90th percentile of the days from the last submission to the
    decision (审核通过 or 被退回), per college and, last, for all colleges (``""``)."""
    rows: list[DecisionTimes] = []
    every: list[float] = []
    for college, apps in apps_by_college.items():
        days = [
            _days(d.submitted_at, d.decided_at)
            for a in apps
            if (d := decisions.get(a.id)) is not None and d.submitted_at is not None
        ]
        every += days
        rows.append(DecisionTimes(college, len(days), percentile(days, 50), percentile(days, 90)))
    rows.append(DecisionTimes("", len(every), percentile(every, 50), percentile(every, 90)))
    return rows


def top_courses(
    approved: Iterable[tuple[str, str, float]], limit: int = TOP_COURSES
) -> list[CourseCount]:
    """The most exchanged courses: ``approved`` holds (code, name, credits) of each
    approved exchange; most first, then by code."""
    counts: Counter[str] = Counter()
    facts: dict[str, tuple[str, float]] = {}
    for code, name, credits in approved:
        counts[code] += 1
        facts.setdefault(code, (name, credits))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [CourseCount(code, facts[code][0], n, facts[code][1]) for code, n in ordered]


def credits_by_kind(spent: Iterable[tuple[SourceRef, float]]) -> dict[SourceKind, float]:
    """Credits spent by approved exchanges, per kind of source (R2, R4, R7):
    ``spent`` holds each source of each approved application with its credits."""
    totals: dict[SourceKind, float] = defaultdict(float)
    for ref, credits in spent:
        totals[ref.kind] += credits
    return {k: round(totals.get(k, 0.0), 2) for k in KIND_ORDER}


def open_queues(
    apps_by_college: Mapping[str, Iterable[ExchangeApplication]],
    accounts: Iterable[Account],
    steps: Sequence[ReviewStep],
    now: datetime,
) -> list[QueueCount]:
    """Each enabled reviewer's open queue: the 审核中 applications of their colleges
    at a step they decide (no steps named: every step), counted per step, with the
    waiting days of the oldest (since it was last changed, i.e. reached the step)."""
    waiting: dict[str, list[ExchangeApplication]] = {
        college: [a for a in apps if a.status == Status.UNDER_REVIEW]
        for college, apps in apps_by_college.items()
    }
    ids = [s.id for s in steps]
    rows: list[QueueCount] = []
    for account in accounts:
        if account.role != Role.REVIEWER or account.disabled:
            continue
        by_step: dict[str, int] = {}
        oldest: datetime | None = None
        for college in account.colleges:
            for app in waiting.get(college, []):
                current = workflow.current_step(app, steps) if steps else None
                if current is None:
                    step = str(app.step)  # no chain given: counted by the stored index
                elif workflow.reviews_step(account.role, account.review_steps, current):
                    step = current.id
                else:
                    continue
                by_step[step] = by_step.get(step, 0) + 1
                if oldest is None or app.updated_at < oldest:
                    oldest = app.updated_at
        rows.append(
            QueueCount(
                reviewer=account.username,
                name=account.display_name,
                colleges=tuple(account.colleges),
                by_step={s: by_step[s] for s in ids if s in by_step}
                | {s: n for s, n in by_step.items() if s not in ids},
                oldest_days=_days(oldest, now) if oldest is not None else None,
            )
        )
    return sorted(rows, key=lambda q: (-q.total, q.reviewer))
