"""The reviewer's queue marks an application whose transcript changed after it was
submitted (issue 12): ``!`` after its 审核状态, and the pager line says what ``!``
means, in Chinese and English, at 80x24 and 120x40.  The transcript is changed the way
a registrar changes it, by importing a term's transcript; the row says what the
decision screen then explains."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.review_queue import ReviewQueueScreen
from credx_tui.services.loading import import_paths
from credx_tui.store import Store
from policy.models import Attempt, AttemptKind, Term
from policy.rules import Rules

from .conftest import SIZES, login, settle
from .test_queue_fit import screen_lines

CHANGED = "2023110102"
"""周雨桐, whose XF2026-0002 (审核中) the demo imports with a fingerprint."""
UNCHANGED = "2023110105"
"""XF2026-0001 (审核通过): its transcript is not touched."""
WORDS = {
    "zh": ("审核中 !", "! 成绩已变：提交后成绩单有变动", "审核通过"),
    "en": ("Under review !", "! transcript changed after submission", "Approved"),
}


def _term_update(store: Store, rules: Rules, folder: Path) -> None:
    """A new 重修 of 虚拟化技术 for 周雨桐, imported as the registrar imports it."""
    transcript = store.transcript(CHANGED)
    assert transcript is not None
    records = [
        r.model_copy(
            update={
                "attempts": [
                    *r.attempts,
                    Attempt(
                        kind=AttemptKind.RETAKE,
                        result="48",
                        term=Term(year="2025-2026", semester=1),
                    ),
                ]
            }
        )
        if r.code == "YJ23111"
        else r
        for r in transcript.records
    ]
    doc = {
        "type": "transcript",
        **transcript.model_copy(update={"records": records}).model_dump(mode="json"),
    }
    path = folder / "term.json"
    path.write_text(
        json.dumps({"format": "credx-import", "version": 1, "documents": [doc]}),
        encoding="utf-8",
    )
    import_paths(store, [path], rules)


async def _queue_shown(pilot: Pilot) -> DataTable:
    """The queue, once its rows are in (read in a worker), every status shown."""
    screen = pilot.app.screen
    assert isinstance(screen, ReviewQueueScreen)
    screen.query_one("#queue-status", Select).value = "all"
    table = screen.query_one("#queue-table", DataTable)
    deadline = time.monotonic() + 30
    while not (screen.loaded and table.row_count >= 3):
        assert time.monotonic() < deadline, "the queue never showed its rows"
        await pilot.pause(0.05)
    await settle(pilot)
    return table


def _row_line(lines: list[str], student: str) -> str:
    return next(line for line in lines if student in line)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_changed_transcript_is_marked_with_its_key(
    make, store: Store, rules: Rules, tmp_path: Path, size, lang
) -> None:
    _term_update(store, rules, tmp_path)
    mark, key, approved = WORDS[lang]
    app = make(lang=lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, "rev_zn")
        table = await _queue_shown(pilot)
        lines = screen_lines(app)
        assert mark in _row_line(lines, CHANGED)
        unchanged = _row_line(lines, UNCHANGED)
        assert approved in unchanged and "!" not in unchanged
        pager = str(app.screen.query_one("#queue-pager", Static).render())
        assert key in pager
        assert any(key in line for line in lines)  # whole on screen, even at 80 columns

        # Filtered down to the unchanged one: no mark, so no key.
        app.screen.query_one("#queue-search", Input).value = UNCHANGED
        await settle(pilot)
        assert table.row_count == 1
        assert key not in str(app.screen.query_one("#queue-pager", Static).render())
        app.screen.query_one("#queue-search", Input).value = CHANGED
        await settle(pilot)
        assert table.row_count == 1

        # The decision screen explains the mark.
        table.focus()
        await pilot.press("enter")
        deadline = time.monotonic() + 30
        while not (
            isinstance(app.screen, ReviewDecisionScreen)
            and app.screen.query("#decision-drift")
            and app.screen.query_one("#decision-drift", Static).display
        ):
            assert time.monotonic() < deadline, "the decision screen never said what moved"
            await pilot.pause(0.05)
        drift = str(app.screen.query_one("#decision-drift", Static).render())
        assert "YJ23111" in drift


@pytest.mark.parametrize("size", SIZES)
async def test_nothing_is_marked_before_the_transcript_changes(make, size) -> None:
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "rev_zn")
        await _queue_shown(pilot)
        lines = screen_lines(app)
        assert "审核中" in _row_line(lines, CHANGED)
        assert "!" not in _row_line(lines, CHANGED)
        assert "成绩已变" not in str(app.screen.query_one("#queue-pager", Static).render())
