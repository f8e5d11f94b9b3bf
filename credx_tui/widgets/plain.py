"""Widgets drawn only with glyphs that are narrow in every terminal.

Textual's toggles draw with half-block glyphs and a tall border, which are East-Asian
*ambiguous*: a terminal set to "ambiguous = wide" (PuTTY, Xshell, a GNOME option)
shifts the whole line by one cell per glyph (style.md, 8).  This variant draws
``[x]`` / ``[ ]`` with ASCII and no border (see app.tcss).
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class PlainCheckbox(Checkbox):
    """A checkbox drawn as ``[x]`` when ticked and ``[ ]`` when not."""

    BUTTON_LEFT = "["
    BUTTON_INNER = "x"
    BUTTON_RIGHT = "]"

    @property
    def _button(self) -> Content:
        """The box, with the mark only when ticked (colour alone is not enough)."""
        return Content(f"[{'x' if self.value else ' '}]")
