"""One attachment full screen (issue 10, item 3): zoom in on the grade that matters,
pan over the screenshot, page through a PDF.  Over SSH this is the reviewer's only way
to read the evidence, so it replaces the old "no viewer here, copy saved" message.

Keys: ``+``/``-`` zoom (1 = the page's width fills the screen), arrows pan, PgUp/PgDn
page (PDF), ``0`` back to the whole width, Esc back.  The picture is cut to the shown
region before it is reduced to cells, so a deeper zoom shows more detail, not bigger
blocks.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Static
from textual_image.widget import HalfcellImage
from textual_image.widget import Image as AutoImage

from credx_tui.localize import bind
from credx_tui.ui import CredxScreen
from credx_tui.widgets.attachment_preview import (
    Pages,
    Picture,
    PreviewError,
    reduced,
    use_halfblocks,
    view_region,
)
from policy.models import Attachment

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
"""Zoom steps: at 16 a 1920-pixel screenshot shows 120 pixels across, one per column."""

PAN = 0.125
"""One arrow key moves the view by this share of what is shown."""


class AttachmentViewerScreen(CredxScreen):
    """Full-screen view of one attachment's pages."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("plus,equals_sign", "zoom(1)", "zoom_in"),
        bind("minus", "zoom(-1)", "zoom_out"),
        bind("0", "zoom(0)", "zoom_fit"),
        bind("left", "pan(-1, 0)", "pan_left", show=False),
        bind("right", "pan(1, 0)", "pan_right", show=False),
        bind("up", "pan(0, -1)", "pan_up", show=False),
        bind("down", "pan(0, 1)", "pan_down", show=False),
        bind("pageup", "page(-1)", "page_prev"),
        bind("pagedown", "page(1)", "page_next"),
        bind("escape", "back", "back"),
    ]

    DEFAULT_CSS = """
    AttachmentViewerScreen #viewer-status { height: 1; }
    AttachmentViewerScreen #viewer-image { width: auto; height: auto; }
    """

    def __init__(self, attachment: Attachment, payload: bytes) -> None:
        super().__init__(id="attachment-viewer")
        self.attachment = attachment
        self.pages = Pages(payload, attachment.media_type)
        self.page_number = 0
        self.zoom_index = 0
        self.centre = (0.5, 0.0)
        """Where the view is, as fractions of the page's width and height (top first)."""
        self.shown_box: tuple[int, int, int, int] = (0, 0, 0, 0)
        """The page's pixels shown now (left, top, right, bottom)."""
        self._image: Picture | None = None

    @property
    def zoom(self) -> float:
        """The zoom factor now."""
        return ZOOMS[self.zoom_index]

    def compose(self) -> ComposeResult:
        yield Static("", id="viewer-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self.draw)

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        """Cut the shown region out of the page and draw it in the free cells."""
        status = self.query_one("#viewer-status", Static)
        try:
            picture = self.pages.page(self.page_number)
            count = self.pages.count
        except PreviewError as exc:
            status.update(self.t("viewer.failed", name=self.attachment.filename, error=str(exc)))
            return
        cols = max(self.size.width, 10)
        # the status line and the footer (two rows when its keys need them)
        footer = self.query_one(Footer).outer_size.height or 1
        rows = max(self.size.height - 1 - footer, 3)
        self.shown_box = view_region(picture.size, (cols, rows), self.zoom, self.centre)
        left, top, right, bottom = self.shown_box
        crop = picture.crop(self.shown_box)
        # The crop keeps the cells' aspect unless the page is shorter than the screen.
        shown_rows = min(rows, max(1, round(cols * (bottom - top) / (right - left) / 2)))
        halfblocks = use_halfblocks(self.app)
        shown = reduced(crop, cols, shown_rows, halfblocks)
        if self._image is None:
            kind = HalfcellImage if halfblocks else AutoImage
            self._image = kind(shown, id="viewer-image")
            self.mount(self._image, before=status)
        else:
            self._image.image = shown
        self._image.styles.width = cols
        self._image.styles.height = shown_rows
        status.update(
            self.t(
                "viewer.status",
                name=self.attachment.filename,
                page=self.page_number + 1,
                pages=count,
                zoom=f"{self.zoom:g}",
            )
        )

    @property
    def image_widget(self) -> Picture | None:
        """The picture's widget (tests look at its cells)."""
        return self._image

    def action_zoom(self, step: int) -> None:
        """+ / - one zoom step around the centre; 0 back to the page's width."""
        if step == 0:
            self.zoom_index, self.centre = 0, (0.5, 0.0)
        else:
            self.zoom_index = min(max(self.zoom_index + step, 0), len(ZOOMS) - 1)
        self.draw()

    def action_pan(self, dx: int, dy: int) -> None:
        """Arrows: move the view by an eighth of what is shown."""
        picture = self.pages.page(self.page_number)
        left, top, right, bottom = self.shown_box
        width, height = picture.size
        x = (left + right) / 2 / width + dx * PAN * (right - left) / width
        y = (top + bottom) / 2 / height + dy * PAN * (bottom - top) / height
        self.centre = (min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0))
        self.draw()

    def action_page(self, step: int) -> None:
        """PgUp / PgDn: the previous or next page of a PDF, from its top."""
        number = min(max(self.page_number + step, 0), self.pages.count - 1)
        if number != self.page_number:
            self.page_number = number
            self.centre = (self.centre[0], 0.0)
            self.draw()

    def action_back(self) -> None:
        """Esc: back to the screen that opened the viewer."""
        self.app.pop_screen()
