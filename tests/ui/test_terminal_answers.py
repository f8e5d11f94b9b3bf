"""Issue 15: the printable part of a terminal's answer never reaches a focused Input.

A slow link splits an answer (``ESC [ 12 ; 40 R``, ``ESC ] 11 ; rgb:... BEL``) and
Textual's parser hands its pieces on as keys.  The keys posted here are the ones
Textual 8's own parser makes of each piece, stamped with the instant each piece is
parsed, a quarter of a second apart (as a link delivers them); they are queued in one
go, as the driver queues them, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import time

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.pilot import Pilot
from textual.widgets import Input

from credx_tui.app import CredxApp

from .conftest import HAPPY_STUDENT, SIZES, login, settle

SPLIT_ANSWERS = {
    "cursor position, ESC alone": ("\x1b", "[12;40R"),
    "cursor position, in the middle": ("\x1b[12", ";40R"),
    "cursor position, after ESC [": ("\x1b[", "12;40R"),
    "device attributes": ("\x1b[?64;1", ";2c"),
    "colour, ended by BEL": ("\x1b]11;rgb:0000/", "0000/0000\x07"),
    "colour, ended by ST": ("\x1b]10;rgb:ffff/ffff/ffff\x1b", "\\"),
    "mouse (SGR)": ("\x1b[<35;1", "2;5M"),
}
"""Answers as a slow link splits them: the two pieces the app reads."""


def parsed(data: str) -> list[events.Key]:
    """The keys Textual's parser makes of ``data`` read alone (the rest of its escape
    sequence not coming in time)."""
    parser = XTermParser()
    return [e for e in [*parser.feed(data), *parser.feed("")] if isinstance(e, events.Key)]


def post(app: CredxApp, pieces: list[list[events.Key]], apart: float) -> None:
    """Queue the keys of ``pieces`` to the app as its driver does, each piece's keys
    stamped with one instant, the pieces ``apart`` seconds apart."""
    driver = app._driver
    assert driver is not None
    start = time.monotonic()  # the clock Textual stamps events with
    for n, piece in enumerate(pieces):
        for key in piece:
            key.time = start + n * apart
            key.set_sender(app)
            driver.send_message(key)


def typed(text: str) -> list[list[events.Key]]:
    """``text`` typed by a person: a piece of one key for each character."""
    return [parsed(char) for char in text]


async def until(pilot: Pilot, condition, what: str) -> None:
    """Wait (bounded, 10 s) until ``condition()`` holds."""
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never: {what}")


@pytest.mark.parametrize("size", SIZES)
async def test_split_answers_do_not_reach_the_student_number(make, size) -> None:
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#username", Input)
        assert app.focused is field
        for dropped, (name, pieces) in enumerate(SPLIT_ANSWERS.items(), start=1):
            field.value = ""
            await pilot.press(*HAPPY_STUDENT[:6])
            post(app, [parsed(piece) for piece in pieces], apart=0.25)
            await settle(pilot)
            await until(pilot, lambda: not app.answers.holding, f"{name}: dropped")
            await pilot.press(*HAPPY_STUDENT[6:])
            assert field.value == HAPPY_STUDENT, name
            assert app.answers.dropped == dropped, name
            assert app.screen.id == "login", name


async def test_the_note_on_apply_keeps_answers_out_and_typed_brackets_in(make) -> None:
    """申请's 备注: whole and split answers are dropped; a student typing the same
    characters key by key gets every one, in order, a lone ``]`` included."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        note = app.screen.query_one("#note", Input)
        note.focus()
        await pilot.press(*"ok")
        assert note.value == "ok"
        post(app, [parsed("\x1b[?64;1;2c")], apart=0)  # whole: still keys for Textual
        post(app, [parsed(p) for p in SPLIT_ANSWERS["colour, ended by BEL"]], apart=0.25)
        await settle(pilot)
        await until(pilot, lambda: not app.answers.holding, "the answers dropped")
        assert note.value == "ok" and app.answers.dropped == 2
        post(app, typed("[12;40R"), apart=0.08)
        await until(pilot, lambda: note.value == "ok[12;40R", "the typed text in the note")
        post(app, typed("]"), apart=0.08)
        await until(pilot, lambda: note.value == "ok[12;40R]", "a lone ] in the note")
        assert app.answers.dropped == 2
