"""The terminal's answers, kept from every field and binding (issue 15).

A terminal answers questions an application asks it (the cursor position
``ESC [ 12 ; 40 R``, the device attributes ``ESC [ ? 64 ; 1 c``, the colours
``ESC ] 11 ; rgb:... BEL``) and reports focus changes and the mouse.  Textual's parser
turns a whole answer it knows into an event, but an answer it does not know, or one
that a slow link delivers in two pieces, is handed on as keys: ``ESC`` alone times out
as Esc, and the rest (``[12;40R``, ``]11;rgb:0000/0000/0000``) was typed into the
focused Input, the 学号 of the login or the 备注 of 申请.

:class:`AnswerFilter` sits before the app's bindings and screens and looks at what
the keys spell.  A key that can begin an answer (``[``, ``]``, ``^``: the ESC Textual
shows for one it gave up on) is held; the keys after it are held while they still
spell the start of an answer; a complete answer is dropped, anything else is let
through in its order.

What tells a terminal's answer from a person typing the same characters is timing:
the terminal writes an answer in one go, so its keys come out of one read of the
parser and carry the same instant (Textual stamps each key when it parses it), a few
microseconds apart; a person's keys are tens of milliseconds apart at the fastest.
A run of keys no more than :data:`BURST_GAP` apart is one *piece*.  An answer is
dropped only when at least one of its pieces holds two keys or more; a student
typing ``[12;40R`` key by key makes pieces of one key each, and gets every character.
A split answer arrives as at most a few pieces (``[12`` then ``;40R``); two pieces of
one key in a row are a person typing, and are let through at once.

This module imports neither Textual nor Rich: the app hands it each key's character
and time.  The trainer's key echo (:mod:`credx_tui.training.echo`) uses the same
patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

_ESC = r"\^?"
"""Textual hands on the ESC that starts an unknown sequence as ``^`` (or drops it)."""

REPLY = re.compile(
    "|".join(
        (
            # OSC: colour, palette, clipboard answers; ended by BEL or ST (ESC \).
            _ESC + r"\][0-9]+;[^\x00\x07\\]*(?:\x07|\^?\\)",
            # DCS: XTVERSION, DECRQSS, XTGETTCAP answers; ended by ST.
            _ESC + r"P[>|!=+$0-9][^\x00\\]*\^?\\",
            # CSI answers: device attributes (c), reports (n, R, t), modes ($y), keyboard (u).
            _ESC + r"\[[?>=]?[0-9][0-9;:]*\$?[cnRtuy]",
            # Focus reports (ESC [ I, ESC [ O) and SGR mouse reports (ESC [ < b ; x ; y M).
            _ESC + r"\[[IO]",
            _ESC + r"\[<[0-9][0-9;]*[mM]",
        )
    )
)
"""An answer of the terminal, spelled by the keys Textual made of it."""

STARTED = re.compile(
    "(?:"
    + "|".join(
        (
            _ESC + r"\][0-9]+(?:;[^\x00\x07\\]*)?",
            r"\^P[>|!=+$0-9]?[^\x00\\]*",
            r"\^\[[?>=<]?[0-9;:]*\$?",
            r"\[[?>=<][0-9;:]*\$?",
        )
    )
    + r")\Z"
)
"""The start of an answer still arriving, at the end of what the keys spell (the key
echo's test: it looks at every key it keeps, so a bare ``[`` is not enough)."""

BEGINS = frozenset("[]^")
"""The characters a key must have to begin an answer handed on as keys (and ``P``
right after an Esc: the ESC of a DCS answer that came alone and timed out)."""

BEGUN = re.compile(
    "|".join(
        (
            r"\^",
            _ESC + r"\[[?>=<]?[0-9;:]*\$?",
            _ESC + r"\][0-9]*(?:;[^\x00\x07\\]*\^?)?",
            r"\^P(?:[>|!=+$0-9][^\x00\\]*\^?)?",
        )
    )
)
"""What the held keys may spell (matched whole): the start of an answer, still open."""

BURST_GAP = 0.03
"""Seconds at most between two keys of one piece (one read of the terminal)."""

HOLD = 0.3
"""Seconds a held key of a piece of one waits for the rest (a lone ``[`` may be what
is left of ``ESC [`` when a link splits an answer right after it)."""

PATIENCE = 1.0
"""Seconds held keys that arrived as one piece of several wait for the rest of an
answer split by a slow link."""

LONGEST = 96
"""Keys held at most (an OSC colour answer is about 25)."""

_OTHER = "\x00"
"""Stands for a key with no character of its own (F2, the arrows)."""

K = TypeVar("K")


@dataclass
class AnswerFilter(Generic[K]):
    """Keys in, keys out, without the terminal's answers.

    ``character`` and ``time`` read a key's one character (None: a key of its own)
    and the instant it was parsed, ``alt`` whether it came with Alt.  :meth:`offer` takes each key as it comes and
    returns the keys to act on now; :meth:`due` says when to call :meth:`expire`,
    which lets held keys go once no answer came of them."""

    character: Callable[[K], str | None]
    time: Callable[[K], float]
    alt: Callable[[K], bool] = lambda _: False
    """True for a key Textual made with Alt: what it makes of ESC P when the link
    splits a DCS answer right after them."""
    burst_gap: float = BURST_GAP
    hold: float = HOLD
    patience: float = PATIENCE
    _held: list[K] = field(default_factory=list)
    _pieces: list[int] = field(default_factory=list)
    _spelled: str = ""
    _last: float = 0.0
    _after_escape: bool = False
    dropped: int = 0
    """Answers dropped so far (for the log and the tests)."""

    @property
    def holding(self) -> bool:
        """True while keys are held back."""
        return bool(self._held)

    def due(self) -> float | None:
        """When the held keys are let through if nothing more comes (None: none held)."""
        if not self._held:
            return None
        return self._last + (self.patience if self._pieces[-1] > 1 else self.hold)

    def offer(self, key: K) -> list[K]:
        """The keys to act on now, in order, once ``key`` has come."""
        char = self.character(key)
        char = char if char is not None and len(char) == 1 else _OTHER
        when = self.time(key)
        if char == "\x1b" and self._held:
            char = "^"  # an ESC that timed out inside an answer split by the link
        if not self._held:
            after_escape, self._after_escape = self._after_escape, char == "\x1b"
            if char == "P" and (after_escape or self.alt(key)):
                char = "^P"  # a DCS answer (XTVERSION) whose ESC timed out alone
            elif char not in BEGINS:
                return [key]
            self._start(key, char, when)
            return []
        if when - self._last <= self.burst_gap:
            self._pieces[-1] += 1
        elif self._pieces[-1] == 1 and len(self._pieces) > 1:
            # Two pieces of one key in a row: a person typing, not a terminal.
            return [*self.flush(), *self.offer(key)]
        else:
            self._pieces.append(1)
        spelled = self._spelled + char
        if REPLY.fullmatch(spelled):
            if max(self._pieces) > 1:
                self._clear()
                self.dropped += 1
                return []
            return [*self.flush(), key]  # typed key by key: the person's own text
        if BEGUN.fullmatch(spelled) and len(self._held) < LONGEST:
            self._held.append(key)
            self._spelled = spelled
            self._last = when
            return []
        return [*self.flush(), *self.offer(key)]

    def expire(self, now: float) -> list[K]:
        """The held keys, when their time is up at ``now`` (else nothing)."""
        due = self.due()
        if due is None or now < due:
            return []
        return self.flush()

    def flush(self) -> list[K]:
        """Let every held key through (a click or a paste comes: what was typed
        before it must be in the field first)."""
        held = self._held
        self._clear()
        return held

    def _start(self, key: K, char: str, when: float) -> None:
        self._held = [key]
        self._pieces = [1]
        self._spelled = char
        self._last = when

    def _clear(self) -> None:
        self._held = []
        self._pieces = []
        self._spelled = ""
