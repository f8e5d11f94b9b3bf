"""The CJK font every credx PDF embeds, and text measured in it.

A PDF that names a Chinese font without embedding it (ReportLab's CID fonts such as
STSong-Light) leaves the glyphs to the viewer, which on a machine without Chinese fonts
shows empty boxes.  So credx embeds a subset of a TrueType font that a Debian package
installs: WenQuanYi Zen Hei (``fonts-wqy-zenhei``: every CJK Unified Ideograph and
Extension A) first, then the other TrueType-outline CJK fonts Debian ships.  Debian's
``fonts-noto-cjk`` cannot serve: its outlines are CFF, which ReportLab cannot embed.
``$CREDX_PDF_FONT`` names another file instead (``/path/font.ttf`` or
``/path/fonts.ttc#1`` for the second face of a collection), e.g. a college's licensed
宋体.

No font, no PDF: :class:`FontMissing` names the package to install.  A character the
font lacks would print as an empty box, so every string drawn is checked
(:class:`CheckedFont`) and the renderer refuses instead (:class:`GlyphsMissing`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from credx_tui.documents.errors import ENV_FONT, FontMissing, GlyphsMissing

FONT_PACKAGE = "fonts-wqy-zenhei"
"""The Debian package that provides the default font (named in error messages)."""


@dataclass(frozen=True)
class FontCandidate:
    """A place where a usable CJK TrueType font may be installed."""

    path: Path
    index: int
    package: str
    """The package that installs it (Debian's name; other distributions differ)."""


CANDIDATES: tuple[FontCandidate, ...] = (
    FontCandidate(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0, "fonts-wqy-zenhei"),
    FontCandidate(Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"), 0, "wqy-zenhei-fonts"),
    FontCandidate(Path("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc"), 0, "wqy-zenhei"),
    FontCandidate(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0, "fonts-wqy-microhei"),
    FontCandidate(Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0, "fonts-arphic-uming"),
)
"""Searched in this order; the first that exists is used (Debian paths first)."""


class CheckedFont(TTFont):
    """A TrueType font that notes every character drawn which it has no glyph for.

    ReportLab silently draws such a character as glyph 0, an empty box."""

    def __init__(self, name: str, filename: str, subfontIndex: int = 0) -> None:
        super().__init__(name, filename, subfontIndex=subfontIndex)
        self.missing: set[str] = set()
        """Characters drawn since the last :meth:`reset` that the font lacks."""

    def reset(self) -> None:
        """Forget the missing characters of the previous document."""
        self.missing = set()

    def splitString(self, text, doc, encoding="utf-8"):  # ReportLab's name and signature
        if isinstance(text, bytes):
            text = text.decode(encoding)
        glyphs = self.face.charToGlyph
        for ch in text:
            if ord(ch) not in glyphs and not ch.isspace():
                self.missing.add(ch)
        return super().splitString(text, doc, encoding)


RENDER_LOCK = threading.Lock()
"""ReportLab keeps per-document subset state on the font object and the registry is
global: one render at a time per process (the TUI renders in a worker thread)."""

_loaded: dict[tuple[str, int], CheckedFont] = {}


def _from_env(value: str) -> FontCandidate:
    path, _, index = value.partition("#")
    try:
        number = int(index) if index else 0
    except ValueError:
        raise FontMissing(
            f"{ENV_FONT}={value}：# 后须是字体集中的序号",
            f"{ENV_FONT}={value}: after # comes the face's number in the collection",
        ) from None
    candidate = FontCandidate(Path(path).expanduser(), number, ENV_FONT)
    if not candidate.path.is_file():
        raise FontMissing(
            f"{ENV_FONT} 指定的字体文件不存在：{candidate.path}",
            f"the font file named by {ENV_FONT} does not exist: {candidate.path}",
        )
    return candidate


def find_font() -> FontCandidate:
    """The font file to embed: ``$CREDX_PDF_FONT``, else the first installed candidate."""
    value = os.environ.get(ENV_FONT, "").strip()
    if value:
        return _from_env(value)
    for candidate in CANDIDATES:
        if candidate.path.is_file():
            return candidate
    raise FontMissing(
        f"没有可嵌入 PDF 的中文字体：请安装 {FONT_PACKAGE}（sudo apt-get install {FONT_PACKAGE}），"
        f"或用 {ENV_FONT} 指定一个 TrueType 字体文件",
        f"no Chinese font to embed in the PDF: install {FONT_PACKAGE} "
        f"(sudo apt-get install {FONT_PACKAGE}) or name a TrueType font file in ${ENV_FONT}",
    )


def load_font() -> CheckedFont:
    """The registered font to draw with (loaded once per process and file)."""
    candidate = find_font()
    key = (str(candidate.path), candidate.index)
    font = _loaded.get(key)
    if font is None:
        name = f"CredxCJK{len(_loaded)}"
        try:
            font = CheckedFont(name, str(candidate.path), subfontIndex=candidate.index)
        except Exception as exc:  # ReportLab raises assorted errors for unusable files
            raise FontMissing(
                f"无法使用字体 {candidate.path}（{exc}）：需要 TrueType 轮廓的字体；"
                f"请安装 {FONT_PACKAGE}",
                f"cannot use the font {candidate.path} ({exc}): a font with TrueType "
                f"outlines is needed; install {FONT_PACKAGE}",
            ) from None
        pdfmetrics.registerFont(font)
        # ReportLab maps a second font of the same face (the symbol fallback may be
        # this very file) to the first object: draw with, and check, that one.
        registered = pdfmetrics.getFont(name)
        font = registered if isinstance(registered, CheckedFont) else font
        _loaded[key] = font
    font.reset()
    return font


FALLBACK_FONTS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/freefont/FreeSerif.ttf"),
)
"""Fonts for symbols the CJK font lacks (Debian's fonts-dejavu-core, fonts-freefont-ttf);
a character no font has is printed as its code point, e.g. ``[U+1F600]``."""

_fallback: list[CheckedFont | None] = []


def fallback_font() -> CheckedFont | None:
    """The registered symbol font, or None when none is installed."""
    if not _fallback:
        found: CheckedFont | None = None
        for path in FALLBACK_FONTS:
            if path.is_file():
                try:
                    found = CheckedFont("CredxFallback", str(path))
                except Exception:  # an unusable file: try the next one
                    continue
                pdfmetrics.registerFont(found)
                registered = pdfmetrics.getFont("CredxFallback")
                found = registered if isinstance(registered, CheckedFont) else found
                break
        _fallback.append(found)
    return _fallback[0]


def _has(font: TTFont, ch: str) -> bool:
    return ch.isspace() or ord(ch) in font.face.charToGlyph or _required(ch)


def _required(ch: str) -> bool:
    # Latin, CJK punctuation, ideographs and full-width forms are what the CJK font is
    # for: one of those missing means the wrong font is configured, which GlyphsMissing
    # reports, instead of a document of code points.
    code = ord(ch)
    return code < 0x250 or 0x3000 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF


def printable(font: CheckedFont, text: str) -> str:
    """``text`` with each character the font lacks written as its code point
    (``[U+1F600]``), so what a person typed (an emoji in the 备注) never makes a
    document unprintable and never prints as an empty box."""
    return "".join(ch if _has(font, ch) else f"[U+{ord(ch):04X}]" for ch in text)


def printable_markup(font: CheckedFont, text: str) -> str:
    """Paragraph markup of ``text`` (escaped): characters the CJK font lacks are drawn
    with the symbol font when it has them, else written as their code point."""
    from xml.sax.saxutils import escape

    extra = fallback_font()
    out: list[str] = []
    for ch in text:
        if _has(font, ch):
            out.append("<br/>" if ch == "\n" else escape(ch))
        elif extra is not None and ord(ch) in extra.face.charToGlyph:
            out.append(f'<font name="{extra.fontName}">{escape(ch)}</font>')
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


def face_name(font: CheckedFont) -> str:
    """The font's own name, for messages."""
    name = font.face.name
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


def check_glyphs(font: CheckedFont) -> None:
    """Refuse the document just drawn if the font lacked any of its characters."""
    if font.missing:
        raise GlyphsMissing(face_name(font), set(font.missing))


def text_width(font: CheckedFont, text: str, size: float) -> float:
    """Width of ``text`` in points at ``size``."""
    return pdfmetrics.stringWidth(text, font.fontName, size)


NO_LINE_START = frozenset(")]}）】』」〕》〉，。、；：？！,.;:?!%·—…")
"""Punctuation that never begins a line (it stays with the character before it)."""
NO_LINE_END = frozenset("([{（【『「〔《〈")
"""Brackets that never end a line (they stay with the character after them)."""


def _tokens(text: str) -> list[str]:
    """Breakable pieces: a run of Latin letters and digits stays whole, every other
    character (a hanzi, a bracket, a space) is a piece of its own, and closing
    punctuation sticks to the piece before it."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in ".-_/%+"):
            word += ch
            continue
        if word:
            if out and out[-1][-1] in NO_LINE_END:
                out[-1] += word
            else:
                out.append(word)
            word = ""
        if out and ((ch in NO_LINE_START and not out[-1].isspace()) or out[-1][-1] in NO_LINE_END):
            out[-1] += ch
        else:
            out.append(ch)
    if word:
        if out and out[-1][-1] in NO_LINE_END:
            out[-1] += word
        else:
            out.append(word)
    return out


def wrap(font: CheckedFont, text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` points (at least one line).

    Chinese breaks between any two characters; a Latin word or a number breaks only
    when it alone is wider than the line.  Characters the font lacks are written as
    their code point (:func:`printable`)."""
    text = printable(font, text)
    lines: list[str] = []
    for paragraph in text.split("\n") or [""]:
        line = ""
        for token in _tokens(paragraph):
            if text_width(font, line + token, size) <= width:
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = "" if token.isspace() else token
            while text_width(font, line, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and text_width(font, line[:cut], size) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines or [""]
