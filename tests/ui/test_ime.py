"""Chinese input through a real input method: a committed phrase must arrive whole.

With Textual's kitty keyboard mode, a commit is reported as one escape sequence
carrying every code point; the parser gives up on sequences over 32 bytes and replays
them as keystrokes, so six hanzi arrive as garbage.  Without the mode the terminal
sends plain UTF-8, which arrives whole; credx turns the mode off (credx_tui/app.py)."""

from __future__ import annotations

from textual import constants, events
from textual._xterm_parser import XTermParser

PHRASE = "学分兑换申请"


def _typed(data: str) -> str:
    parser = XTermParser()
    keys = [e for e in parser.feed(data) if isinstance(e, events.Key)]
    keys += [e for e in parser.feed("") if isinstance(e, events.Key)]
    return "".join(k.character or "" for k in keys)


def test_kitty_report_of_a_long_commit_is_garbled():
    """The failure the app avoids: the kitty form of a six-hanzi commit."""
    codes = ":".join(str(ord(c)) for c in PHRASE)
    sequence = f"\x1b[{ord(PHRASE[0])};;{codes}u"
    assert len(sequence) > 32
    assert _typed(sequence) != PHRASE


def test_plain_utf8_commit_arrives_whole():
    assert _typed(PHRASE) == PHRASE


def test_app_turns_the_kitty_keyboard_mode_off():
    import credx_tui.app  # noqa: F401  (sets the variable and the constant)

    assert constants.DISABLE_KITTY_KEY is True
