"""One text in the two languages credx speaks: Chinese (the default) and English.

Every message that reaches a person outside the UI catalogue (``credx_tui/i18n.py``)
is one of these: a :class:`~policy.reasons.Reason`, a review step or a clause of the
rules file, a refusal of the text gate, a service's error, a trainer scenario.  Which
of the two a person reads is decided here, in :meth:`Bilingual.text`, and nowhere
else (issue 14), so "zh or en" cannot be answered two ways.

Pure Python: imports nothing of credx_tui, Textual or pydantic (pydantic models hold
their ``zh``/``en`` fields as the files spell them and hand a :class:`Bilingual` out).
"""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("zh", "en")
"""The languages, the default first (the catalogue reads them from here)."""


def pick(zh: str, en: str, lang: str) -> str:
    """The one rule for which text a person reads: English for ``en``, Chinese for
    anything else (the default language answers a language credx does not know).
    :meth:`Bilingual.text` and the catalogue's ``t`` both ask it."""
    return en if lang == "en" else zh


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text in Chinese and English; :meth:`text` picks one for a language."""

    zh: str
    """The Chinese text: the guide's words, the UI's default language."""
    en: str
    """The same text in English."""

    def text(self, lang: str = "zh") -> str:
        """The text in ``lang`` (:func:`pick`)."""
        return pick(self.zh, self.en, lang)
