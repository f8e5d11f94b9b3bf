"""Issue 6 from the TUI: the 打印 dialog also writes the PDF 学业成绩单, and Ctrl+E on an
application (the student's 流程跟踪, the reviewer's decision) writes its form."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from textual.widgets import DataTable

from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.documents.errors import FontMissing
from credx_tui.documents.fonts import find_font
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.screens.transcript import TranscriptScreen

from .conftest import HAPPY_STUDENT, RETURNED_STUDENT, login, open_exchange, screen_text, settle


@pytest.fixture(autouse=True)
def cjk_font() -> None:
    """The PDFs need a CJK TrueType font: skip without one, except under CI, where
    .ci/run installs fonts-wqy-zenhei and its absence is a failure."""
    try:
        find_font()
    except FontMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(exc.en)


async def printed(pilot) -> None:
    """Wait for the PDF worker, then for the screen."""
    for worker in [w for w in pilot.app.workers if w.group.startswith("print-")]:
        await worker.wait()
    await settle(pilot)


def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        return ""
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


async def test_print_dialog_writes_the_pdf_too(make, tmp_path):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PrintDialog)
        await pilot.press("f6")
        await printed(pilot)
        [pdf] = list((tmp_path / "prints").glob("transcript-*.pdf"))
        assert pdf.read_bytes().startswith(b"%PDF")
        # One folder, then the names (issue 15: a path no longer takes four lines).
        shown = screen_text(app).replace("\n", "")
        assert f"{pdf.parent}/" in shown and pdf.name in shown
        text = pdf_text(pdf)
        assert not text or ("学业成绩单" in text and "高等数学(2-1)" in text)


async def test_ctrl_e_on_the_trail_prints_the_application_form(make, tmp_path):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        assert isinstance(app.screen, ExchangeScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        await pilot.press("ctrl+e")
        await printed(pilot)
        [pdf] = list((tmp_path / "prints").glob("application-XF2026-0003-*.pdf"))
        text = pdf_text(pdf)
        assert not text or ("计算机应用基础" in text and "被退回" in text)


async def test_ctrl_e_on_the_reviewers_decision(make, tmp_path):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "rev_zn")
        app.screen.query_one("#queue-table", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        await pilot.press("ctrl+e")
        await printed(pilot)
        [pdf] = list((tmp_path / "prints").glob("application-XF2026-0002-*.pdf"))
        assert pdf.read_bytes().startswith(b"%PDF")
