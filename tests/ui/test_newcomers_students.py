"""Issue 15, the students' items (stu15): pressing the real keys at 80x24 and
120x40, in zh and en, asserting on what the screen shows and the store holds."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from textual.widgets import Button, OptionList

from credx_tui.dialogs.submit_warning import SubmitWarningDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.exchange import ExchangeScreen
from policy.models import Status

from .conftest import (
    APPROVED_STUDENT,
    HAPPY_STUDENT,
    RETURNED_STUDENT,
    SIZES,
    UNDER_REVIEW_STUDENT,
    actor,
    attach_shot,
    login,
    screen_text,
    settle,
    until,
)
from .test_journey import pick_target

LANG_SIZES = [(lang, size) for lang in ("zh", "en") for size in SIZES]
"""Every student test runs in both languages at both sizes."""

R7_STUDENT = "2023110101"
"""林书远: 数据库应用基础 failed after 补考; paying it with 专业拓展课 warns (R7)."""


async def open_apply(pilot, username: str) -> None:
    """Log in, F4 学分兑换, F7 申请, as the student would."""
    await login(pilot, username)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApplyScreen)


def visible(app) -> list[str]:
    """What the terminal shows now, line by line (the compositor's cells), not what
    the widgets hold: clipped or covered text is not there."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_submit_with_a_warning_on_screen_asks_first(make, services, tmp_path, lang, size):
    """Item 8: with the R7 warning showing, F8 opens a dialog that names it; Esc sends
    nothing; 仍要提交 submits."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, R7_STUDENT)
        await pick_target(pilot, "数据库应用基础")
        await pilot.press("enter")  # tick one 专业拓展课 source
        await settle(pilot)
        await attach_shot(pilot, tmp_path)
        assert "【R7】" in screen_text(app) or "R7" in screen_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SubmitWarningDialog)
        said = str(app.screen.query_one("#submit-warning-text").render())
        assert "R7" in said
        assert ("以免无法毕业" in said) if lang == "zh" else ("graduat" in said)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        mine = services.applications(actor(services, R7_STUDENT))
        assert not any(a.status == Status.UNDER_REVIEW for a in mine)
        # Enter out of habit goes back too: the focus is on 返回修改.
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SubmitWarningDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pilot.press("f8")
        await settle(pilot)
        app.screen.query_one("#submit-anyway", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
    mine = services.applications(actor(services, R7_STUDENT))
    assert [a.status for a in mine if a.status == Status.UNDER_REVIEW] == [Status.UNDER_REVIEW]


def _submit_math(services) -> str:
    """高等数学(2-1) of 江浩宇 submitted through the services; its id."""
    from credx_tui.demo import DEMO_SCREENSHOT

    me = actor(services, HAPPY_STUDENT)
    code = next(
        r.code for r in services.dossier(me).transcript.records if r.name == "高等数学(2-1)"
    )
    offer = services.suggest(me, code)
    assert offer is not None
    draft = services.save(
        me, code, offer.offer.sources, attachments=[services.attach(me, DEMO_SCREENSHOT)]
    )
    return services.submit(me, draft.id).id


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_space_on_a_spent_source_says_which_application_holds_it(make, services, lang, size):
    """Item 4: a source another application holds is reachable; Space on it names that
    application (credits are spent once, R8) and ticks nothing."""
    math_id = _submit_math(services)
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, HAPPY_STUDENT)
        await pick_target(pilot, "英语(2-2)")
        screen = app.screen
        sources = screen.query_one("#sources", OptionList)
        spent = next(i for i, o in enumerate(screen.options) if o.spent)
        sources.focus()
        sources.highlighted = spent
        await pilot.pause()
        await pilot.press("space")
        await settle(pilot)
        message = str(screen.query_one("#apply-message").render())
        assert math_id in message and "R8" in message
        assert ("只能用一次" in message) if lang == "zh" else ("spent once" in message)
        assert screen.chosen == []


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_same_file_twice_and_another_course_drop_attachments(
    make, services, tmp_path, lang, size
):
    """Item 4: the same file again says it is already attached (one attachment stays);
    picking another course drops the old course's attachments and says so."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, HAPPY_STUDENT)
        await pick_target(pilot, "高等数学(2-1)")
        await attach_shot(pilot, tmp_path)
        screen = app.screen
        assert len(screen.attachments) == 1
        await attach_shot(pilot, tmp_path)
        message = str(screen.query_one("#apply-message").render())
        assert ("已作为附件添加" in message) if lang == "zh" else ("already attached" in message)
        assert "已添加附件" not in message and len(screen.attachments) == 1
        await pick_target(pilot, "英语(2-2)")
        message = str(screen.query_one("#apply-message").render())
        assert "shot.png" in message and "高等数学(2-1)" in message
        assert screen.attachments == []
        shown = str(screen.query_one("#attachment-list").render())
        assert "shot.png" not in shown
        # Saving now stores the new course without the old screenshots.
        await pilot.press("f7")
        await settle(pilot)
    [draft] = services.applications(actor(services, HAPPY_STUDENT))
    assert draft.attachments == []


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_r3_is_said_when_apply_opens_and_the_draft_course_is_not_offered_twice(
    make, services, lang, size
):
    """Item 3: with a 无流程 draft waiting, F7 on 学分兑换 says R3 at once and opens that
    draft (not an empty form); its course is in the picker once."""
    me = actor(services, HAPPY_STUDENT)
    code = next(
        r.code for r in services.dossier(me).transcript.records if r.name == "高等数学(2-1)"
    )
    draft = services.save(me, code, [])
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, HAPPY_STUDENT)
        screen = app.screen
        assert screen.application_id == draft.id
        message = str(screen.query_one("#apply-message").render())
        assert "R3" in message and draft.id in message
        prompts = [str(o.prompt) for o in screen.query_one("#targets", OptionList).options]
        assert sum("高等数学(2-1)" in p for p in prompts) == 1
        assert "(*) 高等数学(2-1)" in "\n".join(prompts)


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_a_returned_applications_course_is_not_offered_in_a_new_form(make, lang, size):
    """Item 3: 马骏's 计算机应用基础 is 被退回 (XF2026-0003): a new form does not offer it
    again, and says where it is."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, RETURNED_STUDENT)
        screen = app.screen
        assert screen.application_id is None
        prompts = "\n".join(str(o.prompt) for o in screen.query_one("#targets", OptionList).options)
        assert "计算机应用基础" not in prompts
        taken = str(screen.query_one("#targets-taken").render())
        assert "计算机应用基础" in taken and "XF2026-0003" in taken


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_f3_folds_reasons_scrolls_to_its_end_and_close_is_reachable(make, lang, size):
    """Items 1 and 2: F3 shows each course's deciding reason and folds the rest (F4
    unfolds); no clause id; no line starts with 、 or ）; PageDown walks the whole list
    showing every course; 关闭 stays on screen and closes."""
    from credx_tui.dialogs.hidden_courses import HiddenCoursesDialog

    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HiddenCoursesDialog)
        courses = {v.course for v in dialog.verdicts}
        assert len(courses) > 3
        seen: set[str] = set()
        close = "关闭" if lang == "zh" else "Close"
        for _ in range(40):
            lines = visible(app)
            text = "\n".join(lines)
            assert "rules." not in text
            assert close in text
            inside = [ln.strip(" |") for ln in lines]
            assert not [ln for ln in inside if ln.startswith(("、", "）"))]
            seen |= {c for c in courses if c + "  " in text}
            listing = dialog.query_one("#hidden-list")
            if listing.scroll_y >= listing.max_scroll_y:
                break
            before = listing.scroll_y
            await pilot.press("pagedown")
            await settle(pilot)
            # A page is at most what is visible: nothing is skipped.
            assert listing.scroll_y - before <= listing.scrollable_content_region.height
        assert seen == courses

        def reasons(lines: list[str]) -> int:
            return sum(bool(re.match(r"  (【R\d+】|R\d+: )", ln)) for ln in lines)

        folded = dialog.lines(70)
        assert ("另有" in "".join(folded)) if lang == "zh" else ("more reason" in "".join(folded))
        assert reasons(folded) == len(dialog.verdicts)  # the deciding one each
        await pilot.press("f4")
        await settle(pilot)
        unfolded = dialog.lines(70)
        assert reasons(unfolded) == len(dialog.verdicts) + dialog.folded_count()
        assert "rules." not in "".join(unfolded)
        dialog.query_one("#hidden-close").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_toasts_are_small_in_the_corner_and_leave_the_rest_intact(make, tmp_path, lang, size):
    """Item 9: printing the transcript (F3, F6, 打印) raises toasts with long paths: each
    sits in the bottom-right corner, under half the width and a few lines tall, the
    path broken after ``/`` (or ``-``), and every cell left of it is as before."""
    from textual.widgets._toast import Toast

    from credx_tui.app import TOAST_LINES

    app = make(lang)
    async with app.run_test(size=size, notifications=True) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "enter")
        # the PDF is written in a worker; its toasts are mounted and laid out after it
        await until(pilot, lambda: len(app._notifications) >= 2, 60, "two notifications")
        await until(
            pilot,
            lambda: len([t for t in app.screen.query(Toast) if t.region.area]) >= 2,
            what=lambda: [(str(t.render()), t.region) for t in app.screen.query(Toast)],
        )
        toasts = list(app.screen.query(Toast))
        assert len(toasts) >= 2
        after = list(app.screen._compositor.render_strips())
        boxes = [t.region for t in toasts]
        notes = [str(t.render()) for t in toasts]  # what each toast draws
        app.clear_notifications()
        await until(pilot, lambda: not app.screen.query(Toast), what="the toasts gone")
        before = list(app.screen._compositor.render_strips())  # the same screen, bare
        width, height = size
        for box in boxes:
            assert box.width <= width // 2 and box.height <= TOAST_LINES
            assert box.right >= width - 2 and box.bottom <= height - 1  # the corner
            for row in range(box.y, box.bottom):
                assert after[row].crop(0, box.x - 1).text == before[row].crop(0, box.x - 1).text
        for note in notes:
            lines = note.split("\n")
            assert max(cell_len(ln) for ln in lines) <= width // 2 - 2
            path = str(tmp_path / "prints")
            assert path.split("/")[-1] in note.replace("\n", "")
            for line in lines[:-1]:
                if "/" in line:  # a path runs on: broken after a / or a -
                    assert line.endswith(("/", "-")), lines


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_r10_line_goes_when_the_student_leaves_and_comes_back(make, lang, size):
    """Item 6: F8 on an application 审核中 says R10 under the table; after 流程跟踪 (F9)
    and back, the line is gone."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("space", "f8")
        await settle(pilot)
        assert "R10" in str(app.screen.query_one("#exchange-message").render())
        await pilot.press("f9")
        await settle(pilot)
        assert not isinstance(app.screen, ExchangeScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
        assert "R10" not in str(app.screen.query_one("#exchange-message").render())
        assert "R10" not in "\n".join(visible(app))


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_a_submitted_application_is_numbered_like_the_portal(
    make, store, rules, tmp_path, lang, size
):
    """Item 6: the real flow (F7, course, F4, F6, F8) numbers the application
    XF2026-0008 after the demo's seven; the toast and 流程跟踪 say it whole."""
    from datetime import UTC, datetime

    from credx_tui.services import make_services

    services = make_services(store, rules, clock=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))
    app = make(lang, svc=services)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, HAPPY_STUDENT)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("f4")
        await settle(pilot)
        await attach_shot(pilot, tmp_path)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
        assert "XF2026-0008" in "\n".join(str(n.message) for n in app._notifications)
        await pilot.press("f9")
        await settle(pilot)
        assert "XF2026-0008" in "\n".join(visible(app))
    [mine] = services.applications(actor(services, HAPPY_STUDENT))
    assert mine.id == "XF2026-0008" and mine.status == Status.UNDER_REVIEW


def _sittings(text: str, lang: str) -> list[str]:
    """The results of the sitting lines (A3) in a printed or shown transcript."""
    kinds = ("正常考试", "补考", "重修") if lang == "zh" else ("exam", "make-up", "retake")
    pattern = re.compile(r"^\s+(" + "|".join(kinds) + r") \d{4}-\d{4}-\d (\S+)\s*$")
    found: list[str] = []
    for line in text.splitlines():
        # three columns side by side: look at each column's piece
        for piece in re.split(r"\s{3,}(?=\S)", line):
            match = pattern.match("  " + piece.strip())
            if match:
                found.append(match.group(2))
    return found


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_passing_only_with_a3_leaves_failing_sittings_out(make, tmp_path, lang, size):
    """Item 5: 只打印及格 with A3 (F3, F6, both ticked, 打印): the screen and the text
    copy list 计算机网络基础's 补考 60 but not its failed 53, as the PDF does."""
    from credx_tui.widgets.plain import PlainCheckbox

    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        for box in ("#passed-only", "#a3"):
            app.screen.query_one(box, PlainCheckbox).focus()
            await pilot.press("space")
        await pilot.press("f6")
        await settle(pilot)
        shown = str(app.screen.query_one("#transcript-text").render())
    [printed] = list((tmp_path / "prints").glob("*.txt"))
    for text in (shown, printed.read_text(encoding="utf-8")):
        results = _sittings(text, lang)
        assert "60" in results  # the passing 补考 sittings are there
        assert not {"53", "48", "52", "50"} & set(results)  # the failed ones are not


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_spent_electives_are_marked_on_the_transcript_and_exchange_page(make, lang, size):
    """Item 7: 孙嘉怡's XF2026-0001 is approved: on 学生成绩总表 the two electives that
    paid carry the mark and the note names XF2026-0001 under the totals; 学分兑换
    lists them spent with the application."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, APPROVED_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        text = str(app.screen.query_one("#transcript-text").render())
        assert len(re.findall(r"\d\*", text)) == 2  # 74* and 68*: the two that paid
        assert "XF2026-0001" in text.replace("\n", "")
        await pilot.press("escape", "f4")
        await settle(pilot)
        spent = str(app.screen.query_one("#exchange-spent").render())
        assert "中华诗词之美(尔雅)" in spent and "XF2026-0001" in spent
        assert "XF2026-0001" in "".join(visible(app)).replace(" ", "")


# -- item 1: every student screen usable at 80x24 (compact layouts) --------------------


def _region_text(app, widget) -> str:
    """The cells a widget covers on screen now, spaces dropped (wrapped text joins)."""
    box = widget.region
    lines = list(app.screen._compositor.render_strips())[box.y : box.bottom]
    return "".join(s.crop(box.x, box.right).text for s in lines).replace(" ", "")


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_exchange_page_fits_and_keeps_the_footer_keys(make, lang, size):
    """学分兑换: the course, its status and credits are on screen; the footer keeps
    f5, esc, ^q and f2; the other columns are still there (scrolled to)."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, RETURNED_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        from .test_english import footer_rows

        lines = visible(app)
        footer = footer_rows(app)  # one row, or two where the keys need them
        for key in ("f5", "esc", "^q", "f2", "f7", "f8"):
            assert f"{key} " in footer, footer
        table_text = "\n".join(lines)
        assert "计算机应用基础" in table_text
        assert ("被退回" if lang == "zh" else "Returned") in table_text
        table = app.screen.query_one("#applications")
        assert len(table.columns) == 15  # every column of the guide, reachable


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_apply_keeps_note_and_buttons_on_screen_and_free_sources_first(
    make, services, tmp_path, lang, size
):
    """申请: with a course picked, sources ticked and an attachment, 备注, 保存 and 提交
    are inside the screen; sources held elsewhere come after the free ones."""
    _submit_math(services)
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot, HAPPY_STUDENT)
        await pick_target(pilot, "英语(2-2)")
        await pilot.press("f4")
        await settle(pilot)
        await attach_shot(pilot, tmp_path)
        screen = app.screen
        width, height = size
        for selector in ("#note", "#save-button", "#submit-button"):
            box = screen.query_one(selector).region
            assert box.height >= 1 and box.bottom <= height - 1, (selector, box)
            assert box.right <= width
        spent = [o.spent for o in screen.options]
        assert True in spent and spent == sorted(spent)  # free first, held after
        sources = screen.query_one("#sources", OptionList)
        first_rows = _region_text(app, sources)
        assert screen.options[0].name.replace(" ", "") in first_rows


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_portal_notice_never_leaves_the_date_alone(make, lang, size):
    """Portal: 马骏's return notice is broken so the date starts a filled line, and no
    line starts with 。 or ，."""
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, RETURNED_STUDENT)
        notices = app.screen.query_one("#portal-notices")
        box = notices.region
        lines = [
            s.crop(box.x, box.right).text.rstrip()
            for s in list(app.screen._compositor.render_strips())[box.y : box.bottom]
        ]
        assert any("2026-03-05" in ln for ln in lines)
        for line in lines:
            assert not re.fullmatch(r"\s*\d{4}-\d\d-\d\d \d\d:\d\d\s*", line), lines
            assert not line.strip().startswith(("。", "，", "）")), lines


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_printed_paths_take_at_most_three_lines(make, tmp_path, lang, size):
    """学生成绩总表 after 打印: one folder, then the file names, at most three lines
    (it took four at 80x24), broken after a ``/``."""
    from .test_print_pdf import printed

    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("f6")
        await printed(pilot)
        widget = app.screen.query_one("#transcript-printed")
        said = str(widget.render())
        lines = said.splitlines()
        # Nothing is cut off, and past the lines the folder itself needs (a long
        # folder, such as pytest-xdist's, takes two), the file names take at most two.
        folder_lines = next(
            i for i, line in enumerate(lines) if line.rstrip().endswith(("：", ":"))
        )
        assert widget.region.height == len(lines)
        assert len(lines) - (folder_lines + 1) <= 2 and folder_lines + 1 <= 2, lines
        names = [p.name for p in (tmp_path / "prints").iterdir()]
        assert len(names) == 2 and all(n in said.replace("\n", "") for n in names)


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES)
async def test_trail_reason_is_shown_whole_in_the_table(make, services, lang, size):
    """流程跟踪 of XF2026-0003: the reviewer's 原因 is whole inside the table at 80x24
    (broken over lines of its row), not cut."""
    reason = next(
        e.reason
        for e in services.trail(actor(services, RETURNED_STUDENT), "XF2026-0003")
        if e.reason
    )
    app = make(lang)
    async with app.run_test(size=size) as pilot:
        await login(pilot, RETURNED_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        table = app.screen.query_one("#trail-table")
        # Read the 原因 column alone: at 80 columns 操作人 stands beside it, whole.
        columns = table.ordered_columns
        at = [c.key.value for c in columns].index("reason")
        x0 = table.region.x + sum(c.get_render_width(table) for c in columns[:at])
        x1 = x0 + columns[at].get_render_width(table)
        box = table.region
        lines = list(app.screen._compositor.render_strips())[box.y : box.bottom]
        shown = "".join(s.crop(x0, min(x1, box.right)).text for s in lines).replace(" ", "")
        assert reason.replace(" ", "") in shown
