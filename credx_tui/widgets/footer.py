"""Textual's footer, on two rows when one cannot hold every key (issue 15).

At 80 columns 申请 offers ten keys (save, submit, attach, detach, upload link,
suggest, hidden courses, back, quit, language): about a hundred cells, and Textual's
one-row footer cut them at "f2 Engl", out of sight.  A student reads the keys off the
footer (as in nano, whose two rows of keys are the model here), so every key stays on
it: when the keys are wider than the screen they flow onto a second row (a third if
ever needed), each key whole.  A screen whose keys fit keeps its one row.

Installed once, when the app is imported, like ``widgets/glyphs.py``: every screen
composes Textual's ``Footer`` and gets this behaviour.  :meth:`CredxScreen._fit_footer`
composes the footer again when the screen is resized."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

_TEXTUAL_COMPOSE = Footer.compose


def key_width(key: FooterKey, compact: bool) -> int:
    """Cells a footer key takes, its margin included (Textual's footer CSS: compact,
    ``k label`` and one cell of margin; otherwise `` k label `` padded)."""
    text = cell_len(key.key_display) + cell_len(key.description)
    return text + (2 if compact else 3) if key.description else cell_len(key.key_display) + 2


def rows_of(keys: Iterable[FooterKey], width: int, compact: bool) -> list[list[FooterKey]]:
    """``keys`` in order, as rows of at most ``width`` cells (a key wider than the
    row gets a row of its own)."""
    rows: list[list[FooterKey]] = [[]]
    used = 0
    for key in keys:
        cells = key_width(key, compact)
        if rows[-1] and used + cells > width:
            rows.append([])
            used = 0
        rows[-1].append(key)
        used += cells
    return rows


def balanced_rows(keys: list[FooterKey], width: int, compact: bool) -> list[list[FooterKey]]:
    """As few rows as :func:`rows_of` needs, filled evenly: the narrowest row width
    that still needs no more rows (so the last row is not one lone key)."""
    rows = rows_of(keys, width, compact)
    total = sum(key_width(k, compact) for k in keys)
    for limit in range(max(1, total // len(rows)), width):
        even = rows_of(keys, limit, compact)
        if len(even) == len(rows):
            return even
    return rows


def _compose(self: Footer) -> ComposeResult:
    """Textual's keys, in rows that fit the screen's width (the palette key, shown
    from 100 columns, at the right end of the last row)."""
    items: list[Widget] = list(_TEXTUAL_COMPOSE(self))
    palette = [w for w in items if isinstance(w, FooterKey) and w.has_class("-command-palette")]
    keys = [w for w in items if isinstance(w, FooterKey) and w not in palette]
    width = (self.screen.size.width or self.app.size.width) - sum(
        key_width(p, self.compact) for p in palette
    )
    rows = balanced_rows(keys, width, self.compact)
    if len(rows) <= 1 or len(keys) + len(palette) != len(items):  # one row, or groups
        self.remove_class("-rows")
        self.screen.remove_class("-footer-rows")
        self.styles.height = 1
        yield from items
        return
    self.add_class("-rows")
    self.screen.add_class("-footer-rows")  # toasts sit above both rows (app.tcss)
    self.styles.height = len(rows)
    for index, row in enumerate(rows):
        with HorizontalGroup(classes="footer-row"):
            yield from row
            if index == len(rows) - 1:
                yield from palette


def install() -> None:
    """Compose every footer in rows (idempotent)."""
    Footer.compose = _compose  # type: ignore[method-assign]
