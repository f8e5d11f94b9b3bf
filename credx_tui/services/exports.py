"""Decisions out (issue 12, item 3): the approved exchanges in the shape a registrar
enters back into the academic system, and the whole register of applications.

Only the 教务处 (an admin, or the store owner's ``credx export``) exports: the sheets
cover every college.  The rows are read from the store as it is now: the student's
name, major and class from the student record, the sources' credits (认定关系) from
the transcript, the approval date and the approvers from 流程跟踪 (R11), the recorded
result from the rules (``[exchange_record] result``, S5).  :mod:`credx_tui.exporting`
writes them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from credx_tui.exporting import Cell, Column, Sheet
from credx_tui.services.context import Actor
from credx_tui.services.errors import AccessDenied, NotFound, ServiceError
from credx_tui.services.factory import Services
from credx_tui.store import StoreError
from policy import workflow
from policy.eligibility import fmt
from policy.figures import Decision, last_decision
from policy.models import (
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    ReviewEvent,
    Role,
    SourceRef,
    Status,
    Student,
    Term,
)

APPROVED_COLUMNS: tuple[Column, ...] = (
    Column("学号", "student ID"),
    Column("姓名", "name"),
    Column("学院", "college"),
    Column("专业", "major"),
    Column("班级", "class"),
    Column("课程代码", "course code"),
    Column("课程名称", "course name"),
    Column("学分", "credits", text=False),
    Column("成绩", "recorded result"),
    Column("认定关系", "sources (credits)"),
    Column("审核通过日期", "approved on"),
    Column("审核人", "approved by"),
    Column("申请学年", "academic year"),
    Column("申请学期", "term", text=False),
    Column("申请编号", "application ID"),
)
"""``credx export approved``: one row per approved exchange (README, docs/exports.md)."""

REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("申请编号", "application ID"),
    Column("学号", "student ID"),
    Column("姓名", "name"),
    Column("学院", "college"),
    Column("专业", "major"),
    Column("班级", "class"),
    Column("申请学年", "academic year"),
    Column("申请学期", "term", text=False),
    Column("申请类型", "kind"),
    Column("课程代码", "course code"),
    Column("课程名称", "course name"),
    Column("学分", "credits", text=False),
    Column("认定关系", "sources (credits)"),
    Column("审核状态", "status"),
    Column("审核环节", "review step"),
    Column("提交日期", "submitted on"),
    Column("审核日期", "decided on"),
    Column("审核人", "decided by"),
    Column("退回原因", "return reason"),
    Column("备注", "note"),
)
"""``credx export applications``: the whole register, every status."""

STATUS_NAMES = {
    "draft": Status.DRAFT,
    "under_review": Status.UNDER_REVIEW,
    "review": Status.UNDER_REVIEW,
    "approved": Status.APPROVED,
    "returned": Status.RETURNED,
    **{s.value: s for s in Status},
}
"""What ``--status`` accepts: the guide's words or their English names."""


def parse_term(text: str) -> Term:
    """``2025-2026-2`` (学年-学期) as a Term; a clear refusal otherwise."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{4})-([123])\s*", text)
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise NotFound(
            f"学期 {text} 的格式应为 学年-学期，例如 2025-2026-2",
            f"term {text}: write it as YEAR-YEAR-TERM, e.g. 2025-2026-2",
        )
    return Term(year=f"{match[1]}-{match[2]}", semester=int(match[3]))


def parse_statuses(values: Iterable[str]) -> frozenset[Status]:
    """``--status`` values (审核中, approved ...) as statuses; unknown ones refused."""
    found: set[Status] = set()
    for value in values:
        status = STATUS_NAMES.get(value.strip())
        if status is None:
            known = "、".join(s.value for s in Status)
            raise NotFound(
                f"没有审核状态 {value}；可用：{known}",
                f"no status {value}; use one of {', '.join(s.value for s in Status)} "
                "(or draft, under_review, approved, returned)",
            )
        found.add(status)
    return frozenset(found)


@dataclass
class CollegeRegister:
    """One college's applications with their events and the students' facts, read
    once (the events by application id)."""

    college: str
    applications: list[ExchangeApplication]
    events: dict[str, list[ReviewEvent]]


class Facts:
    """Students and transcripts, each shard read once, and reviewers' display names."""

    def __init__(self, services: Services) -> None:
        self.store = services.store
        self._students: dict[str, Student | None] = {}
        self._entries: dict[str, dict[str, CourseRecord | CreditCertificate]] = {}
        self._names: dict[str, str] = {}

    def preload(self, apps: Iterable[ExchangeApplication]) -> None:
        """Read each student shard these applications need once, in shard order,
        keeping only the students and the transcript entries the applications name.

        Asking the store one student at a time kept every shard it parsed in its
        cache: 10,000 approved exchanges held 900 MB and spent seconds in TinyDB
        queries.  Every document kept is validated as the store's readers do."""
        from credx_tui.store.files import read_file
        from credx_tui.store.store import Store, _model

        if not isinstance(self.store, Store):
            return  # a database store: each student and transcript is one indexed row
        by_path: dict[object, list[ExchangeApplication]] = defaultdict(list)
        for app in apps:
            by_path[self.store.student_path(app.student_id)].append(app)
        for path in sorted(by_path, key=str):
            data = read_file(path) or {}  # type: ignore[arg-type]
            students = {
                d.get("id"): d for d in data.get("students", {}).values() if isinstance(d, dict)
            }
            transcripts = {
                d.get("student_id"): d
                for d in data.get("transcripts", {}).values()
                if isinstance(d, dict)
            }
            for app in by_path[path]:
                sid = app.student_id
                if sid not in self._students:
                    doc = students.get(sid)
                    self._students[sid] = (
                        None if doc is None else _model(path, Student, dict(doc))  # type: ignore[arg-type]
                    )
                if app.id in self._entries:
                    continue
                refs = {app.target, *(r.ref for r in app.sources)}
                found: dict[str, CourseRecord | CreditCertificate] = {}
                transcript = transcripts.get(sid) or {}
                for record in transcript.get("records") or []:
                    if isinstance(record, dict) and record.get("code") in refs:
                        found.setdefault(record["code"], _model(path, CourseRecord, record))  # type: ignore[arg-type]
                for cert in transcript.get("certificates") or []:
                    if isinstance(cert, dict) and cert.get("id") in refs:
                        found.setdefault(cert["id"], _model(path, CreditCertificate, cert))  # type: ignore[arg-type]
                self._entries[app.id] = found

    def student(self, student_id: str) -> Student | None:
        """The student record (None: not in the store)."""
        if student_id not in self._students:
            self._students[student_id] = self.store.student(student_id)
        return self._students[student_id]

    def entries(self, app: ExchangeApplication) -> dict[str, CourseRecord | CreditCertificate]:
        """The application's target and sources on the transcript (only those)."""
        if app.id not in self._entries:
            refs = {app.target, *(r.ref for r in app.sources)}
            found = self.store.transcript_entries(app.student_id, refs)
            self._entries[app.id] = found or {}
        return self._entries[app.id]

    def name(self, username: str) -> str:
        """A reviewer's display name, else the account name."""
        if username not in self._names:
            account = self.store.account(username)
            self._names[username] = (account.display_name if account else "") or username
        return self._names[username]

    def source(self, app: ExchangeApplication, ref: SourceRef) -> tuple[str, float]:
        """Name and credits of one source (the ref itself and 0 when not found)."""
        entry = self.entries(app).get(ref.ref)
        if isinstance(entry, CourseRecord):
            return entry.name, entry.credits
        if isinstance(entry, CreditCertificate):
            return entry.title, entry.credits
        return ref.ref, 0.0

    def relation(self, app: ExchangeApplication) -> str:
        """认定关系 as the portal writes it: each source with its credits, joined by 、."""
        return "、".join(
            f"{name}({fmt(credits)})"
            for name, credits in (self.source(app, r) for r in app.sources)
        )

    def course(self, app: ExchangeApplication) -> tuple[str, float]:
        """The target course's name and credits (transcript, else the saved summary)."""
        record = self.entries(app).get(app.target)
        if isinstance(record, CourseRecord):
            return record.name, record.credits
        if app.summary is not None:
            return app.summary.course_name or app.target, app.summary.course_credits
        return app.target, 0.0


P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading every shard of a college builds millions of small objects that all stay
    alive; Python's cyclic collector would walk them again and again (measured: the
    parse of 10,000 students' shards went from 0.5 s to 7 s).  Nothing read here forms
    cycles worth collecting, so the collector waits until the sheet is built."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def bulk_read(func: Callable[P, R]) -> Callable[P, R]:
    """Run a whole-store read with the collector paused (:func:`_collector_paused`)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _collector_paused():
            return func(*args, **kwargs)

    return wrapper


def require_registrar(services: Services, actor: Actor) -> None:
    """Exports and figures cover every college: the 教务处's (admins) only."""
    services.check_actor(actor)
    if actor.role != Role.ADMIN:
        raise AccessDenied(
            "只有教务处（管理员）可以导出和查看全校统计",
            "only the registrar's office (admins) exports and sees the college's figures",
        )


def known_college(services: Services, college: str | None) -> list[str]:
    """The colleges to cover: all, or the one named (refused when unknown)."""
    colleges = services.store.colleges()
    if college is None:
        return colleges
    if college not in colleges:
        known = "、".join(colleges) or "-"
        raise NotFound(
            f"没有学院 {college}；已有：{known}",
            f"no college {college}; the store has: {', '.join(colleges) or '-'}",
        )
    return [college]


def read_registers(services: Services, colleges: Sequence[str]) -> list[CollegeRegister]:
    """Each college's applications and events, read once."""
    registers = []
    for college in colleges:
        try:
            apps = services.store.applications(college)
            events: dict[str, list[ReviewEvent]] = defaultdict(list)
            for event in services.store.events(college):
                events[event.application_id].append(event)
        except StoreError as exc:
            raise ServiceError(str(exc), str(exc)) from None
        registers.append(CollegeRegister(college, apps, dict(events)))
    return registers


def _day(at: datetime | None) -> str:
    return "" if at is None else at.astimezone().date().isoformat()


def _scope(college: str | None, term: Term | None, extra: str = "") -> str:
    parts = [college or "全部学院"]
    if term is not None:
        parts.append(term.label.zh)
    if extra:
        parts.append(extra)
    return "，".join(parts)


@bulk_read
def approved_sheet(
    services: Services,
    actor: Actor,
    *,
    term: Term | None = None,
    college: str | None = None,
    now: datetime | None = None,
) -> Sheet:
    """Every approved exchange (审核通过) of ``college`` (all) filed in ``term`` (any),
    by college, 学号 and approval date."""
    require_registrar(services, actor)
    facts = Facts(services)
    result = services.rules.exchange_record.result
    rows: list[tuple[tuple[str, str, str], list[Cell]]] = []
    registers = read_registers(services, known_college(services, college))
    facts.preload(
        app
        for register in registers
        for app in register.applications
        if app.status == Status.APPROVED and (term is None or app.term == term)
    )
    for register in registers:
        for app in register.applications:
            if app.status != Status.APPROVED or (term is not None and app.term != term):
                continue
            decision = last_decision(app, register.events.get(app.id, []))
            rows.append(_approved_row(facts, app, decision, result))
    rows.sort(key=lambda r: r[0])
    when = (now or services.clock()).astimezone()
    sheet = Sheet(
        name="审核通过",
        title=f"{services.rules.college.name} 学分兑换审核通过名单",
        subtitle=f"{_scope(college, term)}，共 {len(rows)} 条，导出于 {when:%Y-%m-%d %H:%M}",
        columns=APPROVED_COLUMNS,
        rows=[r[1] for r in rows],
    )
    return sheet


def _approved_row(
    facts: Facts, app: ExchangeApplication, decision: Decision | None, result: str
) -> tuple[tuple[str, str, str], list[Cell]]:
    student = facts.student(app.student_id)
    summary = app.summary
    name = student.name if student else (summary.student_name if summary else "")
    major = student.major if student else (summary.major if summary else "")
    class_name = student.class_name if student else (summary.class_name if summary else "")
    course, credits = facts.course(app)
    approved_on = _day(decision.decided_at if decision else app.updated_at)
    deciders = "、".join(facts.name(u) for u in decision.deciders) if decision else ""
    row: list[Cell] = [
        app.student_id,
        name,
        app.college,
        major,
        class_name,
        app.target,
        course,
        credits,
        result,
        facts.relation(app),
        approved_on,
        deciders,
        app.term.year,
        app.term.semester,
        app.id,
    ]
    return (app.college, app.student_id, approved_on), row


@bulk_read
def register_sheet(
    services: Services,
    actor: Actor,
    *,
    term: Term | None = None,
    college: str | None = None,
    statuses: frozenset[Status] = frozenset(),
    now: datetime | None = None,
) -> Sheet:
    """The register: every application (of the statuses named; all when none) of
    ``college`` filed in ``term``, by college, 学号 and creation."""
    require_registrar(services, actor)
    facts = Facts(services)
    rows: list[tuple[tuple[str, str, str, str], list[Cell]]] = []
    registers = read_registers(services, known_college(services, college))
    facts.preload(
        app
        for register in registers
        for app in register.applications
        if (not statuses or app.status in statuses) and (term is None or app.term == term)
    )
    for register in registers:
        for app in register.applications:
            if statuses and app.status not in statuses:
                continue
            if term is not None and app.term != term:
                continue
            events = register.events.get(app.id, [])
            decision = last_decision(app, events)
            submits = [e.at for e in events if e.action.value == "submit"]
            student = facts.student(app.student_id)
            summary = app.summary
            course, credits = facts.course(app)
            current = workflow.current_step(app, services.rules)
            step = current.zh if current is not None else ""
            row: list[Cell] = [
                app.id,
                app.student_id,
                student.name if student else (summary.student_name if summary else ""),
                app.college,
                student.major if student else (summary.major if summary else ""),
                student.class_name if student else (summary.class_name if summary else ""),
                app.term.year,
                app.term.semester,
                app.kind,
                app.target,
                course,
                credits,
                facts.relation(app),
                app.status.value,
                step,
                _day(max(submits) if submits else None),
                _day(decision.decided_at if decision else None),
                "、".join(facts.name(u) for u in decision.deciders) if decision else "",
                decision.reason if decision else "",
                app.note,
            ]
            key = (app.college, app.student_id, app.created_at.isoformat(), app.id)
            rows.append((key, row))
    rows.sort(key=lambda r: r[0])
    chosen = "、".join(s.value for s in Status if s in statuses) if statuses else ""
    when = (now or services.clock()).astimezone()
    return Sheet(
        name="申请登记",
        title=f"{services.rules.college.name} 学分兑换申请登记表",
        subtitle=f"{_scope(college, term, chosen)}，共 {len(rows)} 条，导出于 {when:%Y-%m-%d %H:%M}",
        columns=REGISTER_COLUMNS,
        rows=[r[1] for r in rows],
    )


def record_export(services: Services, actor: Actor, which: str, path: Path, rows: int) -> None:
    """Note in the store's audit log (``credx audit``) that ``actor`` took the
    ``which`` sheet (``approved`` or ``applications``: names, 学号 and results) out of
    credx from the app, as ``credx export`` notes its own (``export.<which>``)."""
    import os
    import pwd

    from credx_tui.store.admin import AuditEvent

    require_registrar(services, actor)
    uid = os.geteuid()
    try:
        os_user = pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without a passwd entry (a container)
        os_user = str(uid)
    services.store.append_audit(
        AuditEvent(
            at=services.clock(),
            action=f"export.{which}",
            target=str(path.resolve())[:400],
            os_user=os_user,
            uid=uid,
            via=f"app:{actor.username}",
            detail={"rows": rows},
        ),
    )
