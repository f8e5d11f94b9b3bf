"""Toasts keep every character over Chinese text (issue 15, ux15b item 6).

Textual composes a line in "chops" cut at every edge of every visible widget, then
takes each chop from the front-most widget.  A toast drawn over the 申请 buttons was cut
at the buttons' edges too; where such an edge fell inside one of the toast's own
double-width characters, the character was split and drawn as two blanks
(``请  传相关成绩的截  作为`` for ``请上传相关成绩的截图作为``).  Nothing behind a toast
shows through it, so the edges of the widgets behind are dropped inside a toast's
columns: the toast's line reaches the screen whole.

Installed once, when the app is imported, like ``widgets/glyphs.py``."""

from __future__ import annotations

from textual._compositor import Compositor
from textual.geometry import Region
from textual.widgets._toast import Toast

_TEXTUAL_CUTS = Compositor.cuts


def _cuts(self: Compositor) -> list[list[int]]:
    """Textual's cuts, less those strictly inside a toast on its lines."""
    fresh = self._cuts is None
    cuts: list[list[int]] = _TEXTUAL_CUTS.fget(self)  # type: ignore[attr-defined]
    if not fresh:
        return cuts
    for widget, (region, clip) in self.visible_widgets.items():
        if not isinstance(widget, Toast):
            continue
        x, y, width, height = Region.intersection(region, clip)
        for line in cuts[y : y + height] if width else ():
            line[:] = [cut for cut in line if not x < cut < x + width]
    return cuts


def install() -> None:
    """Drop the cuts behind toasts (idempotent)."""
    Compositor.cuts = property(_cuts)  # type: ignore[method-assign,assignment]
