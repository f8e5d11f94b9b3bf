"""Issue 15: the terminal's answers, handed on as keys by Textual's parser (whole, or
split in two by a slow link), are dropped; the same characters typed key by key by
a person get through.  The keys are what Textual 8's own parser makes of the bytes."""

from __future__ import annotations

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from credx_tui.terminal_answers import HOLD, PATIENCE, AnswerFilter

KNOWN = {
    "cursor position": "\x1b[12;40R",
    "focus in": "\x1b[I",
    "mouse (SGR)": "\x1b[<35;12;5M",
}
"""Answers Textual's parser knows when they come whole (they become events)."""

UNKNOWN = {
    "device attributes": "\x1b[?64;1;2c",
    "secondary attributes": "\x1b[>0;10;1c",
    "colour, ended by BEL": "\x1b]11;rgb:0000/0000/0000\x07",
    "colour, ended by ST": "\x1b]10;rgb:ffff/ffff/ffff\x1b\\",
    "version (XTVERSION)": "\x1bP>|tmux 3.3a\x1b\\",
    "keyboard flags": "\x1b[?0u",
}
"""Answers Textual's parser hands on as keys even when they come whole."""

ANSWERS = KNOWN | UNKNOWN

Key = tuple[str, str | None, float]
"""A key as the filter sees it: Textual's name, its character, when it was parsed."""


def parsed(data: str, at: float) -> list[Key]:
    """The keys Textual's parser makes of ``data`` read in one go (the rest of an
    escape sequence not coming, as when a link splits it), all parsed at ``at``."""
    parser = XTermParser()
    out = [*parser.feed(data), *parser.feed("")]
    return [(e.key, e.character, at) for e in out if isinstance(e, events.Key)]


def typed(text: str, start: float, every: float = 0.08) -> list[Key]:
    """``text`` typed key by key by a person, a key every ``every`` seconds."""
    return [(char, char, start + n * every) for n, char in enumerate(text)]


def key_filter() -> AnswerFilter[Key]:
    return AnswerFilter(
        character=lambda k: k[1], time=lambda k: k[2], alt=lambda k: k[0].startswith("alt+")
    )


def through(keys: list[Key]) -> list[Key]:
    """What the filter lets through of ``keys``, its held keys let go on time (as
    the app's timer does) before each key and at the end."""
    answers = key_filter()
    out: list[Key] = []
    for key in keys:
        out += answers.expire(key[2])
        out += answers.offer(key)
    out += answers.expire(keys[-1][2] + PATIENCE + 1)
    assert not answers.holding
    return out


def printable(keys: list[Key]) -> str:
    return "".join(k[1] for k in keys if k[1] is not None and k[1].isprintable())


@pytest.mark.parametrize("data", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_a_whole_answer_between_typed_keys_is_dropped(data: str) -> None:
    answer = parsed(data, at=10.0)
    assert printable(answer)  # Textual does hand it on as keys (or it is not tested)
    keys = [*typed("ab", 9.0), *answer, *typed("cd", 11.0)]
    assert printable(through(keys)) == "abcd"


@pytest.mark.parametrize("data", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_split_anywhere_in_two_is_dropped(data: str) -> None:
    """The link splits the answer after any byte; the second piece comes a quarter of a
    second later, when Textual has given up waiting and handed the first on as keys.
    What gets through is at most the Esc of an ESC that came alone.  A split that
    leaves one key on each side (``ESC [`` then ``I``) cannot be told from a person
    typing ``[`` then ``I``: it is not asked for."""
    for cut in range(1, len(data)):
        head, tail = parsed(data[:cut], 10.0), parsed(data[cut:], 10.25)
        if len(head) == len(tail) == 1:
            continue
        keys = [*typed("ab", 9.0), *head, *tail]
        out = through([*keys, *typed("cd", 11.0)])
        assert printable(out) == "abcd", repr(data[:cut])
        assert {k[0] for k in out} <= {"a", "b", "c", "d", "escape"}, repr(data[:cut])


@pytest.mark.parametrize("data", ANSWERS.values(), ids=ANSWERS.keys())
def test_the_same_characters_typed_key_by_key_get_through(data: str) -> None:
    text = data.replace("\x1b", "^").lstrip("^")  # what a person would type of it
    keys = typed(text, 10.0)
    assert through(keys) == keys
    fast = typed(text, 10.0, every=0.035)  # a fast typist: still keys of their own
    assert through(fast) == fast


def test_held_keys_wait_only_so_long_and_in_order() -> None:
    answers = key_filter()
    bracket = ("left_square_bracket", "[", 5.0)
    assert answers.offer(bracket) == []  # could begin an answer: held
    assert answers.due() == 5.0 + HOLD
    assert answers.expire(5.0 + HOLD / 2) == []
    assert answers.offer(("b", "b", 5.1)) == [bracket, ("b", "b", 5.1)]  # "[b": no answer
    start = parsed("\x1b[12;4", at=6.0)
    for key in start:
        assert answers.offer(key) == []
    assert answers.due() == 6.0 + PATIENCE  # several keys at once: wait for the rest
    assert answers.expire(6.0 + PATIENCE) == start  # it never came: let them through
    assert answers.offer(("F2", None, 8.0)) == [("F2", None, 8.0)]
    assert answers.dropped == 0


def test_an_esc_pressed_after_a_held_key_goes_through_after_it() -> None:
    answers = key_filter()
    assert answers.offer(("right_square_bracket", "]", 1.0)) == []
    escape = ("escape", "\x1b", 1.2)
    assert answers.offer(escape) == [("right_square_bracket", "]", 1.0), escape]
