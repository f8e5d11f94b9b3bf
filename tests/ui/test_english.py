"""English is complete (issue 15, Everywhere): every screen rendered in English shows
no Chinese character except data (names of people, courses, majors, classes, the
secondary colleges, certificates, what students and reviewers typed) and the F2 key's
language name 中文; Textual's own strings follow the UI language; footers and the
queue's status filter fit."""

from __future__ import annotations

import re

import pytest
from textual.widgets import DataTable, OptionList, Select
from textual.widgets._footer import FooterKey

from credx_tui.dialogs.approve_comment import ApproveDialog
from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.store import Store

from .conftest import (
    APPROVED_STUDENT,
    HAPPY_STUDENT,
    RETURNED_STUDENT,
    SIZES,
    login,
    settle,
)
from .test_journey import pick_target

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
LANGUAGE_NAME = "中文"
"""The F2 key names the other language in its own script, as language menus do."""


def drawn(app) -> list[str]:
    """What the terminal shows now, one string per row."""
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


def footer_rows(app) -> str:
    """The rows the screen's footer takes (one, or two where its keys need them)."""
    from textual.widgets import Footer

    region = app.screen.query_one(Footer).region
    return "\n".join(drawn(app)[region.y : region.bottom])


def data_corpus(store: Store) -> str:
    """Every piece of data a screen may show as it is (joined by newlines)."""
    parts: list[str] = list(store.colleges())
    for college in store.colleges():
        for app in store.applications(college):
            parts += [app.note, *(a.filename for a in app.attachments)]
            summary = app.summary
            if summary is not None:
                parts += [summary.student_name, summary.major, summary.class_name]
                parts.append(summary.course_name)
            for event in store.events(college, app.id, app.student_id):
                parts += [event.reason, event.comment]
    for student in store.students():
        parts += [student.name, student.college, student.major, student.class_name]
        transcript = store.transcript(student.id)
        if transcript is not None:
            parts += [r.name for r in transcript.records]
            parts += [r.name_en for r in transcript.records]
            parts += [c.title for c in transcript.certificates]
            parts += [e.name for e in transcript.level_exams]
    for account in store.accounts():
        parts.append(account.display_name)
    return "\n".join(p for p in parts if p)


def foreign(app, corpus: str) -> list[str]:
    """Chinese runs on screen that are not (part of) data nor the language key."""
    found = []
    for line in drawn(app):
        for run in CJK.findall(line.replace(LANGUAGE_NAME, "")):
            if run not in corpus:
                found.append(f"{run!r} in {line.strip()!r}")
    return found


def footer_fits(app) -> list[str]:
    """Footer keys cut by the screen's edge or hidden under the palette key."""
    keys = list(app.screen.query(FooterKey))
    palette = [k for k in keys if k.has_class("-command-palette")]
    limit = palette[0].region.x if palette else app.size.width
    return [
        f"{k.key_display} {k.description}"
        for k in keys
        if k not in palette and k.region.width and k.region.right > limit
    ]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("size", SIZES)
async def test_every_screen_in_english_shows_only_data_in_chinese(make, store, size) -> None:
    corpus = data_corpus(store)
    app = make(lang="en")
    seen: dict[str, list[str]] = {}
    cut: dict[str, list[str]] = {}

    async def look(name: str) -> None:
        await settle(pilot)
        seen[name] = foreign(app, corpus)
        if size[0] >= 120:
            cut[name] = footer_fits(app)

    async with app.run_test(size=size) as pilot:
        await look("login")
        await login(pilot, APPROVED_STUDENT)
        await look("portal with a decision")
        await pilot.press("f3")
        await look("transcript")
        shown = "\n".join(drawn(app))
        assert "Exchanged" in shown  # never cut to Exch..
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PrintDialog)
        await look("print options")
        assert "level exams" in "\n".join(drawn(app))
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f4")
        await look("exchange")
        table = app.screen.query_one(DataTable)
        table.focus()
        await pilot.press("enter")
        await look("trail, approved")
        app.action_logout()
        await settle(pilot)
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pick_target(pilot, "高等数学(2-1)")
        await look("apply with a course")
        await pilot.press("f3")
        await look("hidden courses")
        await pilot.press("escape", "escape")
        await settle(pilot)
        app.action_logout()
        await settle(pilot)
        await login(pilot, RETURNED_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        await look("trail, returned")
        app.action_logout()
        await settle(pilot)
        await login(pilot, "rev_zn")
        await look("queue")
        app.screen.query_one("#queue-status", Select).value = "all"
        await look("queue, every status")
        table = app.screen.query_one("#queue-table", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("XF2026-0003"))  # the middle one
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert app.screen.check_action("previous", ()) and app.screen.check_action("next", ())
        await look("decision (every key: previous and next too)")
        await pilot.press("f7")  # XF2026-0002, under review
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        await look("approve dialog")
    assert {name: runs for name, runs in seen.items() if runs} == {}
    assert {name: keys for name, keys in cut.items() if keys} == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_f8_submit_and_the_status_filter_fit_80x24(make, lang) -> None:
    app = make(lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        [submit] = [k for k in app.screen.query(FooterKey) if k.key == "f8"]
        assert submit.description == ("Submit" if lang == "en" else "提交")
        assert submit.region.width > 0
        assert f"{submit.key_display} {submit.description}" not in footer_fits(app)
        assert f"{submit.key_display} {submit.description}" in footer_rows(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
        app.action_logout()
        await settle(pilot)
        await login(pilot, "rev_zn")
        label = "Waiting for me" if lang == "en" else "待我审核"
        assert any(label in line for line in drawn(app))
        status = app.screen.query_one("#queue-status", Select)
        assert status.query_one("SelectCurrent").region.height == 3  # one line in its box


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_textual_strings_follow_the_language(make, lang) -> None:
    said = {
        "zh": ("esc 收起菜单", "没有匹配的命令", "按 ctrl+q 退出程序"),
        "en": ("esc Dismiss menu", "No matches found", "Press ctrl+q to quit the app"),
    }[lang]
    other = {"zh": "Dismiss menu", "en": "收起菜单"}[lang]
    app = make(lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-status", Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        footer = footer_rows(app)
        assert said[0] in footer and other not in footer
        await pilot.press("escape")
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert said[2] in [str(n.message) for n in app._notifications]
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"zzzq")
        await pilot.pause(1.0)
        assert any(said[1] in line for line in drawn(app))


async def test_switching_language_relocalizes_the_open_menu_key(make) -> None:
    """F2 redraws the queue: its Selects are new widgets and must be localized too."""
    app = make(lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "rev_zn")
        await pilot.press("f2")
        await settle(pilot)
        app.screen.query_one("#queue-status", Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "esc Dismiss menu" in footer_rows(app)
        overlay = app.screen.query_one("SelectOverlay", OptionList)
        assert overlay.has_focus


@pytest.mark.parametrize("size", SIZES)
async def test_the_desk_in_english_and_without_ambiguous_cells(make, store, size) -> None:
    """The 教务处 desk (issue 12) came after the glyph work: its figure list drew
    Textual's tall border (▊▔▎▁); now ASCII, and English but for the colleges' names."""
    from .test_newcomers import ambiguous_cells

    app = make(lang="en")
    async with app.run_test(size=size) as pilot:
        await login(pilot, "admin")
        await settle(pilot)
        assert foreign(app, data_corpus(store)) == []
        assert ambiguous_cells(app) == set()  # the scrollbars too (ux15b item 4)
        assert footer_fits(app) == [] or size[0] < 120


# -- ux15b item 5: the attach, upload-link, download-link dialogs and the viewer ----------

PUBLIC = "https://credx.example.edu.cn/"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("size", SIZES)
async def test_the_file_dialogs_and_the_viewer_in_english(make, store, services, tmp_path, size):
    """The path dialog (F6, a wrong path too), the upload link (Ctrl+U, a file arriving
    and the same file again), the download link of a printed transcript (F6 in the
    print options) and the attachment viewer (the student's and the reviewer's), in
    English: no Chinese but data; every footer key whole."""
    from credx_tui.dialogs.attach_file import AttachDialog
    from credx_tui.screens.attachment_viewer import AttachmentViewerScreen
    from credx_tui.services.links import accept_upload
    from credx_tui.widgets.download_link import DownloadLinkDialog
    from credx_tui.widgets.upload_link import UploadLinkDialog

    from .conftest import attach_shot
    from .test_footer_fit import unseen
    from .test_upload_link import png_bytes, server_side, wait_for_poll

    rules = services.rules
    services.rules = rules.model_copy(
        update={"service": rules.service.model_copy(update={"public_url": PUBLIC})}
    )
    app = make(lang="en", svc=services)
    seen: dict[str, list[str]] = {}
    cut: dict[str, list[str]] = {}

    async def look(name: str, kind: type | None = None) -> None:
        await settle(pilot)
        if kind is not None:
            assert isinstance(app.screen, kind), (name, app.screen)
        seen[name] = foreign(app, data_corpus(store))
        cut[name] = unseen(app)

    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("f4")  # the suggested offer
        await pilot.press("f6")
        await look("attach dialog", AttachDialog)
        from textual.widgets import Input

        app.screen.query_one("#attach-path", Input).value = str(tmp_path / "nothing.png")
        await pilot.press("enter")
        await look("apply, a path that is not there", ApplyScreen)
        await attach_shot(pilot, tmp_path)
        await look("apply with a file", ApplyScreen)
        await attach_shot(pilot, tmp_path)  # the same file again
        await look("apply, the same file again", ApplyScreen)
        await pilot.press("ctrl+u")
        await look("upload link", UploadLinkDialog)
        dialog = app.screen
        token = dialog.url.rsplit("/", 1)[1]
        accept_upload(server_side(services), token, png_bytes("phone"), "phone.png")
        await wait_for_poll(pilot, lambda: "phone.png" in "\n".join(drawn(app)))
        await look("upload link, a file arrived", UploadLinkDialog)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f8")  # submit (a confirmation first when a warning shows)
        await settle(pilot)
        if not isinstance(app.screen, ApplyScreen) and app.screen.query("#confirm-yes"):
            await look("submit confirmation")
            await pilot.press("enter")
            await settle(pilot)
        app.action_logout()
        await settle(pilot)

        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("f6")
        for worker in [w for w in app.workers if w.group.startswith("print-")]:
            await worker.wait()
        await look("download link", DownloadLinkDialog)
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await look("trail of the submitted application", TrailScreen)
        await pilot.press("f4")
        await look("attachment viewer (student)", AttachmentViewerScreen)
        await pilot.press("escape")
        await settle(pilot)
        app.action_logout()
        await settle(pilot)

        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-search").value = HAPPY_STUDENT
        await settle(pilot)
        app.screen.query_one("#queue-table", DataTable).focus()
        await pilot.press("enter")
        await look("decision with attachments", ReviewDecisionScreen)
        await pilot.press("f4")
        await look("attachment viewer (reviewer)", AttachmentViewerScreen)
    assert {name: runs for name, runs in seen.items() if runs} == {}
    assert {name: keys for name, keys in cut.items() if keys} == {}
