"""Reasons: every "no" of the policy carries the rule that says it (procedure.md).

A :class:`Reason` names a rule (``R1`` … ``R11``) or a clause of the college's rules
file (``rules.excluded.military``) and says, in Chinese and English, what it means
for this course or offer.  Screens and the command line print these messages; tests
assert on the rule ids.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from policy.bilingual import Bilingual

CLAUSE_ID = re.compile(r"\s?[（(]rules\.[A-Za-z0-9_.\-]+[）)]")
"""A clause id cited in a message, e.g. ``（rules.excluded.military）``."""


class Reason(BaseModel):
    """Why the policy decided as it did, citing the rule."""

    model_config = ConfigDict(frozen=True)

    rule: str
    """``R1`` … ``R11`` of procedure.md, or a clause id of the rules file."""
    zh: str
    """The message in Chinese (the UI's default language)."""
    en: str
    """The same message in English."""
    staff_zh: str | None = None
    """The message as staff read it, about the student in the third person (该生),
    where ``zh`` speaks to the student (你); None when ``zh`` suits both."""
    staff_en: str | None = None
    """The same for ``en`` ("the student" where it says "you")."""

    @property
    def message(self) -> Bilingual:
        """The message as the student reads it, in both languages."""
        return Bilingual(self.zh, self.en)

    @property
    def staff_message(self) -> Bilingual:
        """The message as staff read it: ``staff_zh``/``staff_en`` where given."""
        return Bilingual(self.staff_zh or self.zh, self.staff_en or self.en)

    def text(self, lang: str = "zh", *, staff: bool = False) -> str:
        """The message in ``lang`` (``zh`` or ``en``), prefixed with its rule id: the one
        place a rule id is printed.  ``staff`` picks the wording for a reviewer, who
        reads about the student instead of being addressed as them."""
        body = self.staff_message if staff else self.message
        return Bilingual(f"【{self.rule}】{body.zh}", f"{self.rule}: {body.en}").text(lang)

    def plain(self, lang: str = "zh") -> str:
        """:meth:`text` without clause ids of the rules file: what a student reads.
        ``credx check`` and reviewers keep the ids (issue 15)."""
        return CLAUSE_ID.sub("", self.text(lang))
