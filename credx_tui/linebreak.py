"""Line breaking for mixed Chinese and English text, in terminal cells.

Rich breaks Chinese text at any character, so a line may begin with 、 or ）, and an
English word (or a clause id) may be cut in two.  This breaks as Chinese typesetting
does (kinsoku): closing punctuation stays at the end of the line before, opening
punctuation goes with what follows; runs of ASCII letters and digits are words that
break only at spaces, or at ``/`` for a long path (issue 15)."""

from __future__ import annotations

from rich.cells import cell_len

CLOSING = frozenset("、。，．；：？！）》】」』〉’”")
"""Never at the start of a line (ASCII punctuation stays inside its word)."""
OPENING = frozenset("（《【「『〈‘“")
"""Never at the end of a line."""


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: an ASCII word, one space, or one other character; then
    closing punctuation glued to the piece before and opening to the piece after."""
    raw: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            raw.append(word)
            word = ""
        raw.append(ch)
    if word:
        raw.append(word)
    glued: list[str] = []
    for tok in raw:
        closes = tok in CLOSING and glued and not glued[-1].isspace()
        opened = glued and glued[-1][-1] in OPENING and not tok.isspace()
        if closes or opened:
            glued[-1] += tok
        else:
            glued.append(tok)
    return glued


def _after(token: str, mark: str) -> list[str]:
    """``token`` cut after each ``mark``, the marks kept."""
    parts = token.split(mark)
    return [p for p in [q + mark for q in parts[:-1]] + [parts[-1]] if p]


def _split_long(token: str, width: int) -> list[str]:
    """A piece wider than a line: after a ``/`` (a path), then after a ``-`` (a file
    name), else by cells."""
    parts: list[str] = []
    pieces = []
    for piece in _after(token, "/"):
        pieces += [piece] if cell_len(piece) <= width else _after(piece, "-")
    line = ""
    for piece in pieces:
        if line and cell_len(line + piece) > width:
            parts.append(line)
            line = ""
        while cell_len(piece) > width:  # a single piece longer than the line
            cut = 1
            while cut < len(piece) and cell_len(piece[: cut + 1]) <= width:
                cut += 1
            parts.append(piece[:cut])
            piece = piece[cut:]
        line += piece
    if line:
        parts.append(line)
    return parts


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` as lines of at most ``width`` cells; the first line starts with
    ``first``, the others with ``rest`` (a hanging indent).  Each paragraph (``\\n``)
    is wrapped on its own."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        prefix = first if not lines else rest
        line = prefix
        room = max(1, width - cell_len(prefix))
        for token in _tokens(paragraph):
            if "/" in token:  # a path fills the line, broken after its slashes
                pieces = [q for p in _after(token, "/") for q in _split_long(p, room)]
            else:
                pieces = [token] if cell_len(token) <= room else _split_long(token, room)
            for piece in pieces:
                if cell_len(line) + cell_len(piece) > width and line.strip():
                    lines.append(line.rstrip())
                    line = rest
                    room = max(1, width - cell_len(rest))
                    if piece.isspace():
                        continue
                line += piece
        lines.append(line.rstrip())
    return lines
