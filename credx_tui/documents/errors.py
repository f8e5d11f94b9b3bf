"""Why a document could not be made.  No ReportLab here: importing the errors (as the
services and the screens do) costs nothing."""

from __future__ import annotations

from credx_tui.bilingual import BilingualError

ENV_FONT = "CREDX_PDF_FONT"
"""Environment variable naming the TrueType font file (``PATH`` or ``PATH#index``)."""


class DocumentError(BilingualError):
    """A document that cannot be made; the message says why and what to do."""


class FontMissing(DocumentError):
    """No usable CJK TrueType font is installed (or ``$CREDX_PDF_FONT`` is wrong)."""


MAX_LISTED = 8
"""Missing characters named in the message; the rest are counted."""


class GlyphsMissing(DocumentError):
    """The font lacks characters the document needs; they would print as boxes."""

    def __init__(self, font: str, chars: set[str]) -> None:
        shown = sorted(chars)[:MAX_LISTED]
        listed = " ".join(f"{c}(U+{ord(c):04X})" for c in shown)
        if len(chars) > MAX_LISTED:
            listed += f" (+{len(chars) - MAX_LISTED})"
        super().__init__(
            f"字体 {font} 缺少这些字：{listed}；请用环境变量 {ENV_FONT} 指定包含它们的 TrueType 字体",
            f"the font {font} lacks {listed}; name a TrueType font that has them in ${ENV_FONT}",
        )
        self.chars = chars
