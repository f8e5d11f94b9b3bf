"""The college at a glance (issue 12, item 4), as a use case: the store read once, the
figures computed by :mod:`policy.figures`, and the same figures as tables for
``credx stats``, the 教务处 desk and the desk's export.

Only the 教务处 (admins, the store owner's shell) sees them: they cover every college.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from credx_tui.exporting import Cell, Column, Sheet
from credx_tui.i18n import t
from credx_tui.services.context import Actor
from credx_tui.services.exports import (
    Facts,
    bulk_read,
    known_college,
    read_registers,
    require_registrar,
)
from credx_tui.services.factory import Services
from policy.figures import (
    KIND_ORDER,
    STATUS_ORDER,
    Figures,
    counts_by_status,
    credits_by_kind,
    decision_times,
    last_decision,
    open_queues,
    top_courses,
)
from policy.models import SourceRef, Status
from policy.rules import Rules

FIGURES = ("counts", "times", "courses", "credits", "queues")
"""The figures, in the order of the desk's list and of ``credx stats``."""


@bulk_read
def college_figures(
    services: Services, actor: Actor, *, college: str | None = None, now: datetime | None = None
) -> Figures:
    """Every figure of ``college`` (all colleges by default), read from the store now."""
    require_registrar(services, actor)
    colleges = known_college(services, college)
    registers = read_registers(services, colleges)
    facts = Facts(services)
    apps_by_college = {r.college: r.applications for r in registers}
    decisions = {}
    approved: list[tuple[str, str, float]] = []
    spent: list[tuple[SourceRef, float]] = []
    for register in registers:
        for app in register.applications:
            decision = last_decision(app, register.events.get(app.id, []))
            if decision is not None:
                decisions[app.id] = decision
            if app.status == Status.APPROVED:
                name, credits = facts.course(app)
                approved.append((app.target, name, credits))
                spent.extend((ref, facts.source(app, ref)[1]) for ref in app.sources)
    accounts = services.store.accounts()
    if college is not None:
        accounts = [a for a in accounts if college in a.colleges]
    return Figures(
        colleges=colleges,
        counts=counts_by_status(apps_by_college),
        times=decision_times(apps_by_college, decisions),
        courses=top_courses(approved),
        credits=credits_by_kind(spent),
        queues=open_queues(
            apps_by_college, accounts, services.rules.review_steps, now or services.clock()
        ),
        steps=list(services.rules.review_steps),
    )


@dataclass
class FigureTable:
    """One figure as a table (header and rows) and as a chart: ``labels`` (short,
    ASCII: the row numbers, course codes or account names, because a terminal chart
    cannot lay out double-width characters) with one or more named ``series``."""

    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    labels: list[str] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    horizontal: bool = False


def _num(value: float | None) -> Cell:
    return None if value is None else round(value, 1)


def figure_tables(figures: Figures, rules: Rules, lang: str = "zh") -> list[FigureTable]:
    """The five figures as tables, in :data:`FIGURES` order, in ``lang``."""
    statuses = [t(f"status.{s.value}", lang) for s in STATUS_ORDER]
    counts = FigureTable(
        "counts",
        t("stats.counts", lang),
        ["#", t("stats.col.college", lang), *statuses, t("stats.col.total", lang)],
        [
            [i, college, *(row[s] for s in STATUS_ORDER), sum(row.values())]
            for i, (college, row) in enumerate(figures.counts.items(), start=1)
        ],
    )
    counts.labels = [str(i) for i in range(1, len(figures.counts) + 1)]
    counts.series = {
        ("draft", "review", "approved", "returned")[k]: [
            float(row[s]) for row in figures.counts.values()
        ]
        for k, s in enumerate(STATUS_ORDER)
    }
    all_colleges = t("stats.all_colleges", lang)
    times = FigureTable(
        "times",
        t("stats.times", lang),
        [
            "#",
            t("stats.col.college", lang),
            t("stats.col.decided", lang),
            t("stats.col.median", lang),
            t("stats.col.p90", lang),
        ],
        [
            [i, d.college or all_colleges, d.decided, _num(d.median_days), _num(d.p90_days)]
            for i, d in enumerate(figures.times, start=1)
        ],
    )
    times.labels = [str(i) for i in range(1, len(figures.times) + 1)]
    times.series = {
        "median": [d.median_days or 0.0 for d in figures.times],
        "p90": [d.p90_days or 0.0 for d in figures.times],
    }
    courses = FigureTable(
        "courses",
        t("stats.courses", lang),
        [
            "#",
            t("stats.col.code", lang),
            t("stats.col.course", lang),
            t("stats.col.credits", lang),
            t("stats.col.approved", lang),
        ],
        [
            [i, c.code, c.name, c.credits, c.approved]
            for i, c in enumerate(figures.courses, start=1)
        ],
        labels=[_ascii(c.code, i) for i, c in enumerate(figures.courses, start=1)],
        series={"approved": [float(c.approved) for c in figures.courses]},
        horizontal=True,
    )
    kinds = FigureTable(
        "credits",
        t("stats.credits", lang),
        ["#", t("stats.col.kind", lang), t("stats.col.credits_spent", lang)],
        [
            [i, t(f"kind.{k.name.lower()}", lang), figures.credits.get(k, 0.0)]
            for i, k in enumerate(KIND_ORDER, start=1)
        ],
        labels=[str(i) for i in range(1, len(KIND_ORDER) + 1)],
        series={"credits": [figures.credits.get(k, 0.0) for k in KIND_ORDER]},
    )
    step_names = {s.id: s.name.text(lang) for s in figures.steps}
    queues = FigureTable(
        "queues",
        t("stats.queues", lang),
        [
            "#",
            t("stats.col.reviewer", lang),
            t("stats.col.name", lang),
            t("stats.col.colleges", lang),
            t("stats.col.steps", lang),
            t("stats.col.open", lang),
            t("stats.col.oldest", lang),
        ],
        [
            [
                i,
                q.reviewer,
                q.name,
                "、".join(q.colleges),
                "、".join(f"{step_names.get(s, s)} {n}" for s, n in q.by_step.items()) or "-",
                q.total,
                _num(q.oldest_days),
            ]
            for i, q in enumerate(figures.queues, start=1)
        ],
        labels=[_ascii(q.reviewer, i) for i, q in enumerate(figures.queues, start=1)],
        series={"open": [float(q.total) for q in figures.queues]},
        horizontal=True,
    )
    return [counts, times, courses, kinds, queues]


def _ascii(text: str, number: int) -> str:
    """A chart label: the text when it is short printable ASCII, else the row number."""
    if text.isascii() and text.isprintable() and len(text) <= 12:
        return text
    return str(number)


def figure_sheet(
    table: FigureTable, rules: Rules, scope: str, now: datetime, lang: str = "zh"
) -> Sheet:
    """One figure as a sheet for :func:`credx_tui.exporting.write_sheet` (the desk's
    export key): the college's name and the figure in the title row."""
    name = rules.college.title.text(lang)
    return Sheet(
        name=table.key,
        title=f"{name} {table.title}",
        subtitle=t("stats.sheet.subtitle", lang, scope=scope, at=f"{now:%Y-%m-%d %H:%M}"),
        columns=[Column(h, h) for h in table.header],
        rows=[list(r) for r in table.rows],
    )
