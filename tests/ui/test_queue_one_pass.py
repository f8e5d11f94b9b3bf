"""The queue's counts, majors and filters made in one pass (issue 13, queue first paint):
whatever the filters, the rows shown and the counts line are those of the plain
definition, every row tested against every filter, on a college with every status,
several majors and a transcript-changed mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Select

from credx_tui.screens.review_queue import ALL, MINE, PAGE_SIZE, ReviewQueueScreen
from credx_tui.services import QueueItem
from policy.models import ApplicationSummary, ExchangeApplication, Status, Term

from .conftest import HAPPY_STUDENT, SIZES, login, screen_text, settle

MAJORS = ("云计算技术应用", "软件技术", "大数据技术")
STATUSES = (Status.UNDER_REVIEW, Status.APPROVED, Status.RETURNED, Status.DRAFT)


def _reference(items: list[QueueItem], status: str, major: str, search: str) -> list[str]:
    """The filter as the queue defined it before issue 13: every row against each."""
    shown = []
    needle = search.strip().lower()
    for item in items:
        app, summary = item.application, item.summary
        if status == MINE and not item.mine:
            continue
        if status not in (MINE, ALL) and app.status.value != status:
            continue
        if major != ALL and summary.major != major:
            continue
        fields = (
            app.id,
            app.student_id,
            app.target,
            summary.student_name,
            summary.class_name,
            summary.course_name,
            summary.major,
        )
        if needle and not any(needle in f.lower() for f in fields):
            continue
        shown.append(app.id)
    return shown


def _fill_college(store) -> None:
    """240 applications of one student's college: statuses, majors and classes in turn."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with store.hot("智能制造学院", HAPPY_STUDENT) as tx:
        for i in range(240):
            at = start + timedelta(minutes=i)
            status = STATUSES[i % len(STATUSES)]
            tx.put_application(
                ExchangeApplication(
                    id=f"ONE-{i:04d}",
                    student_id=HAPPY_STUDENT,
                    college="智能制造学院",
                    target=f"C{i % 7:03d}",
                    status=status,
                    created_at=at,
                    updated_at=at,
                    submitted_at=None if status == Status.DRAFT else at,
                    term=Term(year="2025-2026", semester=2),
                    summary=ApplicationSummary(
                        student_name=f"学生{i % 11}",
                        major=MAJORS[i % len(MAJORS)],
                        class_name=f"班{i % 5}",
                        course_name=f"课程{i % 13}",
                        course_credits=2,
                    ),
                )
            )


@pytest.mark.parametrize("size", SIZES)
async def test_filters_and_counts_are_the_plain_definition(make, store, size):
    _fill_college(store)
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "admin")
        await pilot.press("f7")  # the admin's desk first, F7: the queue (every college)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewQueueScreen)
        items = screen.items
        assert len(items) > 180 and screen.loaded  # the 180 handed in, and the demo's
        statuses = [i.application.status for i in items]
        assert Status.DRAFT not in statuses  # drafts are never in a queue
        mine = sum(1 for i in items if i.mine)
        assert 0 < mine < statuses.count(Status.UNDER_REVIEW) + 1
        expected = (
            f"待我审核 {mine}  审核中 {statuses.count(Status.UNDER_REVIEW)}  "
            f"审核通过 {statuses.count(Status.APPROVED)}  "
            f"被退回 {statuses.count(Status.RETURNED)}  共 {len(items)}"
        )
        assert expected in screen_text(app)
        majors = {i.summary.major for i in items if i.summary.major}
        assert set(MAJORS) <= majors
        options = [value for _, value in screen._major_options()]
        assert options == [ALL, *sorted(majors)]
        for status in (MINE, ALL, *(s.value for s in STATUSES[:3])):
            screen.query_one("#queue-status", Select).value = status
            for major in (ALL, MAJORS[1]):
                screen.query_one("#queue-major", Select).value = major
                for search in ("", "班3", "ONE-01", "没有这个"):
                    screen.query_one("#queue-search", Input).value = search
                    await settle(pilot)
                    want = _reference(items, status, major, search)
                    assert [i.application.id for i in screen.shown] == want, (
                        status,
                        major,
                        search,
                    )
                    assert screen.pages == max(1, -(-len(want) // PAGE_SIZE))
        # A Select saying its value again keeps the page the reviewer is on.
        screen.query_one("#queue-search", Input).value = ""
        screen.query_one("#queue-major", Select).value = ALL
        screen.query_one("#queue-status", Select).value = ALL
        await settle(pilot)
        assert screen.pages > 1
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert screen.page == 1
        screen.post_message(
            Select.Changed(screen.query_one("#queue-status", Select), ALL)  # type: ignore[arg-type]
        )
        await settle(pilot)
        assert screen.page == 1
