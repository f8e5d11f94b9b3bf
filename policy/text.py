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

import functools
import re
import unicodedata
from dataclasses import dataclass

from policy.bilingual import Bilingual

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


@dataclass(frozen=True, slots=True)
class TextProblem(Bilingual):
    """Why a text was refused: the words (:class:`Bilingual`) and the position."""

    position: int = 0
    """Where the problem is, 0-based, in characters."""


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


_ALWAYS_FORBIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + "".join(
    sorted(BIDI_CONTROLS | LINE_SEPARATORS)
)
_FORBIDDEN_IN_LINE = re.compile(f"[\t\n{_ALWAYS_FORBIDDEN}]")
_FORBIDDEN_IN_PARAGRAPH = re.compile(f"[{_ALWAYS_FORBIDDEN}]")
_ONLY_BLANK = re.compile("[\\s" + "".join(sorted(INVISIBLE)) + "]*")
"""The same tests as :func:`_forbidden` and the blank check, as one C-speed scan each:
an import of a college passes millions of strings through the gate (issue 12)."""


def problem(
    text: str, *, multiline: bool = False, max_length: int | None = None
) -> TextProblem | None:
    """What is wrong with ``text`` (already normalised), or None when it may enter."""
    found = (_FORBIDDEN_IN_PARAGRAPH if multiline else _FORBIDDEN_IN_LINE).search(text)
    if found is not None:
        index = found.start()
        what = _name(text[index])
        return TextProblem(
            position=index,
            zh=f"第 {index + 1} 个字符是不可见的控制字符（{what}），请删去",
            en=f"character {index + 1} is an invisible control character ({what}); remove it",
        )
    if text and _ONLY_BLANK.fullmatch(text):
        return TextProblem(
            position=0,
            zh="内容只有空白或不可见字符",
            en="the text holds only blank or invisible characters",
        )
    if max_length is not None and len(text) > max_length:
        return TextProblem(
            position=max_length,
            zh=f"最多 {max_length} 个字符，现有 {len(text)} 个",
            en=f"at most {max_length} characters; this has {len(text)}",
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
    if (
        text.isascii()
        and text.isprintable()
        and text.strip(" ")
        and (max_length is None or len(text) <= max_length)
    ):
        return text  # printable ASCII, not blank: nothing to normalise or refuse
    value = normalise(text)
    found = problem(value, multiline=multiline, max_length=max_length)
    if found is not None:
        raise TextRefused(found)
    return value


@functools.lru_cache(maxsize=1 << 14)
def gate_line(text: str) -> str:
    """:func:`gate` for a one-line field (names, ids, codes): no tab, no newline.

    Remembered: an import of a college passes the same course names, codes and
    results through here millions of times (a refusal raises, and is not remembered)."""
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
