"""A link as a QR code drawn in terminal cells: the one drawing both link dialogs use
(the download link of issue 10, item 4, and the upload link of item 1).

The code is made with ``segno`` and drawn with the half-block glyph ``▀`` alone: each
cell is two modules, the upper one its foreground colour and the lower one its
background, black on white, with a light quiet zone around, so a phone scans it from
the terminal and from the browser's xterm alike.  Like the attachment preview, this is
the documented exception to style.md 8 (``▀`` is East-Asian ambiguous): README asks for
"ambiguous = narrow"."""

from __future__ import annotations

import segno
from rich.style import Style
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

QUIET_ZONE = 2
"""Light modules around the code (the standard asks 4; 2 still scans and fits 80x24)."""
HALF_BLOCK = "\u2580"
DARK = "#000000"
LIGHT = "#ffffff"


def qr_text(data: str, quiet_zone: int = QUIET_ZONE) -> Text:
    """``data`` as a QR code in terminal cells: one ``▀`` per two modules, every cell
    the same glyph, the colours carrying the picture.  The lowest error level keeps
    the code small enough for 80x24 (a screen does not smudge)."""
    code = segno.make(data, error="l", boost_error=True, micro=False)
    rows = [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=quiet_zone)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    styles = {
        (top, bottom): Style(color=DARK if top else LIGHT, bgcolor=DARK if bottom else LIGHT)
        for top in (False, True)
        for bottom in (False, True)
    }
    text = Text(no_wrap=True, overflow="crop", end="")
    for y in range(0, len(rows), 2):
        if y:
            text.append("\n")
        for top, bottom in zip(rows[y], rows[y + 1], strict=True):
            text.append(HALF_BLOCK, styles[(top, bottom)])
    return text


class QrCode(Static):
    """A link's QR code, exactly as large as the code (never wrapped or scaled)."""

    DEFAULT_CSS = """
    QrCode {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, data: str, *, id: str | None = None) -> None:
        text = qr_text(data)
        super().__init__(text, id=id)
        self.data = data
        """What the code says (the link)."""
        self.rows = text.plain.count("\n") + 1
        """Terminal rows the code takes (half its modules, quiet zone included)."""


def fit_dialog(frame: Widget, code: QrCode, screen_rows: int) -> None:
    """Drop the dialog's frame when the code and the frame together are taller than the
    screen (a longer ``public_url`` makes a larger code): the code is never cut, so it
    still scans at 80x24 for an address of up to 72 characters."""
    frame.set_class(code.rows + 2 > screen_rows, "qr-tight")
