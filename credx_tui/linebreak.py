"""Line breaking for mixed Chinese and English text, in terminal cells (issue 15).

Rich and Textual wrap by whitespace-separated words: a Chinese sentence is one long
"word" folded at the exact width, so a line may begin with ``。``, ``、`` or ``）`` or
end with a lone ``（``; a sentence with one space in it ("（4 学分）") breaks at that
space, leaving half the line empty; an English word or a clause id may be cut in two.
This module breaks as Chinese typesetting does, for every text credx draws:

- a break may fall before and after every CJK character, and at whitespace between
  other words;
- punctuation that may not begin a line (:data:`NO_START`) stays with the character
  before it, and punctuation that may not end a line (:data:`NO_END`) with the one
  after it, by moving the break back a few characters at most (kinsoku, simple form);
- a Latin word (``rules.excluded.military``, ``R8``, ``2018110101``) stays whole when
  it fits on a line; a longer one breaks after a ``/`` (a path or an address), then
  after a ``-`` (a file name), else at the width.

Two ways in, one set of rules:

- :func:`divide_line`, the contract of ``rich._wrap.divide_line`` that Rich's ``Text``
  and Textual's ``Content`` call, put in their place by :func:`install` (the app does
  it once when it is imported), so dialogs, screens and the trainer's panel break by
  these rules;
- :func:`wrap`, lines of plain text with a hanging indent, for what credx lays out
  itself (printing, the F3 dialog, notices, the trail, toasts).

Rich and Textual are imported only by :func:`install`: printing uses :func:`wrap`
without a screen."""

from __future__ import annotations

import itertools
import re

from rich.cells import cell_len, chop_cells

NO_START = frozenset("。，、．：；！？）》」』】〕〉”’%,.;:!?)]}")
"""Characters that may not begin a line (closing punctuation, full stops, commas)."""

NO_END = frozenset("（《「『【〔〈“‘([{")
"""Characters that may not end a line (opening brackets and quotes)."""

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2018-\u201d"
_TOKEN = re.compile(rf"\s+|[{_CJK}]\s*|[^\s{_CJK}/]*/+\s*|[^\s{_CJK}/]+\s*")
"""A break may fall before each token: whitespace, one CJK character (with the spaces
after it), a run of other characters up to and with a ``/`` (a piece of a path), or a
run of other characters (a Latin word, a number, ASCII punctuation)."""

MAX_PULL_BACK = 4
"""How many tokens a break may move back to keep punctuation with its neighbours
(``（R8），`` needs three)."""


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """The offsets at which ``text`` is broken to fit ``width`` cells (the contract of
    ``rich._wrap.divide_line``), with the rules above."""
    return _breaks(text, width, width, fold)


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` as lines of at most ``width`` cells; the first line starts with
    ``first``, the others with ``rest`` (a hanging indent).  Each paragraph (``\\n``)
    is wrapped on its own; spaces at a break are dropped."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        prefix = first if not lines else rest
        room_first = max(1, width - cell_len(prefix))
        room_rest = max(1, width - cell_len(rest))
        cuts = [0, *_breaks(paragraph, room_first, room_rest, True), len(paragraph)]
        for index, (start, end) in enumerate(itertools.pairwise(cuts)):
            piece = paragraph[start:end].rstrip()
            if index:
                piece = piece.lstrip()
            lines.append((prefix if index == 0 else rest) + piece)
    return [line.rstrip() for line in lines]


def _breaks(text: str, first_width: int, width: int, fold: bool) -> list[int]:
    """The break offsets of ``text``: the first line ``first_width`` cells wide, the
    others ``width``."""
    if min(first_width, width) < 1:
        return []
    tokens = [(m.start(), m.group(0)) for m in _TOKEN.finditer(text)]
    breaks: list[int] = []
    line_start = 0
    cells = 0  # cells used on the current line so far
    for index, (start, token) in enumerate(tokens):
        room = width if breaks else first_width
        length = cell_len(token.rstrip())
        if cells + length <= room:
            cells += cell_len(token)
            continue
        if cells == 0 or start == line_start:  # alone on its line and still too long
            if fold and length > room:
                cells = _fold(token, start, room, width, breaks)
                line_start = breaks[-1] if breaks and breaks[-1] > line_start else line_start
            else:
                cells += cell_len(token)  # cropped, as Rich does without fold
            continue
        at = _pulled_back(text, tokens, index, line_start)
        carried = cell_len(text[at:start])  # what moved down with the token
        if carried and carried + length > width and (length <= width or carried >= width):
            # The token fits a line of its own but not after what moved with it:
            # break where the width asks rather than fold a word that would fit.
            at, carried = start, 0
        breaks.append(at)
        line_start = at
        if fold and carried + length > width:
            cells = _fold(token, start, width - carried, width, breaks)
            line_start = breaks[-1] if breaks[-1] > at else at
        else:
            cells = carried + cell_len(token)
    return breaks


def _pulled_back(text: str, tokens: list[tuple[int, str]], index: int, line_start: int) -> int:
    """Where to break before ``tokens[index]``: the nearest break at or before it
    (at most :data:`MAX_PULL_BACK` tokens back, never emptying the line) where the next
    line does not begin with a NO_START character or a space, nor this one end with a
    NO_END one; where there is none, the break the width asks for."""
    for k in range(index, max(index - MAX_PULL_BACK, 0) - 1, -1):
        at = tokens[k][0]
        if at <= line_start:
            break
        before = text[:at].rstrip()
        starts = text[at]
        if (
            starts not in NO_START
            and not starts.isspace()
            and not (before and before[-1] in NO_END)
        ):
            return at
    return tokens[index][0]


def _fold(token: str, start: int, room: int, width: int, breaks: list[int]) -> int:
    """Fold a token longer than the line across lines (``room`` cells left on this
    one, ``width`` on the next): after a ``-`` where it can, else at the width.
    Returns the cells used on the last line."""
    pieces = _pieces(token.rstrip(), room, width)
    pieces[-1] += token[len(token.rstrip()) :]
    offset = start
    for piece in pieces[:-1]:
        offset += len(piece)
        breaks.append(offset)
    return cell_len(pieces[-1])


def _pieces(token: str, room: int, width: int) -> list[str]:
    """``token`` as lines: the first at most ``room`` cells, the others ``width``;
    broken after a ``-`` where it can, else at the width."""
    parts: list[str] = []
    line = ""
    for piece in _after(token, "-"):
        limit = room if not parts else width
        if line and cell_len(line + piece) > limit:
            parts.append(line)
            line = ""
            limit = width
        while cell_len(line + piece) > limit:  # a piece longer than the line
            cut = chop_cells(piece, max(1, limit - cell_len(line)))[0]
            parts.append(line + cut)
            line, piece = "", piece[len(cut) :]
            limit = width
        line += piece
    if line or not parts:
        parts.append(line)
    return parts


def _after(token: str, mark: str) -> list[str]:
    """``token`` cut after each ``mark``, the marks kept."""
    parts = token.split(mark)
    return [p for p in [q + mark for q in parts[:-1]] + [parts[-1]] if p]
