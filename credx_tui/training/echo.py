"""The trainer's key echo without the terminal's replies (issue 15).

A terminal answers some questions an application asks it (the colours, the cursor,
the device attributes, its version).  When Textual's parser does not know an answer
it hands the bytes on as keys: tmux's reply to a colour query arrived as
``^ ] 1 1 ; r g b : 0 0 0 0 / ...`` in the key echo, as if the trainer had typed it.
:class:`KeyEcho` keeps more keys than it shows, finds such answers in what the keys
spell and shows only the rest.  An answer still arriving (its start seen, its end
not yet) is held back, so it never flashes in part.

This module imports neither Textual nor Rich: the app hands it a label and the
character of each key.  The answers are recognised as :mod:`credx_tui.terminal_answers`
recognises them for the whole app."""

from __future__ import annotations

from collections import deque

from credx_tui.terminal_answers import REPLY, STARTED

SHOWN = 8
"""How many of the last keys the echo shows."""

KEPT = 96
"""How many keys are kept to find answers in (an OSC colour answer is about 25)."""

OTHER = "\x00"
"""Stands for a key with no character of its own (F2, Ctrl+N, the arrows)."""


class KeyEcho:
    """The last keys pressed, without the terminal's answers."""

    def __init__(self, shown: int = SHOWN, kept: int = KEPT) -> None:
        self.shown = shown
        self._keys: deque[tuple[str, str]] = deque(maxlen=kept)

    def add(self, label: str, character: str | None) -> bool:
        """A key: its label in the echo and the one character it typed (None or a
        longer text: a key of its own).  True when it ends an answer of the terminal
        (a BEL ending a colour answer must not act as Ctrl+G)."""
        char = character if character is not None and len(character) == 1 else OTHER
        self._keys.append((label, char))
        spelled = "".join(char for _, char in self._keys)
        return any(match.end() == len(spelled) for match in REPLY.finditer(spelled))

    def clear(self) -> None:
        """Forget every key."""
        self._keys.clear()

    def labels(self) -> list[str]:
        """The labels to show: the last :attr:`shown` keys that are not part of an
        answer of the terminal."""
        keys = list(self._keys)
        spelled = "".join(char for _, char in keys)
        hidden = [False] * len(keys)
        for match in REPLY.finditer(spelled):
            hidden[match.start() : match.end()] = [True] * (match.end() - match.start())
        if tail := STARTED.search(spelled):
            hidden[tail.start() :] = [True] * (len(keys) - tail.start())
        kept = [label for (label, _), gone in zip(keys, hidden, strict=True) if not gone]
        return kept[-self.shown :]
