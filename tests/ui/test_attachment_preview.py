"""Issue 10, item 3: the evidence inside the terminal, in half-block mode (headless
Pilot forces it), at 80x24 and 120x40: the decision screen's preview is drawn (its
cells carry many colours, not a blank box), F4 opens the full-screen viewer, + zooms
(other pixels shown), PgDn turns the page of a two-page PDF made with reportlab, Esc
goes back; the student sees the same preview in 流程跟踪."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from textual.geometry import Region
from textual.widgets import Input

from credx_tui.screens.attachment_viewer import AttachmentViewerScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.widgets.attachment_preview import AttachmentPreview, use_halfblocks

from .conftest import HAPPY_STUDENT, SIZES, login, open_exchange, settle
from .test_reviewer import open_first, submit_suggested


def screenshot_png(path: Path) -> Path:
    """A 1920x1080 'portal screenshot': coloured bands, a grid of grade cells, text."""
    picture = Image.new("RGB", (1920, 1080), "white")
    draw = ImageDraw.Draw(picture)
    for x in range(0, 1920, 120):
        draw.rectangle([x, 0, x + 119, 120], fill=(x % 256, 80, 255 - x % 256))
    for row in range(20):
        for col in range(8):
            shade = (row * 12 % 256, col * 30 % 256, 128)
            draw.rectangle(
                [40 + col * 230, 160 + row * 44, 250 + col * 230, 196 + row * 44], fill=shade
            )
    draw.text((60, 60), "成绩 59 补考 55", fill="black")
    picture.save(path, "PNG")
    return path


def two_page_pdf(path: Path) -> Path:
    """Two pages of different colours, written by reportlab (read by pdfium)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for colour in ((1, 0, 0), (0, 0, 1)):
        pdf.setFillColorRGB(*colour)
        pdf.rect(40, 40, 500, 760, fill=1)
        pdf.setFillColorRGB(0, 1, 0)
        pdf.rect(100, 600, 200, 100, fill=1)
        pdf.showPage()
    pdf.save()
    return path


def cells(widget) -> list[tuple[str, object, object]]:
    """(text, colour, background) of every segment the widget draws."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [
        (seg.text, seg.style.color if seg.style else None, seg.style.bgcolor if seg.style else None)
        for line in lines
        for seg in line
    ]


def colours(widget) -> set[object]:
    return {c for _, fg, bg in cells(widget) for c in (fg, bg) if c is not None}


async def open_decision_of(pilot, student: str) -> ReviewDecisionScreen:
    await login(pilot, "rev_zn")
    pilot.app.screen.query_one("#queue-search", Input).value = student
    await settle(pilot)
    return await open_first(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_reviewer_sees_the_screenshot_and_zooms(make, services, tmp_path, size):
    submit_suggested(
        services, HAPPY_STUDENT, "高等数学(2-1)", screenshot_png(tmp_path / "成绩.png")
    )
    app = make()
    async with app.run_test(size=size) as pilot:
        screen = await open_decision_of(pilot, HAPPY_STUDENT)
        assert use_halfblocks(app)
        preview = screen.query_one("#decision-preview", AttachmentPreview)
        image = preview.image_widget
        assert image is not None
        # fit to the width, or to the screen's height where that is shorter (80x24)
        assert image.size.width >= size[0] - 12 or image.size.height == preview.max_rows
        # fit to the width, the 16:9 aspect kept (half-block pixels are square)
        assert abs(image.size.height - image.size.width * 1080 / 1920 / 2) <= 1
        drawn = cells(image)
        assert {text for text, _, _ in drawn} <= {"▀"}  # the documented exception
        assert len(colours(image)) > 20
        await pilot.press("f4")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, AttachmentViewerScreen)
        fit = colours(viewer.image_widget)
        assert len(fit) > 20
        assert viewer.shown_box[2] - viewer.shown_box[0] == 1920  # the whole width
        await pilot.press("plus", "plus", "plus")
        await settle(pilot)
        left, top, right, _ = viewer.shown_box
        assert right - left == 1920 // 3  # zoom 3: a third of the width
        zoomed = cells(viewer.image_widget)
        await pilot.press("right", "right", "down")
        await settle(pilot)
        assert viewer.shown_box[0] > left and viewer.shown_box[1] > top
        assert cells(viewer.image_widget) != zoomed  # panning shows other pixels
        await pilot.press("0")
        await settle(pilot)
        assert colours(viewer.image_widget) == fit
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_pdf_pages_in_the_viewer_and_the_student_sees_it(make, services, tmp_path, size):
    submit_suggested(services, HAPPY_STUDENT, "高等数学(2-1)", two_page_pdf(tmp_path / "成绩.pdf"))
    app = make()
    async with app.run_test(size=size) as pilot:
        screen = await open_decision_of(pilot, HAPPY_STUDENT)
        preview = screen.query_one("#decision-preview", AttachmentPreview)
        assert preview.image_widget is not None
        assert "共 2 页" in str(preview.query_one(".preview-caption").render())
        await pilot.press("f4")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, AttachmentViewerScreen)
        first = colours(viewer.image_widget)
        await pilot.press("pagedown")
        await settle(pilot)
        assert viewer.page_number == 1
        second = colours(viewer.image_widget)
        assert first != second
        red = [c for c in first if c.triplet and c.triplet.red > 200 and c.triplet.blue < 60]
        blue = [c for c in second if c.triplet and c.triplet.blue > 200 and c.triplet.red < 60]
        assert red and blue
        await pilot.press("pagedown")  # no third page: stays
        await settle(pilot)
        assert viewer.page_number == 1
        await pilot.press("pageup")
        await settle(pilot)
        assert viewer.page_number == 0

    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        preview = app.screen.query_one("#trail-preview", AttachmentPreview)
        if size[1] >= 30:
            assert preview.image_widget is not None and len(colours(preview.image_widget)) > 2
        else:  # 80x24: the trail's table gets the room, F4 shows it (issue 15)
            assert not preview.display
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, AttachmentViewerScreen)


def test_a_damaged_attachment_is_a_message(tmp_path):
    from credx_tui.widgets.attachment_preview import Pages, PreviewError

    with pytest.raises(PreviewError):
        Pages(b"%PDF-1.4 not really", "application/pdf").page(0)
    with pytest.raises(PreviewError):
        Pages(b"\x89PNG\r\n\x1a\n broken", "image/png").page(0)
    good = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(good, "PNG")
    assert Pages(good.getvalue(), "image/png").page(0).size == (4, 4)
