"""The last escape on the way to the terminal, for every screen at once.

Textual and Rich strip only BEL, BS, VT, FF and CR from the text they render; an ESC
(``ESC ] 0 ; title BEL`` retitles a terminal, other sequences swallow output) or a C1
control passes through to the person's terminal.  The text gate (:mod:`policy.text`)
keeps such characters out of the store, so no screen should ever receive one; this is
the second wall, for text that never went through the gate (a pasted path, an OS error
message): every other control character is drawn as its visible Unicode "control
picture" (ESC as U+241B), one cell for one character, so the column layout and the
styles of the text stay as they are.
"""

from __future__ import annotations

from policy.text import BIDI_CONTROLS, LINE_SEPARATORS

_VISIBLE_SUBSTITUTE = "\u2426"
"""SYMBOL FOR SUBSTITUTE FORM TWO: narrow (East Asian width N), one cell."""


def translate_table() -> dict[int, str]:
    """Each control character (except tab and newline) to a visible one-cell picture."""
    table = {code: chr(0x2400 + code) for code in range(0x20) if code not in (9, 10)}
    table[0x7F] = "\u2421"
    table.update((code, _VISIBLE_SUBSTITUTE) for code in range(0x80, 0xA0))
    table.update((ord(ch), _VISIBLE_SUBSTITUTE) for ch in BIDI_CONTROLS | LINE_SEPARATORS)
    return table


def install() -> None:
    """Make Textual's and Rich's control-code filters show controls instead of passing
    them on.  The codes they already strip (BEL, BS, VT, FF, CR) stay stripped."""
    import rich.control
    import textual.content

    for strip in (textual.content._CONTROL_STRIP_TRANSLATE, rich.control._CONTROL_STRIP_TRANSLATE):
        for code, picture in translate_table().items():
            strip.setdefault(code, picture)  # type: ignore[call-overload]
