"""One base for every refusal credx shows a person: the message in Chinese and English.

Services, the PDF documents and the OS-account mapping all refuse things; the screens
and the command line show ``text(lang)`` whatever refused."""

from __future__ import annotations

from policy.bilingual import Bilingual
from policy.text import for_terminal


class BilingualError(Exception):
    """An error whose message exists in Chinese (``zh``, the default) and English."""

    def __init__(self, zh: str, en: str) -> None:
        # A message may quote what a person typed (a path, a name): escaped once more
        # here, so no refusal can carry a control sequence to a terminal.
        zh, en = for_terminal(zh, multiline=True), for_terminal(en, multiline=True)
        super().__init__(en)
        self.zh = zh
        self.en = en

    @property
    def message(self) -> Bilingual:
        """The message in both languages."""
        return Bilingual(self.zh, self.en)

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang``."""
        return self.message.text(lang)
