"""One gate for text: what a string must be to enter credx, and how it leaves.

Every string that enters (typed in a screen, read from an import file, the name of an
uploaded file) passes :func:`gate` -- through the models of :mod:`policy.models`, which
both the writers and the readers of the store use, so nothing refused here can reach a
file, and nothing in a file that would be refused here is ever shown.  What the gate
does:

- NFC-normalises (one spelling for one text: ``é`` is one code point, so two names
  that look the same compare the same and count the same length);
- refuses C0 controls (tab and newline only where the field is multi-line), DEL, C1
  controls, ESC, the bidirectional overrides and isolates (which reorder what a
  reviewer reads), line/paragraph separators, lone surrogates (which no UTF-8 file can
  hold), and text made only of invisible characters (zero-width spaces, joiners).

Refusing, not silently cleaning, is deliberate: a student who typed a control
character by accident sees which character and where, and a registrar's import says
the file, document and field.  :func:`for_terminal` escapes once more on the way out
(defence in depth for text that never passed the gate: paths, OS error strings).

The length limits every layer shares (model, services, UI counter) live here too.
Pure Python: imports nothing of credx_tui, Textual or pydantic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NOTE_MAX = 200
"""备注 of an application, in characters (model, apply screen counter, services)."""
REASON_MAX = 500
"""A reviewer's return reason, in characters (model, dialog, services)."""
FILENAME_MAX = 200
"""An attachment's file name as stored, in characters."""
PASSWORD_MAX = 200
"""A password, in characters (scrypt takes any length; this keeps input sane)."""

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u061c\u200e\u200f"  # ALM LRM RLM
)
"""Characters that change the order in which the rest is displayed ("Trojan Source")."""

INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164")
"""Characters that draw nothing: allowed inside text (joiners in emoji, for one), but
text made only of them (and spaces) is refused as empty."""

LINE_SEPARATORS = frozenset("\u2028\u2029\x85")
"""Characters some terminals and viewers treat as a new line."""


@dataclass(frozen=True)
class TextProblem:
    """Why a text was refused: the position (0-based, in characters) and the words."""

    position: int
    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        return self.zh if lang == "zh" else self.en


class TextRefused(ValueError):
    """A text the gate refuses; pydantic reports it as a field error, services turn it
    into a normal refusal."""

    def __init__(self, problem: TextProblem) -> None:
        super().__init__(problem.en)
        self.problem = problem


def _name(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    try:
        return f"{code} {unicodedata.name(ch)}"
    except ValueError:
        return code


def _forbidden(ch: str, multiline: bool) -> bool:
    code = ord(ch)
    if ch in "\n\t":
        return not multiline
    if code < 0x20 or 0x7F <= code <= 0x9F:  # C0 (with ESC), DEL, C1
        return True
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate: no file can hold it
        return True
    return ch in BIDI_CONTROLS or ch in LINE_SEPARATORS


def _class_of(chars: frozenset[str]) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in sorted(chars))


_ANY_FORBIDDEN = {
    multiline: re.compile(
        "["
        + ("\\x00-\\x08\\x0b-\\x1f" if multiline else "\\x00-\\x1f")
        + "\\x7f-\\x9f\\ud800-\\udfff"
        + _class_of(BIDI_CONTROLS | LINE_SEPARATORS)
        + "]"
    )
    for multiline in (False, True)
}
"""Whether a text holds any character :func:`_forbidden` refuses, in one C-speed pass
(issue 13: this check ran a Python call per character of every field read)."""


def problem(
    text: str, *, multiline: bool = False, max_length: int | None = None
) -> TextProblem | None:
    """What is wrong with ``text`` (already normalised), or None when it may enter."""
    found = _ANY_FORBIDDEN[multiline].search(text)
    start = len(text) if found is None else found.start()
    for index, ch in enumerate(text[start:], start):
        if _forbidden(ch, multiline):
            what = _name(ch)
            return TextProblem(
                index,
                f"第 {index + 1} 个字符是不可见的控制字符（{what}），请删去",
                f"character {index + 1} is an invisible control character ({what}); remove it",
            )
    if text and all(ch in INVISIBLE or ch.isspace() for ch in text):
        return TextProblem(
            0,
            "内容只有空白或不可见字符",
            "the text holds only blank or invisible characters",
        )
    if max_length is not None and len(text) > max_length:
        return TextProblem(
            max_length,
            f"最多 {max_length} 个字符，现有 {len(text)} 个",
            f"at most {max_length} characters; this has {len(text)}",
        )
    return None


def normalise(text: str) -> str:
    """NFC form of ``text``; a text holding a lone surrogate is returned unchanged
    (normalisation would fail on it), and :func:`problem` then refuses it."""
    try:
        return unicodedata.normalize("NFC", text)
    except UnicodeError:
        return text


def gate(text: str, *, multiline: bool = False, max_length: int | None = None) -> str:
    """The text as it may enter credx (NFC), or :class:`TextRefused` saying why not."""
    value = normalise(text)
    found = problem(value, multiline=multiline, max_length=max_length)
    if found is not None:
        raise TextRefused(found)
    return value


def gate_line(text: str) -> str:
    """:func:`gate` for a one-line field (names, ids, codes): no tab, no newline."""
    return gate(text)


def gate_paragraph(text: str) -> str:
    """:func:`gate` for a multi-line field (备注, return reason): tab and newline kept."""
    return gate(text, multiline=True)


def for_terminal(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to write to a terminal: every character the gate refuses is shown
    as a visible escape (``\\x1b``, ``\\u202e``) instead of reaching the terminal."""
    out: list[str] = []
    for ch in text:
        if _forbidden(ch, multiline):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def has_terminal_controls(text: str) -> bool:
    """Whether ``text`` holds anything :func:`for_terminal` would escape (tests, verify)."""
    return any(_forbidden(ch, multiline=True) for ch in text)
