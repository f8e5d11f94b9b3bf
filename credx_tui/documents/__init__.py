"""Printed documents as PDF: the 学业成绩单 (S1) and the 学分兑换 application form.

The renderers here take what the services handed out (a dossier, an application, its
trail) and draw it with ReportLab in an embedded CJK TrueType subset (:mod:`.fonts`).
They check nobody's rights: call them through :mod:`credx_tui.services.documents`,
which does.  No Textual here, so the TUI can render in a worker and the command line
stays light.
"""

from credx_tui.documents.errors import DocumentError, FontMissing, GlyphsMissing

__all__ = ["DocumentError", "FontMissing", "GlyphsMissing"]
