"""The decision screen says when the transcript changed after submission (issue 12,
item 2): a student submits, the registrar imports next term's grades (a spreadsheet
written with openpyxl), and the reviewer opening the application reads which course
moved, in Chinese and in English, at 80x24 and 120x40; without a change, no line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from textual.widgets import Input, Static

from credx_tui.services.loading import import_paths

from .conftest import HAPPY_STUDENT, SIZES, UNDER_REVIEW_STUDENT, screen_text, settle
from .test_reviewer import open_first, open_queue, submit_suggested

HEAD = [
    "学年",
    "学期",
    "学号",
    "姓名",
    "课程代码",
    "课程名称",
    "课程性质",
    "学分",
    "成绩",
    "考试性质",
]
RETAKE = ["2019-2020", 2, HAPPY_STUDENT, "江浩宇", "G0101", "高等数学(2-1)", "必修", 4, 58, "重修"]


def _term_update(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成绩"
    ws.append(["成绩（教务处导出）"])
    ws.append(HEAD)
    ws.append(RETAKE)
    wb.save(path)
    return path


async def _open(pilot, student: str) -> Static:
    await open_queue(pilot)
    pilot.app.screen.query_one("#queue-search", Input).value = student
    await settle(pilot)
    screen = await open_first(pilot)
    return screen.query_one("#decision-drift", Static)


@pytest.mark.parametrize("size", SIZES)
async def test_a_term_update_after_submit_is_on_the_decision_screen(
    make, services, rules, tmp_path, size
):
    submitted = submit_suggested(services, HAPPY_STUDENT, "高等数学(2-1)")
    import_paths(services.store, [_term_update(tmp_path / "next.xlsx")], rules)
    app = make()
    async with app.run_test(size=size) as pilot:
        line = await _open(pilot, HAPPY_STUDENT)
        assert pilot.app.screen.application_id == submitted.id
        shown = screen_text(app)
        assert "成绩单在提交后有变化" in shown
        assert "目标课程 G0101 高等数学(2-1)：提交后新增 重修 58 (2019-2020-2)" in shown
        # Where the reviewer looks first: on screen without scrolling, under the student.
        assert line.display and line.region.height >= 2
        assert line.region.bottom <= size[1] - 1
    app = make(lang="en")
    async with app.run_test(size=size) as pilot:
        await _open(pilot, HAPPY_STUDENT)
        shown = screen_text(app)
        assert "the transcript changed after submission" in shown
        assert "target G0101 高等数学(2-1): new since submission: 重修 58 (2019-2020-2)" in shown


async def test_a_source_gone_says_then_and_now(make, store):
    """XF2026-0002 came with the demo (fingerprinted at import); the registrar then
    withdraws its 竞赛集训学分 certificate: the line shows it as it was and as it is."""
    transcript = store.transcript(UNDER_REVIEW_STUDENT)
    kept = [c for c in transcript.certificates if c.id != "JS-2025-112"]
    with store.bulk() as tx:
        tx.put_transcript(transcript.model_copy(update={"certificates": kept}))
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, UNDER_REVIEW_STUDENT)
        shown = screen_text(app)
        assert "成绩单在提交后有变化" in shown
        assert "认定来源 JS-2025-112 云计算应用赛项校集训队：提交时 2 学分，2025-04-30；" in shown
        assert "现在 无此记录" in shown


@pytest.mark.parametrize("size", SIZES)
async def test_no_change_no_line(make, services, size):
    submit_suggested(services, HAPPY_STUDENT, "高等数学(2-1)")
    app = make()
    async with app.run_test(size=size) as pilot:
        line = await _open(pilot, HAPPY_STUDENT)
        assert not line.display
        assert "成绩单在提交后有变化" not in screen_text(app)
        assert "满足全部条件，与提交时一致。" in screen_text(app)
