"""One way to say what a validation refused: ``where: field PATH: what``.

Every reader of outside data validates it with pydantic -- the importer (import
files), the rules file, the trainer's scenarios, the store (its documents on disk) --
and every one of them must turn a :class:`~pydantic.ValidationError` into a line a
registrar can act on: which file, which record (index or id), which field, what is
wrong.  They once did it four ways (``records.3.credits`` here, ``records[3].credits``
there, pydantic's ``Field required`` beside ``required field is missing``).  This module
is the one way; each reader only says *where* (its file and record).

It lives in ``policy`` because ``policy`` imports nothing of ``credx_tui`` (an
import-linter contract) while everything else may import ``policy``: the rules file
is read here and must use the same formatter as the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

REFUSED = "refused"
"""The error type of :func:`refusal`: its message is shown as it is written."""

_SECRET_WORDS = ("password", "secret", "token")
"""A field whose name holds one of these never has its value echoed in a message."""

ItemLabel = Callable[[str, Any], "str | None"]
"""``(list name, raw item) -> label``: how a list's item is named beside its index,
e.g. ``steps[0] (step one)``; None leaves the bare index."""


def refusal(message: str) -> PydanticCustomError:
    """A validator's error whose ``message`` is the whole explanation, without the
    ``(got ...)`` this module adds to pydantic's own messages (raise it from a
    validator: ``raise refusal("is kept by credx; leave it out")``)."""
    return PydanticCustomError(REFUSED, message)


@dataclass(frozen=True)
class FieldError:
    """One thing a validation refused, located inside the document it validated."""

    path: str
    """Where inside the document: ``records[3].attempts[0].result``; "" when the
    document as a whole is refused (a check across its fields)."""
    message: str
    """What is wrong, in English, e.g. ``required field is missing``."""
    kind: str = ""
    """Pydantic's error type (``missing``, ``extra_forbidden`` ...), for callers that
    word one kind their own way."""

    def __str__(self) -> str:
        return f"field {self.path}: {self.message}" if self.path else self.message

    def invalid(self) -> str:
        """The error as the end of a sentence about a document: ``is invalid at field
        note: ...`` (or ``is invalid: ...`` for the document as a whole)."""
        if self.path:
            return f"is invalid at field {self.path}: {self.message}"
        return f"is invalid: {self.message}"


def field_path(loc: Iterable[int | str], raw: Any = None, label: ItemLabel | None = None) -> str:
    """A pydantic ``loc`` as a path a person reads: ``records[3].attempts[0].result``.

    ``raw`` (the validated input) and ``label`` name a list's items beside their index
    (``steps[0] (step one).procedure``).  The ``[key]`` of a refused dictionary key is
    left out: the message says which key."""
    parts: list[str] = []
    node: Any = raw
    name = ""
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            shown = label(name, item) if label is not None and item is not None else None
            parts.append(f"[{part}] ({shown})" if shown else f"[{part}]")
            node = item
        elif part != "[key]":
            parts.append(("." if parts else "") + str(part))
            node = node.get(part) if isinstance(node, dict) else None
            name = str(part)
    return "".join(parts)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _secret(loc: Sequence[int | str]) -> bool:
    return any(isinstance(p, str) and any(w in p for w in _SECRET_WORDS) for p in loc)


def error_message(error: ErrorDetails, document: str | None = None) -> str:
    """What one pydantic error says, worded for a person: a missing or unknown field
    said plainly, pydantic's ``Value error,`` prefix dropped, and the value that was
    refused shown when it is short (never a password's)."""
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        where = f" in a {document} document" if document else ""
        return f"unknown field{where} (check its spelling)"
    message = str(error["msg"])
    if kind == REFUSED:
        return message
    if kind.startswith("value_error"):
        message = message.removeprefix("Value error, ")
    loc = error["loc"]
    if loc and loc[-1] == "[key]":
        return f"the key {error['input']!r} is wrong: {message}"
    if _scalar(error.get("input")) and not _secret(loc):
        shown = repr(error["input"])
        if len(shown) <= 40:
            message = f"{message} (got {shown})"
    return message


def field_errors(
    exc: ValidationError,
    *,
    document: str | Callable[[tuple[int | str, ...]], str] | None = None,
    raw: Any = None,
    label: ItemLabel | None = None,
    skip: int = 0,
) -> list[FieldError]:
    """Every error of ``exc`` as a :class:`FieldError`, in pydantic's order.

    ``document`` names the kind of document for an unknown field (a string, or a
    function of the error's ``loc`` when one document holds others); ``raw`` and
    ``label`` name list items (:func:`field_path`); ``skip`` drops leading ``loc``
    parts that are not fields (a discriminated union's tag)."""
    found: list[FieldError] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])[skip:]
        what = document(loc) if callable(document) else document
        fixed: ErrorDetails = {**error, "loc": loc}
        path = field_path(loc, raw, label)
        found.append(FieldError(path, error_message(fixed, what), error["type"]))
    return found


def problem_report(where: str, what: str, exc: ValidationError, **how: Any) -> str:
    """The text of a refused file: ``where: N problem(s) in what:`` and one indented
    ``field PATH: message`` line per error (``how`` as for :func:`field_errors`)."""
    errors = field_errors(exc, **how)
    return "\n".join([f"{where}: {len(errors)} problem(s) in {what}:", *(f"  {e}" for e in errors)])


def first_error(exc: ValidationError) -> tuple[FieldError, int]:
    """The first error of ``exc`` and how many more there are (a store names the first
    bad field of a damaged document; one is enough to find it)."""
    errors = field_errors(exc)
    return errors[0], len(errors) - 1


__all__ = [
    "REFUSED",
    "FieldError",
    "error_message",
    "field_errors",
    "field_path",
    "first_error",
    "problem_report",
    "refusal",
]
