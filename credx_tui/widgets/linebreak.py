"""Line breaking for Chinese text (issue 15): no line begins with 。 or ），none ends
with （, and Chinese text breaks between characters instead of at the next space.

Rich and Textual wrap by whitespace-separated words: a Chinese sentence is one long
"word" folded at the exact width, so a line may begin with ``。``, ``、`` or ``）`` or
end with a lone ``（``; and a sentence with one space in it ("（4 学分）") breaks at that
space, leaving half the line empty.  This module replaces the one function both
use (``rich._wrap.divide_line``, imported by ``rich.text`` and ``textual.content``)
with one that

- may break before and after every CJK character (as the Chinese rules of line
  breaking do), and at whitespace between other words;
- keeps punctuation that may not begin a line (``NO_START``) with the character
  before it, and punctuation that may not end a line (``NO_END``) with the one after
  it, by moving the break back (kinsoku, simple form: a few characters at most);
- keeps a Latin word (``rules.excluded.military``, ``R8``, ``2018110101``) whole when
  it fits on a line, and folds it only when it is longer than the line.

It is installed once, when the app is imported, like ``widgets/glyphs.py``."""

from __future__ import annotations

import re

import rich.text
import textual.content
from rich.cells import cell_len, chop_cells

NO_START = frozenset("。，、．：；！？）》」』】〕〉”’%,.;:!?)]}")
"""Characters that may not begin a line (closing punctuation, full stops, commas)."""

NO_END = frozenset("（《「『【〔〈“‘([{")
"""Characters that may not end a line (opening brackets and quotes)."""

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2018-\u201d"
_TOKEN = re.compile(rf"\s+|[{_CJK}]\s*|[^\s{_CJK}]+\s*")
"""A break may fall before each token: whitespace, one CJK character (with the spaces
after it), or a run of other characters (a Latin word, a number, ASCII punctuation)."""

MAX_PULL_BACK = 4
"""How many tokens a break may move back to keep punctuation with its neighbours
(``（R8），`` needs three)."""


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """The offsets at which ``text`` is broken to fit ``width`` cells (the contract of
    ``rich._wrap.divide_line``), with the rules above."""
    if width < 1:
        return []
    tokens = [(m.start(), m.group(0)) for m in _TOKEN.finditer(text)]
    breaks: list[int] = []
    line_start = 0
    cells = 0  # cells used on the current line so far
    for index, (start, token) in enumerate(tokens):
        length = cell_len(token.rstrip())
        if cells + length <= width:
            cells += cell_len(token)
            continue
        if cells == 0 or start == line_start:  # alone on its line and still too long
            if fold and length > width:
                cells = _fold(token, start, width, breaks)
                line_start = breaks[-1] if breaks and breaks[-1] > line_start else line_start
            else:
                cells += cell_len(token)  # cropped, as Rich does without fold
            continue
        at = _pulled_back(text, tokens, index, line_start)
        breaks.append(at)
        line_start = at
        if fold and length > width and at == start:
            cells = _fold(token, start, width, breaks)
            line_start = breaks[-1]
        else:
            cells = cell_len(text[at:start]) + cell_len(token)
    return breaks


def _pulled_back(text: str, tokens: list[tuple[int, str]], index: int, line_start: int) -> int:
    """Where to break before ``tokens[index]``: the nearest break at or before it
    (at most :data:`MAX_PULL_BACK` tokens back, never emptying the line) where the next
    line does not begin with a NO_START character nor this one end with a NO_END one;
    where there is none, the break the width asks for."""
    for k in range(index, max(index - MAX_PULL_BACK, 0) - 1, -1):
        at = tokens[k][0]
        if at <= line_start:
            break
        before = text[:at].rstrip()
        if text[at] not in NO_START and not (before and before[-1] in NO_END):
            return at
    return tokens[index][0]


def _fold(token: str, start: int, width: int, breaks: list[int]) -> int:
    """Fold a token longer than the line across lines; returns the cells used on the
    last line."""
    pieces = chop_cells(token, width=width)
    offset = start
    for piece in pieces[:-1]:
        offset += len(piece)
        breaks.append(offset)
    return cell_len(pieces[-1])


def install() -> None:
    """Use :func:`divide_line` in Rich's Text and Textual's Content (idempotent)."""
    rich.text.divide_line = divide_line
    textual.content.divide_line = divide_line
