"""Textual's own glyphs that are East-Asian *ambiguous* (or emoji), replaced app-wide.

On terminals set to "ambiguous = wide" (PuTTY, Xshell: common in the college's labs)
each of them takes two cells and shifts the rest of the line (style.md, 8).  The
password dots, the tree guides, the tree's ▶/▼ and the folder emoji are drawn by Python
code, not CSS, so they are changed here, once, when the app is imported, and so are
the scrollbars' eighth-block ends (``▁``..``▇``, ``▉``..``▏``); the borders of
the footer, toasts and Select are changed in ``app.tcss``.  The tests render every
screen and look for any ambiguous cell (tests/ui/test_newcomers.py)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets import DirectoryTree, Input, Tree

PASSWORD_MASK = "*"
"""One narrow cell per typed character of a password."""

ASCII_TREE_LINES = ("  ", "| ", "`-", "|-")
"""Tree guides (space, vertical, last child, child) in ASCII."""


class CellScrollBarRender(ScrollBarRender):
    """Textual's scrollbar in whole cells: the thumb is coloured blanks only, without
    the block elements that draw its ends by eighths (all East-Asian ambiguous).  It
    moves a cell at a time, which a list of a few hundred rows does not miss."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def _masked_value(self: Input) -> Text:
    if self.password:
        return Text(PASSWORD_MASK * len(self.value), no_wrap=True, overflow="ignore", end="")
    text = Text(self.value, no_wrap=True, overflow="ignore", end="")
    if self.highlighter is not None:
        text = self.highlighter(text)
    return text


def install() -> None:
    """Swap the glyphs in (idempotent)."""
    Input._value = property(_masked_value)  # type: ignore[assignment,method-assign]
    Tree.LINES = {name: ASCII_TREE_LINES for name in ("default", "bold", "double")}
    Tree.ICON_NODE = "> "
    Tree.ICON_NODE_EXPANDED = "v "
    DirectoryTree.ICON_NODE = "[+] "
    DirectoryTree.ICON_NODE_EXPANDED = "[-] "
    DirectoryTree.ICON_FILE = "    "
    ScrollBar.renderer = CellScrollBarRender
