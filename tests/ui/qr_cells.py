"""Reading a QR code back from what the screen draws (issue 10): the link dialogs'
codes are decoded from their cells with a real decoder (zxing-cpp), as a phone would."""

from __future__ import annotations

import pytest
from rich.text import Text

from credx_tui.widgets.qr import HALF_BLOCK


def modules(lines: list[list[tuple[str, object]]]) -> list[list[bool]]:
    """The QR modules back from cells (glyph, rich style): the upper half is the
    foreground colour, the lower half the background colour (black = dark)."""
    rows: list[list[bool]] = []
    for line in lines:
        assert {glyph for glyph, _ in line} == {HALF_BLOCK}
        rows.append([style.color.get_truecolor().hex == "#000000" for _, style in line])
        rows.append([style.bgcolor.get_truecolor().hex == "#000000" for _, style in line])
    return rows


def text_cells(text: Text) -> list[list[tuple[str, object]]]:
    """The cells of a Rich Text, line by line."""
    lines = []
    for line in text.split("\n"):
        cells = []
        for span in line.spans:
            cells += [(c, span.style) for c in line.plain[span.start : span.end]]
        lines.append(cells)
    return lines


def screen_cells(widget) -> list[list[tuple[str, object]]]:
    """The cells the widget draws on screen now (its strips), line by line."""
    from textual.geometry import Region

    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [
        [(c, segment.style) for segment in strip for c in segment.text if segment.text]
        for strip in strips
    ]


def decoded(cells: list[list[tuple[str, object]]]) -> str:
    """Read the drawn cells back as a phone would: each cell two pixels (upper: the
    foreground colour, lower: the background), enlarged, then a real QR decoder."""
    return decode_modules(modules(cells))


def decode_modules(rows: list[list[bool]]) -> str:
    """The text of a QR code given as rows of modules (True: dark), decoded by
    zxing-cpp from a picture of it, enlarged and framed in white."""
    from PIL import Image

    zxingcpp = pytest.importorskip("zxingcpp")
    image = Image.new("L", (len(rows[0]), len(rows)), 255)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            image.putpixel((x, y), 0 if dark else 255)
    image = image.resize((image.width * 8, image.height * 8), Image.NEAREST)
    framed = Image.new("L", (image.width + 64, image.height + 64), 255)
    framed.paste(image, (32, 32))
    [found] = zxingcpp.read_barcodes(framed)
    return found.text
