"""Issue 15: the trainer's key echo shows what the trainer typed, not the terminal's
answers that Textual hands on as keys.  The keys here are what Textual 8's own
parser makes of the bytes a terminal (tmux) sends."""

from __future__ import annotations

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from credx_tui.training.echo import KeyEcho

ANSWERS = {
    "colour, ended by BEL": "\x1b]11;rgb:0000/0000/0000\x07",
    "colour, ended by ST": "\x1b]10;rgb:ffff/ffff/ffff\x1b\\",
    "device attributes": "\x1b[?64;1;2c",
    "secondary attributes": "\x1b[>0;10;1c",
    "version (XTVERSION)": "\x1bP>|tmux 3.3a\x1b\\",
    "keyboard flags": "\x1b[?0u",
}


def parsed(data: str) -> list[events.Key]:
    """The key events Textual's parser makes of ``data``."""
    parser = XTermParser()
    out = [*parser.feed(data), *parser.feed("")]
    return [event for event in out if isinstance(event, events.Key)]


def typed(echo: KeyEcho, *keys: tuple[str, str | None]) -> None:
    for label, character in keys:
        echo.add(label, character)


@pytest.mark.parametrize("data", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_between_typed_keys_is_not_echoed(data: str) -> None:
    answer = parsed(data)
    assert len(answer) > 3  # Textual does hand it on as keys
    echo = KeyEcho()
    typed(echo, ("F4", None), ("a", "a"))
    ended = [echo.add(event.key, event.character) for event in answer]
    typed(echo, ("b", "b"), ("^N", None))
    assert echo.labels() == ["F4", "a", "b", "^N"]
    assert ended[-1] and not any(ended[:-1])  # only the answer's last key is its end


def test_an_answer_in_part_is_held_back_then_dropped() -> None:
    echo = KeyEcho()
    echo.add("x", "x")
    answer = parsed(ANSWERS["colour, ended by ST"])
    for event in answer[:6]:
        echo.add(event.key, event.character)
    assert echo.labels() == ["x"]  # never a flash of "^ ] 1 0 ;"
    for event in answer[6:]:
        echo.add(event.key, event.character)
    assert echo.labels() == ["x"]


def test_typed_brackets_and_digits_still_show_and_only_the_last_eight() -> None:
    echo = KeyEcho()
    keys = [("[", "["), ("1", "1"), ("]", "]"), ("2", "2"), ("x", "x"), ("^", "^")]
    keys += [("c", "c"), ("F2", None), ("Enter", "\r"), ("Esc", "\x1b")]
    for label, character in keys:
        assert not echo.add(label, character)
    assert echo.labels() == ["]", "2", "x", "^", "c", "F2", "Enter", "Esc"]
    echo.clear()
    assert echo.labels() == []
