"""Small read-only tables as plain text, padded in terminal cells.

Rich's tables draw with box glyphs (East-Asian ambiguous, style.md 8) and read poorly
in tests; these are columns of text padded with ``rich.cells.cell_len``, so CJK and
ASCII line up in any terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text

GAP = 2
"""Spaces between columns."""


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], indent: int = 2, width: int = 0
) -> Text:
    """``header`` in bold, then ``rows``; each column as wide as its widest cell.
    The cells are literal text (user data never reaches markup).  With ``width``
    (cells) a last cell too long for the line wraps under its own column (a long
    certificate title at 80 columns), broken by :func:`credx_tui.linebreak.wrap`."""
    from credx_tui.linebreak import wrap

    widths = [cell_len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    start = indent + sum(w + GAP for w in widths[:-1])  # where the last column begins
    room = width - start if width else 0
    text = Text()
    for number, row in enumerate([header, *rows]):
        if number:
            text.append("\n")
        text.append(" " * indent)
        for i, cell in enumerate(row):
            last = i == len(row) - 1
            pad = "" if last else " " * (widths[i] - cell_len(cell) + GAP)
            if last and room >= 8 and cell_len(cell) > room:
                cell = ("\n" + " " * start).join(wrap(cell, room))
            text.append(cell + pad, style="bold" if number == 0 else "")
    return text
