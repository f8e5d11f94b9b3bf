"""Issue 14: the decision screen prints each reason's rule id once (the
:class:`~policy.reasons.Reason` prints it, never the screen) and reads the student in
the third person: a reviewer is not the 你 of the student's messages."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from policy.models import Category

from .conftest import HAPPY_STUDENT, SIZES, UNDER_REVIEW_STUDENT, actor, screen_text, settle
from .test_reviewer import open_first, open_queue, submit_suggested


@pytest.mark.parametrize("size", SIZES)
async def test_r7_warning_speaks_of_the_student(make, store, services, size):
    """An approval that would leave the student short of 通识选修课 credits for
    graduation: the reviewer reads 提醒：【R7】兑换后该生只剩..., not 你 and not R7 twice."""
    submit_suggested(services, HAPPY_STUDENT, "高等数学(2-1)")
    student = store.student(HAPPY_STUDENT)
    programme = store.programme(student.major, student.grade_year)
    graduation = {**programme.graduation, Category.GENERAL_ELECTIVE: 99.0}
    with store.bulk() as tx:
        tx.put_programme(programme.model_copy(update={"graduation": graduation}))
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        app.screen.query_one("#queue-search", Input).value = HAPPY_STUDENT
        await settle(pilot)
        await open_first(pilot)
        shown = screen_text(app)
        assert "提醒：【R7】兑换后该生只剩" in shown
        assert "R7: 【R7】" not in shown and "兑换后你" not in shown
    # The student's own check still speaks to them.
    me = actor(services, HAPPY_STUDENT)
    (mine,) = services.applications(me)
    warnings = services.review_file(actor(services, "rev_zn"), mine.id).check.warnings
    assert warnings and warnings[0].text("zh").startswith("【R7】兑换后你只剩")


async def test_changed_verdict_prints_each_rule_once_in_english_too(make, store, services):
    """A certificate withdrawn after submission: every refusal shows its rule once,
    in Chinese (【R4】) and in English (R4: ...), about the student (该生 / the student)."""
    transcript = store.transcript(UNDER_REVIEW_STUDENT)
    kept = [c for c in transcript.certificates if c.kind.value != "竞赛集训学分"]
    with store.bulk() as tx:
        tx.put_transcript(transcript.model_copy(update={"certificates": kept}))
    for lang, once, twice, third, second in (
        ("zh", "【R4】该生的记录中没有竞赛集训学分", "R4: 【R4】", "该生", "你的记录"),
        ("en", "R4: there is no", "R4: R4:", "the student's record", "your record"),
    ):
        app = make(lang=lang)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_queue(pilot)
            await open_first(pilot)
            shown = screen_text(app)
            assert once in shown and third in shown
            assert twice not in shown and second not in shown
            assert "R8: 【R8】" not in shown and "R8: R8:" not in shown
