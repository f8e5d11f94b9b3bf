"""Issue 10, item 4 in the TUI: over SSH or in a terminal (not the browser) the printed
学业成绩单 reaches the student as a one-time download link with its QR code, drawn
with ``▀`` alone and fitting 80x24; the link gives that PDF once."""

from __future__ import annotations

import os

import pytest
import segno

from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.documents.errors import FontMissing
from credx_tui.documents.fonts import find_font
from credx_tui.screens.trail import TrailScreen
from credx_tui.screens.transcript import TranscriptScreen
from credx_tui.services.links import LinkRefused, fetch_download
from credx_tui.widgets.download_link import DownloadLinkDialog
from credx_tui.widgets.qr import HALF_BLOCK, qr_text

from .conftest import HAPPY_STUDENT, RETURNED_STUDENT, SIZES, login, open_exchange, settle
from .qr_cells import decoded, modules, screen_cells, text_cells

PUBLIC = "https://credx.example.edu.cn/"


@pytest.fixture(autouse=True)
def cjk_font() -> None:
    try:
        find_font()
    except FontMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(exc.en)


@pytest.fixture
def linked(services):
    rules = services.rules
    services.rules = rules.model_copy(
        update={"service": rules.service.model_copy(update={"public_url": PUBLIC})}
    )
    return services


def test_the_qr_cells_are_the_code() -> None:
    url = PUBLIC + "d/" + "a" * 60
    text = qr_text(url, quiet_zone=2)
    assert set(text.plain) - {"\n"} == {HALF_BLOCK}
    code = segno.make(url, error="l", boost_error=True, micro=False)
    expected = [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]
    assert modules(text_cells(text))[: len(expected)] == expected
    assert decoded(text_cells(text)) == url


@pytest.mark.parametrize(("size", "lang"), [*((s, "zh") for s in SIZES), ((80, 24), "en")])
async def test_printing_over_ssh_shows_a_link_that_gives_the_pdf(make, linked, size, lang) -> None:
    app = make(lang, svc=linked)
    async with app.run_test(size=size) as pilot:
        assert not app.is_web
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PrintDialog)
        await pilot.press("f6")
        for worker in [w for w in app.workers if w.group.startswith("print-")]:
            await worker.wait()
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DownloadLinkDialog)
        assert dialog.url.startswith(PUBLIC + "d/")
        # The file is named in the UI's language (ux15b: no Chinese in the English UI).
        named = "学业成绩单" if lang == "zh" else "transcript"
        assert dialog.document_name == f"{named}-{HAPPY_STUDENT}.pdf"
        qr = dialog.query_one("#download-qr")
        screen = app.screen.region
        assert screen.contains_region(qr.region), (qr.region, screen)  # all of it visible
        for part in ("#download-url", "#download-hint", "#download-saved", "#download-close"):
            assert screen.contains_region(dialog.query_one(part).region), part
        assert decoded(screen_cells(qr)) == dialog.url  # what is drawn scans
        token = dialog.url.rsplit("/", 1)[1]
        got = fetch_download(linked, token)
        assert got.data.startswith(b"%PDF")
        with pytest.raises(LinkRefused):
            fetch_download(linked, token)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)


async def test_the_trail_takes_the_form_home(make, linked) -> None:
    app = make(svc=linked)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        await pilot.press("ctrl+e")
        for worker in [w for w in app.workers if w.group.startswith("print-")]:
            await worker.wait()
        await settle(pilot)
        assert isinstance(app.screen, DownloadLinkDialog)
        got = fetch_download(linked, app.screen.url.rsplit("/", 1)[1])
        assert got.filename == "学分兑换申请表-XF2026-0003.pdf" and got.data.startswith(b"%PDF")


async def test_attachments_leave_as_links_for_reviewer_and_student(make, linked, tmp_path):
    """F3 on the decision screen (the reviewer, a copy on the server too) and on the
    student's 流程跟踪: a link that gives the attachment itself, to that person."""
    from textual.widgets import Input

    from .test_reviewer import PNG, open_first, open_queue, submit_suggested

    shot = tmp_path / "补考成绩.png"
    shot.write_bytes(PNG)
    app_id = submit_suggested(linked, HAPPY_STUDENT, "高等数学(2-1)", attach=shot).id
    app = make(svc=linked)
    app.attachment_dir = tmp_path / "copies"
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        app.screen.query_one("#queue-search", Input).value = HAPPY_STUDENT
        await settle(pilot)
        await open_first(pilot)
        await pilot.press("f3")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DownloadLinkDialog)
        assert dialog.document_name == "补考成绩.png" and "copies" in dialog.saved
        got = fetch_download(linked, dialog.url.rsplit("/", 1)[1])
        assert (got.data, got.media_type) == (PNG, "image/png")

    app = make(svc=linked)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        assert app.screen.application_id == app_id
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, DownloadLinkDialog)
        got = fetch_download(linked, app.screen.url.rsplit("/", 1)[1])
        assert got.data == PNG and got.filename == "补考成绩.png"
