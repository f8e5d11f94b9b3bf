"""What a service says when it will not do what was asked.

Each error carries the message in Chinese and English (and, for policy refusals, the
rules that refused), so the screens and the command line show the same words."""

from __future__ import annotations

from datetime import datetime

from credx_tui.bilingual import BilingualError
from credx_tui.store.files import StoreError
from policy.bilingual import Bilingual
from policy.reasons import Reason


class ServiceError(BilingualError):
    """Base of every refusal a service makes; never a crash."""


class AccessDenied(ServiceError):
    """The asker may not see or do this (a student on another's data, a reviewer on
    another college, a student trying to approve)."""


class SessionEnded(AccessDenied):
    """The actor no longer matches an enabled account in the store (disabled, role or
    college changed, never existed): the session is over; log in again (issue 9)."""


class NotFound(ServiceError):
    """No such student, application or attachment (as far as the asker may know)."""


class LoginFailed(ServiceError):
    """Login refused: ``kind`` is ``wrong`` (no such account or a wrong password: the
    same words and the same cost, so neither tells the other), ``locked`` (too many
    failures: wait ``until``) or ``disabled``."""

    def __init__(self, kind: str, zh: str, en: str, until: datetime | None = None) -> None:
        super().__init__(zh, en)
        self.kind = kind
        self.until = until


class Refused(ServiceError):
    """The policy said no; ``reasons`` cite every rule that did."""

    def __init__(self, reasons: list[Reason]) -> None:
        zh = "；".join(r.text("zh") for r in reasons)
        en = "; ".join(r.text("en") for r in reasons)
        super().__init__(zh, en)
        self.reasons = reasons

    @property
    def rules(self) -> list[str]:
        """The rule ids that refused, in order."""
        return [r.rule for r in self.reasons]


class Conflict(ServiceError):
    """Someone else changed the application first (another reviewer decided it, or
    the student withdrew it); nothing was written."""


class BadAttachment(ServiceError):
    """An attachment refused for its type, size or count (S4)."""


class DuplicateAttachment(BadAttachment):
    """An attachment whose content (SHA-256) the application already holds under this
    or another file name (S4, issue 15)."""


class StorageFailed(ServiceError, StoreError):
    """The machine refused to read or write the store (disk full, read-only folder, a
    file of another account, a stuck lock): nothing was changed.  Also a
    :class:`StoreError`, so the command line reports it the same way."""

    zh: str  # always said in Chinese too (StoreError's may be None)

    @classmethod
    def of(cls, error: StoreError) -> StorageFailed:
        """The bilingual form of a store error (its Chinese text when it has one)."""
        en = str(error)
        said = Bilingual(zh=f"存储出错，未做任何更改：{en}", en=en)
        return cls(error.zh or said.zh, said.en)


class BadText(ServiceError):
    """A text refused by the gate of :mod:`policy.text` (control characters, invisible
    only, too long), or a value a model refuses; the message names the field."""
