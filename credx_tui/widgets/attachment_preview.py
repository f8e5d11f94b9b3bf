"""An attachment drawn inside the terminal (issue 10, item 3): screenshots and the pages
of a PDF, for a reviewer over SSH who has no other way to see the evidence.

Pictures go through ``textual-image``: Kitty graphics or Sixel where the terminal
answered that it can draw them, coloured half-blocks everywhere else.  Half-blocks are
forced (:func:`use_halfblocks`) when the app is headless (tests), in the browser
(textual-serve: its xterm.js draws no graphics for us), when stdout is no terminal, and
when ``CREDX_IMAGE=halfblock``.

**The documented exception to style.md 8.** The half-block glyph ``▀`` (U+2580) is
East-Asian *ambiguous*: on a terminal set to "ambiguous = wide" each image row doubles.
There is no narrow glyph that splits a cell in two, and the picture is carried by the
colours of each half cell; so the image area, and only it, draws this glyph.  The
README asks for "ambiguous = narrow" anyway (Terminals).

PDF pages are rendered with ``pypdfium2`` (first page in the preview, every page in the
viewer); the picture is cut and reduced here with Pillow (LANCZOS, sharper text than
the library's default resize), so each redraw only maps a small image to cells.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass, field

from PIL import Image as PILImage
from textual.app import App, ComposeResult
from textual.containers import Container
from textual.widgets import Static
from textual_image.widget import AutoImage as _BestImage
from textual_image.widget import HalfcellImage, SixelImage
from textual_image.widget import Image as AutoImage

from policy.models import Attachment

Picture = HalfcellImage | _BestImage | SixelImage
"""The widget a picture is drawn with: half blocks, or ``AutoImage``, the terminal's
best (textual-image picks ``_BestImage`` or, on a Sixel terminal, ``SixelImage``)."""

PDF_SCALE = 2.0
"""pypdfium2 render scale (72 dpi x 2 = 144 dpi): an A4 page of 1190x1684 pixels, enough
for the viewer's deepest zoom on a scanned certificate."""

CELL_ASPECT = 2.0
"""A terminal cell is about twice as tall as wide; a half-block pixel is then square."""


class PreviewError(Exception):
    """The attachment cannot be drawn (damaged image or PDF); the text says why."""


@dataclass
class Pages:
    """The pictures of one attachment: one page for an image, every page of a PDF,
    rendered on first use and kept."""

    payload: bytes
    media_type: str
    _cache: dict[int, PILImage.Image] = field(default_factory=dict)
    _count: int | None = None

    @property
    def count(self) -> int:
        """How many pages (1 for an image)."""
        if self._count is None:
            if self.media_type == "application/pdf":
                self._count = len(self._pdf())
            else:
                self._count = 1
        return self._count

    def _pdf(self):  # -> pypdfium2.PdfDocument
        import pypdfium2

        try:
            return pypdfium2.PdfDocument(self.payload)
        except Exception as exc:  # pypdfium2 raises PdfiumError and others
            raise PreviewError(f"PDF: {exc}") from None

    def page(self, number: int) -> PILImage.Image:
        """Page ``number`` (0-based) as an RGB picture."""
        number = min(max(number, 0), self.count - 1)
        if number not in self._cache:
            self._cache[number] = self._render(number)
        return self._cache[number]

    def _render(self, number: int) -> PILImage.Image:
        if self.media_type == "application/pdf":
            pdf = self._pdf()
            try:
                page = pdf[number]
                return page.render(scale=PDF_SCALE).to_pil().convert("RGB")
            except Exception as exc:
                raise PreviewError(f"PDF: {exc}") from None
            finally:
                pdf.close()
        try:
            picture = PILImage.open(io.BytesIO(self.payload))
            picture.load()
        except Exception as exc:  # Pillow raises UnidentifiedImageError, OSError...
            raise PreviewError(str(exc)) from None
        return picture.convert("RGB")


def use_halfblocks(app: App) -> bool:
    """Whether to draw with coloured half-blocks rather than the terminal's graphics."""
    if os.environ.get("CREDX_IMAGE", "").lower() in ("halfblock", "halfcell", "text"):
        return True
    stdout = sys.__stdout__
    if app.is_headless or app.is_web or stdout is None or not stdout.isatty():
        return True
    # textual-image asked the terminal at import; without Sixel or Kitty graphics its
    # automatic choice is already the half-cell renderer.
    return AutoImage is HalfcellImage


def view_region(
    size: tuple[int, int], cells: tuple[int, int], zoom: float, centre: tuple[float, float]
) -> tuple[int, int, int, int]:
    """The part of a picture of ``size`` pixels shown in ``cells`` (columns, rows) at
    ``zoom`` (1 = the picture's width fills the columns) around ``centre`` (fractions of
    width and height): a box (left, top, right, bottom), clamped inside the picture."""
    width, height = size
    cols, rows = max(cells[0], 1), max(cells[1], 1)
    shown_w = width / max(zoom, 1e-6)
    shown_h = shown_w * rows * CELL_ASPECT / cols
    shown_w, shown_h = min(shown_w, width), min(shown_h, height)
    left = min(max(centre[0] * width - shown_w / 2, 0), width - shown_w)
    top = min(max(centre[1] * height - shown_h / 2, 0), height - shown_h)
    return round(left), round(top), round(left + shown_w), round(top + shown_h)


def fit(picture: PILImage.Image, cols: int, rows: int | None = None) -> tuple[int, int]:
    """Cells (columns, rows) that show ``picture`` at ``cols`` wide keeping its aspect,
    at most ``rows`` tall (then narrower)."""
    width, height = picture.size
    need = max(1, round(cols * height / width / CELL_ASPECT))
    if rows is not None and need > rows:
        return max(1, round(rows * width * CELL_ASPECT / height)), rows
    return cols, need


def reduced(picture: PILImage.Image, cols: int, rows: int, halfblocks: bool) -> PILImage.Image:
    """``picture`` reduced for ``cols`` x ``rows`` cells: exactly one pixel per half
    cell for half-blocks (LANCZOS); for graphics terminals a few pixels per cell."""
    per_cell = (1, 2) if halfblocks else (10, 20)
    target = (max(cols * per_cell[0], 1), max(rows * per_cell[1], 1))
    if picture.width <= target[0] and picture.height <= target[1]:
        return picture.resize(target, PILImage.Resampling.NEAREST)
    return picture.resize(target, PILImage.Resampling.LANCZOS)


class AttachmentPreview(Container):
    """The selected attachment, fit to the width of the area (at most ``max_rows``
    tall), with a one-line caption: file name, page, and how to open the viewer."""

    DEFAULT_CSS = """
    AttachmentPreview { height: auto; width: 1fr; }
    AttachmentPreview > .preview-image { width: auto; height: auto; }
    """

    def __init__(self, *, max_rows: int = 30, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_rows = max_rows
        """The tallest the picture may be (the decision screen keeps room for text)."""
        self.pages: Pages | None = None
        self.attachment: Attachment | None = None
        self.caption_text = ""
        """What the caption says under the picture (set by the screen, translated)."""
        self._image: Picture | None = None
        self._drawn_width = -1

    def compose(self) -> ComposeResult:
        yield Static("", classes="preview-caption", markup=False)

    def show(self, attachment: Attachment | None, payload: bytes | None, caption: str) -> None:
        """Draw ``attachment`` (its bytes read through the services), or nothing."""
        self.attachment = attachment
        self.caption_text = caption
        self.pages = Pages(payload, attachment.media_type) if attachment and payload else None
        self._draw()

    def on_resize(self) -> None:
        if self.size.width != self._drawn_width:
            self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        caption = self.query_one(".preview-caption", Static)
        caption.update(self.caption_text)
        picture = None
        if self.pages is not None:
            try:
                picture = self.pages.page(0)
            except PreviewError as exc:
                caption.update(f"{self.caption_text}\n{exc}")
        if picture is None:
            if self._image is not None:
                self._image.display = False
            return
        self._drawn_width = self.size.width
        cols = max((self.size.width or self.app.size.width) - 2, 10)
        cols, rows = fit(picture, cols, self.max_rows)
        halfblocks = use_halfblocks(self.app)
        shown = reduced(picture, cols, rows, halfblocks)
        if self._image is None:
            kind = HalfcellImage if halfblocks else AutoImage
            self._image = kind(shown, classes="preview-image")
            self.mount(self._image, before=caption)
        else:
            self._image.image = shown
        self._image.styles.width = cols
        self._image.styles.height = rows
        self._image.display = True

    @property
    def image_widget(self) -> Picture | None:
        """The picture's widget (tests look at its cells)."""
        return self._image
